#!/usr/bin/env bats
# normalize_todos.bats — todo lists in sa-normalize: each agent's todo tools
# and events become status items labelled todo.updated whose json part is
# {"todos":[{content, status, priority?}]}, the whole current list each
# time (sa-normalize/nz_todo.c; sa-events(7) TODO LISTS).  Sources:
# tests/fixtures/claude/tasks.jsonl (recorded from the real Claude Code
# 2.1.197, see tasks.README), tests/fixtures/opencode/serve-todo.jsonl
# (recorded from the real OpenCode 1.18.33 serve through sa-spawn, a
# todowrite call), and hand-written lines: codex's turn/plan/updated in the
# shape of the pinned codex 0.169's own schema (`codex app-server
# generate-json-schema`: TurnPlanUpdatedNotification {threadId, turnId,
# explanation, plan: [{step, status: pending|inProgress|completed}]}),
# claude's older TodoWrite, opencode run's tool part.  One property per test.

setup() { cd "$BATS_TEST_TMPDIR"; }

# lists AGENT [FLAGS] < native — the todos of each todo.updated item, as one JSON array
lists() {
    local a=$1; shift
    sa-normalize --agent "$a" --session s1 "$@" > out.jsonl
    jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "status"
                          and .data.item.content[0].label == "todo.updated") | .data.item.content[1].json.todos]' out.jsonl
}
count() { jq -s "[.[] | select($1)] | length" out.jsonl; }

S='"session_id":"c0ffee00-0000-4000-8000-000000000001"'
CTURN='{"sa":"turn","turn":1,"message":"x","attachments":[]}'
tool_use() { printf '{"type":"assistant","message":{"id":"m%s","role":"assistant","content":[{"type":"tool_use","id":"%s","name":"%s","input":%s}]},%s}\n' "$1" "$1" "$2" "$3" "$S"; }
tool_res() { printf '{"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result","content":"x"%s}]},%s,"tool_use_result":%s}\n' "$1" "${3:-}" "$S" "$2"; }

@test "todos claude (recorded from the real CLI): TaskCreate, TaskUpdate, TaskList and a delete give the hand-written lists" {
    got=$(lists claude < "$SA_TOP/tests/fixtures/claude/tasks.jsonl")
    [ "$got" = "$(jq -c . "$SA_TOP/tests/fixtures/claude/tasks.todos.expected.json")" ]
}

