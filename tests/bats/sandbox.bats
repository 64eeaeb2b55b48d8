#!/usr/bin/env bats
# sandbox.bats - sa-spawn --sandbox: the agent runs under bubblewrap.  The
# agent here is a shell script speaking for the mock protocol that runs
# tests/agents/sandbox_probe.sh (escape attempts) in its working directory
# and prints {"probe":"finished"}; each test checks one outcome.  A victim
# process (sleep, with a marker in its environment) stands for sa's own
# processes.  Everything started here is killed by pid in teardown.

load spawn_helpers

setup() {
  WORK=$BATS_TEST_TMPDIR/work
  mkdir -p "$WORK" "$BATS_TEST_TMPDIR/home"
  # a directory outside the session dir and outside /tmp (the sandbox has
  # its own /tmp): the build directory of this checkout
  OUTSIDE="$SA_TOP/build/sandbox-probe.$$.$BATS_TEST_NUMBER"
  mkdir -p "$OUTSIDE"
  env SA_PROBE_MARK=victim-secret sleep 120 3>&- &
  VICTIM=$!
  AGENT=$BATS_TEST_TMPDIR/agent
  cat >"$AGENT" <<SH
#!/bin/sh
sh "$SA_TOP/tests/agents/sandbox_probe.sh"
echo '{"probe":"finished"}'
exec cat >/dev/null
SH
  chmod +x "$AGENT"
}

teardown() {
  teardown_spawn
  kill "$VICTIM" 2>/dev/null || true
  wait "$VICTIM" 2>/dev/null || true
  rm -rf "$OUTSIDE"
}

run_probe() { # run_probe [SA-SPAWN ARGS] - start, wait for the probe to finish
  HOME=$BATS_TEST_TMPDIR/home PROBE_FIFOS="$BATS_TEST_TMPDIR/ctl" \
    PROBE_REPLY='{"type":"message","message":"INJECTED by the agent"}' \
    PROBE_PID=$VICTIM PROBE_OUTSIDE=$OUTSIDE \
    start_spawn --agent mock --agent-bin "$AGENT" --cwd "$WORK" "$@"
  wait_for "$OUT" '"probe":"finished"' 30
}

probe() { grep -E "^$1=" "$WORK/probe.out" | cut -d= -f2; }

@test "sandbox: --sandbox-check says bwrap on this machine" {
  run sa-spawn --sandbox auto --sandbox-check
  [ "$status" -eq 0 ]
  [ "$output" = bwrap ]
}

@test "sandbox: the spawned line says which sandbox runs the agent" {
  run_probe
  sa_lines "$OUT" spawned | jq -e '.sandbox == "bwrap"'
}

@test "sandbox: the agent cannot write its control FIFO (no injected turn)" {
  run_probe
  [ "$(probe fifo_write)" = no ]
  send '{"type":"message","message":"after"}'
  wait_for "$OUT" '"sa":"turn".*"after"'
  ! grep -q INJECTED "$OUT"
}

@test "sandbox: the agent sees no sa process in /proc" {
  run_probe
  [ "$(probe proc_sa)" = no ]
}

@test "sandbox: the agent cannot read another process's command line or environment" {
  run_probe
  [ "$(probe cmdline_read)" = no ]
  [ "$(probe environ_read)" = no ]
}

@test "sandbox: the agent cannot signal a process outside (the victim lives)" {
  run_probe
  [ "$(probe kill)" = no ]
  kill -0 "$VICTIM"
}

@test "sandbox: a write outside the session directory fails" {
  run_probe
  [ "$(probe write_outside)" = no ]
  [ ! -e "$OUTSIDE/escaped" ]
}

@test "sandbox: a write inside the session directory works" {
  run_probe
  [ "$(probe write_inside)" = yes ]
  [ -e "$WORK/inside.txt" ]
}

@test "sandbox: --sandbox-hide hides a directory from the agent" {
  mkdir -p "$OUTSIDE/secret" && echo s3cret >"$OUTSIDE/secret/f"
  cat >"$AGENT" <<SH
#!/bin/sh
if cat "$OUTSIDE/secret/f" >/dev/null 2>&1; then echo '{"probe":"read"}'; else echo '{"probe":"hidden"}'; fi
echo '{"probe":"finished"}'
exec cat >/dev/null
SH
  run_probe --sandbox-hide "$OUTSIDE/secret"
  grep -q '"probe":"hidden"' "$OUT"
}

@test "sandbox: with --sandbox none the same probe escapes (the test can fail)" {
  run_probe --sandbox none
  [ "$(probe write_outside)" = yes ]
  [ "$(probe environ_read)" = yes ]
  [ "$(probe proc_sa)" = yes ]
  sa_lines "$OUT" spawned | jq -e '.sandbox == "none"'
}

@test "sandbox: no bwrap on PATH is a clear error (exit 3) unless none" {
  mkdir -p "$BATS_TEST_TMPDIR/nobin"
  for t in sh cat env; do ln -s "$(command -v $t)" "$BATS_TEST_TMPDIR/nobin/$t"; done
  run env PATH="$BATS_TEST_TMPDIR/nobin" "$SA_BINDIR/sa-spawn" --sandbox auto --sandbox-check
  [ "$status" -eq 3 ]
  [[ "$output" == *"bubblewrap (bwrap) is not on PATH"* ]]
  run env PATH="$BATS_TEST_TMPDIR/nobin" "$SA_BINDIR/sa-spawn" --sandbox none --sandbox-check
  [ "$status" -eq 0 ] && [ "$output" = none ]
}
