#!/usr/bin/env bats
# sa-serve with the mock agent end to end: messages, SSE frames with id
# lines, messages/stream ending at turn-terminal events, HITL replies
# (unknown ids, always), SSE reconnect with Last-Event-ID, terminate while
# busy (fast, exactly one session.ended, no process left), 413 bodies,
# DELETE (processes gone first, events and state removed, the id reusable).

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; SSE="python3 $BATS_TEST_DIRNAME/serve_sse.py"; }
teardown() { serve_teardown; }

@test "mock session: create, message, SSE with id lines, raw only with include_raw" {
  serve_start --no-token
  api POST /v1/sessions/m1 '{"agent":"mock"}'
  [ "$code" = 200 ]
  api POST /v1/sessions/m1/messages '{"message":"echo hello there"}'
  [ "$code" = 204 ]
  wait_event m1 '.type == "turn.ended"'
  events m1 >"$T/ev"
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/ev"
  jq -s -e '.[0].type == "session.started" and .[0].data.metadata.agent == "mock"' "$T/ev"
  jq -s -e 'any(.[]; .type == "item.completed" and .data.item.role == "assistant"
                and .data.item.content[0].text == "hello there")' "$T/ev"
  curl -s -N --max-time 2 "$URL/v1/sessions/m1/events/sse?offset=2" >"$T/sse" || true
  grep -q '^id: 3$' "$T/sse"
  ! grep -q '^id: 2$' "$T/sse"
  [ "$(grep -c '^data: ' "$T/sse")" = "$(( $(wc -l <"$T/ev") - 2 ))" ]
  grep '^data: ' "$T/sse" | sed 's/^data: //' | jq -s -e 'all(.[]; .raw == null)'
  curl -s -N --max-time 2 "$URL/v1/sessions/m1/events/sse?include_raw=true" >"$T/sse2" || true
  grep '^data: ' "$T/sse2" | sed 's/^data: //' | jq -s -e 'any(.[]; .raw != null)'
  h=$(curl -s -N --max-time 1 -D - -o /dev/null "$URL/v1/sessions/m1/events/sse" | tr -d '\r' || true)
  grep -qi '^content-type: text/event-stream' <<<"$h"
  grep -qi '^cache-control: no-cache' <<<"$h"
  grep -qi '^x-accel-buffering: no' <<<"$h"
}

@test "messages/stream delivers only the new turn and ends at turn.ended / permission.requested" {
  serve_start --no-token
  api POST /v1/sessions/m2 '{"agent":"mock"}'
  api POST /v1/sessions/m2/messages '{"message":"echo one"}'
  wait_event m2 '.type == "turn.ended"'
  last=$(events m2 | tail -1 | jq .sequence)
  run --separate-stderr $SSE "$PORT" /v1/sessions/m2/messages/stream --method POST --data '{"message":"echo two"}' --timeout 20
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | cut -d' ' -f2)" = $((last + 1)) ]
  [[ "${lines[${#lines[@]} - 1]}" == *" turn.ended" ]]
  [[ "$output" == *"item.completed"* ]]
  run --separate-stderr $SSE "$PORT" /v1/sessions/m2/messages/stream --method POST --data '{"message":"permission"}' --timeout 20
  [ "$status" -eq 0 ]
  [[ "${lines[${#lines[@]} - 1]}" == *" permission.requested" ]]
}

@test "permission replies: unknown id 400, once/reject resolve, always is accept_for_session" {
  serve_start --no-token
  api POST /v1/sessions/h1 '{"agent":"mock"}'
  api POST /v1/sessions/h1/permissions/nope/reply '{"reply":"once"}'
  [ "$code" = 400 ] && [ "$(jq -r .detail <<<"$body")" = "invalid request: unknown permission id: nope" ]
  api POST /v1/sessions/h1/messages '{"message":"permission"}'
  wait_event h1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  api POST /v1/sessions/h1/permissions/mock_1_permission/reply '{"reply":"sometimes"}'
  [ "$code" = 422 ]
  api POST /v1/sessions/h1/permissions/mock_1_permission/reply '{"reply":"always"}'
  [ "$code" = 204 ]
  api POST /v1/sessions/h1/permissions/mock_1_permission/reply '{"reply":"once"}'
  [ "$code" = 400 ]     # no longer pending
  api POST /v1/sessions/h1/permissions/mock_1_permission_denied/reply '{"reply":"reject"}'
  [ "$code" = 204 ]
  wait_event h1 '.type == "turn.ended"'
  events h1 >"$T/ev"
  jq -s -e 'any(.[]; .type == "permission.resolved" and .data.permission_id == "mock_1_permission"
                and .data.status == "accept_for_session")' "$T/ev"
  jq -s -e 'any(.[]; .type == "permission.resolved" and .data.permission_id == "mock_1_permission_denied"
                and .data.status == "reject")' "$T/ev"
  # always: the next matching request is answered by sa-spawn itself
  api POST /v1/sessions/h1/messages '{"message":"permission"}'
  wait_event h1 '.type == "permission.resolved" and .data.permission_id == "mock_2_permission"'
  events h1 | jq -s -e 'any(.[]; .type == "permission.resolved" and .data.permission_id == "mock_2_permission"
                and .data.status == "accept_for_session")'
}

