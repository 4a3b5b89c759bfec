#!/usr/bin/env bash
# Runs the suite locally on the repository's manifest. Until `edgectl up` lands this starts the local edgeHub.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh
exec dotnet run --project tools/EdgeHub -c Release -- --manifest deployment.template.json --state .edge/hub "$@"
