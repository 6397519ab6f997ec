#!/usr/bin/env bash
# export_bench.sh [SLICES]: pacsport's export against its compute limit and against Orthanc,
# every system side by side in the same run on the same generated files.
#
# Part 1, one study: a generated SLICES-slice 512x512 16-bit CT (default 300), exported by
#   compute limit  bench/deflate_limit: every file deflated whole by libdeflate at level 9
#                  on nproc threads, files already in memory (no I/O timed)
#   pacsport       GET /api/export/study/UID  (previews=false, level 9; then with previews)
#   Orthanc 1.10   GET /studies/ID/archive    (Debian's package, zlib level 6)
#   pacsport from Orthanc  the same study indexed from that Orthanc (`pacsport sync`, timed)
#                  and exported by pacsport reading every file from Orthanc's REST API
#   zip -9 -r      over the same files
# Part 2, one patient (skip with BENCH_PATIENT_STUDIES=0): BENCH_PATIENT_STUDIES studies
#   (default 13) of BENCH_PATIENT_SLICES slices (default 300), about 2 GB, exported by the
#   compute limit, pacsport's GET /api/export/patient/ID (without and with previews) and
#   Orthanc's GET /patients/ID/archive (skip Orthanc with BENCH_PATIENT_ORTHANC=0).
#
# Every server export runs on a freshly started server, so its peak RSS (VmHWM) is that
# export's alone. Every archive is checked with `unzip -tq` and must hold one .dcm entry
# per generated file. Prints the command line, the machine, then one Markdown table per
# part: seconds, MB/s of DICOM input, output bytes, time to first byte, server peak RSS.
#
# Environment: PACSPORT_BIN (default build/src/app/pacsport); DEFLATE_LIMIT_BIN (default
# bench/deflate_limit in the same build folder); TMPDIR for the work folder, which needs
# about 3.4 bytes of free disk per byte of DICOM (source, pacsport's store, Orthanc's).
# Needs a built pacsport with its deflate_limit (scripts/build.sh) and the orthanc package.
set -euo pipefail
export LC_ALL=C  # numbers with a decimal point

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN DEFLATE_LIMIT_BIN BENCH_PATIENT_STUDIES BENCH_PATIENT_SLICES BENCH_PATIENT_ORTHANC TMPDIR" "$0" "$@")

SLICES=${1:-300}
PATIENT_STUDIES=${BENCH_PATIENT_STUDIES:-13}
PATIENT_SLICES=${BENCH_PATIENT_SLICES:-300}
PATIENT_ORTHANC=${BENCH_PATIENT_ORTHANC:-1}
BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
DEFLATE_LIMIT=${DEFLATE_LIMIT_BIN:-$(dirname "$BIN")/../../bench/deflate_limit}
LEVEL=9
THREADS=$(nproc)
STUDY_PATIENT_ID=BENCH-CT
PATIENT_ID=BENCH-PATIENT
BYTES_PER_SLICE=525300  # one generated file: 512*512*2 bytes of pixels plus ~1 KB of tags

