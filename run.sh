#!/usr/bin/env bash
# Installs what is missing, then runs the suite locally on the repository's manifest (`edgectl up`).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh
# iotedgedev's convention: .env holds the template's variables; start from the template's placeholders.
[ -f .env ] || cp .env.template .env
exec ./edgectl up --manifest deployment.template.json "$@"
