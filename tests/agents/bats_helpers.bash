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
# with_timeout SECS CMD...  run CMD with a bound (timeout(1), TERM then KILL).

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
