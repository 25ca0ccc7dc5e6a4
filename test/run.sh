#!/usr/bin/env bash
# Runs every test of the project: static checks, unit and in-process tests,
# real SIP peers on loopback (sipp, sipsak, baresip, SIPVicious), the storage
# paths on a real PostgreSQL server, and the admin app in headless Chromium. Installs the Debian packages the tests need when
# they are missing. Usage: test/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages the tests drive, by the command each provides.
declare -A need=(
  [sipp]=sip-tester [sipsak]=sipsak [svwar]=sipvicious [baresip]=baresip-core
  [chromium]=chromium [node]=nodejs [npm]=npm [pg_ctlcluster]=postgresql
  [espeak-ng]=espeak-ng [kamailio]=kamailio
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "FATAL: $cmd (Debian package ${need[$cmd]}) is missing and could not be installed" >&2; exit 1; }
done
command -v go >/dev/null 2>&1 || { echo "FATAL: go is not installed (https://go.dev/dl, into /usr/local/go)" >&2; exit 1; }

echo "== static checks"
# third_party/ holds forks kept byte-close to their upstream: their own style.
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; exit 1; fi
go vet ./...

echo "== go tests (unit, in-process, real peers on loopback)"
mkdir -p test/out
go test -race -count=1 -timeout 20m $(go list ./... | grep -v -e /test/postgres -e /test/cluster) 2>&1 | tee test/out/go-test.log
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || exit "$status"

echo "== PostgreSQL (a private server on loopback)"
test/postgres/run.sh

echo "== cluster (PostgreSQL, two nodes, Kamailio in front, on 127.0.15.x)"
test/cluster/run.sh

if [ -x test/browser.sh ]; then
  echo "== browser tests (headless Chromium)"
  test/browser.sh
fi
echo "all tests passed"
