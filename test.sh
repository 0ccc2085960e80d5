#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine (as root): installs what the tests need,
# starts a local PostgreSQL, creates the test role, runs every test project, and prints
# "N passed, M failed, K skipped" as the last line. A tool that could not be installed fails the run.
set -uo pipefail
cd "$(dirname "$0")"

log() { echo "[test.sh] $*" >&2; }

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1 || need+=(python3-xgboost)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || log "apt-get failed"
fi

missing=()
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v promtool >/dev/null || missing+=(promtool)
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import xgboost, onnx' >/dev/null 2>&1 || missing+=(python3-xgboost/python3-onnx)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "could not install: ${missing[*]}"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
if [ -n "$ver" ]; then
  pg_ctlcluster "$ver" main status >/dev/null 2>&1 || pg_ctlcluster "$ver" main start >&2
  for _ in $(seq 1 30); do su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break; sleep 1; done
  # Several test assemblies and silo processes run at once; the default of 100 connections is tight.
  if [ "$(su postgres -c "psql -qAtc 'show max_connections'")" -lt 400 ]; then
    su postgres -c "psql -qc 'alter system set max_connections = 400'" >&2
    pg_ctlcluster "$ver" main restart >&2
    for _ in $(seq 1 30); do su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break; sleep 1; done
  fi
  su postgres -c "psql -qAtc \"select 1 from pg_roles where rolname='cartrecovery'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"create role cartrecovery login createdb superuser password 'cartrecovery'\"" >&2
  su postgres -c "psql -qAtc \"select 1 from pg_database where datname='cartrecovery'\"" | grep -q 1 ||
    su postgres -c "psql -qc 'create database cartrecovery owner cartrecovery'" >&2
fi
# Orleans membership and the SignalR backplane of the cluster tests.
redis-cli -p 6379 ping >/dev/null 2>&1 || redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >&2
for _ in $(seq 1 30); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
export CARTRECOVERY_TEST_REDIS="127.0.0.1:6379"
export CARTRECOVERY_TEST_PG="Host=127.0.0.1;Port=5432;Username=cartrecovery;Password=cartrecovery;Database=postgres"

results=$(mktemp -d)
log "building"
if ! dotnet build CartRecovery.sln -c Release -nologo -v q >"$results/build.log" 2>&1; then
  cat "$results/build.log" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

log "running tests"
dotnet test CartRecovery.sln -c Release --no-build --nologo --logger "trx" --results-directory "$results" "$@" 2>&1 | tee "$results/test.log" >&2
status=${PIPESTATUS[0]}

# Count outcomes from the TRX files (one per test assembly) rather than console text.
passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -e "$f" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  get() { echo "$counters" | grep -oE " $1=\"[0-9]+\"" | grep -oE '[0-9]+' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted) + $(get inconclusive)))
done
# A crashed or aborted assembly leaves no failed test rows: count it as a failure.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
