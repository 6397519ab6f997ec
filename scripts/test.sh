#!/usr/bin/env bash
# The README's second command: installs what is missing, builds with warnings as
# errors, runs the unit tests (CTest), the integration tests (pytest, over real HTTP
# against the built server), both again with the index in a throwaway PostgreSQL 15
# (scripts/postgres-test-server.sh), and the browser UI's tests (Playwright driving
# Chromium), then the unit tests and the integration tests of untrusted input and faults
# again under AddressSanitizer and UndefinedBehaviorSanitizer (a subset, to keep CI
# within its hour). Set PACSPORT_SKIP_SANITIZERS=1 for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

# run_suite DIR CTEST_ARGS PYTEST_FILES [CMAKE ARGS...]: builds DIR, runs CTest with
# CTEST_ARGS, then the integration tests PYTEST_FILES.
run_suite() {
  local dir=$1 ctest_args=$2 pytest_files=$3
  shift 3
  bash scripts/build.sh "$dir" "$@"
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" --output-on-failure -j 2 $ctest_args
  # shellcheck disable=SC2086
  PACSPORT_BIN="$PWD/$dir/src/app/pacsport" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    $pytest_files
}

# The index on PostgreSQL: the index's unit tests on a server where they make a
# database per test, then every integration test with a database per data directory.
run_postgres_round() {
  local pg_dir url
  pg_dir=$(mktemp -d)
  trap "bash scripts/postgres-test-server.sh stop '$pg_dir'" EXIT
  url=$(bash scripts/postgres-test-server.sh start "$pg_dir" "${PACSPORT_TEST_POSTGRES_PORT:-55430}")
  PACSPORT_TEST_POSTGRES_URL="$url" ctest --test-dir build --output-on-failure -j 2 \
    -R '^(index_test|schedule_test|auth_test|http_test)$'
  PACSPORT_TEST_INDEX=postgres PACSPORT_TEST_POSTGRES_URL="$url" PACSPORT_TEST_POSTGRES_THROWAWAY=1 \
    PACSPORT_BIN="$PWD/build/src/app/pacsport" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
  bash scripts/postgres-test-server.sh stop "$pg_dir"
  trap - EXIT
}

bash scripts/web-packages.sh  # web/ holds the validator test_openapi.py checks docs/openapi.json with
echo "== build and test =="
run_suite build "" tests/integration
echo "== the index on PostgreSQL 15 =="
run_postgres_round
echo "== the browser UI in Chromium (web/e2e) =="
bash scripts/build-web.sh
bash scripts/test-node18-build.sh  # the same UI builds under Debian 12's Node.js 18 (decision 0021)
(cd web && PACSPORT_BIN="$PWD/../build/src/app/pacsport" node e2e/run.mjs)
if [ "${PACSPORT_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== build and test under ASan + UBSan =="
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The ZIP64 size test (label slow) ran above; the integration files are those that
  # feed the server untrusted bytes or faults.
  run_suite build-asan "-LE slow" "$(printf 'tests/integration/test_%s.py ' ingest http_front \
    faults export_archives deidentify shared_state)" -DPACSPORT_SANITIZE=ON
fi
bash scripts/fuzz.sh  # libFuzzer harnesses, a bounded time each (docs/fuzzing.md)
