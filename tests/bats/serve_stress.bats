#!/usr/bin/env bats
# sa-serve under load and across restarts: 200 concurrent SSE clients, a
# slow reader through a 100,000-event burst (contiguous sequences, bounded
# server memory), kill -9 and restart on the same db (sessions listed,
# sequences continue, old pipelines gone, a message primes a fresh agent),
# and SIGTERM shutdown (exit 0, no session process left).

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; SSE="python3 $BATS_TEST_DIRNAME/serve_sse.py"; }
teardown() { serve_teardown; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

@test "200 concurrent SSE clients all receive the whole turn" {
  serve_start --no-token
  api POST /v1/sessions/c1 '{"agent":"mock"}'
  wait_event c1 '.type == "session.started"'
  run --separate-stderr $SSE "$PORT" "/v1/sessions/c1/events/sse?offset=1" --clients 200 --until turn.ended \
    --post /v1/sessions/c1/messages --post-data '{"message":"burst 50"}' --timeout 60
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"streams=200 "* ]]
  n=$(events c1 | wc -l)
  [[ "$stderr" == *"events=$((200 * (n - 1)))"* ]]
}

@test "a slow reader through a 100,000-event burst still gets every event, in order" {
  serve_start --no-token --client-buffer 65536
  api POST /v1/sessions/slow '{"agent":"mock"}'
  wait_event slow '.type == "session.started"'
  # the client stalls 2 s (the server must stop pushing and catch it up from
  # the store later), then reads in small pieces with pauses
  $SSE "$PORT" /v1/sessions/slow/events/sse --until turn.ended --stall 2 --read-size 32768 \
    --slow 0.0005 --timeout 100 \
    --post /v1/sessions/slow/messages --post-data '{"message":"burst 100000"}' >"$T/got" 2>"$T/err" &
  cpid=$!
  peak=0
  while kill -0 "$cpid" 2>/dev/null; do
    r=$(rss_kb "$SPID"); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.2
  done
  wait "$cpid"
  n=$(wc -l <"$T/got")
  [ "$n" -gt 100000 ]
  # sequences 1..n contiguous, ids equal sequences
  awk '$1 != $2 || $2 != NR { bad = 1 } END { exit bad }' "$T/got"
  [ "$(tail -1 "$T/got" | cut -d' ' -f3)" = turn.ended ]
  echo "peak server RSS ${peak} kB" >&3
  [ "$peak" -lt 200000 ]
}

@test "kill -9 and restart: sessions listed, old pipelines gone, sequences continue, a message primes" {
  export SA_SERVE_DB=$T/keep.db
  serve_start --no-token
  api POST /v1/sessions/k1 '{"agent":"mock"}'
  api POST /v1/sessions/k1/messages '{"message":"echo before"}'
  wait_event k1 '.type == "turn.ended"'
  api POST /v1/sessions/k1/messages '{"message":"burst 20000"}'
  wait_event k1 '.type == "item.delta"'
  before=$(events k1 | wc -l)
  [ -n "$(session_pids k1)" ]
  kill -9 "$SPID"
  wait "$SPID" 2>/dev/null || true
  wait_gone session_pids k1
  serve_start --no-token
  api GET /v1/sessions
  [ "$(jq -c '[.sessions[].sessionId]' <<<"$body")" = '["k1"]' ]
  events k1 >"$T/ev1"
  n1=$(wc -l <"$T/ev1")
  [ "$n1" -ge "$before" ]
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/ev1"
  api POST /v1/sessions/k1/messages '{"message":"echo after"}'
  [ "$code" = 204 ]
  wait_event k1 '.type == "item.completed" and .data.item.content[0].text == "after" and .data.item.role == "assistant"'
  events k1 >"$T/ev2"
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/ev2"
  [ "$(jq -s '[.[] | select(.type == "session.started")] | length' "$T/ev2")" = 1 ]
  # item ids go on from the highest one stored (no reuse)
  jq -s -e '[.[] | select(.type == "item.started") | .data.item.item_id] | (unique | length) == length' "$T/ev2"
  # sa-spawn was primed with the history (sa-replay text in the state dir while it ran)
  for p in $(session_pids k1); do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done >"$T/cmd"
  grep -q -- 'sa-spawn .*--prime ' "$T/cmd"
  grep -q -- 'sa-normalize .*--no-session-started --item-start [0-9]* --native-session-id mock-k1' "$T/cmd"
}

