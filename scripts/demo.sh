#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, seeds a demo data
# directory (two hospitals, their users, and every DICOM file that Debian's
# python3-pydicom ships, split between them), serves on http://127.0.0.1:8080 and
# stores AI results for a few demo studies (scripts/seed-demo-ai.sh).
# Re-running it reuses the data directory. Environment: PACSPORT_DATA (default
# ./data), PACSPORT_LISTEN (default 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
bash scripts/build-web.sh

BIN=build/src/app/pacsport
DATA="${PACSPORT_DATA:-$PWD/data}"
LISTEN="${PACSPORT_LISTEN:-127.0.0.1:8080}"
CORPUS=/usr/lib/python3/dist-packages/pydicom/data/test_files

if [ ! -f "$DATA/.demo-seeded" ]; then
  bash scripts/seed-demo.sh "$BIN" "$DATA" "$CORPUS"
  touch "$DATA/.demo-seeded"
fi

"$BIN" serve --data "$DATA" --listen "$LISTEN" --demo &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' INT TERM EXIT
URL="http://$LISTEN"
for _ in $(seq 100); do
  curl -sf "$URL/api/health" >/dev/null && break
  sleep 0.1
done
bash scripts/seed-demo-ai.sh "$URL"

login='{"username":"north-user","password":"north-user-pass"}'
token=$(curl -sf -X POST "$URL/api/auth/login" -H 'Content-Type: application/json' -d "$login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
study=$(curl -sf -H "Authorization: Bearer $token" "$URL/api/studies?limit=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["studies"][0]["studyInstanceUID"])')
cat <<MSG

pacsport is serving $URL (data in $DATA; Ctrl-C stops it).
Demo users (hospital / username / password):
  Northside General  north-admin / north-admin-pass (admin)   north-user / north-user-pass
  Riverside Clinic   river-admin / river-admin-pass (admin)   river-user / river-user-pass
Log in and download a study export:
  TOKEN=\$(curl -s -X POST $URL/api/auth/login -H 'Content-Type: application/json' \\
    -d '$login' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -fOJ -H "Authorization: Bearer \$TOKEN" "$URL/api/export/study/$study"
MSG
wait $SERVER
