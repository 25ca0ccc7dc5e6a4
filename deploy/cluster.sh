#!/usr/bin/env bash
# Starts, or stops, a whole cluster on loopback addresses: a private
# PostgreSQL server, two pbx nodes sharing it, and Kamailio in front of them
# (deploy/kamailio.cfg: dispatcher with OPTIONS probing, path, record-route).
#
#   deploy/cluster.sh up     start it; phones and carriers use 127.0.15.1:5060
#   deploy/cluster.sh down   stop everything (by PID) and delete its data
#
# Everything lives in PBX_CLUSTER_DIR (default /tmp/pbx-cluster): the
# database, each node's data and log, Kamailio's log, the PIDs, and `env`,
# which names the addresses and the admin token for scripts.
# Override the addresses with PBX_CLUSTER_NET (default 127.0.15: the
# balancer is .1, the nodes .11 and .12) and PBX_CLUSTER_PG_PORT.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${PBX_CLUSTER_DIR:-/tmp/pbx-cluster}"
net="${PBX_CLUSTER_NET:-127.0.15}"
pg_port="${PBX_CLUSTER_PG_PORT:-25415}"
lb="$net.1"
nodes=(a b)
declare -A node_ip=([a]="$net.11" [b]="$net.12")
declare -A node_rtp=([a]="20000-20999" [b]="21000-21999")

run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid FILE SIGNAL: signals the process and waits up to 10 s for it.
stop_pid() {
  local f=$1 sig=$2
  alive "$f" || { rm -f "$f"; return 0; }
  local pid; pid=$(cat "$f")
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

down() {
  [ -d "$dir" ] || return 0
  stop_pid "$dir/kamailio.pid" TERM
  for n in "${nodes[@]}"; do stop_pid "$dir/node-$n.pid" TERM; done
  # PostgreSQL's own PID (runuser's would not stop it): from its pid file.
  if [ -f "$dir/pg/data/postmaster.pid" ]; then head -n 1 "$dir/pg/data/postmaster.pid" >"$dir/postgres.pid"; fi
  stop_pid "$dir/postgres.pid" INT # fast shutdown
  rm -rf "$dir"
}

need() { command -v "$1" >/dev/null 2>&1 || { echo "FATAL: $1 is missing ($2)" >&2; exit 1; }; }

up() {
  need kamailio "apt-get install kamailio"
  for m in dispatcher path tm rr; do
    [ -f "/usr/lib/x86_64-linux-gnu/kamailio/modules/$m.so" ] ||
      { echo "FATAL: Kamailio's $m module is missing (apt-get install kamailio)" >&2; exit 1; }
  done
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "FATAL: PostgreSQL's initdb not found (apt-get install postgresql)" >&2; exit 1; }
  if [ -e "$dir" ]; then echo "FATAL: $dir exists: run '$0 down' first" >&2; exit 1; fi
  mkdir -p "$dir"
  trap 'echo "cluster: start failed; logs in $dir" >&2' ERR

  # The pbx binary, unless one is given.
  local pbx="${PBX_BIN:-}"
  if [ -z "$pbx" ]; then
    pbx="$dir/pbx"
    (cd "$root" && PATH="$PATH:/usr/local/go/bin" go build -o "$pbx" ./cmd/pbx)
  fi

  # PostgreSQL, private: its own data folder, port and socket folder.
  if run_pg "$bin/pg_isready" -h "$lb" -p "$pg_port" -q; then
    echo "FATAL: something already serves PostgreSQL on $lb:$pg_port" >&2; exit 1
  fi
  mkdir -p "$dir/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
  run_pg "$bin/initdb" -D "$dir/pg/data" -U pbx --auth=trust -E UTF8 >"$dir/pg/initdb.log" 2>&1 ||
    { cat "$dir/pg/initdb.log" >&2; exit 1; }
  run_pg "$bin/postgres" -D "$dir/pg/data" -h "$lb" -p "$pg_port" -k "$dir/pg" -c fsync=off \
    -c max_connections=200 >"$dir/postgres.log" 2>&1 &
  echo $! >"$dir/postgres.pid"
  for _ in $(seq 100); do
    run_pg "$bin/pg_isready" -h "$lb" -p "$pg_port" -q && break
    alive "$dir/postgres.pid" || { cat "$dir/postgres.log" >&2; echo "FATAL: postgres did not start" >&2; exit 1; }
    sleep 0.1
  done
  run_pg "$bin/createdb" -h "$lb" -p "$pg_port" -U pbx pbx
  local dsn="postgres://pbx@$lb:$pg_port/pbx?sslmode=disable"

  local token="${PBX_ADMIN_TOKEN:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}"
  export PBX_DB="$dsn" PBX_ADMIN_TOKEN="$token" PBX_CLUSTER_PROXIES="$lb"
  # One node migrates first, so that two never change the schema at once.
  PBX_NODE=a PBX_DATA_DIR="$dir/node-a" "$pbx" migrate >"$dir/migrate.log" 2>&1 ||
    { cat "$dir/migrate.log" >&2; exit 1; }
  for n in "${nodes[@]}"; do
    PBX_NODE="$n" PBX_DATA_DIR="$dir/node-$n" PBX_SIP_ADDR="${node_ip[$n]}:5060" \
      PBX_HTTP_ADDR="${node_ip[$n]}:8080" PBX_RTP_PORTS="${node_rtp[$n]}" \
      "$pbx" serve >"$dir/node-$n.log" 2>&1 &
    echo $! >"$dir/node-$n.pid"
  done
  for n in "${nodes[@]}"; do
    for _ in $(seq 150); do
      curl -fsS "http://${node_ip[$n]}:8080/healthz" >/dev/null 2>&1 && break
      alive "$dir/node-$n.pid" || { tail -n 30 "$dir/node-$n.log" >&2; echo "FATAL: node $n did not start" >&2; exit 1; }
      sleep 0.1
    done
  done

  # Kamailio in front, dispatching to both nodes.
  : >"$dir/dispatcher.list"
  for n in "${nodes[@]}"; do echo "1 sip:${node_ip[$n]}:5060" >>"$dir/dispatcher.list"; done
  mkdir -p "$dir/kamailio"
  kamailio -DD -E -f "$root/deploy/kamailio.cfg" -Y "$dir/kamailio" \
    -A "LB_ADDR=$lb" -A "DS_LIST=\"$dir/dispatcher.list\"" -A "CTL_SOCK=\"unix:$dir/kamailio/ctl\"" >"$dir/kamailio.log" 2>&1 &
  echo $! >"$dir/kamailio.pid"
  for _ in $(seq 50); do
    grep -q "udp: $lb" "$dir/kamailio.log" 2>/dev/null && break
    alive "$dir/kamailio.pid" || { tail -n 30 "$dir/kamailio.log" >&2; echo "FATAL: kamailio did not start" >&2; exit 1; }
    sleep 0.1
  done

  cat >"$dir/env" <<ENV
PBX_CLUSTER_DIR=$dir
PBX_CLUSTER_BALANCER=$lb:5060
PBX_CLUSTER_KAMCTL=unix:$dir/kamailio/ctl
PBX_CLUSTER_NODES="a=${node_ip[a]} b=${node_ip[b]}"
PBX_CLUSTER_DB=$dsn
PBX_ADMIN_TOKEN=$token
ENV
  echo "cluster up: SIP through Kamailio at $lb:5060; nodes a (http://${node_ip[a]}:8080) and b (http://${node_ip[b]}:8080); PostgreSQL at $lb:$pg_port"
  echo "admin token: $token   (all of it in $dir/env)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
