#!/usr/bin/env bash
# Installs what the suite and its tests need on a fresh Debian machine with the .NET SDK:
# Debian packages for the real protocol peers, then the NuGet restore. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
# pymodbus is the Modbus TCP client peer of the SimulatedPlant tests (run with /usr/bin/python3).
/usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1 || need+=(python3-pymodbus)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
# Modbus peers: the libmodbus C server/client under tests/peers/modbus are compiled by the tests (gcc, pkg-config);
# pymodbus (Debian's, run with /usr/bin/python3) and socat pty pairs for RTU over a serial line.
pkg-config --exists libmodbus 2>/dev/null || need+=(libmodbus-dev)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v socat >/dev/null 2>&1 || need+=(socat)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian package starts a system broker on 1883; the tests start their own, so stop it.
if command -v systemctl >/dev/null 2>&1; then systemctl stop mosquitto >/dev/null 2>&1 || true; fi
pkill -x mosquitto >/dev/null 2>&1 || true
# npm packages (Azurite) into the repository, never global.
if [ ! -d node_modules/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# node-opcua for the simulated plant's OPC UA server; npm ci only when node_modules is missing or older than the lock file.
opcua=tools/SimulatedPlant/opcua
if [ ! -f "$opcua/node_modules/.package-lock.json" ] || [ "$opcua/package-lock.json" -nt "$opcua/node_modules/.package-lock.json" ]; then
  (cd "$opcua" && npm ci --no-audit --no-fund --loglevel=error)
fi
dotnet restore EdgeSolution.sln -nologo -v:q
