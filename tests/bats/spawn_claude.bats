#!/usr/bin/env bats
# sa-spawn --agent claude against tests/fixtures/fake-claude, which replays
# recorded Claude Code output and records its argv and stdin: checks the
# exact lines sa-spawn writes to claude (user line, control_response
# allow/deny/answers, interrupt) and --resume on respawn.

bats_require_minimum_version 1.5.0
load spawn_helpers

setup() {
  FAKE=$SA_TOP/tests/fixtures/fake-claude/fake-claude
  # the fake records what it got here, outside its working directory: the
  # sandbox lets it write there (--sandbox-write)
  export FAKE_CLAUDE_DIR=$BATS_TEST_TMPDIR/fc
  mkdir -p "$FAKE_CLAUDE_DIR"
}
teardown() { teardown_spawn; }

USER1='{"type":"user","message":{"role":"user","content":[{"type":"text","text":"Please run echo hi"}]},"parent_tool_use_id":null,"session_id":""}'

@test "claude argv: stream-json flags, model, permission modes" {
  run sa-spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR" --model claude-sonnet-4-5 --permission-mode plan </dev/null
  [ "$status" -eq 0 ]
  [ "$(tr '\n' ' ' < "$FAKE_CLAUDE_DIR/argv.1")" = "-p --input-format stream-json --output-format stream-json --verbose --include-partial-messages --permission-prompt-tool stdio --model claude-sonnet-4-5 --permission-mode plan " ]
  run sa-spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR" --permission-mode acceptEdits --resume abc-123 </dev/null
  [ "$(tr '\n' ' ' < "$FAKE_CLAUDE_DIR/argv.2")" = "-p --input-format stream-json --output-format stream-json --verbose --include-partial-messages --permission-prompt-tool stdio --resume abc-123 --permission-mode acceptEdits " ]
  run sa-spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR" --permission-mode bypass </dev/null
  grep -qx -- --dangerously-skip-permissions "$FAKE_CLAUDE_DIR/argv.3"
}

@test "two messages: exact user lines, one process, turn_end at each result" {
  run sh -c "{ echo '{\"type\":\"message\",\"message\":\"Please run echo hi\"}';
              echo '{\"type\":\"message\",\"message\":\"again\",\"attachments\":[{\"path\":\"/tmp/a.txt\"}]}'; } |
             sa-spawn --agent claude --agent-bin '$FAKE' --sandbox-write '$FAKE_CLAUDE_DIR'"
  [ "$status" -eq 0 ]
  [ ! -e "$FAKE_CLAUDE_DIR/argv.2" ]
  [ "$(sed -n 1p "$FAKE_CLAUDE_DIR/stdin.1")" = "$USER1" ]
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = '{"type":"user","message":{"role":"user","content":[{"type":"text","text":"again\n\nAttachments:\n- /tmp/a.txt\n"}]},"parent_tool_use_id":null,"session_id":""}' ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  [ "$(sa_lines "$BATS_TEST_TMPDIR/o" turn_end | wc -l)" -eq 2 ]
  r1=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"type":"result"')
  te1=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"sa":"turn_end","turn":1\}')
  t2=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"sa":"turn","turn":2,')
  [ "$r1" -lt "$te1" ] && [ "$te1" -lt "$t2" ]
  # native lines pass through verbatim
  [ "$(grep -c '^{"type":"stream_event"' "$BATS_TEST_TMPDIR/o")" -eq "$(grep -c '^{"type":"stream_event"' "$SA_TOP/tests/fixtures/fake-claude/multiturn.jsonl")" ]
}

