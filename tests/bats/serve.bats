#!/usr/bin/env bats
# sa-serve's HTTP surface: health, banner and 404, auth variants, CORS,
# agents/modes/models/install, session create validation (400/409/413/422
# with problem details), SessionInfo, events polling, exit codes.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }


@test "health is public, / is a banner, unknown paths are 404 text/plain" {
  serve_start --token sekret
  api GET /v1/health
  [ "$code" = 200 ] && echo "$body" | jq -e '.status == "ok" and (.sandbox | type == "string")'
  api GET /
  [ "$code" = 200 ] && [[ "$body" == *"Sandbox Agent server"* ]]
  ct=$(curl -s -o /dev/null -w '%{content_type}' "$URL/nope")
  api GET /nope
  [ "$code" = 404 ] && [[ "$body" == "404 Not Found"* ]] && [[ "$ct" == text/plain* ]]
  api GET /v1/bogus
  [ "$code" = 404 ]
  api DELETE /v1/health
  [ "$code" = 405 ]
}

@test "auth: Bearer, Token, Basic user:pass and bare; wrong or missing → 401 token_invalid" {
  serve_start --token sekret
  api GET /v1/sessions
  problem_is 401 token_invalid
  [ "$(jq -r .details.message <<<"$body")" = "missing or invalid token" ]
  api GET /v1/sessions "" -H 'Authorization: Bearer wrong'
  problem_is 401 token_invalid
  api GET /v1/sessions "" -H 'Authorization: Bearer sekretx'
  [ "$code" = 401 ]
  api GET /v1/sessions "" -H 'Authorization: Bearer sekret'
  [ "$code" = 200 ]
  api GET /v1/sessions "" -H 'Authorization: bearer   sekret  '
  [ "$code" = 200 ]
  api GET /v1/sessions "" -H 'Authorization: Token sekret'
  [ "$code" = 200 ]
  api GET /v1/sessions "" -H "Authorization: Basic $(printf 'user:sekret' | base64)"
  [ "$code" = 200 ]
  api GET /v1/sessions "" -H "Authorization: Basic $(printf 'sekret' | base64 | tr -d =)"
  [ "$code" = 200 ]
  api GET /v1/sessions "" -u user:wrong
  [ "$code" = 401 ]
}

@test "auth: SA_TOKEN from the environment; --no-token disables it" {
  SA_TOKEN=envtok serve_start
  api GET /v1/agents/mock/modes
  [ "$code" = 401 ]
  api GET /v1/agents/mock/modes "" -H 'Authorization: Bearer envtok'
  [ "$code" = 200 ]
  serve_stop
  SA_TOKEN=envtok serve_start --no-token
  api GET /v1/agents/mock/modes
  [ "$code" = 200 ]
}

@test "CORS: denied unless the origin is allowed (preflight and actual request)" {
  serve_start --no-token --cors-allow-origin http://ok.example --cors-allow-method GET \
    --cors-allow-method POST --cors-allow-header content-type --cors-allow-credentials
  h=$(curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: http://ok.example' \
      -H 'Access-Control-Request-Method: POST' "$URL/v1/sessions" | tr -d '\r')
  grep -qi '^access-control-allow-origin: http://ok.example$' <<<"$h"
  grep -qi '^access-control-allow-methods: GET,POST$' <<<"$h"
  grep -qi '^access-control-allow-headers: content-type$' <<<"$h"
  grep -qi '^access-control-allow-credentials: true$' <<<"$h"
  h=$(curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: http://evil.example' \
      -H 'Access-Control-Request-Method: POST' "$URL/v1/sessions" | tr -d '\r')
  ! grep -qi '^access-control-allow-origin' <<<"$h"
  h=$(curl -s -D - -o /dev/null -H 'Origin: http://ok.example' "$URL/v1/health" | tr -d '\r')
  grep -qi '^access-control-allow-origin: http://ok.example$' <<<"$h"
  h=$(curl -s -D - -o /dev/null -H 'Origin: http://evil.example' "$URL/v1/health" | tr -d '\r')
  ! grep -qi '^access-control-allow-origin' <<<"$h"
  serve_stop
  serve_start --no-token
  h=$(curl -s -D - -o /dev/null -H 'Origin: http://ok.example' "$URL/v1/health" | tr -d '\r')
  ! grep -qi '^access-control-allow-origin' <<<"$h"
}

