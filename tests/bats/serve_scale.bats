#!/usr/bin/env bats
# serve_scale.bats — sa-serve bounded at scale (issue 12 item 5): /events
# without a limit answers one bounded page (10000 events) with hasMore, and
# a store of 20,000 sessions made directly in SQLite
# (tests/bench/gen_sessions.sh) is served: found by id, listed whole,
# counted by /metrics, with each session's usage read when first used.
# tests/bench/scale.sh (make bench) measures the same at 100,000.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

@test "events without limit: a page of 10000 with hasMore, the rest after it" {
  seq 10005 | awk '{ printf "{\"time\":\"2026-01-01T00:00:00Z\",\"session_id\":\"big\",\"native_session_id\":null,\"synthetic\":false,\"source\":\"agent\",\"type\":\"item.delta\",\"data\":{\"item_id\":\"itm_1\",\"native_item_id\":null,\"delta\":\"%d\"},\"raw\":null}\n", $1 }' |
    sa-store --db "$T/sa.db" --session big --agent mock >/dev/null
  serve_start --no-token
  api GET /v1/sessions/big/events
  [ "$code" = 200 ]
  [ "$(jq '.events | length' <<<"$body")" = 10000 ]
  [ "$(jq .hasMore <<<"$body")" = true ]
  [ "$(jq '.events[-1].sequence' <<<"$body")" = 10000 ]
  api GET "/v1/sessions/big/events?offset=10000"
  [ "$(jq -c '[.events[].sequence]' <<<"$body")" = '[10001,10002,10003,10004,10005]' ]
  [ "$(jq .hasMore <<<"$body")" = false ]
  # a limit above the page is cut to it
  api GET "/v1/sessions/big/events?limit=50000"
  [ "$(jq '.events | length' <<<"$body")" = 10000 ] && [ "$(jq .hasMore <<<"$body")" = true ]
}

@test "20,000 stored sessions: found by id, listed, counted, usage read when first used" {
  sh "$SA_TOP/tests/bench/gen_sessions.sh" "$T/sa.db" 20000
  serve_start --no-token
  api GET /v1/sessions/g12345
  [ "$code" = 200 ]
  jq -e '.sessionId == "g12345" and .eventCount == 3 and .usage.input_tokens == 1 and .usage.output_tokens == 2' <<<"$body"
  api GET /v1/sessions/g20001
  [ "$code" = 404 ]
  curl -s --max-time 120 -o "$T/list" "$URL/v1/sessions"
  [ "$(jq '.sessions | length' "$T/list")" = 20001 ]
  [ "$(jq -r '.sessions[0].sessionId' "$T/list")" = g20000 ]     # newest first
  [ "$(jq '[.sessions[].usage.input_tokens] | add' "$T/list")" = 20001 ]
  curl -s --max-time 120 "$URL/metrics" >"$T/metrics"
  grep -qx 'sa_sessions_stored 20001' "$T/metrics"
  grep -qx 'sa_events_stored{agent="mock"} 60003' "$T/metrics"
  grep -qx 'sa_tokens{agent="mock",kind="input"} 20001' "$T/metrics"
}
