#!/usr/bin/env bash
# replicas.sh [SLICES] [CLIENTS]: CLIENTS concurrent streamed exports of one study
# through nginx in front of 1 replica and of 2 replicas, side by side in one run with
# the same exports asked directly of one replica and `zip -9` of the same files as the
# outside reference; the browse latency (GET /api/studies?limit=50, one request after
# another on a kept-alive connection) is measured while each set of exports runs.
#
# The deployment is docs/deploy.md's: two `pacsport serve` sharing one data directory
# and its index, with the limits of deploy/pacsport.env, behind the project's nginx site
# deploy/nginx-pacsport.conf over TLS (rendered by tests/integration/replica_cluster.py,
# exactly as the replica test runs it). A generated SLICES-slice 512x512 16-bit CT
# (default 100, bench/generate_ct.py) is the study. Every archive must pass `unzip -tq`
# and hold one .dcm entry per slice. The exports per user, hospital and replica are
# raised to CLIENTS so that none is refused. Prints the command line, the machine and a
# Markdown table.
#
# Environment: PACSPORT_BIN (default build/src/app/pacsport); TMPDIR for the work folder
# (about CLIENTS + 2 bytes of free disk per byte of DICOM).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source bench/common.sh
COMMAND_LINE=$(command_line "PACSPORT_BIN TMPDIR" "$0" "$@")

SLICES=${1:-100}
CLIENTS=${2:-8}
BIN=$(realpath "${PACSPORT_BIN:-build/src/app/pacsport}")
[[ -x $BIN ]] || fail "no pacsport at $BIN: build it (scripts/build.sh) or set PACSPORT_BIN"
[[ -x /usr/sbin/nginx ]] || fail "no nginx: scripts/install-deps.sh installs it"

start_work_folder
trap 'exit 130' INT TERM

# The replicas' environment: deploy/pacsport.env's limits, one JWT secret, and room for
# CLIENTS exports at once.
while IFS= read -r setting; do
  export "${setting?}"
done < <(grep -E '^PACSPORT_(MAX_CONNECTIONS_PER_ADDRESS|ANONYMOUS_REQUESTS_PER_SECOND)=' deploy/pacsport.env)
PACSPORT_JWT_SECRET=$(openssl rand -base64 48)
export PACSPORT_JWT_SECRET PACSPORT_MAX_CONCURRENT_EXPORTS=$CLIENTS
export PACSPORT_MAX_EXPORTS_PER_HOSPITAL=$CLIENTS PACSPORT_MAX_EXPORTS_PER_USER=$CLIENTS

start_replica() {  # start_replica NAME: sets REPLICA_PORT
  REPLICA_PORT=$(free_port)
  "$BIN" serve --data "$WORK/data" --listen "127.0.0.1:$REPLICA_PORT" >>"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$REPLICA_PORT/api/health" "$!" "$WORK/$1.log"
}

start_nginx() {  # start_nginx NAME REPLICA_PORT...: sets NGINX_URL
  local port
  port=$(free_port)
  /usr/bin/python3 tests/integration/replica_cluster.py nginx "$WORK/$1" "$port" "${@:2}" \
    >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  NGINX_URL=https://127.0.0.1:$port
  local tries=300
  until curl -sf --cacert "$WORK/$1/cert.pem" -o /dev/null "$NGINX_URL/api/health"; do
    ((--tries > 0)) || fail_with_log "$WORK/$1.log" "nginx $1 did not answer"
    sleep 0.1
  done
  CACERT[$NGINX_URL]=$WORK/$1/cert.pem
}

percentile() {  # percentile P < numbers: the P-th percentile (nearest rank), in ms
  sort -g | awk -v p="$1" '{v[NR] = $1} END {i = int((p / 100) * NR + 0.999); if (i < 1) i = 1; printf "%.0f", v[i] * 1000}'
}

