#!/usr/bin/env bats
# sa api agents|sessions against a real sa-serve with the mock agent: each
# command's request and output, problem details on stderr, exit statuses
# (1 HTTP error, 2 usage, 3 no server), the token flags and $SA_TOKEN.

bats_require_minimum_version 1.5.0
load sa_cli_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

@test "sa --help and --version exit 0; no command is a usage error (2)" {
  run sa --help
  [ "$status" -eq 0 ] && [[ "$output" == *"api sessions"* ]]
  run sa --version
  [ "$status" -eq 0 ] && [[ "$output" == "sa "[0-9]* ]]
  run sa
  [ "$status" -eq 2 ]
  run sa bogus
  [ "$status" -eq 2 ] && [[ "$output" == *"unknown command: bogus"* ]]
}

@test "api agents list prints the agents pretty-printed (two-space indent)" {
  serve_start --no-token
  sa_run api agents list
  [ "$status" -eq 0 ]
  [ "$(jq -r '.agents[] | select(.id == "mock") | .installed' <<<"$output")" = true ]
  [[ "$output" == *$'\n  "agents": ['* ]]
}

@test "api agents modes and models print the server's answer" {
  serve_start --no-token
  sa_run api agents modes mock
  [ "$status" -eq 0 ]
  [ "$(jq -c '[.modes[].id]' <<<"$output")" = '["build","plan"]' ]
  sa_run api agents models mock
  [ "$status" -eq 0 ] && [ "$(jq -r .defaultModel <<<"$output")" = mock ]
}

@test "api agents modes of an unknown agent: exit 1, problem details on stderr" {
  serve_start --no-token
  sa_run api agents modes nope
  [ "$status" -eq 1 ] && [ -z "$output" ]
  [[ "$stderr" == *"HTTP 400: unsupported agent: nope"* ]]
  [[ "$stderr" == *'"type": "urn:sandbox-agent:error:unsupported_agent"'* ]]
}

@test "api agents install of an installed agent (mock) exits 0 with no output (204)" {
  serve_start --no-token
  sa_run api agents install mock
  [ "$status" -eq 0 ] && [ -z "$output" ]
}

@test "api sessions create sends agent, modes, model, variant; list shows them" {
  serve_start --no-token
  sa_run api sessions create s1 -a mock -g plan -p bypass -m mock -v fast
  [ "$status" -eq 0 ]
  [ "$(jq -r .nativeSessionId <<<"$output")" = mock-s1 ]
  sa_run api sessions list
  [ "$status" -eq 0 ]
  [ "$(jq -c '.sessions[0] | [.sessionId, .agent, .agentMode, .permissionMode, .model, .variant]' <<<"$output")" = \
    '["s1","mock","plan","bypass","mock","fast"]' ]
}

@test "api sessions create: --mcp-config and --skill become mcp and skills.sources" {
  serve_start --no-token
  mkdir -p "$T/skill1"; printf -- '---\nname: skill1\ndescription: d\n---\nbody\n' >"$T/skill1/SKILL.md"
  echo '{"fs":{"type":"local","command":["true"]}}' >"$T/mcp.json"
  sa_run api sessions create s1 -a mock --mcp-config "$T/mcp.json" --skill "$T/skill1"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  sa_run api sessions list
  [ "$(jq -r '.sessions[0].mcp.fs.type' <<<"$output")" = local ]
  [ "$(jq -c '.sessions[0].skills.sources[0] | [.type, .source]' <<<"$output")" = "[\"local\",\"$T/skill1\"]" ]
}

