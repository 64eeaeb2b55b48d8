#!/usr/bin/env bats
# normalize_codex.bats — sa-normalize --agent codex (sa-normalize/agents/codex.jq
# plus the C usage rule): real codex 0.169 captures in tests/fixtures/codex
# (`codex app-server` JSON-RPC and `codex exec --json`), four of them against
# hand-written expected events, and small hand-made lines for what the
# captures do not show (reasoning, MCP, web search, output deltas, ...).
# One property per test.
#
# The fixtures were recorded by a driver, not by sa-spawn, so their response
# lines lack the "sa_method" member sa-spawn appends; `annotated` adds it by
# matching each response id to the request line with that id in the
# fixture's .stdin file (what the driver wrote to codex), as sa-spawn does.

FIX="$SA_TOP/tests/fixtures/codex"

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# annotated FIXTURE — the fixture's lines, responses given "sa_method"
annotated() {
    jq -c --slurpfile req "$FIX/$1.jsonl.stdin" '
      ([$req[] | select(.method != null and .id != null) | {key: (.id | tostring), value: .method}]
       | from_entries) as $m
      | if (has("result") or has("error")) and (has("method") | not) and $m[.id | tostring] != null
        then . + {sa_method: $m[.id | tostring]} else . end' "$FIX/$1.jsonl"
}

# norm FIXTURE [FLAGS...] — normalize the annotated fixture into out.jsonl
norm() {
    local f=$1; shift
    annotated "$f" | sa-normalize --agent codex --session s1 "$@" > out.jsonl
}

# norm_lines [FLAGS...] — normalize standard input into out.jsonl
norm_lines() {
    sa-normalize --agent codex --session s1 "$@" > out.jsonl
}

# compare EXPECTED — out.jsonl minus time/raw must equal the expected file
compare() {
    jq -c 'del(.time, .raw)' out.jsonl > got.jsonl
    jq -c . "$1" > want.jsonl
    diff -u want.jsonl got.jsonl
}

