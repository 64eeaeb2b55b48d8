#!/usr/bin/env bats
# The README's examples run as written: the shell pipeline block, and the
# curl walk-through against a real sa-serve (on a free port instead of 2468).

setup() {
  cd "$BATS_TEST_TMPDIR"
  ln -s "$SA_BINDIR" bin
}

# Print the N-th ```sh block of README.md.
block() {
  awk -v n="$1" '/^```sh$/ { k++; if (k == n) { on = 1; next } } /^```$/ { on = 0 } on' "$SA_TOP/README.md"
}

@test "README pipeline example runs and stores the session" {
  block 2 > pipeline.sh
  grep -q sa-normalize pipeline.sh
  run bash -e pipeline.sh
  [ "$status" -eq 0 ]
  [[ "$output" == *'"type":"turn.ended"'* ]]
  [[ "$output" == *'id: 4'* ]]
  [[ "$output" == *'[assistant] hello'* ]]
  run sa-events-check --sequential --session s1 < <(sa-replay --db sa-demo.db --session s1)
  [ "$status" -eq 0 ]
}

@test "README pipeline example prints a transcript a person can read" {
  block 2 > pipeline.sh
  run bash -e pipeline.sh
  [ "$status" -eq 0 ]
  [[ "$output" =~ [0-9]{2}:[0-9]{2}:[0-9]{2}\ assistant:\ hello ]]
}

@test "README says make check installs PostgreSQL for its tests" {
  grep -q 'PostgreSQL server package (`postgresql`)' "$SA_TOP/README.md"
  grep -A1 '^DEB_PKGS' "$SA_TOP/Makefile" | grep -qw postgresql   # and it is so
}

@test "README walk-through prints the SSE frames it reads whole" {
  walk_serve
  run bash -e walk.sh
  kill "$pid"; wait "$pid" || true
  [[ "$output" == *$'id: 16\ndata: {"event_id":"evt_16"'* ]]
  [[ "$output" == *$'id: 17\ndata: {"event_id":"evt_17"'* ]]
}

@test "README pipeline example runs a second time and continues the session" {
  block 2 > pipeline.sh
  bash -e pipeline.sh > first.out
  run bash -e pipeline.sh
  [ "$status" -eq 0 ]
  [[ "$output" == *'[assistant] hello'* ]]
  run sa-events-check --sequential --start 1 --session s1 < <(sa-replay --db sa-demo.db --session s1)
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(sa-replay --db sa-demo.db --session s1 | jq -s '[.[] | select(.type == "turn.started")] | length')" = 2 ]
}

@test "README sa client walk-through runs against sa-serve, twice" {
  block_serve 5 cli.sh
  grep -q 'sa -e $SA attach' cli.sh
  run bash -e -o pipefail cli.sh
  run2=$(bash -e -o pipefail cli.sh 2>&1) || { kill "$pid"; echo "$run2"; false; }
  kill "$pid"; wait "$pid" || true
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "$output" == *'["build","plan"]'* ]]
  [[ "$output" == *'"healthy": true'* ]]
  [[ "$output" == *'"permission.requested"]'* ]]
  [[ "$output" == *'permission [mock_1_permission]: accept'* ]]
  [[ "$output" == *'permission [mock_1_permission_denied]: reject'* ]]
  [[ "$output" == *'-- turn ended'* ]]
  [[ "$run2" == *'-- turn ended'* ]]
}

# walk_serve — the curl walk-through in walk.sh, against a new sa-serve.
walk_serve() { block_serve 4 walk.sh; }

# block_serve N FILE — start sa-serve on a free port (pid in $pid) and write
# the N-th sh block, its SA= line pointed at it, to FILE.
block_serve() {
  block "$1" > "$2"
  grep -q '^SA=' "$2"
  sa-serve --port 0 --no-token --db "$BATS_TEST_TMPDIR/sa.db" > serve.out 2> serve.err 3>&- &
  pid=$!
  for _ in $(seq 50); do grep -q listening serve.out && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' serve.out)
  sed -i "s|^SA=.*|SA=$url|" "$2"
}

