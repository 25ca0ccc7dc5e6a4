#!/usr/bin/env bash
# The PBX's own media under load, sipp as the carrier on loopback.
#
#   Phase 1, IVR: N calls into a flow whose menu (an ivr state, a text
#   prompt read by espeak-ng) takes key 1 to a second ivr state playing a
#   long uploaded WAV. Each call sends key 1 as RFC 4733 events (the
#   sip-tester pcap) 4 s after its answer and stays. Over a steady window:
#   calls the PBX plays to (its pbx_calls_playing gauge), keys it detected
#   (pbx_dtmf_keys_total), packets it sent and how late against their 20 ms
#   schedule (the pbx_rtp_send_lateness_seconds histogram, its difference
#   over the window), CPU and RSS; and, independently of the PBX's own
#   clock readings, tcpdump on lo times the packets sent to the first 100
#   calls as they leave, against their RTP timestamps, from each prompt's
#   first packet on.
#   Phase 2, recorded calls: N calls through a transfer_group state with
#   "record": true to registered agents (one sipp UAS echoing the audio);
#   the carrier's audio in 20 ms A-law packets, each call from its own
#   port on its own packet clock (the helper's "carrier": see why in
#   main.go). Recordings open, CPU, RSS,
#   packets relayed, how long the PBX holds each packet it relays (tcpdump,
#   packets matched by SSRC and sequence number), and after the calls the
#   recordings on disk. In the same run, sipp alone (the same carrier
#   scenario straight to the same echoing UAS, no PBX) for the anchor in
#   bench/anchors ("sipp RTP echo alone").
#
# Usage: [PHASES=ivr,recorded] [PROFILE=1] bench/media/run.sh [calls] [seconds]
#   calls    concurrent calls in each phase (default 500)
#   seconds  steady-state window (default 30)
#   PBX_WRAP a command to start the PBX under, e.g. "chrt -f 10" (an
#            experiment: the PBX at real-time priority)
#   CARRIER_WRAP  the command phase 2's carrier runs under; by default
#            "chrt -f 5" where allowed: real-time priority, below the PBX's
#            media threads (10). The carrier stands in for a carrier's own
#            machine; at normal priority, on 2 cores it shares with the PBX,
#            sipp and tcpdump, it is starved and sends 500 calls' packets in
#            bursts up to 100 ms late, and the PBX's hold then measures the
#            queue behind those bursts. CARRIER_WRAP= runs it so.
#   RECORD   false: phase 2's calls are relayed (still transcoded) but not
#            recorded, for the relay alone at a higher count
#   PHASES   which phases to run; PROFILE=1 saves a runtime trace of phase 1's
#            call set-up and of phase 2's first 5 s, and CPU profiles of both
#            windows (they disturb both)
set -Eeuo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
ROOT=$PWD
N=${1:-500}
SECS=${2:-30}
PHASES=${PHASES:-ivr,recorded}
if [ -z "${CARRIER_WRAP+set}" ]; then
  CARRIER_WRAP=""; chrt -f 5 true 2>/dev/null && CARRIER_WRAP="chrt -f 5"
fi
RAMP=5 # seconds to set the calls up
PBX_IP=127.0.60.1 CARRIER_IP=127.0.60.2 AGENT_IP=127.0.60.3
OUT=$ROOT/bench/out/media
rm -rf "$OUT"; mkdir -p "$OUT"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for pkg in sipp:sip-tester tcpdump:tcpdump espeak-ng:espeak-ng; do
  command -v "${pkg%%:*}" >/dev/null || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkg##*:}" >/dev/null; }
done

