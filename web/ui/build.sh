#!/usr/bin/env bash
# Builds the admin app into web/ui/dist, which `go build` then embeds.
# Safe to run again: installs dependencies only when package-lock.json changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web/ui/build.sh: node and npm are needed (Node.js 20.19 or later); install them, e.g. apt-get install nodejs npm" >&2
  exit 1
fi

# npm ci records the lock it installed in node_modules/.package-lock.json;
# reinstall when that is missing or older than package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# Clear old output but keep the committed placeholder that lets go:embed build without node.
find dist -mindepth 1 ! -name .keep -delete 2>/dev/null || true
npm run build
test -f dist/index.html || { echo "web/ui/build.sh: the build wrote no dist/index.html" >&2; exit 1; }
