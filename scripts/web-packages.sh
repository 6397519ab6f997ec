#!/usr/bin/env bash
# Installs the npm packages of web/package-lock.json when they are missing or older than
# the lock file: the UI's toolchain, and the OpenAPI validator the integration tests use
# (tests/integration/test_openapi.py).
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
