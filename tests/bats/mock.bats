#!/usr/bin/env bats
# sa-mock-agent alone: the native protocol of sa-mock-agent(1).

bats_require_minimum_version 1.5.0

u() { printf '{"type":"user","turn":%s,"text":"%s"}\n' "$1" "$2"; }

@test "session line, user item, echo reply, turn.ended; exits 0 at end of input" {
  run sh -c "$(declare -f u); u 7 'hello there' | sa-mock-agent --session s9"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = '{"mock":"session","session_id":"mock-s9"}' ]
  [[ "${lines[1]}" == '{"mock":"item.started","item":{"native_item_id":"mock_1_user",'*'"role":"user","content":[{"type":"text","text":"hello there"}],"status":"in_progress"}}' ]]
  [[ "${lines[2]}" == '{"mock":"item.completed","item":{"native_item_id":"mock_1_user",'*'"status":"completed"}}' ]]
  [[ "${lines[3]}" == '{"mock":"item.started","item":{"native_item_id":"mock_1_reply",'*'"content":[],"status":"in_progress"}}' ]]
  [ "$(printf '%s\n' "$output" | jq -r 'select(.mock == "item.delta") | .delta' | tr -d '\n')" = "hello there" ]
  [ "${lines[-1]}" = '{"mock":"turn.ended","turn":7}' ]
}

@test "every command: lines are objects with a mock key, except the unparsable ones" {
  run sh -c "$(declare -f u); for c in help demo markdown tool status image unknown error unparsed end 'say hi' Echo.x; do u 1 \"\$c\"; done | sa-mock-agent"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  [ "$(grep -c '^{"mock":"turn.ended"' "$BATS_TEST_TMPDIR/o")" -eq 12 ]
  [ "$(grep -vc '^{"mock":' "$BATS_TEST_TMPDIR/o")" -eq 2 ]
  [ "$(grep -c '^mock: unparsable output$' "$BATS_TEST_TMPDIR/o")" -eq 2 ]
  grep '^{"mock":' "$BATS_TEST_TMPDIR/o" | jq -e 'has("mock")' >/dev/null
  grep -q '"native_item_id":"mock_4_call".*"type":"tool_call","name":"mock.search"' "$BATS_TEST_TMPDIR/o"
  grep -q '"native_item_id":"mock_4_result".*"status":"failed"' "$BATS_TEST_TMPDIR/o"
  grep -q '"kind":"status","role":"system"' "$BATS_TEST_TMPDIR/o"
  grep -q '"type":"image","path":"mock_6/image.png"' "$BATS_TEST_TMPDIR/o"
  grep -q '"kind":"unknown"' "$BATS_TEST_TMPDIR/o"
  grep -qx '{"mock":"error","message":"Mock error event.","code":"mock_error","details":{"mock":true}}' "$BATS_TEST_TMPDIR/o"
  grep -qx '{"mock":"session.ended","reason":"completed"}' "$BATS_TEST_TMPDIR/o"
  grep -q '"native_item_id":"mock_11_reply".*"text":"hi"}\],"status":"completed"' "$BATS_TEST_TMPDIR/o"
  grep -q '"native_item_id":"mock_12_reply".*"text":"Echo.x"}\],"status":"completed"' "$BATS_TEST_TMPDIR/o"
  # every started item completes
  s=$(grep '^{"mock":"item.started"' "$BATS_TEST_TMPDIR/o" | jq -r .item.native_item_id | sort)
  c=$(grep '^{"mock":"item.completed"' "$BATS_TEST_TMPDIR/o" | jq -r .item.native_item_id | sort)
  [ "$s" = "$c" ]
}

