#!/usr/bin/env bats
# mcp_agents.bats - a session's MCP servers reach each real agent (claude
# 2.1.197, opencode 1.18.33, pi 0.73.1 through sa's extension, codex
# 0.169.0) through the real pipeline (tests/agents/drive.py: sa-spawn --mcp
# | sa-normalize --mcp | sa-store), offline: tests/agents/mcp_server.py is
# the MCP server (stdio, and streamable HTTP on 127.0.0.1), fakellm the
# model ("TOOL: <name> {...}" makes it call that tool).
# setup_file makes every run once; each test checks one property of one run.
# The MCP file is sa's normalized form (sa-spawn(1) MCP), as sa-serve writes
# it.  Permission mode bypass, so no HITL is needed.

load "$SA_TOP/tests/agents/bats_helpers"

# the tool as each agent names it: claude and pi mcp__srv__echo, opencode srv_echo
MSG_ECHO='Use it. TOOL: mcp__srv__echo {"text": "hello-mcp"}'
MSG_FAIL='Fail it. TOOL: mcp__srv__fail {}'
MSG_OC='Use it. TOOL: srv_echo {"text": "hello-mcp"}'

# mcp_file PATH [remote URL]: a server "srv" (stdio, env MCP_SECRET), a
# server "broken" that cannot start, and optionally "web" (HTTP, bearer token)
mcp_file() {
  jq -n --arg py "$SA_AGENTS_TESTDIR/mcp_server.py" --arg log "$BATS_FILE_TMPDIR/mcp.log" --arg url "${2:-}" '
    {strict: true, servers: ({
      srv: {type: "local", command: "python3", args: [$py, "--name", "srv", "--log", $log],
            env: {MCP_SECRET: "s3cret"}, cwd: null, enabled: true, timeoutMs: null},
      broken: {type: "local", command: "/nonexistent/mcp-server", args: [], env: {}, cwd: null,
               enabled: true, timeoutMs: null},
      off: {type: "local", command: "python3", args: [$py, "--name", "off"], env: {}, cwd: null,
            enabled: false, timeoutMs: null}}
      + (if $url == "" then {} else
          {web: {type: "remote", url: $url, headers: {}, bearerTokenEnvVar: "WEB_TOKEN", envHeaders: {},
                 transport: "http", enabled: true, timeoutMs: null}} end))}' > "$1"
}

# run AGENT BIN NAME MESSAGE: one pipeline run; events in $D/NAME.jsonl,
# the model requests of that run in $D/NAME.llm
run_one() {
  local agent=$1 bin=$2 name=$3 msg=$4
  WORK="$D/work-$name"; DB="$D/db-$name"; mkdir -p "$WORK"
  local before; before=$(wc -l <"$FAKELLM_LOG" 2>/dev/null || echo 0)
  agent_e2e "$agent" "$bin" "$name" "$D/$name.jsonl" --message "$msg" \
    --spawn-arg=--permission-mode --spawn-arg=bypass --spawn-arg=--mcp --spawn-arg="$D/mcp.json" \
    --normalize-arg=--permission-mode --normalize-arg=bypass --normalize-arg=--mcp --normalize-arg="$D/mcp.json" \
    ${SPAWN_EXTRA:-} >"$D/$name.summary" 2>&1 || true
  tail -n +"$((before + 1))" "$FAKELLM_LOG" >"$D/$name.llm"
}

