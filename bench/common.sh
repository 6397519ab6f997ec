# shellcheck shell=bash
# Helpers shared by the benchmarks; sourced, not run. Callers set WORK (their work
# folder) before starting Orthanc.

log() { echo "[bench] $*" >&2; }
fail() { log "error: $*"; exit 1; }
fail_with_log() {  # fail_with_log LOG MESSAGE...: the end of a server's log, then fail
  tail -n 20 "$1" >&2
  fail "${@:2}"
}

# command_line "VAR..." SCRIPT ARG...: how to run the benchmark again, as printed with
# its results: the given environment variables that are set, then the command.
command_line() {
  local var
  for var in $1; do
    if [[ -v $var ]]; then printf '%s=%q ' "$var" "${!var}"; fi
  done
  printf 'bash %q' "$2"
  if (($# > 2)); then printf ' %q' "${@:3}"; fi
}

# start_work_folder: makes WORK, a temporary folder, and PIDS, the background processes
# the benchmark starts; on exit those processes are stopped and the folder removed.
start_work_folder() {
  WORK=$(mktemp -d)
  PIDS=()
  trap stop_work_folder EXIT
}
stop_work_folder() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# Forgets a process's peak so far (start-up: pacsport hashes its 64 MiB Argon2id decoy;
# Orthanc's uploads), so that peak_rss_mb afterwards is the peak of the measured work.
reset_peak_rss() { echo 5 >"/proc/$1/clear_refs"; }

# wait_http URL PID LOG: until URL answers; fails if PID dies or after 60 s.
wait_http() {
  local url=$1 pid=$2 log_file=$3 tries=600
  until curl -sf -o /dev/null "$url"; do
    if ! kill -0 "$pid" 2>/dev/null || ((--tries == 0)); then
      fail_with_log "$log_file" "server $pid did not answer $url"
    fi
    sleep 0.1
  done
}
stop_server() {  # stop_server PID_VAR
  local -n pid=$1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=''
}

# Starts Debian's Orthanc on a free loopback port over $WORK/orthanc-db; sets OPORT and
# ORTHANC_PID.
start_orthanc() {
  OPORT=$(free_port)
  mkdir -p "$WORK/orthanc-db"
  cat >"$WORK/orthanc.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$WORK/orthanc-db", "IndexDirectory": "$WORK/orthanc-db",
  "HttpPort": $OPORT, "DicomServerEnabled": false, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "Plugins": [] }
JSON
  Orthanc "$WORK/orthanc.json" >>"$WORK/orthanc.log" 2>&1 &
  ORTHANC_PID=$!
  wait_http "http://127.0.0.1:$OPORT/system" "$ORTHANC_PID" "$WORK/orthanc.log"
}
