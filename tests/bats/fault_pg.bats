#!/usr/bin/env bats
# fault_pg.bats — sa-serve on PostgreSQL while the database does not answer
# (issue 12 item 3): the test's own server (tests/pg/pg_start.sh) is paused
# with SIGSTOP for 5 s, all of it (postmaster and every backend) or only the
# backend of sa-serve's own connection.  What sa-serve promises (sa-serve(1),
# "When the store fails"), one test each:
#   - whole server paused: /v1/health and GET /v1/sessions answer, and an
#     SSE stream that is caught up keeps getting its heartbeats;
#   - a read that needs the database (/events) answers 503 stream_error with
#     Retry-After after at most --store-timeout, not when the database is back
#     (an SSE stream that must catch up stays open with a comment saying so);
#   - sa-serve's own connection stuck: another session's live SSE client gets
#     a whole burst while it lasts (that session's sa-store has its own
#     connection; sa-serve drops its stuck one after --store-timeout and
#     makes a new one without waiting);
#   - after the pause nothing is lost: a burst that ran through it is stored
#     whole, and SSE streams opened before and during it get every event
#     once, in order;
#   - a stored session first used during the pause has its usage totals
#     read once the database answers (the failed read is tried again).
# Every process the test stops gets SIGCONT in teardown, whatever happened.

bats_require_minimum_version 1.5.0
load serve_helpers
load ../pg/pg_helpers

setup_file() { pg_setup_file; }
teardown_file() { pg_teardown_file; }

setup() {
  T=$BATS_TEST_TMPDIR
  SSE="python3 $BATS_TEST_DIRNAME/serve_sse.py"
  CPIDS=()
  : >"$T/stopped"
  pg_newdb
}
teardown() {
  resume_pg
  local p
  for p in "${CPIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done || true
  serve_teardown
}

# pg_pids — the postmaster of $PGDIR and its children
pg_pids() {
  local pm
  pm=$(head -1 "$PGDIR/data/postmaster.pid")
  echo "$pm"
  pgrep -P "$pm"
}
# pause PID... — SIGSTOP them (remembered for resume_pg)
pause() {
  local p
  for p in "$@"; do echo "$p" >>"$T/stopped"; kill -STOP "$p"; done
}
resume_pg() {
  local p
  for p in $(cat "$T/stopped" 2>/dev/null); do kill -CONT "$p" 2>/dev/null || true; done
  : >"$T/stopped"
}
# serve_pg — sa-serve on $DB with a 1 s store timeout and 250 ms heartbeats
serve_pg() { SA_SERVE_DB=$DB serve_start --no-token --store-timeout 1000 --heartbeat-ms 250 "$@"; }

# echo_session NAME — a mock session with one answered turn
echo_session() {
  api POST "/v1/sessions/$1" '{"agent":"mock"}'
  [ "$code" = 200 ]
  api POST "/v1/sessions/$1/messages" '{"message":"echo hi"}'
  [ "$code" = 204 ]
  wait_event "$1" '.type == "turn.ended"'
}

pings() { grep -c '^: ping' "$1" || true; }

@test "PostgreSQL paused 5 s: /v1/health and GET /v1/sessions answer and a caught-up SSE stream keeps getting heartbeats" {
  serve_pg
  echo_session b
  last=$(events b | tail -1 | jq .sequence)
  curl -s -N --max-time 30 "$URL/v1/sessions/b/events/sse?offset=$last" >"$T/sse" &
  CPIDS+=($!)
  i=0; until grep -q '^: ping' "$T/sse"; do i=$((i + 1)); [ "$i" -lt 100 ]; sleep 0.05; done
  pause $(pg_pids)
  p0=$(pings "$T/sse")
  for k in 1 2 3 4; do
    run curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$URL/v1/health"
    [ "$output" = 200 ] || { echo "health during the pause: '$output' (curl $status)"; return 1; }
    sleep 1
  done
  api GET /v1/sessions
  [ "$code" = 200 ]
  jq -e '.sessions | any(.[]; .sessionId == "b")' <<<"$body"
  p1=$(pings "$T/sse")
  echo "# heartbeats during 4 s of pause: $((p1 - p0))" >&3
  [ $((p1 - p0)) -ge 4 ]
  resume_pg
}

