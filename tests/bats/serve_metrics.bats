#!/usr/bin/env bats
# serve_metrics.bats — GET /metrics (issue 12 item 7): Prometheus text
# behind the API's token, and numbers that match what the test did:
# sessions stored and active, events stored per agent (= the sessions'
# eventCount), pending permissions and questions, SSE clients, agent
# processes, token usage per agent (= the turn.ended usage sums), and a
# commit latency histogram that is well formed.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() {
  [ -n "${CURL_PID:-}" ] && kill "$CURL_PID" 2>/dev/null; wait "${CURL_PID:-}" 2>/dev/null || true
  serve_teardown
}

# metric NAME[{LABELS}] — the value of one sample of the last scrape ($T/metrics)
metric() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "absent" }' "$T/metrics"; }
scrape() { curl -s --max-time 10 ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$URL/metrics" >"$T/metrics"; }
# wait_metric NAME VALUE — scrape until the sample has that value (bounded)
wait_metric() {
  local i=0
  while [ "$i" -lt 200 ]; do
    scrape; [ "$(metric "$1")" = "$2" ] && return 0
    sleep 0.05; i=$((i + 1))
  done
  echo "$1 is $(metric "$1"), want $2"; cat "$T/metrics"; return 1
}

@test "metrics: behind the token (401 without it), text format 0.0.4" {
  TOKEN=s3cret
  serve_start --token "$TOKEN"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/metrics")
  [ "$code" = 401 ]
  ct=$(curl -s -o "$T/metrics" -w '%{content_type}' --max-time 10 -H "Authorization: Bearer $TOKEN" "$URL/metrics")
  [ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ]
  grep -q '^# TYPE sa_sessions_active gauge$' "$T/metrics"
  grep -q '^# TYPE sa_event_commit_latency_seconds histogram$' "$T/metrics"
  [ "$(metric sa_sessions_stored)" = 0 ]
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $TOKEN" "$URL/metrics")
  [ "$code" = 405 ]
}

@test "metrics: sessions, events, pending HITL, SSE clients, agents and tokens match what was done" {
  # a stored claude session with usage (the mock reports none)
  ev() { printf '{"time":"2026-01-01T00:00:00Z","session_id":"r1","native_session_id":null,"synthetic":false,"source":"agent","type":"%s","data":%s,"raw":null}\n' "$1" "$2"; }
  {
    ev turn.started '{"phase":"started"}'
    ev turn.ended '{"phase":"ended","usage":{"input_tokens":10,"output_tokens":5,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":0.25}}'
    ev turn.started '{"phase":"started"}'
    ev turn.ended '{"phase":"ended","usage":{"input_tokens":7,"output_tokens":1,"cache_read_tokens":3,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":0.5}}'
    ev turn.ended '{"phase":"ended"}'
  } | sa-store --db "$T/sa.db" --session r1 --agent claude >/dev/null
  serve_start --no-token
  for s in a1 a2 p1 q1; do api POST /v1/sessions/$s '{"agent":"mock"}'; [ "$code" = 200 ]; done
  api POST /v1/sessions/a1/messages '{"message":"hello"}'
  api POST /v1/sessions/a2/messages '{"message":"echo two words"}'
  api POST /v1/sessions/p1/messages '{"message":"List files in the current directory using available tools."}'
  api POST /v1/sessions/q1/messages '{"message":"Use the AskUserQuestion tool to ask exactly one yes/no question, then wait for a reply. Do not answer yourself."}'
  wait_event a1 '.type == "turn.ended"'
  wait_event a2 '.type == "turn.ended"'
  wait_event p1 '.type == "permission.requested"'
  wait_event q1 '.type == "question.requested"'
  scrape
  [ "$(metric sa_sessions_stored)" = 5 ]
  [ "$(metric sa_sessions_active)" = 4 ]
  [ "$(metric sa_agent_processes)" = 4 ]
  [ "$(metric 'sa_stage_processes{stage="store"}')" = 4 ]
  [ "$(metric sa_pending_permissions)" = 1 ]
  [ "$(metric sa_pending_questions)" = 1 ]
  [ "$(metric sa_sse_clients)" = 0 ]
  api GET /v1/sessions
  want=$(jq '[.sessions[] | select(.agent == "mock") | .eventCount] | add' <<<"$body")
  [ "$(metric 'sa_events_stored{agent="mock"}')" = "$want" ]
  [ "$(metric 'sa_events_stored{agent="claude"}')" = 5 ]
  [ "$(metric 'sa_tokens{agent="claude",kind="input"}')" = 17 ]
  [ "$(metric 'sa_tokens{agent="claude",kind="output"}')" = 6 ]
  [ "$(metric 'sa_tokens{agent="claude",kind="cache_read"}')" = 3 ]
  [ "$(metric 'sa_tokens{agent="claude",kind="reasoning"}')" = absent ]
  [ "$(metric 'sa_cost_usd{agent="claude"}')" = 0.75 ]
  [ "$(metric 'sa_tokens{agent="mock",kind="input"}')" = absent ]
  # the histogram: cumulative buckets, +Inf = count; every event a pipeline
  # committed observed (all the mock sessions' events but the session.started
  # sa-serve stored itself at create)
  awk '/^sa_event_commit_latency_seconds_bucket/ { if ($2 < prev) bad = 1; prev = $2 } END { exit bad }' "$T/metrics"
  cnt=$(metric sa_event_commit_latency_seconds_count)
  [ "$(metric 'sa_event_commit_latency_seconds_bucket{le="+Inf"}')" = "$cnt" ]
  [ "$cnt" -eq $((want - 4)) ] || { echo "count $cnt, want $((want - 4))"; false; }
  # one SSE client open, then gone
  curl -s -N --max-time 30 "$URL/v1/sessions/a1/events/sse" >/dev/null & CURL_PID=$!
  wait_metric sa_sse_clients 1
  kill "$CURL_PID"; wait "$CURL_PID" 2>/dev/null || true; CURL_PID=
  wait_metric sa_sse_clients 0
  # a permission answered is no longer pending
  pid=$(events p1 | jq -r 'select(.type == "permission.requested") | .data.permission_id')
  api POST "/v1/sessions/p1/permissions/$pid/reply" '{"reply":"once"}'
  [ "$code" = 204 ]
  wait_metric sa_pending_permissions 0
  # a terminated session is no longer active, its agent gone
  api POST /v1/sessions/a2/terminate
  wait_metric sa_sessions_active 3
  wait_metric sa_agent_processes 3
  [ "$(metric sa_sessions_stored)" = 5 ]
}
