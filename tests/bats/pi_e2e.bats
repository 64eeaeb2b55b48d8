#!/usr/bin/env bats
# pi_e2e.bats - the real Pi coding agent (0.73.1, `pi --mode rpc` with sa's
# extension) end to end through the real pipeline, offline:
#   sa-spawn --agent pi --agent-bin PI --control FIFO
#     | sa-normalize --agent pi --session S | sa-store --db DB --session S
# driven by tests/agents/drive.py, with tests/fakellm/fakellm.py as the
# model (Chat Completions).  Every session must hold: no agent.unparsed,
# paired call_ids, deltas adding up, every HITL request resolved
# (tests/agents/check_events.py), and `sa-events-check --sequential`.
# In permission mode default sa's gate asks before every command, so each
# command needs a reply.  Every wait is bounded.

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
  WORK="$BATS_TEST_TMPDIR/work"
  DB="$BATS_TEST_TMPDIR/db"
  mkdir -p "$WORK"
}

e2e() { agent_e2e pi "$SA_PI_BIN" "$@"; }
dump() { e2e_dump "$@"; }

@test "pi e2e: an approved command runs and its output is the tool_result" {
  ev="$BATS_TEST_TMPDIR/cmd.jsonl"
  run e2e cmd "$ev" --message "Please RUN: echo pi-e2e-$$" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect turn.ended=1 --expect session.started=1 --expect permission.requested=1 \
    --expect-tool-output "pi-e2e-$$" --expect-text "Done. The command ran and printed" "$ev"
}

@test "pi e2e: a rejected command does not run" {
  ev="$BATS_TEST_TMPDIR/rej.jsonl"
  run e2e rej "$ev" --message "Create a file. RUN: touch rejected.txt" --permission reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect permission.requested=1 --expect-status permission.resolved=reject "$ev"
  [ ! -e "$WORK/rejected.txt" ]
}

@test "pi e2e: a command allowed once runs (the file exists)" {
  ev="$BATS_TEST_TMPDIR/once.jsonl"
  run e2e once "$ev" --message "Create a file. RUN: touch allowed.txt" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect-status permission.resolved=accept "$ev"
  [ -e "$WORK/allowed.txt" ]
}

@test "pi e2e: the question tool answered: question.resolved answered and the answer in the tool_result" {
  ev="$BATS_TEST_TMPDIR/qa.jsonl"
  run e2e qa "$ev" --message "$QUESTION" --answer Blue
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect question.requested=1 --expect-status question.resolved=answered \
    --expect-tool-output "Which color?: Blue" "$ev"
}

@test "pi e2e: the question tool rejected: question.resolved rejected and a failed tool_result" {
  ev="$BATS_TEST_TMPDIR/qr.jsonl"
  run e2e qr "$ev" --message "$QUESTION" --answer reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect question.requested=1 --expect-status question.resolved=rejected "$ev"
  jq -se '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result")][0].data.item.status == "failed"' "$ev"
}

@test "pi e2e: two turns on one session, each with its turn.ended" {
  ev="$BATS_TEST_TMPDIR/two.jsonl"
  run e2e two "$ev" --message "NOTOOL first" --message "NOTOOL second"
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 2'
  invariants --expect turn.ended=2 --expect session.started=1 "$ev"
  [ "$(jq -s '[.[] | .native_session_id | strings] | unique | length' "$ev")" -eq 1 ]
}

@test "pi e2e: a model error (HTTP 400) is an error event and the turn ends failed" {
  ev="$BATS_TEST_TMPDIR/err.jsonl"
  run e2e err "$ev" --message "FAIL400 now"
  echo "$output"; dump "$ev"
  summary | jq -e '.turns_ended == 1'
  invariants "$ev"
  jq -se 'map(select(.type == "error"))[0].data | .code == "pi.model_error" and (.message | contains("scripted failure"))' "$ev"
  jq -se 'map(select(.type == "turn.ended"))[0].data.metadata.status == "failed"' "$ev"
}

@test "pi e2e: turn.ended carries the turn's usage" {
  ev="$BATS_TEST_TMPDIR/use.jsonl"
  run e2e use "$ev" --message "NOTOOL count me"
  [ "$status" -eq 0 ]
  jq -se 'map(select(.type == "turn.ended"))[0].data.usage | .input_tokens > 0 and .output_tokens > 0' "$ev"
}
