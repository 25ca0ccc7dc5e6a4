#!/usr/bin/env bash
# Runs the admin app's browser tests: builds pbx and the app, starts the
# server on loopback with its own ports and data, drives it with headless
# Chromium through playwright-core, and stops it by its PID.
#
# Env: PBX_BROWSER_HTTP (127.0.0.1:18180), PBX_BROWSER_SIP (127.0.0.1:15180),
# PBX_BROWSER_RTP (35000-35099; a carrier's call comes from 127.0.58.2), CHROMIUM (/usr/bin/chromium), SIPP (sipp, which places the calls the call
# history shows), PBX_BROWSER_TESTS (the test files to run, such as
# "numbers.test.mjs"; all by default). Screenshots go to test/out/browser/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
http_addr="${PBX_BROWSER_HTTP:-127.0.0.1:18180}"
sip_addr="${PBX_BROWSER_SIP:-127.0.0.1:15180}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

fail() { echo "test/browser.sh: $*" >&2; exit 1; }

if [ ! -x "$CHROMIUM" ]; then
  echo "test/browser.sh: $CHROMIUM is missing; installing the Debian chromium package" >&2
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 ||
      fail "could not install chromium with apt-get"
  fi
  [ -x "$CHROMIUM" ] || fail "Chromium is needed at $CHROMIUM (apt-get install chromium) and could not be installed"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "test/browser.sh: node is missing; installing the Debian nodejs and npm packages" >&2
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } >&2 ||
      fail "could not install node with apt-get"
  fi
  command -v node >/dev/null || fail "Node.js 20 or later is needed (apt-get install nodejs npm) and could not be installed"
fi

command -v "${SIPP:-sipp}" >/dev/null || fail "sipp is needed to place the calls the call history shows (apt-get install sip-tester)"

work="$(mktemp -d "${TMPDIR:-/tmp}/pbx-browser.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== building the admin app"
"$root/web/ui/build.sh" >"$work/ui-build.log" 2>&1 || { cat "$work/ui-build.log" >&2; fail "the admin app did not build"; }
echo "== building pbx"
(cd "$root" && go build -o "$work/pbx" ./cmd/pbx) || fail "pbx did not build"

echo "== installing the test driver"
(cd "$root/test/browser" &&
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null
  fi) || fail "npm ci in test/browser failed"

token="browser-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
echo "== starting pbx on http://$http_addr"
PBX_ADMIN_TOKEN="$token" PBX_HTTP_ADDR="$http_addr" PBX_SIP_ADDR="$sip_addr" PBX_DATA_DIR="$work/data" \
  PBX_RTP_PORTS="${PBX_BROWSER_RTP:-35000-35099}" "$work/pbx" serve >"$work/pbx.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  if curl -fsS "http://$http_addr/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/pbx.log" >&2; fail "pbx exited at start (is $http_addr or $sip_addr in use?)"; }
  sleep 0.1
done
curl -fsS "http://$http_addr/healthz" >/dev/null || { cat "$work/pbx.log" >&2; fail "pbx did not answer /healthz"; }

echo "== running the browser tests"
status=0
(cd "$root/test/browser" && PBX_URL="http://$http_addr" PBX_SIP_ADDR="$sip_addr" PBX_ADMIN_TOKEN="$token" PBX_BROWSER_OUT="$root/test/out/browser" \
  node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout ${PBX_BROWSER_TESTS:-./*.test.mjs}) || status=$?
if [ "$status" != 0 ]; then
  echo "--- pbx log" >&2
  tail -n 50 "$work/pbx.log" >&2
  fail "browser tests failed; screenshots are in test/out/browser/"
fi
echo "screenshots: test/out/browser/"
