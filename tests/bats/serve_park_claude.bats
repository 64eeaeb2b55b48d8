#!/usr/bin/env bats
# serve_park_claude.bats - a real Claude Code session parked by sa-serve
# --idle-park and resumed by the next message, offline against
# tests/fakellm/fakellm.py: after its turn the idle claude process tree goes,
# the session stays open (parked:true, one agent.parked item, no
# session.ended), and the next message starts claude with --resume of its
# native session: the fake model is sent the earlier conversation, and an
# agent.resumed item (how "native") carries the resume time.
# The mock's parking is tested in serve_park.bats.

load "$SA_TOP/tests/agents/bats_helpers"
load park_helpers

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

# the first turn, left running (no terminate), then parked
first_turn_parked() {
  agent_serve_start --idle-park 3
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" \
    --session pk1 --agent claude --out "$BATS_TEST_TMPDIR/e1.jsonl" --timeout 90 --no-terminate \
    --message "Remember. RUN: echo parked-before"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -n "$(our_claude)" ]        # running until parked: what the test sees go is there
  wait_parked pk1
}

@test "park claude: an idle claude session parks: its processes go, one agent.parked, no session.ended" {
  first_turn_parked
  local i
  for i in $(seq 1 100); do [ -z "$(our_claude)" ] && break; sleep 0.1; done
  [ -z "$(our_claude)" ]
  park_info pk1 | jq -e '.parked == true and .ended == false and (.nativeSessionId | type == "string")'
  [ "$(park_labels pk1 agent.parked | wc -l)" -eq 1 ]
  curl -sS "http://127.0.0.1:$PORT/v1/sessions/pk1/events" | jq -e '[.events[] | select(.type == "session.ended")] == []'
}

@test "park claude: the next message resumes claude natively with its context and stores agent.resumed" {
  first_turn_parked
  last=$(curl -sS "http://127.0.0.1:$PORT/v1/sessions/pk1/events" | jq '.events[-1].sequence')
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" \
    --session pk1 --no-create --offset "$last" --out "$BATS_TEST_TMPDIR/e2.jsonl" --timeout 90 \
    --no-terminate --message "Again. RUN: echo parked-after"
  echo "$output"
  [ "$status" -eq 0 ]
  # the model got the conversation from before the park: claude resumed its session
  jq -se 'map(select(.path | startswith("/v1/messages"))) | any(.body.messages | tostring | test("parked-before"))' \
    "$BATS_FILE_TMPDIR/fake/fakellm.log"
  run park_labels pk1 agent.resumed
  echo "$output"
  [ "${#lines[@]}" -eq 1 ]
  jq -e '.how == "native" and (.resume_ms | type == "number" and . >= 0)' <<<"${lines[0]}"
  # one native session across the park
  curl -sS "http://127.0.0.1:$PORT/v1/sessions/pk1/events" |
    jq -e '[.events[] | .native_session_id | strings] | unique | length == 1'
  curl -sS "http://127.0.0.1:$PORT/v1/sessions/pk1/events" |
    jq -e '[.events[] | select(.type == "turn.ended")] | length == 2'
}
