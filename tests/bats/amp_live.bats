#!/usr/bin/env bats
# amp_live.bats — the real Amp CLI (pinned, tests/agents/install.sh) with a
# real ampcode.com account, through sa-spawn | sa-normalize.  Amp's agent
# loop runs on Amp's servers, so these tests need AMP_API_KEY and the
# network (ampcode.com), unlike every other test here; without AMP_API_KEY
# each one is reported as skipped, with the reason.  They use the account
# (a few short turns).  What can be checked offline is in amp_cli.bats; the
# mapping itself is tested against hand-written fixtures in
# normalize_amp.bats and spawn_amp.bats.

bats_require_minimum_version 1.5.0
load "$SA_TOP/tests/agents/amp_env.sh"

NOKEY="AMP_API_KEY not set: Amp needs an ampcode.com account (its agent loop runs on Amp's servers), so it cannot run offline; set AMP_API_KEY to run this test against ampcode.com"

setup() {
  [ -n "${AMP_API_KEY:-}" ] || skip "$NOKEY"
  amp_install
  sa_amp_live_env "$BATS_TEST_TMPDIR/home"
  WORK=$BATS_TEST_TMPDIR/work
  mkdir -p "$WORK"
  cd "$BATS_TEST_TMPDIR"
}

# live MESSAGE... [-- sa-spawn args...] — the messages through sa-spawn and
# sa-normalize with the real amp (bounded: 300 s); sa-spawn's output in
# spawn.jsonl, events in ev.jsonl
live() {
  local msgs=() m
  while [ $# -gt 0 ] && [ "$1" != -- ]; do msgs+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  for m in "${msgs[@]}"; do jq -cn --arg m "$m" '{type: "message", message: $m}'; done |
    timeout -k 5 300 sa-spawn --agent amp --agent-bin "$SA_AMP_BIN" --cwd "$WORK" "$@" | tee spawn.jsonl |
    sa-normalize --agent amp --session s1 > ev.jsonl
}

count() { jq -s "[.[] | select($1)] | length" ev.jsonl; }
spawn_lines() { jq -cR --arg t "$1" 'fromjson? | select(type == "object" and .sa == $t)' spawn.jsonl; }

@test "amp live: one turn ends with turn.ended, valid events and no agent.unparsed" {
  live "Reply with the single word: pong"
  [ "$(count '.type == "turn.ended"')" -eq 1 ]
  [ "$(count '.type == "agent.unparsed"')" -eq 0 ]
  sa-events-check --no-envelope-ids --key-order --session s1 < ev.jsonl
}

@test "amp live: the native session id is amp's thread id (T-...)" {
  live "Reply with the single word: pong"
  jq -se '[.[] | .native_session_id | strings] | unique | length == 1 and (.[0] | startswith("T-"))' ev.jsonl
}

@test "amp live: a second turn continues the first turn's thread in a new process" {
  live "Remember the number 42. Reply with: OK" "What number did I ask you to remember? Reply with the number only."
  tid=$(jq -r 'select(.type == "turn.ended") | .native_session_id' ev.jsonl | head -1)
  [ "$(spawn_lines spawned | sed -n 2p | jq -r '.argv[1:4] | join(" ")')" = "threads continue $tid" ]
  [ "$(count '.type == "turn.ended"')" -eq 2 ]
  jq -se '[.[] | select(.type == "item.completed" and .data.item.role == "assistant" and .data.item.kind == "message")]
          | last | .data.item.content[0].text | test("42")' ev.jsonl
}

@test "amp live: with bypass a shell command runs and its tool_result carries its output" {
  live "Run the shell command: echo sa-amp-live-ok" -- --permission-mode bypass
  jq -se '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result")
           | .data.item.content[0].output] | any(test("sa-amp-live-ok"))' ev.jsonl
}

@test "amp live: a turn's usage reaches turn.ended" {
  live "Reply with the single word: pong"
  jq -se '[.[] | select(.type == "turn.ended")][0].data.usage | (.input_tokens | type) == "number" and (.output_tokens | type) == "number"' ev.jsonl
}
