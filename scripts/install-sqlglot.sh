#!/usr/bin/env bash
# Debian's python3-sqlglot (10.6.3 on bookworm): the independent parser that the
# warehouse dialect checks (test/unit/dialect-corpus.test.ts) read our SQL with.
# Installs it with apt when the system Python lacks it; prints the version.
set -euo pipefail
if /usr/bin/python3 -c 'import sqlglot' 2>/dev/null; then
  /usr/bin/python3 -c 'import sqlglot; print("sqlglot", sqlglot.__version__)'
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "python3-sqlglot is missing; install it as root: apt-get install -y python3-sqlglot" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends python3-sqlglot >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends python3-sqlglot >/dev/null
}
/usr/bin/python3 -c 'import sqlglot; print("sqlglot", sqlglot.__version__)'