@test "agents: list with capabilities, modes, models, install" {
  # claude only if on PATH; installing it runs SA_NPM=false (no network): it fails
  SA_NPM=false SA_AGENT_CACHE="$T/no-cache" serve_start --no-token
  api GET /v1/agents
  [ "$code" = 200 ]
  # the descriptions in sa-normalize/agents: v0.1.11's agents in its order
  # (agents sa adds, such as pi, may come between them)
  [ "$(jq -c '[.agents[].id | select(IN("claude","codex","opencode","amp","mock"))]' <<<"$body")" = '["claude","codex","opencode","amp","mock"]' ]
  jq -e '.agents[] | select(.id == "mock") | .installed and .credentialsAvailable and (.version | length > 0)
         and (.path | endswith("sa-mock-agent")) and .capabilities.questions and (.capabilities.sharedProcess | not)' <<<"$body"
  jq -e '.agents[] | select(.id == "codex") | (has("serverStatus") | not) and (.capabilities.sharedProcess | not)' <<<"$body"
  jq -e '.agents[] | select(.id == "claude") | (.capabilities | keys | length) == 18 and (.capabilities.itemStarted | not)' <<<"$body"
  api GET /v1/agents/mock/modes
  [ "$(jq -c '[.modes[].id]' <<<"$body")" = '["build","plan"]' ]
  api GET /v1/agents/opencode/modes
  [ "$(jq -c '[.modes[].id]' <<<"$body")" = '["build","plan","custom"]' ]
  api GET /v1/agents/mock/models
  [ "$body" = '{"models":[{"id":"mock","name":"Mock"}],"defaultModel":"mock"}' ]
  api GET /v1/agents/claude/models
  [ "$(jq -r .defaultModel <<<"$body")" = default ] && [ "$(jq '.models | length' <<<"$body")" = 4 ]
  api GET /v1/agents/nope/models
  problem_is 400 unsupported_agent
  [ "$(jq -r .agent <<<"$body")" = nope ]
  api POST /v1/agents/mock/install '{}'
  [ "$code" = 204 ]
  api POST /v1/agents/nope/install '{}'
  problem_is 400 unsupported_agent
  api POST /v1/agents/cursor/install '{}'   # an agent of later sandbox-agent versions that sa lacks
  problem_is 400 unsupported_agent
  api POST /v1/agents/claude/install '{}'
  if ! command -v claude >/dev/null; then problem_is 500 install_failed; fi
}

@test "a body over --max-body refused by libevent itself (Content-Length or chunked) is a 413 problem" {
  serve_start --no-token --max-body 4096
  head -c 100000 /dev/zero | tr '\0' a >"$T/big"
  api POST /v1/sessions/a3 '' -H 'Content-Type: application/json' --data-binary "@$T/big"
  problem_is 413 payload_too_large
  [ "$(jq -r .detail <<<"$body")" = "payload too large: body exceeds 4096 bytes" ]
  api POST /v1/sessions/a3 '' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$T/big"
  problem_is 413 payload_too_large
  # the server goes on serving
  api GET /v1/health
  [ "$code" = 200 ]
}

@test "create: validation errors are problem details and store nothing" {
  serve_start --no-token --max-body 4096
  api POST /v1/sessions/a1 '{"agent":'
  problem_is 400 invalid_request
  api POST /v1/sessions/a1 '{"agent":5}'
  problem_is 422 invalid_request
  api POST /v1/sessions/a1 '{"agentMode":"build"}'
  problem_is 422 invalid_request
  api POST /v1/sessions/a1 '{"agent":"mock","title":[1]}'
  problem_is 422 invalid_request
  api POST /v1/sessions/a1 '{"agent":"gpt"}'
  problem_is 400 unsupported_agent
  api POST /v1/sessions/a1 '{"agent":"mock","agentMode":"turbo"}'
  problem_is 400 mode_not_supported
  [ "$(jq -r .details.mode <<<"$body")" = turbo ] && [ "$(jq -r .agent <<<"$body")" = mock ]
  api POST /v1/sessions/a1 '{"agent":"mock","permissionMode":"acceptEdits"}'
  [ "$code" = 200 ]    # rewritten to default for mock
  api GET /v1/sessions/a1
  [ "$(jq -r .permissionMode <<<"$body")" = default ]
  api POST /v1/sessions/a2 '{"agent":"mock","permissionMode":"yolo"}'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == "invalid request: invalid permission mode: yolo" ]]
  api POST /v1/sessions/a2 '{"agent":"cursor"}'
  problem_is 400 unsupported_agent
  big=$(head -c 8000 /dev/zero | tr '\0' a)
  api POST /v1/sessions/a2 "{\"agent\":\"mock\",\"title\":\"$big\"}"
  problem_is 413 payload_too_large
  api POST /v1/sessions/a1 '{"agent":"mock"}'
  problem_is 409 session_already_exists
  [ "$(jq -r .sessionId <<<"$body")" = a1 ]
  api GET /v1/sessions
  [ "$(jq -c '[.sessions[].sessionId]' <<<"$body")" = '["a1"]' ]
}

