# serve_helpers.bash — helpers for serve*.bats (not serve_fs*): start the
# real sa-serve on 127.0.0.1 port 0 with a private db and state dir, call it
# with curl, wait (bounded) for events, find a session's processes in /proc.
# Only the sa-serve we started is signalled, by pid.

# serve_start [sa-serve args...] — sets URL, SPID; files in $T (default
# $BATS_TEST_TMPDIR).  SA_SERVE_DB overrides the db path (restart tests).
serve_start() {
  T=${T:-$BATS_TEST_TMPDIR}
  local db=${SA_SERVE_DB:-$T/sa.db}
  : >"$T/serve.out"
  sa-serve --port 0 --db "$db" --state-dir "$T/state" --fs-root "$T" "$@" \
    >"$T/serve.out" 2>>"$T/serve.err" 3>&- &
  SPID=$!
  echo "$SPID" >>"$T/serve.pids"
  serve_wait_listening "$SPID" "$T/serve.out" "$T/serve.err" || return 1
  PORT=${URL##*:}
  export URL PORT SPID
}

# serve_wait_listening PID OUT ERR — wait (at most 10 s) until the sa-serve
# PID prints its "listening on" line to OUT; sets URL.  Fails, showing OUT
# and ERR, if it exits or the time is up.
serve_wait_listening() {
  local pid=$1 out=$2 err=$3 i=0
  while ! grep -q 'listening on http://127.0.0.1:' "$out" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "sa-serve did not start:" >&2
      cat "$out" "$err" >&2
      return 1
    fi
    sleep 0.05
  done
  URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -1)
}

# serve_stop [pid [tries]] — SIGTERM, wait up to tries × 50 ms (default 200),
# then SIGKILL.
serve_stop() {
  local pid=${1:-$SPID} tries=${2:-200}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  local i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt "$tries" ]; do sleep 0.05; i=$((i + 1)); done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# serve_teardown — stop every server this test started; fail when a
# sanitizer (SANITIZE=1 builds) reported anything.
serve_teardown() {
  local p t=${T:-$BATS_TEST_TMPDIR}
  for p in $(cat "$t/serve.pids" 2>/dev/null); do serve_stop "$p"; done
  if grep -qE 'Sanitizer|runtime error' "$t/serve.err" 2>/dev/null; then
    cat "$t/serve.err" >&2
    return 1
  fi
}

# api METHOD PATH [JSON] [curl args...] — body in $T/body, status in $code.
api() {
  local m=$1 p=$2 d=${3-}
  shift 2; [ $# -gt 0 ] && shift
  if [ -n "$d" ]; then
    code=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' \
      --data-binary "$d" --max-time 20 "$@" "$URL$p")
  else
    code=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" --max-time 20 "$@" "$URL$p")
  fi
  body=$(cat "$T/body")
}

# problem_is STATUS TYPE — the last api reply is a problem-details body of
# that status and urn:sandbox-agent:error:TYPE.
problem_is() {
  [ "$code" = "$1" ] || { echo "status $code, want $1: $body"; return 1; }
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:$2" ] || { echo "body: $body"; return 1; }
  [ "$(jq -r .status <<<"$body")" = "$1" ]
}

# wait_event SESSION JQ-CONDITION [tries] — poll /events (every page) until an event matches.
wait_event() {
  local s=$1 cond=$2 n=${3:-200} i=0
  while [ "$i" -lt "$n" ]; do
    if events "$s" | jq -s -e "[.[] | select($cond)] | length > 0" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.05; i=$((i + 1))
  done
  echo "timed out waiting for $cond in $s" >&2
  curl -s "$URL/v1/sessions/$s/events" | jq -c '.events[] | [.sequence, .type]' >&2
  return 1
}

# events SESSION [QUERY] — every event (following hasMore pages: an answer
# without a limit holds at most 10000), one JSON line each.
events() {
  local off=0 page more
  while :; do
    page=$(curl -s --max-time 20 "$URL/v1/sessions/$1/events?offset=$off${2:+&$2}") || return 1
    jq -c '.events[]' <<<"$page"
    more=$(jq -r '.hasMore' <<<"$page")
    [ "$more" = true ] || return 0
    off=$(jq -r '.events[-1].sequence' <<<"$page")
  done
}

# session_pids SESSION — pids whose command line has "--session SESSION"
# and that belong to this test: the command line names a path under $T
# (sa-spawn's --control, sa-normalize's --diff-dir, sa-store's --db) or the
# working directory is under $T (the agent runs in the session's directory).
# Parallel test files use the same short ids (s1, d1, ...).
session_pids() {
  local f pid cmd cwd
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    cmd=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
    case "$cmd" in *"--session $1 "*) ;; *) continue ;; esac
    if [ -n "${T:-}" ]; then
      case "$cmd" in
        *"$T/"*) ;;
        *) cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || continue
           case "$cwd/" in "$T/"*) ;; *) continue ;; esac ;;
      esac
    fi
    echo "$pid"
  done
  return 0
}

# group_pids PGID — pids in that process group.
group_pids() {
  local f
  for f in /proc/[0-9]*/stat; do
    awk -v g="$1" '{ s = $0; sub(/^.*\) /, "", s); split(s, a, " "); if (a[3] == g) print FILENAME }' "$f" 2>/dev/null
  done | sed 's,/proc/,,; s,/stat,,'
}

# wait_gone CMD... — until CMD prints nothing (bounded, 10 s).
wait_gone() {
  local i=0
  while [ -n "$("$@")" ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || return 1
    sleep 0.05
  done
}
