#!/usr/bin/env bash
# delivery_upload.sh [SLICES]: one export job's archive delivered to an S3 store beside
# copying the same archive to local disk, in one run on the same file.
#
# A generated SLICES-slice 512x512 16-bit CT (default 2000, about 1.05 GB of DICOM,
# bench/generate_ct.py) is imported; an export job without previews and at
# compression=0 (stored, so the archive is about as big as the DICOM) is run with a
# destination, then timed:
#   cp + sync        the job's archive copied to local disk and fsynced (the floor)
#   curl -T          the same file in one unsigned PUT to moto_server by curl (the
#                    store's own intake rate, no signing, no checksums)
#   pacsport -> S3   the job's delivery to moto_server as a SigV4-signed multipart
#                    upload of 16 MiB parts (the default), each part hashed (SHA-256,
#                    MD5) and its ETag checked; timed from the job's "delivering" state
#                    to "delivered" as seen by polling every 20 ms
# The server's peak RSS (/proc/PID/status VmHWM) is reset when the job enters
# "delivering", so the figure is the upload's alone; its CPU time (user + system) over
# the upload shows how much of the time is the sender's own work. The object read back from the store
# must equal the archive (SHA-256).
#
#   pacsport -> Azure  the same job's archive delivered to Azurite (the npm package of
#                    tests/emulators, on disk under the work folder) as Put Block calls of
#                    16 MiB (the default), each with its Content-MD5, then Put Block List;
#                    timed the same way
#   curl -T          the same file in one Put Blob to Azurite by curl with a container SAS
#                    (Azurite's own intake rate)
#
# moto_server is the machine's (scripts/install-deps.sh checks for it); it keeps objects
# in memory and temporary files, so it needs about 3 bytes of RAM per archive byte at
# completion. Environment: PACSPORT_BIN (default build/src/app/pacsport); TMPDIR for the
# work folder (about 7 bytes of free disk per byte of DICOM, Azurite keeping two copies).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN TMPDIR" "$0" "$@")

SLICES=${1:-2000}
BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"
MOTO=$(/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tests/integration"); from s3_server import moto_server_path; print(moto_server_path() or "")')
[[ -n $MOTO ]] || fail "moto_server is missing (scripts/install-deps.sh says how to get it)"

WORK=$(mktemp -d)
PACSPORT_PID='' MOTO_PID='' AZURITE_PID=''
cleanup() {
  if [[ -n $PACSPORT_PID ]]; then kill "$PACSPORT_PID" 2>/dev/null || true; fi
  if [[ -n $MOTO_PID ]]; then kill "$MOTO_PID" 2>/dev/null || true; fi
  if [[ -n $AZURITE_PID ]]; then kill "$AZURITE_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
seconds_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}'; }
mb_per_s() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }

ROWS=''
row() { ROWS+="| $1 | $2 | $(mb_per_s "$SIZE" "$2") | $3 | $4 |"$'\n'; }
# cpu_seconds PID: the process's user + system CPU time so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

log "generating $SLICES slices..."
UID_=$(/usr/bin/python3 bench/generate_ct.py "$WORK/src" "$SLICES" --studies 1 --patient-id BENCH-S3)
"$BIN" hospital add --data "$WORK/data" Bench >/dev/null
"$BIN" user add --data "$WORK/data" --hospital Bench --role admin bench <<<"bench-pass" >/dev/null
"$BIN" import --data "$WORK/data" --hospital Bench "$WORK/src" >/dev/null
rm -rf "$WORK/src"

# moto_server accepting any credentials (the tests check signatures; here the client
# signs all the same, so the cost is in the figure).
MPORT=$(free_port)
"$MOTO" -H 127.0.0.1 -p "$MPORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
wait_http "http://127.0.0.1:$MPORT/moto-api/" "$MOTO_PID" "$WORK/moto.log"
S3=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIABENCH:bench-secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
curl -sSf "${S3[@]}" -X PUT "http://127.0.0.1:$MPORT/bench" >/dev/null

PORT=$(free_port)
"$BIN" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" --demo >>"$WORK/pacsport.log" 2>&1 &
PACSPORT_PID=$!
wait_http "http://127.0.0.1:$PORT/api/health" "$PACSPORT_PID" "$WORK/pacsport.log"
BASE=http://127.0.0.1:$PORT
AUTH=(-H "Authorization: Bearer $("$BIN" token --data "$WORK/data" --user bench --ttl 28800)")
api() {  # api METHOD PATH [JSON]
  curl -sSf "${AUTH[@]}" -H 'Content-Type: application/json' -X "$1" ${3:+-d "$3"} "$BASE$2"
}

S3_DESTINATION=$(api POST /api/destinations "{\"name\":\"moto\",\"kind\":\"s3\",
  \"settings\":{\"endpoint\":\"http://127.0.0.1:$MPORT\",\"region\":\"us-east-1\",\"bucket\":\"bench\",
  \"accessKeyId\":\"AKIABENCH\"},\"secrets\":{\"secretAccessKey\":\"bench-secret\"}}" | json_field 'd["id"]') ||
  fail_with_log "$WORK/pacsport.log" "the destination was refused"

