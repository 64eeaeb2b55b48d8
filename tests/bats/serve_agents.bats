#!/usr/bin/env bats
# serve_agents.bats - sa-serve's agents come from the agent descriptions
# (sa-normalize/agents/NAME.json, or --agents-dir): /v1/agents, modes, mode
# validation, models (static, and codex's `codex debug models` catalog),
# the directory and --grace-ms handed to sa-spawn, and SessionInfo usage
# totals (live, and summed from the store after a restart).

bats_require_minimum_version 1.5.0
load serve_helpers
load "$SA_TOP/tests/agents/bats_helpers"

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

problem_is() {  # problem_is STATUS TYPE
  [ "$code" = "$1" ] || { echo "status $code, want $1: $body"; return 1; }
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:$2" ] || { echo "body: $body"; return 1; }
}

# agents_copy DIR — DIR with a copy of every description and jq program.
agents_copy() {
  mkdir -p "$1"
  cp "$SA_AGENTS_DIR"/*.json "$SA_AGENTS_DIR"/*.jq "$1/"
}

# add_desc DIR ID JQ-FILTER — DIR/ID.json: mock.json with id ID, filtered.
add_desc() {
  jq --arg id "$2" ".id = \$id | .name = \$id | $3" "$SA_AGENTS_DIR/mock.json" >"$1/$2.json"
  cp "$SA_AGENTS_DIR/mock.jq" "$1/$2.jq"
}

# spawn_cmdline SESSION — sa-spawn's command line (spaces for NULs).
spawn_cmdline() {
  local p pp i=0
  while [ "$i" -lt 100 ]; do
    for p in $(session_pids "$1"); do
      # ours only: its parent is the sa-serve of this test's $T (another
      # test's session of the same id has another server)
      pp=$(awk '{ s = $0; sub(/^.*\) /, "", s); split(s, a, " "); print a[2] }' "/proc/$p/stat" 2>/dev/null)
      tr '\0' ' ' <"/proc/$pp/cmdline" 2>/dev/null | grep -q -- " --db $T/" || continue
      tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep '/sa-spawn ' && return 0
    done
    sleep 0.05; i=$((i + 1))
  done
  echo "no sa-spawn for $1" >&2
  return 1
}

# usage_of_events SESSION — the per-field sums of the stored turn.ended
# events' data.usage, null where no event has a number (what SessionInfo
# must report), computed by jq.
usage_of_events() {
  curl -s --max-time 20 "$URL/v1/sessions/$1/events" | jq -c '
    [.events[] | select(.type == "turn.ended") | .data.usage // {}] as $u
    | ["input_tokens","output_tokens","cache_read_tokens","cache_write_tokens","reasoning_tokens","cost_usd"]
    | map(. as $k | {key: $k, value: ([$u[][$k] | numbers] | if length == 0 then null else add end)})
    | from_entries'
}

@test "agents: /v1/agents lists exactly the descriptions' ids, in their order" {
  serve_start --no-token
  api GET /v1/agents
  [ "$code" = 200 ]
  want=$(jq -s -c 'sort_by(.order, .id) | map(.id)' "$SA_AGENTS_DIR"/*.json)
  [ "$(jq -c '[.agents[].id]' <<<"$body")" = "$want" ] || { echo "got $body, want $want"; false; }
}

@test "agents: a description added in --agents-dir is listed, with its modes" {
  agents_copy "$T/agents"
  add_desc "$T/agents" mock2 '.agent_modes += [{"id":"review","name":"Review","description":"Review only"}]'
  serve_start --no-token --agents-dir "$T/agents"
  api GET /v1/agents
  jq -e '[.agents[].id] | index("mock2") != null' <<<"$body"
  api GET /v1/agents/mock2/modes
  [ "$code" = 200 ]
  [ "$(jq -c .modes <<<"$body")" = "$(jq -c .agent_modes "$T/agents/mock2.json")" ]
}

@test "agents: a session of an added description runs (sa-spawn and sa-normalize read the same dir)" {
  agents_copy "$T/agents"
  add_desc "$T/agents" mock2 '.'
  serve_start --no-token --agents-dir "$T/agents"
  api POST /v1/sessions/m2 '{"agent":"mock2"}'
  [ "$code" = 200 ] || { echo "$body"; false; }
  api POST /v1/sessions/m2/messages '{"message":"hello"}'
  [ "$code" = 204 ]
  wait_event m2 '.type == "turn.ended"'
}

@test "agents: capabilities equal the description's, in v0.1.11's key order" {
  serve_start --no-token
  api GET /v1/agents
  order='["planMode","permissions","questions","toolCalls","toolResults","textMessages","images","fileAttachments","sessionLifecycle","errorEvents","reasoning","status","commandExecution","fileChanges","mcpTools","streamingDeltas","itemStarted","sharedProcess"]'
  for f in "$SA_AGENTS_DIR"/*.json; do
    id=$(jq -r .id "$f")
    got=$(jq -c --arg id "$id" '.agents[] | select(.id == $id) | .capabilities' <<<"$body")
    jq -e -n --argjson g "$got" --argjson w "$(jq -c .capabilities "$f")" '$g == $w' >/dev/null ||
      { echo "$id: $got"; false; }
    [ "$(jq -c 'keys_unsorted' <<<"$got")" = "$order" ]
  done
}

@test "agents: serverStatus is present exactly when the description says sharedProcess" {
  agents_copy "$T/agents"
  add_desc "$T/agents" shared '.capabilities.sharedProcess = true'
  serve_start --no-token --agents-dir "$T/agents"
  api GET /v1/agents
  jq -e '.agents[] | select(.id == "shared") | .serverStatus == {"status":"stopped","restartCount":0}' <<<"$body"
  jq -e '[.agents[] | select(.id != "shared") | has("serverStatus")] | any | not' <<<"$body"
}

@test "agents: codex's modes are codex.json's agent_modes" {
  serve_start --no-token
  api GET /v1/agents/codex/modes
  [ "$code" = 200 ]
  [ "$(jq -c .modes <<<"$body")" = "$(jq -c .agent_modes "$SA_AGENTS_DIR/codex.json")" ]
}

@test "agents: codex accepts exactly codex.json's agent modes and permission modes" {
  # codex is kept off the server's PATH and out of its agent cache, and
  # --no-auto-install, so a request that passes validation stops at 404
  # agent_not_installed and nothing runs.
  [ ! -x /usr/bin/codex ] && [ ! -x /bin/codex ] || skip "codex on /usr/bin"
  PATH="$SA_BINDIR:/usr/bin:/bin" SA_AGENT_CACHE="$T/no-cache" serve_start --no-token --no-auto-install
  n=0
  for am in $(jq -r '.agent_modes[].id' "$SA_AGENTS_DIR/codex.json"); do
    for pm in $(jq -r '.permission_modes[]' "$SA_AGENTS_DIR/codex.json"); do
      n=$((n + 1))
      api POST "/v1/sessions/c$n" "{\"agent\":\"codex\",\"agentMode\":\"$am\",\"permissionMode\":\"$pm\"}"
      problem_is 404 agent_not_installed
    done
  done
  [ "$n" -ge 2 ]
  api POST /v1/sessions/cx '{"agent":"codex","agentMode":"turbo"}'
  problem_is 400 mode_not_supported
  [ "$(jq -r .details.mode <<<"$body")" = turbo ]
}

@test "agents: opencode (any_agent_mode) accepts a user-defined agent name as agentMode" {
  [ ! -x /usr/bin/opencode ] && [ ! -x /bin/opencode ] || skip "opencode on /usr/bin"
  PATH="$SA_BINDIR:/usr/bin:/bin" SA_AGENT_CACHE="$T/no-cache" serve_start --no-token --no-auto-install
  api POST /v1/sessions/o1 '{"agent":"opencode","agentMode":"my-reviewer"}'
  problem_is 404 agent_not_installed
  api POST /v1/sessions/o2 '{"agent":"opencode","agentMode":"bad name!"}'
  problem_is 400 mode_not_supported
}

@test "models: opencode's list is what \`opencode models\` prints, one id per line" {
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && skip "SA_SKIP_AGENT_TESTS=1"
  oc=$("$SA_AGENTS_TESTDIR/install.sh" opencode)
  mkdir -p "$T/bin" "$T/home"
  ln -sf "$oc" "$T/bin/opencode"
  want=$(HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share" \
         XDG_CACHE_HOME="$T/home/.cache" XDG_STATE_HOME="$T/home/.local/state" \
         timeout 60 "$oc" models 2>/dev/null | jq -Rsc '[split("\n")[] | select(length > 0 and (contains(" ") | not)) | {id: .}]')
  [ "$(jq length <<<"$want")" -gt 0 ]
  HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share" \
    XDG_CACHE_HOME="$T/home/.cache" XDG_STATE_HOME="$T/home/.local/state" PATH="$T/bin:$PATH" serve_start --no-token
  api GET /v1/agents/opencode/models "" --max-time 90   # opencode models takes 13 s and more on a loaded machine (sa-serve waits 60 s)
  [ "$code" = 200 ]
  [ "$(jq -c .models <<<"$body")" = "$want" ] || { echo "got $body"; false; }
}

@test "models: pi's list is the provider/model rows of \`pi --list-models\` (its table, header skipped)" {
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && skip "SA_SKIP_AGENT_TESTS=1"
  pi=$("$SA_AGENTS_TESTDIR/install.sh" pi)
  mkdir -p "$T/bin" "$T/home"
  ln -sf "$pi" "$T/bin/pi"
  ( . "$SA_AGENTS_TESTDIR/pi_env.sh"; sa_pi_env 1 "$T/home" )   # provider fake, model fake-model
  HOME="$T/home" PI_CODING_AGENT_DIR="$T/home/.pi/agent" PI_OFFLINE=1 PATH="$T/bin:$PATH" serve_start --no-token
  api GET /v1/agents/pi/models "" --max-time 60
  [ "$code" = 200 ]
  [ "$(jq -c .models <<<"$body")" = '[{"id":"fake/fake-model"}]' ] || { echo "got $body"; false; }
}

@test "agents: a permission mode the description neither honours nor aliases is mode_not_supported" {
  agents_copy "$T/agents"
  add_desc "$T/agents" strict '.permission_modes = ["default"] | del(.permission_mode_aliases)'
  serve_start --no-token --agents-dir "$T/agents"
  api POST /v1/sessions/s1 '{"agent":"strict","permissionMode":"plan"}'
  problem_is 400 mode_not_supported
  [ "$(jq -r .details.mode <<<"$body")" = plan ] && [ "$(jq -r .agent <<<"$body")" = strict ]
}

@test "agents: mock's acceptEdits is aliased to default (SessionInfo and sa-spawn)" {
  [ "$(jq -r '.permission_mode_aliases.acceptEdits' "$SA_AGENTS_DIR/mock.json")" = default ]
  serve_start --no-token
  api POST /v1/sessions/ae '{"agent":"mock","permissionMode":"acceptEdits"}'
  [ "$code" = 200 ]
  api GET /v1/sessions/ae
  [ "$(jq -r .permissionMode <<<"$body")" = default ]
  spawn_cmdline ae | grep -q -- '--permission-mode default '
}

@test "models: codex's list is the catalog of codex debug models, hidden entries left out" {
  codex_install
  mkdir -p "$T/bin" "$T/home/.codex"
  ln -sf "$SA_CODEX_BIN" "$T/bin/codex"
  want=$(HOME="$T/home" CODEX_HOME="$T/home/.codex" "$SA_CODEX_BIN" debug models 2>/dev/null |
         jq -c '[.models[] | select(.visibility != "hide") | {id: .slug, name: .display_name}]')
  [ "$(jq length <<<"$want")" -gt 0 ]
  HOME="$T/home" CODEX_HOME="$T/home/.codex" PATH="$T/bin:$PATH" serve_start --no-token
  api GET /v1/agents/codex/models
  [ "$code" = 200 ]
  [ "$(jq -c .models <<<"$body")" = "$want" ] || { echo "got $body"; false; }
  [ "$(jq -r .defaultModel <<<"$body")" = null ]
}

@test "models: a failing models_command falls back to the description's static list" {
  agents_copy "$T/agents"
  printf '#!/bin/sh\nexit 3\n' >"$T/failing"; chmod +x "$T/failing"
  add_desc "$T/agents" cat1 ".bin = \"$T/failing\" | .models_command = [\"models\"] | .models_format = \"codex-catalog\"
                             | .models = [{\"id\":\"m1\",\"name\":\"M1\"}] | .default_model = \"m1\""
  serve_start --no-token --agents-dir "$T/agents"
  api GET /v1/agents/cat1/models
  [ "$code" = 200 ]
  [ "$body" = '{"models":[{"id":"m1","name":"M1"}],"defaultModel":"m1"}' ]
}

@test "models: the models_command runs once; its answer is cached for the server's life" {
  agents_copy "$T/agents"
  cat >"$T/catalog" <<EOF
#!/bin/sh
echo run >>"$T/runs"
echo '{"models":[{"slug":"a","display_name":"A","visibility":"list"},{"slug":"h","display_name":"H","visibility":"hide"}]}'
EOF
  chmod +x "$T/catalog"
  add_desc "$T/agents" cat2 ".bin = \"$T/catalog\" | .models_command = [\"debug\",\"models\"] | .models_format = \"codex-catalog\""
  serve_start --no-token --agents-dir "$T/agents"
  api GET /v1/agents/cat2/models
  first=$body
  api GET /v1/agents/cat2/models
  [ "$body" = "$first" ]
  [ "$(jq -c .models <<<"$body")" = '[{"id":"a","name":"A"}]' ]
  [ "$(wc -l <"$T/runs")" -eq 1 ]
}

@test "stopping: sa-spawn gets --grace-ms of half --kill-grace-ms, at least 100" {
  serve_start --no-token --kill-grace-ms 3000
  api POST /v1/sessions/g1 '{"agent":"mock"}'
  [ "$code" = 200 ]
  spawn_cmdline g1 | grep -q -- '--grace-ms 1500 '
  serve_stop
  SA_SERVE_DB=$T/sa2.db serve_start --no-token --kill-grace-ms 120
  api POST /v1/sessions/g2 '{"agent":"mock"}'
  [ "$code" = 200 ]
  spawn_cmdline g2 | grep -q -- '--grace-ms 100 '
}

@test "agents-dir: sa-spawn gets --agents-dir and sa-normalize --programs of the same absolute dir" {
  agents_copy "$T/agents"
  (cd "$T" && serve_start --no-token --agents-dir agents)
  URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$T/serve.out" | head -1)
  api POST /v1/sessions/d1 '{"agent":"mock"}'
  [ "$code" = 200 ]
  spawn_cmdline d1 | grep -q -- "--agents-dir $T/agents "
  found=
  for p in $(session_pids d1); do
    tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "/sa-normalize .*--programs $T/agents" && found=1
  done
  [ -n "$found" ]
}

@test "usage: SessionInfo usage is the sum of the stored turn.ended usage fields (live)" {
  serve_start --no-token
  api POST /v1/sessions/u1 '{"agent":"mock"}'
  api POST /v1/sessions/u1/messages '{"message":"hello"}'
  wait_event u1 '.type == "turn.ended"'
  api POST /v1/sessions/u1/messages '{"message":"echo two"}'
  i=0
  until [ "$(events u1 | jq -s '[.[] | select(.type == "turn.ended")] | length')" -ge 2 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || { echo "no second turn.ended"; false; }
    sleep 0.05
  done
  want=$(usage_of_events u1)
  api GET /v1/sessions/u1
  jq -e 'has("usage")' <<<"$body"
  [ "$(jq -c .usage <<<"$body")" = "$want" ] || { echo "got $(jq -c .usage <<<"$body"), want $want"; false; }
  api GET /v1/sessions
  [ "$(jq -c '.sessions[] | select(.sessionId == "u1") | .usage' <<<"$body")" = "$want" ]
}

@test "usage: after a restart the totals are summed from the store (nulls stay null)" {
  # turn.ended events with usage written straight into the store
  ev() { printf '{"time":"2026-01-01T00:00:00Z","session_id":"r1","native_session_id":null,"synthetic":false,"source":"agent","type":"%s","data":%s,"raw":null}\n' "$1" "$2"; }
  {
    ev turn.started '{"phase":"started"}'
    ev turn.ended '{"phase":"ended","usage":{"input_tokens":10,"output_tokens":5,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":0.25}}'
    ev turn.started '{"phase":"started"}'
    ev turn.ended '{"phase":"ended","usage":{"input_tokens":7,"output_tokens":1,"cache_read_tokens":3,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":0.5}}'
    ev turn.ended '{"phase":"ended"}'
  } | sa-store --db "$T/sa.db" --session r1 --agent mock >/dev/null
  serve_start --no-token
  want=$(usage_of_events r1)
  [ "$want" = '{"input_tokens":17,"output_tokens":6,"cache_read_tokens":3,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":0.75}' ]
  api GET /v1/sessions/r1
  [ "$(jq -c .usage <<<"$body")" = "$want" ] || { echo "got $body"; false; }
}
