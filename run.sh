#!/usr/bin/env bash
# Builds and runs the PBX with its embedded defaults (SQLite under ./data,
# SIP on :5060, web app and API on :8080). Extra arguments go to "pbx serve",
# e.g. ./run.sh --config pbx.yaml
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"
if [ -x web/ui/build.sh ] && [ ! -f web/ui/dist/index.html ]; then
  web/ui/build.sh
fi
go build -o bin/pbx ./cmd/pbx
exec bin/pbx serve "$@"
