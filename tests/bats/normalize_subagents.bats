#!/usr/bin/env bats
# normalize_subagents.bats — subagents in sa-normalize: every item a
# subagent produces has parent_id = the tool_call item that started it, its
# messages are items of their own (never the parent's assistant text), and
# each start and end is a status item labelled subagent.updated whose json
# part is {"subagent":{id, name, description, status, parent_item_id}}
# (sa-normalize/nz_subagent.c; sa-events(7) SUBAGENTS).  Sources:
# tests/fixtures/claude/subagent.jsonl (recorded from the real Claude Code
# 2.1.197, see subagent.README) and subagent-variants.jsonl (three lines
# added by hand).  The expectations below are written by hand from the
# recording: the Agent call is the session's third item (itm_3), the
# subagent's prompt, two Bash calls and their results are nested under it.
# One property per test.

setup() {
    cd "$BATS_TEST_TMPDIR"
    sa-normalize --agent claude --session s1 < "$SA_TOP/tests/fixtures/claude/subagent.jsonl" > out.jsonl
}

q() { jq -sc "$1" out.jsonl; }
AGENT_CALL='[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call" and .data.item.content[0].name == "Agent")][0].data.item.item_id'

@test "subagents claude (recorded): no agent.unparsed" {
    [ "$(q '[.[] | select(.type == "agent.unparsed")] | length')" = 0 ]
}

@test "subagents claude (recorded): the events pass the schema checker" {
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

@test "subagents claude (recorded): the Agent tool call is itm_3, a child of the parent's message" {
    [ "$(q "$AGENT_CALL")" = '"itm_3"' ]
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.item_id == "itm_3")][0].data.item.parent_id')" = '"itm_2"' ]
}

@test "subagents claude (recorded): the subagent's prompt, calls and results are nested under the Agent call, in order" {
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.parent_id == "itm_3" and .data.item.kind != "status")
              | .data.item | [.kind, .role, (.content[0].text // .content[0].name // .content[0].output)]]')" = \
      '[["message","user","RUN: echo from-sub"],["tool_call","assistant","Bash"],["tool_result","tool","from-sub"],["tool_call","assistant","Bash"],["tool_result","tool","hi"]]' ]
}

@test "subagents claude (recorded): each nested tool_result answers the nested call before it" {
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.parent_id == "itm_3") | .data.item.content[0]
              | select(.type == "tool_call" or .type == "tool_result") | .call_id] | [.[0] == .[1], .[2] == .[3]]')" = '[true,true]' ]
}

@test "subagents claude (recorded): two subagent.updated items, running then completed, under the Agent call" {
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item
              | [.parent_id, .content[1].json.subagent.status]]')" = '[["itm_3","running"],["itm_3","completed"]]' ]
}

@test "subagents claude (recorded): the subagent.updated json part names the subagent and its parent item" {
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated")][0].data.item.content
              | [.[0].detail, (.[1].json.subagent | del(.id))]')" = \
      '["general-purpose: Inspect (running)",{"name":"general-purpose","description":"Inspect","status":"running","parent_item_id":"itm_3"}]' ]
}

@test "subagents claude (recorded): the subagent id is claude's task id" {
    id=$(jq -r 'select(.subtype == "task_started") | .task_id' "$SA_TOP/tests/fixtures/claude/subagent.jsonl")
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent.id] | unique')" = "[\"$id\"]" ]
}

@test "subagents claude (recorded): the Agent call's own result is top level" {
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result" and .data.item.parent_id == null) | .data.item.content[0].call_id]')" = \
      "[$(jq -c 'select(.type == "assistant") | .message.content[] | select(.type == "tool_use" and .name == "Agent") | .id' "$SA_TOP/tests/fixtures/claude/subagent.jsonl")]" ]
}

@test "subagents claude (recorded): the parent's assistant text holds only the parent's messages" {
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant") | .data.item | [.parent_id, .content[0].text[:21]]]')" = \
      '[[null,"I will run a command."],[null,"Done. The command ran"],[null,"Plain reply: no tool "]]' ]
}

@test "subagents claude (hand-added text line): the subagent's text is an assistant message of its own under the Agent call" {
    sa-normalize --agent claude --session s1 < "$SA_TOP/tests/fixtures/claude/subagent-variants.jsonl" > out.jsonl
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant" and .data.item.parent_id != null) | .data.item | [.parent_id, .content[0].text]]')" = \
      '[["itm_3","Subagent note: the echo worked."]]' ]
}

@test "subagents claude (hand-added text line): the subagent's message starts under the Agent call too (no pending parent item is used)" {
    sa-normalize --agent claude --session s1 < "$SA_TOP/tests/fixtures/claude/subagent-variants.jsonl" > out.jsonl
    [ "$(q '[.[] | select(.type == "item.started" and .data.item.kind == "message" and .data.item.role == "assistant") | .data.item.parent_id]')" = \
      '[null,"itm_3",null,null]' ]
}

