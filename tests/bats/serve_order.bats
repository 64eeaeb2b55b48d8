#!/usr/bin/env bats
# serve_order.bats - the order of events at create is v0.1.11's: sa-serve
# stores the synthetic session.started before create answers, so a client
# that reads events right after create finds it (eventCount counts it), a
# turn stream opened at once carries only what follows the message, and a
# later resumed pipeline stores no second session.started (issue 12, item 1).

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

@test "order: GET /events?offset=0 right after create holds session.started, 20 creates out of 20" {
  serve_start --no-token
  for i in $(seq 1 20); do
    api POST "/v1/sessions/o$i" '{"agent":"mock"}'
    [ "$code" = 200 ]
    api GET "/v1/sessions/o$i/events?offset=0"
    jq -e '.events[0].type == "session.started" and .events[0].sequence == 1' <<<"$body" ||
      { echo "create $i: $body"; false; }
  done
}

@test "order: eventCount is 1 right after create" {
  serve_start --no-token
  api POST /v1/sessions/o1 '{"agent":"mock"}'
  api GET /v1/sessions/o1
  [ "$(jq .eventCount <<<"$body")" = 1 ]
}

@test "order: the stored session.started carries the create's metadata and the mock's native id" {
  serve_start --no-token
  api POST /v1/sessions/o1 '{"agent":"mock","permissionMode":"plan","model":"mock"}'
  api GET "/v1/sessions/o1/events?offset=0"
  jq -e '.events[0] | .synthetic and .source == "daemon" and .native_session_id == "mock-o1"
         and .data.metadata == {"agent":"mock","agentMode":"build","permissionMode":"plan","model":"mock","variant":null,"sandbox":"bwrap"}' <<<"$body"
}

@test "order: a turn stream opened right after create has no session.started, only the turn" {
  serve_start --no-token
  api POST /v1/sessions/o1 '{"agent":"mock"}'
  curl -s -N --max-time 20 -X POST -H 'Content-Type: application/json' -d '{"message":"hello"}' \
    "$URL/v1/sessions/o1/messages/stream" >"$T/turn.sse"
  grep '^data: ' "$T/turn.sse" | sed 's/^data: //' | jq -s -e 'length > 0 and (map(.type) | index("session.started") == null)
        and .[0].type == "turn.started" and .[-1].type == "turn.ended"'
}

@test "order: one session.started in all, after the first turn too" {
  serve_start --no-token
  api POST /v1/sessions/o1 '{"agent":"mock"}'
  api POST /v1/sessions/o1/messages '{"message":"hello"}'
  wait_event o1 '.type == "turn.ended"'
  events o1 | jq -s -e '[.[] | select(.type == "session.started")] | length == 1'
  events o1 | jq -s -e '[.[].sequence] == [range(1; length + 1)]'
}

@test "order: a restarted server's resumed session stores no second session.started" {
  export SA_SERVE_DB=$T/keep.db
  serve_start --no-token
  api POST /v1/sessions/o1 '{"agent":"mock"}'
  api POST /v1/sessions/o1/messages '{"message":"one"}'
  wait_event o1 '.type == "turn.ended"'
  serve_teardown
  serve_start --no-token
  api POST /v1/sessions/o1/messages '{"message":"two"}'
  wait_event o1 '.type == "item.completed" and .data.item.role == "assistant" and (.data.item.content[0].text // "" | contains("two"))'
  events o1 | jq -s -e '[.[] | select(.type == "session.started")] | length == 1'
}

@test "a failed start is stored: error and session.ended (reason error, stderr's tail), served like any event" {
  mkdir -p "$T/agents" "$T/bin"
  cp "$SA_AGENTS_DIR"/*.json "$SA_AGENTS_DIR"/*.jq "$T/agents/"
  jq '.id = "crashy" | .name = "crashy" | .bin = "crashy-agent" | .beside_self = false' "$SA_AGENTS_DIR/mock.json" >"$T/agents/crashy.json"
  cp "$SA_AGENTS_DIR/mock.jq" "$T/agents/crashy.jq"
  printf '#!/bin/sh\necho "boom: cannot reach the model" >&2\nexit 1\n' >"$T/bin/crashy-agent"
  chmod +x "$T/bin/crashy-agent"
  PATH="$T/bin:$PATH" serve_start --no-token --agents-dir "$T/agents"
  api POST /v1/sessions/c1 '{"agent":"crashy"}'
  [ "$code" = 200 ]
  wait_event c1 '.type == "session.ended"'
  events c1 | jq -s -e 'map(.type) | index("error") != null and .[0] == "session.started"'
  events c1 | jq -s -e 'map(select(.type == "session.ended"))[0].data
        | .reason == "error" and .exit_code == 1 and (.stderr | tostring | contains("boom: cannot reach the model"))'
  api GET /v1/sessions/c1
  jq -e '.ended == true' <<<"$body"
}

@test "create of an agent whose executable is nowhere is a 404 agent_not_installed, nothing stored" {
  mkdir -p "$T/agents"
  cp "$SA_AGENTS_DIR"/*.json "$SA_AGENTS_DIR"/*.jq "$T/agents/"
  jq '.id = "ghost" | .name = "ghost" | .bin = "no-such-agent-binary" | .beside_self = false' "$SA_AGENTS_DIR/mock.json" >"$T/agents/ghost.json"
  cp "$SA_AGENTS_DIR/mock.jq" "$T/agents/ghost.jq"
  mkdir -p "$T/empty-cache"
  SA_AGENT_CACHE="$T/empty-cache" serve_start --no-token --agents-dir "$T/agents"
  api POST /v1/sessions/g1 '{"agent":"ghost"}'
  [ "$code" = 404 ]
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:agent_not_installed" ]
  api GET /v1/sessions/g1
  [ "$code" = 404 ]
}
