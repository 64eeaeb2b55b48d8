#!/usr/bin/env bats
# subagents_codex.bats - subagents with the real Codex (0.169.0, codex
# app-server, multi_agent_v2 switched on in the test's config.toml: 0.169
# offers no collaboration tools otherwise) through sa-serve, offline
# against tests/fakellm/fakellm.py: the model calls spawn_agent ("TOOL:
# spawn_agent {json}"; codex offers it inside a Responses namespace tool).
# The subagent runs as a codex thread of its own, after our turn: its
# command and reply must nest under the spawn call's item, its turns must
# not be ours, and GET /subagents must say it completed (waited for,
# bounded), also after a restart of sa-serve.  The session is run once
# (setup_file); each test checks one property.

load "$SA_TOP/tests/agents/bats_helpers"

M1='Delegate. TOOL: spawn_agent {"task_name":"inspect","message":"RUN: echo from-sub","fork_turns":"none"}'

setup_file() {
  codex_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
  codex_test_env "$BATS_FILE_TMPDIR/home"
  sed -i 's/^\[features\]$/[features]\nmulti_agent_v2 = true/' "$CODEX_HOME/config.toml"
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_setup "$SA_CODEX_BIN" codex
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  EV=$BATS_FILE_TMPDIR/events.jsonl
  with_timeout 240 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --agent codex --session sub1 \
    --create '{"agent":"codex","permissionMode":"bypass"}' --no-terminate --out "$BATS_FILE_TMPDIR/drive-events.jsonl" \
    --timeout 200 --message "$M1" >"$BATS_FILE_TMPDIR/drive.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/drive.out" >&2; return 1; }
  local i
  for i in $(seq 1 240); do       # the subagent finishes after our turn: wait for it (at most 120 s)
    curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/sub1/subagents" >"$BATS_FILE_TMPDIR/subagents.json"
    jq -e '.subagents[0].status == "completed"' "$BATS_FILE_TMPDIR/subagents.json" >/dev/null && break
    sleep 0.5
  done
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/sub1/events?offset=0&limit=100000" | jq -c '.events[]' >"$EV"
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

spawn_call() {
  jq -sr '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_call" and .data.item.content[0].name == "spawn_agent")][0].data.item.item_id' "$EV"
}

@test "subagents codex (real CLI, fake model): the spawn_agent call is an item" {
  [ "$(spawn_call)" != null ]
}

@test "subagents codex (real CLI, fake model): the subagent's command and its result nest under the spawn call" {
  jq -se --arg a "$(spawn_call)" '[.[] | select(.type == "item.completed" and .data.item.parent_id == $a) | .data.item.kind]
          | index("tool_call") != null and index("tool_result") != null' "$EV"
}

@test "subagents codex (real CLI, fake model): the subagent's reply is an assistant message under the spawn call" {
  jq -se --arg a "$(spawn_call)" '[.[] | select(.type == "item.completed" and .data.item.parent_id == $a and .data.item.kind == "message")][0].data.item.content[0].text
          | startswith("Done. The command ran")' "$EV"
}

@test "subagents codex (real CLI, fake model): one turn started and ended (the subagent's turn is not ours)" {
  [ "$(jq -sc '[.[] | select(.type == "turn.started" or .type == "turn.ended") | .type]' "$EV")" = '["turn.started","turn.ended"]' ]
}

@test "subagents codex (real CLI, fake model): GET /subagents lists the subagent, completed, with its parent item" {
  [ "$(jq -c '.subagents | map(del(.id))' "$BATS_FILE_TMPDIR/subagents.json")" = \
    "[{\"name\":\"/root/inspect\",\"description\":null,\"parentItemId\":\"$(spawn_call)\",\"status\":\"completed\"}]" ]
}

@test "subagents codex (real CLI, fake model): after a restart of sa-serve GET /subagents is unchanged" {
  [ "$(jq -c . "$BATS_FILE_TMPDIR/subagents-restarted.json")" = "$(jq -c . "$BATS_FILE_TMPDIR/subagents.json")" ]
}

@test "subagents codex (real CLI, fake model): the session has no agent.unparsed and passes the schema checker" {
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$EV")" = 0 ]
  sa-events-check --sequential --session sub1 "$EV"
}
