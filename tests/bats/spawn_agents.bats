#!/usr/bin/env bats
# sa-spawn and the agent descriptions (sa-normalize/agents/NAME.json): the
# agent set, mode validation and protocol modules come from the files; an
# agent that ignores SIGTERM is killed with its whole group after the grace.

bats_require_minimum_version 1.5.0
load spawn_helpers

teardown() { teardown_spawn; }

msg() { printf '{"type":"message","message":"%s"}\n' "$1"; }

# a private agents dir holding copies of the real descriptions
private_agents() {
  A=$BATS_TEST_TMPDIR/agents
  mkdir -p "$A"
  cp "$SA_AGENTS_DIR"/*.json "$SA_AGENTS_DIR"/*.jq "$A"/
}

@test "usage lists exactly the described agents" {
  run --separate-stderr sa-spawn --help
  [ "$status" -eq 0 ]
  want=$(cd "$SA_AGENTS_DIR" && ls *.json | sed 's/\.json$//' |
         while read -r a; do jq -r '"\(.order) \(.id)"' "$a.json"; done | sort -n | cut -d' ' -f2 | paste -sd, | sed 's/,/, /g')
  grep -qF -- "the agent (required): $want" <<<"$output"
}

@test "an unknown agent exits 2 naming the known ones" {
  run --separate-stderr sa-spawn --agent nosuch </dev/null
  [ "$status" -eq 2 ]
  want=$(jq -s -r 'sort_by(.order, .id) | map(.id) | join(", ")' "$SA_AGENTS_DIR"/*.json)
  [[ "$stderr" == *"unknown agent: nosuch (known: $want)"* ]]
}

@test "a new description with an existing protocol runs as that agent" {
  private_agents
  jq '.id = "mock2" | .name = "Mock two"' "$A/mock.json" > "$A/mock2.json"
  run --separate-stderr sh -c "$(declare -f msg); msg 'echo hi' | sa-spawn --agents-dir '$A' --agent mock2"
  [ "$status" -eq 0 ]
  [ "$(head -1 <<<"$output" | jq -r '.sa + " " + .agent')" = "spawned mock2" ]
}

@test "a description naming a protocol sa-spawn lacks exits 2" {
  private_agents
  jq '.id = "other" | .protocol = "carrier-pigeon"' "$A/mock.json" > "$A/other.json"
  run --separate-stderr sa-spawn --agents-dir "$A" --agent other </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *'no "carrier-pigeon" protocol module'* ]]
}

@test "a description that is not valid JSON is refused with its path" {
  private_agents
  echo '{"id": "broken",' > "$A/broken.json"
  run --separate-stderr sa-spawn --agents-dir "$A" --agent broken </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"$A/broken.json: not a JSON object"* ]]
}

@test "--mode outside the description's agent_modes exits 2" {
  run --separate-stderr sa-spawn --agent mock --mode review </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--mode review: agent mock has modes build|plan"* ]]
}

@test "--permission-mode the agent neither honours nor aliases exits 2" {
  private_agents
  jq '.permission_modes = ["default"] | del(.permission_mode_aliases)' "$A/mock.json" > "$A/mock.json.new"
  mv "$A/mock.json.new" "$A/mock.json"
  run --separate-stderr sa-spawn --agents-dir "$A" --agent mock --permission-mode bypass </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--permission-mode bypass: agent mock honours default"* ]]
}

@test "mock's acceptEdits alias runs the session (as default)" {
  run --separate-stderr sh -c "$(declare -f msg); msg 'echo hi' | sa-spawn --agent mock --permission-mode acceptEdits"
  [ "$status" -eq 0 ]
  grep -q '"sa":"turn_end"' <<<"$output"
}

@test "an agent that ignores SIGTERM and stdin's end is SIGKILLed with its group after --grace-ms" {
  cat > "$BATS_TEST_TMPDIR/agent" <<'SH'
#!/bin/sh
trap '' TERM
sleep 300 &
exec sleep 300
SH
  chmod +x "$BATS_TEST_TMPDIR/agent"
  start_spawn --agent mock --agent-bin "$BATS_TEST_TMPDIR/agent" --grace-ms 300
  wait_for "$OUT" '"sa":"spawned"'
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
  send '{"type":"terminate"}'
  finish
  [ "$SSTATUS" -eq 0 ]
  sa_lines "$OUT" exited | jq -e '.signal == 9 and .requested == true' >/dev/null
  ! kill -0 -- "-$AGENT_PGID" 2>/dev/null
  AGENT_PGID=
}

@test "an agent does not outlive sa-spawn killed with SIGKILL (parent death signal)" {
  cat > "$BATS_TEST_TMPDIR/agent" <<'SH'
#!/bin/sh
trap '' TERM HUP
exec sleep 300
SH
  chmod +x "$BATS_TEST_TMPDIR/agent"
  start_spawn --agent mock --agent-bin "$BATS_TEST_TMPDIR/agent"
  wait_for "$OUT" '"sa":"spawned"'
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
  kill -0 "$AGENT_PGID"
  kill -9 "$SPID"
  for i in $(seq 1 50); do kill -0 "$AGENT_PGID" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$AGENT_PGID" 2>/dev/null
  AGENT_PGID=
}

@test "an agent whose exec fails (a missing interpreter) is a spawn_failed line with the errno (exit 3)" {
  printf '#!/nonexistent/interpreter\n' > "$BATS_TEST_TMPDIR/agent"
  chmod +x "$BATS_TEST_TMPDIR/agent"
  run --separate-stderr sa-spawn --agent mock --agent-bin "$BATS_TEST_TMPDIR/agent" </dev/null
  [ "$status" -eq 3 ]
  sa_lines <(printf '%s\n' "$output") spawn_failed | jq -e '.error == "cannot execute agent: No such file or directory"'
}
