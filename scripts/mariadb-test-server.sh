#!/usr/bin/env bash
# A throwaway MariaDB for the tests: its own data directory in a temp directory, listening
# on 127.0.0.1 on a free port (its unix socket inside that directory), database `slayer_test`
# and user `slayer` (password `slayer`, from 127.0.0.1 or localhost only) who owns
# `slayer_test` and may create and drop any other database named `slayer_...`.
#
#   bash scripts/mariadb-test-server.sh start   # prints SLAYER_TEST_MYSQL_URL=mysql://... on stdout
#   bash scripts/mariadb-test-server.sh stop    # stops it and deletes the data directory
#
# Idempotent: `start` on a running server prints the same URL again. Installs Debian's
# `mariadb-server` package with apt when no MariaDB binaries are found (needs root), with a
# policy-rc.d that keeps the package from starting its own system-wide service.
# mariadbd refuses to run as root, so as root it runs with --user=mysql.
# sql_mode stays at the server's default: the engine must work against users' default servers.
# Logs go to stderr; stdout carries only the URL line, so `eval "$(... start)"` works.
set -euo pipefail

STATE_DIR="${SLAYER_MARIADB_DIR:-${TMPDIR:-/tmp}/slayer-mariadb-test-$(id -u)}"
DATA="$STATE_DIR/data"
SOCKET="$STATE_DIR/mariadb.sock"
PID_FILE="$STATE_DIR/mariadbd.pid"
PORT_FILE="$STATE_DIR/port"
LOG="$STATE_DIR/mariadbd.log"
INITIALIZED="$STATE_DIR/initialized"
LOCK="$STATE_DIR.startlock"
DATABASE=slayer_test
USER_NAME=slayer
PASSWORD=slayer
log() { echo "[mariadb-test-server] $*" >&2; }

# The first of the given commands found on PATH or in the sbin directories, which a
# normal user's PATH often lacks.
find_cmd() {
  local name dir
  for name in "$@"; do
    command -v "$name" 2>/dev/null && return 0
    for dir in /usr/sbin /usr/local/sbin /usr/libexec /usr/local/mysql/bin /usr/local/mysql/scripts; do
      [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
  done
  return 1
}

# Sets SERVER, INSTALL_DB and ADMIN, or fails.
find_bins() {
  SERVER="$(find_cmd mariadbd mysqld)" &&
    INSTALL_DB="$(find_cmd mariadb-install-db mysql_install_db)" &&
    ADMIN="$(find_cmd mariadb-admin mysqladmin)"
}

# shellcheck source=lib/test-server.sh
source "$(dirname "$0")/lib/test-server.sh"

install_mariadb() { apt_install_quietly mariadb-server "MariaDB binaries (mariadbd, mariadb-install-db, mariadb-admin)"; }

# mariadbd's own switch to an unprivileged user when we are root; nothing otherwise.
if [ "$(id -u)" -eq 0 ]; then AS_OWNER=(--user=mysql); else AS_OWNER=(); fi

# The pid of our server if it is alive: the pid file's process, if its command line names
# our data directory (a stale pid file may point at a reused pid).
server_pid() {
  local pid
  [ -s "$PID_FILE" ] && pid="$(cat "$PID_FILE")" && alive "$pid" &&
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--datadir=$DATA" && echo "$pid"
}

is_running() {
  server_pid >/dev/null && "$ADMIN" --no-defaults --socket="$SOCKET" --connect-timeout=5 ping >/dev/null 2>&1
}

init_datadir() {
  log "mariadb-install-db into $DATA"
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    id mysql >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mysql
    chown mysql: "$STATE_DIR"
  fi
  # --no-defaults first everywhere: the machine's my.cnf (socket in /run/mysqld, port 3306,
  # its own datadir) must not leak in. --skip-test-db: no `test` database, no anonymous users.
  "$INSTALL_DB" --no-defaults "${AS_OWNER[@]}" --datadir="$DATA" --skip-test-db \
    --auth-root-authentication-method=socket >&2 9>&-
  # Bootstrap mode runs SQL before any server listens, like Postgres's single-user mode.
  # It implies --skip-grant-tables, which FLUSH PRIVILEGES undoes so that GRANT works.
  # In GRANT database patterns `_` is a wildcard, hence `slayer\_%`. Killing one's own
  # queries (KILL QUERY <id>) needs no privilege in MariaDB, so none beyond these is granted.
  "$SERVER" --no-defaults "${AS_OWNER[@]}" --datadir="$DATA" --bootstrap --skip-log-bin \
    --innodb-buffer-pool-size=64M --log-error="$STATE_DIR/bootstrap.log" >&2 9>&- <<SQL
FLUSH PRIVILEGES;
CREATE DATABASE IF NOT EXISTS $DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON \`$DATABASE\`.* TO '$USER_NAME'@'127.0.0.1', '$USER_NAME'@'localhost';
GRANT ALL PRIVILEGES ON \`slayer\\_%\`.* TO '$USER_NAME'@'127.0.0.1', '$USER_NAME'@'localhost';
SQL
  touch "$INITIALIZED" # last: a half-done init is redone on the next start
}

start_server() {
  local port pid waited=0
  port="$(free_port)"
  log "starting on 127.0.0.1:$port (log: $LOG)"
  : >>"$LOG"
  [ "$(id -u)" -ne 0 ] || chown mysql: "$LOG"
  # The server must not inherit the start lock (fd 9), or it would hold it forever, nor our
  # stdout, or `$(... start)` would wait for it to exit.
  "$SERVER" --no-defaults "${AS_OWNER[@]}" --datadir="$DATA" --pid-file="$PID_FILE" \
    --socket="$SOCKET" --port="$port" --bind-address=127.0.0.1 --skip-networking=0 \
    --skip-name-resolve --log-error="$LOG" --skip-log-bin --performance-schema=OFF \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --max-connections=200 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --default-time-zone=+00:00 \
    </dev/null >>"$LOG" 2>&1 9>&- &
  pid=$!
  until "$ADMIN" --no-defaults --socket="$SOCKET" --connect-timeout=2 ping >/dev/null 2>&1; do
    if ! alive "$pid" || [ "$waited" -ge 600 ]; then
      if alive "$pid"; then log "mariadbd did not answer within 60s; last lines of $LOG:"; else log "mariadbd exited; last lines of $LOG:"; fi
      tail -n 30 "$LOG" >&2 || true
      kill "$pid" 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "$port" >"$PORT_FILE"
}

cmd_start() {
  # Locked before the install too: two starts must not both run apt and swap policy-rc.d.
  exec 9>"$LOCK" # two test runs starting at once share one server
  flock -w 600 9 || { log "another start holds $LOCK for over 10 minutes"; exit 1; }
  find_bins || { install_mariadb; find_bins; } || { log "MariaDB binaries still missing"; exit 1; }
  if [ ! -f "$INITIALIZED" ]; then init_datadir; fi
  if ! is_running || [ ! -s "$PORT_FILE" ]; then
    stop_server
    rm -f "$PID_FILE" "$SOCKET"
    start_server
  fi
  echo "SLAYER_TEST_MYSQL_URL=mysql://$USER_NAME:$PASSWORD@127.0.0.1:$(cat "$PORT_FILE")/$DATABASE"
}

run_command "$@"
