#!/usr/bin/env bats
# claude_e2e.bats - the real Claude Code CLI end to end through the real
# pipeline, offline:
#   sa-spawn --agent claude --agent-bin CLAUDE --control FIFO
#     | sa-normalize --agent claude --session S | sa-store --db DB --session S
# driven by tests/agents/drive.py (messages, permission/question replies
# written to the control FIFO as stored events arrive, end of input after
# the last turn.ended), with tests/fakellm/fakellm.py as the model.
# Every session must hold: no agent.unparsed, every tool_call answered by a
# tool_result, deltas adding up to completed assistant text, every HITL
# request resolved (tests/agents/check_events.py), and the stored events
# pass `sa-events-check --sequential`.  Every wait is bounded.

load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  claude_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() {
  fakellm_stop
}

setup() {
  claude_install
  claude_test_env "$BATS_TEST_TMPDIR/home"
  WORK="$BATS_TEST_TMPDIR/work"
  DB="$BATS_TEST_TMPDIR/db"
  mkdir -p "$WORK"
}

e2e() { agent_e2e claude "$SA_CLAUDE_BIN" "$@"; }
dump() { e2e_dump "$@"; }

@test "claude e2e: a tool call and its result" {
  ev="$BATS_TEST_TMPDIR/tool.jsonl"
  run e2e tool "$ev" --message "Please RUN: echo e2e-tool-$$"
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect turn.ended=1 --expect session.started=1 \
    --expect-tool-output "e2e-tool-$$" \
    --expect-text "Done. The command ran and printed: e2e-tool-$$" "$ev"
  # a tool_call item with the Bash command the model asked for
  jq -se --arg c "echo e2e-tool-$$" '[.[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "tool_call") | .arguments | fromjson | .command] | index($c) != null' "$ev"
  # every stored event belongs to this session and carries claude's session id
  jq -se 'all(.[]; .session_id == "tool")' "$ev"
  jq -se '[.[] | .native_session_id | strings] | unique | length == 1' "$ev"
}

@test "claude e2e: one permission allowed, another rejected" {
  ev="$BATS_TEST_TMPDIR/perm.jsonl"
  run e2e perm "$ev" --message "Create a file. RUN: touch allowed.txt" --permission once \
    --message "Create another. RUN: touch rejected.txt" --permission reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 2'
  invariants --expect permission.requested=2 --expect permission.resolved=2 \
    --expect-status permission.resolved=accept --expect-status permission.resolved=reject \
    --expect turn.ended=2 "$ev"
  [ -e "$WORK/allowed.txt" ]
  [ ! -e "$WORK/rejected.txt" ]
  # the rejected call's result is an error the model saw
  jq -se '[.[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "tool_result") | .output] | any(test("Permission denied|denied"; "i"))' "$ev"
}

ASK='Ask me. TOOL: AskUserQuestion {"questions":[{"question":"Which color?","header":"Color","multiSelect":false,"options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}]}]}'

@test "claude e2e: an AskUserQuestion answered" {
  ev="$BATS_TEST_TMPDIR/ask.jsonl"
  run e2e ask "$ev" --message "$ASK" --answer Blue
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect question.requested=1 --expect question.resolved=1 \
    --expect-status question.resolved=answered --expect-tool-output Blue "$ev"
  jq -se 'map(select(.type == "question.requested"))[0].data | .prompt == "Which color?" and .options == ["Red","Blue"]' "$ev"
  jq -se 'map(select(.type == "question.resolved"))[0].data.response == "Blue"' "$ev"
}

@test "claude e2e: an AskUserQuestion rejected" {
  ev="$BATS_TEST_TMPDIR/askno.jsonl"
  run e2e askno "$ev" --message "$ASK" --answer reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect question.requested=1 --expect-status question.resolved=rejected "$ev"
}

@test "claude e2e: two turns in one session" {
  ev="$BATS_TEST_TMPDIR/two.jsonl"
  run e2e two "$ev" --input stdin --message "First. RUN: echo turn-one" --message "Second. RUN: echo turn-two"
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 2'
  invariants --expect turn.started=2 --expect turn.ended=2 \
    --expect-text "printed: turn-one" --expect-text "printed: turn-two" "$ev"
  # one claude session for both turns; user items numbered in order
  jq -se '[.[] | .native_session_id | strings] | unique | length == 1' "$ev"
  jq -se '[.[] | select(.type == "item.completed" and .data.item.role == "user") | .data.item.content[0].text] == ["First. RUN: echo turn-one", "Second. RUN: echo turn-two"]' "$ev"
}

@test "claude e2e: a session resumed in a new process" {
  ev1="$BATS_TEST_TMPDIR/res1.jsonl" ev2="$BATS_TEST_TMPDIR/res2.jsonl"
  run e2e res "$ev1" --message "Remember. RUN: echo before-resume"
  echo "$output"; dump "$ev1"
  [ "$status" -eq 0 ]
  # the native id, as the store knows it
  if command -v sa-replay >/dev/null; then
    run sa-replay --db "$DB" --list
    echo "$output"
    [ "$status" -eq 0 ]
    native=$(printf '%s\n' "$output" | jq -r 'select((.sessionId // .session_id) == "res") | .nativeSessionId // .native_session_id' | head -1)
  else
    native=$(jq -r '.native_session_id | strings' "$ev1" | tail -1)
  fi
  [ -n "$native" ] && [ "$native" != null ]
  next=$(jq -s '[.[] | .. | .item_id? | strings | select(startswith("itm_")) | ltrimstr("itm_") | tonumber] | max + 1' "$ev1")
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run e2e res "$ev2" --resume "$native" --message "Again. RUN: echo after-resume" \
    --normalize-arg=--no-session-started --normalize-arg=--item-start --normalize-arg="$next"
  echo "$output"; dump "$ev2"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  # same native session, sequences continue, whole session consistent
  jq -se --arg n "$native" '[.[] | .native_session_id | strings] | unique == [$n]' "$ev2"
  cat "$ev1" "$ev2" >"$BATS_TEST_TMPDIR/res-all.jsonl"
  invariants --expect session.started=1 --expect turn.ended=2 \
    --expect-text "printed: before-resume" --expect-text "printed: after-resume" \
    "$BATS_TEST_TMPDIR/res-all.jsonl"
  # the new process carried the earlier history to the model
  jq -se 'map(select(.path | startswith("/v1/messages"))) | any(.body.messages | tostring | test("before-resume"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
}
