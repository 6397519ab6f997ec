#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (never for data that matters).
#
#   scripts/postgres-test-server.sh start DIR PORT   initdb in DIR (created; must not hold
#                                                     a cluster yet) and start the server;
#                                                     prints its base URL on stdout
#   scripts/postgres-test-server.sh stop DIR          stops it (fast) and removes DIR
#
# The server listens on 127.0.0.1:PORT and on a unix socket in DIR, trusts local
# connections as user postgres, and runs with fsync off (a crash may lose it: tests
# only). Its URL names a server, not a database: the tests CREATE and DROP their own.
# As root, initdb and pg_ctl run as the postgres user (PostgreSQL refuses root).
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

usage() {
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
}

start() {
  local dir=$1 port=$2
  [ -x "$PG_BIN/initdb" ] || {
    echo "error: PostgreSQL 15 is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -e "$dir/db" ]; then
    echo "error: $dir already holds a cluster" >&2
    exit 1
  fi
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
  as_postgres "$PG_BIN/initdb" -D "$dir/db" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log"
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/db" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  echo "postgresql://postgres@127.0.0.1:$port"
}

stop() {
  local dir=$1
  [ -d "$dir/db" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/db" -m fast -w stop >/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) usage ;;
esac
