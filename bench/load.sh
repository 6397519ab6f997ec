#!/usr/bin/env bash
# load.sh [BASELINE_BIN]: browse latency under load, measured with wrk, for pacsport and,
# side by side in the same run, a baseline pacsport build (e.g. the previous main, to show
# before and after) and Orthanc 1.10 (Debian's package) as the peer.
#
# For each server, wrk (1 thread, 2 connections, 10 s) measures an authenticated browse
# request (pacsport: GET /api/studies?limit=50 and GET /api/health; Orthanc: GET /studies
# and GET /system) in three conditions:
#   idle        nothing else runs;
#   4 exports   four clients download a generated 120-slice CT study as ZIP in a loop
#               (pacsport only: GET /api/export/study/UID?previews=false);
#   200 slow    200 clients, each from its own loopback address (127.0.x.y), send their
#               request headers one byte a second and reconnect when dropped
#               (bench/slow_clients.py).
# wrk's request timeout is 2 s: requests that took longer count as timeouts, not in the
# percentiles; "no answer" means not one request was answered during the run. Prints the command line, the machine, then a Markdown table: p50 and p99
# latency in ms, requests per second, non-2xx answers, timeouts.
#
# Environment: PACSPORT_BIN (default build/src/app/pacsport); BENCH_SECONDS (10).
# Needs wrk and orthanc (installed when missing).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN BENCH_SECONDS" "$0" "$@")

BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
BASELINE=${1:+$(realpath "$1")}
SECONDS_EACH=${BENCH_SECONDS:-10}
[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"
for package in wrk orthanc; do
  dpkg -s "$package" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null
done

start_work_folder

log "generating a 120-slice CT study"
STUDY_UID=$(/usr/bin/python3 bench/generate_ct.py "$WORK/ct" 120 --patient-id LOAD-CT | head -1)

# wrk_row NAME CONDITION URL [HEADER]: one table row from a wrk run.
wrk_row() {
  local name=$1 condition=$2 url=$3 header=${4:-X-Bench: 1} out
  out=$(wrk -t1 -c2 -d"${SECONDS_EACH}s" --timeout 2s --latency -H "$header" "$url")
  /usr/bin/python3 - "$name" "$condition" "$url" "$out" <<'PY'
import re, sys
name, condition, url, out = sys.argv[1:]
def ms(label):
    m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not m:
        return "-"
    value, unit = float(m.group(1)), m.group(2)
    return f"{value / 1000 if unit == 'us' else value * 1000 if unit == 's' else value:.1f}"
rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
if re.search(r"^\s+0 requests in", out, re.M):
    print(f"| {name} | {condition} | /{url.split('/', 3)[3]} | no answer | no answer | 0 | - | - |")
    sys.exit()
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
timeouts = re.search(r"timeout (\d+)", out)
path = url.split("/", 3)[3]
print(f"| {name} | {condition} | /{path} | {ms(50)} | {ms(99)} | {float(rps.group(1)) if rps else 0:.0f} "
      f"| {non2xx.group(1) if non2xx else 0} | {timeouts.group(1) if timeouts else 0} |")
PY
}

# start_slow PORT: 200 slow clients against PORT, in the background; sets SLOW_PID.
start_slow() {
  /usr/bin/python3 bench/slow_clients.py 127.0.0.1 "$1" 200 1 >"$WORK/slow.log" 2>&1 &
  SLOW_PID=$!
  PIDS+=("$SLOW_PID")
  sleep 3
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# measure_pacsport NAME BIN: the three conditions against one pacsport build.
measure_pacsport() {
  local name=$1 bin=$2 data="$WORK/data-$1" port pid token
  mkdir -p "$data"
  "$bin" hospital add --data "$data" Load >/dev/null
  echo "load-password" | "$bin" user add --data "$data" --hospital Load --role admin load >/dev/null
  "$bin" import --data "$data" --hospital Load "$WORK/ct" >/dev/null
  port=$(free_port)
  # Generous request rates and export shares: this measures latency, not throttling.
  PACSPORT_USER_REQUESTS_PER_SECOND=100000 PACSPORT_MAX_EXPORTS_PER_USER=4 \
    PACSPORT_MAX_EXPORTS_PER_HOSPITAL=4 "$bin" serve --data "$data" --listen "127.0.0.1:$port" \
    --demo >"$WORK/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/api/health" "$pid" "$WORK/$name.log"
  token="Authorization: Bearer $("$bin" token --data "$data" --user load --ttl 3600)"
  local base="http://127.0.0.1:$port"
  wrk_row "$name" idle "$base/api/studies?limit=50" "$token"
  wrk_row "$name" idle "$base/api/health"

  local exporters=() i
  for i in 1 2 3 4; do
    (while curl -sf -o /dev/null -H "$token" "$base/api/export/study/$STUDY_UID?previews=false"; do :; done) &
    exporters+=($!)
    PIDS+=("$!")
  done
  sleep 1
  wrk_row "$name" "4 exports" "$base/api/studies?limit=50" "$token"
  for i in "${exporters[@]}"; do stop_pid "$i"; done

  start_slow "$port"
  wrk_row "$name" "200 slow" "$base/api/studies?limit=50" "$token"
  wrk_row "$name" "200 slow" "$base/api/health"
  stop_pid "$SLOW_PID"
  stop_pid "$pid"
}

measure_orthanc() {
  start_orthanc
  PIDS+=("$ORTHANC_PID")
  local base="http://127.0.0.1:$OPORT" file
  for file in "$WORK"/ct/*/*.dcm; do
    curl -sf -o /dev/null -X POST --data-binary @"$file" "$base/instances"
  done
  wrk_row orthanc idle "$base/studies"
  wrk_row orthanc idle "$base/system"
  start_slow "$OPORT"
  wrk_row orthanc "200 slow" "$base/studies"
  wrk_row orthanc "200 slow" "$base/system"
  stop_pid "$SLOW_PID"
  stop_pid "$ORTHANC_PID"
}

echo "command: $COMMAND_LINE"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo
echo "| server | condition | request | p50 ms | p99 ms | req/s | non-2xx | timeouts (>2 s) |"
echo "|---|---|---|---|---|---|---|---|"
measure_pacsport pacsport "$BIN"
if [[ -n $BASELINE ]]; then measure_pacsport baseline "$BASELINE"; fi
measure_orthanc