@test "question replies: reply and reject through the API, unknown id 400, 422 on bad answers" {
  serve_start --no-token
  api POST /v1/sessions/q1 '{"agent":"mock"}'
  api POST /v1/sessions/q1/messages '{"message":"question"}'
  wait_event q1 '.type == "question.requested" and .data.question_id == "mock_1_question_reject"'
  api POST /v1/sessions/q1/questions/nope/reply '{"answers":[["Red"]]}'
  [ "$code" = 400 ] && [ "$(jq -r .detail <<<"$body")" = "invalid request: unknown question id: nope" ]
  api POST /v1/sessions/q1/questions/mock_1_question/reply '{"answers":"Red"}'
  [ "$code" = 422 ] && [ "$(jq -r .type <<<"$body")" = urn:sandbox-agent:error:invalid_request ]
  api POST /v1/sessions/q1/questions/mock_1_question/reply '{"answers":[["Red"]]}'
  [ "$code" = 204 ]
  api POST /v1/sessions/q1/questions/mock_1_question_reject/reject
  [ "$code" = 204 ]
  wait_event q1 '.type == "turn.ended"'
  events q1 >"$T/ev"
  jq -s -e 'any(.[]; .type == "question.resolved" and .data.question_id == "mock_1_question"
                and .data.status == "answered" and .data.response == "Red")' "$T/ev"
  jq -s -e 'any(.[]; .type == "question.resolved" and .data.question_id == "mock_1_question_reject"
                and .data.status == "rejected")' "$T/ev"
}

@test "SSE reconnect with Last-Event-ID (and offset: the larger wins) loses nothing" {
  serve_start --no-token
  api POST /v1/sessions/r1 '{"agent":"mock"}'
  api POST /v1/sessions/r1/messages '{"message":"burst 300"}'
  run --separate-stderr $SSE "$PORT" /v1/sessions/r1/events/sse --count 100 --timeout 20
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[99]}" | cut -d' ' -f1)" = 100 ]
  wait_event r1 '.type == "turn.ended"'
  total=$(events r1 | wc -l)
  run --separate-stderr $SSE "$PORT" "/v1/sessions/r1/events/sse?offset=20" --last-event-id 100 --count $((total - 100)) --timeout 20
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | cut -d' ' -f2)" = 101 ]
  [ "$(echo "$output" | cut -d' ' -f2 | tr '\n' ' ')" = "$(seq 101 "$total" | tr '\n' ' ')" ]
  run --separate-stderr $SSE "$PORT" "/v1/sessions/r1/events/sse?offset=250" --last-event-id 7 --count 1 --timeout 20
  [ "$(echo "${lines[0]}" | cut -d' ' -f2)" = 251 ]
}

@test "terminate while busy: 204 at once, one session.ended, no process left, later messages 400" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api POST /v1/sessions/t1/messages '{"message":"sleep 5000"}'
  wait_event t1 '.type == "item.completed" and .data.item.role == "user"'
  pids=$(session_pids t1)
  [ -n "$pids" ]
  pgid=$(ps -o pgid= -p "$(echo "$pids" | head -1)" | tr -d ' ')
  # answers within the 1 s bound even though the agent is busy
  api POST /v1/sessions/t1/terminate "" --max-time 1
  [ "$code" = 204 ]
  # ended at once from the API's point of view, before the pipeline has stopped
  api GET /v1/sessions/t1
  [ "$(jq .ended <<<"$body")" = true ]
  api POST /v1/sessions/t1/messages '{"message":"hi"}'
  [ "$code" = 400 ]
  [ "$(jq -r .detail <<<"$body")" = "invalid request: session terminated" ]
  wait_event t1 '.type == "session.ended"'
  wait_gone session_pids t1
  wait_gone group_pids "$pgid"
  sleep 0.3
  [ "$(events t1 | jq -s '[.[] | select(.type == "session.ended")] | length')" = 1 ]
  events t1 | jq -s -e '[.[] | select(.type == "session.ended")][0].data == {"reason":"terminated","terminated_by":"daemon"}'
  api POST /v1/sessions/t1/terminate
  [ "$code" = 204 ]
  [ "$(events t1 | jq -s '[.[] | select(.type == "session.ended")] | length')" = 1 ]
  api GET /v1/sessions/t1
  [ "$(jq .ended <<<"$body")" = true ]
}

