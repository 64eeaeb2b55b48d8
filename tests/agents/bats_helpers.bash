# tests/agents/bats_helpers.bash - shared bats helpers for the real-agent tests
# (claude_*.bats, serve_claude*.bats).  Load with:
#   load "$SA_TOP/tests/agents/bats_helpers"
#
# fakellm_start DIR   start tests/fakellm/fakellm.py (port 0) with its port
#                     file and request log in DIR; sets FAKELLM_PORT and
#                     FAKELLM_PID (exported).  Bounded wait (10 s).
# fakellm_stop        stop that pid (only ours), wait for it.
# claude_install      install the pinned Claude Code CLI (tests/agents/
#                     install.sh, cached outside the repository) and export
#                     SA_CLAUDE_BIN; skips when SA_SKIP_AGENT_TESTS=1.
# claude_test_env HOME  export the offline env (tests/agents/claude_env.sh).
# codex_install       the same for Codex (pinned 0.169.0): SA_CODEX_BIN.
# codex_test_env HOME   export the offline env (tests/agents/codex_env.sh).
# opencode_install    the same for OpenCode (pinned 1.18.33): SA_OPENCODE_BIN.
# opencode_test_env HOME  export the offline env (tests/agents/opencode_env.sh).
# our_opencode        pids of this test's opencode and sa-opencode-bridge
#                     processes (found by the private XDG_DATA_HOME in their
#                     environment), one a line.
# pi_install          the same for Pi (pinned 0.73.1): SA_PI_BIN.
# pi_test_env HOME    export the offline env (tests/agents/pi_env.sh).
# our_pi              pids of this test's pi processes (pi renames itself
#                     "pi"; found by the private PI_CODING_AGENT_DIR in
#                     their environment), one a line.
# our_claude, our_codex  the same for claude (the agentbin/claude link, HOME)
#                     and codex (agentbin/codex app-server, CODEX_HOME).
# env_pids VAR=VALUE PGREP-ARGS...  pids pgrep finds whose environment has
#                     exactly that entry, one a line (the our_* helpers).
# with_timeout SECS CMD...  run CMD with a bound (timeout(1), TERM then KILL).
# agent_e2e, summary, e2e_dump, invariants, agent_serve_setup/_start/_stop:
#                     the shared bodies of the real-agent test files (below).

SA_AGENTS_TESTDIR="$SA_TOP/tests/agents"
export PYTHONDONTWRITEBYTECODE=1

fakellm_start() {
  local dir=$1 i
  mkdir -p "$dir"
  rm -f "$dir/port"
  # 3>&-: bats waits for fd 3 to close; a background server must not hold it.
  python3 "$SA_TOP/tests/fakellm/fakellm.py" --port-file "$dir/port" \
    --log "$dir/fakellm.log" >"$dir/fakellm.out" 2>&1 3>&- &
  FAKELLM_PID=$!
  for i in $(seq 1 200); do
    [ -s "$dir/port" ] && break
    kill -0 "$FAKELLM_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -s "$dir/port" ] || { echo "fakellm did not start" >&2; cat "$dir/fakellm.out" >&2; return 1; }
  FAKELLM_PORT=$(cat "$dir/port")
  export FAKELLM_PORT FAKELLM_PID
}

fakellm_stop() {
  if [ -n "${FAKELLM_PID:-}" ]; then
    kill "$FAKELLM_PID" 2>/dev/null || true
    wait "$FAKELLM_PID" 2>/dev/null || true
    FAKELLM_PID=
  fi
}

claude_install() {
  if [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ]; then
    skip "SA_SKIP_AGENT_TESTS=1"
  fi
  if [ -z "${SA_CLAUDE_BIN:-}" ]; then
    SA_CLAUDE_BIN=$("$SA_AGENTS_TESTDIR/install.sh" claude) || {
      echo "cannot install Claude Code (npm); set SA_SKIP_AGENT_TESTS=1 to skip" >&2
      return 1
    }
  fi
  export SA_CLAUDE_BIN
}

codex_install() {
  if [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ]; then
    skip "SA_SKIP_AGENT_TESTS=1"
  fi
  if [ -z "${SA_CODEX_BIN:-}" ]; then
    SA_CODEX_BIN=$("$SA_AGENTS_TESTDIR/install.sh" codex) || {
      echo "cannot install Codex (npm); set SA_SKIP_AGENT_TESTS=1 to skip" >&2
      return 1
    }
  fi
  export SA_CODEX_BIN
}

opencode_install() {
  if [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ]; then
    skip "SA_SKIP_AGENT_TESTS=1"
  fi
  if [ -z "${SA_OPENCODE_BIN:-}" ]; then
    SA_OPENCODE_BIN=$("$SA_AGENTS_TESTDIR/install.sh" opencode) || {
      echo "cannot install OpenCode (npm); set SA_SKIP_AGENT_TESTS=1 to skip" >&2
      return 1
    }
  fi
  export SA_OPENCODE_BIN
}

opencode_test_env() {
  . "$SA_AGENTS_TESTDIR/opencode_env.sh"
  sa_opencode_env "$FAKELLM_PORT" "$1"
}

# only processes whose program is opencode or the bridge (argv[0]), so the
# test's own shells and drivers, which share the environment, never match
our_opencode() {
  local p a0
  for p in $(pgrep -f opencode 2>/dev/null); do
    a0=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -1)
    case "${a0##*/}" in opencode|sa-opencode-bridge) ;; *) continue ;; esac
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "XDG_DATA_HOME=$XDG_DATA_HOME" && echo "$p"
  done
  return 0
}

