#!/usr/bin/env bash
# job_bench.sh [SLICES]: an export job against the streamed export of the same study,
# side by side in one run on the same generated files, with `zip -9 -r` as the outside
# reference.
#
# A generated SLICES-slice 512x512 16-bit CT (default 300, bench/generate_ct.py) is
# imported once; then, each on a freshly started server (so the peak RSS is that
# export's alone), at level 9, without and with previews:
#   streamed  GET /api/export/study/UID, timed by curl to the last byte
#   job       POST /api/export/jobs, timed by the job itself (createdAt to finishedAt:
#             queueing, planning, writing, fsync and rename), then its archive
#             downloaded (GET /api/export/jobs/ID/archive) and timed separately
# Every archive is checked with `unzip -tq` and must hold one .dcm entry per file; the
# job's must also match its reported SHA-256. Prints the command line, the machine and
# a Markdown table.
#
# Environment: PACSPORT_BIN (default build/src/app/pacsport); TMPDIR for the work folder
# (about 4 bytes of free disk per byte of DICOM).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN TMPDIR" "$0" "$@")

SLICES=${1:-300}
BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"

WORK=$(mktemp -d)
PACSPORT_PID=''
cleanup() {
  if [[ -n $PACSPORT_PID ]]; then kill "$PACSPORT_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

verify_zip() {  # verify_zip ZIP: sound, one .dcm entry per generated file
  unzip -tq "$1" >/dev/null || fail "$1 fails unzip -t"
  local count
  count=$(unzip -Z1 "$1" | grep -c '\.dcm$' || true)
  ((count == SLICES)) || fail "$1 holds $count .dcm entries, expected $SLICES"
}

PORT='' AUTH=()
start_pacsport() {
  PORT=$(free_port)
  "$BIN" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" --demo >>"$WORK/pacsport.log" 2>&1 &
  PACSPORT_PID=$!
  wait_http "http://127.0.0.1:$PORT/api/health" "$PACSPORT_PID" "$WORK/pacsport.log"
  AUTH=(-H "Authorization: Bearer $("$BIN" token --data "$WORK/data" --user bench --ttl 28800)")
  reset_peak_rss "$PACSPORT_PID"
}

ROWS=''
row() { ROWS+="| $1 | $2 | $(awk -v b="$INPUT" -v s="$2" 'BEGIN {printf "%.1f", b / 1e6 / s}') | $3 | $4 | $5 |"$'\n'; }

streamed() {  # streamed PREVIEWS
  start_pacsport
  local out=$WORK/streamed.zip result seconds bytes
  result=$(curl -sSf -o "$out" -w '%{time_total} %{size_download}' "${AUTH[@]}" \
    "http://127.0.0.1:$PORT/api/export/study/$UID_?previews=$1&compression=9") ||
    fail_with_log "$WORK/pacsport.log" "the streamed export failed"
  read -r seconds bytes <<<"$result"
  local rss
  rss=$(peak_rss_mb "$PACSPORT_PID")
  stop_server PACSPORT_PID
  verify_zip "$out"
  rm -f "$out"
  row "streamed export, previews=$1" "$(printf '%.2f' "$seconds")" "$bytes" "—" "$rss"
  STREAMED_SECONDS=$seconds
}

job() {  # job PREVIEWS
  start_pacsport
  local base=http://127.0.0.1:$PORT id state job out=$WORK/job.zip
  id=$(curl -sSf "${AUTH[@]}" -H 'Content-Type: application/json' -X POST \
    -d "{\"scope\":\"study\",\"ids\":[\"$UID_\"],\"previews\":$1,\"compression\":9}" \
    "$base/api/export/jobs" | json_field 'd["id"]') ||
    fail_with_log "$WORK/pacsport.log" "the job was refused"
  while :; do
    job=$(curl -sSf "${AUTH[@]}" "$base/api/export/jobs/$id")
    state=$(json_field 'd["state"]' <<<"$job")
    [[ $state == done ]] && break
    [[ $state == queued || $state == running ]] || fail "the job ended $state: $job"
    sleep 0.05
  done
  local rss seconds bytes sha download
  rss=$(peak_rss_mb "$PACSPORT_PID")
  seconds=$(json_field '(__import__("datetime").datetime.fromisoformat(d["finishedAt"].replace("Z","+00:00")) - __import__("datetime").datetime.fromisoformat(d["createdAt"].replace("Z","+00:00"))).total_seconds()' <<<"$job")
  bytes=$(json_field 'd["archive"]["size"]' <<<"$job")
  sha=$(json_field 'd["archive"]["sha256"]' <<<"$job")
  download=$(curl -sSf -o "$out" -w '%{time_total}' "${AUTH[@]}" "$base/api/export/jobs/$id/archive")
  stop_server PACSPORT_PID
  [[ $(sha256sum "$out" | cut -d' ' -f1) == "$sha" ]] || fail "the job's archive does not match its SHA-256"
  verify_zip "$out"
  rm -f "$out"
  row "export job, previews=$1" "$(printf '%.2f' "$seconds")" "$bytes" "$(printf '%.2f' "$download")" "$rss"
  RATIOS+="previews=$1: job $(awk -v j="$seconds" -v s="$STREAMED_SECONDS" 'BEGIN {printf "%.1f%%", (j / s - 1) * 100}') vs streamed; "
}

log "generating $SLICES slices..."
UID_=$(/usr/bin/python3 bench/generate_ct.py "$WORK/src" "$SLICES" --studies 1 --patient-id BENCH-JOB)
INPUT=$(find "$WORK/src" -name '*.dcm' -printf '%s\n' | awk '{n += $1} END {print n}')
"$BIN" hospital add --data "$WORK/data" Bench >/dev/null
"$BIN" user add --data "$WORK/data" --hospital Bench --role admin bench <<<"bench-pass" >/dev/null
"$BIN" import --data "$WORK/data" --hospital Bench "$WORK/src" >/dev/null

RATIOS=''
for previews in false true; do
  streamed "$previews"
  job "$previews"
done
zip_seconds=$( { /usr/bin/time -f '%e' zip -q -9 -r "$WORK/ref.zip" "$WORK/src" >/dev/null; } 2>&1 )
ROWS+="| zip -9 -r (no previews) | $zip_seconds | $(awk -v b="$INPUT" -v s="$zip_seconds" 'BEGIN {printf "%.1f", b / 1e6 / s}') | $(stat -c %s "$WORK/ref.zip") | — | — |"$'\n'

echo "$COMMAND_LINE"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "study: $SLICES slices, $INPUT bytes of DICOM"
echo
echo "| export | seconds | MB/s of input | archive bytes | download of the archive (s) | server peak RSS (MB) |"
echo "|---|---|---|---|---|---|"
printf '%s' "$ROWS"
echo
echo "$RATIOS"
