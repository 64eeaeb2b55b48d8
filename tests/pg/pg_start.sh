#!/bin/sh
# pg_start.sh — start a private PostgreSQL server for the tests.
#
# Usage: pg_start.sh DIR      (DIR must not exist or be empty)
# Creates a cluster in DIR/data (initdb, trust auth, UTF8, C locale) and
# starts it listening ONLY on a unix socket in DIR (listen_addresses='',
# no TCP port), with fsync off (test data).  As root the server runs as the
# `postgres` system user (PostgreSQL refuses root); otherwise as the caller.
# Creates database "sa" and prints its URL on stdout:
#   postgresql://postgres@/sa?host=DIR
# Every wait is bounded (pg_ctl -t).  Stop it with pg_stop.sh DIR.  Never
# touches any other PostgreSQL on the machine (own data dir, own socket dir).
set -eu
dir=${1:?usage: pg_start.sh DIR}
bin=${SA_PG_BIN:-}
if [ -z "$bin" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bin=$d; done
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "pg_start: no PostgreSQL server binaries (initdb)" >&2; exit 1; }
mkdir -p "$dir"
user=$(id -un)
as=""
if [ "$(id -u)" = 0 ]; then
  user=postgres
  id postgres >/dev/null 2>&1 || { echo "pg_start: no postgres system user" >&2; exit 1; }
  chown postgres: "$dir"
  as="runuser -u postgres --"
fi
chmod 700 "$dir"
$as "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C -N >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
$as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-c listen_addresses='' -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
$as "$bin/createdb" -h "$dir" -U postgres sa
echo "postgresql://postgres@/sa?host=$dir"
