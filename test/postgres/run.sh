#!/usr/bin/env bash
# Starts a private PostgreSQL server on loopback (its own data folder and
# port), runs the Go tests that need it with PBX_TEST_POSTGRES set, and stops
# the server by its PID. Installs the Debian postgresql package when missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
port="${PBX_PG_PORT:-25432}"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
[ -x "$bin/initdb" ] || { echo "FATAL: PostgreSQL's initdb not found (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the postgres user then.
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pbx-pg.XXXXXX")
[ "$(id -u)" = 0 ] && chown postgres "$work"
pid=""
cleanup() {
  # As root, $pid is runuser, which does not pass SIGINT on: stop the
  # postmaster itself, by the PID it wrote, or it outlives its data folder.
  local pm=""
  [ -f "$work/data/postmaster.pid" ] && pm=$(head -n 1 "$work/data/postmaster.pid")
  for p in $pm $pid; do
    if kill -0 "$p" 2>/dev/null; then
      kill -INT "$p" 2>/dev/null || true # fast shutdown
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

run_pg "$bin/initdb" -D "$work/data" -U pbx --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
run_pg "$bin/postgres" -D "$work/data" -h 127.0.0.1 -p "$port" -k "$work" -c fsync=off >"$work/pg.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  run_pg "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/pg.log" >&2; echo "FATAL: postgres did not start" >&2; exit 1; }
  sleep 0.1
done
run_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U pbx pbx_test

cd "$root"
PBX_TEST_POSTGRES="postgres://pbx@127.0.0.1:$port/pbx_test?sslmode=disable" \
  go test -race -count=1 ./test/postgres/
