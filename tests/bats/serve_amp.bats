#!/usr/bin/env bats
# serve_amp.bats — amp in sa-serve: what /v1/agents says about it (installed
# only when an amp executable is found, credentialsAvailable only with
# AMP_API_KEY), its modes, models and permission modes, and sessions run
# through the whole pipeline with tests/agents/fake_amp.py installed as
# `amp` on PATH (the real Amp needs an ampcode.com account; the fake replays
# fixtures HAND-WRITTEN FROM AMP'S DOCUMENTED FORMAT): turns in their own
# processes continuing one thread, also after a restart of sa-serve; a
# session's MCP servers reaching amp as --mcp-config.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() {
  T=$BATS_TEST_TMPDIR
  export FAKE_AMP_DIR=$T/fa
  # the fake amp records what it got in FAKE_AMP_DIR, outside its session
  # directory, which sa-serve's agents cannot write: these sessions run
  # unconfined (the sandbox itself: sandbox*.bats; the amp module inside it:
  # spawn_amp.bats)
  export SA_SANDBOX=none
  mkdir -p "$FAKE_AMP_DIR" "$T/bin"
  ln -s "$SA_TOP/tests/agents/fake_amp.py" "$T/bin/amp"
}

teardown() { serve_teardown; }

# amp_entry — the amp entry of GET /v1/agents
amp_entry() {
  api GET /v1/agents
  jq -c '.agents[] | select(.id == "amp")' <<<"$body"
}

# wait_turns SESSION N — until the session has N turn.ended events (bounded, 10 s)
wait_turns() {
  local i=0
  until [ "$(events "$1" | jq -s '[.[] | select(.type == "turn.ended")] | length')" -ge "$2" ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || { echo "no $2 turn.ended in $1" >&2; events "$1" >&2; return 1; }
    sleep 0.05
  done
}

@test "amp: /v1/agents lists amp as not installed when no amp executable is found" {
  ! command -v amp || skip "an amp executable is on PATH: $(command -v amp)"
  mkdir -p "$T/empty-cache"      # not the real agent cache, where make check may have put amp
  SA_AGENT_CACHE="$T/empty-cache" serve_start --no-token
  [ "$(amp_entry | jq -c '[.installed, has("path")]')" = '[false,false]' ]
}

@test "amp: /v1/agents lists amp as installed, with its path and version, when amp is on PATH" {
  PATH="$T/bin:$PATH" serve_start --no-token
  jq -e --arg p "$T/bin/amp" '.installed and .path == $p and (.version | test("0.0.1790142911"))' <<<"$(amp_entry)"
}

@test "amp: install answers 404 agent_not_installed without an amp executable, 204 with one" {
  ! command -v amp || skip "an amp executable is on PATH: $(command -v amp)"
  serve_start --no-token
  api POST /v1/agents/amp/install '{}'
  [ "$code" = 404 ] && [ "$(jq -r .type <<<"$body")" = urn:sandbox-agent:error:agent_not_installed ]
  serve_stop "$SPID"
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/agents/amp/install '{}'
  [ "$code" = 204 ]
}

@test "amp: credentialsAvailable is false without AMP_API_KEY" {
  AMP_API_KEY= PATH="$T/bin:$PATH" serve_start --no-token
  [ "$(amp_entry | jq .credentialsAvailable)" = false ]
}

@test "amp: credentialsAvailable is true with AMP_API_KEY set" {
  AMP_API_KEY=sgamp_test_not_a_key PATH="$T/bin:$PATH" serve_start --no-token
  [ "$(amp_entry | jq .credentialsAvailable)" = true ]
}

@test "amp: capabilities are amp.json's (no permissions, questions or streaming deltas)" {
  serve_start --no-token
  jq -e -n --argjson g "$(amp_entry | jq -c .capabilities)" --argjson w "$(jq -c .capabilities "$SA_AGENTS_DIR/amp.json")" \
    '$g == $w and ($g.permissions | not) and ($g.questions | not) and ($g.streamingDeltas | not) and $g.toolCalls'
}

@test "amp: modes are build only, and models default to amp-default" {
  serve_start --no-token
  api GET /v1/agents/amp/modes
  [ "$(jq -c '[.modes[].id]' <<<"$body")" = '["build"]' ]
  api GET /v1/agents/amp/models
  [ "$(jq -r .defaultModel <<<"$body")" = amp-default ]
  [ "$(jq -c '[.models[].id]' <<<"$body")" = "$(jq -c '[.models[].id]' "$SA_AGENTS_DIR/amp.json")" ]
}

@test "amp: a session with permissionMode plan is refused with 400" {
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/sessions/p1 '{"agent":"amp","permissionMode":"plan"}'
  [ "$code" = 400 ]
}

@test "amp (fake amp, documented fixtures): a session with permissionMode bypass runs amp with --dangerously-allow-all" {
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/sessions/b1 '{"agent":"amp","permissionMode":"bypass"}'
  [ "$code" = 200 ] || { echo "$body"; false; }
  api POST /v1/sessions/b1/messages '{"message":"hello"}'
  wait_event b1 '.type == "turn.ended"'
  grep -qx -- --dangerously-allow-all "$FAKE_AMP_DIR/argv.1"
}

@test "amp (fake amp, documented fixtures): two messages over HTTP run two amp processes on one thread, with valid stored events" {
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/sessions/a1 '{"agent":"amp"}'
  [ "$code" = 200 ] || { echo "$body"; false; }
  api POST /v1/sessions/a1/messages '{"message":"hello"}'
  wait_turns a1 1
  api POST /v1/sessions/a1/messages '{"message":"TOOL run echo hi"}'
  wait_turns a1 2
  tid=$(events a1 | jq -r 'select(.type == "turn.ended") | .native_session_id' | head -1)
  [ "$(sed -n 1,3p "$FAKE_AMP_DIR/argv.2" | tr '\n' ' ')" = "threads continue $tid " ]
  events a1 > "$T/ev.jsonl"
  [ "$(jq -s '[.[] | select(.type == "turn.ended")] | length' "$T/ev.jsonl")" -eq 2 ]
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$T/ev.jsonl")" -eq 0 ]
  sa-events-check --sequential --session a1 < "$T/ev.jsonl"
}