ROWS=''
run_exports() {  # run_exports LABEL BASE_URL
  local label=$1 base=$2 tls=() i
  [[ -z ${CACERT[$base]:-} ]] || tls=(--cacert "${CACERT[$base]}")
  : >"$WORK/browse.times"
  local started finished
  started=$(date +%s.%N)
  local exports=()
  for ((i = 0; i < CLIENTS; i++)); do
    curl -sSf "${tls[@]}" "${AUTH[@]}" -o "$WORK/out.$i.zip" \
      "$base/api/export/study/$UID_?previews=false" &
    exports+=($!)
  done
  # Browsing meanwhile, one request after another on one kept-alive connection (a
  # curl of 20 requests at a time), until the last export ends.
  local browse=() out=()
  for ((i = 0; i < 20; i++)); do browse+=("$base/api/studies?limit=50"); out+=(-o /dev/null); done
  (while :; do
    curl -sSf "${tls[@]}" "${AUTH[@]}" "${out[@]}" -w '%{time_total}\n' "${browse[@]}" \
      >>"$WORK/browse.times" || exit 1
  done) &
  local browser=$!
  for i in "${exports[@]}"; do wait "$i" || fail "an export through $label failed"; done
  finished=$(date +%s.%N)
  kill "$browser" 2>/dev/null || true
  wait "$browser" 2>/dev/null || true
  local bytes=0 count
  for ((i = 0; i < CLIENTS; i++)); do
    unzip -tq "$WORK/out.$i.zip" >/dev/null || fail "an archive through $label fails unzip -t"
    count=$(unzip -Z1 "$WORK/out.$i.zip" | grep -c '\.dcm$' || true)
    ((count == SLICES)) || fail "an archive through $label holds $count .dcm entries"
    bytes=$((bytes + $(stat -c %s "$WORK/out.$i.zip")))
    rm -f "$WORK/out.$i.zip"
  done
  local seconds requests
  seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN {printf "%.2f", b - a}')
  requests=$(wc -l <"$WORK/browse.times")
  ROWS+="| $label | $seconds | $(awk -v n="$INPUT" -v c="$CLIENTS" -v s="$seconds" 'BEGIN {printf "%.1f", n * c / 1e6 / s}') | $(awk -v n="$bytes" -v s="$seconds" 'BEGIN {printf "%.1f", n / 1e6 / s}') | $requests | $(percentile 50 <"$WORK/browse.times") | $(percentile 99 <"$WORK/browse.times") |"$'\n'
}

log "generating $SLICES slices..."
UID_=$(/usr/bin/python3 bench/generate_ct.py "$WORK/src" "$SLICES" --studies 1 --patient-id BENCH-REPLICAS)
INPUT=$(find "$WORK/src" -name '*.dcm' -printf '%s\n' | awk '{n += $1} END {print n}')
"$BIN" hospital add --data "$WORK/data" Bench >/dev/null
"$BIN" user add --data "$WORK/data" --hospital Bench --role admin bench <<<"bench-pass" >/dev/null
"$BIN" import --data "$WORK/data" --hospital Bench "$WORK/src" >/dev/null
AUTH=(-H "Authorization: Bearer $("$BIN" token --data "$WORK/data" --user bench --ttl 28800)")

declare -A CACERT
start_replica a
A=$REPLICA_PORT
start_replica b
B=$REPLICA_PORT
start_nginx one-replica "$A"
ONE=$NGINX_URL
start_nginx two-replicas "$A" "$B"
TWO=$NGINX_URL

run_exports "direct to one replica" "http://127.0.0.1:$A"
run_exports "nginx, 1 replica" "$ONE"
run_exports "nginx, 2 replicas" "$TWO"

# The outside reference: the same files zipped at the same level, CLIENTS at once.
started=$(date +%s.%N)
for ((i = 0; i < CLIENTS; i++)); do
  (cd "$WORK/src" && zip -q -9 -r "$WORK/ref.$i.zip" .) &
  zips+=($!)
done
for pid in "${zips[@]}"; do wait "$pid"; done
finished=$(date +%s.%N)
seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN {printf "%.2f", b - a}')
ROWS+="| zip -9 -r, $CLIENTS at once | $seconds | $(awk -v n="$INPUT" -v c="$CLIENTS" -v s="$seconds" 'BEGIN {printf "%.1f", n * c / 1e6 / s}') | $(awk -v n="$(cat "$WORK"/ref.*.zip | wc -c)" -v s="$seconds" 'BEGIN {printf "%.1f", n / 1e6 / s}') | — | — | — |"$'\n'

echo "$COMMAND_LINE"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(/usr/sbin/nginx -v 2>&1)"
echo "study: $SLICES slices, $INPUT bytes of DICOM; $CLIENTS exports at once (previews=false, level 9)"
echo
echo "| $CLIENTS exports at once | wall seconds | MB/s of DICOM in | MB/s of ZIP out | browse requests | browse p50 (ms) | browse p99 (ms) |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$ROWS"
