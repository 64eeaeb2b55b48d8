#!/usr/bin/env bats
# mcp.bats - a session's MCP servers without a real agent: sa-serve's
# validation of create's `mcp` map (400 problems), the normalized 0600 file
# in the state dir and what sa-serve hands to sa-spawn and sa-normalize, the
# redacted echo in SessionInfo (also after a restart), sa-spawn --mcp's
# errors and its shape per agent (fake agents print their argv and
# environment), and sa-normalize's <server>.<tool> names.  Real agents are
# in mcp_agents.bats.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; cd "$T"; }
teardown() { serve_teardown; }

problem_is() {  # problem_is STATUS TYPE
  [ "$code" = "$1" ] || { echo "status $code, want $1: $body"; return 1; }
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:$2" ] || { echo "body: $body"; return 1; }
}

GOOD='{"agent":"mock","mcp":{"srv":{"type":"local","command":["python3","-u"],"args":["x.py"],"env":{"TOKEN":"secret-1"}},
       "web":{"type":"remote","url":"http://127.0.0.1:9/mcp","headers":{"X-Key":"secret-2"},"bearerTokenEnvVar":"WEB_TOKEN"}}}'

create_bad() {  # create_bad MCP-JSON — POST a mock session with that mcp member
  api POST /v1/sessions/bad "{\"agent\":\"mock\",\"mcp\":$1}"
}

mcp_file_of() { ls "$T"/state/mcp-*.json; }

# ---- sa-serve: validation ----

@test "mcp create: a local server without a command is 400 naming the server" {
  serve_start --no-token
  create_bad '{"srv":{"type":"local"}}'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"mcp.srv: command"* ]]
}

@test "mcp create: an unknown type is 400" {
  serve_start --no-token
  create_bad '{"srv":{"type":"websocket","url":"ws://x"}}'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"type must be local, stdio, remote or http"* ]]
}

@test "mcp create: a remote server whose url is not http(s) is 400" {
  serve_start --no-token
  create_bad '{"web":{"type":"remote","url":"file:///etc/passwd"}}'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"url must be an http:// or https:// URL"* ]]
}

@test "mcp create: env values must be strings" {
  serve_start --no-token
  create_bad '{"srv":{"type":"stdio","command":"x","env":{"A":1}}}'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"env.A must be a string"* ]]
}

@test "mcp create: an unknown member is 400 (a typo does not pass silently)" {
  serve_start --no-token
  create_bad '{"srv":{"type":"local","command":"x","argz":[]}}'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"unknown member argz"* ]]
}

@test "mcp create: a server name with a dot or a space is 400" {
  serve_start --no-token
  create_bad '{"my srv":{"type":"local","command":"x"}}'
  problem_is 400 invalid_request
}

@test "mcp create: transport must be http or sse" {
  serve_start --no-token
  create_bad '{"web":{"type":"http","url":"http://x","transport":"grpc"}}'
  problem_is 400 invalid_request
}

@test "mcp create: a refused mcp map starts nothing and stores no session" {
  serve_start --no-token
  create_bad '{"srv":{"type":"local"}}'
  api GET /v1/sessions/bad
  [ "$code" = 404 ]
  [ -z "$(ls "$T"/state/mcp-*.json 2>/dev/null)" ]
}

@test "mcp create: mcpStrict must be a boolean" {
  serve_start --no-token
  api POST /v1/sessions/s1 '{"agent":"mock","mcpStrict":"yes","mcp":{}}'
  [ "$code" = 400 ] || [ "$code" = 422 ]
}

# ---- sa-serve: the file and the echo ----

@test "mcp create: a valid map is 200 and its file in the state dir is mode 0600" {
  serve_start --no-token
  api POST /v1/sessions/s1 "$GOOD"
  [ "$code" = 200 ]
  [ "$(stat -c %a "$(mcp_file_of)")" = 600 ]
}

@test "mcp create: the file holds sa's normalized form (command array split, defaults filled)" {
  serve_start --no-token
  api POST /v1/sessions/s1 "$GOOD"
  jq -e '.session == "s1" and .strict == false
         and .servers.srv == {"type":"local","command":"python3","args":["-u","x.py"],"env":{"TOKEN":"secret-1"},
                              "cwd":null,"enabled":true,"timeoutMs":null}
         and .servers.web.transport == "http" and .servers.web.bearerTokenEnvVar == "WEB_TOKEN"' "$(mcp_file_of)"
}