pids=()
# sipp's RTP sockets drop packets under load with the default buffers
# (bench/anchors/README.md): raise them for the run, restore after.
rmem=$(sysctl -n net.core.rmem_default 2>/dev/null || echo "")
[ -n "$rmem" ] && as_root sysctl -qw net.core.rmem_default=8388608 2>/dev/null || true
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ -n "$rmem" ] && as_root sysctl -qw net.core.rmem_default="$rmem" 2>/dev/null || true
  [ -n "${data:-}" ] && rm -rf "$data"
}
trap cleanup EXIT
trap "exit 130" INT TERM # the EXIT trap then cleans up
trap 'echo "run.sh: failed at line $LINENO" >&2' ERR
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
api() { curl -sf -H 'Authorization: Bearer bench-admin-token-0123456789' -H 'Content-Type: application/json' "http://$PBX_IP:28080/api/v1/$1" "${@:2}"; }
scrape() { curl -s "http://$PBX_IP:28080/metrics"; }
metric() { scrape | awk -v m="$1" '$1==m {print $2}'; }
num() { printf '%.0f' "${1:-0}"; }
# per_sec N T0 T1: N over the time from T0 to T1 (Unix ns).
per_sec() { awk -v n="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.0f", n/((t1-t0)/1e9) }'; }
# cpu_pct C0 C1 T0 T1: CPU ticks C0 to C1 as a percentage of one core over T0 to T1 (Unix ns).
cpu_pct() { awk -v c0="$1" -v c1="$2" -v t0="$3" -v t1="$4" -v hz="$hz" 'BEGIN { printf "%.0f", 100*(c1-c0)/hz/((t1-t0)/1e9) }'; }
# sipp_col DIR COLUMN: a cumulative column of sipp's last statistics line.
sipp_col() {
  local head line; head=$(head -n 1 "$1/stats.csv"); line=$(tail -n 1 "$1/stats.csv")
  echo "$line" | cut -d';' -f"$(echo "$head" | tr ';' '\n' | grep -nx "$2" | cut -d: -f1)"
}
# unreachable: ICMP port-unreachables the machine sent (a packet to a port
# nobody opened); the media sinks keep it near 0.
unreachable() { awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["OutDestUnreachs"] }' /proc/net/snmp; }
# recs_open: recording files the PBX holds open now.
# (find fails when a descriptor closes under it: not an error here.)
recs_open() { { find "/proc/$pbx/fd" -lname "$data/recordings/*" 2>/dev/null || true; } | wc -l; }

echo "building pbx and the helper"
go build -o "$OUT/pbx" ./cmd/pbx
go build -o "$OUT/mb" ./bench/media
data=$(mktemp -d ${BENCH_TMP:+-p $BENCH_TMP})
PBX_ADMIN_TOKEN=bench-admin-token-0123456789 PBX_SIP_ADDR=$PBX_IP:25060 PBX_HTTP_ADDR=$PBX_IP:28080 PBX_DATA_DIR=$data \
  PBX_RTP_PORTS=20000-39999 PBX_MEDIA_TIMEOUT=300s PBX_LOG_LEVEL=warn PBX_GUARD_MAX_FAILURES=0 PBX_SIP_RATE_LIMIT=0 PBX_BILLING_ENABLED=false PBX_HTTP_PPROF=true \
  ${PBX_WRAP:-} "$OUT/pbx" serve >"$OUT/pbx.log" 2>&1 &
pbx=$!; pids+=("$pbx")
for _ in $(seq 100); do curl -sf "http://$PBX_IP:28080/healthz" >/dev/null && break; sleep 0.1; done
sleep 0.3; kill -0 "$pbx" || { cat "$OUT/pbx.log"; exit 1; }

