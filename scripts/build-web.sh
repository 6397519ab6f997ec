#!/usr/bin/env bash
# Builds the browser UI into web/dist, which `pacsport serve` serves at "/". Installs
# the npm packages of web/package-lock.json first when they are missing or older than
# the lock file.
set -euo pipefail
cd "$(dirname "$0")/../web"
# Node.js 18 (Debian 12's own) or later: the toolchain is chosen for it (decision 0021).
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  echo "the UI needs Node.js 18 or later (found $(node --version)); install Debian's nodejs and npm" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
