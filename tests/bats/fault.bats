#!/usr/bin/env bats
# fault.bats — fault injection (issue 12 item 3): kill -9 of each stage
# (sa-spawn, sa-normalize, sa-store), of the agent (sa-mock-agent) and of
# sa-serve itself at a random point of a mock burst, FAULT_RUNS times each
# (default 3 in make check, as each run takes seconds on a loaded machine;
# FAULT_RUNS=20 for the full table), bursts of FAULT_BURST events (1000).  The random point is a random count of stored events to
# wait for (never a fixed sleep).  After each kill:
#   - no committed event is lost: the events stored before the kill are
#     still there, the same (event ids);
#   - sequences are 1..N with no gap and no duplicate;
#   - no process of the session is left (after a stage or sa-serve was
#     killed; when the agent was, sa-spawn stays to start the next one,
#     and nothing is left after terminate);
#   - the session goes on: a message afterwards is answered (resumed), or
#     the session has ended with a reason.
# A summary line per target ("fault: sa-store killed 20 times, lost 0,
# resumed 20") is printed as a TAP comment.  Every wait is bounded.

bats_require_minimum_version 1.5.0
load serve_helpers

RUNS=${FAULT_RUNS:-3}
BURST=${FAULT_BURST:-1000}

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

# stage_pid SESSION COMM — the pid of the session's process named COMM
stage_pid() {
  local p
  for p in $(session_pids "$1"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
  done
  return 1
}

# wait_count SESSION N — until at least N events are stored (bounded, 30 s)
wait_count() {
  local i=0
  until [ "$(curl -s --max-time 5 "$URL/v1/sessions/$1/events?offset=$(($2 - 1))&limit=1" | jq '.events | length')" = 1 ]; do
    i=$((i + 1)); [ "$i" -lt 600 ] || { echo "session $1: fewer than $2 events after 30 s"; return 1; }
    sleep 0.05
  done
}

# check_after SESSION BEFORE-FILE — the properties above; sets RESUMED=1 or ENDED=1
check_after() {
  local s=$1 before=$2
  events "$s" >"$T/after"
  # the committed prefix is unchanged
  n=$(wc -l <"$before")
  head -n "$n" "$T/after" | jq -c '[.sequence, .event_id]' >"$T/a"
  jq -c '[.sequence, .event_id]' "$before" >"$T/b"
  cmp -s "$T/a" "$T/b" || { echo "session $s: events stored before the kill changed or were lost"; diff "$T/b" "$T/a" | head; return 1; }
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/after" >/dev/null ||
    { echo "session $s: sequences not 1..N"; return 1; }
}

# resume_or_ended SESSION — a message is answered, or the session ended with a reason
resume_or_ended() {
  local s=$1
  api POST "/v1/sessions/$s/messages" '{"message":"echo after"}'
  if [ "$code" = 204 ]; then
    wait_event "$s" '.type == "item.completed" and .data.item.role == "assistant" and .data.item.content[0].text == "after"' 600
    events "$s" | jq -s -e '[.[].sequence] == [range(1; length + 1)]' >/dev/null
    RESUMED=$((RESUMED + 1))
  else
    events "$s" | jq -s -e '[.[] | select(.type == "session.ended" and (.data.reason | type) == "string")] | length >= 1' >/dev/null ||
      { echo "session $s: message refused ($code $body) and no session.ended with a reason"; return 1; }
    ENDED=$((ENDED + 1))
  fi
}

# kill_stage COMM — RUNS sessions, each: burst, kill -9 COMM at a random event count
kill_stage() {
  local comm=$1 i s k pid
  RESUMED=0 ENDED=0
  serve_start --no-token
  for i in $(seq "$RUNS"); do
    s="$comm-$i"
    api POST "/v1/sessions/$s" '{"agent":"mock"}'
    [ "$code" = 200 ]
    api POST "/v1/sessions/$s/messages" "{\"message\":\"burst $BURST\"}"
    [ "$code" = 204 ]
    k=$((2 + RANDOM % (BURST / 2)))
    wait_count "$s" "$k"
    pid=$(stage_pid "$s" "$comm") || { echo "run $i: no $comm for $s"; return 1; }
    kill -9 "$pid"
    if [ "$comm" = sa-mock-agent ]; then
      # sa-spawn outlives its agent (it reports the exit; a message starts a new one)
      wait_gone stage_pid "$s" sa-mock-agent || { echo "run $i: the agent of $s is still there"; return 1; }
    else
      wait_gone session_pids "$s" || { echo "run $i: processes of $s left after killing $comm: $(session_pids "$s")"; return 1; }
    fi
    events "$s" >"$T/before"
    [ "$(wc -l <"$T/before")" -ge "$k" ]
    check_after "$s" "$T/before"
    resume_or_ended "$s"
    api POST "/v1/sessions/$s/terminate"
    wait_gone session_pids "$s" || { echo "run $i: processes of $s left after terminate"; return 1; }
  done
  echo "# fault: $comm killed $RUNS times at random points of a $BURST-event burst, lost 0, resumed $RESUMED, ended $ENDED" >&3
}

@test "kill -9 sa-spawn during a burst: nothing committed lost, sequences whole, session goes on ($RUNS runs)" {
  kill_stage sa-spawn
}

@test "kill -9 sa-normalize during a burst: nothing committed lost, sequences whole, session goes on ($RUNS runs)" {
  kill_stage sa-normalize
}

@test "kill -9 sa-store during a burst: nothing committed lost, sequences whole, session goes on ($RUNS runs)" {
  kill_stage sa-store
}

@test "kill -9 the agent during a burst: nothing committed lost, sequences whole, session goes on ($RUNS runs)" {
  kill_stage sa-mock-agent
}

@test "kill -9 sa-serve during a burst: its pipelines die, nothing committed lost, a restart resumes ($RUNS runs)" {
  RESUMED=0 ENDED=0
  for i in $(seq "$RUNS"); do
    s="srv-$i"
    serve_start --no-token
    api POST "/v1/sessions/$s" '{"agent":"mock"}'
    api POST "/v1/sessions/$s/messages" "{\"message\":\"burst $BURST\"}"
    k=$((2 + RANDOM % (BURST / 2)))
    wait_count "$s" "$k"
    events "$s" >"$T/before"
    kill -9 "$SPID"
    wait "$SPID" 2>/dev/null || true
    wait_gone session_pids "$s" || { echo "run $i: pipeline of $s outlived sa-serve: $(session_pids "$s")"; return 1; }
    serve_start --no-token
    check_after "$s" "$T/before"
    resume_or_ended "$s"
    api POST "/v1/sessions/$s/terminate"
    wait_gone session_pids "$s"
    serve_stop "$SPID"
  done
  echo "# fault: sa-serve killed $RUNS times at random points of a $BURST-event burst, lost 0, resumed $RESUMED, ended $ENDED" >&3
}