@test "subagents claude (hand-added text line): no delta of the subagent's text goes to a parent message" {
    sa-normalize --agent claude --session s1 < "$SA_TOP/tests/fixtures/claude/subagent-variants.jsonl" > out.jsonl
    sub=$(q '[.[] | select(.type == "item.completed" and .data.item.parent_id == "itm_3" and .data.item.kind == "message" and .data.item.role == "assistant")][0].data.item.item_id')
    [ "$(q "[.[] | select(.type == \"item.delta\" and (.data.delta | contains(\"Subagent note\"))) | .data.item_id]")" = "[$sub]" ]
}

@test "subagents claude (hand-added lines): a background shell task is not a subagent" {
    sa-normalize --agent claude --session s1 < "$SA_TOP/tests/fixtures/claude/subagent-variants.jsonl" > out.jsonl
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated")] | length')" = 2 ]
    [ "$(q '[.[] | select(.type == "agent.unparsed")] | length')" = 0 ]
}

@test "subagents (hand-written conversions): an end with an unknown status word is failed and keeps the word" {
    printf '%s\n' '{"sa":"turn","turn":1,"message":"x","attachments":[]}' \
      '{"type":"system","subtype":"task_started","task_id":"t1","tool_use_id":"toolu_1","description":"d","subagent_type":"explorer","task_type":"local_agent","session_id":"c0ffee00-0000-4000-8000-000000000001"}' \
      '{"type":"system","subtype":"task_notification","task_id":"t1","tool_use_id":"toolu_1","status":"exploded","session_id":"c0ffee00-0000-4000-8000-000000000001"}' |
      sa-normalize --agent claude --session s1 > out.jsonl
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent | [.status, .native_status]]')" = \
      '[["running",null],["failed","exploded"]]' ]
}

@test "subagents (hand-written conversions): a killed subagent is cancelled" {
    printf '%s\n' '{"sa":"turn","turn":1,"message":"x","attachments":[]}' \
      '{"type":"system","subtype":"task_started","task_id":"t1","tool_use_id":"toolu_1","description":"d","subagent_type":"explorer","task_type":"local_agent","session_id":"c0ffee00-0000-4000-8000-000000000001"}' \
      '{"type":"system","subtype":"task_notification","task_id":"t1","tool_use_id":"toolu_1","status":"killed","session_id":"c0ffee00-0000-4000-8000-000000000001"}' |
      sa-normalize --agent claude --session s1 > out.jsonl
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent.status]')" = '["running","cancelled"]' ]
}

# OpenCode: tests/fixtures/opencode/serve-subagent.jsonl, recorded from the
# real OpenCode 1.18.33 serve through sa-spawn --permission-mode bypass (see
# tests/fixtures/opencode/serve-subagent.README): the task tool starts a child session,
# whose events sa-opencode-bridge passes on wrapped ({"bridge":"child"}).
# By hand from the recording: the task call is itm_11.
oc() { sa-normalize --agent opencode --session s1 < "$SA_TOP/tests/fixtures/opencode/serve-subagent.jsonl" > out.jsonl; }

@test "subagents opencode (recorded): no agent.unparsed" {
    oc
    [ "$(q '[.[] | select(.type == "agent.unparsed")] | length')" = 0 ]
}

@test "subagents opencode (recorded): the events pass the schema checker" {
    oc
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

@test "subagents opencode (recorded): the task call is itm_11 and completes once" {
    oc
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call") | .data.item | [.item_id, .content[0].name]] | map(select(.[1] == "task"))')" = '[["itm_11","task"]]' ]
}

@test "subagents opencode (recorded): the child session's prompt, bash call, result and reply nest under the task call, in order" {
    oc
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.parent_id == "itm_11" and .data.item.kind != "status") | .data.item
              | [.kind, .role, (.content[0].text // .content[0].name // .content[0].output)]]')" = \
      '[["message","user","RUN: echo from-sub"],["tool_call","assistant","bash"],["tool_result","tool","from-sub\n"],["message","assistant","Done. The command ran and printed: from-sub\n"]]' ]
}

@test "subagents opencode (recorded): the child's steps nest too; its session life cycle items are dropped" {
    oc
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.parent_id == "itm_11" and .data.item.kind == "status") | .data.item.content[0].label]')" = \
      '["subagent.updated","step-start","step-finish","step-start","step-finish","subagent.updated"]' ]
}

@test "subagents opencode (recorded): the subagent is the child session, general, running then completed" {
    oc
    child=$(jq -r 'select(.bridge == "child") | .session_id' "$SA_TOP/tests/fixtures/opencode/serve-subagent.jsonl" | head -1)
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent | [.id, .name, .description, .status, .parent_item_id]]')" = \
      "[[\"$child\",\"general\",\"Inspect\",\"running\",\"itm_11\"],[\"$child\",\"general\",\"Inspect\",\"completed\",\"itm_11\"]]" ]
}

