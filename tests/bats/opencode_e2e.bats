#!/usr/bin/env bats
# opencode_e2e.bats - the real OpenCode CLI (1.18.33, `opencode serve`
# behind sa-opencode-bridge) end to end through the real pipeline, offline:
#   sa-spawn --agent opencode --agent-bin OPENCODE --control FIFO
#     | sa-normalize --agent opencode --session S | sa-store --db DB --session S
# driven by tests/agents/drive.py, with tests/fakellm/fakellm.py as the
# model (Chat Completions).  Every session must hold: no agent.unparsed,
# paired call_ids, deltas adding up, every HITL request resolved
# (tests/agents/check_events.py), and `sa-events-check --sequential`.
# In permission mode default opencode asks before every command, so each
# command needs a reply.  opencode's question tool is a question
# (question.asked), not a permission, so drive.py answers it with --answer.
# Every wait is bounded.

load "$SA_TOP/tests/agents/bats_helpers"

QUESTION='Ask me. TOOL: question {"questions":[{"question":"Which color?","header":"Color","options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}]}]}'

setup_file() {
  opencode_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() {
  fakellm_stop
}

setup() {
  opencode_install
  opencode_test_env "$BATS_TEST_TMPDIR/home"
  WORK="$BATS_TEST_TMPDIR/work"
  DB="$BATS_TEST_TMPDIR/db"
  mkdir -p "$WORK"
}

e2e() { agent_e2e opencode "$SA_OPENCODE_BIN" "$@"; }
dump() { e2e_dump "$@"; }

@test "opencode e2e: a bash tool run is a tool_call and a tool_result with the output" {
  ev="$BATS_TEST_TMPDIR/cmd.jsonl"
  run e2e cmd "$ev" --message "Please RUN: echo opencode-e2e-$$" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect turn.ended=1 --expect session.started=1 --expect permission.requested=1 \
    --expect-tool-output "opencode-e2e-$$" --expect-text "Done. The command ran and printed" "$ev"
  jq -se --arg c "opencode-e2e-$$" '[.[] | select(.type == "item.completed") | .data.item.content[]?
    | select(.type == "tool_call") | select(.name == "bash") | .arguments] | any(contains($c))' "$ev"
}

@test "opencode e2e: a rejected command does not run" {
  ev="$BATS_TEST_TMPDIR/rej.jsonl"
  run e2e rej "$ev" --message "Create a file. RUN: touch rejected.txt" --permission reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect permission.requested=1 --expect-status permission.resolved=reject "$ev"
  [ ! -e "$WORK/rejected.txt" ]
}

@test "opencode e2e: a command allowed once runs (the file exists)" {
  ev="$BATS_TEST_TMPDIR/once.jsonl"
  run e2e once "$ev" --message "Create a file. RUN: touch allowed.txt" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect permission.requested=1 --expect-status permission.resolved=accept "$ev"
  [ -e "$WORK/allowed.txt" ]
}

@test "opencode e2e: a question answered is resolved as answered and is no permission" {
  ev="$BATS_TEST_TMPDIR/qa.jsonl"
  run e2e qa "$ev" --message "$QUESTION" --answer Blue
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect question.requested=1 --expect-status question.resolved=answered "$ev"
  [ "$(jq -s 'map(select(.type == "permission.requested")) | length' "$ev")" -eq 0 ]
  jq -se 'map(select(.type == "question.requested"))[0].data | .prompt == "Which color?" and .options == ["Red","Blue"]' "$ev"
}

@test "opencode e2e: a question rejected is resolved as rejected" {
  ev="$BATS_TEST_TMPDIR/qr.jsonl"
  run e2e qr "$ev" --message "$QUESTION" --answer reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect question.requested=1 --expect-status question.resolved=rejected "$ev"
}

@test "opencode e2e: two turns run on one session" {
  ev="$BATS_TEST_TMPDIR/two.jsonl"
  run e2e two "$ev" --input stdin --message "First. RUN: echo turn-one" --permission once \
    --message "Second. RUN: echo turn-two" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 2'
  invariants --expect turn.started=2 --expect turn.ended=2 \
    --expect-tool-output turn-one --expect-tool-output turn-two "$ev"
  jq -se '[.[] | .native_session_id | strings] | unique | length == 1' "$ev"
}

@test "opencode e2e: a new process resumes the session and the model sees the earlier turn" {
  ev1="$BATS_TEST_TMPDIR/res1.jsonl" ev2="$BATS_TEST_TMPDIR/res2.jsonl"
  run e2e res "$ev1" --message "Remember. RUN: echo before-resume" --permission once
  echo "$output"; dump "$ev1"
  [ "$status" -eq 0 ]
  native=$(jq -r '.native_session_id | strings' "$ev1" | tail -1)
  [[ "$native" == ses_* ]]
  next=$(jq -s '[.[] | .. | .item_id? | strings | select(startswith("itm_")) | ltrimstr("itm_") | tonumber] | max + 1' "$ev1")
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run e2e res "$ev2" --resume "$native" --message "Again. RUN: echo after-resume" --permission once \
    --normalize-arg=--no-session-started --normalize-arg=--item-start --normalize-arg="$next"
  echo "$output"; dump "$ev2"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  jq -se --arg n "$native" '[.[] | .native_session_id | strings] | unique == [$n]' "$ev2"
  cat "$ev1" "$ev2" >"$BATS_TEST_TMPDIR/res-all.jsonl"
  invariants --expect turn.ended=2 --expect-tool-output before-resume --expect-tool-output after-resume \
    "$BATS_TEST_TMPDIR/res-all.jsonl"
  jq -se 'map(select(.path | startswith("/v1/chat"))) | any(.body.messages | tostring | test("before-resume"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
}

@test "opencode e2e: a model error (HTTP 400) is an error event with the message and ends the turn" {
  ev="$BATS_TEST_TMPDIR/err.jsonl"
  run e2e err "$ev" --message "FAIL400 please"
  echo "$output"; dump "$ev"
  summary | jq -e '.turns_ended == 1'
  invariants "$ev"
  jq -se 'map(select(.type == "error")) | any(.data.message | contains("scripted failure"))' "$ev"
}

@test "opencode e2e: usage lands in turn.ended (input and output tokens > 0)" {
  ev="$BATS_TEST_TMPDIR/usage.jsonl"
  run e2e usage "$ev" --message "NOTOOL hello"
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants "$ev"
  jq -se 'map(select(.type == "turn.ended"))[0].data.usage | (.input_tokens > 0) and (.output_tokens > 0)' "$ev"
}

@test "opencode e2e: terminate leaves no opencode process behind" {
  ev="$BATS_TEST_TMPDIR/term.jsonl"
  run e2e term "$ev" --message "RUN: echo t" --permission once --spawn-arg=--log-level --spawn-arg=2
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect session.ended=1 "$ev"
  pgid=$(sed -n 's/^sa-spawn: started opencode (pid \([0-9]*\)).*/\1/p' "$BATS_TEST_TMPDIR"/stderr-term/sa-spawn.stderr | head -1)
  [ -n "$pgid" ]
  ! kill -0 -- "-$pgid" 2>/dev/null
  for i in $(seq 1 50); do [ -z "$(our_opencode)" ] && break; sleep 0.1; done
  [ -z "$(our_opencode)" ]
}
