#!/usr/bin/env bash
# export_bench.sh [SLICES]: one study export, side by side in the same run:
#   pacsport  GET /api/export/study/UID  (previews=false, level 9; then with previews)
#   Orthanc   GET /studies/ID/archive    (Debian's orthanc 1.10, deflate level 6)
#   zip -9 -r over the same files
# on a generated SLICES-slice 512x512 16-bit CT (default 300). Prints a Markdown table:
# seconds, MB/s of DICOM input, output bytes, time to first byte, server peak RSS.
# Needs a built pacsport (scripts/build.sh) and the orthanc package (installed here).
set -euo pipefail
cd "$(dirname "$0")/.."
SLICES=${1:-300}
BIN=${PACSPORT_BIN:-$PWD/build/src/app/pacsport}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
DEBIAN_FRONTEND=noninteractive
dpkg -s orthanc >/dev/null 2>&1 || apt-get install -y -q orthanc >/dev/null

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# fetch URL OUT [curl args...] -> "seconds ttfb bytes"
fetch() {
  local url=$1 out=$2
  shift 2
  curl -sSf -o "$out" -w '%{time_total} %{time_starttransfer} %{size_download}\n' "$@" "$url"
}

echo "generating $SLICES slices..." >&2
/usr/bin/python3 bench/generate_ct.py "$WORK/ct" "$SLICES" >"$WORK/study_uid"
STUDY=$(cat "$WORK/study_uid")
INPUT_BYTES=$(du -sb "$WORK/ct" | cut -f1)

# pacsport
"$BIN" hospital add --data "$WORK/data" Bench >/dev/null
echo "bench-password" | "$BIN" user add --data "$WORK/data" --hospital Bench --role admin bench >/dev/null
"$BIN" import --data "$WORK/data" --hospital Bench "$WORK/ct" >/dev/null
PORT=$(free_port)
"$BIN" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" --demo >"$WORK/pacsport.log" 2>&1 &
PACSPORT_PID=$!
until curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null; do sleep 0.1; done
TOKEN=$("$BIN" token --data "$WORK/data" --user bench)
AUTH=(-H "Authorization: Bearer $TOKEN")
read -r P_DICOM_S P_DICOM_TTFB P_DICOM_BYTES < <(fetch \
  "http://127.0.0.1:$PORT/api/export/study/$STUDY?previews=false" "$WORK/p1.zip" "${AUTH[@]}")
read -r P_FULL_S P_FULL_TTFB P_FULL_BYTES < <(fetch \
  "http://127.0.0.1:$PORT/api/export/study/$STUDY" "$WORK/p2.zip" "${AUTH[@]}")
P_RSS=$(peak_rss_mb $PACSPORT_PID)
unzip -tq "$WORK/p1.zip" >/dev/null && unzip -tq "$WORK/p2.zip" >/dev/null

# Orthanc
OPORT=$(free_port)
mkdir -p "$WORK/orthanc-db"
cat >"$WORK/orthanc.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$WORK/orthanc-db", "IndexDirectory": "$WORK/orthanc-db",
  "HttpPort": $OPORT, "DicomServerEnabled": false, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "Plugins": [] }
JSON
Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 &
ORTHANC_PID=$!
until curl -sf "http://127.0.0.1:$OPORT/system" >/dev/null; do sleep 0.2; done
for f in "$WORK"/ct/*.dcm; do
  curl -sf -X POST --data-binary @"$f" -H 'Content-Type: application/dicom' \
    "http://127.0.0.1:$OPORT/instances" >/dev/null
done
OSTUDY=$(curl -sf "http://127.0.0.1:$OPORT/studies" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
read -r O_S O_TTFB O_BYTES < <(fetch "http://127.0.0.1:$OPORT/studies/$OSTUDY/archive" "$WORK/o.zip")
O_RSS=$(peak_rss_mb $ORTHANC_PID)
unzip -tq "$WORK/o.zip" >/dev/null

# zip -9
START=$(date +%s.%N)
(cd "$WORK/ct" && zip -q -9 -r "$WORK/z.zip" .)
Z_S=$(echo "$(date +%s.%N) - $START" | bc)
Z_BYTES=$(stat -c %s "$WORK/z.zip")

mbps() { echo "scale=1; $INPUT_BYTES / 1000000 / $1" | bc; }
cat <<TABLE
Study: $SLICES slices, $INPUT_BYTES bytes of DICOM input; $(nproc) cores.

| export | seconds | MB/s of input | output bytes | first byte (s) | server peak RSS (MB) |
|---|---|---|---|---|---|
| pacsport, DICOM only (previews=false, level 9) | $P_DICOM_S | $(mbps "$P_DICOM_S") | $P_DICOM_BYTES | $P_DICOM_TTFB | $P_RSS |
| pacsport, with PNG previews (level 9) | $P_FULL_S | $(mbps "$P_FULL_S") | $P_FULL_BYTES | $P_FULL_TTFB | (same process) |
| Orthanc 1.10 /studies/{id}/archive (level 6) | $O_S | $(mbps "$O_S") | $O_BYTES | $O_TTFB | $O_RSS |
| zip -9 -r | $Z_S | $(mbps "$Z_S") | $Z_BYTES | — | — |
TABLE