# post_raw PATH BODY [curl args] — POST without the api helper's Content-Type.
post_raw() {
  local p=$1 d=$2
  shift 2
  code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data-binary "$d" "$@" "$URL$p")
  body=$(cat "$T/body")
}

@test "a JSON body must be labelled application/json (v0.1.11: 415) on every JSON route" {
  serve_start --no-token
  post_raw /v1/sessions/ct '{"agent":"mock"}'
  problem_is 415 invalid_request
  post_raw /v1/sessions/ct '{"agent":"mock"}' -H 'Content-Type: text/plain'
  problem_is 415 invalid_request
  api GET /v1/sessions
  [ "$(jq -c '.sessions | length' <<<"$body")" = 0 ]
  post_raw /v1/sessions/ct '{"agent":"mock"}' -H 'Content-Type: Application/JSON; charset=utf-8'
  [ "$code" = 200 ]
  post_raw /v1/sessions/ct/messages '{"message":"hi"}'
  problem_is 415 invalid_request
  post_raw /v1/sessions/ct/permissions/p/reply '{"reply":"once"}'
  problem_is 415 invalid_request
  post_raw /v1/sessions/ct/questions/q/reply '{"answers":[["a"]]}'
  problem_is 415 invalid_request
  post_raw /v1/fs/move '{"from":"a","to":"b"}'
  problem_is 415 invalid_request
  post_raw /v1/agents/mock/install '{}'
  problem_is 415 invalid_request
  post_raw /v1/sessions/ct/messages '{"message":"hi"}' -H 'Content-Type: application/vnd.sa+json'
  [ "$code" = 204 ]
}

@test "unknown sessions are 404 session_not_found on every session route" {
  serve_start --no-token
  for r in "GET /v1/sessions/zz" "GET /v1/sessions/zz/events" "GET /v1/sessions/zz/events/sse" \
           "POST /v1/sessions/zz/terminate" "POST /v1/sessions/zz/questions/q/reject" \
           "DELETE /v1/sessions/zz"; do
    api $r
    problem_is 404 session_not_found
    [ "$(jq -r .sessionId <<<"$body")" = zz ]
  done
  api POST /v1/sessions/zz/messages '{"message":"hi"}'
  problem_is 404 session_not_found
  api POST /v1/sessions/zz/permissions/p/reply '{"reply":"once"}'
  problem_is 404 session_not_found
}

@test "SessionInfo, list newest first, events offset/limit/hasMore/include_raw, openapi" {
  serve_start --no-token
  api POST /v1/sessions/e1 '{"agent":"mock","title":"first","directory":"/tmp"}'
  [ "$code" = 200 ] && [ "$(jq -r .nativeSessionId <<<"$body")" = mock-e1 ]
  api POST /v1/sessions/e2 '{"agent":"mock"}'
  api POST /v1/sessions/e1/messages '{"message":"echo hi"}'
  [ "$code" = 204 ]
  wait_event e1 '.type == "turn.ended"'
  api GET /v1/sessions
  [ "$(jq -c '[.sessions[].sessionId]' <<<"$body")" = '["e2","e1"]' ]
  api GET /v1/sessions/e1
  jq -e '.agent == "mock" and .agentMode == "build" and .model == "mock" and .variant == null and
         .title == "first" and .directory == "/tmp" and .ended == false and .eventCount >= 8 and
         .nativeSessionId == "mock-e1" and .updatedAt >= .createdAt' <<<"$body"
  n=$(jq .eventCount <<<"$body")
  api GET "/v1/sessions/e1/events?offset=2&limit=3"
  [ "$(jq -c '[.events[].sequence]' <<<"$body")" = '[3,4,5]' ] && [ "$(jq .hasMore <<<"$body")" = true ]
  api GET "/v1/sessions/e1/events?offset=$((n - 1))&limit=3"
  [ "$(jq -c '[.events[].sequence]' <<<"$body")" = "[$n]" ] && [ "$(jq .hasMore <<<"$body")" = false ]
  api GET "/v1/sessions/e1/events"
  [ "$(jq '[.events[] | select(.raw != null)] | length' <<<"$body")" = 0 ]
  api GET "/v1/sessions/e1/events?includeRaw=true"
  [ "$(jq '[.events[] | select(.raw != null)] | length' <<<"$body")" -gt 0 ]
  api GET "/v1/sessions/e1/events?offset=abc"
  problem_is 400 invalid_request
  api GET /v1/openapi.json
  [ "$code" = 200 ] && jq -e '.paths | has("/v1/sessions/{session_id}/events/sse")' <<<"$body" >/dev/null ||
    jq -e '.openapi' <<<"$body"
}

