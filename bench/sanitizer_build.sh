#!/usr/bin/env bash
# The sanitizer build's compile cost, side by side: the same translation units compiled
# with ASan + UBSan at -O2 -g (RelWithDebInfo's flags, what CI used) and at -O1 -g1
# (CMakeLists.txt's sanitizer flags now), one at a time, user CPU seconds summed.
# Usage: bash bench/sanitizer_build.sh [FILES...]  (default: eight of the heaviest units)
# Needs a configured build/ (scripts/build.sh) for its compile commands.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

files=("$@")
if ((${#files[@]} == 0)); then
  files=(src/http/routes_audit.cpp src/delivery/azure_blob_sender.cpp src/index/sql_jobs.cpp
         src/export/export_jobs.cpp src/orthanc/orthanc_catalog.cpp src/http/routes_export.cpp
         src/export/packager.cpp src/http/server.cpp)
fi
[[ -f build/compile_commands.json ]] || fail "configure build/ first: bash scripts/build.sh"
start_work_folder

# compile_seconds FLAGS FILE: user CPU seconds of compiling FILE as build/ does, its
# optimisation and debug flags replaced by FLAGS, under the sanitizers.
compile_seconds() {
  local command
  command=$(/usr/bin/python3 - "$2" <<'EOF'
import json, re, sys
for entry in json.load(open("build/compile_commands.json")):
    if entry["file"].endswith("/" + sys.argv[1]):
        command = re.sub(r"^\S*ccache ", "", entry["command"])
        command = re.sub(r" -O\d| -g\d?(?= )", "", command)
        print(re.sub(r" -o \S+", " -o /dev/null", command))
        break
EOF
)
  [[ -n $command ]] || fail "$2 is not in build/compile_commands.json"
  (cd build && /usr/bin/time -f %U -o "$WORK/time" $command $1 \
     -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
     -Wno-maybe-uninitialized)
  cat "$WORK/time"
}

log "$(command_line "" bench/sanitizer_build.sh "$@")"
printf '%-40s %12s %12s\n' "translation unit" "-O2 -g (s)" "-O1 -g1 (s)"
total_old=0 total_new=0
for file in "${files[@]}"; do
  old=$(compile_seconds "-O2 -g" "$file")
  new=$(compile_seconds "-O1 -g1" "$file")
  printf '%-40s %12s %12s\n' "$file" "$old" "$new"
  total_old=$(awk "BEGIN {print $total_old + $old}")
  total_new=$(awk "BEGIN {print $total_new + $new}")
done
printf '%-40s %12s %12s\n' "total" "$total_old" "$total_new"