setup_file() {
  export D="$BATS_FILE_TMPDIR"
  BATS_TEST_TMPDIR=$D                         # agent_e2e puts stage stderr there
  fakellm_start "$D/fake"
  export FAKELLM_LOG="$D/fake/fakellm.log"
  python3 "$SA_AGENTS_TESTDIR/mcp_server.py" --http --name web --log "$D/web.log" >"$D/web.port" &
  export WEB_PID=$!
  for i in $(seq 1 100); do [ -s "$D/web.port" ] && break; sleep 0.05; done
  mcp_file "$D/mcp.json" "http://127.0.0.1:$(cat "$D/web.port")/mcp"
  export WEB_TOKEN=tok-123
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && return 0
  SA_CLAUDE_BIN=$("$SA_AGENTS_TESTDIR/install.sh" claude)
  SA_PI_BIN=$("$SA_AGENTS_TESTDIR/install.sh" pi)
  SA_OPENCODE_BIN=$("$SA_AGENTS_TESTDIR/install.sh" opencode)
  SA_CODEX_BIN=$("$SA_AGENTS_TESTDIR/install.sh" codex)
  ( claude_test_env "$D/home-claude"; mkdir -p "$D/home-claude"
    find "$D/home-claude" -type f | sort >"$D/home-claude.before"
    run_one claude "$SA_CLAUDE_BIN" claude-echo "$MSG_ECHO"
    run_one claude "$SA_CLAUDE_BIN" claude-fail "$MSG_FAIL"
    run_one claude "$SA_CLAUDE_BIN" claude-web 'Use it. TOOL: mcp__web__echo {"text": "over-http"}' )
  ( pi_test_env "$D/home-pi"
    run_one pi "$SA_PI_BIN" pi-echo "$MSG_ECHO"
    run_one pi "$SA_PI_BIN" pi-fail "$MSG_FAIL"
    run_one pi "$SA_PI_BIN" pi-web 'Use it. TOOL: mcp__web__echo {"text": "over-http"}' )
  ( opencode_test_env "$D/home-opencode"
    run_one opencode "$SA_OPENCODE_BIN" opencode-echo "$MSG_OC" )
  ( codex_test_env "$D/home-codex"
    : >"$D/mcp.log.codex-start"
    # the test reads the MCP server's log, outside the agent's sandbox: let it write there
    touch "$D/mcp.log"
    SPAWN_EXTRA="--spawn-arg=--sandbox-write --spawn-arg=$D/mcp.log"
    run_one codex "$SA_CODEX_BIN" codex-start "NOTOOL hi" )
}

teardown_file() {
  kill "$WEB_PID" 2>/dev/null || true
  fakellm_stop
}

setup() {
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && skip "SA_SKIP_AGENT_TESTS=1"
  true
}

offered() { jq -s --arg re "$2" '[.[].body.tools[]? | (.name // .function.name // empty)] | any(test($re))' "$D/$1.llm"; }
call_names() { jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "tool_call") | .name]' "$D/$1.jsonl"; }
results() { jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "tool_result") | .data.item | {status, output: .content[0].output}]' "$D/$1.jsonl"; }
statuses() { jq -sc '[.[] | select(.type == "item.completed" and .data.item.kind == "status") | .data.item.content[0] | (.label + " " + (.detail // ""))]' "$D/$1.jsonl"; }

# ---- claude ----

@test "claude mcp: the model is offered the server's tools (mcp__srv__echo)" {
  [ "$(offered claude-echo '^mcp__srv__echo$')" = true ]
}

@test "claude mcp: a disabled server is not offered" {
  [ "$(offered claude-echo '^mcp__off__')" = false ]
}

@test "claude mcp: the call is a tool_call named srv.echo" {
  call_names claude-echo | jq -e 'index("srv.echo") != null'
}

@test "claude mcp: the tool_result is the server's answer, which saw the server's env" {
  results claude-echo | jq -e 'map(select(.output == "echo: hello-mcp (secret s3cret)")) | length == 1'
}

@test "claude mcp: a tool error is a failed tool_result with the server's text" {
  results claude-fail | jq -e 'any(.status == "failed" and (.output | contains("fail: as asked")))'
}

@test "claude mcp: a server that cannot start is a status item" {
  statuses claude-echo | jq -e 'any(startswith("mcp broken: failed"))'
}

@test "claude mcp: a remote server over HTTP gets the bearer token and answers" {
  call_names claude-web | jq -e 'index("web.echo") != null'
  results claude-web | jq -e 'any(.output == "echo: over-http")'
  grep -q '"authorization": "Bearer tok-123"' "$D/web.log"
}

@test "claude mcp: nothing is written into the working tree or claude's home config" {
  [ -z "$(ls -A "$D/work-claude-echo")" ]
  find "$D/home-claude" -type f -name '*.json' | xargs -r grep -l '"srv"' | { ! grep -q .; }
}

@test "claude mcp: the pipeline's stored events pass the checks" {
  invariants "$D/claude-echo.jsonl"
}

# ---- pi (sa's extension is the MCP client) ----

@test "pi mcp: the model is offered the server's tools (mcp__srv__echo)" {
  [ "$(offered pi-echo '^mcp__srv__echo$')" = true ]
}

