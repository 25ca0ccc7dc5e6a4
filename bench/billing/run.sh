#!/usr/bin/env bash
# Rated debits per second the billing ledger sustains, on SQLite (the
# default store) and on a private PostgreSQL server this script starts on
# loopback (stopped by its PID), printed as a table beside the anchor.
# Usage: bench/billing/run.sh [calls] [seconds]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$PATH:/usr/local/go/bin"
calls="${1:-64}"
seconds="${2:-10}"
port="${PBX_PG_PORT:-25433}"
work=$(mktemp -d "${TMPDIR:-/tmp}/pbx-billing-bench.XXXXXX")
pid=""
cleanup() {
  # As root, $pid is runuser, which does not pass SIGINT on: stop the
  # postmaster itself too, by the PID it wrote.
  local pm=""
  [ -f "$work/data/postmaster.pid" ] && pm=$(head -n 1 "$work/data/postmaster.pid")
  for p in $pm $pid; do
    if kill -0 "$p" 2>/dev/null; then
      kill -INT "$p" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

go build -o "$work/bench" ./bench/billing

echo "Rated debits (find the rate, reserve, one idempotent ledger entry per increment; debits arriving together share a transaction)"
echo "$(nproc) cores, $(date -u +%Y-%m-%d), $calls calls debiting at once for ${seconds}s"
echo
echo "| store             | calls | debits   | s      | debits/s  | failed | consistent |"
echo "|-------------------|------:|---------:|-------:|----------:|-------:|------------|"
"$work/bench" -db "$work/bench.db" -calls "$calls" -seconds "$seconds"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  echo "FATAL: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
if "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q; then
  echo "FATAL: another server answers on 127.0.0.1:$port (PBX_PG_PORT picks another port)" >&2
  exit 1
fi
run_pg "$bin/initdb" -D "$work/data" -U pbx --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
# Durable commits, as a production server would run (fsync on).
run_pg "$bin/postgres" -D "$work/data" -h 127.0.0.1 -p "$port" -k "$work" -c max_connections=200 >"$work/pg.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  run_pg "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/pg.log" >&2; echo "FATAL: postgres did not start" >&2; exit 1; }
  sleep 0.1
done
run_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U pbx bench
dsn="postgres://pbx@127.0.0.1:$port/bench?sslmode=disable"
"$work/bench" -db "$dsn" -calls "$calls" -seconds "$seconds"
echo "| CGRateS           |       |          |        |     5000+ | (anchor: advertised on one machine, not measured here) |"
echo
echo "Calls authorised per second (each call: rate found, credit checked and reserved, first increment charged, ended)"
echo "alone, and on two meters that share their reservations as two cluster nodes (the check and the publication"
echo "hold the wallet row lock; authorisations arriving together share a transaction)"
echo
echo "| store             | calls | calls    | s      | calls/s   | failed | consistent |"
echo "|-------------------|------:|---------:|-------:|----------:|-------:|------------|"
"$work/bench" -db "$dsn" -calls "$calls" -seconds "$seconds" -increments 0
"$work/bench" -db "$dsn" -calls "$calls" -seconds "$seconds" -increments 0 -nodes 2