@test "amp (fake amp, documented fixtures): after a restart of sa-serve the next message continues the same thread" {
  export SA_SERVE_DB=$T/keep.db
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/sessions/r1 '{"agent":"amp"}'
  api POST /v1/sessions/r1/messages '{"message":"hello"}'
  wait_turns r1 1
  tid=$(events r1 | jq -r 'select(.type == "turn.ended") | .native_session_id')
  serve_stop "$SPID"
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/sessions/r1/messages '{"message":"again"}'
  [ "$code" = 204 ] || { echo "$code $body"; false; }
  wait_turns r1 2
  n=$(ls "$FAKE_AMP_DIR"/argv.* | wc -l)
  [ "$(sed -n 1,3p "$FAKE_AMP_DIR/argv.$n" | tr '\n' ' ')" = "threads continue $tid " ]
}

@test "amp MCP (fake amp, documented fixtures): a session's mcp reaches amp as --mcp-config, and amp's MCP call is <server>.<tool>" {
  PATH="$T/bin:$PATH" serve_start --no-token
  api POST /v1/sessions/m1 '{"agent":"amp","mcp":{"search-tools":{"type":"local","command":"python3","args":["srv.py"]}}}'
  [ "$code" = 200 ] || { echo "$body"; false; }
  api POST /v1/sessions/m1/messages '{"message":"MCP look up sa"}'
  [ "$code" = 204 ] || { echo "$code $body"; false; }
  wait_turns m1 1
  grep -qx -- --mcp-config "$FAKE_AMP_DIR/argv.1"
  [ "$(jq -c '."search-tools"' "$FAKE_AMP_DIR/mcp-config.1")" = '{"command":"python3","args":["srv.py"],"env":{}}' ]
  [ "$(events m1 | jq -r 'select(.type == "item.completed" and .data.item.kind == "tool_call") | .data.item.content[0].name')" = search-tools.lookup ]
}