@test "mcp create: SessionInfo echoes the servers with env and header values redacted" {
  serve_start --no-token
  api POST /v1/sessions/s1 "$GOOD"
  api GET /v1/sessions/s1
  jq -e '.mcp.srv.env.TOKEN == "***" and .mcp.web.headers["X-Key"] == "***" and .mcp.srv.command == "python3"' <<<"$body"
  ! grep -q 'secret-' <<<"$body"
}

@test "mcp create: the session's MCP file is handed to sa-spawn and sa-normalize" {
  serve_start --no-token
  api POST /v1/sessions/s1 "$GOOD"
  f=$(mcp_file_of)
  for i in $(seq 1 50); do      # the pipeline is forked as create answers: give exec a moment
    pids=$(session_pids s1)
    found=0
    for p in $pids; do
      tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "--mcp $f" && found=$((found + 1))
    done
    [ "$found" -ge 2 ] && break
    sleep 0.1
  done
  [ "$found" -ge 2 ] || { echo "pids $pids"; for p in $pids; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done; false; }
}

@test "mcp create: the servers are echoed after a restart of sa-serve" {
  export SA_SERVE_DB=$T/keep.db
  serve_start --no-token
  api POST /v1/sessions/s1 "$GOOD"
  serve_teardown
  serve_start --no-token
  api GET /v1/sessions/s1
  jq -e '.mcp.srv.command == "python3" and .mcp.web.url == "http://127.0.0.1:9/mcp"' <<<"$body"
}

@test "mcp create: a session without mcp has no mcp member and no file" {
  serve_start --no-token
  api POST /v1/sessions/s1 '{"agent":"mock"}'
  api GET /v1/sessions/s1
  jq -e 'has("mcp") | not' <<<"$body"
  [ -z "$(ls "$T"/state/mcp-*.json 2>/dev/null)" ]
}

# ---- sa-spawn --mcp ----

form() {  # form FILE [strict] — sa's form with srv (stdio, env) and web (bearer from WEB_TOKEN)
  jq -n --argjson strict "${2:-false}" '{strict: $strict, servers: {
    srv: {type: "local", command: "python3", args: ["s.py"], env: {K: "v"}, cwd: null, enabled: true, timeoutMs: 5000},
    web: {type: "remote", url: "http://127.0.0.1:9/mcp", headers: {"X-A": "1"}, bearerTokenEnvVar: "WEB_TOKEN",
          envHeaders: {"X-B": "B_VAL"}, transport: "sse", enabled: true, timeoutMs: null},
    off: {type: "local", command: "nothing", args: [], env: {}, cwd: null, enabled: false, timeoutMs: null}}}' >"$1"
}

# fake AGENT: a script that writes its argv and environment to $T/argv, $T/env
# (outside its working directory: sa-spawn runs it with --sandbox-write "$T")
fake() {
  printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s/argv"\nenv > "%s/env"\n' "$T" "$T" >"$T/fake-$1"
  chmod +x "$T/fake-$1"
}

@test "sa-spawn --mcp: an unreadable file is a usage error (exit 2) naming it" {
  run sa-spawn --agent mock --mcp "$T/nope.json" </dev/null
  [ "$status" -eq 2 ]
  [[ "$output" == *"cannot read --mcp file $T/nope.json"* ]]
}

@test "sa-spawn --mcp: a file not in sa's form is a usage error (exit 2)" {
  echo '{"mcpServers":{}}' >"$T/m.json"
  run sa-spawn --agent mock --mcp "$T/m.json" </dev/null
  [ "$status" -eq 2 ]
  [[ "$output" == *"not sa's MCP form"* ]]
}

@test "sa-spawn --mcp: claude gets --mcp-config with a 0600 file beside it, enabled servers only" {
  form "$T/m.json"; fake claude
  WEB_TOKEN=tok B_VAL=bee sa-spawn --agent claude --agent-bin "$T/fake-claude" --sandbox-write "$T" --mcp "$T/m.json" </dev/null >/dev/null
  grep -qx -- --mcp-config "$T/argv"
  cfg=$(grep -A1 -x -- --mcp-config "$T/argv" | tail -1)
  [ "$cfg" = "$T/m.json.claude.json" ]
  [ "$(stat -c %a "$cfg")" = 600 ]
  jq -e '.mcpServers | keys == ["srv", "web"]' "$cfg"
}

