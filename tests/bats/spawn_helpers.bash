# spawn_helpers.bash — shared helpers for spawn*.bats and mock*.bats:
# drive sa-spawn over a FIFO control, wait (bounded) for output lines.
# Every wait is bounded; every process started here is ours and is killed
# by pid in teardown if still alive.

# wait_for FILE REGEX [SECONDS] — wait until a line of FILE matches (grep -E).
wait_for() {
  local f=$1 pat=$2 t=${3:-10} i=0
  while ! grep -qE -- "$pat" "$f" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt $((t * 20)) ]; then
      echo "timeout waiting for /$pat/ in $f:" >&2
      cat "$f" >&2 2>/dev/null
      return 1
    fi
    sleep 0.05
  done
}

# start_spawn ARGS... — run sa-spawn --control FIFO ARGS in the background;
# stdout in $OUT, stderr in $ERR, pid in $SPID; fd 5 writes to the FIFO.
start_spawn() {
  CTL=$BATS_TEST_TMPDIR/ctl
  OUT=$BATS_TEST_TMPDIR/out
  ERR=$BATS_TEST_TMPDIR/err
  rm -f "$CTL"
  mkfifo "$CTL"
  sa-spawn --control "$CTL" "$@" >"$OUT" 2>"$ERR" 3>&- &
  SPID=$!
  exec 5>"$CTL"
}

send() { printf '%s\n' "$1" >&5; }

# finish — wait (bounded) for sa-spawn to exit; its status in $SSTATUS.
finish() {
  exec 5>&-
  local i=0
  while kill -0 "$SPID" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 200 ]; then echo "sa-spawn did not exit" >&2; cat "$OUT" >&2; return 1; fi
    sleep 0.05
  done
  SSTATUS=0
  wait "$SPID" || SSTATUS=$?
  SPID=
}

teardown_spawn() {
  exec 5>&- 2>/dev/null || true
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    kill -KILL "$SPID" 2>/dev/null || true
  fi
  if [ -n "${AGENT_PGID:-}" ]; then kill -KILL -- "-$AGENT_PGID" 2>/dev/null || true; fi
}

# line_no FILE REGEX — number of the first matching line (fails if none).
line_no() {
  local n
  n=$(grep -nE -- "$2" "$1" | head -1 | cut -d: -f1)
  [ -n "$n" ] || { echo "no line /$2/ in $1" >&2; return 1; }
  echo "$n"
}

# sa_lines FILE TYPE — sa-spawn's own lines of one kind, compact JSON.
sa_lines() { jq -cR --arg t "$2" 'fromjson? | select(type == "object" and .sa == $t)' "$1"; }
