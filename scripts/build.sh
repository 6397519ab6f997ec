#!/usr/bin/env bash
# Builds pacsport into build/ (or the folder given as $1) with warnings as errors.
# Extra arguments go to CMake, e.g. scripts/build.sh build-asan -DPACSPORT_SANITIZE=ON
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPACSPORT_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
