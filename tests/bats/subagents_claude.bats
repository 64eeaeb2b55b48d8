#!/usr/bin/env bats
# subagents_claude.bats - subagents with the real Claude Code CLI (2.1.197)
# through sa-serve, offline against tests/fakellm/fakellm.py: the model
# calls the Agent tool ("TOOL: Agent {json}" makes the fake model do it);
# the subagent's own requests go to the same fake server, whose answer is a
# Bash call ("RUN: echo from-sub").  Every item the subagent produces must
# nest under the Agent call's item, the parent's text must stay its own,
# and SessionInfo.subagents / GET /subagents must say the subagent
# completed, also after a restart of sa-serve (read back from the store).
# The session is run once (setup_file); each test checks one property.

load "$SA_TOP/tests/agents/bats_helpers"

M1='Delegate this. TOOL: Agent {"description":"Inspect","prompt":"RUN: echo from-sub","subagent_type":"general-purpose"}'

setup_file() {
  claude_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
  claude_test_env "$BATS_FILE_TMPDIR/home"
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_setup "$SA_CLAUDE_BIN" claude
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  EV=$BATS_FILE_TMPDIR/events.jsonl
  with_timeout 240 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --session sub1 \
    --create '{"permissionMode":"bypass"}' --no-terminate --out "$EV" --timeout 200 \
    --message "$M1" >"$BATS_FILE_TMPDIR/drive.out" 2>&1 ||
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

agent_call() {
  jq -sr '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call" and .data.item.content[0].name == "Agent")][0].data.item.item_id' "$EV"
}

@test "subagents claude (real CLI, fake model): the Agent tool call is an item" {
  [ "$(agent_call)" != null ]
}

@test "subagents claude (real CLI, fake model): the subagent's prompt, Bash calls and results nest under the Agent call" {
  a=$(agent_call)
  [ "$(jq -sc --arg a "$a" '[.[] | select(.type == "item.completed" and .data.item.parent_id == $a and .data.item.kind != "status")
        | .data.item | [.kind, (.content[0].text // .content[0].name // .content[0].output)]] | .[:3]' "$EV")" = \
    '[["message","RUN: echo from-sub"],["tool_call","Bash"],["tool_result","from-sub"]]' ]
}

@test "subagents claude (real CLI, fake model): no subagent item is top level" {
  # the subagent's Bash calls are the only Bash calls of the session
  [ "$(jq -s '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call" and .data.item.content[0].name == "Bash" and .data.item.parent_id != "'"$(agent_call)"'")] | length' "$EV")" = 0 ]
}

@test "subagents claude (real CLI, fake model): the parent's assistant messages hold no subagent output" {
  jq -se '[.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role == "assistant" and .data.item.parent_id == null)
          | .data.item.content[0].text] | length >= 2 and (map(startswith("RUN:")) | any | not)' "$EV"
}

@test "subagents claude (real CLI, fake model): subagent.updated says running, then completed" {
  [ "$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "subagent.updated") | .data.item.content[1].json.subagent.status]' "$EV")" = '["running","completed"]' ]
}

@test "subagents claude (real CLI, fake model): GET /subagents lists the subagent, completed, with its parent item" {
  [ "$(jq -c '.subagents | map(del(.id))' "$BATS_FILE_TMPDIR/subagents.json")" = \
    "[{\"name\":\"general-purpose\",\"description\":\"Inspect\",\"parentItemId\":\"$(agent_call)\",\"status\":\"completed\"}]" ]
}

@test "subagents claude (real CLI, fake model): SessionInfo.subagents is the same list" {
  [ "$(jq -c .subagents "$BATS_FILE_TMPDIR/info.json")" = "$(jq -c .subagents "$BATS_FILE_TMPDIR/subagents.json")" ]
}

@test "subagents claude (real CLI, fake model): after a restart of sa-serve GET /subagents is unchanged" {
  [ "$(jq -c . "$BATS_FILE_TMPDIR/subagents-restarted.json")" = "$(jq -c . "$BATS_FILE_TMPDIR/subagents.json")" ]
}

@test "subagents claude (real CLI, fake model): the session has no agent.unparsed and passes the schema checker" {
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$EV")" = 0 ]
  sa-events-check --sequential --session sub1 "$EV"
}