@test "subagents opencode (recorded): the parent's assistant text is the parent's own" {
    oc
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant" and .data.item.parent_id == null) | .data.item.content[0].text[:35]]')" = \
      '["Done. The command ran and printed: ","Plain reply: no tool was needed."]' ]
}

@test "subagents opencode (recorded): one turn.ended per message (the child's idle ends none)" {
    oc
    [ "$(q '[.[] | select(.type == "turn.ended")] | length')" = 2 ]
}

@test "subagents opencode (recorded): the native session id is the parent's, never the child's" {
    oc
    parent=$(jq -r 'select(.bridge == "ready") | .session_id' "$SA_TOP/tests/fixtures/opencode/serve-subagent.jsonl")
    [ "$(q '[.[] | .native_session_id // empty] | unique')" = "[\"$parent\"]" ]
}

# Codex: tests/fixtures/codex/subagent.jsonl, recorded from the real Codex
# 0.169.0 app-server with multi_agent_v2 (see subagent.README): the
# subagent is a thread of its own, whose lines carry its threadId.  By hand
# from the recording: the spawn_agent call is itm_4.
cx() { sa-normalize --agent codex --session s1 < "$SA_TOP/tests/fixtures/codex/subagent.jsonl" > out.jsonl; }

@test "subagents codex (recorded): no agent.unparsed and no error" {
    cx
    [ "$(q '[.[] | select(.type == "agent.unparsed" or .type == "error")] | length')" = 0 ]
}

@test "subagents codex (recorded): the events pass the schema checker" {
    cx
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

@test "subagents codex (recorded): subAgentActivity started is the spawn_agent call itm_4 with the agent path as result" {
    cx
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.item_id == "itm_4")][0].data.item.content[0] | [.name, (.arguments | fromjson | .agentPath)]')" = '["spawn_agent","/root/inspect"]' ]
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result" and .data.item.parent_id == null)][0].data.item.content[0].output')" = '"/root/inspect"' ]
}

@test "subagents codex (recorded): the subagent thread's command and reply nest under the spawn call" {
    cx
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.parent_id == "itm_4" and .data.item.kind != "status") | .data.item
              | [.kind, (.content[0].name // .content[0].output // .content[0].text[:35])]]')" = \
      '[["tool_call","shell"],["tool_result","hi\n"],["message","Done. The command ran and printed: "]]' ]
}

@test "subagents codex (recorded): the subagent thread's turns are not ours (two turns, two ends)" {
    cx
    [ "$(q '[.[] | select(.type == "turn.started" or .type == "turn.ended") | .type]')" = '["turn.started","turn.ended","turn.started","turn.ended"]' ]
}

@test "subagents codex (recorded): subagent.updated says running, then completed, for the subagent's thread" {
    cx
    tid=$(jq -r 'select(.params.item.type? == "subAgentActivity") | .params.item.agentThreadId' "$SA_TOP/tests/fixtures/codex/subagent.jsonl" | head -1)
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent | [.id, .name, .status, .parent_item_id]]')" = \
      "[[\"$tid\",\"/root/inspect\",\"running\",\"itm_4\"],[\"$tid\",\"/root/inspect\",\"completed\",\"itm_4\"]]" ]
}

@test "subagents codex (recorded): the parent's assistant text is the parent's own" {
    cx
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant" and .data.item.parent_id == null) | .data.item.content[0].text[:35]]')" = \
      '["Done. The command ran and printed: ","Plain reply: no tool was needed."]' ]
}

@test "subagents codex (hand-written lines): a v1 collab spawnAgent call starts its receivers, agentsStates ends them" {
    T='"threadId":"th-main","turnId":"tu1"'
    printf '%s\n' \
      '{"id":1,"result":{"thread":{"id":"th-main"}},"sa_method":"thread/start"}' \
      '{"sa":"turn","turn":1,"message":"x","attachments":[]}' \
      '{"method":"item/started","params":{"item":{"type":"collabAgentToolCall","id":"cc1","tool":"spawnAgent","status":"inProgress","senderThreadId":"th-main","receiverThreadIds":[],"prompt":"look","agentsStates":{}},'"$T"'}}' \
      '{"method":"item/completed","params":{"item":{"type":"collabAgentToolCall","id":"cc1","tool":"spawnAgent","status":"completed","senderThreadId":"th-main","receiverThreadIds":["th-sub"],"prompt":"look","agentsStates":{"th-sub":{"status":"running"}}},'"$T"'}}' \
      '{"method":"item/completed","params":{"item":{"type":"collabAgentToolCall","id":"cc2","tool":"wait","status":"completed","senderThreadId":"th-main","receiverThreadIds":["th-sub"],"agentsStates":{"th-sub":{"status":"errored","message":"boom"}}},'"$T"'}}' |
      sa-normalize --agent codex --session s1 > out.jsonl
    [ "$(q '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent | [.id, .status]]')" = \
      '[["th-sub","running"],["th-sub","failed"]]' ]
}
