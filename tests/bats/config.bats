#!/usr/bin/env bats
# config.bats - server defaults for new sessions: GET/PUT/DELETE
# /v1/config/mcp and /v1/config/skills (the shape of sandbox-agent 0.2:
# ?directory=&mcpName= / &skillName=), stored in the store, kept across a
# restart, validated like session create's members, and applied to sessions
# created in that directory with the session's own entries winning by name.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() {
  T=$BATS_TEST_TMPDIR; cd "$T"
  mkdir -p "$T/work" "$T/sk/skills/dflt" "$T/sk/skills/mine"
  printf -- '---\nname: dflt\ndescription: a default skill\n---\n' >"$T/sk/skills/dflt/SKILL.md"
  printf -- '---\nname: mine\ndescription: my skill\n---\n' >"$T/sk/skills/mine/SKILL.md"
  Q="directory=$T/work"
}
teardown() { serve_teardown; }

problem_is() {
  [ "$code" = "$1" ] || { echo "status $code, want $1: $body"; return 1; }
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:$2" ] || { echo "body: $body"; return 1; }
}

SRV='{"type":"local","command":"dflt-server","env":{"K":"v"}}'

@test "config mcp: PUT then GET gives the server back" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" "$SRV"
  [ "$code" = 204 ]
  api GET "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 200 ]
  jq -e '. == {"type":"local","command":"dflt-server","env":{"K":"v"}}' <<<"$body"
}

@test "config mcp: mcp_name is an alias of mcpName" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcp_name=d1" "$SRV"
  api GET "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 200 ]
}

@test "config mcp: GET of a missing entry is 404 with sessionId mcp:<name>" {
  serve_start --no-token
  api GET "/v1/config/mcp?$Q&mcpName=nope"
  problem_is 404 session_not_found
  [ "$(jq -r .sessionId <<<"$body")" = "mcp:nope" ]
}

@test "config mcp: a missing directory or name is 400" {
  serve_start --no-token
  api GET "/v1/config/mcp?mcpName=d1"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"missing required 'directory' query parameter"* ]]
  api GET "/v1/config/mcp?$Q"
  problem_is 400 invalid_request
}

@test "config mcp: PUT of an invalid server is 400 and stores nothing" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" '{"type":"local"}'
  problem_is 400 invalid_request
  api GET "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 404 ]
}

@test "config mcp: DELETE removes, and is 204 again when nothing is there" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" "$SRV"
  api DELETE "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 204 ]
  api GET "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 404 ]
  api DELETE "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 204 ]
}

@test "config mcp: the defaults survive a restart of sa-serve" {
  export SA_SERVE_DB=$T/keep.db
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" "$SRV"
  serve_teardown
  serve_start --no-token
  api GET "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 200 ]
}

@test "config mcp: a session created in the directory gets the default server" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" "$SRV"
  api POST /v1/sessions/s1 "{\"agent\":\"mock\",\"directory\":\"$T/work\"}"
  [ "$code" = 200 ]
  api GET /v1/sessions/s1
  jq -e '.mcp.d1.command == "dflt-server" and .mcp.d1.env.K == "***"' <<<"$body"
}

@test "config mcp: a session's own entry of the same name wins over the default" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" "$SRV"
  api POST /v1/sessions/s1 "{\"agent\":\"mock\",\"directory\":\"$T/work\",\"mcp\":{\"d1\":{\"type\":\"local\",\"command\":\"mine\"}}}"
  api GET /v1/sessions/s1
  jq -e '.mcp.d1.command == "mine"' <<<"$body"
}

@test "config mcp: a session in another directory does not get the default" {
  serve_start --no-token
  api PUT "/v1/config/mcp?$Q&mcpName=d1" "$SRV"
  mkdir -p "$T/other"
  api POST /v1/sessions/s1 "{\"agent\":\"mock\",\"directory\":\"$T/other\"}"
  api GET /v1/sessions/s1
  jq -e 'has("mcp") | not' <<<"$body"
}

@test "config mcp: the directory is compared after realpath (a trailing slash or a symlink)" {
  serve_start --no-token
  ln -s "$T/work" "$T/link"
  api PUT "/v1/config/mcp?directory=$T/link/&mcpName=d1" "$SRV"
  api POST /v1/sessions/s1 "{\"agent\":\"mock\",\"directory\":\"$T/work\"}"
  api GET /v1/sessions/s1
  jq -e '.mcp.d1.command == "dflt-server"' <<<"$body"
}

@test "config skills: PUT with a source that does not resolve is 400" {
  serve_start --no-token
  api PUT "/v1/config/skills?$Q&skillName=k" "{\"sources\":[{\"type\":\"local\",\"source\":\"$T/nope\"}]}"
  problem_is 400 invalid_request
}

@test "config skills: PUT, GET and DELETE a default skills config" {
  serve_start --no-token
  api PUT "/v1/config/skills?$Q&skillName=k" "{\"sources\":[{\"type\":\"local\",\"source\":\"$T/sk\",\"skills\":[\"dflt\"]}]}"
  [ "$code" = 204 ]
  api GET "/v1/config/skills?$Q&skillName=k"
  jq -e '.sources[0].skills == ["dflt"]' <<<"$body"
  api DELETE "/v1/config/skills?$Q&skillName=k"
  [ "$code" = 204 ]
  api GET "/v1/config/skills?$Q&skillName=k"
  problem_is 404 session_not_found
  [ "$(jq -r .sessionId <<<"$body")" = "skills:k" ]
}

@test "config skills: a session in the directory gets the default skills as well as its own" {
  serve_start --no-token
  api PUT "/v1/config/skills?$Q&skillName=k" "{\"sources\":[{\"type\":\"local\",\"source\":\"$T/sk\",\"skills\":[\"dflt\"]}]}"
  api POST /v1/sessions/s1 "{\"agent\":\"mock\",\"directory\":\"$T/work\",\"skills\":{\"sources\":[{\"type\":\"local\",\"source\":\"$T/sk\",\"skills\":[\"mine\"]}]}}"
  [ "$code" = 200 ]
  [ "$(ls "$(ls -d "$T"/state/skills-*/)skills" | tr '\n' ' ')" = "dflt mine " ]
}

@test "config: the endpoints need the token when one is set" {
  serve_start --token sekrit
  api GET "/v1/config/mcp?$Q&mcpName=d1"
  [ "$code" = 401 ]
}

@test "config: listed in /v1/openapi.json" {
  serve_start --no-token
  api GET /v1/openapi.json
  jq -e '.paths["/v1/config/mcp"] | has("get") and has("put") and has("delete")' <<<"$body"
  jq -e '.paths["/v1/config/skills"] | has("get") and has("put") and has("delete")' <<<"$body"
}
