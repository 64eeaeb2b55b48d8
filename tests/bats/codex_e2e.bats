#!/usr/bin/env bats
# codex_e2e.bats - the real Codex CLI (0.169.0, `codex app-server`) end to
# end through the real pipeline, offline:
#   sa-spawn --agent codex --agent-bin CODEX --control FIFO
#     | sa-normalize --agent codex --session S | sa-store --db DB --session S
# driven by tests/agents/drive.py, with tests/fakellm/fakellm.py as the
# model (Responses API).  Every session must hold: no agent.unparsed, paired
# call_ids, deltas adding up, every HITL request resolved
# (tests/agents/check_events.py), and `sa-events-check --sequential`.
# In permission mode default codex asks before every command, so each
# command needs a reply.  Every wait is bounded.

load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  codex_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() {
  fakellm_stop
}

setup() {
  codex_install
  codex_test_env "$BATS_TEST_TMPDIR/home"
  WORK="$BATS_TEST_TMPDIR/work"
  DB="$BATS_TEST_TMPDIR/db"
  mkdir -p "$WORK"
}

e2e() { agent_e2e codex "$SA_CODEX_BIN" "$@"; }
dump() { e2e_dump "$@"; }

@test "codex e2e: an approved command runs and its output is the tool_result" {
  ev="$BATS_TEST_TMPDIR/cmd.jsonl"
  run e2e cmd "$ev" --message "Please RUN: echo codex-e2e-$$" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect turn.ended=1 --expect session.started=1 --expect permission.requested=1 \
    --expect-tool-output "codex-e2e-$$" --expect-text "Done. The command ran and printed" "$ev"
}

@test "codex e2e: the command's tool_call carries the command" {
  ev="$BATS_TEST_TMPDIR/cmdcall.jsonl"
  run e2e cmdcall "$ev" --message "Please RUN: echo call-$$" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  jq -se --arg c "call-$$" '[.[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "tool_call") | .arguments] | any(contains($c))' "$ev"
}

@test "codex e2e: a rejected command does not run" {
  ev="$BATS_TEST_TMPDIR/rej.jsonl"
  run e2e rej "$ev" --message "Create a file. RUN: touch rejected.txt" --permission reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect permission.requested=1 --expect-status permission.resolved=reject "$ev"
  [ ! -e "$WORK/rejected.txt" ]
}

@test "codex e2e: a command allowed once runs (the file exists)" {
  ev="$BATS_TEST_TMPDIR/once.jsonl"
  run e2e once "$ev" --message "Create a file. RUN: touch allowed.txt" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect-status permission.resolved=accept "$ev"
  [ -e "$WORK/allowed.txt" ]
}

@test "codex e2e: the permission request carries the command and cwd in metadata" {
  ev="$BATS_TEST_TMPDIR/meta.jsonl"
  run e2e meta "$ev" --message "RUN: touch meta.txt" --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  jq -se --arg w "$WORK" 'map(select(.type == "permission.requested"))[0].data
    | .action == "commandExecution" and (.metadata.command | contains("touch meta.txt")) and .metadata.cwd == $w' "$ev"
}

@test "codex e2e: an approved file change is made and its diff is in a file_ref" {
  ev="$BATS_TEST_TMPDIR/patch.jsonl"
  run e2e patch "$ev" --message 'PATCH: notes.txt alpha line\nbeta line' --permission once
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect permission.requested=1 "$ev"
  [ "$(cat "$WORK/notes.txt")" = "$(printf 'alpha line\nbeta line')" ]
  jq -se '[.[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "file_ref")]
    | any((.path | endswith("notes.txt")) and (.diff | contains("alpha line")))' "$ev"
}

@test "codex e2e: acceptEdits lets a file change inside the directory through without asking" {
  ev="$BATS_TEST_TMPDIR/edits.jsonl"
  run e2e edits "$ev" --message 'PATCH: edited.txt one line' \
    --spawn-arg=--permission-mode --spawn-arg=acceptEdits \
    --normalize-arg=--permission-mode --normalize-arg=acceptEdits
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  [ -e "$WORK/edited.txt" ]
  [ "$(jq -s 'map(select(.type == "permission.requested")) | length' "$ev")" -eq 0 ]
}

@test "codex e2e: two turns run on one thread" {
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

@test "codex e2e: a new process resumes the thread and the model sees the earlier turn" {
  ev1="$BATS_TEST_TMPDIR/res1.jsonl" ev2="$BATS_TEST_TMPDIR/res2.jsonl"
  run e2e res "$ev1" --message "Remember. RUN: echo before-resume" --permission once
  echo "$output"; dump "$ev1"
  [ "$status" -eq 0 ]
  native=$(jq -r '.native_session_id | strings' "$ev1" | tail -1)
  [ -n "$native" ] && [ "$native" != null ]
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
  jq -se 'map(select(.path | startswith("/v1/responses"))) | any(.body.input | tostring | test("before-resume"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
}

@test "codex e2e: a model error (HTTP 400) is an error event with the message and ends the turn" {
  ev="$BATS_TEST_TMPDIR/err.jsonl"
  run e2e err "$ev" --message "FAIL400 please"
  echo "$output"; dump "$ev"
  summary | jq -e '.turns_ended == 1'
  invariants "$ev"
  jq -se 'map(select(.type == "error")) | any(.data.message | contains("scripted failure"))' "$ev"
}

@test "codex e2e: usage from thread/tokenUsage/updated lands in turn.ended" {
  ev="$BATS_TEST_TMPDIR/usage.jsonl"
  run e2e usage "$ev" --message "NOTOOL hello"
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  jq -se 'map(select(.type == "turn.ended"))[0].data.usage | (.input_tokens > 0) and (.output_tokens > 0)' "$ev"
}

@test "codex e2e: terminate leaves no process of codex's group behind" {
  ev="$BATS_TEST_TMPDIR/term.jsonl"
  run e2e term "$ev" --message "RUN: echo t" --permission once --spawn-arg=--log-level --spawn-arg=2
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  pgid=$(sed -n 's/^sa-spawn: started codex (pid \([0-9]*\)).*/\1/p' "$BATS_TEST_TMPDIR"/stderr-term/sa-spawn.stderr | head -1)
  [ -n "$pgid" ]
  ! kill -0 -- "-$pgid" 2>/dev/null
}
