#!/usr/bin/env bash
# Calls through the B2BUA, sipp at both ends on loopback: a carrier (sipp UAC)
# calls a number whose flow rings a group of agents (registered users whose
# contacts all point at one sipp UAS).
#
#   Part 1, call setup rate: short calls (INVITE, 200, ACK, BYE) at each
#   offered rate; calls/s completed, failures, retransmissions, CPU, memory;
#   and, in the same run, the anchor: Kamailio 5.6 as a stateful proxy with
#   Record-Route (bench/anchors/kamailio-proxy.cfg) forwarding the same sipp
#   calls to a sipp UAS of its own.
#   Part 2, concurrent calls with media: sipp uac_pcap streams ~10 s of G.711
#   per call; the agent echoes it. Calls held at the peak, RTP packets relayed
#   and lost (sequence gaps seen by the PBX), CPU, memory per call.
#
# Usage: [BILLING=true] [SECS=10] [AGENTS=1200] [PARTS=123] bench/calls/run.sh [cps-rates] [concurrent-target]
#   BILLING=true meters every call (authorised, charged per increment)
#   SECS         seconds per setup-rate step (the issue's target is 60)
#   PARTS        which parts to run (default all three)
#   SOAK=SECS    part 4: calls at the first rate for SECS (the issue: 600 at
#                1,000/s), RSS and live heap sampled every 30 s: is memory flat?
#   PROFILE=1    saves a CPU profile of the PBX over the middle half of each
#                pbx step (bench/out/calls/cps-pbx-RATE/cpu.pprof), and its
#                allocations before and after it (allocs0.pprof, allocs1.pprof:
#                go tool pprof -base allocs0.pprof allocs1.pprof)
#   cps-rates          comma-separated (default 100,200,400,600)
#   concurrent-target  calls to hold with media (default 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
ROOT=$PWD
RATES=${1:-100,200,400,600}
TARGET=${2:-1000}
AGENTS=${AGENTS:-1200}
SECS=${SECS:-10}
PARTS=${PARTS:-123}
PBX_IP=127.0.0.61 CARRIER_IP=127.0.0.62 AGENT_IP=127.0.0.63 KAM_IP=127.0.0.64 KUAS_IP=127.0.0.65
OUT=$ROOT/bench/out/calls
rm -rf "$OUT"; mkdir -p "$OUT"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for pkg in sipp:sip-tester kamailio:kamailio; do
  command -v "${pkg%%:*}" >/dev/null || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkg##*:}" >/dev/null; }
done

pids=()
# sipp's RTP echo drops packets under load with the default socket buffers
# (bench/anchors/README.md): raise them for the run, restore after.
rmem=$(sysctl -n net.core.rmem_default 2>/dev/null || echo "")
[ -n "$rmem" ] && as_root sysctl -qw net.core.rmem_default=8388608 2>/dev/null || true
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ -n "$rmem" ] && as_root sysctl -qw net.core.rmem_default="$rmem" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
# cpu_ticks PID: user+system clock ticks of a process and its children
# (Kamailio works in child processes).
cpu_ticks() { for p in $1 $(pgrep -P "$1"); do awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null; done | awk '{s+=$1} END {print s}'; }
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
peak_kib() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
api() { curl -sf -H 'Authorization: Bearer bench-admin-token-0123456789' -H 'Content-Type: application/json' "http://$PBX_IP:28080/api/v1/$1" "${@:2}"; }
metric() { curl -s "http://$PBX_IP:28080/metrics" | awk -v m="$1" '$1==m {print $2}'; }
# live_heap: bytes of live heap right after a forced collection (the
# profiler endpoint is open on this loopback-only benchmark server).
live_heap() { curl -s "http://$PBX_IP:28080/debug/pprof/heap?gc=1&debug=1" | awk '/^# HeapAlloc = /{print $4}'; }

echo "building pbx"
go build -o "$OUT/pbx" ./cmd/pbx
data=$(mktemp -d)
PBX_ADMIN_TOKEN=bench-admin-token-0123456789 PBX_SIP_ADDR=$PBX_IP:25060 PBX_HTTP_ADDR=$PBX_IP:28080 PBX_DATA_DIR=$data \
  PBX_RTP_PORTS=20000-39999 PBX_MEDIA_TIMEOUT=120s PBX_LOG_LEVEL=warn PBX_GUARD_MAX_FAILURES=0 PBX_SIP_RATE_LIMIT=0 PBX_BILLING_ENABLED=${BILLING:-false} PBX_HTTP_PPROF=true "$OUT/pbx" serve >"$OUT/pbx.log" 2>&1 &
