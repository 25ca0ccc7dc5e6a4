#!/usr/bin/env bash
# Builds and runs the PBX with its embedded defaults (SQLite under ./data,
# SIP on :5060, web app and API on :8080). Extra arguments go to "pbx serve",
# e.g. ./run.sh --config pbx.yaml
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

# Text prompts are read aloud by espeak-ng (Debian package espeak-ng).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "installing: espeak-ng"
  { as_root apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null; } ||
    echo "warning: could not install espeak-ng; text prompts will play nothing" >&2
fi
if [ -x web/ui/build.sh ] && [ ! -f web/ui/dist/index.html ]; then
  web/ui/build.sh
fi
go build -o bin/pbx ./cmd/pbx
exec bin/pbx serve "$@"