valid() {
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

count() { jq -s "[.[] | select($1)] | length" out.jsonl; }

# every capture (the .jsonl files that are not expectations)
fixtures() { for f in "$FIX"/*.jsonl; do case $f in *.expected.jsonl) ;; *) basename "$f" .jsonl;; esac; done; }

@test "codex exec --json: command run gives the hand-written events" {
    norm exec-command
    compare "$FIX/exec-command.expected.jsonl"
}

@test "codex exec --json: FAIL400 becomes an error event carrying the message, then a failed turn.ended" {
    norm exec-error400
    compare "$FIX/exec-error400.expected.jsonl"
}

@test "codex app-server: FAIL400 gives the hand-written events" {
    norm appserver-error400
    compare "$FIX/appserver-error400.expected.jsonl"
}

@test "codex app-server: command accept gives the hand-written events" {
    norm appserver-command-accept
    compare "$FIX/appserver-command-accept.expected.jsonl"
}

@test "codex: no agent.unparsed in any fixture" {
    for f in $(fixtures); do
        norm "$f"
        n=$(count '.type == "agent.unparsed"')
        [ "$n" = 0 ] || { echo "$f: $n agent.unparsed"; false; }
    done
}

@test "codex: every fixture's events pass sa-events-check (schema and key order)" {
    for f in $(fixtures); do
        norm "$f"
        valid || { echo "in $f"; false; }
    done
}

@test "codex: every fixture has one native session id, the thread id, from the first thread line on" {
    for f in $(fixtures); do
        norm "$f"
        want=$(annotated "$f" | jq -r '.result.thread.id // .params.thread.id // .thread_id // empty' | head -1)
        if [ -z "$want" ]; then                  # model-list: no thread at all
            [ "$(count '.native_session_id != null')" = 0 ]; continue
        fi
        got=$(jq -r 'select(.native_session_id != null) | .native_session_id' out.jsonl | sort -u)
        [ "$got" = "$want" ] || { echo "$f: $got != $want"; false; }
        [ "$(jq -rs '.[-1].native_session_id' out.jsonl)" = "$want" ]
    done
}

@test "codex app-server: command accept maps to tool_call then tool_result with same call_id" {
    norm appserver-command-accept
    jq -s -e '
      [.[] | select(.type == "item.completed") | .data.item] as $items
      | [$items[] | select(.kind == "tool_call")] as $calls
      | ($calls | length) == 1
        and ([$items[] | select(.kind == "tool_result")] | length) == 1
        and ($calls[0].content[0].name == "shell")
        and ($calls[0].content[0].arguments | fromjson | .command | test("touch approved.txt"))
        and ([$items | to_entries[] | select(.value.kind == "tool_call" or .value.kind == "tool_result")
              | [.key, .value.kind, .value.content[0].call_id, .value.item_id]]
             | .[0][1] == "tool_call" and .[1][1] == "tool_result" and .[0][2] == .[1][2]
               and .[0][3] != .[1][3])' out.jsonl
}

@test "codex app-server: every tool_call has its tool_result in every fixture" {
    for f in $(fixtures); do
        norm "$f"
        calls=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[] | select(.type == "tool_call") | .call_id] | sort' out.jsonl)
        results=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[] | select(.type == "tool_result") | .call_id] | sort' out.jsonl)
        [ "$calls" = "$results" ] || { echo "$f: $calls vs $results"; false; }
    done
}

@test "codex app-server: an interrupted command's tool_call gets a failed tool_result before turn.ended" {
    norm appserver-interrupt
    jq -se '
      (map(.type == "turn.ended") | index(true)) as $te
      | (map(.type == "item.completed" and .data.item.kind == "tool_result") | index(true)) as $res
      | $res != null and $res < $te
        and (.[$res].data.item | .status == "failed" and .content[0].output == "no result: the turn ended before the tool call finished")
        and .[$res].synthetic == true' out.jsonl
}

@test "codex app-server: a declined command is a failed tool_result" {
    norm appserver-command-decline
    [ "$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result") | .data.item | [.status, .content[1].json.status]]' out.jsonl)" = '[["failed","declined"]]' ]
}

@test "codex app-server: file change is an apply_patch tool_call and a tool_result with a file_ref write and the diff" {
    norm appserver-filechange
    call=$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call") | .data.item.content[0]
                    | [.name, (.arguments | fromjson | .changes[0].kind.type)]]' out.jsonl)
    [ "$call" = '[["apply_patch","add"]]' ]
    ref=$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result") | .data.item.content[]
                   | select(.type == "file_ref") | [(.path | sub(".*/"; "")), .action, .diff]]' out.jsonl)
    [ "$ref" = '[["notes.txt","write","alpha line\nbeta line\ngamma line\n"]]' ]
    [ "$(jq -sr '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result")][0].data.item.content[0].output | sub("/.*/"; "")' out.jsonl)" = "add notes.txt" ]
}