@test "burst N SIZE: N deltas of SIZE chars; completed text is their concatenation" {
  run sh -c "$(declare -f u); u 1 'burst 1000 5' | sa-mock-agent"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  [ "$(grep -c '"mock":"item.delta"' "$BATS_TEST_TMPDIR/o")" -eq 1000 ]
  cat_deltas=$(jq -r 'select(.mock == "item.delta") | .delta' "$BATS_TEST_TMPDIR/o" | tr -d '\n')
  [ "${#cat_deltas}" -eq 5000 ]
  [ "$(jq -r 'select(.mock == "item.completed" and .item.native_item_id == "mock_1_reply") | .item.content[0].text' "$BATS_TEST_TMPDIR/o")" = "$cat_deltas" ]
  run sh -c "$(declare -f u); u 1 'burst lots' | sa-mock-agent"
  [[ "$output" == *'usage: burst N'* ]]
}

@test "permission: waits for both replies, then one reply each" {
  run sh -c "$(declare -f u); { u 1 permission; u 2 'echo later';
     echo '{\"type\":\"permission\",\"id\":\"mock_1_permission_denied\",\"reply\":\"reject\"}';
     echo '{\"type\":\"permission\",\"id\":\"mock_1_permission\",\"reply\":\"always\"}'; } | sa-mock-agent"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  grep -q '"permission_id":"mock_1_permission","action":"command_execution"' "$BATS_TEST_TMPDIR/o"
  grep -q '"permission_id":"mock_1_permission_denied","action":"file_change"' "$BATS_TEST_TMPDIR/o"
  a=$(grep -n '"text":"mock_1_permission: always"' "$BATS_TEST_TMPDIR/o" | cut -d: -f1)
  b=$(grep -n '"text":"mock_1_permission_denied: reject"' "$BATS_TEST_TMPDIR/o" | cut -d: -f1)
  e=$(grep -n '"turn.ended","turn":1' "$BATS_TEST_TMPDIR/o" | cut -d: -f1)
  l=$(grep -n '"text":"later"' "$BATS_TEST_TMPDIR/o" | cut -d: -f1)   # the deferred message runs after
  [ "$a" -lt "$b" ] && [ "$b" -lt "$e" ] && [ "$e" -lt "$l" ]
}

@test "question: answers and null" {
  run sh -c "$(declare -f u); { u 1 question;
     echo '{\"type\":\"question\",\"id\":\"mock_1_question\",\"answers\":[[\"Blue\"]]}';
     echo '{\"type\":\"question\",\"id\":\"mock_1_question_reject\",\"answers\":null}'; } | sa-mock-agent"
  [ "$status" -eq 0 ]
  [[ "$output" == *'{"mock":"question.requested","question_id":"mock_1_question","prompt":"Choose a color","options":["Red","Blue"]}'* ]]
  [[ "$output" == *'"text":"mock_1_question: Blue"'* ]]
  [[ "$output" == *'"text":"mock_1_question_reject: rejected"'* ]]
}

@test "sleep replies after MS; cancel cuts sleep and burst short" {
  run sh -c "$(declare -f u); u 1 'sleep 50' | sa-mock-agent"
  [[ "$output" == *'"text":"slept 50"'* ]]
  run sh -c "$(declare -f u); { u 1 'sleep 30000'; sleep 0.2; echo '{\"type\":\"cancel\"}'; sleep 0.2; } | timeout 20 sa-mock-agent"
  [ "$status" -eq 0 ]
  [[ "$output" != *'slept'* ]]
  [[ "${lines[-1]}" == '{"mock":"turn.ended","turn":1}' ]]
  run sh -c "$(declare -f u); { u 1 'burst 10000000'; echo '{\"type\":\"cancel\"}'; sleep 1; } | timeout 20 sa-mock-agent | tail -2"
  [[ "${lines[0]}" == *'"status":"failed"}}' ]]
  [ "${lines[1]}" = '{"mock":"turn.ended","turn":1}' ]
}

@test "usage" {
  run sa-mock-agent extra
  [ "$status" -eq 2 ]
  run sa-mock-agent --version
  [ "$output" = "sa-mock-agent 0.1.0" ]
}

# ---- v0.1.11's exact test prompts ----

