#!/usr/bin/env bash
# Authenticated REGISTER/s: sipp against "pbx serve" and, in the same run,
# against Kamailio 5.6's registrar (the anchor in bench/anchors), on
# loopback. For each offered rate it prints the REGISTERs completed per second
# (two transactions each: 401 challenge, then 200), failures, retransmissions,
# the server's CPU and its peak memory.
#
# Usage: bench/register/run.sh [rates] [seconds]
#   rates   comma-separated offered rates (default 2000,4000,6000,8000,10000,12000)
#   seconds per step (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
RATES=${1:-2000,4000,6000,8000,10000,12000}
SECS=${2:-10}
USERS=${USERS:-5000}
IP=127.0.0.31
KIP=127.0.0.19
ROOT=$PWD
OUT=$ROOT/bench/out/register
mkdir -p "$OUT"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for pkg in sipp:sip-tester kamailio:kamailio; do
  command -v "${pkg%%:*}" >/dev/null || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkg##*:}" >/dev/null; }
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# cpu_ticks PID: user+system clock ticks of a process and its children
# (Kamailio works in child processes).
cpu_ticks() { for p in $1 $(pgrep -P "$1"); do awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null; done | awk '{s+=$1} END {print s}'; }
# peak_kib PID: peak resident memory of a process and its children.
peak_kib() { for p in $1 $(pgrep -P "$1"); do awk '/VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null; done | awk '{s+=$1} END {print s}'; }

# step NAME SERVERPID TARGET USERSFILE RATE: one sipp run; prints a table row.
step() {
  local name=$1 spid=$2 target=$3 users=$4 rate=$5
  local total=$((rate * SECS)) dir="$OUT/$name-$rate"
  local hz; hz=$(getconf CLK_TCK)
  rm -rf "$dir"; mkdir -p "$dir"
  local t0 c0; t0=$(date +%s.%N); c0=$(cpu_ticks "$spid")
  (cd "$dir" && sipp "$target" -sf "$ROOT/test/peers/testdata/register-auth.xml" -inf "$users" \
      -r "$rate" -m "$total" -l $((rate * 4)) -i "${target%%:*}" -p 0 \
      -buff_size 4194304 -nostdin -timeout $((SECS * 3))s -trace_stat -fd 1 -stf stats.csv \
      -default_behaviors all,-abortunexp >sipp.out 2>&1) || true
  local t1 c1; t1=$(date +%s.%N); c1=$(cpu_ticks "$spid")
  local line; line=$(tail -n 1 "$dir/stats.csv")
  local head; head=$(head -n 1 "$dir/stats.csv")
  col() { echo "$head" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
  local succ fail retr
  succ=$(echo "$line" | cut -d';' -f"$(col 'SuccessfulCall(C)')")
  fail=$(echo "$line" | cut -d';' -f"$(col 'FailedCall(C)')")
  retr=$(echo "$line" | cut -d';' -f"$(col 'Retransmissions(C)')")
  awk -v n="$name" -v r="$rate" -v s="$succ" -v f="$fail" -v x="$retr" -v t0="$t0" -v t1="$t1" \
      -v c0="$c0" -v c1="$c1" -v hz="$hz" -v m="$(peak_kib "$spid")" \
      'BEGIN { el=t1-t0; printf "| %-9s | %6d | %8.0f | %6d | %6d | %6d | %5.0f%% | %7.1f |\n", n, r, s/el, s, f, x, 100*(c1-c0)/hz/el, m/1024 }'
}

# users files: ours (pass-<n>) and Kamailio's (all "secret").
printf 'SEQUENTIAL\n' > "$OUT/users.csv"; printf 'SEQUENTIAL\n' > "$OUT/kusers.csv"
for ((i = 0; i < USERS; i++)); do
  u=$((100000 + i))
  echo "$u;[authentication username=$u password=pass-$u]" >> "$OUT/users.csv"
  echo "$u;[authentication username=$u password=secret]" >> "$OUT/kusers.csv"
done

echo "building pbx"
go build -o "$OUT/pbx" ./cmd/pbx
data=$(mktemp -d)
PBX_ADMIN_TOKEN=bench-admin-token-0123456789 PBX_SIP_ADDR=$IP:25060 PBX_HTTP_ADDR=$IP:28080 PBX_DATA_DIR=$data \
  GOMAXPROCS=${GOMAXPROCS:-} PBX_LOG_LEVEL=warn PBX_GUARD_MAX_FAILURES=0 PBX_SIP_RATE_LIMIT=0 PBX_HTTP_PPROF=${PPROF:-false} "$OUT/pbx" serve >"$OUT/pbx.log" 2>&1 &
pbx=$!; pids+=("$pbx")
for _ in $(seq 100); do curl -sf "http://$IP:28080/healthz" >/dev/null && break; sleep 0.1; done
sleep 0.5
kill -0 "$pbx" 2>/dev/null || { echo "pbx did not start:"; cat "$OUT/pbx.log"; exit 1; }
echo "creating $USERS users"
seq 100000 $((100000 + USERS - 1)) | xargs -P 8 -I{} curl -sf -o /dev/null -H 'Authorization: Bearer bench-admin-token-0123456789' \
  "http://$IP:28080/api/v1/users" -d '{"name":"Bench {}","extension":"{}","sip_password":"pass-{}"}'

kcfg=$(mktemp); sed "s/127.0.0.19:5190/$KIP:25060/" bench/anchors/kamailio-registrar.cfg > "$kcfg"
kamailio -f "$kcfg" -m 512 -M 32 -x tlsf -X tlsf -P "$OUT/kamailio.pid" -DD -E >"$OUT/kamailio.log" 2>&1 &
kam=$!; pids+=("$kam")
sleep 1

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1); $(kamailio -v | head -1)"
echo "Each REGISTER is two transactions (401 challenge, then 200 with MD5 digest). $SECS s per step, $USERS users."
echo
echo "| server    | offered | done/s   | ok     | failed | retrans | CPU    | peak MiB |"
echo "|-----------|--------:|---------:|-------:|-------:|--------:|-------:|---------:|"
IFS=, read -ra rates <<< "$RATES"
for r in "${rates[@]}"; do
  step pbx "$pbx" "$IP:25060" "$OUT/users.csv" "$r"
  step kamailio "$kam" "$KIP:25060" "$OUT/kusers.csv" "$r"
done
echo
echo "registrations held by pbx: $(curl -s -H 'Authorization: Bearer bench-admin-token-0123456789' http://$IP:28080/metrics | awk '/^pbx_registrations /{print $2}')"
rm -rf "$data" "$kcfg"