@test "codex app-server: approval requests become permission.requested with id turnId:requestId and codex metadata" {
    for f in appserver-command-accept appserver-filechange appserver-permissions; do
        norm "$f"
        want=$(annotated "$f" | jq -c 'select((.method // "") | endswith("requestApproval"))
              | [(.params.turnId + ":" + (.id | tostring)), .params.itemId, .id]')
        got=$(jq -c 'select(.type == "permission.requested") | .data
              | [.permission_id, .metadata.itemId, .metadata.codexRequestId]' out.jsonl)
        [ "$got" = "$want" ] || { echo "$f: $got != $want"; false; }
    done
    norm appserver-filechange
    [ "$(jq -r 'select(.type == "permission.requested") | .data | .action + " " + .metadata.codexRequestKind' out.jsonl)" = "fileChange fileChange" ]
    norm appserver-permissions
    [ "$(jq -r 'select(.type == "permission.requested") | .data | .action + " " + .metadata.permissions.fileSystem.write[0]' out.jsonl)" = "permissions /tmp/h1-perm" ]
}

@test "codex app-server: acceptEdits hides file-change permission requests, not command ones" {
    norm appserver-filechange --permission-mode acceptEdits
    [ "$(count '.type == "permission.requested"')" = 0 ]
    norm appserver-command-accept --permission-mode acceptEdits
    [ "$(count '.type == "permission.requested"')" = 1 ]
}

@test "codex app-server: requestUserInput becomes question.requested with the prompt and option labels" {
    norm appserver-plan-question
    [ "$(jq -c 'select(.type == "question.requested") | .data' out.jsonl)" = \
      '{"question_id":"01a2318a-6a66-72b1-a615-2452e2f21f81:0","prompt":"Which color?","options":["Red (Recommended)","Blue"],"response":null,"status":"requested"}' ]
}

@test "codex app-server: sa-spawn's permission.resolved line resolves the request with its metadata" {
    { annotated appserver-command-accept | head -13
      echo '{"sa":"permission.resolved","permission_id":"01a2318a-4ec5-7511-999f-0b888e95c1a4:0","reply":"once"}'
    } | norm_lines
    [ "$(jq -c 'select(.type == "permission.resolved") | .data | [.permission_id, .action, .status, .metadata.codexRequestId]' out.jsonl)" = \
      '["01a2318a-4ec5-7511-999f-0b888e95c1a4:0","commandExecution","accept",0]' ]
}

@test "codex app-server: turn/started and turn/completed give turn.started and turn.ended with the same turn_id" {
    norm appserver-two-turns
    [ "$(jq -sc '[.[] | select(.type == "turn.started") | .data.turn_id]' out.jsonl)" = \
      "$(jq -sc '[.[] | select(.type == "turn.ended") | .data.turn_id]' out.jsonl)" ]
    [ "$(count '.type == "turn.ended"')" = 2 ]
    [ "$(jq -sc '[.[] | select(.type == "turn.ended") | .data.metadata.status]' out.jsonl)" = '["completed","completed"]' ]
}

@test "codex app-server: an interrupted turn ends with metadata status interrupted" {
    norm appserver-interrupt
    [ "$(jq -r 'select(.type == "turn.ended") | .data.metadata.status' out.jsonl)" = interrupted ]
}

@test "codex app-server: agent message deltas add up to the completed text" {
    for f in appserver-two-turns appserver-filechange appserver-resume; do
        norm "$f"
        bad=$(jq -sc '
            (map(select(.type == "item.delta")) | group_by(.data.item_id)
             | map({key: .[0].data.item_id, value: (map(.data.delta) | join(""))}) | from_entries) as $d
            | [.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant")
               | .data.item | select(([.content[] | select(.type == "text") | .text] | join("\n")) != ($d[.item_id] // ""))
               | .item_id]' out.jsonl)
        [ "$bad" = "[]" ] || { echo "$f: $bad"; false; }
    done
}

@test "codex app-server: the user's message is a message/user item" {
    norm appserver-two-turns
    [ "$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.role == "user") | .data.item.content[0].text]' out.jsonl)" = \
      '["RUN: touch one.txt","RUN: touch two.txt"]' ]
}

@test "codex app-server: thread/tokenUsage/updated lands in turn.ended usage, per turn" {
    norm appserver-two-turns
    [ "$(jq -sc '[.[] | select(.type == "turn.ended") | .data.usage | [.input_tokens, .output_tokens, .cache_read_tokens, .reasoning_tokens, .cost_usd]]' out.jsonl)" = \
      '[[20,10,0,0,null],[20,10,0,0,null]]' ]
}

@test "codex app-server: the usage codex repeats on thread/resume is not counted in the next turn" {
    norm appserver-resume
    [ "$(jq -c 'select(.type == "turn.ended") | .data.usage | [.input_tokens, .output_tokens]' out.jsonl)" = '[20,10]' ]
}

@test "codex app-server: a repeated token report (same running total) is counted once" {
    u='{"method":"thread/tokenUsage/updated","params":{"threadId":"t","turnId":"u","tokenUsage":{"total":{"totalTokens":15,"inputTokens":10,"cachedInputTokens":2,"cacheWriteInputTokens":0,"outputTokens":5,"reasoningOutputTokens":1},"last":{"totalTokens":15,"inputTokens":10,"cachedInputTokens":2,"cacheWriteInputTokens":0,"outputTokens":5,"reasoningOutputTokens":1}}}}'
    printf '%s\n' '{"method":"turn/started","params":{"threadId":"t","turn":{"id":"u","items":[],"status":"inProgress"}}}' \
        "$u" "$u" '{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"u","items":[],"status":"completed"}}}' | norm_lines
    [ "$(jq -c 'select(.type == "turn.ended") | .data.usage' out.jsonl)" = \
      '{"input_tokens":10,"output_tokens":5,"cache_read_tokens":2,"cache_write_tokens":0,"reasoning_tokens":1,"cost_usd":null}' ]
}

@test "codex exec --json: turn.completed usage lands in turn.ended" {
    norm exec-resume
    [ "$(jq -c 'select(.type == "turn.ended") | .data.usage' out.jsonl)" = \
      '{"input_tokens":40,"output_tokens":20,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":0,"cost_usd":null}' ]
}

@test "codex exec --json: running totals become per-turn usage when the earlier turn was seen" {
    cat "$FIX/exec-command.jsonl" "$FIX/exec-resume.jsonl" | norm_lines
    [ "$(jq -sc '[.[] | select(.type == "turn.ended") | .data.usage.input_tokens]' out.jsonl)" = '[20,20]' ]
}

@test "codex: every turn.ended carries a usage object, all null when codex reports none" {
    for f in $(fixtures); do
        norm "$f"
        [ "$(count '.type == "turn.ended" and (.data.usage | type) != "object"')" = 0 ]
    done
    norm appserver-error400
    [ "$(jq -c 'select(.type == "turn.ended") | [.data.usage[]] | unique' out.jsonl)" = '[null]' ]
}

@test "codex app-server: model/list response becomes a status item listing the models" {
    norm appserver-model-list
    [ "$(jq -r 'select(.type == "item.completed") | .data.item.content[0] | select(.label == "model/list") | .detail | fromjson | .data[0].id' out.jsonl)" = gpt-6.1-sol ]
}

@test "codex app-server: initialize and turn/start results give no event" {
    printf '%s\n' '{"id":1,"result":{"userAgent":"x"},"sa_method":"initialize"}' \
        '{"id":3,"result":{"turn":{"id":"u","items":[],"status":"inProgress"}},"sa_method":"turn/start"}' \
        '{"id":4,"result":{},"sa_method":"turn/interrupt"}' | norm_lines
    [ "$(wc -l < out.jsonl)" = 1 ]
}

@test "codex app-server: a JSON-RPC error response becomes an error event jsonrpc.error with the error as details" {
    echo '{"id":5,"error":{"code":-32600,"message":"thread not found: x"},"sa_method":"thread/resume"}' | norm_lines
    [ "$(jq -c 'select(.type == "error") | .data' out.jsonl)" = \
      '{"message":"thread not found: x","code":"jsonrpc.error","details":{"code":-32600,"message":"thread not found: x"}}' ]
}

@test "codex app-server: an error notification that will be retried is a status item, not an error" {
    echo '{"method":"error","params":{"error":{"message":"stream disconnected"},"willRetry":true,"threadId":"t","turnId":"u"}}' | norm_lines
    [ "$(count '.type == "error"')" = 0 ]
    [ "$(jq -r 'select(.type == "item.completed") | .data.item.content[0] | .label + "=" + .detail' out.jsonl)" = "error (retrying)=stream disconnected" ]
}

@test "codex app-server: warnings, configWarning and deprecationNotice are status items carrying their text" {
    norm appserver-permissions
    [ "$(jq -r 'select(.type == "item.completed") | .data.item.content[0] | select(.label == "warning") | .detail' out.jsonl)" = \
      "$(jq -r 'select(.method == "warning") | .params.message' "$FIX/appserver-permissions.jsonl")" ]
    norm appserver-resume
    [ "$(jq -r 'select(.type == "item.completed") | .data.item.content[0] | select(.label == "deprecationNotice") | .detail' out.jsonl)" = \
      "$(jq -r 'select(.method == "deprecationNotice") | .params.summary' "$FIX/appserver-resume.jsonl")" ]
    [ "$(count '.type == "item.completed" and .data.item.content[0].label == "configWarning"')" = 1 ]
}

@test "codex app-server: a notification without its own rule is a status item labelled by the method with the params as detail" {
    echo '{"method":"thread/name/updated","params":{"threadId":"t","name":"hello"}}' | norm_lines
    [ "$(jq -c 'select(.type == "item.completed") | .data.item | [.kind, .content[0].label, .content[0].detail]' out.jsonl)" = \
      '["status","thread/name/updated","{\"threadId\":\"t\",\"name\":\"hello\"}"]' ]
}

@test "codex app-server: serverRequest/resolved gives no event" {
    echo '{"method":"serverRequest/resolved","params":{"threadId":"t","requestId":0}}' | norm_lines
    [ "$(wc -l < out.jsonl)" = 1 ]
}

@test "codex app-server: server requests sa-spawn refuses (item/tool/call ...) are status items" {
    printf '%s\n' '{"id":7,"method":"item/tool/call","params":{"threadId":"t","turnId":"u","callId":"c","tool":"x","arguments":{}}}' \
        '{"id":8,"method":"account/chatgptAuthTokens/refresh","params":{}}' | norm_lines
    [ "$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[0].label]' out.jsonl)" = \
      '["request: item/tool/call","request: account/chatgptAuthTokens/refresh"]' ]
}

@test "codex app-server: legacy execCommandApproval is a commandExecution permission request keyed by conversationId" {
    echo '{"id":3,"method":"execCommandApproval","params":{"conversationId":"t","callId":"c1","command":["touch","x"],"cwd":"/w","parsedCmd":[],"reason":null}}' | norm_lines
    [ "$(jq -c 'select(.type == "permission.requested") | .data | [.permission_id, .action, .metadata.command, .metadata.codexMethod]' out.jsonl)" = \
      '["t:3","commandExecution","touch x","execCommandApproval"]' ]
}

@test "codex app-server: an MCP elicitation is a question with the enum options" {
    echo '{"id":9,"method":"mcpServer/elicitation/request","params":{"threadId":"t","turnId":"u","serverName":"s","mode":"form","message":"Pick one","requestedSchema":{"type":"object","properties":{"c":{"type":"string","enum":["a","b"]}}}}}' | norm_lines
    [ "$(jq -c 'select(.type == "question.requested") | .data | [.question_id, .prompt, .options]' out.jsonl)" = '["u:9","Pick one",["a","b"]]' ]
}

@test "codex app-server: reasoning summary is public, content private, and its deltas go to the item" {
    printf '%s\n' '{"method":"item/started","params":{"threadId":"t","turnId":"u","item":{"type":"reasoning","id":"rs1","summary":[],"content":[]}}}' \
        '{"method":"item/reasoning/summaryTextDelta","params":{"threadId":"t","turnId":"u","itemId":"rs1","delta":"Plan","summaryIndex":0}}' \
        '{"method":"item/reasoning/textDelta","params":{"threadId":"t","turnId":"u","itemId":"rs1","delta":"raw","contentIndex":0}}' \
        '{"method":"item/completed","params":{"threadId":"t","turnId":"u","item":{"type":"reasoning","id":"rs1","summary":["Plan"],"content":["raw"]}}}' | norm_lines
    valid
    [ "$(jq -sc '[.[] | select(.type == "item.delta") | .data.item_id] | unique' out.jsonl)" = '["itm_1"]' ]
    [ "$(jq -c 'select(.type == "item.completed") | .data.item | [.kind, .role, [.content[] | .visibility + ":" + .text]]' out.jsonl)" = \
      '["message","assistant",["public:Plan","private:raw"]]' ]
}

@test "codex app-server: command output deltas stream into the tool_result item" {
    printf '%s\n' '{"method":"item/started","params":{"threadId":"t","turnId":"u","item":{"type":"commandExecution","id":"c1","command":"ls","cwd":"/w","commandActions":[],"status":"inProgress"}}}' \
        '{"method":"item/commandExecution/outputDelta","params":{"threadId":"t","turnId":"u","itemId":"c1","delta":"a\n"}}' \
        '{"method":"item/commandExecution/outputDelta","params":{"threadId":"t","turnId":"u","itemId":"c1","delta":"b\n"}}' \
        '{"method":"item/completed","params":{"threadId":"t","turnId":"u","item":{"type":"commandExecution","id":"c1","command":"ls","cwd":"/w","commandActions":[],"status":"failed","aggregatedOutput":"a\nb\n","exitCode":2}}}' | norm_lines
    valid
    [ "$(jq -sc 'map(select(.type | startswith("item."))) | map([.type, (.data.item.kind // .data.delta), (.data.item.item_id // .data.item_id)])' out.jsonl)" = \
      '[["item.started","tool_call","itm_1"],["item.completed","tool_call","itm_1"],["item.started","tool_result","itm_2"],["item.delta","a\n","itm_2"],["item.delta","b\n","itm_2"],["item.completed","tool_result","itm_2"]]' ]
    [ "$(jq -c 'select(.type == "item.completed" and .data.item.kind == "tool_result") | .data.item | [.status, .content[0].output, .content[1].json.exitCode]' out.jsonl)" = '["failed","a\nb\n",2]' ]
}

@test "codex app-server: MCP, dynamic tool, web search, image view and collab items are tool_call + tool_result pairs" {
    for it in '{"type":"mcpToolCall","id":"m1","server":"fs","tool":"read","arguments":{"p":1},"status":"inProgress"}|{"type":"mcpToolCall","id":"m1","server":"fs","tool":"read","arguments":{"p":1},"status":"completed","result":{"content":[{"type":"text","text":"hi"}]}}|fs.read|hi' \
              '{"type":"dynamicToolCall","id":"d1","tool":"t","namespace":"ns","arguments":{},"status":"inProgress"}|{"type":"dynamicToolCall","id":"d1","tool":"t","namespace":"ns","arguments":{},"status":"completed","contentItems":[{"type":"inputText","text":"ok"}],"success":true}|ns.t|ok' \
              '{"type":"webSearch","id":"w1","query":"sa"}|{"type":"webSearch","id":"w1","query":"sa"}|web_search|sa' \
              '{"type":"imageView","id":"i1","path":"/w/a.png"}|{"type":"imageView","id":"i1","path":"/w/a.png"}|view_image|/w/a.png' \
              '{"type":"collabAgentToolCall","id":"k1","tool":"spawnAgent","prompt":"go","senderThreadId":"t","receiverThreadIds":[],"agentsStates":{},"status":"inProgress"}|{"type":"collabAgentToolCall","id":"k1","tool":"spawnAgent","prompt":"go","senderThreadId":"t","receiverThreadIds":[],"agentsStates":{},"status":"completed"}|spawnAgent|{}'; do
        IFS='|' read -r s c name out <<< "$it"
        printf '{"method":"item/started","params":{"threadId":"t","turnId":"u","item":%s}}\n{"method":"item/completed","params":{"threadId":"t","turnId":"u","item":%s}}\n' "$s" "$c" | norm_lines
        valid
        got=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item | [.kind, .content[0].name // .content[0].output, .status]]' out.jsonl)
        want=$(jq -nc --arg n "$name" --arg o "$out" '[["tool_call",$n,"completed"],["tool_result",$o,"completed"]]')
        [ "$got" = "$want" ] || { echo "$name: $got"; false; }
    done
}

@test "codex exec --json: an error item (unknown model) is an error event carrying the message" {
    echo '{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `fake-model` not found. Defaulting to fallback metadata."}}' | norm_lines
    [ "$(jq -c 'select(.type == "error") | .data | [.message, .code]' out.jsonl)" = \
      '["Model metadata for `fake-model` not found. Defaulting to fallback metadata.","codex.item_error"]' ]
}

@test "codex exec --json: a file change (completion only) gives both the tool_call and the tool_result" {
    echo '{"type":"item.completed","item":{"id":"item_3","type":"file_change","changes":[{"path":"/w/a.txt","kind":"update"},{"path":"/w/b.txt","kind":"delete"}],"status":"completed"}}' | norm_lines
    valid
    [ "$(jq -sc '[.[] | select(.type == "item.completed") | .data.item | [.kind, ([.content[] | select(.type == "file_ref") | .action] | join(","))]]' out.jsonl)" = \
      '[["tool_call",""],["tool_result","patch,patch"]]' ]
}

@test "codex: a line that is neither JSON-RPC nor a codex exec event is agent.unparsed" {
    printf '%s\n' '{"hello":"world"}' '[1,2]' 'not json' | norm_lines
    [ "$(count '.type == "agent.unparsed"')" = 3 ]
}
