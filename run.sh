#!/usr/bin/env bash
# Runs CartRecovery on this machine (embedded default: one process, SQLite under ./.data,
# http://localhost:8080). Installs what the build needs on a fresh Debian machine (as root).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "[run.sh] installing nodejs and npm (the browser SDK wraps @microsoft/signalr from npm)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm
fi
exec dotnet run --project Silo -c Release -- "$@"
