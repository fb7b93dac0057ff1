#!/usr/bin/env bash
# A throwaway Postgres for the tests: its own cluster in a temp directory, listening on
# 127.0.0.1 on a free port, trust authentication, database `slayer_test`.
#
#   bash scripts/pg-test-server.sh start   # prints SLAYER_TEST_PG_URL=postgresql://... on stdout
#   bash scripts/pg-test-server.sh stop    # stops it and deletes the cluster
#
# Idempotent: `start` on a running cluster prints the same URL again. Installs Debian's
# `postgresql` package with apt when no Postgres binaries are found (needs root).
# initdb and postgres refuse to run as root, so as root they run as the `postgres` user.
# Logs go to stderr; stdout carries only the URL line, so `eval "$(... start)"` works.
set -euo pipefail

STATE_DIR="${SLAYER_PG_DIR:-${TMPDIR:-/tmp}/slayer-pg-test-$(id -u)}"
DATA="$STATE_DIR/data"
PORT_FILE="$STATE_DIR/port"
LOG="$STATE_DIR/postgres.log"
LOCK="$STATE_DIR.startlock"
DATABASE=slayer_test
log() { echo "[pg-test-server] $*" >&2; }
# free_port and run_command; this script's own cmd_stop (pg_ctl) replaces the library's.
# shellcheck source=lib/test-server.sh
source "$(dirname "$0")/lib/test-server.sh"

find_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && { echo "$dir"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  return 1
}

install_postgres() {
  if [ "$(id -u)" -ne 0 ]; then
    log "no Postgres binaries (initdb, pg_ctl, postgres) found; install Debian's 'postgresql' package or run as root"
    exit 1
  fi
  log "apt-get install postgresql"
  (apt-get update -qq || true) >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# Runs a Postgres binary as a user it accepts: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

is_running() {
  [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

init_cluster() {
  log "initdb into $DATA"
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres: "$STATE_DIR"
  fi
  as_owner "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >&2
  # Single-user mode creates the database before any server listens: no psql needed.
  echo "CREATE DATABASE $DATABASE;" | as_owner "$BIN/postgres" --single -D "$DATA" postgres >/dev/null 9>&-
}

start_server() {
  local port
  port="$(free_port)"
  log "starting on 127.0.0.1:$port (log: $LOG)"
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $STATE_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 9>&- # the server must not inherit the start lock, or it would hold it forever
  echo "$port" >"$PORT_FILE"
}

cmd_start() {
  BIN="$(find_bin_dir)" || { install_postgres; BIN="$(find_bin_dir)"; } || { log "Postgres binaries still missing"; exit 1; }
  exec 9>"$LOCK" # two test runs starting at once share one cluster
  flock -w 120 9 || { log "another start holds $LOCK for over 2 minutes"; exit 1; }
  if [ ! -f "$DATA/PG_VERSION" ] || [ ! -d "$DATA/base" ]; then init_cluster; fi
  if ! is_running || [ ! -s "$PORT_FILE" ]; then
    rm -f "$DATA/postmaster.pid"
    start_server
  fi
  echo "SLAYER_TEST_PG_URL=postgresql://postgres@127.0.0.1:$(cat "$PORT_FILE")/$DATABASE"
}

cmd_stop() {
  if BIN="$(find_bin_dir)" && [ -d "$DATA" ] && is_running; then
    log "stopping"
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  fi
  rm -rf "$STATE_DIR" "$LOCK"
}

run_command "$@"