[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"
[[ -x $DEFLATE_LIMIT ]] || fail "no deflate_limit at $DEFLATE_LIMIT: build it" \
  "(cmake --build <build dir> --target deflate_limit) or set DEFLATE_LIMIT_BIN"
if ! dpkg -s orthanc >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q orthanc >/dev/null
fi

WORK=$(mktemp -d)
PACSPORT_PID='' ORTHANC_PID=''  # the servers running now, stopped on exit
cleanup() {
  local pid
  for pid in "$PACSPORT_PID" "$ORTHANC_PID"; do
    if [[ -n $pid ]]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Source files, pacsport's store and Orthanc's store, plus room for the largest archive.
check_disk() {
  local patient=$((PATIENT_STUDIES * PATIENT_SLICES * BYTES_PER_SLICE))
  local need=$(((SLICES * BYTES_PER_SLICE + patient) * 3 + patient / 3 + (512 << 20)))
  local avail
  avail=$(df -B1 --output=avail "$WORK" | tail -1 | tr -d ' ')
  if ((avail < need)); then
    fail "$WORK has $((avail >> 20)) MiB free, this run needs about $((need >> 20)) MiB;" \
      "free some disk, point TMPDIR elsewhere, or lower BENCH_PATIENT_STUDIES"
  fi
  log "disk: $((avail >> 20)) MiB free in $WORK, about $((need >> 20)) MiB needed"
}

# fetch URL OUT [curl args...] -> "seconds ttfb bytes"
fetch() {
  local url=$1 out=$2
  shift 2
  curl -sSf -o "$out" -w '%{time_total} %{time_starttransfer} %{size_download}\n' "$@" "$url"
}

# verify_zip ZIP EXPECTED_DCM: a sound archive with one .dcm entry per source file; then
# deleted, to keep the disk free for the next one.
verify_zip() {
  local zip=$1 expected=$2 count
  unzip -tq "$zip" >/dev/null || fail "$zip fails unzip -t"
  count=$(unzip -Z1 "$zip" | grep -c '\.dcm$' || true)
  ((count == expected)) || fail "$zip holds $count .dcm entries, expected $expected"
  rm -f "$zip"
}

# The result of the last measurement, read by add_row.
SECONDS_=0 TTFB='' OUT_BYTES=0 RSS=''

# add_row TABLE_VAR LABEL INPUT_BYTES: appends the last measurement as a Markdown row.
add_row() {
  local -n table=$1
  local mbps
  mbps=$(awk -v b="$3" -v s="$SECONDS_" 'BEGIN {printf "%.1f", b / 1e6 / s}')
  local ttfb=—
  if [[ -n $TTFB ]]; then ttfb=$(printf '%.3f' "$TTFB"); fi
  table+="| $2 | $(printf '%.2f' "$SECONDS_") | $mbps | $OUT_BYTES | $ttfb | ${RSS:-—} |"$'\n'
}

dicom_bytes() { find "$1" -name '*.dcm' -printf '%s\n' | awk '{n += $1} END {print n}'; }
generate() {  # generate DIR SLICES STUDIES PATIENT_ID -> StudyInstanceUIDs, one a line
  log "generating $3 x $2 slices for patient $4..."
  /usr/bin/python3 bench/generate_ct.py "$1" "$2" --studies "$3" --patient-id "$4"
}

# compute_limit DIR: libdeflate at LEVEL on THREADS threads over every .dcm under DIR.
compute_limit() {
  local files result
  mapfile -t files < <(find "$1" -name '*.dcm' | sort)
  log "compute limit over ${#files[@]} files..."
  result=$("$DEFLATE_LIMIT" "$LEVEL" "$THREADS" "${files[@]}")
  read -r SECONDS_ _ OUT_BYTES <<<"$result"
  TTFB='' RSS=''
}

# pacsport: one data folder for both parts; a fresh server for every export.
PORT='' AUTH=()
pacsport_import() {
  log "pacsport import $1..."
  "$BIN" import --data "$WORK/data" --hospital Bench "$1" >/dev/null
}
# start_pacsport DATA_DIR [serve args...]
start_pacsport() {
  local data=$1
  shift
  PORT=$(free_port)
  "$BIN" serve --data "$data" --listen "127.0.0.1:$PORT" --demo "$@" >>"$WORK/pacsport.log" 2>&1 &
  PACSPORT_PID=$!
  wait_http "http://127.0.0.1:$PORT/api/health" "$PACSPORT_PID" "$WORK/pacsport.log"
  # The demo secret exists once a server has started.
  AUTH=(-H "Authorization: Bearer $("$BIN" token --data "$data" --user bench --ttl 28800)")
}
# pacsport_export PATH_AND_QUERY EXPECTED_DCM [DATA_DIR [serve args...]]; DATA_DIR
# defaults to the data folder of the imports.
pacsport_export() {
  local zip=$WORK/pacsport.zip result path=$1 expected=$2
  shift 2
  if (($# == 0)); then set -- "$WORK/data"; fi
  start_pacsport "$@"
  log "pacsport GET $path..."
  reset_peak_rss "$PACSPORT_PID"
  result=$(fetch "http://127.0.0.1:$PORT$path" "$zip" "${AUTH[@]}") ||
    fail_with_log "$WORK/pacsport.log" "pacsport's export failed"
  read -r SECONDS_ TTFB OUT_BYTES <<<"$result"
  RSS=$(peak_rss_mb "$PACSPORT_PID")
  stop_server PACSPORT_PID
  verify_zip "$zip" "$expected"
}

# Orthanc: one store for both parts; a fresh server after the uploads and for every export.
OPORT=''
# orthanc_upload DIR: POST /instances for every .dcm under DIR, two at a time.
orthanc_upload() {
  start_orthanc
  log "Orthanc upload $1..."
  find "$1" -name '*.dcm' -print0 | xargs -0 -P2 -I{} curl -sSf -o /dev/null -X POST \
    -H 'Content-Type: application/dicom' --data-binary @{} "http://127.0.0.1:$OPORT/instances" ||
    fail_with_log "$WORK/orthanc.log" "Orthanc refused an upload"
  stop_server ORTHANC_PID
}
# orthanc_export LEVEL TAG VALUE EXPECTED_DCM, e.g. orthanc_export Study StudyInstanceUID 1.2.3 300
orthanc_export() {
  local zip=$WORK/orthanc.zip resource id result
  case $1 in Study) resource=studies ;; Patient) resource=patients ;; esac
  start_orthanc
  id=$(curl -sSf -X POST "http://127.0.0.1:$OPORT/tools/find" \
    -d "{\"Level\": \"$1\", \"Query\": {\"$2\": \"$3\"}}" |
    /usr/bin/python3 -c 'import json, sys; (id,) = json.load(sys.stdin); print(id)')
  log "Orthanc GET /$resource/$id/archive..."
  reset_peak_rss "$ORTHANC_PID"
  result=$(fetch "http://127.0.0.1:$OPORT/$resource/$id/archive" "$zip") ||
    fail_with_log "$WORK/orthanc.log" "Orthanc's export failed"
  read -r SECONDS_ TTFB OUT_BYTES <<<"$result"
  RSS=$(peak_rss_mb "$ORTHANC_PID")
  stop_server ORTHANC_PID
  verify_zip "$zip" "$4"
}

# pacsport reading from Orthanc: a data folder of its own, whose hospital Bench has
# the Orthanc started here as its [[sources]] entry, indexed by `pacsport sync`
# (timed into SECONDS_). Orthanc keeps running for the exports that follow.
PACS_DATA=''
orthanc_source_sync() {
  PACS_DATA=$WORK/data-pacs
  start_orthanc
  printf '[[sources]]\nname = "bench-pacs"\nkind = "orthanc"\nurl = "http://127.0.0.1:%s"\nhospital = "Bench"\n' \
    "$OPORT" >"$WORK/sources.toml"
  "$BIN" hospital add --data "$PACS_DATA" Bench >/dev/null
  echo "bench-password" | "$BIN" user add --data "$PACS_DATA" --hospital Bench --role admin bench >/dev/null
  log "pacsport sync from Orthanc..."
  local start
  start=$(date +%s.%N)
  "$BIN" sync --data "$PACS_DATA" --config "$WORK/sources.toml" >>"$WORK/pacsport.log" ||
    fail_with_log "$WORK/pacsport.log" "pacsport sync failed"
  SECONDS_=$(echo "$(date +%s.%N) - $start" | bc)
  OUT_BYTES=— TTFB='' RSS=''
}

zip_export() {  # zip_export DIR EXPECTED_DCM
  local zip=$WORK/z.zip start
  log "zip -9 -r $1..."
  start=$(date +%s.%N)
  (cd "$1" && zip -q -9 -r "$zip" .)
  SECONDS_=$(echo "$(date +%s.%N) - $start" | bc)
  OUT_BYTES=$(stat -c %s "$zip") TTFB='' RSS=''
  verify_zip "$zip" "$2"
}

# summary LIMIT_S PACSPORT_S [ORTHANC_S]: pacsport's DICOM-only throughput against both.
summary() {
  awk -v l="$1" -v p="$2" -v o="${3:-}" 'BEGIN {
    printf "pacsport, DICOM only: %.0f%% of the compute limit", 100 * l / p
    if (o != "") printf ", %.2f× Orthanc'"'"'s throughput", o / p
    print "." }'
}

TABLE_HEAD='| export | seconds | MB/s of input | output bytes | first byte (s) | server peak RSS (MB) |
|---|---|---|---|---|---|
'
LIMIT_LABEL="compute limit: libdeflate level $LEVEL on $THREADS cores"
LEVEL_QUERY="compression=$LEVEL"

study_part() {
  local study input_bytes limit_s pacsport_s
  study=$(generate "$WORK/ct" "$SLICES" 1 "$STUDY_PATIENT_ID")
  input_bytes=$(dicom_bytes "$WORK/ct")
  STUDY_TABLE=$TABLE_HEAD

  compute_limit "$WORK/ct"
  limit_s=$SECONDS_
  add_row STUDY_TABLE "$LIMIT_LABEL" "$input_bytes"

  pacsport_import "$WORK/ct"
  pacsport_export "/api/export/study/$study?previews=false&$LEVEL_QUERY" "$SLICES"
  pacsport_s=$SECONDS_
  add_row STUDY_TABLE "pacsport, DICOM only (previews=false, level $LEVEL)" "$input_bytes"
  pacsport_export "/api/export/study/$study?$LEVEL_QUERY" "$SLICES"
  add_row STUDY_TABLE "pacsport, with PNG previews (level $LEVEL)" "$input_bytes"

  orthanc_upload "$WORK/ct"
  orthanc_export Study StudyInstanceUID "$study" "$SLICES"
  add_row STUDY_TABLE "Orthanc 1.10 /studies/{id}/archive (level 6)" "$input_bytes"
  STUDY_SUMMARY=$(summary "$limit_s" "$pacsport_s" "$SECONDS_")

  orthanc_source_sync
  add_row STUDY_TABLE "pacsport sync: index the study from Orthanc" "$input_bytes"
  pacsport_export "/api/export/study/$study?previews=false&$LEVEL_QUERY" "$SLICES" \
    "$PACS_DATA" --config "$WORK/sources.toml"
  add_row STUDY_TABLE "pacsport from the Orthanc source, DICOM only (level $LEVEL)" "$input_bytes"
  pacsport_export "/api/export/study/$study?$LEVEL_QUERY" "$SLICES" \
    "$PACS_DATA" --config "$WORK/sources.toml"
  add_row STUDY_TABLE "pacsport from the Orthanc source, with PNG previews (level $LEVEL)" "$input_bytes"
  stop_server ORTHANC_PID

  zip_export "$WORK/ct" "$SLICES"
  add_row STUDY_TABLE "zip -9 -r" "$input_bytes"
  STUDY_HEAD="Study: $SLICES slices, $input_bytes bytes of DICOM input."
}

patient_part() {
  local dir=$WORK/patient instances=$((PATIENT_STUDIES * PATIENT_SLICES))
  local input_bytes limit_s pacsport_s orthanc_s=''
  generate "$dir" "$PATIENT_SLICES" "$PATIENT_STUDIES" "$PATIENT_ID" >/dev/null
  input_bytes=$(dicom_bytes "$dir")
  PATIENT_TABLE=$TABLE_HEAD

  compute_limit "$dir"
  limit_s=$SECONDS_
  add_row PATIENT_TABLE "$LIMIT_LABEL" "$input_bytes"

  pacsport_import "$dir"
  pacsport_export "/api/export/patient/$PATIENT_ID?previews=false&$LEVEL_QUERY" "$instances"
  pacsport_s=$SECONDS_
  add_row PATIENT_TABLE "pacsport, DICOM only (previews=false, level $LEVEL)" "$input_bytes"
  pacsport_export "/api/export/patient/$PATIENT_ID?$LEVEL_QUERY" "$instances"
  add_row PATIENT_TABLE "pacsport, with PNG previews (level $LEVEL)" "$input_bytes"

  if ((PATIENT_ORTHANC)); then
    orthanc_upload "$dir"
    orthanc_export Patient PatientID "$PATIENT_ID" "$instances"
    orthanc_s=$SECONDS_
    add_row PATIENT_TABLE "Orthanc 1.10 /patients/{id}/archive (level 6)" "$input_bytes"
  fi
  PATIENT_SUMMARY=$(summary "$limit_s" "$pacsport_s" "$orthanc_s")
  PATIENT_HEAD="Patient: $PATIENT_STUDIES studies of $PATIENT_SLICES slices,"
  PATIENT_HEAD+=" $input_bytes bytes of DICOM input."
}

check_disk
"$BIN" hospital add --data "$WORK/data" Bench >/dev/null
echo "bench-password" | "$BIN" user add --data "$WORK/data" --hospital Bench --role admin bench >/dev/null
study_part
if ((PATIENT_STUDIES > 0)); then patient_part; fi

cat <<REPORT
Command: \`$COMMAND_LINE\`
Machine: $THREADS cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM; \
repo at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes'), \
Orthanc $(dpkg-query -W -f '${Version}' orthanc), libdeflate $(pkg-config --modversion libdeflate).

$STUDY_HEAD

$STUDY_TABLE
$STUDY_SUMMARY
REPORT
if ((PATIENT_STUDIES > 0)); then
  printf '\n%s\n\n%s\n%s\n' "$PATIENT_HEAD" "$PATIENT_TABLE" "$PATIENT_SUMMARY"
fi
