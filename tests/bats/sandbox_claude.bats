#!/usr/bin/env bats
# sandbox_claude.bats - the real Claude Code, in bypass mode, inside
# sa-serve's sandbox, told by the fake model (tests/fakellm) to run
# tests/agents/sandbox_probe.sh through its Bash tool: write a permission
# answer into the control FIFOs (a mock session beside it has a permission
# pending), read sa-serve's command line and environment under /proc, signal
# sa-serve, write outside and inside its session directory.  The probe's
# results land in the session directory (probe.out); each test checks one.
# Offline: fake model on 127.0.0.1, port 0; only our pids are stopped.

load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  claude_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  claude_install
  claude_test_env "$BATS_TEST_TMPDIR/home"
  agent_serve_setup "$SA_CLAUDE_BIN" claude
  OUTSIDE="$SA_TOP/build/sandbox-claude.$$.$BATS_TEST_NUMBER"
  mkdir -p "$OUTSIDE"
  export SA_PROBE_SECRET=serve-env-secret-$$     # sa-serve inherits it; the agent must not read it
  agent_serve_start
}

teardown() {
  agent_serve_stop
  rm -rf "$OUTSIDE"
}

H='Content-Type: application/json'
post() { curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "$H" -X POST --data-binary "$2" "http://127.0.0.1:$PORT$1"; }
events() { curl -sS --max-time 20 "http://127.0.0.1:$PORT/v1/sessions/$1/events"; }

# A mock session with a permission pending, then the probe in a claude
# session (bypass).  Sets PERM (the pending id).
run_probe() {
  [ "$(post /v1/sessions/victim '{"agent":"mock"}')" = 200 ]
  [ "$(post /v1/sessions/victim/messages '{"message":"permission"}')" = 204 ]
  PERM=
  for _ in $(seq 200); do
    PERM=$(events victim | jq -r '[.events[] | select(.type == "permission.requested")][0].data.permission_id // empty')
    [ -n "$PERM" ] && break; sleep 0.05
  done
  [ -n "$PERM" ]
  cat >"$WORK/run_probe.sh" <<SH
export PROBE_FIFOS='$BATS_TEST_TMPDIR/state/ctl-*'
export PROBE_REPLY='{"type":"permission.reply","permission_id":"$PERM","reply":"once"}'
export PROBE_PID=$SERVE_PID PROBE_OUTSIDE='$OUTSIDE' PROBE_OUT=probe.out
exec sh '$SA_TOP/tests/agents/sandbox_probe.sh'
SH
  run with_timeout 150 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" \
    --session probe --agent claude --create '{"permissionMode":"bypass"}' \
    --out "$BATS_TEST_TMPDIR/events.jsonl" --timeout 120 --message "Probe. RUN: sh run_probe.sh"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q '^done=yes' "$WORK/probe.out"
}

probe() { grep -E "^$1=" "$WORK/probe.out" | cut -d= -f2; }

@test "sandbox claude: writing an answer into the control FIFOs fails; the permission stays pending" {
  run_probe
  [ "$(probe fifo_write)" = no ]
  ! events victim | jq -e '[.events[] | select(.type == "permission.resolved")] | length > 0'
  # ... until a person answers it over HTTP
  [ "$(post "/v1/sessions/victim/permissions/$PERM/reply" '{"reply":"once"}')" = 204 ]
  for _ in $(seq 200); do
    events victim | jq -e '[.events[] | select(.type == "permission.resolved")] | length > 0' >/dev/null && break
    sleep 0.05
  done
  events victim | jq -e '[.events[] | select(.type == "permission.resolved")][0].data.permission_id == "'"$PERM"'"'
}

@test "sandbox claude: no sa process is visible in /proc" {
  run_probe
  [ "$(probe proc_sa)" = no ]
}

@test "sandbox claude: sa-serve's command line and environment cannot be read" {
  run_probe
  [ "$(probe cmdline_read)" = no ]
  [ "$(probe environ_read)" = no ]
  ! grep -rq "serve-env-secret-$$" "$WORK"
}

@test "sandbox claude: sa-serve cannot be signalled (it still answers)" {
  run_probe
  [ "$(probe kill)" = no ]
  kill -0 "$SERVE_PID"
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/v1/health" | jq -e '.status == "ok"'
}

@test "sandbox claude: a write outside the session directory fails" {
  run_probe
  [ "$(probe write_outside)" = no ]
  [ ! -e "$OUTSIDE/escaped" ]
}

@test "sandbox claude: a write inside the session directory works" {
  run_probe
  [ "$(probe write_inside)" = yes ]
  [ -e "$WORK/inside.txt" ]
}
