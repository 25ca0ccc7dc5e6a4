#!/usr/bin/env bash
# Starts a whole cluster on loopback with deploy/cluster.sh (a private
# PostgreSQL, two pbx nodes, Kamailio in front, on 127.0.15.x), runs the Go
# test that drives it with real peers (baresip, sipp, sipsak), and stops it
# by PID whatever happens. A missing tool fails the run; nothing is skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
for tool in kamailio sipp sipsak baresip; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FATAL: $tool is not installed (test/run.sh installs the peers; apt-get install kamailio)" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbx-cluster-test.XXXXXX")
rmdir "$dir" # cluster.sh makes it
export PBX_CLUSTER_DIR="$dir"
# Calls are free here but to one number (testdata/rates.csv), which checks
# the credit across nodes; a lost node is noticed within 15 s.
export PBX_RATES="$root/test/cluster/testdata/rates.csv" PBX_CLUSTER_DEAD_AFTER=15s PBX_LOG_LEVEL="${PBX_LOG_LEVEL:-info}"
cleanup() {
  status=$?
  if [ "$status" != 0 ] && [ -d "$dir" ]; then
    mkdir -p "$root/test/out/cluster"
    cp "$dir"/*.log "$root/test/out/cluster/" 2>/dev/null || true
    echo "cluster logs copied to test/out/cluster/" >&2
  fi
  "$root/deploy/cluster.sh" down
}
trap cleanup EXIT
"$root/deploy/cluster.sh" up
cd "$root"
go test -count=1 -v -timeout 10m ./test/cluster/
