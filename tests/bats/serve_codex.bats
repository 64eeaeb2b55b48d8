#!/usr/bin/env bats
# serve_codex.bats - real Codex CLI sessions (0.169.0, codex app-server)
# through sa-serve's HTTP API, offline against tests/fakellm/fakellm.py:
# create, messages, permission and question replies over REST as requests
# arrive on SSE (tests/agents/serve_drive.py), a restart of sa-serve with a
# resumed thread, a model error, and terminate.  The stored events are
# checked like the pipeline e2e tests (check_events.py, sa-events-check).

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
  agent_serve_setup "$SA_CODEX_BIN" codex
}

teardown() { agent_serve_stop; }

serve_start() { agent_serve_start; }
dump() { e2e_dump "$@"; }

drive() {
  with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --agent codex --timeout 90 "$@"
}


QUESTION='Ask me. TOOL: request_user_input {"questions":[{"id":"color","header":"Color","question":"Which color?","options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}]}]}'

@test "serve codex: an allowed and a rejected command over HTTP, SSE ids match the store" {
  serve_start
  ev="$BATS_TEST_TMPDIR/events.jsonl"
  run drive --session web1 --out "$ev" \
    --message "Create a file. RUN: touch served.txt" --permission once \
    --message "Create another. RUN: touch refused.txt" --permission reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .http_errors == [] and .turns_ended == 2 and .sse_ids_match'
  [ -e "$WORK/served.txt" ]
  [ ! -e "$WORK/refused.txt" ]
  invariants --expect turn.ended=2 --expect-status permission.resolved=accept \
    --expect-status permission.resolved=reject --expect session.ended=1 "$ev"
}

@test "serve codex: the session is listed with codex's thread id as native id" {
  serve_start
  ev="$BATS_TEST_TMPDIR/events.jsonl"
  run drive --session web2 --out "$ev" --message "NOTOOL hello"
  [ "$status" -eq 0 ]
  run curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/web2"
  echo "$output"
  echo "$output" | jq -e --arg n "$(jq -r '.native_session_id | strings' "$ev" | tail -1)" \
    '.agent == "codex" and .nativeSessionId == $n and ($n | length > 0)'
}

@test "serve codex: a plan-mode question is answered over HTTP and the model gets the answer" {
  serve_start
  ev="$BATS_TEST_TMPDIR/q.jsonl"
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run drive --session webq --out "$ev" --create '{"agentMode":"plan"}' --message "$QUESTION" --answer Blue
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .turns_ended == 1'
  invariants --expect question.requested=1 --expect-status question.resolved=answered "$ev"
  jq -se 'map(select(.type == "question.requested"))[0].data | .prompt == "Which color?" and .options == ["Red","Blue"]' "$ev"
  jq -se 'map(select(.path | startswith("/v1/responses"))) | any(.body.input | tostring | test("Blue"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
}

@test "serve codex: after a restart of sa-serve a third turn resumes the same thread with the first turns" {
  serve_start
  ev1="$BATS_TEST_TMPDIR/r1.jsonl" ev2="$BATS_TEST_TMPDIR/r2.jsonl"
  run drive --session web3 --out "$ev1" --no-terminate \
    --message "First. RUN: echo served-one" --permission once \
    --message "Second. RUN: echo served-two" --permission once
  echo "$output"; dump "$ev1"
  [ "$status" -eq 0 ]
  teardown
  serve_start
  last=$(tail -1 "$ev1" | jq .sequence)
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run drive --session web3 --no-create --offset "$last" --out "$ev2" \
    --message "Third. RUN: echo served-three" --permission once
  echo "$output"; dump "$ev2"
  [ "$status" -eq 0 ]
  cat "$ev1" "$ev2" >"$BATS_TEST_TMPDIR/all.jsonl"
  invariants --expect session.started=1 --expect turn.ended=3 \
    --expect-tool-output served-one --expect-tool-output served-three "$BATS_TEST_TMPDIR/all.jsonl"
  [ "$(jq -s '[.[] | .native_session_id | strings] | unique | length' "$BATS_TEST_TMPDIR/all.jsonl")" -eq 1 ]
  jq -se 'map(select(.path | startswith("/v1/responses"))) | any(.body.input | tostring | test("served-one") and test("served-two"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
}

@test "serve codex: a model error (HTTP 400) is an error event and the turn ends" {
  serve_start
  ev="$BATS_TEST_TMPDIR/err.jsonl"
  run drive --session web4 --out "$ev" --message "FAIL400 now"
  echo "$output"; dump "$ev"
  summary | jq -e '.turns_ended == 1'
  invariants "$ev"
  jq -se 'map(select(.type == "error")) | any(.data.message | contains("scripted failure"))' "$ev"
}

@test "serve codex: terminate leaves no codex process" {
  serve_start
  ev="$BATS_TEST_TMPDIR/t.jsonl"
  run drive --session web5 --out "$ev" --no-terminate --message "NOTOOL hi"
  [ "$status" -eq 0 ]
  [ -n "$(our_codex)" ]
  run curl -sS --max-time 10 -X POST "http://127.0.0.1:$PORT/v1/sessions/web5/terminate"
  for i in $(seq 1 100); do [ -z "$(our_codex)" ] && break; sleep 0.1; done
  [ -z "$(our_codex)" ]
}