# The calls stay in media for HOLD s after their key: the ramp, the wait
# for the keys, both windows and a margin.
HOLD=$((RAMP + 10 + SECS + 10))
"$OUT/mb" wav $((HOLD + 30)) "$OUT/prompt.wav"
AGENTS=$((N + 50))
echo "creating a trunk, two numbers, $AGENTS agents in a group, a $((HOLD + 30)) s prompt and two flows"
api trunks -d "{\"name\":\"Carrier\",\"host\":\"$CARRIER_IP\",\"inbound_cidrs\":[\"$CARRIER_IP\"]}" >/dev/null
api numbers -d '{"e164":"+15550006001","type":"toll_free","country":"US","trunk_id":1}' >/dev/null
api numbers -d '{"e164":"+15550006002","type":"toll_free","country":"US","trunk_id":1}' >/dev/null
file_id=$(curl -sf -H 'Authorization: Bearer bench-admin-token-0123456789' -H 'Content-Type: audio/wav' --data-binary @"$OUT/prompt.wav" \
  "http://$PBX_IP:28080/api/v1/media?name=bench-prompt" | grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$')
[ -n "$file_id" ] || { echo "prompt upload failed"; exit 1; }
api flows -d "{\"name\":\"IVR bench\",\"numbers\":[\"+15550006001\"],\"states\":[{\"id\":\"start\",\"type\":\"start\"},
  {\"id\":\"menu\",\"type\":\"ivr\",\"prompt\":{\"text\":\"Welcome to the benchmark. For sales, press 1. For support, press 2. To hear this menu again, stay on the line.\"}},
  {\"id\":\"sales\",\"type\":\"ivr\",\"prompt\":{\"file_id\":$file_id}},
  {\"id\":\"bye\",\"type\":\"announce\",\"prompt\":{\"text\":\"Goodbye.\"}}],
  \"connections\":[{\"from\":\"start\",\"outcome\":\"next\",\"to\":\"menu\"},{\"from\":\"menu\",\"outcome\":\"1\",\"to\":\"sales\"},
  {\"from\":\"sales\",\"outcome\":\"9\",\"to\":\"bye\"}]}" >/dev/null
api flows/1/publish -X POST >/dev/null
seq 300000 $((300000 + AGENTS - 1)) | xargs -P 8 -I{} curl -sf -o /dev/null -H 'Authorization: Bearer bench-admin-token-0123456789' \
  "http://$PBX_IP:28080/api/v1/users" -d '{"name":"Agent {}","extension":"{}","sip_password":"pass-{}"}'
api groups -d "{\"name\":\"Agents\",\"member_ids\":[$(seq -s, 1 "$AGENTS")]}" >/dev/null
api flows -d '{"name":"Recorded bench","numbers":["+15550006002"],"states":[{"id":"start","type":"start"},
  {"id":"agents","type":"transfer_group","group_id":1,"ring":"sequential","ring_seconds":10,"record":'"${RECORD:-true}"'}],
  "connections":[{"from":"start","outcome":"next","to":"agents"}]}' >/dev/null
api flows/2/publish -X POST >/dev/null
ln -sfn /usr/share/sip-tester "$OUT/pcap"

machine="$(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r), sipp $( (sipp -v 2>&1 || true) | grep -o "v[0-9.]*" | head -1)"
echo
echo "Machine: $machine"
echo "Command: ${PBX_WRAP:+PBX_WRAP=\"$PBX_WRAP\" }bench/media/run.sh $N $SECS (carrier under: ${CARRIER_WRAP:-nothing, normal priority})"
read -r _ u0 n0 s0 i0 w0 q0 sq0 st0 _ </proc/stat; sleep 5; read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
echo "CPU busy before the calls (5 s, all cores): $(( 100 - 100 * (i1 + w1 - i0 - w0) / (u1 + n1 + s1 + i1 + w1 + q1 + sq1 + st1 - u0 - n0 - s0 - i0 - w0 - q0 - sq0 - st0) ))% (other work shares the cores)"

# ---------------------------------------------------------------- phase 1
if [[ $PHASES == *ivr* ]]; then
echo
echo "Phase 1: $N calls into the IVR (menu read by espeak-ng, key 1 by RFC 4733 after 4 s, then a $((HOLD + 30)) s WAV prompt)"
rate=$(( (N + RAMP - 1) / RAMP ))
keys0=$(num "$(metric 'pbx_dtmf_keys_total{method="rfc4733"}')")
dir="$OUT/ivr"; mkdir -p "$dir"; ln -sfn /usr/share/sip-tester "$dir/pcap"
# tcpdump on lo keeps what the PBX sends to the first SAMPLE calls (their
# ports come first from a fresh port pool), from their first packet on.
SAMPLE=$(( N < 100 ? N : 100 ))
tcpdump -i lo -nn -s 64 --time-stamp-precision=nano -B 65536 -w "$dir/sent.pcap" \
  "udp and src host $PBX_IP and src portrange 20000-$((20000 + 2 * SAMPLE - 1))" >"$dir/tcpdump.out" 2>&1 &
td=$!; pids+=("$td")
# sipp advertises a media port per call ([auto_media_port]: 40000, 40004,
# ...) and opens only the first (its -mp socket): a sink binds the others.
"$OUT/mb" sink "$CARRIER_IP" 40004 4 "$N" 2>"$dir/sink.out" &
sink=$!; pids+=("$sink")
sleep 1
(cd "$dir" && exec sipp "$PBX_IP:25060" -sf "$ROOT/bench/media/ivr-uac.xml" -s +15550006001 -i "$CARRIER_IP" -p 25061 \
  -mi "$CARRIER_IP" -mp 40000 -r "$rate" -m "$N" -l "$N" -d $((HOLD * 1000)) -nostdin -buff_size 4194304 \
  -timeout $((HOLD + 120))s -trace_stat -fd 1 -stf stats.csv -default_behaviors all,-abortunexp >sipp.out 2>&1) &
sp=$!; pids+=("$sp")
start=$(date +%s)
if [ -n "${PROFILE:-}" ]; then
  echo "  PROFILE: a runtime trace of the calls' set-up ($dir/ramp.trace) and a CPU profile of the window ($dir/cpu.pprof)"
  curl -s -o "$dir/ramp.trace" "http://$PBX_IP:28080/debug/pprof/trace?seconds=$((RAMP + 5))" &
fi
while :; do
  k=$(( $(num "$(metric 'pbx_dtmf_keys_total{method="rfc4733"}')") - keys0 ))
  el=$(( $(date +%s) - start ))
  [ "$k" -ge "$N" ] && break
  [ "$el" -ge $((RAMP + 10)) ] && { echo "  only $k of $N keys after ${el}s; measuring anyway"; break; }
  sleep 1
done
sleep 2

# The steady window: the PBX sampled once a second.
scrape >"$dir/before.prom"
u0=$(unreachable)
[ -z "${PROFILE:-}" ] || curl -s -o "$dir/cpu.pprof" "http://$PBX_IP:28080/debug/pprof/profile?seconds=$SECS" &
c0=$(cpu_ticks "$pbx"); t0=$(date +%s%N)
minp=999999 maxp=0 mina=999999 rss=0
for ((i = 0; i < SECS; i++)); do
  sleep 1
  p=$(num "$(metric pbx_calls_playing)"); a=$(num "$(metric pbx_calls_active)"); r=$(rss_kib "$pbx")
  if ((p < minp)); then minp=$p; fi
  if ((p > maxp)); then maxp=$p; fi
  if ((a < mina)); then mina=$a; fi
  if ((r > rss)); then rss=$r; fi
done
c1=$(cpu_ticks "$pbx"); t1=$(date +%s%N)
scrape >"$dir/after.prom"
unreach=$(( $(unreachable) - u0 ))
kill "$td"; wait "$td" 2>/dev/null || true
cpu=$(cpu_pct "$c0" "$c1" "$t0" "$t1")
keys=$(( $(num "$(metric 'pbx_dtmf_keys_total{method="rfc4733"}')") - keys0 ))
read -r h_count h_p50 h_p99 h_p999 h_maxle h_over < <("$OUT/mb" hist pbx_rtp_send_lateness_seconds "$dir/before.prom" "$dir/after.prom")
pps=$(per_sec "$h_count" "$t0" "$t1")
read -r r_spurts r_anchored r_packets _ r_p50 r_p99 r_p999 r_max r_over j_p50 j_p99 j_p999 j_max j_over r_iat99 r_iatmax < <("$OUT/mb" rtp "$dir/sent.pcap" "$t0" "$t1")
echo "  waiting for the calls to end"
wait "$sp" || true
kill "$sink"; wait "$sink" 2>/dev/null || true
ok=$(sipp_col "$dir" 'SuccessfulCall(C)'); fail=$(sipp_col "$dir" 'FailedCall(C)')
echo
echo "| calls offered | in IVR, PBX playing (min-max) | calls up (min) | keys detected (RFC 4733) | RTP sent/s | PBX CPU | PBX RSS MiB | sipp ok | sipp failed | ICMP unreachable/s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| $N | $minp-$maxp | $mina | $keys | $pps | $cpu% | $((rss / 1024)) | $ok | $fail | $((unreach / SECS)) |"
echo
echo "Lateness of the packets the PBX sent in the $SECS s window against their 20 ms schedule, two ways:"
echo "- PBX histogram: pbx_rtp_send_lateness_seconds, all calls (its difference over the window; the max is a bucket bound);"
echo "- capture on lo: tcpdump's times for the first $SAMPLE calls against their RTP timestamps, relative to the first"
echo "  packet of each prompt (captured: 'anchored'; the prompts started before the window), else to the stream's least"
echo "  late packet; and relative to each stream's least late packet within the window (jitter in the window, which"
echo "  leaves out how far a stream had fallen behind before it)."
echo
echo "| source | prompts (anchored) | packets | p50 µs | p99 µs | p99.9 µs | max µs | > 1 ms | inter-arrival deviation p99 µs | max µs |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| PBX histogram | $minp-$maxp | $h_count | $h_p50 | $h_p99 | $h_p999 | ≤ $h_maxle | $h_over% | - | - |"
echo "| capture on lo, from each prompt's start | $r_spurts ($r_anchored) | $r_packets | $r_p50 | $r_p99 | $r_p999 | $r_max | $r_over% | $r_iat99 | $r_iatmax |"
echo "| capture on lo, jitter within the window | $r_spurts | $r_packets | $j_p50 | $j_p99 | $j_p999 | $j_max | $j_over% | (same) | (same) |"
echo
echo "No peer in bench/anchors plays prompts, so phase 1 has no anchor row."
sleep 3
fi

# ---------------------------------------------------------------- phase 2
[[ $PHASES == *recorded* ]] || exit 0
# One call less per second than the ramp needs: at 100 calls/s every call
# would start on a multiple of 10 ms, and all of their 20 ms packet clocks
# would fall in two instants, a burst no set of real callers sends. At 99
# calls/s they spread over the 20 ms.
rate=$(( (N + RAMP - 1) / RAMP - 1 ))
echo
echo "Phase 2: $N calls to agents, $([ "${RECORD:-true}" = true ] && echo "recorded (stereo WAV per call)" || echo "relayed, not recorded") (carrier streams A-law to an agent that echoes it)"
echo "  registering $AGENTS agents (contacts at one sipp UAS, $AGENT_IP:25100)"
{ echo SEQUENTIAL; for ((i = 0; i < AGENTS; i++)); do u=$((300000 + i)); echo "$u;[authentication username=$u password=pass-$u]"; done; } >"$OUT/agents.csv"
(cd "$OUT" && sipp "$PBX_IP:25060" -sf "$ROOT/test/peers/testdata/register-auth.xml" -inf agents.csv -m "$AGENTS" -r 500 \
  -i "$AGENT_IP" -p 25100 -nostdin -timeout 60s >register.out 2>&1) || true
echo "  registered: $(metric pbx_registrations)"
(cd "$OUT" && exec sipp -sn uas -i "$AGENT_IP" -p 25100 -mi "$AGENT_IP" -mp 50000 -rtp_echo -nostdin \
  -buff_size 4194304 -default_behaviors all,-abortunexp >uas.out 2>&1) &
uas=$!; pids+=("$uas")
sleep 0.5
# The carrier's scenario: once answered, the answer's media address goes to
# the carrier helper through a FIFO, and the call lasts CALL_SECS.
CALL_SECS=$((RAMP + 8 + SECS + 10))
"$OUT/mb" alaw 60 "$OUT/carrier.al"
play="  <nop><action><exec command=\"echo [\$rip]:[\$rport] >$OUT/calls.fifo\"/></action></nop>\\n  <pause milliseconds=\"$((CALL_SECS * 1000))\"/>"
sed "s|.*<!-- PLAYBACK -->.*|$play|" "$ROOT/bench/media/rec-uac.xml" >"$OUT/rec-uac.xml"

# recorded TARGET NAME PID: N calls of rec-uac.xml to TARGET; measures PID.
recorded() {
  local target=$1 name=$2 spid=$3
  dir="$OUT/$name"; mkdir -p "$dir"; ln -sfn /usr/share/sip-tester "$dir/pcap"
  # What reaches the agent: relayed by the PBX, or sent by sipp directly.
  # Via the PBX, also what reaches it from the carrier, to match each
  # relayed packet with its arrival.
  local filter="udp and src host $CARRIER_IP and dst host $AGENT_IP and dst port 50000"
  [ "$spid" = "$pbx" ] && filter="udp and ((src host $PBX_IP and dst host $AGENT_IP and dst port 50000) or (src host $CARRIER_IP and dst host $PBX_IP))"
  tcpdump -i lo -nn -s 64 --time-stamp-precision=nano -B 65536 -w "$dir/rtp.pcap" "$filter" >"$dir/tcpdump.out" 2>&1 &
  local td=$!; pids+=("$td")
  rm -f "$OUT/calls.fifo"; mkfifo "$OUT/calls.fifo"
  ${CARRIER_WRAP:-} "$OUT/mb" carrier "$CARRIER_IP" "$OUT/calls.fifo" "$OUT/carrier.al" "$CALL_SECS" 2>"$dir/carrier.out" &
  local car=$!; pids+=("$car")
  (cd "$dir" && exec sipp "$target" -sf "$OUT/rec-uac.xml" -s +15550006002 -i "$CARRIER_IP" -p 25062 \
    -mi "$CARRIER_IP" -mp 44000 -r "$rate" -m "$N" -l "$N" -nostdin -buff_size 4194304 \
    -timeout $((CALL_SECS + 120))s -trace_stat -fd 1 -stf stats.csv -default_behaviors all,-abortunexp >sipp.out 2>&1) &
  local sp=$!; pids+=("$sp")
  sleep $((RAMP + 6))
  local c0 t0 c1 t1 sc0 sc1 mina=999999 recs=999999 rss=0 a o r i
  if [ -n "${PROFILE:-}" ] && [ "$spid" = "$pbx" ]; then
    curl -s -o "$dir/cpu.pprof" "http://$PBX_IP:28080/debug/pprof/profile?seconds=$SECS" &
    curl -s -o "$dir/window.trace" "http://$PBX_IP:28080/debug/pprof/trace?seconds=5" &
  fi
  c0=$(cpu_ticks "$spid"); sc0=$(( $(cpu_ticks "$sp") + $(cpu_ticks "$uas") + $(cpu_ticks "$car") )); t0=$(date +%s%N)
  for ((i = 0; i < SECS; i++)); do
    sleep 1
    r=$(rss_kib "$spid")
    if ((r > rss)); then rss=$r; fi
    if [ "$spid" = "$pbx" ]; then
      a=$(num "$(metric pbx_calls_active)"); o=$(recs_open)
      if ((a < mina)); then mina=$a; fi
      if ((o < recs)); then recs=$o; fi
    fi
  done
  c1=$(cpu_ticks "$spid"); sc1=$(( $(cpu_ticks "$sp") + $(cpu_ticks "$uas") + $(cpu_ticks "$car") )); t1=$(date +%s%N)
  kill "$td"; wait "$td" 2>/dev/null || true
  g_cpu=$(cpu_pct "$c0" "$c1" "$t0" "$t1")
  g_sipp=$(cpu_pct "$sc0" "$sc1" "$t0" "$t1")
  g_rss=$((rss / 1024)) g_mina=$mina g_recs=$recs
  if [ "$spid" != "$pbx" ]; then g_mina=- g_recs=-; fi
  tcpdump -r "$dir/rtp.pcap" -w "$dir/to-agent.pcap" "dst host $AGENT_IP" 2>/dev/null
  read -r _ _ g_packets _ g_p50 g_p99 g_p999 g_max g_over _ _ _ _ _ g_iat99 g_iatmax < <("$OUT/mb" rtp "$dir/to-agent.pcap" "$t0" "$t1" || echo "- - 0 - - - - - - - - - - - - -")
  g_pps=$(per_sec "$g_packets" "$t0" "$t1")
  g_relay="- - - - - -" g_in="- - - - - - -"
  if [ "$spid" = "$pbx" ]; then
    g_relay=$("$OUT/mb" relay "$dir/rtp.pcap" "$PBX_IP" "$t0" "$t1" || echo "- - - - - -")
    # What the carrier sent, as it reached the PBX: its own jitter.
    tcpdump -r "$dir/rtp.pcap" -w "$dir/from-carrier.pcap" "src host $CARRIER_IP" 2>/dev/null
    local n p50 p99 p999 pmax over iat99
    read -r _ _ n _ p50 p99 p999 pmax over _ _ _ _ _ iat99 _ < <("$OUT/mb" rtp "$dir/from-carrier.pcap" "$t0" "$t1" || echo "- - 0 - - - - - - - - - - - - -")
    g_in="$(per_sec "$n" "$t0" "$t1") $p50 $p99 $p999 $pmax $over $iat99"
  fi
  wait "$sp" || true
  kill "$car"; wait "$car" 2>/dev/null || true
  g_ok=$(sipp_col "$dir" 'SuccessfulCall(C)'); g_fail=$(sipp_col "$dir" 'FailedCall(C)')
}

rel0=$(( $(num "$(metric 'pbx_rtp_packets_relayed_total{direction="caller_to_agent"}')") + $(num "$(metric 'pbx_rtp_packets_relayed_total{direction="agent_to_caller"}')") ))
recorded "$PBX_IP:25060" recorded "$pbx"
sleep 2
rel1=$(( $(num "$(metric 'pbx_rtp_packets_relayed_total{direction="caller_to_agent"}')") + $(num "$(metric 'pbx_rtp_packets_relayed_total{direction="agent_to_caller"}')") ))
lost_ca=$(num "$(metric 'pbx_rtp_packets_lost_total{direction="caller_to_agent"}')")
lost_ac=$(num "$(metric 'pbx_rtp_packets_lost_total{direction="agent_to_caller"}')")
read -r p_cpu p_sipp p_rss p_mina p_recs p_pps p_p50 p_p99 p_p999 p_max p_over p_iat99 p_ok p_fail <<<"$g_cpu $g_sipp $g_rss $g_mina $g_recs $g_pps $g_p50 $g_p99 $g_p999 $g_max $g_over $g_iat99 $g_ok $g_fail"
read -r w_files w_min w_med w_max w_both < <("$OUT/mb" wavs "$data/recordings" 2>/dev/null || echo "0 - - - 0")
read -r x_sent x_matched x_p50 x_p99 x_p999 x_max <<<"$g_relay"
read -r i_pps i_p50 i_p99 i_p999 i_max i_over i_iat99 <<<"$g_in"
recorded "$AGENT_IP:25100" sipp-alone "$uas"
echo
echo "| path | calls offered | recordings open (min) | calls up (min) | RTP relayed, both ways (whole calls) | lost (from carrier, from agent) | server CPU | peers' CPU (sipp at both ends, the carrier's audio) | server RSS MiB | sipp ok | sipp failed |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| carrier → PBX ($([ "${RECORD:-true}" = true ] && echo recording || echo "relay, not recording")) → agent | $N | $p_recs | $p_mina | $((rel1 - rel0)) | $lost_ca, $lost_ac | $p_cpu% | $p_sipp% | $p_rss | $p_ok | $p_fail |"
echo "| carrier → agent, sipp alone (anchor) | $N | - | - | - | - | $g_cpu% (UAS) | $g_sipp% | $g_rss (UAS) | $g_ok | $g_fail |"
echo
echo "Timing of the carrier's audio (20 ms packets): tcpdump on lo over the $SECS s window, all calls, each stream against"
echo "its RTP timestamps, relative to its least late packet. The carrier's own sending jitter (one thread sending what"
echo "falls due on 0.25 ms ticks) is in every row, so it is measured as it reaches the PBX too (first row), and in the"
echo "sipp-alone run, without the PBX (last row). The carrier ran under: ${CARRIER_WRAP:-nothing (normal priority)}."
echo
echo "| path | packets/s | lateness p50 µs | p99 µs | p99.9 µs | max µs | > 1 ms | inter-arrival deviation p99 µs |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
echo "| carrier → PBX (the input, as it reaches the PBX) | $i_pps | $i_p50 | $i_p99 | $i_p999 | $i_max | $i_over% | $i_iat99 |"
echo "| via the PBX | $p_pps | $p_p50 | $p_p99 | $p_p999 | $p_max | $p_over% | $p_iat99 |"
echo "| sipp alone | $g_pps | $g_p50 | $g_p99 | $g_p999 | $g_max | $g_over% | $g_iat99 |"
echo
echo "How long the PBX held each packet it relayed to the agent (its capture time leaving, less the capture time of"
echo "the same packet, by SSRC and sequence number, arriving from the carrier); recording and A-law to u-law included:"
echo
echo "| packets sent to agent | matched | delay p50 µs | p99 µs | p99.9 µs | max µs |"
echo "|---:|---:|---:|---:|---:|---:|"
echo "| $x_sent | $x_matched | $x_p50 | $x_p99 | $x_p999 | $x_max |"
echo
echo "Recordings after the calls: $w_files WAV files, duration min/median/max $w_min/$w_med/$w_max s, $w_both with sound in both channels (first 20 s)."
echo "Each call lasted about $CALL_SECS s from its answer."