@test "SIGTERM: streams end, pipelines stop, exit 0, nothing stored about it" {
  serve_start --no-token
  api POST /v1/sessions/g1 '{"agent":"mock"}'
  api POST /v1/sessions/g1/messages '{"message":"sleep 5000"}'
  wait_event g1 '.type == "item.completed" and .data.item.role == "user"'
  $SSE "$PORT" /v1/sessions/g1/events/sse --timeout 20 >"$T/sse" 2>&1 &
  cpid=$!
  sleep 0.3
  kill -TERM "$SPID"
  st=0
  wait "$SPID" || st=$?
  [ "$st" -eq 0 ]
  wait "$cpid" || true                      # the stream was ended by the server
  wait_gone session_pids g1
  serve_start --no-token
  [ "$(events g1 | jq -s '[.[] | select(.type == "session.ended")] | length')" = 0 ]
}

@test "restart resolves a request left pending without any request touching its session (read in the background)" {
  export SA_SERVE_DB=$T/hitl.db
  serve_start --no-token
  api POST /v1/sessions/h1 '{"agent":"mock"}'
  api POST /v1/sessions/h1/messages '{"message":"permission"}'
  wait_event h1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  kill -9 "$SPID"
  wait "$SPID" 2>/dev/null || true
  wait_gone session_pids h1
  serve_start --no-token
  # only the store is read from here on, never sa-serve's API
  for _ in $(seq 100); do
    [ "$(sa-replay --db "$T/hitl.db" --session h1 | jq -s '[.[] | select(.type == "permission.resolved")] | length')" = 2 ] && break
    sleep 0.1
  done
  [ "$(sa-replay --db "$T/hitl.db" --session h1 | jq -s '[.[] | select(.type == "permission.resolved")] | length')" = 2 ]
}

@test "restart resolves requests left pending by the gone agent as rejected" {
  export SA_SERVE_DB=$T/hitl.db
  serve_start --no-token
  api POST /v1/sessions/h1 '{"agent":"mock"}'
  api POST /v1/sessions/h1/messages '{"message":"permission"}'
  wait_event h1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  api POST /v1/sessions/h2 '{"agent":"mock"}'
  api POST /v1/sessions/h2/messages '{"message":"question"}'
  wait_event h2 '.type == "question.requested" and .data.question_id == "mock_1_question_reject"'
  kill -9 "$SPID"
  wait "$SPID" 2>/dev/null || true
  wait_gone session_pids h1
  wait_gone session_pids h2
  serve_start --no-token
  events h1 >"$T/e1"
  [ "$(jq -s -c '[.[] | select(.type == "permission.resolved") | [.data.permission_id, .data.status, .synthetic, .data.action]]' "$T/e1")" = \
    '[["mock_1_permission","reject",true,"command_execution"],["mock_1_permission_denied","reject",true,"file_change"]]' ]
  events h2 >"$T/e2"
  [ "$(jq -s -c '[.[] | select(.type == "question.resolved") | [.data.question_id, .data.status, .data.response, .data.prompt]]' "$T/e2")" = \
    '[["mock_1_question","rejected",null,"Choose a color"],["mock_1_question_reject","rejected",null,"Reject this question?"]]' ]
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/e1"
  sa-events-check --sequential --session h1 <"$T/e1"
  # nothing is pending any more: a late reply is an unknown id
  api POST /v1/sessions/h1/permissions/mock_1_permission/reply '{"reply":"once"}'
  [ "$code" = 400 ]
  [ "$(jq -r .type <<<"$body")" = urn:sandbox-agent:error:invalid_request ]
  # and a second restart adds nothing
  serve_stop
  serve_start --no-token
  [ "$(events h1 | wc -l)" = "$(wc -l <"$T/e1")" ]
}
