#!/usr/bin/env bats
# serve_park.bats — idle agents parked (sa-serve --idle-park) and resumed by
# the next message, with the mock agent (fast): its processes go, the
# session stays open and says so (SessionInfo.parked, the agent.parked
# status item), the next message resumes it (agent.resumed with its resume
# time), what keeps a session from parking, terminate and restart of a
# parked session, and the option's errors.  A real agent (claude) parks and
# resumes with its context in serve_park_claude.bats.

bats_require_minimum_version 1.5.0
load serve_helpers

teardown() { serve_teardown; }

# wait_parked SESSION — until GET /v1/sessions/SESSION says parked (bounded, 10 s).
wait_parked() {
  local i=0
  while [ "$(curl -s --max-time 5 "$URL/v1/sessions/$1" | jq -r .parked)" != true ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || { echo "$1 never parked" >&2; return 1; }
    sleep 0.05
  done
}

# status_items SESSION LABEL — the json parts of the session's stored
# item.completed status items with that label, one line each.
status_items() {
  events "$1" | jq -c --arg l "$2" 'select(.type == "item.completed" and .data.item.kind == "status")
    | select(.data.item.content[0].label == $l) | .data.item.content[1].json'
}

# stream_turn MESSAGE SECONDS - POST messages/stream to p1 (curl bounded by
# SECONDS, exit 0 required); its data frames' events into $T/turn.jsonl
stream_turn() {
  run curl -sN --max-time "$2" -X POST -H 'Content-Type: application/json' \
    --data "{\"message\":\"$1\"}" "$URL/v1/sessions/p1/messages/stream"
  [ "$status" -eq 0 ]
  grep '^data: ' <<<"$output" | sed 's/^data: //' >"$T/turn.jsonl"
}

# a mock session that had one turn and is parked
parked_session() {
  serve_start --no-token --idle-park 1 "$@"
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  [ "$code" = 200 ]
  api POST /v1/sessions/p1/messages '{"message":"echo before-park"}'
  [ "$code" = 204 ]
  wait_event p1 '.type == "turn.ended"'
  wait_parked p1
}

@test "park: an idle mock session's processes are gone after --idle-park 1" {
  serve_start --no-token --idle-park 1
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  curl -s "$URL/metrics" | grep -qx 'sa_stage_processes{stage="spawn"} 1'    # running
  api POST /v1/sessions/p1/messages '{"message":"echo hello"}'
  wait_event p1 '.type == "turn.ended"'
  wait_parked p1
  # no process with --session p1 (sa-spawn, sa-normalize, sa-store, the mock) is left
  wait_gone session_pids p1
  curl -s "$URL/metrics" | grep -qx 'sa_stage_processes{stage="spawn"} 0'
}

@test "park: a parked session is open and shows parked:true in GET /v1/sessions/{id} and /v1/sessions" {
  parked_session
  api GET /v1/sessions/p1
  jq -e '.parked == true and .ended == false' <<<"$body"
  api GET /v1/sessions
  jq -e '.sessions[] | select(.sessionId == "p1") | .parked == true' <<<"$body"
}

@test "park: a running session shows parked:false" {
  serve_start --no-token --idle-park 300
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  api GET /v1/sessions/p1
  jq -e '.parked == false and .ended == false' <<<"$body"
}

@test "park: parking stores one agent.parked status item with the idle time, and no session.ended" {
  parked_session
  run status_items p1 agent.parked
  [ "${#lines[@]}" -eq 1 ]
  jq -e '.idle_ms >= 1000' <<<"${lines[0]}"
  [ "$(events p1 | jq -s '[.[] | select(.type == "session.ended")] | length')" = 0 ]
  run sa-events-check --sequential --session p1 <(events p1)
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "park: a session created and never used parks too" {
  serve_start --no-token --idle-park 1
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  wait_parked p1
  wait_gone session_pids p1
  [ "$(status_items p1 agent.parked | wc -l)" = 1 ]
}

@test "park: the next message resumes a parked session and its turn completes" {
  parked_session
  api POST /v1/sessions/p1/messages '{"message":"echo after-park"}'
  [ "$code" = 204 ]
  wait_event p1 '.type == "item.completed" and ([.data.item.content[]?.text] | index("after-park"))'
  wait_event p1 '.type == "turn.ended" and .sequence > 10'
  [ "$(events p1 | jq -s '[.[] | select(.type == "turn.ended")] | length')" = 2 ]
}

@test "park: messages/stream to a parked session resumes it and streams its turn to turn.ended" {
  parked_session
  stream_turn "echo streamed" 20
  # agent.resumed may come before turn.started: the mock is ready before its message
  jq -se 'map(.type) | index("turn.started") != null and last == "turn.ended"' "$T/turn.jsonl"
  jq -se 'any(.[]; .data.item.content[]?.text? == "streamed")' "$T/turn.jsonl"
}

@test "park: the resume stores agent.resumed with its resume time in ms" {
  parked_session
  api POST /v1/sessions/p1/messages '{"message":"echo after-park"}'
  wait_event p1 '.type == "turn.ended" and .sequence > 10'
  run status_items p1 agent.resumed
  [ "${#lines[@]}" -eq 1 ]
  jq -e '(.resume_ms | type == "number" and . >= 0) and .how == "primed"' <<<"${lines[0]}"
  # after the parked item, in the resumed turn
  # (it may have parked again since: the first of each)
  events p1 | jq -se '(map(select(.data.item.content[0].label? == "agent.parked")) | .[0].sequence) <
    (map(select(.data.item.content[0].label? == "agent.resumed")) | .[0].sequence)'
  run sa-events-check --sequential --session p1 <(events p1)
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "park: a resumed session parks again when idle" {
  parked_session
  api POST /v1/sessions/p1/messages '{"message":"echo again"}'
  wait_event p1 '.type == "turn.ended" and .sequence > 10'
  local i=0
  while [ "$(status_items p1 agent.parked | wc -l)" -lt 2 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || false
    sleep 0.05
  done
  wait_gone session_pids p1
}

@test "park: a session with a pending permission does not park" {
  serve_start --no-token --idle-park 1
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  api POST /v1/sessions/p1/messages '{"message":"permission"}'
  wait_event p1 '.type == "permission.requested"'
  sleep 2.5
  api GET /v1/sessions/p1
  jq -e '.parked == false' <<<"$body"
  [ -n "$(session_pids p1)" ]
  [ "$(status_items p1 agent.parked | wc -l)" = 0 ]
}

@test "park: --idle-park 0 never parks" {
  serve_start --no-token --idle-park 0
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  api POST /v1/sessions/p1/messages '{"message":"echo hello"}'
  wait_event p1 '.type == "turn.ended"'
  sleep 2.5
  [ -n "$(session_pids p1)" ]
  api GET /v1/sessions/p1
  jq -e '.parked == false' <<<"$body"
}

@test "park: a bad --idle-park value exits 2 with a clear error" {
  for v in abc -1 1.5 99999999999 ''; do
    run sa-serve --port 0 --db "$BATS_TEST_TMPDIR/x.db" --idle-park "$v"
    echo "$v: $output"
    [ "$status" -eq 2 ]
    grep -q -- "--idle-park: not a number of seconds" <<<"$output"
  done
}

@test "park: a parked session that is terminated ends normally" {
  parked_session
  api POST /v1/sessions/p1/terminate
  [ "$code" = 204 ]
  api GET /v1/sessions/p1
  jq -e '.ended == true and .parked == false' <<<"$body"
  wait_event p1 '.type == "session.ended" and .data.reason == "terminated"'
  [ "$(events p1 | jq -s '[.[] | select(.type == "session.ended")] | length')" = 1 ]
  api POST /v1/sessions/p1/messages '{"message":"echo no"}'
  [ "$code" = 400 ]
  [ -z "$(session_pids p1)" ]
}

@test "park: a parked session stays parked across an sa-serve restart and resumes after it" {
  export SA_SERVE_DB="$BATS_TEST_TMPDIR/restart.db"
  parked_session
  serve_stop
  serve_start --no-token --idle-park 1
  api GET /v1/sessions/p1
  jq -e '.parked == true and .ended == false' <<<"$body"
  api POST /v1/sessions/p1/messages '{"message":"echo after-restart"}'
  [ "$code" = 204 ]
  wait_event p1 '.type == "item.completed" and ([.data.item.content[]?.text] | index("after-restart"))'
  [ "$(status_items p1 agent.resumed | wc -l)" = 1 ]
}

@test "park: the OpenAPI document has SessionInfo.parked" {
  serve_start --no-token
  api GET /v1/openapi.json
  jq -e '.components.schemas.SessionInfo.properties.parked.type == "boolean"' <<<"$body"
}

@test "park: a message that comes while the session is parking is held and answered by the resumed agent" {
  # a mock that takes 2 s to go after its input ends, so the park is slow
  mkdir -p "$T/agents" "$T/slowbin"
  cp "$SA_AGENTS_DIR"/* "$T/agents/"
  jq '.bin = "slowmock-agent" | .beside_self = false' "$SA_AGENTS_DIR/mock.json" >"$T/agents/mock.json"
  printf '#!/bin/sh\n%s "$@"\nsleep 2\n' "$(command -v sa-mock-agent)" >"$T/slowbin/slowmock-agent"
  chmod +x "$T/slowbin/slowmock-agent"
  PATH="$T/slowbin:$PATH" serve_start --no-token --idle-park 1 --kill-grace-ms 8000 --sandbox none \
    --agents-dir "$T/agents" --log-level 2
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  api POST /v1/sessions/p1/messages '{"message":"echo before"}'
  wait_event p1 '.type == "turn.ended"'
  local i=0
  until grep -q 'session p1: idle .* parking its agent' "$T/serve.err"; do
    i=$((i + 1)); [ "$i" -lt 200 ] || false
    sleep 0.05
  done
  api GET /v1/sessions/p1
  jq -e '.parked == false' <<<"$body"            # still stopping
  stream_turn "echo held" 30
  jq -se 'map(.type) | last == "turn.ended"' "$T/turn.jsonl"
  jq -se 'any(.[]; .data.item.content[]?.text? == "held")' "$T/turn.jsonl"
  # parked first (the stopping agent), then resumed, then the held message's reply
  events p1 | jq -se '
    (map(select(.data.item.content[0].label? == "agent.parked")) | .[0].sequence) as $p |
    (map(select(.data.item.content[0].label? == "agent.resumed")) | .[0].sequence) as $r |
    (map(select(.type == "item.completed" and (.data.item.content[0].text? == "held"))) | .[0].sequence) as $h |
    $p < $r and $r < $h'
}
