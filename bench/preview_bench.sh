#!/usr/bin/env bash
# preview_bench.sh [SLICES] [CINE_FRAMES]: every frame rendered to PNG by pacsport, by
# Orthanc and by DCMTK's dcmj2pnm, side by side in the same run on the same generated files.
#
# Two data sets: a generated SLICES-slice 512x512 16-bit CT (default 300, one file per
# slice, bench/generate_ct.py) and an RGB ultrasound cine of CINE_FRAMES 480x640 frames
# in one file (default 100, bench/generate_us_cine.py). Each is rendered by
#   pacsport       `pacsport preview --out DIR` over all files, one worker process per core
#   Orthanc 1.10   GET /instances/{id}/frames/{k}/preview, then .../rendered, for every
#                  frame, from 2 curl clients at once (Debian's package)
#   dcmj2pnm       one process per file, 2 at a time: --write-png --nointerlace
#                  --all-frames, with the file's first VOI window (+Wi 1) for the CT;
#                  the cine has none (colour is not windowed)
#
# Every Orthanc measurement runs on a freshly started server, its peak RSS (VmHWM) reset
# just before the requests, so it is that workload's alone. pacsport's peak RSS is its
# own plus its workers' (as it reports them), dcmj2pnm's comes from /usr/bin/time (the
# largest of its processes). Every tool must write one PNG per frame, and pacsport's
# PNGs must pass `pngcheck -q`. Seconds are wall time, start-up included. Prints the
# command line, the machine, one Markdown table per data set (frames, seconds,
# frames/s, PNG bytes, peak RSS), then bench/png_settings over a sample of pacsport's
# PNGs of each set: the speed and size of every zlib level, filter and strategy.
#
# Environment: PACSPORT_BIN (default build/src/app/pacsport); PNG_SETTINGS_BIN (default
# bench/png_settings in the same build folder); TMPDIR for the work folder, which needs
# about 2.5 bytes of free disk per byte of DICOM (sources, Orthanc's store).
# Needs the orthanc, dcmtk, pngcheck and time packages (orthanc is installed if missing).
set -euo pipefail
export LC_ALL=C  # numbers with a decimal point

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN PNG_SETTINGS_BIN TMPDIR" "$0" "$@")

SLICES=${1:-300}
CINE_FRAMES=${2:-100}
BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
PNG_SETTINGS=${PNG_SETTINGS_BIN:-$(dirname "$BIN")/../../bench/png_settings}
THREADS=$(nproc)
CLIENTS=2  # parallel HTTP clients and dcmj2pnm processes
CINE_ROWS=480 CINE_COLUMNS=640
BYTES_PER_SLICE=525300  # one generated CT file: 512*512*2 bytes of pixels plus ~1 KB of tags

