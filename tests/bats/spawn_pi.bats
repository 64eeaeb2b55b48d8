#!/usr/bin/env bats
# spawn_pi.bats - sa-spawn alone with the real Pi coding agent (0.73.1,
# `pi --mode rpc` with sa's extension sa-normalize/agents/pi-extension.ts)
# against tests/fakellm/fakellm.py (Chat Completions): the native id from
# get_state, the permission gate per permission mode (once, reject, always,
# acceptEdits, plan, bypass), the question tool, another extension's dialogs,
# cancel, turns on one session, --resume with --session, --hitl-timeout,
# a missing extension, and terminate.  Every wait is bounded; the agent's
# process group is killed in teardown if still there.

bats_require_minimum_version 1.5.0
load spawn_helpers
load "$SA_TOP/tests/agents/bats_helpers"

QUESTION='Ask me. TOOL: question {"questions":[{"question":"Which color?","header":"Color","options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}],"multiSelect":false}]}'

setup_file() {
  pi_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  pi_install
  pi_test_env "$BATS_TEST_TMPDIR/home"
  WORK=$BATS_TEST_TMPDIR/work
  mkdir -p "$WORK"
  FAKELOG=$BATS_FILE_TMPDIR/fake/fakellm.log
}

teardown() {
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    send '{"type":"terminate"}' 2>/dev/null || true
    finish || true
  fi
  teardown_spawn
}

start_pi() {
  start_spawn --agent pi --agent-bin "$SA_PI_BIN" --cwd "$WORK" "$@"
  wait_for "$OUT" '"sa":"spawned"' 20
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
}

# pi's lines of one type (compact); the dialogs; the get_state session id
native() { jq -cR --arg t "$1" 'fromjson? | select(type == "object" and .type? == $t)' "$OUT"; }
dialogs() { native extension_ui_request | jq -c 'select(.method | IN("select", "confirm", "input", "editor"))'; }
first_dialog() { dialogs | head -1 | jq -r .id; }
state_sid() { native response | jq -r 'select(.command == "get_state") | .data.sessionId' | head -1; }
tool_end() { native tool_execution_end | head -1; }

reply_perm() { send "{\"type\":\"permission.reply\",\"permission_id\":\"$1\",\"reply\":\"$2\"}"; }

@test "pi: sa-spawn learns the native session id from get_state at start" {
  start_pi
  wait_for "$OUT" '"command":"get_state"' 30
  [[ "$(state_sid)" =~ ^[0-9a-f-]{36}$ ]]
}

@test "pi: the extension is loaded with -e and the mode is in its environment" {
  start_pi --permission-mode acceptEdits
  sa_lines "$OUT" spawned | jq -e --arg e "$SA_AGENTS_DIR/pi-extension.ts" '.argv[1:5] == ["--mode", "rpc", "-e", $e]'
  tr '\0' '\n' <"/proc/$AGENT_PGID/environ" | grep -qx 'SA_PI_PERMISSION_MODE=acceptEdits'
}

@test "pi: a permission allowed once runs the command (the file exists)" {
  start_pi
  send '{"type":"message","message":"RUN: touch approved.txt"}'
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  dialogs | jq -e '.method == "select" and (.title | startswith("sa:permission ")) and .options == ["once", "always", "reject"]'
  reply_perm "$(first_dialog)" once
  wait_for "$OUT" '"sa":"turn_end"' 60
  sa_lines "$OUT" permission.resolved | jq -e '.reply == "once" and .by == "user"'
  [ -e "$WORK/approved.txt" ]
}

@test "pi: a rejected permission does not run the command and pi is told why" {
  start_pi
  send '{"type":"message","message":"RUN: touch rejected.txt"}'
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  reply_perm "$(first_dialog)" reject
  wait_for "$OUT" '"sa":"turn_end"' 60
  tool_end | jq -e '.isError == true and .result.content[0].text == "Permission denied by the user."'
  [ ! -e "$WORK/rejected.txt" ]
}