# deliver_row LABEL DESTINATION_ID: runs the export job with that destination; sets JOB
# (its final JSON) and adds the upload's row.
deliver_row() {
  local id state start='' cpu_start seconds rss cpu
  id=$(api POST /api/export/jobs "{\"scope\":\"study\",\"ids\":[\"$UID_\"],\"previews\":false,
    \"compression\":0,\"destination\":$2}" | json_field 'd["id"]') ||
    fail_with_log "$WORK/pacsport.log" "the job was refused"
  while :; do
    JOB=$(api GET "/api/export/jobs/$id")
    state=$(json_field 'd["state"]' <<<"$JOB")
    if [[ $state == delivering && -z $start ]]; then
      start=$(date +%s.%N)
      cpu_start=$(cpu_seconds "$PACSPORT_PID")
      reset_peak_rss "$PACSPORT_PID"
    fi
    [[ $state == delivered ]] && break
    [[ $state == queued || $state == running || $state == delivering ]] ||
      fail_with_log "$WORK/pacsport.log" "the job ended $state: $JOB"
    sleep 0.02
  done
  [[ -n $start ]] || fail "the job was never seen delivering"
  seconds=$(seconds_since "$start")
  rss=$(peak_rss_mb "$PACSPORT_PID")
  cpu=$(awk -v a="$cpu_start" -v b="$(cpu_seconds "$PACSPORT_PID")" 'BEGIN {printf "%.2f", b - a}')
  SIZE=$(json_field 'd["archive"]["size"]' <<<"$JOB")
  row "$1" "$seconds" "$cpu" "$rss"
}

log "delivering to moto_server..."
deliver_row "pacsport -> S3 (moto_server), multipart, 16 MiB parts" "$S3_DESTINATION"
SHA=$(json_field 'd["archive"]["sha256"]' <<<"$JOB")
KEY=$(json_field 'd["deliveredTo"]["key"]' <<<"$JOB")
curl -sSf "${S3[@]}" -o "$WORK/object.zip" "http://127.0.0.1:$MPORT/bench/$KEY"
[[ $(sha256sum "$WORK/object.zip" | cut -d' ' -f1) == "$SHA" ]] || fail "the object differs from the archive"
rm -f "$WORK/object.zip"

# Azurite with a container "bench" (tests/integration/azurite_server.py prints the
# destination's settings and secrets, and a SAS for curl).
mkdir "$WORK/azurite"
/usr/bin/python3 tests/integration/azurite_server.py "$WORK/azurite" bench >"$WORK/azurite.json" \
  2>"$WORK/azurite.err" &
AZURITE_PID=$!
for _ in $(seq 600); do
  [[ -s $WORK/azurite.json ]] && break
  kill -0 "$AZURITE_PID" 2>/dev/null || fail_with_log "$WORK/azurite.err" "Azurite did not start"
  sleep 0.1
done
[[ -s $WORK/azurite.json ]] || fail "Azurite did not start within a minute"
AZURE_DESTINATION=$(api POST /api/destinations "$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps({"name": "azurite", "kind": "azure-blob", "settings": d["settings"], "secrets": d["secrets"]}))' \
  "$WORK/azurite.json")" | json_field 'd["id"]') || fail_with_log "$WORK/pacsport.log" "the destination was refused"
AZURE_URL=$(json_field 'd["settings"]["endpoint"] + "/bench"' <"$WORK/azurite.json")
AZURE_SAS=$(json_field 'd["sas"]' <"$WORK/azurite.json")

log "delivering to Azurite..."
deliver_row "pacsport -> Azure Blob (Azurite), Put Block + Put Block List, 16 MiB blocks" "$AZURE_DESTINATION"
BLOB=$(json_field 'd["deliveredTo"]["blob"]' <<<"$JOB")
curl -sSf -o "$WORK/blob.zip" "$AZURE_URL/$BLOB?$AZURE_SAS"
[[ $(sha256sum "$WORK/blob.zip" | cut -d' ' -f1) == $(json_field 'd["archive"]["sha256"]' <<<"$JOB") ]] ||
  fail "the blob differs from the archive"
rm -f "$WORK/blob.zip"

# The same archive, downloaded once, for the references.
ARCHIVE=$WORK/archive.zip
curl -sSf "${AUTH[@]}" -o "$ARCHIVE" "$BASE/api/export/jobs/$(json_field 'd["id"]' <<<"$JOB")/archive"
stop_server PACSPORT_PID
REFERENCE_ROWS=''
cat "$ARCHIVE" >/dev/null  # in the page cache for both, as the job's archive was
start=$(date +%s.%N)
cp "$ARCHIVE" "$WORK/copy.zip" && sync "$WORK/copy.zip"
seconds=$(seconds_since "$start")
REFERENCE_ROWS+="| cp + sync to local disk | $seconds | $(mb_per_s "$SIZE" "$seconds") | — | — |"$'\n'
rm -f "$WORK/copy.zip"
seconds=$(curl -sSf "${S3[@]}" -T "$ARCHIVE" -H 'Content-Type: application/zip' -o /dev/null \
  -w '%{time_total}' "http://127.0.0.1:$MPORT/bench/curl.zip")
REFERENCE_ROWS+="| curl -T to moto_server, one PUT | $(printf '%.2f' "$seconds") | $(mb_per_s "$SIZE" "$seconds") | — | — |"$'\n'
seconds=$(curl -sSf -T "$ARCHIVE" -H 'x-ms-blob-type: BlockBlob' -H 'x-ms-version: 2023-11-03' \
  -o /dev/null -w '%{time_total}' "$AZURE_URL/curl.zip?$AZURE_SAS")
REFERENCE_ROWS+="| curl -T to Azurite, one Put Blob | $(printf '%.2f' "$seconds") | $(mb_per_s "$SIZE" "$seconds") | — | — |"$'\n'

echo "$COMMAND_LINE"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "archive: $SIZE bytes ($SLICES slices, stored)"
echo
echo "| delivery | seconds | MB/s | pacsport CPU during the upload (s) | pacsport peak RSS during the upload (MB) |"
echo "|---|---|---|---|---|"
printf '%s%s' "$REFERENCE_ROWS" "$ROWS"