pbx=$!; pids+=("$pbx")
for _ in $(seq 100); do curl -sf "http://$PBX_IP:28080/healthz" >/dev/null && break; sleep 0.1; done
sleep 0.3; kill -0 "$pbx" || { cat "$OUT/pbx.log"; exit 1; }

echo "creating $AGENTS agents, their group, a trunk, a number and a flow"
seq 300000 $((300000 + AGENTS - 1)) | xargs -P 8 -I{} curl -sf -o /dev/null -H 'Authorization: Bearer bench-admin-token-0123456789' \
  "http://$PBX_IP:28080/api/v1/users" -d '{"name":"Agent {}","extension":"{}","sip_password":"pass-{}"}'
members=$(seq -s, 1 "$AGENTS")
api groups -d "{\"name\":\"Agents\",\"member_ids\":[$members]}" >/dev/null
api trunks -d "{\"name\":\"Carrier\",\"host\":\"$CARRIER_IP\",\"inbound_cidrs\":[\"$CARRIER_IP\"]}" >/dev/null
api numbers -d '{"e164":"+15550009999","type":"toll_free","country":"US","trunk_id":1}' >/dev/null
api flows -d '{"name":"Bench","numbers":["+15550009999"],"states":[{"id":"start","type":"start"},
  {"id":"agents","type":"transfer_group","group_id":1,"ring":"sequential","ring_seconds":10}],
  "connections":[{"from":"start","outcome":"next","to":"agents"}]}' >/dev/null
api flows/1/publish -X POST >/dev/null
if [ "${BILLING:-false}" = true ]; then
  # Metering on: the carrier's calls to the number are charged at the
  # example inbound rate, out of credits bought through a quote.
  quote=$(api wallet/quotes -d '{"credits":"1000000"}' | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  api wallet/purchases -d "{\"quote_id\":$quote}" >/dev/null
  echo "  billing on: 1000000 credits bought"
fi

echo "registering the agents (contacts at the agents' sipp UAS $AGENT_IP:25100)"
{ echo SEQUENTIAL; for ((i = 0; i < AGENTS; i++)); do u=$((300000 + i)); echo "$u;[authentication username=$u password=pass-$u]"; done; } > "$OUT/agents.csv"
(cd "$OUT" && sipp "$PBX_IP:25060" -sf "$ROOT/test/peers/testdata/register-auth.xml" -inf agents.csv -m "$AGENTS" -r 500 \
  -i "$AGENT_IP" -p 25100 -nostdin -timeout 60s >register.out 2>&1)
echo "  registered: $(metric pbx_registrations)"

ln -sfn /usr/share/sip-tester "$OUT/pcap"
(cd "$OUT" && exec sipp -sn uas -i "$AGENT_IP" -p 25100 -mi "$AGENT_IP" -mp 40000 -rtp_echo -nostdin \
  -buff_size 4194304 -default_behaviors all,-abortunexp >uas.out 2>&1) &
pids+=("$!")
sleep 0.5

hz=$(getconf CLK_TCK)
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1)"
echo
echo "Part 1: call setup rate (INVITE through trunk, number, flow, group of $AGENTS; 200; ACK; BYE), $SECS s per step;"
echo "the anchor: the same sipp calls through Kamailio's stateful proxy to a sipp UAS"
echo
kcfg=$(mktemp); sed "s/127.0.0.18:5190/$KAM_IP:25060/; s/UAS_ADDRESS/$KUAS_IP:25100/" bench/anchors/kamailio-proxy.cfg > "$kcfg"
kamailio -f "$kcfg" -m 512 -M 32 -x tlsf -X tlsf -P "$OUT/kamailio.pid" -DD -E >"$OUT/kamailio.log" 2>&1 &
kam=$!; pids+=("$kam")
(cd "$OUT" && exec sipp -sn uas -i "$KUAS_IP" -p 25100 -nostdin -buff_size 4194304 -default_behaviors all,-abortunexp >kuas.out 2>&1) &
pids+=("$!")
sleep 1