@test "PostgreSQL paused: a read that needs it (/events) answers 503 stream_error with Retry-After, and all events once it is back" {
  serve_pg
  echo_session a
  n=$(events a | wc -l)
  serve_stop
  serve_pg                                   # a new server: its ring of recent events is empty
  pause $(pg_pids)
  sleep 0.5
  code=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' --max-time 5 "$URL/v1/sessions/a/events?offset=0") || true
  body=$(cat "$T/body")
  problem_is 503 stream_error
  jq -e '.detail | test("did not answer within 1000 ms")' <<<"$body"
  grep -qi '^Retry-After: 1' "$T/headers"
  # an SSE stream that must catch up stays open and says why it is quiet
  curl -s -N --max-time 2 "$URL/v1/sessions/a/events/sse?offset=0" >"$T/sse" || true
  grep -q '^: catching up: the store does not answer$' "$T/sse"
  ! grep -q '^id:' "$T/sse"
  resume_pg
  i=0
  until [ "$(curl -s -o "$T/body" -w '%{http_code}' --max-time 5 "$URL/v1/sessions/a/events?offset=0")" = 200 ]; do
    i=$((i + 1)); [ "$i" -lt 100 ] || { echo "still no events 10 s after the pause: $(cat "$T/body")"; return 1; }
    sleep 0.1
  done
  [ "$(jq '.events | length' "$T/body")" = "$n" ]
}

@test "sa-serve's own PostgreSQL connection stuck 5 s: another session's live SSE client gets a whole burst meanwhile" {
  serve_pg
  echo_session b
  last=$(events b | tail -1 | jq .sequence)
  $SSE "$PORT" "/v1/sessions/b/events/sse?offset=$last" --until turn.ended --timeout 60 >"$T/got" 2>"$T/got.err" &
  cpid=$!; CPIDS+=($cpid)
  sleep 0.3
  mine=$(pgq "select pid from pg_stat_activity where application_name = 'sa-serve'")
  [ -n "$mine" ]
  pause $mine
  api POST /v1/sessions/b/messages '{"message":"burst 3000"}'
  [ "$code" = 204 ]
  # the whole burst arrives while sa-serve's old connection is still stopped
  wait "$cpid"
  [ -s "$T/stopped" ]
  kill -0 $mine
  resume_pg
  events b | jq -r --argjson l "$last" 'select(.sequence > $l) | "\(.sequence) \(.sequence) \(.type)"' >"$T/want"
  cmp "$T/got" "$T/want"
}

@test "after 5 s of PostgreSQL paused nothing is lost: a burst through it is stored whole, SSE streams opened before and during it get every event once, in order" {
  serve_pg
  api POST /v1/sessions/a '{"agent":"mock"}'
  [ "$code" = 200 ]
  $SSE "$PORT" /v1/sessions/a/events/sse --until turn.ended --timeout 90 >"$T/before" 2>"$T/before.err" &
  CPIDS+=($!)
  sleep 0.3
  api POST /v1/sessions/a/messages '{"message":"burst 20000"}'
  [ "$code" = 204 ]
  i=0
  until [ "$(curl -s --max-time 5 "$URL/v1/sessions/a/events?offset=100&limit=1" | jq '.events | length')" = 1 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ]; sleep 0.05
  done
  pause $(pg_pids)
  $SSE "$PORT" /v1/sessions/a/events/sse --until turn.ended --timeout 90 >"$T/during" 2>"$T/during.err" &
  CPIDS+=($!)
  sleep 5
  resume_pg
  wait "${CPIDS[0]}"
  wait "${CPIDS[1]}"
  wait_event a '.type == "turn.ended"' 600
  events a | jq -r '"\(.sequence) \(.sequence) \(.type)"' >"$T/want"
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' <(events a)
  [ "$(grep -c 'item.delta' "$T/want")" -ge 20000 ]
  cmp "$T/before" "$T/want"
  cmp "$T/during" "$T/want"
}

@test "a stored session first used while PostgreSQL is paused gets its usage totals once it answers again" {
  ev() { printf '{"time":"2026-01-01T00:00:00Z","session_id":"r1","native_session_id":null,"synthetic":false,"source":"agent","type":"%s","data":%s,"raw":null}\n' "$1" "$2"; }
  {
    ev turn.started '{"phase":"started"}'
    ev turn.ended '{"phase":"ended","usage":{"input_tokens":10,"output_tokens":5,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":0.25}}'
  } | sa-store --db "$DB" --session r1 --agent claude >/dev/null
  serve_pg
  pause $(pg_pids)
  api GET /v1/sessions/r1                    # served from memory; the stored totals cannot be read now
  [ "$code" = 200 ]
  resume_pg
  i=0
  until api GET /v1/sessions/r1 && [ "$(jq '.usage.input_tokens' <<<"$body")" = 10 ]; do
    i=$((i + 1)); [ "$i" -lt 100 ] || { echo "usage after the pause: $body"; return 1; }
    sleep 0.1
  done
  [ "$(jq '.usage.cost_usd' <<<"$body")" = 0.25 ]
}