@test "api sessions create: errors exit 1 (409 existing), 2 (no --agent, bad --mcp-config)" {
  serve_start --no-token
  mock_session s1
  sa_run api sessions create s1 -a mock
  [ "$status" -eq 1 ] && [[ "$stderr" == *"409: session already exists: s1"* ]]
  sa_run api sessions create s2
  [ "$status" -eq 2 ] && [[ "$stderr" == *"-a/--agent is required"* ]]
  echo '[1]' >"$T/bad.json"
  sa_run api sessions create s2 -a mock --mcp-config "$T/bad.json"
  [ "$status" -eq 2 ]
  sa_run api sessions create s2 -a mock --mcp-config "$T/missing.json"
  [ "$status" -eq 4 ]
}

@test "api sessions send-message exits 0 silently (204) and the turn runs" {
  serve_start --no-token
  mock_session s1
  sa_run api sessions send-message s1 -m hello
  [ "$status" -eq 0 ] && [ -z "$output" ]
  wait_event s1 '.type == "turn.ended"'
}

@test "api sessions send-message-stream prints the turn's events as JSON lines and stops at turn.ended" {
  serve_start --no-token
  mock_session s1
  sa_run api sessions send-message-stream s1 -m hello
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(tail -1 <<<"$output" | jq -r .type)" = turn.ended ]
  [ "$(jq -r 'select(.type == "item.completed" and .data.item.role == "assistant") | .data.item.content[0].text' <<<"$output")" = hello ]
  [ "$(jq -s '[.[] | .raw] | map(select(. != null)) | length' <<<"$output")" = 0 ]
}

@test "api sessions send-message-stream --include-raw asks for raw payloads" {
  serve_start --no-token
  mock_session s1
  sa_run api sessions send-message-stream s1 -m hello --include-raw
  [ "$status" -eq 0 ]
  [ "$(jq -s '[.[] | select(.source == "agent") | .raw] | map(select(. != null)) | length > 0' <<<"$output")" = true ]
}

@test "api sessions send-message-stream stops at permission.requested" {
  serve_start --no-token
  mock_session s1
  sa_run api sessions send-message-stream s1 -m permission
  [ "$status" -eq 0 ]
  [ "$(tail -1 <<<"$output" | jq -r .type)" = permission.requested ]
}

@test "api sessions events: -o is exclusive, -l limits and sets hasMore" {
  serve_start --no-token
  mock_session s1
  sa api sessions send-message-stream s1 -m hello -e "$URL" >/dev/null
  sa_run api sessions events s1 -o 2 -l 3
  [ "$status" -eq 0 ]
  [ "$(jq -c '[[.events[].sequence], .hasMore]' <<<"$output")" = '[[3,4,5],true]' ]
  sa_run api sessions get-messages s1 -o 2 -l 3
  [ "$(jq -c '[.events[].sequence]' <<<"$output")" = '[3,4,5]' ]
  sa_run api sessions events s1 -o x
  [ "$status" -eq 2 ]
}

@test "api sessions events of an unknown session: exit 1, 404 on stderr" {
  serve_start --no-token
  sa_run api sessions events nope
  [ "$status" -eq 1 ] && [[ "$stderr" == *"HTTP 404: session not found: nope"* ]]
}

@test "api sessions events-sse prints stored then live events, one JSON line each" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" api sessions events-sse s1 >"$T/sse.out" 2>"$T/sse.err" &
  pid=$!
  wait_file "$T/sse.out" '"type":"session.started"'
  sa -e "$URL" api sessions send-message s1 -m hello
  wait_file "$T/sse.out" '"type":"turn.ended"'
  stop_pid "$pid"
  [ "$(jq -s '[.[].sequence] == ([.[].sequence] | unique) and length >= 8' "$T/sse.out")" = true ]
}

@test "api sessions events-sse -o starts after that sequence" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" api sessions send-message-stream s1 -m hello >/dev/null
  sa -e "$URL" api sessions events-sse s1 -o 5 >"$T/sse.out" 2>"$T/sse.err" &
  pid=$!
  wait_file "$T/sse.out" '"type":"turn.ended"'
  stop_pid "$pid"
  [ "$(head -1 "$T/sse.out" | jq .sequence)" = 6 ]
}