@test "oversized message bodies are refused with 413 and nothing is sent" {
  serve_start --no-token --max-body 1024
  api POST /v1/sessions/b1 '{"agent":"mock"}'
  wait_event b1 '.type == "session.started"'
  big=$(head -c 5000 /dev/zero | tr '\0' a)
  api POST /v1/sessions/b1/messages "{\"message\":\"$big\"}"
  [ "$code" = 413 ]
  sleep 0.2
  [ "$(events b1 | wc -l)" = 1 ]
}

@test "DELETE of a busy session answers 204 only after its processes are gone" {
  serve_start --no-token
  api POST /v1/sessions/d1 '{"agent":"mock"}'
  api POST /v1/sessions/d1/messages '{"message":"sleep 5000"}'
  wait_event d1 '.type == "item.completed" and .data.item.role == "user"'
  pids=$(session_pids d1)
  [ -n "$pids" ]
  api DELETE /v1/sessions/d1 "" --max-time 10
  [ "$code" = 204 ]
  [ -z "$(session_pids d1)" ]
}

@test "a deleted session is unknown: GET and events are 404, the list leaves it out" {
  serve_start --no-token
  api POST /v1/sessions/d2 '{"agent":"mock"}'
  api POST /v1/sessions/keep '{"agent":"mock"}'
  api POST /v1/sessions/d2/messages '{"message":"echo hi"}'
  wait_event d2 '.type == "turn.ended"'
  api DELETE /v1/sessions/d2
  [ "$code" = 204 ]
  api GET /v1/sessions/d2
  problem_is 404 session_not_found
  api GET /v1/sessions/d2/events
  problem_is 404 session_not_found
  api GET /v1/sessions
  [ "$(jq -c '[.sessions[].sessionId]' <<<"$body")" = '["keep"]' ]
}

@test "a deleted id can be created again; its events start at sequence 1" {
  serve_start --no-token
  api POST /v1/sessions/d3 '{"agent":"mock"}'
  api POST /v1/sessions/d3/messages '{"message":"echo one"}'
  wait_event d3 '.type == "turn.ended"'
  api DELETE /v1/sessions/d3
  [ "$code" = 204 ]
  api POST /v1/sessions/d3 '{"agent":"mock"}'
  [ "$code" = 200 ]
  wait_event d3 '.type == "session.started"'
  events d3 | jq -s -e '.[0].sequence == 1 and ([.[] | select(.type == "session.started")] | length) == 1
                        and all(.[]; .type != "turn.ended")'
}

@test "DELETE ends the open SSE streams of the session" {
  serve_start --no-token
  api POST /v1/sessions/d4 '{"agent":"mock"}'
  wait_event d4 '.type == "session.started"'
  curl -s -N --max-time 20 "$URL/v1/sessions/d4/events/sse" >"$T/sse" &
  cpid=$!
  sleep 0.5
  api DELETE /v1/sessions/d4
  [ "$code" = 204 ]
  for _ in $(seq 100); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.05; done
  ! kill -0 "$cpid" 2>/dev/null
  wait "$cpid"
}

@test "DELETE of a terminated session (no pipeline left) is 204" {
  serve_start --no-token
  api POST /v1/sessions/d5 '{"agent":"mock"}'
  api POST /v1/sessions/d5/terminate
  wait_event d5 '.type == "session.ended"'
  wait_gone session_pids d5
  api DELETE /v1/sessions/d5
  [ "$code" = 204 ]
  api GET /v1/sessions/d5
  problem_is 404 session_not_found
}

@test "a deleted session stays deleted when sa-serve restarts on the same database" {
  serve_start --no-token
  api POST /v1/sessions/d6 '{"agent":"mock"}'
  wait_event d6 '.type == "session.started"'
  api DELETE /v1/sessions/d6
  [ "$code" = 204 ]
  serve_stop
  serve_start --no-token
  api GET /v1/sessions/d6
  problem_is 404 session_not_found
  [ "$(sqlite3 "$T/sa.db" "SELECT count(*) FROM events WHERE session_id='d6'")" = 0 ]
}
