#!/usr/bin/env bats
# serve_claude.bats - a real Claude Code session through sa-serve's HTTP API,
# offline against tests/fakellm/fakellm.py: create a session (agent claude;
# sa-serve finds `claude` on PATH, so a directory holding a `claude` link to
# the pinned CLI goes first on PATH), send messages, answer a permission
# and a question through the REST endpoints as they arrive on the SSE stream
# (tests/agents/serve_drive.py), then check the stored events like the
# pipeline e2e tests do (check_events.py, sa-events-check --sequential).

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
  agent_serve_setup "$SA_CLAUDE_BIN" claude
}

teardown() { agent_serve_stop; }

serve_start() { agent_serve_start; }
dump() { e2e_dump "$@"; }

ASK='Ask me. TOOL: AskUserQuestion {"questions":[{"question":"Which color?","header":"Color","multiSelect":false,"options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}]}]}'

@test "serve claude: message, permission reply and question reply over HTTP" {
  serve_start
  ev="$BATS_TEST_TMPDIR/events.jsonl"
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" \
    --session web1 --agent claude --out "$ev" --timeout 90 \
    --message "Create a file. RUN: touch served.txt" --permission once \
    --message "$ASK" --answer Blue
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .http_errors == [] and .turns_ended == 2 and .sse_ids_match'
  [ -e "$WORK/served.txt" ]
  run sa-events-check --sequential --session web1 "$ev"
  echo "$output"
  [ "$status" -eq 0 ]
  run python3 "$SA_AGENTS_TESTDIR/check_events.py" --expect turn.ended=2 \
    --expect-status permission.resolved=accept --expect-status question.resolved=answered \
    --expect-tool-output Blue --expect session.ended=1 "$ev"
  echo "$output"
  [ "$status" -eq 0 ]
  # the session is listed with claude's native id
  run curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/web1"
  echo "$output" | jq -e '.agent == "claude" and (.nativeSessionId | type == "string" and length > 0)'
}

@test "serve claude: a second message after the agent process ended resumes the claude session" {
  serve_start
  ev1="$BATS_TEST_TMPDIR/r1.jsonl" ev2="$BATS_TEST_TMPDIR/r2.jsonl"
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" \
    --session web2 --out "$ev1" --timeout 90 --no-terminate \
    --message "Remember. RUN: echo served-before"
  echo "$output"; dump "$ev1"
  [ "$status" -eq 0 ]
  # restart sa-serve: the next message must start claude with --resume
  teardown
  serve_start
  last=$(tail -1 "$ev1" | jq .sequence)
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" \
    --session web2 --no-create --offset "$last" --out "$ev2" --timeout 90 \
    --message "Again. RUN: echo served-after"
  echo "$output"; dump "$ev2"
  [ "$status" -eq 0 ]
  cat "$ev1" "$ev2" >"$BATS_TEST_TMPDIR/all.jsonl"
  run sa-events-check --sequential --session web2 "$BATS_TEST_TMPDIR/all.jsonl"
  echo "$output"
  [ "$status" -eq 0 ]
  run python3 "$SA_AGENTS_TESTDIR/check_events.py" --expect session.started=1 --expect turn.ended=2 \
    --expect-text "printed: served-before" --expect-text "printed: served-after" "$BATS_TEST_TMPDIR/all.jsonl"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -s '[.[] | .native_session_id | strings] | unique | length' "$BATS_TEST_TMPDIR/all.jsonl")" -eq 1 ]
  jq -se 'map(select(.path | startswith("/v1/messages"))) | any(.body.messages | tostring | test("served-before"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
}
