#!/usr/bin/env bats
# The sa client's SSE resume: when the connection drops (sa-serve killed
# with SIGKILL, then started again on the same port and database), events-sse
# and attach reconnect with Last-Event-ID and print every event exactly once.

bats_require_minimum_version 1.5.0
load sa_cli_helpers

setup() { T=$BATS_TEST_TMPDIR; export SA_SERVE_DB=$T/keep.db; }
teardown() { [ -z "${CPID:-}" ] || stop_pid "$CPID"; serve_teardown; }

# restart — SIGKILL the server (the client sees a dropped connection), start
# it again on the same port with the same database and state directory.
restart() {
  local port=$PORT
  kill -9 "$SPID"; wait "$SPID" 2>/dev/null || true
  serve_start --no-token --port "$port"
  [ "$PORT" = "$port" ]
}

@test "events-sse resumes after a dropped connection: every sequence once, in order" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" api sessions send-message-stream s1 -m hello >/dev/null
  sa -e "$URL" api sessions events-sse s1 >"$T/sse.out" 2>"$T/sse.err" &
  CPID=$!
  wait_file "$T/sse.out" '"type":"turn.ended"'
  restart
  wait_file "$T/sse.err" 'reconnecting with Last-Event-ID'
  sa -e "$URL" api sessions send-message s1 -m again
  wait_file "$T/sse.out" '"text":"again"'
  wait_event s1 '.type == "turn.ended" and .sequence > 12'
  n=$(events s1 | wc -l)
  wait_file "$T/sse.out" "\"sequence\":$n,"
  [ "$(jq -s '[.[].sequence] == [range(1; length + 1)]' "$T/sse.out")" = true ]
}

@test "attach resumes after a dropped connection and still ends at session.ended" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" attach s1 --json </dev/null >"$T/att.out" 2>"$T/att.err" &
  CPID=$!
  wait_file "$T/att.out" '"type":"session.started"'
  restart
  wait_file "$T/att.err" 'reconnecting with Last-Event-ID'
  sa -e "$URL" api sessions send-message s1 -m hello
  wait_file "$T/att.out" '"type":"turn.ended"'
  sa -e "$URL" api sessions terminate s1
  i=0; while kill -0 "$CPID" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  wait "$CPID"; CPID=
  [ "$(jq -s '[.[].sequence] == [range(1; length + 1)]' "$T/att.out")" = true ]
  [ "$(tail -1 "$T/att.out" | jq -r .type)" = session.ended ]
}

@test "send-message-stream goes on from /events/sse after a drop and still stops at turn.ended" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" api sessions send-message-stream s1 -m 'sleep 30000' >"$T/st.out" 2>"$T/st.err" &
  CPID=$!
  wait_file "$T/st.out" '"text":"sleep 30000"'
  restart
  wait_file "$T/st.err" 'reconnecting with Last-Event-ID'
  sa -e "$URL" api sessions send-message s1 -m hello
  i=0; while kill -0 "$CPID" 2>/dev/null && [ "$i" -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
  wait "$CPID"; CPID=
  [ "$(tail -1 "$T/st.out" | jq -r .type)" = turn.ended ]
  [ "$(jq -s '[.[].sequence] | . == (sort | unique)' "$T/st.out")" = true ]
  [ "$(jq -s '[.[].sequence] | length == (last - first + 1)' "$T/st.out")" = true ]
}
