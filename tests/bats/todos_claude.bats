#!/usr/bin/env bats
# todos_claude.bats - todo lists with the real Claude Code CLI (2.1.197)
# through sa-serve, offline against tests/fakellm/fakellm.py: one session,
# one tool call per turn ("TOOL: name {json}" makes the fake model call it):
# TaskCreate twice, then TaskUpdate completing the first task.  Each
# todo.updated status item must carry the whole list, GET /todos and
# SessionInfo.todos the last one, also after a restart of sa-serve (read
# back from the store).  The session is run once (setup_file); each test
# checks one property of it.

load "$SA_TOP/tests/agents/bats_helpers"

T1='TOOL: TaskCreate {"subject":"Write tests","description":"unit tests"}'
T2='TOOL: TaskCreate {"subject":"Fix bug","description":"the bug"}'
T3='TOOL: TaskUpdate {"taskId":"1","status":"completed"}'
LAST='[{"content":"Write tests","status":"completed"},{"content":"Fix bug","status":"pending"}]'

setup_file() {
  claude_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
  claude_test_env "$BATS_FILE_TMPDIR/home"
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_setup "$SA_CLAUDE_BIN" claude
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  EV=$BATS_FILE_TMPDIR/events.jsonl
  with_timeout 240 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --session td1 \
    --create '{"permissionMode":"bypass"}' --no-terminate --out "$EV" --timeout 200 \
    --message "$T1" --message "$T2" --message "$T3" >"$BATS_FILE_TMPDIR/drive.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/drive.out" >&2; return 1; }
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/td1/todos" >"$BATS_FILE_TMPDIR/todos.json"
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/td1" >"$BATS_FILE_TMPDIR/info.json"
  agent_serve_stop
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/td1/todos" >"$BATS_FILE_TMPDIR/todos-restarted.json"
  agent_serve_stop
  export EV
}

teardown_file() {
  agent_serve_stop
  fakellm_stop
}

todo_lists() {
  jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "status"
                        and .data.item.content[0].label == "todo.updated") | .data.item.content[1].json.todos]' "$EV"
}

@test "todos claude (real CLI, fake model): three task calls give three todo.updated items, each the whole list" {
  [ "$(todo_lists)" = '[[{"content":"Write tests","status":"pending"}],[{"content":"Write tests","status":"pending"},{"content":"Fix bug","status":"pending"}],'"$LAST"']' ]
}

@test "todos claude (real CLI, fake model): each todo.updated follows the tool_result of the call that made it" {
  jq -se '[.[] | select(.type == "item.completed") | .data.item | if .kind == "status" and .content[0].label == "todo.updated" then "T" elif .kind == "tool_result" then "R" else empty end] | join("") == "RTRTRT"' "$EV"
}

@test "todos claude (real CLI, fake model): GET /todos returns the last list" {
  [ "$(jq -c . "$BATS_FILE_TMPDIR/todos.json")" = "{\"todos\":$LAST}" ]
}

@test "todos claude (real CLI, fake model): SessionInfo.todos is the last list" {
  [ "$(jq -c .todos "$BATS_FILE_TMPDIR/info.json")" = "$LAST" ]
}

@test "todos claude (real CLI, fake model): after a restart of sa-serve GET /todos still returns the last list" {
  [ "$(jq -c . "$BATS_FILE_TMPDIR/todos-restarted.json")" = "{\"todos\":$LAST}" ]
}

@test "todos claude (real CLI, fake model): the session has no agent.unparsed and passes the schema checker" {
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$EV")" = 0 ]
  sa-events-check --sequential --session td1 "$EV"
}
