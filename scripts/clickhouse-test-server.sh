#!/usr/bin/env bash
# A throwaway ClickHouse for the tests: its own config, data, tmp and log directories in a
# temp directory, only its HTTP interface on 127.0.0.1 on a free port (no native TCP, MySQL or
# interserver port, so nothing clashes with a system-wide ClickHouse), time zone UTC, and one
# user `slayer` (password `slayer`, from 127.0.0.1 or ::1 only) with the `default` profile.
# The profile keeps ClickHouse's defaults (join_use_nulls = 0 among them): the driver must
# set what it needs per query, as it must on users' servers.
#
#   bash scripts/clickhouse-test-server.sh start   # prints SLAYER_TEST_CLICKHOUSE_URL=http://... on stdout
#   bash scripts/clickhouse-test-server.sh stop    # stops it and deletes the temp directory
#
# Idempotent: `start` on a running server prints the same URL again. Installs Debian's
# `clickhouse-server` package (bookworm: 18.16) with apt when no ClickHouse binary is found
# (needs root), with a policy-rc.d that keeps the package from starting its own system-wide
# service. As root the server runs as the package's `clickhouse` user (setpriv), never as root.
# Logs go to stderr; stdout carries only the URL line, so `eval "$(... start)"` works.
set -euo pipefail

STATE_DIR="${SLAYER_CLICKHOUSE_DIR:-${TMPDIR:-/tmp}/slayer-clickhouse-test-$(id -u)}"
CONFIG="$STATE_DIR/config.xml"
USERS="$STATE_DIR/users.xml"
PID_FILE="$STATE_DIR/clickhouse.pid"
PORT_FILE="$STATE_DIR/port"
LOG="$STATE_DIR/log/clickhouse-server.log"
LOCK="$STATE_DIR.startlock"
USER_NAME=slayer
PASSWORD=slayer
RUN_AS=clickhouse
log() { echo "[clickhouse-test-server] $*" >&2; }

# clickhouse-server (Debian's package, and a symlink in upstream's packages), found also in
# the sbin directories, which a normal user's PATH often lacks.
find_server() {
  local dir
  SERVER="$(command -v clickhouse-server 2>/dev/null)" && return 0
  for dir in /usr/sbin /usr/local/sbin /usr/bin /usr/local/bin; do
    [ -x "$dir/clickhouse-server" ] && { SERVER="$dir/clickhouse-server"; return 0; }
  done
  return 1
}

# shellcheck source=lib/test-server.sh
source "$(dirname "$0")/lib/test-server.sh"

install_clickhouse() { apt_install_quietly clickhouse-server "clickhouse-server binary"; }

# As root the server drops to the package's user (setpriv execs, so the pid stays the server's).
if [ "$(id -u)" -eq 0 ]; then
  AS_OWNER=(setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups --)
else
  AS_OWNER=()
fi

# The pid of our server if it is alive: the pid file's process, if its command line names
# our config file (a stale pid file may point at a reused pid).
server_pid() {
  local pid
  [ -s "$PID_FILE" ] && pid="$(cat "$PID_FILE")" && alive "$pid" &&
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--config-file=$CONFIG" && echo "$pid"
}

# Exit status 0 when the server at $1 answers `SELECT 1` over HTTP as our user.
answers() {
  SLAYER_CH_PORT="$1" SLAYER_CH_AUTH="$USER_NAME:$PASSWORD" node -e '
    const auth = Buffer.from(process.env.SLAYER_CH_AUTH).toString("base64");
    fetch(`http://127.0.0.1:${process.env.SLAYER_CH_PORT}/`, {
      method: "POST", body: "SELECT 1", headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(2000),
    }).then(async (r) => process.exit(r.ok && (await r.text()).trim() === "1" ? 0 : 1), () => process.exit(1));
  ' 2>/dev/null
}

is_running() {
  server_pid >/dev/null && [ -s "$PORT_FILE" ] && answers "$(cat "$PORT_FILE")"
}

# `<yandex>` is the root element every ClickHouse release reads (newer ones also take
# `<clickhouse>`). Ports left out are not opened: only HTTP is needed.
write_config() {
  local port="$1"
  cat >"$CONFIG" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$STATE_DIR/log/clickhouse-server.log</log>
    <errorlog>$STATE_DIR/log/clickhouse-server.err.log</errorlog>
    <size>10M</size>
    <count>2</count>
    <console>0</console>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$port</http_port>
  <path>$STATE_DIR/data/</path>
  <tmp_path>$STATE_DIR/tmp/</tmp_path>
  <user_files_path>$STATE_DIR/user_files/</user_files_path>
  <format_schema_path>$STATE_DIR/format_schemas/</format_schema_path>
  <users_config>$USERS</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
XML
  cat >"$USERS" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
    </default>
  </profiles>
  <users>
    <$USER_NAME>
      <password>$PASSWORD</password>
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </$USER_NAME>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
XML
}

prepare_dir() {
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"/{data,tmp,log,user_files,format_schemas}
  chmod 700 "$STATE_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    id "$RUN_AS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS"
  fi
}

start_server() {
  local port pid waited=0
  port="$(free_port)"
  prepare_dir
  write_config "$port"
  [ "$(id -u)" -ne 0 ] || chown -R "$RUN_AS": "$STATE_DIR"
  log "starting on 127.0.0.1:$port (log: $LOG)"
  # The server must not inherit the start lock (fd 9), or it would hold it forever, nor our
  # stdout, or `$(... start)` would wait for it to exit.
  "${AS_OWNER[@]}" "$SERVER" --config-file="$CONFIG" </dev/null >>"$STATE_DIR/log/stdout.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  until answers "$port"; do
    if ! alive "$pid" || [ "$waited" -ge 120 ]; then
      if alive "$pid"; then log "clickhouse-server did not answer within 60s; last lines of its logs:"; else log "clickhouse-server exited; last lines of its logs:"; fi
      tail -n 30 "$STATE_DIR/log/clickhouse-server.err.log" "$STATE_DIR/log/stdout.log" >&2 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  echo "$port" >"$PORT_FILE"
}

cmd_start() {
  # Locked before the install too: two starts must not both run apt and swap policy-rc.d.
  exec 9>"$LOCK" # two test runs starting at once share one server
  flock -w 600 9 || { log "another start holds $LOCK for over 10 minutes"; exit 1; }
  find_server || { install_clickhouse; find_server; } || { log "clickhouse-server still missing"; exit 1; }
  if ! is_running; then
    stop_server
    start_server
  fi
  echo "SLAYER_TEST_CLICKHOUSE_URL=http://$USER_NAME:$PASSWORD@127.0.0.1:$(cat "$PORT_FILE")/"
}

run_command "$@"
