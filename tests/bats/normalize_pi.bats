#!/usr/bin/env bats
# normalize_pi.bats — sa-normalize --agent pi (sa-normalize/agents/pi.jq plus
# the C rules): real pi 0.73.1 captures in tests/fixtures/pi (rpc-*: what
# sa-spawn --agent pi wrote, pi's lines and sa-spawn's {"sa":...} lines, as
# sa-normalize reads them in the pipeline; json-*: `pi --mode json`), three
# of them against hand-written expected events, and small hand-made lines for
# what the captures do not show (thinking blocks, retries, compaction, queue
# updates, extension errors, refused commands).  One property per test.

FIX="$SA_TOP/tests/fixtures/pi"

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# norm FIXTURE [FLAGS...] — normalize the fixture into out.jsonl
norm() {
    local f=$1; shift
    sa-normalize --agent pi --session s1 "$@" < "$FIX/$f.jsonl" > out.jsonl
}

# norm_lines — normalize standard input into out.jsonl
norm_lines() { sa-normalize --agent pi --session s1 > out.jsonl; }

# compare EXPECTED — out.jsonl minus time/raw must equal the expected file
compare() {
    jq -c 'del(.time, .raw)' out.jsonl > got.jsonl
    jq -c . "$1" > want.jsonl
    diff -u want.jsonl got.jsonl
}

