#!/usr/bin/env bats
# claude_fakellm.bats - the fake model server (tests/fakellm/fakellm.py)
# answers the Anthropic Messages API (JSON and SSE), the OpenAI Chat and
# Responses APIs, count_tokens, and blocks proxy traffic, with the stateless
# reply rules the real-agent tests rely on.  Uses curl against 127.0.0.1.

load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() {
  fakellm_stop
}

post() { # post PATH JSON -> body on stdout; status code in $BATS_FILE_TMPDIR/code
  curl -sS --max-time 10 -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' \
    -H 'content-type: application/json' -H 'x-api-key: sk-ant-fake' \
    --data-binary "$2" "http://127.0.0.1:$FAKELLM_PORT$1" >"$BATS_TEST_TMPDIR/code"
  cat "$BATS_TEST_TMPDIR/body"
}

BASH_TOOL='{"name":"Bash","input_schema":{"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"}}}}'

@test "fakellm: prints its port and serves /v1/models" {
  [[ "$FAKELLM_PORT" =~ ^[0-9]+$ ]]
  [ "$FAKELLM_PORT" -gt 0 ]
  run curl -sS --max-time 10 "http://127.0.0.1:$FAKELLM_PORT/v1/models"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.data | length > 0'
}

@test "fakellm: anthropic JSON: shell tool call with RUN: command" {
  run post '/v1/messages?beta=true' '{"model":"m","max_tokens":10,"tools":['"$BASH_TOOL"'],"messages":[{"role":"user","content":"do it. RUN: ls -l"}]}'
  [ "$(cat "$BATS_TEST_TMPDIR/code")" = 200 ]
  echo "$output" | jq -e '.stop_reason == "tool_use"'
  echo "$output" | jq -e '.content[-1] | .type == "tool_use" and .name == "Bash" and .input.command == "ls -l" and .input.description == "Run ls -l"'
  echo "$output" | jq -e '.content[-1].id | startswith("toolu_")'
}

@test "fakellm: anthropic JSON: default command is echo hi" {
  run post /v1/messages '{"model":"m","tools":['"$BASH_TOOL"'],"messages":[{"role":"user","content":[{"type":"text","text":"hello"}]}]}'
  echo "$output" | jq -e '.content[-1].input.command == "echo hi"'
}

@test "fakellm: anthropic: tool result gives the final text" {
  run post /v1/messages '{"model":"m","tools":['"$BASH_TOOL"'],"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"hello world"}]}]}'
  echo "$output" | jq -e '.stop_reason == "end_turn" and .content == [{"type":"text","text":"Done. The command ran and printed: hello world"}]'
}

@test "fakellm: anthropic: NOTOOL gives plain text, TOOL: calls the named tool" {
  run post /v1/messages '{"model":"m","tools":['"$BASH_TOOL"'],"messages":[{"role":"user","content":"NOTOOL please"}]}'
  echo "$output" | jq -e '.content | length == 1 and .[0].type == "text"'
  run post /v1/messages '{"model":"m","tools":['"$BASH_TOOL"',{"name":"Ask","input_schema":{}}],"messages":[{"role":"user","content":"TOOL: Ask {\"q\":[1,2]} trailing"}]}'
  echo "$output" | jq -e '.content[-1] | .name == "Ask" and .input == {"q":[1,2]}'
}

@test "fakellm: anthropic: FAIL400 gives HTTP 400 with an error body" {
  run post /v1/messages '{"model":"m","messages":[{"role":"user","content":"FAIL400"}]}'
  [ "$(cat "$BATS_TEST_TMPDIR/code")" = 400 ]
  echo "$output" | jq -e '.type == "error" and (.error.message | test("FAIL400"))'
}

@test "fakellm: anthropic SSE: event sequence and reassembled tool input" {
  run post /v1/messages '{"model":"m","stream":true,"tools":['"$BASH_TOOL"'],"messages":[{"role":"user","content":"RUN: echo streamed"}]}'
  [ "$status" -eq 0 ]
  data=$(printf '%s\n' "$output" | sed -n 's/^data: //p')
  types=$(printf '%s\n' "$data" | jq -r .type | uniq | tr '\n' ' ')
  [ "$types" = "message_start content_block_start content_block_delta content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop " ]
  # event: names match data types
  [ "$(printf '%s\n' "$output" | sed -n 's/^event: //p' | tr '\n' ' ')" = "$(printf '%s\n' "$data" | jq -r .type | tr '\n' ' ')" ]
  json=$(printf '%s\n' "$data" | jq -j 'select(.delta.type == "input_json_delta") | .delta.partial_json')
  echo "$json" | jq -e '.command == "echo streamed"'
  text=$(printf '%s\n' "$data" | jq -j 'select(.delta.type == "text_delta") | .delta.text')
  [ -n "$text" ]
  printf '%s\n' "$data" | jq -se 'map(select(.type == "message_delta"))[0].delta.stop_reason == "tool_use"'
}