pi_install() {
  if [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ]; then
    skip "SA_SKIP_AGENT_TESTS=1"
  fi
  if [ -z "${SA_PI_BIN:-}" ]; then
    SA_PI_BIN=$("$SA_AGENTS_TESTDIR/install.sh" pi) || {
      echo "cannot install Pi (npm); set SA_SKIP_AGENT_TESTS=1 to skip" >&2
      return 1
    }
  fi
  export SA_PI_BIN
}

pi_test_env() {
  . "$SA_AGENTS_TESTDIR/pi_env.sh"
  sa_pi_env "$FAKELLM_PORT" "$1"
}

env_pids() {
  local entry=$1 p
  shift
  for p in $(pgrep "$@" 2>/dev/null); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "$entry" && echo "$p"
  done
  return 0
}

# pi names itself "pi" (process.title: comm and cmdline both say pi), so the
# test's own shells and drivers, which share the environment, never match
our_pi() { env_pids "PI_CODING_AGENT_DIR=$PI_CODING_AGENT_DIR" -x pi; }

# claude runs as the agentbin/claude link agent_serve_setup makes
our_claude() { env_pids "HOME=$HOME" -f "agentbin/claude"; }

our_codex() { env_pids "CODEX_HOME=$CODEX_HOME" -f "agentbin/codex app-server"; }

codex_test_env() {
  . "$SA_AGENTS_TESTDIR/codex_env.sh"
  sa_codex_env "$FAKELLM_PORT" "$1"
}

claude_test_env() {
  . "$SA_AGENTS_TESTDIR/claude_env.sh"
  sa_claude_env "$FAKELLM_PORT" "$1"
}

with_timeout() {
  local secs=$1; shift
  timeout -k 5 "$secs" "$@"
}

# ---- shared bodies of the real-agent test files ----
# The pipeline files (claude_e2e, codex_e2e) set WORK and DB in setup; the
# serve files (serve_claude, serve_codex) set WORK and SERVE_PID.

# agent_e2e AGENT BIN SESSION OUTFILE [drive.py args...]: one pipeline run
# (tests/agents/drive.py); prints its summary.
agent_e2e() {
  local agent=$1 bin=$2 s=$3 out=$4; shift 4
  with_timeout 90 python3 "$SA_AGENTS_TESTDIR/drive.py" --agent "$agent" \
    --agent-bin "$bin" --session "$s" --db "$DB" --cwd "$WORK" \
    --out "$out" --stderr-dir "$BATS_TEST_TMPDIR/stderr-$s" --timeout 60 "$@"
}

# the JSON summary drive.py / serve_drive.py printed last (from $output)
summary() { printf '%s\n' "$output" | grep '^{' | tail -1; }

# e2e_dump FILE...: what went wrong (bats prints it only when a test fails):
# the stages' stderr tails, sa-serve's stderr, then the events compactly
e2e_dump() {
  local f
  for f in "$BATS_TEST_TMPDIR"/stderr-*/*.stderr "$BATS_TEST_TMPDIR/serve.err"; do
    [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
  done
  for f in "$@"; do echo "--- $f"; jq -c '{s:.sequence,t:.type,d:.data}' "$f" 2>/dev/null | cut -c1-300; done
  return 0
}

# invariants [check_events.py args...] FILE: sa-events-check --sequential and
# tests/agents/check_events.py both pass on the stored events
invariants() {
  local file=${!#}
  run sa-events-check --sequential "$file"
  echo "$output"
  [ "$status" -eq 0 ]
  run python3 "$SA_AGENTS_TESTDIR/check_events.py" "$@"
  echo "$output"
  [ "$status" -eq 0 ]
}

# agent_serve_start [sa-serve args...]: sa-serve on a free loopback port in
# $WORK (its own db and state dir under the test's tmpdir); sets SERVE_PID
# and PORT.
agent_serve_start() {
  # emptied here, not by the background redirect: after a restart the loop
  # below could otherwise read the old server's port before that runs
  : >"$BATS_TEST_TMPDIR/serve.out"
  ( cd "$WORK" && exec sa-serve --host 127.0.0.1 --port 0 --no-token \
      --db "$BATS_TEST_TMPDIR/db" --state-dir "$BATS_TEST_TMPDIR/state" \
      --fs-root "$WORK" "$@" >"$BATS_TEST_TMPDIR/serve.out" 2>"$BATS_TEST_TMPDIR/serve.err" 3>&- ) &
  SERVE_PID=$!
  local i
  for i in $(seq 1 1200); do   # at most 60 s: a loaded machine can take long to start it
    grep -q 'listening on http://127.0.0.1:' "$BATS_TEST_TMPDIR/serve.out" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$BATS_TEST_TMPDIR/serve.out" | head -1)
  [ -n "$PORT" ] || { cat "$BATS_TEST_TMPDIR/serve.err"; return 1; }
}

# agent_serve_stop: TERM our sa-serve, KILL it after 5 s (bounded).
agent_serve_stop() {
  if [ -n "${SERVE_PID:-}" ]; then
    kill "$SERVE_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=
  fi
}

# agent_serve_setup BIN NAME: a directory first on PATH holding NAME -> BIN
# (sa-serve finds agents on PATH), and WORK.
agent_serve_setup() {
  mkdir -p "$BATS_TEST_TMPDIR/agentbin" "$BATS_TEST_TMPDIR/work"
  ln -sf "$1" "$BATS_TEST_TMPDIR/agentbin/$2"
  export PATH="$BATS_TEST_TMPDIR/agentbin:$PATH"
  WORK="$BATS_TEST_TMPDIR/work"
  SERVE_PID=
}
