#!/usr/bin/env bash
# seed-demo-ai.sh URL: stores the AI results of scripts/demo-ai-results.json (a few
# studies of the demo corpus) through PUT /api/studies/:studyUID/ai-analysis, as each
# demo hospital's AI user (north-ai, river-ai), so that the demo shows AI badges. A
# study a hospital does not hold is skipped. Run by scripts/demo.sh once the server
# listens; the browser tests run it too. Re-running it stores the same results again.
set -euo pipefail
URL=$1
RESULTS="$(dirname "$0")/demo-ai-results.json"

for user in north-ai river-ai; do
  login="{\"username\":\"$user\",\"password\":\"$user-pass\"}"
  token=$(curl -sf -X POST "$URL/api/auth/login" -H 'Content-Type: application/json' -d "$login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$RESULTS")
  for ((i = 0; i < count; i++)); do
    uid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])]["studyInstanceUID"])' "$RESULTS" "$i")
    body=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))[int(sys.argv[2])]; print(json.dumps({"analysis": e["analysis"], "models": e["models"]}))' "$RESULTS" "$i")
    status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL/api/studies/$uid/ai-analysis" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")
    [ "$status" = 200 ] || [ "$status" = 204 ] || [ "$status" = 404 ] ||
      { echo "seed-demo-ai.sh: $user: PUT $uid answered $status" >&2; exit 1; }
  done
done