valid() { sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl; }
count() { jq -s "[.[] | select($1)] | length" out.jsonl; }
fixtures() { for f in "$FIX"/*.jsonl; do case $f in *.expected.jsonl) ;; *) basename "$f" .jsonl;; esac; done; }
items_of() { jq -sc "[.[] | select(.type == \"item.completed\" and .data.item.kind == \"$1\") | .data.item]" out.jsonl; }

# a message_update line of assistant message TS, event JSON E
upd() { printf '{"type":"message_update","message":{"role":"assistant","content":[],"timestamp":%s},"assistantMessageEvent":%s}\n' "$1" "$2"; }

# ---- the captures ----

@test "pi: the fixtures are there (rpc and json captures)" {
    [ "$(fixtures | grep -c '^rpc-')" -ge 10 ]
    [ "$(fixtures | grep -c '^json-')" -ge 2 ]
}

@test "pi rpc: bash allowed once gives the hand-written events" {
    norm rpc-bash-once
    compare "$FIX/rpc-bash-once.expected.jsonl"
}

@test "pi --mode json: bash run gives the hand-written events" {
    norm json-bash
    compare "$FIX/json-bash.expected.jsonl"
}

@test "pi rpc: FAIL400 gives the hand-written events" {
    norm rpc-error400
    compare "$FIX/rpc-error400.expected.jsonl"
}

@test "pi: no agent.unparsed in any fixture" {
    for f in $(fixtures); do
        norm "$f"
        n=$(count '.type == "agent.unparsed"')
        [ "$n" = 0 ] || { echo "$f: $n agent.unparsed"; false; }
    done
}

@test "pi: every fixture's events pass the schema checker" {
    for f in $(fixtures); do
        norm "$f"
        valid || { echo "in $f"; false; }
    done
}

@test "pi: every tool_call in every fixture has its tool_result (same call_id)" {
    for f in $(fixtures); do
        norm "$f"
        jq -se '[.[] | select(.type == "item.completed") | .data.item.content[]?] as $p
                | ([$p[] | select(.type == "tool_call") | .call_id] | sort)
                  == ([$p[] | select(.type == "tool_result") | .call_id] | sort)' out.jsonl >/dev/null ||
            { echo "in $f"; false; }
    done
}

@test "pi: every permission and question requested in a fixture is resolved" {
    for f in $(fixtures); do
        norm "$f"
        jq -se '([.[] | select(.type == "permission.requested") | .data.permission_id] | sort)
                  == ([.[] | select(.type == "permission.resolved") | .data.permission_id] | sort)
                and ([.[] | select(.type == "question.requested") | .data.question_id] | sort)
                  == ([.[] | select(.type == "question.resolved") | .data.question_id] | sort)' out.jsonl >/dev/null ||
            { echo "in $f"; false; }
    done
}

@test "pi: one turn.started and one turn.ended per prompt (two-turn fixture)" {
    norm rpc-two-turns
    [ "$(count '.type == "turn.started"')" = 2 ]
    [ "$(count '.type == "turn.ended"')" = 2 ]
}

@test "pi: deltas add up to the completed assistant text" {
    norm rpc-two-turns
    jq -s '[.[] | select(.type == "item.delta")] | group_by(.data.item_id)
           | map({key: .[0].data.item_id, value: (map(.data.delta) | join(""))}) | from_entries' out.jsonl > d.json
    jq -s '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant")
            | {key: .data.item.item_id, value: (.data.item.content | map(.text) | join(""))}] | from_entries' out.jsonl > c.json
    jq -e 'length > 0' d.json
    jq -e --slurpfile c c.json 'to_entries | all(.value == $c[0][.key])' d.json
}

# ---- mapping details ----

@test "pi: the user's prompt is a completed message/user item with its text" {
    norm rpc-bash-once
    items_of message | jq -e 'map(select(.role == "user"))[0].content == [{"type": "text", "text": "Please run it. RUN: echo pi-once"}]'
}

@test "pi: the tool call's arguments are the JSON of its input" {
    norm rpc-bash-once
    items_of tool_call | jq -e '.[0].content[0] | .name == "bash" and (.arguments | fromjson) == {"command": "echo pi-once"}'
}

@test "pi: the gate's request is permission.requested with action = the tool and its input in metadata" {
    norm rpc-bash-once
    jq -se 'map(select(.type == "permission.requested"))[0].data
            | .action == "bash" and .metadata.tool == "bash" and .metadata.input == {"command": "echo pi-once"}
              and (.metadata.toolCallId | startswith("call_"))' out.jsonl
}

@test "pi: a rejected command's tool_result is failed with the gate's reason" {
    norm rpc-bash-reject
    items_of tool_result | jq -e '.[0].status == "failed" and .[0].content[0].output == "Permission denied by the user."'
}

@test "pi: a rejected permission resolves reject" {
    norm rpc-bash-reject
    jq -se 'map(select(.type == "permission.resolved"))[0].data.status == "reject"' out.jsonl
}

@test "pi: always is remembered: the second command's request resolves by itself" {
    norm rpc-always
    [ "$(count '.type == "permission.requested"')" = 2 ]
    [ "$(count '.type == "permission.resolved" and .data.status == "accept_for_session"')" = 2 ]
    [ "$(grep -c '"by":"always"' "$FIX/rpc-always.jsonl")" = 1 ]
}

@test "pi: the question tool is question.requested with its prompt and option labels" {
    norm rpc-question-answer
    jq -se 'map(select(.type == "question.requested"))[0].data
            | .prompt == "Which color?" and .options == ["Red", "Blue"] and .status == "requested"' out.jsonl
}

@test "pi: an answered question resolves answered with the answer" {
    norm rpc-question-answer
    jq -se 'map(select(.type == "question.resolved"))[0].data | .status == "answered" and .response == "Blue"' out.jsonl
}

@test "pi: the answered question's tool_result carries the answer" {
    norm rpc-question-answer
    items_of tool_result | jq -e '.[0].status == "completed" and (.[0].content[0].output | contains("Which color?: Blue"))'
}

@test "pi: a rejected question resolves rejected and its tool_result is failed" {
    norm rpc-question-reject
    jq -se 'map(select(.type == "question.resolved"))[0].data.status == "rejected"' out.jsonl
    items_of tool_result | jq -e '.[0].status == "failed"'
}

@test "pi: another extension's select is a question with its options" {
    norm rpc-dialogs
    jq -se 'map(select(.type == "question.requested"))[0].data | .prompt == "Pick a letter" and .options == ["alpha", "beta"]' out.jsonl
}

@test "pi: another extension's confirm is a question with Yes and No, title and message in the prompt" {
    norm rpc-dialogs
    jq -se 'map(select(.type == "question.requested"))[1].data | .prompt == "Proceed?\nSay yes or no" and .options == ["Yes", "No"]' out.jsonl
}

@test "pi: another extension's input and editor are questions without options" {
    norm rpc-dialogs
    jq -se 'map(select(.type == "question.requested"))[2:4] | map(.data | [.prompt, .options])
            == [["Type a word", []], ["Edit the text", []]]' out.jsonl
}

@test "pi: the answers reached the other extension (select, confirm, input answered; editor rejected)" {
    norm rpc-dialogs
    items_of tool_result | jq -e '.[0].content[0].output == "select=beta; confirm=true; input=typed; editor=undefined"'
}

@test "pi: fire-and-forget dialogs (notify, setStatus, setWidget, setTitle) are status items" {
    norm rpc-dialogs
    items_of status | jq -e 'map(.content[0].label) == ["pi.notify", "pi.setStatus", "pi.setWidget", "pi.setTitle"]'
    items_of status | jq -e '.[0].content[0].detail == "info: dialogs coming"'
}

@test "pi: a model error is an error event with errorMessage and code pi.model_error" {
    norm rpc-error400
    jq -se 'map(select(.type == "error"))[0].data | .code == "pi.model_error" and (.message | contains("FAIL400"))' out.jsonl
}

@test "pi: a model error's turn.ended says status failed" {
    norm rpc-error400
    jq -se 'map(select(.type == "turn.ended"))[0].data.metadata == {"stop_reason": "error", "status": "failed"}' out.jsonl
}

@test "pi --mode json: a model error is an error event too" {
    norm json-error400
    [ "$(count '.type == "error" and .data.code == "pi.model_error"')" = 1 ]
}

@test "pi: turn.ended carries the turn's usage, summed over its model calls" {
    norm rpc-bash-once
    jq -se 'map(select(.type == "turn.ended"))[0].data.usage | .input_tokens == 20 and .output_tokens == 10' out.jsonl
}

@test "pi: the native session id comes from get_state's response (rpc)" {
    norm rpc-bash-once
    sid=$(grep '"command":"get_state"' "$FIX/rpc-bash-once.jsonl" | jq -r .data.sessionId)
    [ -n "$sid" ]
    [ "$(jq -r 'select(.type == "turn.ended") | .native_session_id' out.jsonl)" = "$sid" ]
}

@test "pi --mode json: the native session id comes from the session header" {
    norm json-bash
    sid=$(head -1 "$FIX/json-bash.jsonl" | jq -r .id)
    [ "$(jq -r 'select(.type == "turn.ended") | .native_session_id' out.jsonl)" = "$sid" ]
}

@test "pi: a cancelled turn's open dialog resolves reject by cancel and an aborted status item follows" {
    norm rpc-cancel
    jq -se 'map(select(.type == "permission.resolved"))[0].data.status == "reject"' out.jsonl
    items_of status | jq -e 'map(.content[0].label) | index("aborted") != null'
}

@test "pi: plan mode offers no bash: the turn has no tool call" {
    norm rpc-plan
    [ "$(count '.type == "item.completed" and .data.item.kind == "tool_call"')" = 0 ]
    grep -q '"--tools","read,grep,find,ls,question"' "$FIX/rpc-plan.jsonl"
}

@test "pi: acceptEdits writes without asking and asks before bash" {
    norm rpc-accept-edits
    jq -se '[.[] | select(.type == "permission.requested") | .data.action] == ["bash"]' out.jsonl
    items_of tool_call | jq -e 'map(.content[0].name) == ["write", "bash"]'
}

@test "pi: a resumed run (--session) keeps the native session id of the first" {
    grep -q '"--session","' "$FIX/rpc-resume.jsonl"
    sid=$(grep '"command":"get_state"' "$FIX/rpc-resume.jsonl" | jq -r .data.sessionId)
    grep -q "\"--session\",\"$sid\"" "$FIX/rpc-resume.jsonl"
}

# ---- hand-made lines for what the captures do not show ----

@test "pi: a thinking block is a message item with a public reasoning part, deltas included" {
    { upd 7 '{"type":"thinking_start","contentIndex":0}'
      upd 7 '{"type":"thinking_delta","contentIndex":0,"delta":"hmm "}'
      upd 7 '{"type":"thinking_delta","contentIndex":0,"delta":"ok"}'
      upd 7 '{"type":"thinking_end","contentIndex":0,"content":"hmm ok"}'; } | norm_lines
    valid
    items_of message | jq -e '.[0].content == [{"type": "reasoning", "text": "hmm ok", "visibility": "public"}] and .[0].native_item_id == "7:0"'
    [ "$(count '.type == "item.delta"')" = 2 ]
}

@test "pi: two content blocks of one message are two items (native ids by contentIndex)" {
    { upd 9 '{"type":"text_start","contentIndex":0}'
      upd 9 '{"type":"text_end","contentIndex":0,"content":"one"}'
      upd 9 '{"type":"text_start","contentIndex":1}'
      upd 9 '{"type":"text_end","contentIndex":1,"content":"two"}'; } | norm_lines
    items_of message | jq -e 'map(.native_item_id) == ["9:0", "9:1"] and map(.content[0].text) == ["one", "two"]'
}

@test "pi: auto_retry_start is a status item saying attempt, delay and error" {
    echo '{"type":"auto_retry_start","attempt":1,"maxAttempts":3,"delayMs":2000,"errorMessage":"529 overloaded"}' | norm_lines
    valid
    items_of status | jq -e '.[0].content[0] == {"type": "status", "label": "retry", "detail": "attempt 1/3 in 2000ms: 529 overloaded"}'
}

@test "pi: auto_retry_end is a status item retry.succeeded or retry.failed" {
    { echo '{"type":"auto_retry_end","success":true,"attempt":2}'
      echo '{"type":"auto_retry_end","success":false,"attempt":3,"finalError":"529 gone"}'; } | norm_lines
    items_of status | jq -e 'map(.content[0] | [.label, .detail]) == [["retry.succeeded", "attempt 2"], ["retry.failed", "529 gone"]]'
}

@test "pi: compaction start and end are status items" {
    { echo '{"type":"compaction_start","reason":"threshold"}'
      echo '{"type":"compaction_end","reason":"threshold","result":{"summary":"s","tokensBefore":150000},"aborted":false,"willRetry":false}'; } | norm_lines
    valid
    items_of status | jq -e 'map(.content[0].label) == ["compaction_start", "compaction"] and (.[1].content[0].detail | fromjson | .tokensBefore == 150000)'
}

@test "pi: a failed compaction is an error event pi.compaction_failed" {
    echo '{"type":"compaction_end","reason":"manual","result":null,"aborted":false,"willRetry":false,"errorMessage":"quota exceeded"}' | norm_lines
    jq -se '.[-1] | .type == "error" and .data.code == "pi.compaction_failed" and .data.message == "quota exceeded"' out.jsonl
}

@test "pi: queue_update is a status item with the queues" {
    echo '{"type":"queue_update","steering":["a"],"followUp":[]}' | norm_lines
    items_of status | jq -e '.[0].content[0].label == "queue" and (.[0].content[0].detail | fromjson) == {"steering": ["a"], "followUp": []}'
}

@test "pi: extension_error is an error event pi.extension_error naming the extension" {
    echo '{"type":"extension_error","extensionPath":"/x/gate.ts","event":"tool_call","error":"boom"}' | norm_lines
    jq -se '.[-1].data | .code == "pi.extension_error" and .message == "extension /x/gate.ts failed in tool_call: boom"' out.jsonl
}

@test "pi: a refused command (response success false) is an error event pi.command_failed" {
    echo '{"id":"sa-turn-1","type":"response","command":"prompt","success":false,"error":"Agent is busy"}' | norm_lines
    jq -se '.[-1].data | .code == "pi.command_failed" and .message == "Agent is busy" and .details.command == "prompt"' out.jsonl
}

@test "pi: an aborted assistant message is a status item aborted" {
    echo '{"type":"message_end","message":{"role":"assistant","content":[],"stopReason":"aborted","timestamp":5}}' | norm_lines
    items_of status | jq -e '.[0].content[0].label == "aborted"'
}

@test "pi: an unknown event type is a status item pi.<type>, not agent.unparsed" {
    echo '{"type":"brand_new_event","x":1}' | norm_lines
    [ "$(count '.type == "agent.unparsed"')" = 0 ]
    items_of status | jq -e '.[0].content[0].label == "pi.brand_new_event"'
}

@test "pi: a line that is not a pi event is agent.unparsed" {
    { echo '[1,2]'; echo '{"no":"type"}'; echo 'not json'; } | norm_lines
    [ "$(count '.type == "agent.unparsed"')" = 3 ]
}
