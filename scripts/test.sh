#!/usr/bin/env bash
# The README's second command: installs what is missing, builds with warnings as
# errors, runs the unit tests (CTest), the integration tests (pytest, over real HTTP
# against the built server) and the browser UI's tests (Playwright driving Chromium),
# then the first two again under AddressSanitizer and UndefinedBehaviorSanitizer. Set PACSPORT_SKIP_SANITIZERS=1 for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

run_suite() {
  local dir=$1
  shift
  bash scripts/build.sh "$dir" "$@"
  ctest --test-dir "$dir" --output-on-failure -j 2
  PACSPORT_BIN="$PWD/$dir/src/app/pacsport" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
}

bash scripts/web-packages.sh  # web/ holds the validator test_openapi.py checks docs/openapi.json with
echo "== build and test =="
run_suite build
echo "== the browser UI in Chromium (web/e2e) =="
bash scripts/build-web.sh
bash scripts/test-node18-build.sh  # the same UI builds under Debian 12's Node.js 18 (decision 0021)
(cd web && PACSPORT_BIN="$PWD/../build/src/app/pacsport" node e2e/run.mjs)
if [ "${PACSPORT_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== build and test under ASan + UBSan =="
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-asan -DPACSPORT_SANITIZE=ON
fi
bash scripts/fuzz.sh  # libFuzzer harnesses, a bounded time each (docs/fuzzing.md)
