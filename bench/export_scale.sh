#!/usr/bin/env bash
# export_scale.sh [N...]: memory and first byte of an export of all at hospital scale
# (issue 13), on synthetic hospitals of N instances each (default 200000 2000000).
#
# For each N, bench/export_scale_index.py writes a synthetic index (one tiny real file
# shared by every instance: 1,444 bytes, 3 frames); then, on a freshly started server
# each time (so that its peak RSS, VmHWM reset after start-up, is that export's alone):
#   GET /api/export/all?includeImages=false          ZIP: the metadata document only
#   GET /api/export/all?format=json                  the document itself
#   GET /api/export/all?includeImages=true&previews=false  ZIP with every DICOM file
# and prints, per export, seconds, time to first byte, bytes and server peak RSS. Each
# archive is checked with `unzip -tq` (the JSON with python's json module). With
# BASELINE_BIN set (a pacsport built from an earlier commit), every export is run with it
# too, side by side, at sizes up to BASELINE_MAX (default 200000): the in-memory plans
# need several GB beyond that. BENCH_IMAGES_MAX (default 2000000) skips the export with
# images above that size (it reads, checks and deflates every file: long).
#
# Environment: PACSPORT_BIN (default build/src/app/pacsport), BASELINE_BIN, BASELINE_MAX,
# BENCH_IMAGES_MAX, TMPDIR (about 1 KB of disk per instance for the index, plus the
# archive: the index is kept in the work folder, which is removed at the end).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN BASELINE_BIN BASELINE_MAX BENCH_IMAGES_MAX TMPDIR" "$0" "$@")

SIZES=("$@")
if ((${#SIZES[@]} == 0)); then SIZES=(200000 2000000); fi
BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
BASELINE=${BASELINE_BIN:+$(realpath "$BASELINE_BIN")}
BASELINE_MAX=${BASELINE_MAX:-200000}
IMAGES_MAX=${BENCH_IMAGES_MAX:-2000000}
[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"

WORK=$(mktemp -d)
PACSPORT_PID=''
cleanup() {
  if [[ -n $PACSPORT_PID ]]; then kill "$PACSPORT_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# measure BIN DATA PATH_AND_QUERY OUT -> "seconds ttfb bytes rss_mb"
measure() {
  local bin=$1 data=$2 path=$3 out=$4 port result
  port=$(free_port)
  "$bin" serve --data "$data" --listen "127.0.0.1:$port" --demo >>"$WORK/pacsport.log" 2>&1 &
  PACSPORT_PID=$!
  wait_http "http://127.0.0.1:$port/api/health" "$PACSPORT_PID" "$WORK/pacsport.log"
  local token
  token=$("$bin" token --data "$data" --user bench --ttl 28800)
  reset_peak_rss "$PACSPORT_PID"
  result=$(curl -sSf -o "$out" -H "Authorization: Bearer $token" \
    -w '%{time_total} %{time_starttransfer} %{size_download}' "http://127.0.0.1:$port$path") ||
    fail_with_log "$WORK/pacsport.log" "GET $path failed"
  echo "$result $(peak_rss_mb "$PACSPORT_PID")"
  stop_server PACSPORT_PID
}

check() {  # check FILE KIND
  case $2 in
    zip) unzip -tq "$1" >/dev/null || fail "$1 is not a valid ZIP" ;;
    json) /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" ||
      fail "$1 is not valid JSON" ;;
  esac
}

echo "Command: $COMMAND_LINE"
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
  "$(uname -r); $(date -u +%Y-%m-%d)"
echo
echo "| instances | export | binary | seconds | first byte (s) | bytes | server peak RSS (MB) |"
echo "|---:|---|---|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
  data=$WORK/data-$n
  mkdir -p "$data"
  log "generating a hospital of $n instances..."
  /usr/bin/python3 bench/export_scale_index.py "$BIN" "$data" "$n" >/dev/null
  for export in "includeImages=false zip" "format=json json" \
    "includeImages=true&previews=false zip"; do
    read -r query kind <<<"$export"
    if [[ $query == includeImages=true* ]] && ((n > IMAGES_MAX)); then continue; fi
    binaries=("new:$BIN")
    if [[ -n $BASELINE ]] && ((n <= BASELINE_MAX)); then binaries=("baseline:$BASELINE" "${binaries[@]}"); fi
    for entry in "${binaries[@]}"; do
      name=${entry%%:*} bin=${entry#*:}
      log "$name GET /api/export/all?$query at $n instances..."
      read -r seconds ttfb bytes rss <<<"$(measure "$bin" "$data" "/api/export/all?$query" "$WORK/out")"
      check "$WORK/out" "$kind"
      rm -f "$WORK/out"
      printf '| %d | `%s` | %s | %.1f | %.2f | %d | %d |\n' "$n" "$query" "$name" "$seconds" \
        "$ttfb" "$bytes" "$rss"
    done
  done
  rm -rf "$data"
done