((SLICES >= 1 && CINE_FRAMES >= 1)) || fail "SLICES and CINE_FRAMES must be at least 1"
[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"
[[ -x $PNG_SETTINGS ]] || fail "no png_settings at $PNG_SETTINGS: build it (scripts/build.sh)"
for tool in dcmj2pnm pngcheck curl; do
  command -v "$tool" >/dev/null || fail "no $tool: install the dcmtk, pngcheck and curl packages"
done
[[ -x /usr/bin/time ]] || fail "no /usr/bin/time: install the time package"
if ! dpkg -s orthanc >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q orthanc >/dev/null
fi

WORK=$(mktemp -d)
ORTHANC_PID=''  # the server running now, stopped on exit
cleanup() {
  if [[ -n $ORTHANC_PID ]]; then
    kill "$ORTHANC_PID" 2>/dev/null || true
    wait "$ORTHANC_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_disk() {
  local dicom=$((SLICES * BYTES_PER_SLICE + CINE_FRAMES * CINE_ROWS * CINE_COLUMNS * 3))
  local need=$((dicom * 5 / 2 + (256 << 20))) avail
  avail=$(df -B1 --output=avail "$WORK" | tail -1 | tr -d ' ')
  if ((avail < need)); then
    fail "$WORK has $((avail >> 20)) MiB free, this run needs about $((need >> 20)) MiB;" \
      "free some disk or point TMPDIR elsewhere"
  fi
  log "disk: $((avail >> 20)) MiB free in $WORK, about $((need >> 20)) MiB needed"
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'; }
png_bytes() { find "$1" -name '*.png' -printf '%s\n' | awk '{n += $1} END {print n + 0}'; }
# verify_pngs DIR FRAMES LABEL: DIR holds exactly one PNG per frame.
verify_pngs() {
  local count
  count=$(find "$1" -name '*.png' | wc -l)
  ((count == $2)) || fail "$3 wrote $count PNGs for $2 frames"
}

# The result of the last measurement, read by add_row.
SECONDS_=0 OUT_BYTES=0 RSS=''

# add_row TABLE_VAR LABEL FRAMES: appends the last measurement as a Markdown row.
add_row() {
  local -n table=$1
  local fps
  fps=$(awk -v f="$3" -v s="$SECONDS_" 'BEGIN {printf "%.1f", f / s}')
  table+="| $2 | $3 | $(printf '%.2f' "$SECONDS_") | $fps | $OUT_BYTES | ${RSS:-—} |"$'\n'
}

# pacsport_preview SET FRAMES FILE...: `pacsport preview` over the files.
PACSPORT_CPU=''
pacsport_preview() {
  local set=$1 frames=$2 out=$WORK/png/pacsport-$1 start summary
  shift 2
  mkdir -p "$out"
  log "pacsport preview, $set: $# files..."
  start=$(now)
  summary=$(/usr/bin/time -f '%P' -o "$WORK/time.txt" "$BIN" preview --out "$out" "$@") ||
    fail "pacsport preview failed on $set"
  SECONDS_=$(since "$start")
  read -r PACSPORT_CPU <"$WORK/time.txt"
  log "$summary"
  # Its own peak and its largest worker's, as `pacsport preview` reports them: the sum
  # of all of them is at most OWN + WORKERS x LARGEST.
  RSS=$(sed -E 's/.*peak RSS ([0-9]+) MB here, at most ([0-9]+) MB in each of ([0-9]+) workers$/\1 \2 \3/' \
    <<<"$summary" | awk '{printf "%d (%d + %d × %d)", $1 + $2 * $3, $1, $3, $2}')
  verify_pngs "$out" "$frames" "pacsport ($set)"
  (cd "$out" && find . -name '*.png' -print0 | xargs -0 pngcheck -q >&2) ||
    fail "pacsport's PNGs of $set fail pngcheck"
  OUT_BYTES=$(png_bytes "$out")
}

# Orthanc: one store for both data sets; a fresh server after the uploads and for every
# measurement.
OPORT=''
# orthanc_upload SET PATIENT_ID FRAMES_PER_FILE FILE...: POST /instances for every file,
# two at a time; writes WORK/frames-SET, one "INSTANCE_ID FRAME" a line for every frame
# of the patient's instances.
orthanc_upload() {
  local set=$1 patient=$2 frames=$3
  shift 3
  start_orthanc
  log "Orthanc upload, $set: $# files..."
  printf '%s\0' "$@" | xargs -0 -P"$CLIENTS" -I{} curl -sSf -o /dev/null -X POST \
    -H 'Content-Type: application/dicom' --data-binary @{} "http://127.0.0.1:$OPORT/instances" ||
    fail_with_log "$WORK/orthanc.log" "Orthanc refused an upload"
  curl -sSf -X POST "http://127.0.0.1:$OPORT/tools/find" \
    -d "{\"Level\": \"Instance\", \"Query\": {\"PatientID\": \"$patient\"}}" |
    /usr/bin/python3 -c 'import json, sys
for id in json.load(sys.stdin):
    for k in range(int(sys.argv[1])): print(id, k)' "$frames" >"$WORK/frames-$set"
  (($(wc -l <"$WORK/frames-$set") == $# * frames)) || fail "Orthanc holds other instances of $patient"
  stop_server ORTHANC_PID
}
# orthanc_render SET ROUTE FRAMES: GET /instances/{id}/frames/{k}/ROUTE for every frame,
# the frames dealt round-robin to CLIENTS curl processes, each reusing its connection.
orthanc_render() {
  local set=$1 route=$2 frames=$3 out=$WORK/png/orthanc-$1-$2 start c
  mkdir -p "$out"
  start_orthanc
  for ((c = 0; c < CLIENTS; c++)); do
    awk -v c="$c" -v n="$CLIENTS" -v port="$OPORT" -v route="$route" -v out="$out" \
      'NR % n == c {printf "url = \"http://127.0.0.1:%s/instances/%s/frames/%s/%s\"\noutput = \"%s/%s_%s.png\"\n", port, $1, $2, route, out, $1, $2}' \
      "$WORK/frames-$set" >"$WORK/curl-$c.cfg"
  done
  log "Orthanc GET .../frames/{k}/$route, $set: $frames frames..."
  reset_peak_rss "$ORTHANC_PID"
  start=$(now)
  for ((c = 0; c < CLIENTS; c++)); do echo "$WORK/curl-$c.cfg"; done |
    xargs -P"$CLIENTS" -I{} curl -sSf -H 'Accept: image/png' -K {} ||
    fail_with_log "$WORK/orthanc.log" "Orthanc's /$route failed"
  SECONDS_=$(since "$start")
  RSS=$(peak_rss_mb "$ORTHANC_PID")
  stop_server ORTHANC_PID
  verify_pngs "$out" "$frames" "Orthanc /$route ($set)"
  OUT_BYTES=$(png_bytes "$out")
}

# dcmj2pnm_render SET FRAMES WINDOW_OPTIONS FILE...: one dcmj2pnm per file, CLIENTS at once.
dcmj2pnm_render() {
  local set=$1 frames=$2 out=$WORK/png/dcmj2pnm-$1 start file options
  read -ra options <<<"$3"
  shift 3
  mkdir -p "$out"
  : >"$WORK/dcmj2pnm-rss"
  log "dcmj2pnm, $set: $# files..."
  start=$(now)
  for file in "$@"; do printf '%s\0%s\0' "$file" "$out/$(basename "$file" .dcm)"; done |
    xargs -0 -n2 -P"$CLIENTS" /usr/bin/time -a -o "$WORK/dcmj2pnm-rss" -f %M \
      dcmj2pnm --write-png --nointerlace --all-frames "${options[@]}" ||
    fail "dcmj2pnm failed on $set"
  SECONDS_=$(since "$start")
  RSS=$(sort -n "$WORK/dcmj2pnm-rss" | tail -1 | awk '{printf "%.0f", $1 / 1024}')
  verify_pngs "$out" "$frames" "dcmj2pnm ($set)"
  OUT_BYTES=$(png_bytes "$out")
}

TABLE_HEAD='| tool | frames | seconds | frames/s | PNG bytes | peak RSS (MB) |
|---|---|---|---|---|---|
'

# render_set SET PATIENT_ID FRAMES FRAMES_PER_FILE DCMJ2PNM_WINDOW FILE...: every tool
# over one data set; sets TABLE_<SET> and SUMMARY_<SET>.
render_set() {
  local set=$1 patient=$2 frames=$3 per_file=$4 window=$5 rows=$TABLE_HEAD
  local pacsport_s preview_s rendered_s
  shift 5
  pacsport_preview "$set" "$frames" "$@"
  pacsport_s=$SECONDS_
  add_row rows "pacsport preview ($THREADS workers)" "$frames"
  orthanc_upload "$set" "$patient" "$per_file" "$@"
  orthanc_render "$set" preview "$frames"
  preview_s=$SECONDS_
  add_row rows "Orthanc 1.10 /frames/{k}/preview ($CLIENTS clients)" "$frames"
  orthanc_render "$set" rendered "$frames"
  rendered_s=$SECONDS_
  add_row rows "Orthanc 1.10 /frames/{k}/rendered ($CLIENTS clients)" "$frames"
  dcmj2pnm_render "$set" "$frames" "$window" "$@"
  add_row rows "dcmj2pnm --all-frames ${window:+$window }($CLIENTS processes)" "$frames"
  printf -v "TABLE_$set" '%s' "$rows"
  printf -v "SUMMARY_$set" '%s' "$(awk -v p="$pacsport_s" -v o="$preview_s" -v r="$rendered_s" \
    -v cpu="$PACSPORT_CPU" 'BEGIN {
      printf "pacsport: %.1f× the throughput of Orthanc'"'"'s /preview, %.1f× its /rendered;", o / p, r / p
      printf " pacsport used %s CPU (100%% is one core busy).", cpu }')"
}

check_disk
mkdir -p "$WORK/ct"
log "generating a $SLICES-slice CT..."
/usr/bin/python3 bench/generate_ct.py "$WORK/ct" "$SLICES" >/dev/null
mapfile -t CT_FILES < <(find "$WORK/ct" -name '*.dcm' | sort)
log "generating a $CINE_FRAMES-frame ultrasound cine..."
/usr/bin/python3 bench/generate_us_cine.py "$WORK/us_cine.dcm" "$CINE_FRAMES" \
  --rows "$CINE_ROWS" --columns "$CINE_COLUMNS" >/dev/null

render_set CT BENCH-CT "$SLICES" 1 "+Wi 1" "${CT_FILES[@]}"
render_set CINE BENCH-US "$CINE_FRAMES" "$CINE_FRAMES" "" "$WORK/us_cine.dcm"

# PNG settings, on pacsport's own previews: every tenth CT slice and the cine's first
# 20 frames, then every frame of the pydicom corpus (real images, grey and colour).
log "PNG settings..."
mapfile -t CT_PNGS < <(find "$WORK/png/pacsport-CT" -name '*.png' | sort | awk 'NR % 10 == 1')
mapfile -t CINE_PNGS < <(find "$WORK/png/pacsport-CINE" -name '*.png' | sort -V | head -20)
PNG_BENCH=$("$PNG_SETTINGS" "${CT_PNGS[@]}" "${CINE_PNGS[@]}")
CORPUS=/usr/lib/python3/dist-packages/pydicom/data/test_files
"$BIN" preview --out "$WORK/png/corpus" "$CORPUS"/*.dcm >/dev/null 2>&1 || true  # some have none
PNG_CORPUS=$("$PNG_SETTINGS" "$WORK"/png/corpus/*.png)

cat <<REPORT
Command: \`$COMMAND_LINE\`
Machine: $THREADS cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM; \
repo at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes'), \
Orthanc $(dpkg-query -W -f '${Version}' orthanc), DCMTK $(dpkg-query -W -f '${Version}' dcmtk).

CT: $SLICES files of one 512x512 16-bit slice, $(find "$WORK/ct" -name '*.dcm' -printf '%s\n' | awk '{n += $1} END {print n}') bytes of DICOM.

$TABLE_CT
$SUMMARY_CT

Ultrasound cine: one file of $CINE_FRAMES ${CINE_COLUMNS}x${CINE_ROWS} RGB frames, $(stat -c %s "$WORK/us_cine.dcm") bytes of DICOM.

$TABLE_CINE
$SUMMARY_CINE

Peak RSS of pacsport: its own plus, at most, each worker's largest.

PNG settings (bench/png_settings) on the CT's previews (grey) and the cine's (RGB):

$PNG_BENCH

and on the previews of the pydicom corpus:

$PNG_CORPUS
REPORT