@test "--prime goes first as its own text block of the first message only" {
  printf 'Earlier context.' > "$BATS_TEST_TMPDIR/prime"
  run sh -c "{ echo '{\"type\":\"message\",\"message\":\"one\"}'; echo '{\"type\":\"message\",\"message\":\"two\"}'; } |
             sa-spawn --agent claude --agent-bin '$FAKE' --sandbox-write '$FAKE_CLAUDE_DIR' --prime '$BATS_TEST_TMPDIR/prime'"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p "$FAKE_CLAUDE_DIR/stdin.1")" = '{"type":"user","message":{"role":"user","content":[{"type":"text","text":"Earlier context."},{"type":"text","text":"one"}]},"parent_tool_use_id":null,"session_id":""}' ]
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = '{"type":"user","message":{"role":"user","content":[{"type":"text","text":"two"}]},"parent_tool_use_id":null,"session_id":""}' ]
  [[ "$output" == *'{"sa":"turn","turn":1,"message":"one","attachments":[]}'* ]]
}

perm_session() {   # $1 = reply
  start_spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR"
  send '{"type":"message","message":"Create a file. RUN: touch perm-allowed.txt"}'
  wait_for "$OUT" '"subtype":"can_use_tool"'
  RID=$(jq -rR 'fromjson? | select(.type == "control_request") | .request_id' "$OUT")
  send "{\"type\":\"permission.reply\",\"permission_id\":\"$RID\",\"reply\":\"$1\"}"
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
}

@test "permission once -> control_response allow with updatedInput = the request's input" {
  perm_session once
  INPUT=$(jq -cR 'fromjson? | select(.type == "control_request") | .request.input' "$OUT")
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = "{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"$RID\",\"response\":{\"behavior\":\"allow\",\"updatedInput\":$INPUT}}}" ]
  grep -qx "{\"sa\":\"permission.resolved\",\"permission_id\":\"$RID\",\"reply\":\"once\",\"by\":\"user\"}" "$OUT"
}

@test "permission reject -> control_response deny Permission denied." {
  perm_session reject
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = "{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"$RID\",\"response\":{\"behavior\":\"deny\",\"message\":\"Permission denied.\"}}}" ]
}

@test "permission always: the next Bash request is allowed by always" {
  start_spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR"
  send '{"type":"message","message":"RUN: touch a"}'
  wait_for "$OUT" '"subtype":"can_use_tool"'
  RID=$(jq -rR 'fromjson? | select(.type == "control_request") | .request_id' "$OUT")
  send "{\"type\":\"permission.reply\",\"permission_id\":\"$RID\",\"reply\":\"always\"}"
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"message","message":"RUN: touch b"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  send '{"type":"terminate"}'
  finish
  [ "$(grep -c '"behavior":"allow"' "$FAKE_CLAUDE_DIR/stdin.1")" -eq 2 ]
  grep -qx "{\"sa\":\"permission.resolved\",\"permission_id\":\"$RID\",\"reply\":\"always\",\"by\":\"always\"}" "$OUT"
}

# blue_answer REQ — the control_response allowing the AskUserQuestion
# control_request REQ with the answer "Blue" to "Which color?".
blue_answer() {
  jq -c '{type:"control_response",response:{subtype:"success",request_id:.request_id,
          response:{behavior:"allow",updatedInput:(.request.input + {answers:{"Which color?":"Blue"}})}}}' <<<"$1"
}

@test "AskUserQuestion: question.reply -> allow with answers keyed by question text" {
  start_spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR"
  send '{"type":"message","message":"Ask me. TOOL: AskUserQuestion"}'
  wait_for "$OUT" '"tool_name":"AskUserQuestion"'
  REQ=$(jq -cR 'fromjson? | select(.type == "control_request")' "$OUT")
  QID=$(echo "$REQ" | jq -r .request.tool_use_id)
  send "{\"type\":\"question.reply\",\"question_id\":\"$QID\",\"answers\":[[\"Blue\"]]}"
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = "$(blue_answer "$REQ")" ]
  grep -qx "{\"sa\":\"question.resolved\",\"question_id\":\"$QID\",\"status\":\"answered\",\"response\":\"Blue\",\"answers\":\\[\\[\"Blue\"\\]\\],\"by\":\"user\"}" "$OUT"
  # the linked can_use_tool request is answered with the question: no resolved line of its own
  ! grep -q '"sa":"permission.resolved"' "$OUT"
}

