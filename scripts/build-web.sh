#!/usr/bin/env bash
# Builds the browser UI into web/dist, which `pacsport serve` serves at "/", after
# installing its npm packages when needed (scripts/web-packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web-packages.sh
cd web
npm run build --silent