@test "sa-spawn --mcp: claude's remote server gets the bearer token and env headers resolved" {
  form "$T/m.json"; fake claude
  WEB_TOKEN=tok B_VAL=bee sa-spawn --agent claude --agent-bin "$T/fake-claude" --sandbox-write "$T" --mcp "$T/m.json" </dev/null >/dev/null
  jq -e '.mcpServers.web == {"type":"sse","url":"http://127.0.0.1:9/mcp","headers":{"X-A":"1","Authorization":"Bearer tok","X-B":"bee"}}
         and .mcpServers.srv == {"type":"stdio","command":"python3","args":["s.py"],"env":{"K":"v"}}' "$T/m.json.claude.json"
}

@test "sa-spawn --mcp: strict adds --strict-mcp-config for claude, and only then" {
  form "$T/m.json"; fake claude
  sa-spawn --agent claude --agent-bin "$T/fake-claude" --sandbox-write "$T" --mcp "$T/m.json" </dev/null >/dev/null
  ! grep -qx -- --strict-mcp-config "$T/argv"
  form "$T/m.json" true
  sa-spawn --agent claude --agent-bin "$T/fake-claude" --sandbox-write "$T" --mcp "$T/m.json" </dev/null >/dev/null
  grep -qx -- --strict-mcp-config "$T/argv"
}

@test "sa-spawn --mcp: opencode's OPENCODE_CONFIG_CONTENT carries the servers in opencode's shape" {
  form "$T/m.json"; fake opencode
  # the bridge runs the fake opencode, which exits at once: only its env matters here
  WEB_TOKEN=tok sa-spawn --agent opencode --agent-bin "$T/fake-opencode" --sandbox-write "$T" --mcp "$T/m.json" </dev/null >/dev/null 2>&1 || true
  [ "$(grep -c '^OPENCODE_CONFIG_CONTENT=' "$T/env")" = 1 ]
  sed -n 's/^OPENCODE_CONFIG_CONTENT=//p' "$T/env" | jq -e '.mcp == {
    "srv": {"type":"local","command":["python3","s.py"],"environment":{"K":"v"},"enabled":true,"timeout":5000},
    "web": {"type":"remote","url":"http://127.0.0.1:9/mcp","headers":{"X-A":"1","Authorization":"Bearer tok"},"enabled":true}}'
}

@test "sa-spawn --mcp: opencode keeps the caller's own mcp servers unless strict" {
  form "$T/m.json"; fake opencode
  sa-spawn --agent opencode --agent-bin "$T/fake-opencode" --sandbox-write "$T" --mcp "$T/m.json" \
    --env 'OPENCODE_CONFIG_CONTENT={"mcp":{"mine":{"type":"local","command":["x"]}}}' </dev/null >/dev/null 2>&1 || true
  sed -n 's/^OPENCODE_CONFIG_CONTENT=//p' "$T/env" | jq -e '.mcp | keys == ["mine", "srv", "web"]'
  form "$T/m.json" true
  sa-spawn --agent opencode --agent-bin "$T/fake-opencode" --sandbox-write "$T" --mcp "$T/m.json" \
    --env 'OPENCODE_CONFIG_CONTENT={"mcp":{"mine":{"type":"local","command":["x"]}}}' </dev/null >/dev/null 2>&1 || true
  sed -n 's/^OPENCODE_CONFIG_CONTENT=//p' "$T/env" | jq -e '.mcp | keys == ["srv", "web"]'
}

@test "sa-spawn --mcp: pi's extension is told the file (SA_PI_MCP)" {
  form "$T/m.json"; fake pi
  sa-spawn --agent pi --agent-bin "$T/fake-pi" --sandbox-write "$T" --mcp "$T/m.json" </dev/null >/dev/null
  grep -qx "SA_PI_MCP=$T/m.json" "$T/env"
}

@test "sa-spawn --mcp: codex's thread/start carries mcp_servers in its config" {
  form "$T/m.json"
  # a fake codex app-server: answers initialize, records thread/start, then exits
  cat >"$T/fake-codex" <<EOF
#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("method") == "initialize":
        print(json.dumps({"id": m["id"], "result": {"userAgent": "fake"}}), flush=True)
    elif m.get("method") in ("thread/start", "thread/resume"):
        open("$T/thread.json", "w").write(json.dumps(m))
        break
EOF
  chmod +x "$T/fake-codex"
  echo '{"type":"message","message":"hi"}' | timeout 20 sa-spawn --agent codex --agent-bin "$T/fake-codex" --sandbox-write "$T" --mcp "$T/m.json" >/dev/null 2>&1 || true
  jq -e '.params.config["mcp_servers.srv"] == {"command":"python3","args":["s.py"],"env":{"K":"v"},"tool_timeout_sec":5}
         and .params.config["mcp_servers.web"].bearer_token_env_var == "WEB_TOKEN"
         and (.params.config | has("mcp_servers.off") | not)' "$T/thread.json"
}

