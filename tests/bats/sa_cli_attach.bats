#!/usr/bin/env bats
# sa attach SID against a real sa-serve with the mock agent: the history and
# live events as readable text, permissions and questions answered from
# stdin (once/always/reject, an option's number, a free answer, an empty
# line to reject), --auto-reject, --json, and the end at session.ended.

bats_require_minimum_version 1.5.0
load sa_cli_helpers

setup() { T=$BATS_TEST_TMPDIR; serve_start --no-token; mock_session s1; }
teardown() { [ -z "${APID:-}" ] || stop_pid "$APID"; serve_teardown; }

# attach_bg ARGS... — sa attach s1 ARGS in the background, stdin from
# $T/answers (empty unless written), output in $T/att.out / att.err.
attach_bg() {
  [ -f "$T/answers" ] || : >"$T/answers"
  sa -e "$URL" attach s1 "$@" <"$T/answers" >"$T/att.out" 2>"$T/att.err" &
  APID=$!
}

# attach_end — terminate s1 and wait (bounded) for attach to exit; its status in $astatus.
attach_end() {
  sa -e "$URL" api sessions terminate s1
  local i=0
  while kill -0 "$APID" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  astatus=0; wait "$APID" || astatus=$?
  APID=
}

@test "attach shows the history as text and exits 0 at session.ended" {
  sa -e "$URL" api sessions send-message-stream s1 -m hello >/dev/null
  attach_bg
  wait_file "$T/att.out" '^-- turn ended'
  attach_end
  [ "$astatus" -eq 0 ]
  grep -qx 'user: hello' "$T/att.out"
  grep -qx 'assistant: hello' "$T/att.out"
  grep -q '^== session s1 started (agent mock, mode build)' "$T/att.out"
  grep -q '^== session ended (terminated, by daemon)' "$T/att.out"
}

@test "attach shows live tool calls, tool results with their failure, and file diffs" {
  attach_bg
  wait_file "$T/att.out" '^== session s1 started'
  sa -e "$URL" api sessions send-message s1 -m tool
  wait_file "$T/att.out" '^-- turn ended'
  grep -q '^tool call mock.search {.*} \[' "$T/att.out"
  grep -q '^tool result \[.*\] (failed): ' "$T/att.out"
  grep -qE '^file (read|write|patch) ' "$T/att.out"
}

@test "attach asks each permission: o answers once, r rejects" {
  printf 'o\nr\n' >"$T/answers"
  attach_bg
  wait_file "$T/att.out" '^== session s1 started'
  sa -e "$URL" api sessions send-message s1 -m permission
  wait_event s1 '.type == "permission.resolved" and .data.permission_id == "mock_1_permission" and .data.status == "accept"'
  wait_event s1 '.type == "permission.resolved" and .data.permission_id == "mock_1_permission_denied" and .data.status == "reject"'
  grep -q 'allow mock_1_permission (command_execution)? \[o\]nce, \[a\]lways, \[r\]eject' "$T/att.err"
  wait_file "$T/att.out" '^permission \[mock_1_permission_denied\]: reject'
}

@test "attach answers a question with an option's number and rejects one with an empty line" {
  printf '2\n\n' >"$T/answers"
  attach_bg
  wait_file "$T/att.out" '^== session s1 started'
  sa -e "$URL" api sessions send-message s1 -m question
  wait_event s1 '.type == "question.resolved" and .data.question_id == "mock_1_question" and .data.response == "Blue"'
  wait_event s1 '.type == "question.resolved" and .data.status == "rejected"'
  grep -qx '  2) Blue' "$T/att.out"
}

@test "attach sends a free answer typed instead of a number" {
  printf 'Green\n\n' >"$T/answers"
  attach_bg
  wait_file "$T/att.out" '^== session s1 started'
  sa -e "$URL" api sessions send-message s1 -m question
  wait_event s1 '.type == "question.resolved" and .data.question_id == "mock_1_question" and .data.response == "Green"'
}

@test "attach answers requests still pending in the history (a = always)" {
  sa -e "$URL" api sessions send-message s1 -m permission
  wait_event s1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  printf 'a\nr\n' >"$T/answers"
  attach_bg
  wait_event s1 '.type == "permission.resolved" and .data.permission_id == "mock_1_permission" and .data.status == "accept_for_session"'
  wait_event s1 '.type == "permission.resolved" and .data.permission_id == "mock_1_permission_denied" and .data.status == "reject"'
}

@test "attach does not ask again for requests already resolved in the history" {
  sa -e "$URL" api sessions send-message s1 -m permission
  wait_event s1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  sa -e "$URL" api sessions reply-permission s1 mock_1_permission -r once
  sa -e "$URL" api sessions reply-permission s1 mock_1_permission_denied -r once
  wait_event s1 '.type == "turn.ended"'
  attach_bg
  wait_file "$T/att.out" '^-- turn ended'
  attach_end
  ! grep -q 'allow ' "$T/att.err"
}

@test "attach --auto-reject rejects every permission without asking" {
  attach_bg --auto-reject
  wait_file "$T/att.out" '^== session s1 started'
  sa -e "$URL" api sessions send-message s1 -m permission
  wait_event s1 '.type == "permission.resolved" and .data.permission_id == "mock_1_permission" and .data.status == "reject"'
  wait_event s1 '.type == "permission.resolved" and .data.permission_id == "mock_1_permission_denied" and .data.status == "reject"'
  ! grep -q 'allow ' "$T/att.err"
}

@test "attach --json prints the session's events as JSON lines, each once" {
  attach_bg --json
  wait_file "$T/att.out" '"type":"session.started"'
  sa -e "$URL" api sessions send-message s1 -m hello
  wait_file "$T/att.out" '"type":"turn.ended"'
  attach_end
  [ "$astatus" -eq 0 ]
  [ "$(jq -c '.sequence' "$T/att.out" | tr '\n' ' ')" = "$(events s1 | jq -c .sequence | tr '\n' ' ')" ]
}

@test "attach of an unknown session exits 1; bad usage exits 2" {
  run --separate-stderr sa -e "$URL" attach nope
  [ "$status" -eq 1 ] && [[ "$stderr" == *"HTTP 404"* ]]
  run sa attach
  [ "$status" -eq 2 ]
}

@test "attach --until-turn-end answers what is pending and exits 0 at the turn's end" {
  sa -e "$URL" api sessions send-message s1 -m permission
  wait_event s1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  run --separate-stderr bash -c "printf 'o\nr\n' | sa -e '$URL' attach s1 --until-turn-end"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'-- turn ended' ]]
  [ "$(events s1 | jq -r 'select(.type == "session.ended") | .type')" = "" ]   # the session goes on
}
