#!/usr/bin/env bats
# subagents_opencode.bats - subagents with the real OpenCode (1.18.33)
# through sa-serve, offline against tests/fakellm/fakellm.py: the model
# calls the task tool ("TOOL: task {json}"); OpenCode runs the subagent as
# a child session, whose bash call (it asks permission: default mode) goes
# to the same fake server.  sa-opencode-bridge passes the child session's
# events on, wrapped; every item they give must nest under the task call's
# item, the child's permission request must be answered through sa-serve
# like any other, the child's idle must not end the parent's turn, and
# SessionInfo.subagents / GET /subagents must say the subagent completed,
# also after a restart of sa-serve.  The session is run once (setup_file);
# each test checks one property.

load "$SA_TOP/tests/agents/bats_helpers"

M1='Delegate. TOOL: task {"description":"Inspect","prompt":"RUN: echo from-sub","subagent_type":"general"}'

setup_file() {
  opencode_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
  opencode_test_env "$BATS_FILE_TMPDIR/home"
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_setup "$SA_OPENCODE_BIN" opencode
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  EV=$BATS_FILE_TMPDIR/events.jsonl
  with_timeout 240 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --agent opencode --session sub1 \
    --create '{"agent":"opencode"}' --no-terminate --out "$EV" --timeout 200 \
    --permission once --permission once --permission once \
    --message "$M1" --message "NOTOOL thanks" >"$BATS_FILE_TMPDIR/drive.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/drive.out" >&2; return 1; }
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/sub1/subagents" >"$BATS_FILE_TMPDIR/subagents.json"
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/sub1" >"$BATS_FILE_TMPDIR/info.json"
  agent_serve_stop
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/sub1/subagents" >"$BATS_FILE_TMPDIR/subagents-restarted.json"
  agent_serve_stop
  export EV
}

teardown_file() {
  agent_serve_stop
  fakellm_stop
}

task_call() {
  jq -sr '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call" and .data.item.content[0].name == "task")][0].data.item.item_id' "$EV"
}
nested() {
  jq -sc --arg a "$(task_call)" '[.[] | select(.type == "item.completed" and .data.item.parent_id == $a and .data.item.kind != "status")
        | .data.item | [.kind, .role, (.content[0].text // .content[0].name // .content[0].output)]]' "$EV"
}

@test "subagents opencode (real CLI, fake model): the task tool call is a completed item" {
  [ "$(task_call)" != null ]
}

@test "subagents opencode (real CLI, fake model): the subagent's prompt is a user message under the task call" {
  [ "$(nested | jq -c '.[0]')" = '["message","user","RUN: echo from-sub"]' ]
}

@test "subagents opencode (real CLI, fake model): the subagent's bash call and its result nest under the task call" {
  nested | jq -e 'map(select(.[0] == "tool_call" or .[0] == "tool_result") | .[0] + ":" + (.[2] | tostring | rtrimstr("\n")))
                  == ["tool_call:bash", "tool_result:from-sub"]'
}

@test "subagents opencode (real CLI, fake model): the subagent's reply is its own assistant message under the task call" {
  nested | jq -e 'map(select(.[0] == "message" and .[1] == "assistant"))[0][2] | startswith("Done. The command ran and printed: from-sub")'
}

@test "subagents opencode (real CLI, fake model): the subagent's bash permission request was accepted through sa-serve" {
  jq -se '[.[] | select(.type == "permission.resolved" and .data.status == "accept" and .data.action == "bash")] | length == 1' "$EV"
}

@test "subagents opencode (real CLI, fake model): every permission request was resolved" {
  jq -se '([.[] | select(.type == "permission.requested")] | length) == ([.[] | select(.type == "permission.resolved")] | length)' "$EV"
}

@test "subagents opencode (real CLI, fake model): the parent's assistant messages hold no subagent output" {
  jq -se '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant" and .data.item.parent_id == null)
          | .data.item.content[0].text] | length >= 2 and (map(contains("RUN:")) | any | not)' "$EV"
}

@test "subagents opencode (real CLI, fake model): two turns ended, one per message (the child's idle ends no turn)" {
  [ "$(jq -s '[.[] | select(.type == "turn.ended")] | length' "$EV")" = 2 ]
}

@test "subagents opencode (real CLI, fake model): subagent.updated says running, then completed" {
  [ "$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent.status]' "$EV")" = '["running","completed"]' ]
}

@test "subagents opencode (real CLI, fake model): GET /subagents lists the child session, completed, with its parent item" {
  [ "$(jq -c '.subagents | map(del(.id))' "$BATS_FILE_TMPDIR/subagents.json")" = \
    "[{\"name\":\"general\",\"description\":\"Inspect\",\"parentItemId\":\"$(task_call)\",\"status\":\"completed\"}]" ]
  jq -e '.subagents[0].id | startswith("ses_")' "$BATS_FILE_TMPDIR/subagents.json"
}

@test "subagents opencode (real CLI, fake model): after a restart of sa-serve GET /subagents is unchanged" {
  [ "$(jq -c . "$BATS_FILE_TMPDIR/subagents-restarted.json")" = "$(jq -c . "$BATS_FILE_TMPDIR/subagents.json")" ]
}

@test "subagents opencode (real CLI, fake model): the session has no agent.unparsed and passes the schema checker" {
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$EV")" = 0 ]
  sa-events-check --sequential --session sub1 "$EV"
}