# ---- sa-normalize: one name for an MCP call ----

@test "sa-normalize: claude's mcp__srv__echo is the tool_call srv.echo" {
  form "$T/m.json"
  echo '{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"mcp__srv__echo","input":{"text":"a"}}]},"session_id":"x"}' |
    sa-normalize --agent claude --session s --mcp "$T/m.json" |
    jq -se '[.[] | select(.type == "item.completed") | .data.item.content[0] | select(.type == "tool_call") | .name] == ["srv.echo"]'
}

@test "sa-normalize: a server name holding __ is found from --mcp's names" {
  jq -n '{strict: false, servers: {"a__b": {type: "local", command: "x"}}}' >"$T/m.json"
  echo '{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"mcp__a__b__echo","input":{}}]},"session_id":"x"}' |
    sa-normalize --agent claude --session s --mcp "$T/m.json" |
    jq -se '[.[] | select(.type == "item.completed") | .data.item.content[0] | select(.type == "tool_call") | .name] == ["a__b.echo"]'
}

@test "sa-normalize: opencode's srv_echo is srv.echo only for a server named in --mcp" {
  form "$T/m.json"
  line='{"type":"message.part.updated","properties":{"part":{"id":"p1","sessionID":"s","type":"tool","tool":"srv_echo","callID":"c1","state":{"status":"running","input":{"text":"a"}}}}}'
  echo "$line" | sa-normalize --agent opencode --session s --mcp "$T/m.json" |
    jq -se '[.[] | .data.item?.content[0]? | select(.type == "tool_call") | .name] | unique == ["srv.echo"]'
  echo "$line" | sa-normalize --agent opencode --session s |
    jq -se '[.[] | .data.item?.content[0]? | select(.type == "tool_call") | .name] | unique == ["srv_echo"]'
}

@test "sa-normalize: pi's mcp__srv__echo is the tool_call srv.echo" {
  printf '%s\n' '{"type":"message_update","message":{"timestamp":1},"assistantMessageEvent":{"type":"toolcall_end","contentIndex":0,"toolCall":{"id":"c1","name":"mcp__srv__echo","arguments":{}}}}' |
    sa-normalize --agent pi --session s |
    jq -se '[.[] | select(.type == "item.completed") | .data.item.content[0].name] == ["srv.echo"]'
}

@test "sa-normalize --mcp: an unreadable file is exit 2" {
  run sa-normalize --agent claude --session s --mcp "$T/nope.json" </dev/null
  [ "$status" -eq 2 ]
  [[ "$output" == *"cannot read --mcp file"* ]]
}

@test "mcp: DELETE of the session removes its MCP file from the state dir" {
  serve_start --no-token
  api POST /v1/sessions/s1 "$GOOD"
  [ -n "$(ls "$T"/state/mcp-*.json 2>/dev/null)" ]
  api DELETE /v1/sessions/s1
  [ "$code" = 204 ]
  [ -z "$(ls "$T"/state/mcp-*.json 2>/dev/null)" ]
}

@test "mcp create: a relative --state-dir still reaches sa-spawn (the stages run in the session directory)" {
  mkdir -p "$T/run"; cd "$T/run"
  sa-serve --port 0 --db "$T/rel.db" --state-dir rel-state --fs-root "$T" --no-token \
    >"$T/serve.out" 2>>"$T/serve.err" 3>&- &
  SPID=$!; echo "$SPID" >>"$T/serve.pids"
  serve_wait_listening "$SPID" "$T/serve.out" "$T/serve.err"
  api POST /v1/sessions/s1 '{"agent":"mock","mcp":{"srv":{"type":"local","command":"x"}}}'
  [ "$code" = 200 ]
  api POST /v1/sessions/s1/messages '{"message":"hello"}'
  wait_event s1 '.type == "turn.ended"'
  ! grep -q 'cannot read --mcp file' "$T/serve.err"
}
