#!/usr/bin/env bats
# serve_pi.bats - real Pi sessions (0.73.1, `pi --mode rpc` with sa's
# extension) through sa-serve's HTTP API, offline against
# tests/fakellm/fakellm.py: create, messages, permission and question
# replies over REST as requests arrive on SSE (tests/agents/serve_drive.py),
# a restart of sa-serve with the resumed native session, a model error, and
# terminate.  The stored events are checked like the pipeline e2e tests
# (check_events.py, sa-events-check).

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
  agent_serve_setup "$SA_PI_BIN" pi
  FAKELOG=$BATS_FILE_TMPDIR/fake/fakellm.log
}

teardown() { agent_serve_stop; }

serve_start() { agent_serve_start; }
dump() { e2e_dump "$@"; }

drive() {
  with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --agent pi --timeout 90 "$@"
}

api() { curl -fsS --noproxy '*' --max-time 10 "$@"; }

@test "serve pi: /v1/agents says pi is installed, with its version" {
  serve_start
  api "http://127.0.0.1:$PORT/v1/agents" | jq -e '.agents[] | select(.id == "pi") | .installed and .version == "0.73.1"'
}

@test "serve pi: an allowed and a rejected command over HTTP, SSE ids match the store" {
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

@test "serve pi: a question is answered over HTTP and the model gets the answer" {
  serve_start
  ev="$BATS_TEST_TMPDIR/q.jsonl"
  : >"$FAKELOG"
  run drive --session webq --out "$ev" --message "$QUESTION" --answer Blue
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  summary | jq -e '.problems == [] and .http_errors == [] and .turns_ended == 1'
  invariants --expect question.requested=1 --expect-status question.resolved=answered "$ev"
  jq -se 'map(select(.path | startswith("/v1/chat"))) | any(.body.messages | map(select(.role == "tool")) | tostring | test("Blue"))' "$FAKELOG"
}

@test "serve pi: a question is rejected over HTTP and its tool fails" {
  serve_start
  ev="$BATS_TEST_TMPDIR/qr.jsonl"
  run drive --session webqr --out "$ev" --message "$QUESTION" --answer reject
  echo "$output"; dump "$ev"
  [ "$status" -eq 0 ]
  invariants --expect question.requested=1 --expect-status question.resolved=rejected "$ev"
}

@test "serve pi: after a restart of sa-serve a third turn resumes the same pi session with the first turns" {
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
  : >"$FAKELOG"
  run drive --session web3 --no-create --offset "$last" --out "$ev2" \
    --message "Third. RUN: echo served-three" --permission once
  echo "$output"; dump "$ev2"
  [ "$status" -eq 0 ]
  cat "$ev1" "$ev2" >"$BATS_TEST_TMPDIR/all.jsonl"
  invariants --expect session.started=1 --expect turn.ended=3 \
    --expect-tool-output served-one --expect-tool-output served-three "$BATS_TEST_TMPDIR/all.jsonl"
  [ "$(jq -s '[.[] | .native_session_id | strings] | unique | length' "$BATS_TEST_TMPDIR/all.jsonl")" -eq 1 ]
  jq -se 'map(select(.path | startswith("/v1/chat"))) | any(.body.messages | tostring | test("served-one") and test("served-two") and test("served-three"))' \
    "$FAKELOG"
}

@test "serve pi: a model error (HTTP 400) is an error event and the turn ends" {
  serve_start
  ev="$BATS_TEST_TMPDIR/err.jsonl"
  run drive --session web4 --out "$ev" --message "FAIL400 now"
  echo "$output"; dump "$ev"
  summary | jq -e '.turns_ended == 1'
  invariants "$ev"
  jq -se 'map(select(.type == "error")) | any(.data.code == "pi.model_error" and (.data.message | contains("scripted failure")))' "$ev"
}

@test "serve pi: the session's usage totals count pi's tokens" {
  serve_start
  ev="$BATS_TEST_TMPDIR/u.jsonl"
  run drive --session webu --out "$ev" --no-terminate --message "NOTOOL hi"
  [ "$status" -eq 0 ]
  api "http://127.0.0.1:$PORT/v1/sessions/webu" | jq -e '.usage.input_tokens > 0 and .usage.output_tokens > 0'
}

@test "serve pi: terminate leaves no pi process" {
  serve_start
  ev="$BATS_TEST_TMPDIR/t.jsonl"
  run drive --session web5 --out "$ev" --no-terminate --message "NOTOOL hi"
  [ "$status" -eq 0 ]
  [ -n "$(our_pi)" ]
  run api -X POST "http://127.0.0.1:$PORT/v1/sessions/web5/terminate"
  for i in $(seq 1 100); do [ -z "$(our_pi)" ] && break; sleep 0.1; done
  [ -z "$(our_pi)" ]
}