@test "pi mcp: a disabled server is not offered" {
  [ "$(offered pi-echo '^mcp__off__')" = false ]
}

@test "pi mcp: the call is a tool_call named srv.echo" {
  call_names pi-echo | jq -e 'index("srv.echo") != null'
}

@test "pi mcp: the tool_result is the server's answer, which saw the server's env" {
  results pi-echo | jq -e 'any(.output == "echo: hello-mcp (secret s3cret)" and .status == "completed")'
}

@test "pi mcp: a tool error is a failed tool_result with the server's text" {
  results pi-fail | jq -e 'any(.status == "failed" and (.output | contains("fail: as asked")))'
}

@test "pi mcp: a server that cannot start is a status item naming it" {
  statuses pi-echo | jq -e 'any(startswith("pi.notify error: MCP server broken"))'
}

@test "pi mcp: a remote server over HTTP gets the bearer token and answers" {
  call_names pi-web | jq -e 'index("web.echo") != null'
  results pi-web | jq -e 'any(.output == "echo: over-http")'
}

@test "pi mcp: the pipeline's stored events pass the checks" {
  invariants "$D/pi-echo.jsonl"
}

# ---- opencode ----

@test "opencode mcp: the model is offered the server's tools (srv_echo)" {
  [ "$(offered opencode-echo '^srv_echo$')" = true ]
}

@test "opencode mcp: the call is a tool_call named srv.echo (sa-normalize --mcp knows the server)" {
  call_names opencode-echo | jq -e 'index("srv.echo") != null'
}

@test "opencode mcp: the tool_result is the server's answer" {
  results opencode-echo | jq -e 'any(.output == "echo: hello-mcp (secret s3cret)")'
}

# ---- codex (MCP tools are deferred behind its tool_search; see sa-spawn(1)) ----

@test "codex mcp: codex starts the stdio server from the thread config (initialize and tools/list reach it)" {
  jq -se 'map(select(.server == "srv") | .msg.params.clientInfo.name? // empty) | any(test("codex"; "i"))' "$D/mcp.log"
  jq -se 'map(select(.server == "srv") | .msg.method?) | index("tools/list") != null' "$D/mcp.log"
}

@test "codex mcp: a server that cannot start is a status item" {
  statuses codex-start | jq -e 'any(startswith("mcp broken: failed"))'
}

@test "codex mcp: a started server is a status item saying ready" {
  statuses codex-start | jq -e 'any(. == "mcp srv: ready")'
}

# ---- through sa-serve ----

@test "serve pi mcp: a session created with mcp over HTTP calls the server's tool as srv.echo" {
  SA_PI_BIN=$("$SA_AGENTS_TESTDIR/install.sh" pi)
  BATS_TEST_TMPDIR=$D/serve; mkdir -p "$BATS_TEST_TMPDIR"
  pi_test_env "$D/home-pi-serve"
  agent_serve_setup "$SA_PI_BIN" pi
  agent_serve_start
  local base="http://127.0.0.1:$PORT/v1/sessions/m1"
  jq -n --arg py "$SA_AGENTS_TESTDIR/mcp_server.py" '{agent: "pi", permissionMode: "bypass",
     mcp: {srv: {type: "local", command: ["python3", $py, "--name", "srv"], env: {MCP_SECRET: "s3cret"}}}}' |
    curl -fsS --noproxy '*' --max-time 10 -X POST -H 'Content-Type: application/json' -d @- "$base" >/dev/null
  jq -n --arg m "$MSG_ECHO" '{message: $m}' |
    curl -fsS --noproxy '*' --max-time 10 -X POST -H 'Content-Type: application/json' -d @- "$base/messages" >/dev/null
  for i in $(seq 1 300); do
    curl -s --noproxy '*' --max-time 5 "$base/events" | jq -e '[.events[] | select(.type == "turn.ended")] | length > 0' >/dev/null && break
    sleep 0.1
  done
  curl -s --noproxy '*' --max-time 5 "$base/events" >"$D/serve-events.json"
  agent_serve_stop
  jq -e '[.events[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "tool_call") | .name] | index("srv.echo") != null' "$D/serve-events.json"
  jq -e '[.events[] | select(.type == "item.completed") | .data.item.content[]? | select(.type == "tool_result") | .output] | index("echo: hello-mcp (secret s3cret)") != null' "$D/serve-events.json"
}
