# shellcheck shell=bash
# What the throwaway test servers (scripts/mariadb-test-server.sh, scripts/clickhouse-test-server.sh)
# share. Sourced after the script sets log(), STATE_DIR, LOCK and PID_FILE, and defines
# server_pid (the pid of its own server, or nothing) and cmd_start.

# Installs a Debian package without letting it start its system-wide service: policy-rc.d
# exiting 101 forbids invoke-rc.d to start services, so no second server holds the default
# ports next to ours. Any existing policy is put back afterwards, also when apt fails or we
# are interrupted. Needs root; $2 says what to install by hand otherwise.
POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
restore_policy() {
  if [ -n "$POLICY_BACKUP" ]; then mv -f "$POLICY_BACKUP" "$POLICY"; else rm -f "$POLICY"; fi
}

apt_install_quietly() {
  local package="$1" missing="$2"
  if [ "$(id -u)" -ne 0 ]; then
    log "no $missing found; install Debian's '$package' package or run as root"
    exit 1
  fi
  log "apt-get install $package"
  if [ -e "$POLICY" ]; then
    POLICY_BACKUP="$(mktemp "$POLICY.slayer-XXXXXX")"
    cp -p "$POLICY" "$POLICY_BACKUP"
  fi
  trap restore_policy EXIT
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  (apt-get update -qq || true) >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2
  restore_policy
  trap - EXIT
}

# A zombie (a server that died as our child) counts as gone.
alive() {
  kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# SIGTERM is the server's clean shutdown and needs no login; SIGKILL after a minute.
stop_server() {
  local pid waited=0
  pid="$(server_pid)" || return 0
  log "stopping"
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && [ "$waited" -lt 700 ]; do
    if [ "$waited" -eq 600 ]; then log "no clean shutdown within 60s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

cmd_stop() {
  stop_server
  rm -rf "$STATE_DIR" "$LOCK"
}

# `start` or `stop`, from the script's first argument.
run_command() {
  case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *)
      echo "usage: $0 start|stop" >&2
      exit 2
      ;;
  esac
}
