#!/usr/bin/env bats
# SSE heartbeats: a quiet /events/sse stream gets a comment line at the
# configured interval, and stays open past several intervals.

load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

@test "a quiet SSE stream receives heartbeat comments and stays open" {
  serve_start --no-token --heartbeat-ms 200
  api POST /v1/sessions/hb '{"agent":"mock"}'
  [ "$code" = 200 ]
  # 1.5 s of a quiet stream: the replayed history, then only heartbeats.
  curl -sN --max-time 1.5 -D "$T/headers" "$URL/v1/sessions/hb/events/sse" > "$T/stream" || true
  grep -qi '^x-accel-buffering: no' "$T/headers"
  grep -qi '^content-type: text/event-stream' "$T/headers"
  n=$(grep -c '^:' "$T/stream" || true)
  [ "$n" -ge 4 ] || { echo "only $n comment lines"; cat "$T/stream"; false; }
  grep -q '^id: 1$' "$T/stream"
}