@test "pi: always covers the tool again without asking the user" {
  start_pi
  send '{"type":"message","message":"RUN: touch always1.txt"}'
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  reply_perm "$(first_dialog)" always
  wait_for "$OUT" '"sa":"turn_end","turn":1' 60
  send '{"type":"message","message":"RUN: touch always2.txt"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2' 60
  [ -e "$WORK/always1.txt" ] && [ -e "$WORK/always2.txt" ]
  [ "$(sa_lines "$OUT" permission.resolved | jq -sc 'map(.by)')" = '["user","always"]' ]
}

@test "pi: acceptEdits lets a write through without asking" {
  start_pi --permission-mode acceptEdits
  send '{"type":"message","message":"Write. TOOL: write {\"path\": \"note.txt\", \"content\": \"hi\\n\"}"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ "$(dialogs | wc -l)" -eq 0 ]
  [ "$(cat "$WORK/note.txt")" = hi ]
}

@test "pi: acceptEdits still asks before bash" {
  start_pi --permission-mode acceptEdits
  send '{"type":"message","message":"RUN: touch asked.txt"}'
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  dialogs | jq -e '.title | startswith("sa:permission {\"tool\":\"bash\"")'
  reply_perm "$(first_dialog)" once
  wait_for "$OUT" '"sa":"turn_end"' 60
}

@test "pi: default mode asks before a write" {
  start_pi
  send '{"type":"message","message":"Write. TOOL: write {\"path\": \"asked.txt\", \"content\": \"x\"}"}'
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  dialogs | jq -e '.title | startswith("sa:permission {\"tool\":\"write\"")'
  reply_perm "$(first_dialog)" reject
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ ! -e "$WORK/asked.txt" ]
}

@test "pi: plan mode offers only read-only tools (--tools), so no command runs" {
  start_pi --permission-mode plan
  sa_lines "$OUT" spawned | jq -e '.argv | index("--tools") as $i | .[$i + 1] == "read,grep,find,ls,question"'
  send '{"type":"message","message":"RUN: touch planned.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ "$(native tool_execution_start | wc -l)" -eq 0 ]
  [ ! -e "$WORK/planned.txt" ]
  jq -se 'map(select(.path | startswith("/v1/chat"))) | last | [.body.tools[]?.function.name] | index("bash") == null' "$FAKELOG"
}

@test "pi: bypass runs a command without asking" {
  start_pi --permission-mode bypass
  send '{"type":"message","message":"RUN: touch bypassed.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ "$(dialogs | wc -l)" -eq 0 ]
  [ -e "$WORK/bypassed.txt" ]
}

@test "pi: the question tool's answer reaches pi and the model" {
  start_pi
  send "$(jq -cn --arg m "$QUESTION" '{type: "message", message: $m}')"
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  dialogs | jq -e '.method == "input" and (.title | startswith("sa:question "))'
  send "{\"type\":\"question.reply\",\"question_id\":\"$(first_dialog)\",\"answers\":[[\"Blue\"]]}"
  wait_for "$OUT" '"sa":"turn_end"' 60
  tool_end | jq -e '.isError == false and .result.details.answers == [["Blue"]]'
  jq -se 'map(select(.path | startswith("/v1/chat"))) | last | .body.messages | tostring | contains("Which color?: Blue")' "$FAKELOG"
}

@test "pi: a rejected question makes the question tool fail" {
  start_pi
  send "$(jq -cn --arg m "$QUESTION" '{type: "message", message: $m}')"
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  send "{\"type\":\"question.reject\",\"question_id\":\"$(first_dialog)\"}"
  wait_for "$OUT" '"sa":"turn_end"' 60
  tool_end | jq -e '.isError == true'
  sa_lines "$OUT" question.resolved | jq -e '.status == "rejected" and .by == "user"'
}

