#!/usr/bin/env bash
# REGISTER/s and calls/s for one node, and for two nodes behind Kamailio,
# in the same run, on the same cluster (deploy/cluster.sh: PostgreSQL, two
# pbx nodes, Kamailio's dispatcher in front, on 127.0.15.x).
#
#   one node        sipp straight to node a (127.0.15.11:5060)
#   two + Kamailio  sipp to the balancer (127.0.15.1:5060), which spreads
#                   REGISTERs (by Call-ID) and calls (round robin) over a, b
#
# REGISTER: authenticated (401, then the answer), as bench/register does,
# over USERS users. Calls: a carrier's INVITE to a number whose flow rings a
# group of AGENTS agents (contacts at one sipp UAS), answer, ACK, BYE.
#
# Usage: bench/cluster/run.sh [register-rates] [call-rates] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
ROOT=$PWD
REG_RATES=${1:-1000,2000,3000}
CALL_RATES=${2:-100,200,300}
SECS=${3:-10}
USERS=${USERS:-2000}
AGENTS=${AGENTS:-20}
NODE=127.0.15.11:5060 LB=127.0.15.1:5060
CARRIER_IP=127.0.15.30 AGENT_IP=127.0.15.21 PHONE_IP=127.0.15.40
OUT=$ROOT/bench/out/cluster
rm -rf "$OUT"; mkdir -p "$OUT"
for tool in sipp kamailio curl; do
  command -v "$tool" >/dev/null || { echo "FATAL: $tool is missing (apt-get install sip-tester kamailio curl)" >&2; exit 1; }
done

export PBX_CLUSTER_DIR="$OUT/cluster" PBX_ADMIN_TOKEN=bench-admin-token-0123456789
export PBX_LOG_LEVEL=warn PBX_GUARD_MAX_FAILURES=0 PBX_SIP_RATE_LIMIT=0 PBX_BILLING_ENABLED=false PBX_MEDIA_TIMEOUT=120s
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  deploy/cluster.sh down
}
trap cleanup EXIT INT TERM
deploy/cluster.sh up >"$OUT/up.log"
nodes=("$(cat "$PBX_CLUSTER_DIR/node-a.pid")" "$(cat "$PBX_CLUSTER_DIR/node-b.pid")")
kam=$(cat "$PBX_CLUSTER_DIR/kamailio.pid")

api() { curl -sf -H "Authorization: Bearer $PBX_ADMIN_TOKEN" -H 'Content-Type: application/json' "http://127.0.15.11:8080/api/v1/$1" "${@:2}"; }
# The CPU of a process and its children (Kamailio forks workers), in ticks.
cpu_ticks() { for p in "$@"; do for q in $p $(pgrep -P "$p"); do awk '{print $14+$15}' "/proc/$q/stat" 2>/dev/null; done; done | awk '{s+=$1} END {print s+0}'; }
hz=$(getconf CLK_TCK)

echo "creating $USERS users, $AGENTS agents in a group, a trunk, a number and a flow"
# new_users FIRST COUNT: creates users FIRST.. (extension = user name =
# password's tail), eight at a time, and prints their ids.
new_users() {
  seq "$1" $(($1 + $2 - 1)) | xargs -P 8 -I{} curl -sf -H "Authorization: Bearer $PBX_ADMIN_TOKEN" \
    "http://127.0.15.11:8080/api/v1/users" -d '{"name":"Bench {}","extension":"{}","sip_password":"pass-{}"}' |
    grep -o '"id":[0-9]*' | cut -d: -f2
}
new_users 100000 "$USERS" >/dev/null
# The group is the agents' ids as the API gave them: users are created in
# parallel, so ids do not follow extensions. (Taking ids USERS+1.. once put
# REGISTER-step users in the group, whose phones were gone: each call rang
# them first, into Kamailio's 408 or, registered straight, into silence.)
members=$(new_users $((100000 + USERS)) "$AGENTS" | paste -sd,)
[ "$(echo "$members" | tr ',' '\n' | grep -c .)" = "$AGENTS" ] || { echo "FATAL: created only agents $members" >&2; exit 1; }
api groups -d "{\"name\":\"Agents\",\"member_ids\":[$members]}" >/dev/null
api trunks -d "{\"name\":\"Carrier\",\"host\":\"$CARRIER_IP\",\"inbound_cidrs\":[\"$CARRIER_IP\"]}" >/dev/null
api numbers -d '{"e164":"+15550159999","type":"toll_free","country":"US","trunk_id":1}' >/dev/null
api flows -d '{"name":"Bench","numbers":["+15550159999"],"states":[{"id":"start","type":"start"},
  {"id":"agents","type":"transfer_group","group_id":1,"ring":"sequential","ring_seconds":10}],
  "connections":[{"from":"start","outcome":"next","to":"agents"}]}' >/dev/null
api flows/1/publish -X POST >/dev/null

{ echo SEQUENTIAL; for ((i = 0; i < USERS; i++)); do u=$((100000 + i)); echo "$u;[authentication username=$u password=pass-$u]"; done; } >"$OUT/users.csv"
{ echo SEQUENTIAL; for ((i = USERS; i < USERS + AGENTS; i++)); do u=$((100000 + i)); echo "$u;[authentication username=$u password=pass-$u]"; done; } >"$OUT/agents.csv"

