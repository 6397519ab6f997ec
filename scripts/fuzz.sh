#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang into build-fuzz/ (docs/fuzzing.md),
# replays every input kept under fuzz/regressions/<harness>/, then fuzzes each harness
# from its seed corpus, fuzz/corpus/<harness>/, for PACSPORT_FUZZ_SECONDS seconds
# (default 30; 0 replays the seeds and regressions only). Fails on any crash,
# sanitizer report, leak, broken property, input slower than 10 s, single allocation
# over 256 MiB or memory over 2 GiB; the input that did it is written to
# build-fuzz/artifacts/.
# New inputs go to build-fuzz/corpus/<harness>/, so a later run goes on from there.
# PACSPORT_FUZZ_HARNESSES="jwt config" runs only those harnesses.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${PACSPORT_FUZZ_SECONDS:-30}"
read -r -a harnesses <<<"${PACSPORT_FUZZ_HARNESSES:-dicom_instance jwt request config worker_protocol}"
dir=build-fuzz

echo "== fuzzing: ${harnesses[*]}, ${seconds} s each =="
CXX=clang++-14 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPACSPORT_FUZZ=ON >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${harnesses[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
for harness in "${harnesses[@]}"; do
  binary="$dir/fuzz/fuzz_$harness"
  options=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256
    -artifact_prefix="$dir/artifacts/$harness-")
  mkdir -p "$dir/artifacts" "$dir/corpus/$harness"
  regressions=(fuzz/regressions/"$harness"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "-- $harness: replaying ${#regressions[@]} regression input(s)"
    "$binary" "${options[@]}" "${regressions[@]}" 2>"$dir/$harness.log" ||
      { cat "$dir/$harness.log"; exit 1; }
  fi
  if [ "$seconds" = 0 ]; then
    run=(-runs=0)
  else
    run=(-max_total_time="$seconds")
  fi
  echo "-- $harness: fuzzing"
  "$binary" "${options[@]}" "${run[@]}" -print_final_stats=1 "$dir/corpus/$harness" \
    "fuzz/corpus/$harness" 2>"$dir/$harness.log" || { cat "$dir/$harness.log"; exit 1; }
  grep -E '^stat::(number_of_executed_units|new_units_added)' "$dir/$harness.log" | tr '\n' ' '
  echo
done