@test "AskUserQuestion answered before its control_request arrives: the answer is held, then sent" {
  start_spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR"
  send '{"type":"message","message":"Ask me EARLY. TOOL: AskUserQuestion"}'
  wait_for "$OUT" '"name":"AskUserQuestion"'
  QID=$(jq -rR 'fromjson? | select(.type == "assistant") | .message.content[] | select(.type == "tool_use") | .id' "$OUT")
  send "{\"type\":\"question.reply\",\"question_id\":\"$QID\",\"answers\":[[\"Blue\"]]}"
  wait_for "$OUT" '"sa":"question.resolved"'
  ! grep -q '"sa":"input_error"' "$OUT"
  ! grep -q '"type":"control_request"' "$OUT"
  touch "$FAKE_CLAUDE_DIR/go"
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  REQ=$(jq -cR 'fromjson? | select(.type == "control_request")' "$OUT")
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = "$(blue_answer "$REQ")" ]
  [ "$(grep -c '"sa":"question.resolved"' "$OUT")" -eq 1 ]
  ! grep -q '"sa":"permission.resolved"' "$OUT"
}

@test "AskUserQuestion: question.reject -> deny" {
  start_spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR"
  send '{"type":"message","message":"Ask me. TOOL: AskUserQuestion"}'
  wait_for "$OUT" '"tool_name":"AskUserQuestion"'
  REQ=$(jq -cR 'fromjson? | select(.type == "control_request")' "$OUT")
  RID=$(echo "$REQ" | jq -r .request_id)
  QID=$(echo "$REQ" | jq -r .request.tool_use_id)
  send "{\"type\":\"question.reject\",\"question_id\":\"$QID\"}"
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = "{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"$RID\",\"response\":{\"behavior\":\"deny\",\"message\":\"Permission denied.\"}}}" ]
  grep -q "\"sa\":\"question.resolved\",\"question_id\":\"$QID\",\"status\":\"rejected\"" "$OUT"
  ! grep -q '"sa":"permission.resolved"' "$OUT"
}

@test "cancel -> control_request interrupt; the result ends the turn" {
  start_spawn --agent claude --agent-bin "$FAKE" --sandbox-write "$FAKE_CLAUDE_DIR"
  send '{"type":"message","message":"SLOW please"}'
  wait_for "$OUT" '"subtype":"init"'
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  [ "$(sed -n 2p "$FAKE_CLAUDE_DIR/stdin.1")" = '{"type":"control_request","request_id":"sa_interrupt_1","request":{"subtype":"interrupt"}}' ]
  grep -qx '{"sa":"cancelled"}' "$OUT"
}

@test "a crashed claude is restarted with --resume <session_id seen in its output>" {
  run sh -c "{ echo '{\"type\":\"message\",\"message\":\"CRASH now\"}'; echo '{\"type\":\"message\",\"message\":\"Please run echo hi\"}'; } |
             sa-spawn --agent claude --agent-bin '$FAKE' --sandbox-write '$FAKE_CLAUDE_DIR'"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  sa_lines "$BATS_TEST_TMPDIR/o" exited | head -1 | jq -e '.code == 1 and .requested == false and (.stderr.head | test("crashing"))' >/dev/null
  grep -qx -- --resume "$FAKE_CLAUDE_DIR/argv.2"
  [ "$(grep -A1 -x -- --resume "$FAKE_CLAUDE_DIR/argv.2" | tail -1)" = fake-session-1 ]
  [ "$(sed -n 1p "$FAKE_CLAUDE_DIR/stdin.2")" = "$USER1" ]
  [ "$(sa_lines "$BATS_TEST_TMPDIR/o" turn_end | jq -r .turn)" = 2 ]
}