# row NAME RATE DIR: one table row from sipp's last statistics line.
row() {
  local name=$1 rate=$2 dir=$3 t0=$4 t1=$5 c0=$6 c1=$7 k0=$8 k1=$9
  local head line; head=$(head -n 1 "$dir/stats.csv"); line=$(tail -n 1 "$dir/stats.csv")
  col() { echo "$head" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
  local ok fail retr
  ok=$(echo "$line" | cut -d';' -f"$(col 'SuccessfulCall(C)')"); fail=$(echo "$line" | cut -d';' -f"$(col 'FailedCall(C)')")
  retr=$(echo "$line" | cut -d';' -f"$(col 'Retransmissions(C)')")
  awk -v n="$name" -v r="$rate" -v ok="$ok" -v f="$fail" -v x="$retr" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
    -v k0="$k0" -v k1="$k1" -v hz="$hz" \
    'BEGIN { el=t1-t0; printf "| %-15s | %5d | %6.0f | %6d | %5d | %6d | %5.0f%% | %5.0f%% |\n", n, r, ok/el, ok, f, x, 100*(c1-c0)/hz/el, 100*(k1-k0)/hz/el }'
}

# step NAME TARGET RATE SCENARIO-ARGS...: one sipp run at RATE for SECS.
step() {
  local name=$1 target=$2 rate=$3; shift 3
  local dir="$OUT/$name-$rate" t0 t1 c0 c1 k0 k1
  mkdir -p "$dir"
  t0=$(date +%s.%N); c0=$(cpu_ticks "${nodes[@]}"); k0=$(cpu_ticks "$kam")
  (cd "$dir" && timeout $((SECS * 6)) sipp "$target" "$@" -r "$rate" -m $((rate * SECS)) -l $((rate * 4)) -buff_size 4194304 -nostdin \
    -timeout $((SECS * 4))s -trace_stat -fd 1 -stf stats.csv -default_behaviors all,-abortunexp >sipp.out 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ticks "${nodes[@]}"); k1=$(cpu_ticks "$kam")
  row "$name" "$rate" "$dir" "$t0" "$t1" "$c0" "$c1" "$k0" "$k1"
  sleep 1
}

# agents TARGET: registers the agents' contacts at the UAS (not running yet).
agents() {
  (cd "$OUT" && timeout 60 sipp "$1" -sf "$ROOT/test/peers/testdata/register-auth.xml" -inf agents.csv -m "$AGENTS" -r 100 \
    -i "$AGENT_IP" -p 25100 -nostdin -timeout 30s >"agents-$2.out" 2>&1)
  sleep 1.5 # the other node reads the registrations every second
}
uas_pid=""
uas() {
  [ -n "$uas_pid" ] && { kill "$uas_pid" 2>/dev/null || true; wait "$uas_pid" 2>/dev/null || true; }
  [ "$1" = stop ] && { uas_pid=""; return; }
  (cd "$OUT" && exec sipp -sf "$ROOT/bench/cluster/agent-uas.xml" -i "$AGENT_IP" -p 25100 -mi "$AGENT_IP" -mp 40000 -nostdin \
    -buff_size 4194304 -default_behaviors all,-abortunexp >"uas-$1.out" 2>&1) &
  uas_pid=$!; pids+=("$uas_pid")
  sleep 0.5
}

echo
echo "Machine: $(nproc) cores (shared with other work), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n 1); $(kamailio -v | head -n 1 | cut -d' ' -f1-3)"
echo
echo "| setup           | offered/s | done/s | ok | failed | retrans | nodes CPU | Kamailio CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
echo "| **REGISTER** |  |  |  |  |  |  |  |"
IFS=, read -ra regs <<<"$REG_RATES"
for r in "${regs[@]}"; do
  step "one node" "$NODE" "$r" -sf "$ROOT/test/peers/testdata/register-auth.xml" -inf "$OUT/users.csv" -i "$PHONE_IP" -p 0
  step "two + Kamailio" "$LB" "$r" -sf "$ROOT/test/peers/testdata/register-auth.xml" -inf "$OUT/users.csv" -i "$PHONE_IP" -p 0
done
echo "| **calls** |  |  |  |  |  |  |  |"
IFS=, read -ra calls <<<"$CALL_RATES"
for r in "${calls[@]}"; do
  uas stop; agents "$NODE" one; uas one
  step "one node" "$NODE" "$r" -sf "$ROOT/bench/cluster/call-uac.xml" -s +15550159999 -i "$CARRIER_IP" -p 25101 -d 0
  uas stop; agents "$LB" two; uas two
  step "two + Kamailio" "$LB" "$r" -sf "$ROOT/bench/cluster/call-uac.xml" -s +15550159999 -i "$CARRIER_IP" -p 25101 -d 0
done
# Kamailio's shared memory (deploy/kamailio.cfg sizes it): its peak says
# how near the balancer came to refusing transactions.
if command -v kamcmd >/dev/null; then
  . "$PBX_CLUSTER_DIR/env"
  kamcmd -s "$PBX_CLUSTER_KAMCTL" stats.get_statistics shmem: 2>/dev/null |
    awk '/max_used_size/ {m=$NF} /total_size/ {t=$NF} END {if (t) printf "\nKamailio shared memory: peak %.0f MiB of %.0f MiB\n", m/1048576, t/1048576}'
fi
