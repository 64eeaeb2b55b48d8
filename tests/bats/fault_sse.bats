#!/usr/bin/env bats
# fault_sse.bats — SSE clients that do not keep up (issue 12 item 3): a
# stalled client (connects, reads nothing; a 4 KiB receive buffer so the
# kernel cannot hide sa-serve's own queue) and a slow one (small reads with
# pauses) during a mock burst.  Properties:
#   - sa-serve holds at most --client-buffer plus one event for a stalled
#     client (its /metrics sa_sse_client_queue_bytes_max, while the client
#     is counted in sa_sse_clients_behind), and its RSS stays under a
#     generous 64 MB (a bound, not a measurement: figures are in make bench);
#   - once it reads again, the stalled client gets every event once, in
#     order (caught up from the store);
#   - the slow client gets every event once, in order;
#   - meanwhile a normal client of the same session and one of another
#     session (with its own burst) get all their events, and they finish
#     while the stalled client still has not read anything.
# Every client has a timeout; the stalled one reads when the test creates
# its go file.

bats_require_minimum_version 1.5.0
load serve_helpers

LIMIT=65536
BURST=${FAULT_SSE_BURST:-30000}

setup() {
  T=$BATS_TEST_TMPDIR
  SSE="python3 $BATS_TEST_DIRNAME/serve_sse.py"
  CPIDS=()
}
teardown() {
  local p
  touch "$T/go"
  for p in "${CPIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done || true
  serve_teardown
}

metric() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "absent" }' "$T/metrics"; }
scrape() { curl -s --max-time 10 "$URL/metrics" >"$T/metrics"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# whole FILE SESSION — FILE ("<id> <seq> <type>" lines) holds each stored
# event of SESSION exactly once, in order, with id = sequence
whole() {
  events "$2" | jq -r '"\(.sequence) \(.sequence) \(.type)"' >"$T/want.$2"
  cmp "$1" "$T/want.$2" || { echo "$1: not every event of $2 once in order"; diff "$T/want.$2" "$1" | head; return 1; }
}

# stalled SESSION NAME — a client of SESSION that reads nothing until $T/go
stalled() {
  $SSE "$PORT" "/v1/sessions/$1/events/sse" --until turn.ended --stall-file "$T/go" --rcvbuf 4096 \
    --timeout 120 >"$T/$2" 2>"$T/$2.err" &
  CPIDS+=($!)
}

# new_session NAME — create a mock session
new_session() {
  api POST "/v1/sessions/$1" '{"agent":"mock"}'
  [ "$code" = 200 ]
}

@test "a stalled SSE client costs sa-serve at most --client-buffer plus one event, and RSS stays under 64 MB, during a $BURST-event burst" {
  serve_start --no-token --client-buffer "$LIMIT"
  new_session a
  stalled a stalled
  api POST /v1/sessions/a/messages "{\"message\":\"burst $BURST\"}"
  [ "$code" = 204 ]
  peak=0 qmax=0 behind=0 i=0
  until [ "$(curl -s --max-time 5 "$URL/v1/sessions/a/events?offset=$BURST&limit=1" | jq '.events | length')" = 1 ]; do
    i=$((i + 1)); [ "$i" -lt 600 ] || { echo "burst not stored after 120 s"; return 1; }
    r=$(rss_kb "$SPID"); [ "$r" -gt "$peak" ] && peak=$r
    scrape
    q=$(metric sa_sse_client_queue_bytes_max); [ "$q" -gt "$qmax" ] && qmax=$q
    [ "$(metric sa_sse_clients_behind)" -ge 1 ] && behind=1
    sleep 0.2
  done
  wait_event a '.type == "turn.ended"' 600
  scrape
  q=$(metric sa_sse_client_queue_bytes_max); [ "$q" -gt "$qmax" ] && qmax=$q
  [ "$(metric sa_sse_clients_behind)" -ge 1 ] && behind=1
  echo "# stalled client: longest queue $qmax bytes (limit $LIMIT), peak sa-serve RSS $peak kB" >&3
  [ "$behind" = 1 ] || { echo "the stalled client was never over the limit: the test did not stall it"; return 1; }
  [ "$qmax" -le $((LIMIT + 65536)) ]
  [ "$peak" -lt 65536 ]
}

@test "a stalled SSE client, once it reads again, gets every event once and in order" {
  serve_start --no-token --client-buffer "$LIMIT"
  new_session a
  stalled a stalled
  api POST /v1/sessions/a/messages "{\"message\":\"burst $BURST\"}"
  wait_event a '.type == "turn.ended"' 1200
  touch "$T/go"
  wait "${CPIDS[0]}"
  whole "$T/stalled" a
}

@test "during a burst with a stalled and a slow client, the slow one, another client of the session and one of another session get every event once, in order" {
  serve_start --no-token --client-buffer "$LIMIT"
  new_session a
  new_session b
  stalled a stalled
  $SSE "$PORT" /v1/sessions/a/events/sse --until turn.ended --read-size 4096 --slow 0.001 --rcvbuf 4096 \
    --timeout 120 >"$T/slow" 2>"$T/slow.err" &
  slow=$!; CPIDS+=($slow)
  $SSE "$PORT" /v1/sessions/a/events/sse --until turn.ended --timeout 120 >"$T/same" 2>"$T/same.err" &
  same=$!; CPIDS+=($same)
  $SSE "$PORT" /v1/sessions/b/events/sse --until turn.ended --timeout 120 >"$T/other" 2>"$T/other.err" &
  other=$!; CPIDS+=($other)
  sleep 0.5    # let the streams open (each also catches up from offset 0 anyway)
  api POST /v1/sessions/a/messages "{\"message\":\"burst $BURST\"}"
  [ "$code" = 204 ]
  api POST /v1/sessions/b/messages '{"message":"burst 5000"}'
  [ "$code" = 204 ]
  wait "$same"
  wait "$other"
  # they finished while the stalled client still had read nothing
  [ ! -s "$T/stalled" ]
  kill -0 "${CPIDS[0]}"
  whole "$T/same" a
  whole "$T/other" b
  wait "$slow"
  whole "$T/slow" a
  touch "$T/go"
  wait "${CPIDS[0]}"
  whole "$T/stalled" a
}
