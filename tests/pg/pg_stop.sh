#!/bin/sh
# pg_stop.sh — stop the private server pg_start.sh started in DIR and
# remove DIR.  Usage: pg_stop.sh DIR.  pg_ctl stop -m immediate with a
# bounded wait; if that fails, the postmaster pid from DIR/data is killed
# (only that pid: the server's own children exit with it).
dir=${1:?usage: pg_stop.sh DIR}
[ -d "$dir/data" ] || { rm -rf "$dir"; exit 0; }
bin=${SA_PG_BIN:-}
if [ -z "$bin" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && bin=$d; done
fi
as=""
[ "$(id -u)" = 0 ] && as="runuser -u postgres --"
if [ -f "$dir/data/postmaster.pid" ]; then
  if ! $as "$bin/pg_ctl" -D "$dir/data" -m immediate -t 20 -w stop >/dev/null 2>&1; then
    pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null)
    case $pid in ''|*[!0-9]*) ;; *) kill -KILL "$pid" 2>/dev/null ;; esac
  fi
fi
rm -rf "$dir"