# setup_step NAME SERVERPID TARGET RATE: one sipp run of short calls; a table row.
setup_step() {
  local name=$1 spid=$2 target=$3 r=$4 dir="$OUT/cps-$1-$4"; mkdir -p "$dir"
  local t0 c0 t1 c1; t0=$(date +%s.%N); c0=$(cpu_ticks "$spid")
  if [ -n "${PROFILE:-}" ] && [ "$name" = pbx ]; then
    (sleep $((SECS / 4)); curl -s -o "$dir/allocs0.pprof" "http://$PBX_IP:28080/debug/pprof/allocs"
     curl -s -o "$dir/cpu.pprof" "http://$PBX_IP:28080/debug/pprof/profile?seconds=$((SECS / 2))"
     curl -s -o "$dir/allocs1.pprof" "http://$PBX_IP:28080/debug/pprof/allocs") &
  fi
  (cd "$dir" && sipp "$target" -sn uac -s +15550009999 -i "$CARRIER_IP" -p 25101 -r "$r" -m $((r * SECS)) \
    -l $((r * 4)) -nostdin -buff_size 4194304 -timeout $((SECS * 4))s -trace_stat -fd 1 -stf stats.csv \
    -default_behaviors all,-abortunexp >sipp.out 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ticks "$spid")
  local head line; head=$(head -n 1 "$dir/stats.csv"); line=$(tail -n 1 "$dir/stats.csv")
  col() { echo "$head" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
  local ok fail retr
  ok=$(echo "$line" | cut -d';' -f"$(col 'SuccessfulCall(C)')"); fail=$(echo "$line" | cut -d';' -f"$(col 'FailedCall(C)')")
  retr=$(echo "$line" | cut -d';' -f"$(col 'Retransmissions(C)')")
  awk -v n="$name" -v r="$r" -v ok="$ok" -v f="$fail" -v x="$retr" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v m="$(rss_kib "$spid")" \
    'BEGIN { el=t1-t0; printf "| %s | %d | %.0f | %d | %d | %d | %.0f%% | %.0f |\n", n, r, ok/el, ok, f, x, 100*(c1-c0)/hz/el, m/1024 }'
  sleep 2
}

if [[ $PARTS == *1* ]]; then
echo "| server | offered cps | done cps | ok | failed | retrans | server CPU | server RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
IFS=, read -ra rates <<< "$RATES"
for r in "${rates[@]}"; do
  setup_step pbx "$pbx" "$PBX_IP:25060" "$r"
  setup_step kamailio "$kam" "$KAM_IP:25060" "$r"
done
fi

[[ $PARTS == *2* ]] && {
echo
echo "Part 2: concurrent calls with G.711 media both ways (uac_pcap ~10 s per call, agent echoes)"
rate=$(( TARGET / 8 ))
in0=$(metric 'pbx_rtp_packets_relayed_total{direction="caller_to_agent"}'); in0=${in0:-0}
back0=$(metric 'pbx_rtp_packets_relayed_total{direction="agent_to_caller"}'); back0=${back0:-0}
rss0=$(rss_kib "$pbx")
heap0=$(metric go_memstats_heap_inuse_bytes)
dir="$OUT/media"; mkdir -p "$dir"; ln -sfn /usr/share/sip-tester "$dir/pcap"
c0=$(cpu_ticks "$pbx"); t0=$(date +%s.%N)
(cd "$dir" && exec sipp "$PBX_IP:25060" -sn uac_pcap -s +15550009999 -i "$CARRIER_IP" -p 25102 -mi "$CARRIER_IP" -r "$rate" -m "$TARGET" \
  -l $((TARGET + 100)) -nostdin -buff_size 4194304 -timeout 120s -trace_stat -fd 1 -stf stats.csv \
  -default_behaviors all,-abortunexp >sipp.out 2>&1) &
sp=$!
peak=0; peak_rss=0; peak_heap=0
while kill -0 "$sp" 2>/dev/null; do
  a=$(metric pbx_calls_active); a=${a:-0}
  if [ "$a" -gt "$peak" ]; then peak=$a; peak_rss=$(rss_kib "$pbx"); peak_heap=$(metric go_memstats_heap_inuse_bytes); fi
  sleep 1
done
wait "$sp" || true
t1=$(date +%s.%N); c1=$(cpu_ticks "$pbx")
sleep 1
in1=$(metric 'pbx_rtp_packets_relayed_total{direction="caller_to_agent"}'); back1=$(metric 'pbx_rtp_packets_relayed_total{direction="agent_to_caller"}')
lost_in=$(metric 'pbx_rtp_packets_lost_total{direction="caller_to_agent"}'); lost_back=$(metric 'pbx_rtp_packets_lost_total{direction="agent_to_caller"}')
line=$(tail -n 1 "$dir/stats.csv"); head=$(head -n 1 "$dir/stats.csv")
col() { echo "$head" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
ok=$(echo "$line" | cut -d';' -f"$(col 'SuccessfulCall(C)')"); fail=$(echo "$line" | cut -d';' -f"$(col 'FailedCall(C)')")
echo
echo "| calls | ok | failed | peak concurrent | RTP relayed carrier->agent | agent->carrier | lost (gaps seen) | pbx CPU (avg) | RSS at peak MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -v n="$TARGET" -v ok="$ok" -v f="$fail" -v p="$peak" -v i0="$in0" -v i1="$in1" -v b0="$back0" -v b1="$back1" \
  -v li="${lost_in:-0}" -v lb="${lost_back:-0}" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v h0="$heap0" -v hp="$peak_heap" -v rp="$peak_rss" \
  'BEGIN { el=t1-t0; rel=(i1-i0)+(b1-b0); lost=li+lb;
    printf "| %d | %d | %d | %d | %d | %d | %d (%.3f%%) | %.0f%% | %.0f |\n", n, ok, f, p, i1-i0, b1-b0, lost, (rel>0?100*lost/(rel+lost):0), 100*(c1-c0)/hz/el, rp/1024 }'
}
[[ $PARTS == *3* ]] && {
echo
echo "Part 3: memory per held call: 1000 calls set up at 100/s and held 70 s; the heap is read"
echo "once the setups' SIP transactions have expired (32 s after the last setup), against the"
echo "heap with no call, read the same way."
sleep 35
base=$(live_heap); base_rss=$(rss_kib "$pbx")
dir="$OUT/held"; mkdir -p "$dir"
(cd "$dir" && exec sipp "$PBX_IP:25060" -sn uac -s +15550009999 -i "$CARRIER_IP" -p 25103 -r 100 -m 1000 -d 70000 \
  -l 1100 -nostdin -buff_size 4194304 -timeout 150s -default_behaviors all,-abortunexp >sipp.out 2>&1) &
sp=$!
sleep 50
held=$(metric pbx_calls_active); heap=$(live_heap); rss=$(rss_kib "$pbx")
wait "$sp" || true
echo
echo "| calls held | live heap, no call MiB | live heap, calls held MiB | KiB per held call (live heap) | RSS delta KiB per call |"
echo "|---:|---:|---:|---:|---:|"
awk -v n="$held" -v b="$base" -v h="$heap" -v r0="$base_rss" -v r1="$rss" \
  'BEGIN { printf "| %d | %.0f | %.0f | %.1f | %.1f |\n", n, b/1048576, h/1048576, (n>0?(h-b)/1024/n:0), (n>0?(r1-r0)/n:0) }'
}
[ -n "${SOAK:-}" ] && {
IFS=, read -ra rates <<< "$RATES"
r=${rates[0]}
echo
echo "Part 4: $r calls/s for $SOAK s (short calls as in part 1); the PBX's memory every 30 s"
echo
echo "| s | calls bridged | RSS MiB | heap in use MiB | goroutines |"
echo "|---:|---:|---:|---:|---:|"
dir="$OUT/soak"; mkdir -p "$dir"
(cd "$dir" && exec sipp "$PBX_IP:25060" -sn uac -s +15550009999 -i "$CARRIER_IP" -p 25104 -r "$r" -m $((r * SOAK)) \
  -l $((r * 4)) -nostdin -buff_size 4194304 -timeout $((SOAK + 120))s -trace_stat -fd 1 -stf stats.csv \
  -default_behaviors all,-abortunexp >sipp.out 2>&1) &
sp=$!
c0=$(metric pbx_calls_bridged_total); c0=${c0:-0}
for ((el = 30; el <= SOAK; el += 30)); do
  sleep 30
  printf '| %d | %.0f | %.0f | %.0f | %.0f |\n' "$el" "$(( $(printf '%.0f' "$(metric pbx_calls_bridged_total)") - ${c0%.*} ))" \
    "$(( $(rss_kib "$pbx") / 1024 ))" "$(awk -v b="$(metric go_memstats_heap_inuse_bytes)" 'BEGIN {print b/1048576}')" "$(metric go_goroutines)"
done
wait "$sp" || true
line=$(tail -n 1 "$dir/stats.csv"); head=$(head -n 1 "$dir/stats.csv")
col() { echo "$head" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
echo
echo "sipp: $(echo "$line" | cut -d';' -f"$(col 'SuccessfulCall(C)')") ok, $(echo "$line" | cut -d';' -f"$(col 'FailedCall(C)')") failed, $(echo "$line" | cut -d';' -f"$(col 'Retransmissions(C)')") retransmissions"
}
echo
echo "peak RSS of the run: $(( $(peak_kib "$pbx") / 1024 )) MiB"
rm -rf "$data" "$kcfg"
