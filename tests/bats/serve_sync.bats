#!/usr/bin/env bats
# A running sa-serve sees what other processes store in its database: a
# session written by a shell pipeline (sa-spawn | sa-normalize | sa-store)
# appears in GET /v1/sessions and GET /v1/sessions/{id}, its events in the
# events API, and events added later reach an open SSE stream.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

# shell_run SESSION MESSAGE — one mock turn through the stages into $T/sa.db.
shell_run() {
  echo "{\"type\":\"message\",\"message\":\"$2\"}" | sa-spawn --agent mock --session "$1" \
    | sa-normalize --agent mock --session "$1" | sa-store --db "$T/sa.db" --session "$1" --agent mock > /dev/null
}

@test "a session stored by a shell pipeline shows in GET /v1/sessions of the running server" {
  serve_start --no-token
  shell_run sh1 'echo hi'
  api GET /v1/sessions
  [ "$(jq -c '[.sessions[].sessionId]' <<<"$body")" = '["sh1"]' ]
}

@test "GET /v1/sessions/{id} of a session stored by another process answers 200, not 404" {
  serve_start --no-token
  shell_run sh2 'echo hi'
  api GET /v1/sessions/sh2
  [ "$code" = 200 ]
  jq -e '.agent == "mock" and .eventCount > 0' <<<"$body"
}

@test "the events of a session stored by another process are served" {
  serve_start --no-token
  shell_run sh3 'echo hello there'
  api GET /v1/sessions/sh3/events
  jq -e 'any(.events[]; .type == "item.completed" and .data.item.content[0].text == "hello there")' <<<"$body"
}

@test "events another process adds later reach an open SSE stream" {
  serve_start --no-token
  shell_run sh4 'echo first'
  n=$(curl -s "$URL/v1/sessions/sh4" | jq .eventCount)
  curl -s -N --max-time 8 "$URL/v1/sessions/sh4/events/sse?offset=$n" > "$T/sse" &
  cpid=$!
  sleep 0.5
  shell_run sh4 'echo second'
  for _ in $(seq 100); do grep -q '"text":"second"' "$T/sse" && break; sleep 0.05; done
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" || true
  grep -q '"text":"second"' "$T/sse"
  grep -q "^id: $((n + 1))\$" "$T/sse"
}

@test "a session created elsewhere is 409 on create and listed, the same answer both ways" {
  serve_start --no-token
  shell_run sh5 'echo hi'
  api POST /v1/sessions/sh5 '{"agent":"mock"}'
  problem_is 409 session_already_exists
  api GET /v1/sessions/sh5
  [ "$code" = 200 ]
}