@test "v0.1.11 prompt 'List files ...': one permission request, answered, then a reply" {
  run sh -c "$(declare -f u); { u 1 'List files in the current directory using available tools.';
     echo '{\"type\":\"permission\",\"id\":\"mock_1_permission\",\"reply\":\"once\"}'; } | sa-mock-agent"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | grep -c '"mock":"permission.requested"')" -eq 1 ]
  [[ "$output" == *'"permission_id":"mock_1_permission","action":"command_execution"'* ]]
  [[ "$output" == *'"text":"Listed the files (permission: once)."'* ]]
}

@test "v0.1.11 prompt 'Use the bash tool to run ls ...': a permission, then the bash tool sequence" {
  run sh -c "$(declare -f u); { u 1 'Use the bash tool to run \`ls\` in the current directory. Do not answer without using the tool.';
     echo '{\"type\":\"permission\",\"id\":\"mock_1_permission\",\"reply\":\"once\"}'; } | sa-mock-agent"
  [ "$status" -eq 0 ]
  p=$(printf '%s\n' "$output" | grep -n '"mock":"permission.requested"' | cut -d: -f1)
  c=$(printf '%s\n' "$output" | grep -n '"kind":"tool_call"' | head -1 | cut -d: -f1)
  [ -n "$p" ] && [ -n "$c" ] && [ "$p" -lt "$c" ]
  [[ "$output" == *'"name":"bash","arguments":"{\"command\":\"ls\"}"'* ]]
  printf '%s\n' "$output" | jq -se '[.[] | select(.mock == "item.completed" and .item.kind == "tool_result")][0].item.status == "completed"'
}

@test "v0.1.11 prompt 'Use the bash tool ...' rejected: the tool_result fails" {
  run sh -c "$(declare -f u); { u 1 'Use the bash tool to run \`ls\` in the current directory. Do not answer without using the tool.';
     echo '{\"type\":\"permission\",\"id\":\"mock_1_permission\",\"reply\":\"reject\"}'; } | sa-mock-agent"
  printf '%s\n' "$output" | jq -se '[.[] | select(.mock == "item.completed" and .item.kind == "tool_result")][0].item.status == "failed"'
}

@test "v0.1.11 AskUserQuestion prompts: one question Proceed? with Yes and No" {
  for q in 'Use the AskUserQuestion tool to ask exactly one yes/no question, then wait for a reply. Do not answer yourself.' \
           'Call the AskUserQuestion tool with exactly one yes/no question and wait for a reply. Do not answer yourself.'; do
    run sh -c "$(declare -f u); { u 1 '$q'; echo '{\"type\":\"question\",\"id\":\"mock_1_question\",\"answers\":[[\"Yes\"]]}'; } | sa-mock-agent"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -c '"mock":"question.requested"')" -eq 1 ]
    [[ "$output" == *'{"mock":"question.requested","question_id":"mock_1_question","prompt":"Proceed?","options":["Yes","No"]}'* ]]
    [[ "$output" == *'"text":"You answered: Yes."'* ]]
  done
}

@test "v0.1.11 prompt 'Answer briefly and include your reasoning.': a reply with reasoning content" {
  run sh -c "$(declare -f u); u 1 'Answer briefly and include your reasoning.' | sa-mock-agent"
  printf '%s\n' "$output" | jq -se '[.[] | select(.mock == "item.completed" and .item.role == "assistant")][0].item.content
        | map(.type) == ["reasoning", "text"]'
}

@test "sa-mock-agent(1) shows the permission reply text as the mock writes it, ID: REPLY" {
  page=$(MANWIDTH=200 man -l "$SA_TOP/man/sa-mock-agent.1" 2>/dev/null | tr -s " \n" "  ")
  [[ "$page" == *'"ID: REPLY" (for example "mock_1_permission: once")'* ]]
  out=$(printf '%s\n' '{"type":"user","turn":1,"text":"permission"}' \
          '{"type":"permission","id":"mock_1_permission","reply":"once"}' \
          '{"type":"permission","id":"mock_1_permission_denied","reply":"reject"}' | sa-mock-agent --session s1)
  [[ "$out" == *'"text":"mock_1_permission: once"'* ]]
}
