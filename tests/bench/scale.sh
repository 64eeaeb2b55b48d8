#!/bin/sh
# tests/bench/scale.sh — sa-serve at scale (issue 12 item 5), run by
# tests/bench/run.sh: a store of 1 and one of BENCH_SCALE_N (default
# 100000) sessions made by gen_sessions.sh; for each, the time from exec to
# the first answered /v1/health, RSS then, one SessionInfo lookup (the
# first use of a session reads its usage), /events of one session, the
# first and a second GET /v1/sessions (the first reads every session's
# totals once), and RSS after.  Prints figures, asserts nothing.
set -eu
N=${BENCH_SCALE_N:-100000}
here=$(dirname "$0")
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
now() { date +%s.%N; }
rss() { awk '/^VmRSS/ { print $2 " kB" }' "/proc/$1/status"; }

one() {   # one DB LABEL
  d="$tmp/$2"; mkdir -p "$d"
  t0=$(now)
  sa-serve --port 0 --no-token --db "$1" --state-dir "$d/state" --fs-root "$d" >"$d/out" 2>"$d/err" &
  pid=$!
  i=0
  until grep -q listening "$d/out" 2>/dev/null; do i=$((i + 1)); [ "$i" -lt 12000 ] || { echo "no start"; return 1; }; sleep 0.01; done
  url=$(grep -o 'http://[0-9.:]*' "$d/out")
  until curl -s -o /dev/null "$url/v1/health"; do sleep 0.01; done
  t1=$(now)
  printf '%s: start %.3f s, RSS %s\n' "$2" "$(echo "$t1 - $t0" | bc)" "$(rss $pid)"
  curl -s -o /dev/null -w "  lookup g1 %{time_total} s\n" "$url/v1/sessions/g1"
  curl -s -o /dev/null -w "  lookup g1 again %{time_total} s\n" "$url/v1/sessions/g1"
  curl -s -o /dev/null -w "  events of g1 %{time_total} s\n" "$url/v1/sessions/g1/events"
  curl -s -o /dev/null --max-time 600 -w "  list %{time_total} s, %{size_download} bytes\n" "$url/v1/sessions"
  curl -s -o /dev/null --max-time 600 -w "  list again %{time_total} s\n" "$url/v1/sessions"
  printf '  RSS after %s\n' "$(rss $pid)"
  kill "$pid"; wait "$pid" || true; pid=
}

echo "-- server at scale: 1 vs $N stored sessions (3 events each, made in SQLite)"
t0=$(now)
sh "$here/gen_sessions.sh" "$tmp/one.db" 1
sh "$here/gen_sessions.sh" "$tmp/big.db" "$N"
printf 'generated in %.1f s\n' "$(echo "$(now) - $t0" | bc)"
one "$tmp/one.db" "2 sessions"
one "$tmp/big.db" "$((N + 1)) sessions"