@test "exit codes: usage 2, non-loopback without token 5, bind failure 3, bad db 4" {
  run --separate-stderr sa-serve --port nope
  [ "$status" -eq 2 ]
  run --separate-stderr sa-serve --host 0.0.0.0 --port 0 --db "$T/x.db"
  [ "$status" -eq 5 ] && [[ "$stderr" == "sa-serve: "*"--token"* ]]
  serve_start --no-token
  run --separate-stderr sa-serve --port "$PORT" --no-token --db "$T/y.db" --state-dir "$T/st2"
  [ "$status" -eq 3 ]
  mkdir "$T/dir.db"
  run --separate-stderr sa-serve --port 0 --no-token --db "$T/dir.db" --state-dir "$T/st3"
  [ "$status" -eq 4 ]
}

@test "--log-level 2 logs each request: method, path, status and time" {
  serve_start --no-token --log-level 2
  api GET /v1/health
  api GET /v1/nope
  api POST /v1/sessions/zz/terminate
  grep -qE '^sa-serve: GET /v1/health 200 [0-9]+\.[0-9] ms$' "$T/serve.err"
  grep -qE '^sa-serve: GET /v1/nope 404 [0-9]+\.[0-9] ms$' "$T/serve.err"
  grep -qE '^sa-serve: POST /v1/sessions/zz/terminate 404 [0-9]+\.[0-9] ms$' "$T/serve.err"
}

@test "--log-level 2 logs an SSE stream when its client leaves, with how long it was open" {
  serve_start --no-token --log-level 2
  api POST /v1/sessions/l1 '{"agent":"mock"}'
  curl -s -N --max-time 1 "$URL/v1/sessions/l1/events/sse" >/dev/null || true
  for _ in $(seq 50); do grep -q 'events/sse' "$T/serve.err" && break; sleep 0.1; done
  grep -qE '^sa-serve: GET /v1/sessions/l1/events/sse 200 [0-9]{3,}\.[0-9] ms, client closed$' "$T/serve.err"
}

@test "at the default log level requests are not logged" {
  serve_start --no-token
  api GET /v1/health
  ! grep -q 'GET /v1/health' "$T/serve.err"
}

@test "pipeline start and end are logged at the default log level" {
  serve_start --no-token
  api POST /v1/sessions/p1 '{"agent":"mock"}'
  api POST /v1/sessions/p1/terminate
  wait_event p1 '.type == "session.ended"'
  for _ in $(seq 400); do grep -q 'pipeline ended' "$T/serve.err" && break; sleep 0.05; done
  grep -qE '^sa-serve: session p1: pipeline started \(agent mock, group [0-9]+\)$' "$T/serve.err"
  grep -qE '^sa-serve: session p1: pipeline ended \(sa-spawn exit 0, sa-normalize exit 0, sa-store exit 0\), terminated$' "$T/serve.err"
}

@test "a database in a missing directory: exit 4, the cause said once" {
  run --separate-stderr sa-serve --port 0 --no-token --db "$T/none/sa.db" --state-dir "$T/st"
  [ "$status" -eq 4 ]
  [ "$stderr" = "sa-serve: cannot open database $T/none/sa.db: directory $T/none: No such file or directory" ]
}

@test "a second sa-serve on the same database is refused (exit 4); the first goes on" {
  serve_start --no-token
  api POST /v1/sessions/one '{"agent":"mock"}'
  [ "$code" = 200 ]
  run --separate-stderr sa-serve --port 0 --no-token --db "$T/sa.db" --state-dir "$T/state2" --fs-root "$T"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"already served by another sa-serve"* ]]
  api GET /v1/sessions/one
  [ "$code" = 200 ]
  # after the first stops, the database can be served again
  serve_stop
  serve_start --no-token
  api GET /v1/sessions/one
  [ "$code" = 200 ]
}
