#!/usr/bin/env bats
# spawn_codex.bats - sa-spawn alone with the real Codex CLI (0.169.0,
# codex app-server) against tests/fakellm/fakellm.py: the JSON-RPC
# handshake, the sa_method annotation of responses, request ids, answers,
# cancel as turn/interrupt, and thread/resume for --resume.  Every wait is
# bounded; the agent's process group is killed in teardown if still there.

bats_require_minimum_version 1.5.0
load spawn_helpers
load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  codex_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  codex_install
  codex_test_env "$BATS_TEST_TMPDIR/home"
  WORK=$BATS_TEST_TMPDIR/work
  mkdir -p "$WORK"
}

# end a still running sa-spawn with terminate (bounded), then the usual cleanup
teardown() {
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    send '{"type":"terminate"}' 2>/dev/null || true
    finish || true
  fi
  teardown_spawn
}

start_codex() {
  start_spawn --agent codex --agent-bin "$SA_CODEX_BIN" --cwd "$WORK" "$@"
  wait_for "$OUT" '"sa":"spawned"' 20
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
}

# the first approval request line, compact
approval() { jq -c 'select(.method? == "item/commandExecution/requestApproval")' "$OUT" | head -1; }

@test "codex: initialize and thread/start responses are annotated with sa_method" {
  start_codex
  send '{"type":"message","message":"NOTOOL hello"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  jq -se '[.[] | select(has("id") and has("result")) | .sa_method] | .[0:3] == ["initialize","thread/start","turn/start"]' "$OUT"
}

@test "codex: notifications and server requests pass through unannotated" {
  start_codex
  send '{"type":"message","message":"NOTOOL hello"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  jq -se '[.[] | select(has("method")) | has("sa_method")] | any | not' "$OUT"
}

@test "codex: a permission's universal id is turnId:rpcid and its reply reaches codex" {
  start_codex
  send '{"type":"message","message":"RUN: touch approved.txt"}'
  wait_for "$OUT" 'requestApproval' 60
  pid=$(approval | jq -r '"\(.params.turnId):\(.id)"')
  send "{\"type\":\"permission.reply\",\"permission_id\":\"$pid\",\"reply\":\"once\"}"
  wait_for "$OUT" '"sa":"turn_end"' 60
  sa_lines "$OUT" permission.resolved | jq -e --arg p "$pid" '.permission_id == $p and .reply == "once" and .by == "user"'
  [ -e "$WORK/approved.txt" ]
}

@test "codex: always covers the same command again in the session without asking the user" {
  start_codex
  send '{"type":"message","message":"RUN: touch always.txt"}'
  send '{"type":"message","message":"RUN: touch always.txt"}'
  wait_for "$OUT" 'requestApproval' 60
  pid=$(approval | jq -r '"\(.params.turnId):\(.id)"')
  send "{\"type\":\"permission.reply\",\"permission_id\":\"$pid\",\"reply\":\"always\"}"
  wait_for "$OUT" '"sa":"turn_end","turn":2' 60
  [ -e "$WORK/always.txt" ]
  [ "$(sa_lines "$OUT" permission.resolved | jq -s 'map(select(.by == "user")) | length')" -eq 1 ]
}

@test "codex: cancel during a pending approval sends turn/interrupt and ends the turn" {
  start_codex
  send '{"type":"message","message":"RUN: touch never.txt"}'
  wait_for "$OUT" 'requestApproval' 60
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  grep -q '"sa_method":"turn/interrupt"' "$OUT"
  jq -se 'map(select(.method? == "turn/completed"))[0].params.turn.status == "interrupted"' "$OUT"
  [ ! -e "$WORK/never.txt" ]
}

@test "codex: a message queued during a turn starts on the same thread after it" {
  start_codex
  send '{"type":"message","message":"NOTOOL one"}'
  send '{"type":"message","message":"NOTOOL two"}'
  wait_for "$OUT" '"turn":2' 60
  wait_for "$OUT" '"sa":"turn_end","turn":2' 60
  [ "$(jq -s '[.[] | select(.sa_method? == "thread/start")] | length' "$OUT")" -eq 1 ]
  [ "$(jq -s '[.[] | select(.sa_method? == "turn/start")] | length' "$OUT")" -eq 2 ]
}

@test "codex: --resume opens the thread with thread/resume" {
  start_codex
  send '{"type":"message","message":"NOTOOL remember"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  tid=$(jq -r 'select(.sa_method? == "thread/start") | .result.thread.id' "$OUT")
  send '{"type":"terminate"}'
  finish
  start_codex --resume "$tid"
  send '{"type":"message","message":"NOTOOL again"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  jq -se --arg t "$tid" 'map(select(.sa_method? == "thread/resume"))[0].result.thread.id == $t' "$OUT"
}

@test "codex: plan permission mode runs with approvalPolicy never in a read-only sandbox" {
  start_codex --permission-mode plan
  send '{"type":"message","message":"RUN: touch ro.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  jq -se 'map(select(.sa_method? == "thread/start"))[0].result | .approvalPolicy == "never" and .sandbox.type == "readOnly"' "$OUT"
  [ ! -e "$WORK/ro.txt" ]
  ! grep -q requestApproval "$OUT"
}

@test "codex: an unanswered approval is declined after --hitl-timeout" {
  start_codex --hitl-timeout 1
  send '{"type":"message","message":"RUN: touch late.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  sa_lines "$OUT" permission.resolved | jq -e '.reply == "reject" and .by == "timeout"'
  [ ! -e "$WORK/late.txt" ]
}
