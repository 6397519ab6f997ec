#!/usr/bin/env bash
# pacsport with its index in PostgreSQL, for the integration tests' PostgreSQL round
# (PACSPORT_TEST_INDEX=postgres): server_process.pacsport_binary() answers this script,
# which runs $PACSPORT_REAL_BIN with PACSPORT_INDEX_URL naming the database of the
# command's --data directory (index_db.py: one database per data directory, created
# here on first use, so that the CLI commands seeding a directory and the servers
# started on it share one index, as they share DIR/index.sqlite on SQLite).
set -euo pipefail
data=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --data) data=${args[i + 1]:-} ;;
    --data=*) data=${args[i]#--data=} ;;
  esac
done
# A test that chooses the index itself (PACSPORT_INDEX_URL set, even empty) keeps it.
if [ -n "$data" ] && [ -z "${PACSPORT_INDEX_URL+set}" ]; then
  url=$(/usr/bin/python3 "$(dirname "$0")/index_db.py" ensure "$data")
  export PACSPORT_INDEX_URL="$url"
fi
exec "$PACSPORT_REAL_BIN" "$@"