# walk_ok — $output is that of a complete walk-through.
walk_ok() {
  [[ "$output" == *'"healthy":true'* ]]
  [[ "$output" == *'[5,"permission.requested"]'* ]]
  [[ "$output" == *'"type":"turn.ended"'* ]]
  [[ "$output" == *'"sessionId":"demo"'*'"ended":true'* ]]
  [[ "$output" == *$'\nsa_sessions_stored 1\n'* ]]
  [[ "$output" =~ sa_events_stored\{agent=\"mock\"\}\ [0-9]+ ]]
}

@test "README curl walk-through runs against sa-serve" {
  walk_serve
  run bash -e walk.sh
  kill "$pid"; wait "$pid" || true
  [ "$status" -eq 0 ]
  walk_ok
}

@test "README curl walk-through runs a second time against the same sa-serve" {
  walk_serve
  bash -e walk.sh > first.out
  run bash -e walk.sh
  kill "$pid"; wait "$pid" || true
  [ "$status" -eq 0 ]
  walk_ok
  [[ "$output" != *'already exists'* ]] && [[ "$output" != *'session terminated'* ]]
}

@test "README codex example runs against the fake model server" {
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && skip "SA_SKIP_AGENT_TESTS=1"
  load "$SA_TOP/tests/agents/bats_helpers"
  codex_install
  fakellm_start "$BATS_TEST_TMPDIR/fake"
  codex_test_env "$BATS_TEST_TMPDIR/home"
  block 6 > codex.sh
  grep -q 'sa-spawn --agent codex' codex.sh
  PATH="$(dirname "$SA_CODEX_BIN"):$PATH" run with_timeout 120 bash -e -o pipefail codex.sh
  fakellm_stop
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"turn.ended"]'* ]]
  [[ "$output" == *'"input_tokens":'* ]]
  [[ "$output" == *'"output_tokens":'* ]]
}

@test "README pi example answers pi's permission from a FIFO against the fake model server" {
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && skip "SA_SKIP_AGENT_TESTS=1"
  load "$SA_TOP/tests/agents/bats_helpers"
  pi_install
  fakellm_start "$BATS_TEST_TMPDIR/fake"
  pi_test_env "$BATS_TEST_TMPDIR/home"
  block 7 > pi.sh
  grep -q 'sa-spawn --agent pi' pi.sh
  mkdir -p "$BATS_TEST_TMPDIR/pibin"
  ln -sf "$SA_PI_BIN" "$BATS_TEST_TMPDIR/pibin/pi"
  PATH="$BATS_TEST_TMPDIR/pibin:$PATH" run with_timeout 120 bash -e -o pipefail pi.sh
  fakellm_stop
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = '"accept"' ]
}

@test "README real-agent example runs with Claude Code found in the agent cache, against the fake model server" {
  [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ] && skip "SA_SKIP_AGENT_TESTS=1"
  load "$SA_TOP/tests/agents/bats_helpers"
  claude_install
  export SA_AGENT_CACHE=${SA_AGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-agents}
  [[ "$SA_CLAUDE_BIN" == "$SA_AGENT_CACHE/"* ]] || skip "Claude Code is not in the agent cache"
  ! command -v claude >/dev/null || skip "claude on PATH"
  fakellm_start "$BATS_TEST_TMPDIR/fake"
  claude_test_env "$BATS_TEST_TMPDIR/home"
  block 8 > real.sh
  grep -q 'sa-spawn --agent claude' real.sh
  run with_timeout 120 bash -e -o pipefail real.sh
  fakellm_stop
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"turn.ended"]'* ]]
  [[ "$output" == *'[assistant] '* ]]
}

@test "README security example: 401 without a token, 200 for the viewer, 403 for its write" {
  block 9 > sec.sh
  grep -q -- '--tokens tokens' sec.sh
  run timeout 30 bash -e sec.sh
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"status":"ok"'* ]]
  [ "$(printf '%s\n' "$output" | grep -E '^[0-9]{3}$' | tr '\n' ' ')" = "401 200 403 " ]
}