@test "fakellm: count_tokens" {
  run post /v1/messages/count_tokens '{"model":"m","messages":[{"role":"user","content":"hi"}]}'
  echo "$output" | jq -e '.input_tokens >= 1'
}

@test "fakellm: openai chat completions (JSON and SSE)" {
  tool='{"type":"function","function":{"name":"bash","parameters":{"type":"object","properties":{"command":{"type":"array"}}}}}'
  run post /v1/chat/completions '{"model":"m","tools":['"$tool"'],"messages":[{"role":"user","content":"RUN: echo x"}]}'
  echo "$output" | jq -e '.choices[0].finish_reason == "tool_calls"'
  echo "$output" | jq -e '.choices[0].message.tool_calls[0].function.arguments | fromjson | .command == ["bash","-lc","echo x"]'
  run post /v1/chat/completions '{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c","content":"out"}]}'
  [ "$(printf '%s\n' "$output" | grep '^data: ' | tail -1)" = "data: [DONE]" ]
  text=$(printf '%s\n' "$output" | sed -n 's/^data: //p' | grep -v '^\[DONE\]' | jq -j '.choices[0].delta.content // empty')
  [ "$text" = "Done. The command ran and printed: out" ]
}

@test "fakellm: openai responses (SSE)" {
  tool='{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"string"}}}}'
  run post /v1/responses '{"model":"m","stream":true,"tools":['"$tool"'],"input":[{"role":"user","content":[{"type":"input_text","text":"RUN: date"}]}]}'
  data=$(printf '%s\n' "$output" | sed -n 's/^data: //p')
  printf '%s\n' "$data" | jq -se '.[0].type == "response.created" and .[-1].type == "response.completed"'
  printf '%s\n' "$data" | jq -se 'map(select(.type == "response.output_item.done"))[0].item | .type == "function_call" and (.arguments | fromjson | .command == "date")'
  run post /v1/responses '{"model":"m","input":[{"role":"user","content":"x"},{"type":"function_call_output","call_id":"c","output":"42"}]}'
  echo "$output" | jq -e '.output[0].content[0].text == "Done. The command ran and printed: 42"'
}

@test "fakellm: blackhole proxy: CONNECT and absolute URIs get 403" {
  run curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$FAKELLM_PORT" "http://example.invalid/x"
  [ "$output" = 403 ]
  run curl -sS --max-time 10 -x "http://127.0.0.1:$FAKELLM_PORT" "https://example.invalid/"
  [ "$status" -ne 0 ]
  grep -c '"proxy-blocked"' "$BATS_FILE_TMPDIR/fake/fakellm.log"
  [ "$(grep -c '"proxy-blocked"' "$BATS_FILE_TMPDIR/fake/fakellm.log")" -ge 2 ]
}

@test "fakellm: request log redacts keys and records decisions" {
  post /v1/messages '{"model":"m","tools":['"$BASH_TOOL"'],"messages":[{"role":"user","content":"logged"}]}' >/dev/null
  log="$BATS_FILE_TMPDIR/fake/fakellm.log"
  ! grep -q sk-ant-fake "$log"
  tail -1 "$log" | jq -e '.path == "/v1/messages" and .decision[0] == "tool" and (.headers | with_entries(.key |= ascii_downcase) | .["x-api-key"] == "<redacted>")'
}

@test "fakellm: exits on SIGTERM and when its parent dies" {
  dir="$BATS_TEST_TMPDIR/f2"
  mkdir -p "$dir"
  python3 "$SA_TOP/tests/fakellm/fakellm.py" --port-file "$dir/port" >/dev/null 2>&1 3>&- &
  pid=$!
  for i in $(seq 1 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
  [ -s "$dir/port" ]
  kill -TERM "$pid"
  wait "$pid" || true
  ! kill -0 "$pid" 2>/dev/null
  # orphaned: started by a shell that exits at once
  bash -c 'python3 "$1" --port-file "$2/port2" >/dev/null 2>&1 3>&- & echo $! >"$2/pid2"; for i in $(seq 1 200); do [ -s "$2/port2" ] && break; sleep 0.05; done' _ "$SA_TOP/tests/fakellm/fakellm.py" "$dir"
  pid2=$(cat "$dir/pid2")
  for i in $(seq 1 100); do kill -0 "$pid2" 2>/dev/null || break; sleep 0.05; done
  ! kill -0 "$pid2" 2>/dev/null
}