@test "api sessions reply-permission answers once and reject; unknown id exits 1" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" api sessions send-message s1 -m permission
  wait_event s1 '.type == "permission.requested" and .data.permission_id == "mock_1_permission_denied"'
  sa_run api sessions reply-permission s1 mock_1_permission -r once
  [ "$status" -eq 0 ]
  sa_run api sessions reply-permission s1 mock_1_permission_denied --reply reject
  [ "$status" -eq 0 ]
  wait_event s1 '.type == "permission.resolved" and .data.status == "reject"'
  wait_event s1 '.type == "permission.resolved" and .data.status == "accept"'
  sa_run api sessions reply-permission s1 nope -r once
  [ "$status" -eq 1 ] && [[ "$stderr" == *"unknown permission id"* ]]
  sa_run api sessions reply-permission s1 mock_1_permission
  [ "$status" -eq 2 ]
}

@test "api sessions reply-question sends the answers; reject-question rejects" {
  serve_start --no-token
  mock_session s1
  sa -e "$URL" api sessions send-message s1 -m question
  wait_event s1 '.type == "question.requested" and .data.question_id == "mock_1_question"'
  sa_run api sessions reply-question s1 mock_1_question -a '[["Blue"]]'
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  wait_event s1 '.type == "question.resolved" and .data.response == "Blue"'
  wait_event s1 '.type == "question.requested" and .data.question_id != "mock_1_question"'
  qid=$(events s1 | jq -r 'select(.type == "question.requested") | .data.question_id' | grep -v '^mock_1_question$' | head -1)
  sa_run api sessions reject-question s1 "$qid"
  [ "$status" -eq 0 ]
  wait_event s1 '.type == "question.resolved" and .data.status == "rejected"'
  sa_run api sessions reply-question s1 x -a 'not json'
  [ "$status" -eq 2 ]
}

@test "api sessions terminate ends the session; a later message exits 1 (400)" {
  serve_start --no-token
  mock_session s1
  sa_run api sessions terminate s1
  [ "$status" -eq 0 ] && [ -z "$output" ]
  sa_run api sessions send-message s1 -m hello
  [ "$status" -eq 1 ] && [[ "$stderr" == *"HTTP 400"* ]]
  sa_run api sessions list
  [ "$(jq -r '.sessions[0].ended' <<<"$output")" = true ]
}

@test "token: -t sends it, none gets 401 (exit 1), SA_TOKEN is the default, -n drops it" {
  serve_start --token sekret
  sa_run api sessions list
  [ "$status" -eq 1 ] && [[ "$stderr" == *"HTTP 401"* ]]
  sa_run -t sekret api sessions list
  [ "$status" -eq 0 ]
  sa_run api sessions list --token sekret
  [ "$status" -eq 0 ]
  SA_TOKEN=sekret sa_run api sessions list
  [ "$status" -eq 0 ]
  SA_TOKEN=sekret sa_run api sessions list -n
  [ "$status" -eq 1 ]
}

@test "no server at the endpoint: exit 3 with the reason" {
  port=$(free_port)
  run --separate-stderr sa -e "http://127.0.0.1:$port" api agents list
  [ "$status" -eq 3 ]
  [[ "$stderr" == "sa: GET http://127.0.0.1:$port/v1/agents: "* ]]
}

@test "SA_ENDPOINT is the default endpoint" {
  serve_start --no-token
  SA_ENDPOINT="$URL" run sa api agents modes mock
  [ "$status" -eq 0 ]
}

@test "usage errors exit 2: missing arguments, unknown subcommands" {
  run sa api
  [ "$status" -eq 2 ]
  run sa api sessions send-message
  [ "$status" -eq 2 ]
  run sa api sessions create
  [ "$status" -eq 2 ]
  run sa api agents frobnicate x
  [ "$status" -eq 2 ]
  run sa api sessions send-message s1
  [ "$status" -eq 2 ]
}