@test "todos claude (recorded from the real CLI): the events pass the schema checker with no agent.unparsed" {
    lists claude < "$SA_TOP/tests/fixtures/claude/tasks.jsonl" >/dev/null
    [ "$(count '.type == "agent.unparsed"')" = 0 ]
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

@test "todos claude (recorded from the real CLI): a todo.updated item is a completed status item with a status part and a json part" {
    lists claude < "$SA_TOP/tests/fixtures/claude/tasks.jsonl" >/dev/null
    jq -se '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "todo.updated")][0].data.item
            | .kind == "status" and .role == "system" and .status == "completed"
              and .content[0] == {"type":"status","label":"todo.updated","detail":"0/1 completed"}
              and .content[1].type == "json"' out.jsonl
}

@test "todos claude (hand-written lines): TodoWrite's input is the whole list" {
    got=$({ echo "$CTURN"; tool_use t1 TodoWrite '{"todos":[{"content":"a","status":"completed","activeForm":"A"},{"content":"b","status":"in_progress","activeForm":"B"},{"content":"c","status":"pending","activeForm":"C"}]}'; } | lists claude)
    [ "$got" = '[[{"content":"a","status":"completed"},{"content":"b","status":"in_progress"},{"content":"c","status":"pending"}]]' ]
}

@test "todos claude (hand-written lines): a TaskCreate whose result failed (is_error) adds no task" {
    got=$({ echo "$CTURN"; tool_use t1 TaskCreate '{"subject":"a","description":"d"}'; tool_res t1 '{"task":{"id":"1","subject":"a"}}' ',"is_error":true'; } | lists claude)
    [ "$got" = '[]' ]
}

@test "todos claude (hand-written lines): a TaskUpdate that says success false changes nothing" {
    got=$({ echo "$CTURN"; tool_use t1 TaskCreate '{"subject":"a","description":"d"}'; tool_res t1 '{"task":{"id":"1","subject":"a"}}'
            tool_use t2 TaskUpdate '{"taskId":"1","status":"completed"}'; tool_res t2 '{"success":false,"taskId":"1"}'; } | lists claude)
    [ "$got" = '[[{"content":"a","status":"pending"}]]' ]
}

@test "todos claude (hand-written lines): a TaskUpdate with a new subject renames the task" {
    got=$({ echo "$CTURN"; tool_use t1 TaskCreate '{"subject":"a","description":"d"}'; tool_res t1 '{"task":{"id":"1","subject":"a"}}'
            tool_use t2 TaskUpdate '{"taskId":"1","subject":"b","status":"in_progress"}'; tool_res t2 '{"success":true,"taskId":"1","updatedFields":["subject","status"]}'; } | lists claude)
    [ "$got" = '[[{"content":"a","status":"pending"}],[{"content":"b","status":"in_progress"}]]' ]
}

@test "todos claude (hand-written lines): a TaskList result replaces the list (tasks sa-normalize had not seen)" {
    got=$({ echo "$CTURN"; tool_use t1 TaskList '{}'; tool_res t1 '{"tasks":[{"id":"7","subject":"x","status":"in_progress","blockedBy":[]}]}'; } | lists claude)
    [ "$got" = '[[{"content":"x","status":"in_progress"}]]' ]
}

CX_PLAN='{"method":"turn/plan/updated","params":{"threadId":"th1","turnId":"tu1","explanation":"two steps","plan":[{"step":"Write tests","status":"inProgress"},{"step":"Fix bug","status":"pending"}]}}'

@test "todos codex (hand-written from the CLI's schema): turn/plan/updated is the list, inProgress as in_progress" {
    got=$(echo "$CX_PLAN" | lists codex)
    [ "$got" = '[[{"content":"Write tests","status":"in_progress"},{"content":"Fix bug","status":"pending"}]]' ]
}

@test "todos codex (hand-written from the CLI's schema): the turn/plan/updated status item of v0.1.11 stays" {
    echo "$CX_PLAN" | lists codex >/dev/null
    [ "$(count '.type == "item.completed" and .data.item.content[0].label == "turn/plan/updated"')" = 1 ]
}

@test "todos codex exec (hand-written lines): a todo_list item's items are the list, completed or pending" {
    got=$(echo '{"type":"item.completed","item":{"id":"item_1","type":"todo_list","items":[{"text":"a","completed":true},{"text":"b","completed":false}]}}' | lists codex)
    [ "$got" = '[[{"content":"a","status":"completed"},{"content":"b","status":"pending"}]]' ]
}

@test "todos opencode (recorded from the real CLI): the todo.updated event is the list, priorities kept" {
    got=$(lists opencode < "$SA_TOP/tests/fixtures/opencode/serve-todo.jsonl")
    [ "$got" = '[[{"content":"Write tests","status":"in_progress","priority":"high"},{"content":"Fix bug","status":"pending","priority":"low"}]]' ]
}

@test "todos opencode (recorded from the real CLI): the events pass the schema checker with no agent.unparsed" {
    lists opencode < "$SA_TOP/tests/fixtures/opencode/serve-todo.jsonl" >/dev/null
    [ "$(count '.type == "agent.unparsed"')" = 0 ]
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

@test "todos opencode run (hand-written lines): a completed todowrite tool part is the list" {
    got=$(echo '{"type":"tool_use","timestamp":1,"sessionID":"ses_1","part":{"type":"tool","tool":"todowrite","callID":"c1","state":{"status":"completed","input":{"todos":[{"content":"a","status":"completed","priority":"medium"}]},"output":"[]","metadata":{},"title":"1 todos","time":{"start":1,"end":2}},"id":"prt_1","sessionID":"ses_1","messageID":"msg_1"}}' | lists opencode)
    [ "$got" = '[[{"content":"a","status":"completed","priority":"medium"}]]' ]
}