@test "pi: another extension's confirm is answered with confirmed" {
  mkdir -p "$PI_CODING_AGENT_DIR/extensions"
  cp "$SA_AGENTS_TESTDIR/pi/dialogs.ts" "$PI_CODING_AGENT_DIR/extensions/"
  start_pi
  send '{"type":"message","message":"TOOL: ask_dialogs {}"}'
  for m in select confirm input editor; do
    wait_for "$OUT" "\"method\":\"$m\"" 60
    id=$(dialogs | jq -r --arg m "$m" 'select(.method == $m) | .id')
    case $m in
      select) send "{\"type\":\"question.reply\",\"question_id\":\"$id\",\"answers\":[[\"alpha\"]]}" ;;
      confirm) send "{\"type\":\"question.reply\",\"question_id\":\"$id\",\"answers\":[[\"No\"]]}" ;;
      *) send "{\"type\":\"question.reject\",\"question_id\":\"$id\"}" ;;
    esac
  done
  wait_for "$OUT" '"sa":"turn_end"' 60
  tool_end | jq -e '.result.content[0].text == "select=alpha; confirm=false; input=undefined; editor=undefined"'
}

@test "pi: cancel during a pending permission cancels the dialog, aborts, and ends the turn" {
  start_pi
  send '{"type":"message","message":"RUN: touch never.txt"}'
  wait_for "$OUT" '"type":"extension_ui_request"' 60
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  native agent_end | jq -e '[.messages[] | select(.role == "assistant") | .stopReason] | last == "aborted"'
  sa_lines "$OUT" permission.resolved | jq -e '.reply == "reject" and .by == "cancel"'
  [ ! -e "$WORK/never.txt" ]
}

@test "pi: two messages are two turns on one pi process and one session" {
  start_pi
  send '{"type":"message","message":"NOTOOL one"}'
  send '{"type":"message","message":"NOTOOL two"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2' 60
  [ "$(sa_lines "$OUT" spawned | wc -l)" -eq 1 ]
  [ "$(native agent_end | wc -l)" -eq 2 ]
}

@test "pi: --resume runs pi with --session and the model request carries the first turn" {
  start_pi
  send '{"type":"message","message":"NOTOOL remember-first-turn"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  sid=$(state_sid)
  send '{"type":"terminate"}'
  finish
  : >"$FAKELOG"
  start_pi --resume "$sid"
  sa_lines "$OUT" spawned | jq -e --arg s "$sid" '.argv | index("--session") as $i | .[$i + 1] == $s'
  send '{"type":"message","message":"NOTOOL again"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ "$(state_sid)" = "$sid" ]
  jq -se 'map(select(.path | startswith("/v1/chat"))) | any(.body.messages | tostring | test("remember-first-turn") and test("again"))' "$FAKELOG"
}

@test "pi: a model error ends the turn (pi exits 0; the error is in the message)" {
  start_pi
  send '{"type":"message","message":"FAIL400 now"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  native message_end | jq -se 'map(.message | select(.role == "assistant"))[0] | .stopReason == "error" and (.errorMessage | contains("FAIL400"))'
}

@test "pi: --hitl-timeout 1 rejects an unanswered permission" {
  start_pi --hitl-timeout 1
  send '{"type":"message","message":"RUN: touch late.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  sa_lines "$OUT" permission.resolved | jq -e '.reply == "reject" and .by == "timeout"'
  [ ! -e "$WORK/late.txt" ]
}

@test "pi: a missing extension file is exit 3 with a spawn_failed line, pi never starts" {
  mkdir -p "$BATS_TEST_TMPDIR/agents"
  cp "$SA_AGENTS_DIR/pi.json" "$SA_AGENTS_DIR/pi.jq" "$BATS_TEST_TMPDIR/agents/"
  run sa-spawn --agent pi --agent-bin "$SA_PI_BIN" --agents-dir "$BATS_TEST_TMPDIR/agents" </dev/null
  [ "$status" -eq 3 ]
  sa_lines <(printf '%s\n' "$output") spawn_failed | jq -e '.error | contains("pi-extension.ts")'
  [ "$(printf '%s\n' "$output" | grep -c '"sa":"spawned"')" -eq 0 ]
}

@test "pi: terminate leaves no pi process" {
  start_pi
  send '{"type":"message","message":"NOTOOL hi"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ -n "$(our_pi)" ]
  send '{"type":"terminate"}'
  finish
  for i in $(seq 1 100); do [ -z "$(our_pi)" ] && break; sleep 0.1; done
  [ -z "$(our_pi)" ]
}
