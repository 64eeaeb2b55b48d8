#!/usr/bin/env bats
# spawn_opencode.bats - sa-spawn alone with the real OpenCode CLI (1.18.33,
# `opencode serve` behind sa-opencode-bridge) against
# tests/fakellm/fakellm.py: the bridge's ready line and password, permission
# and question replies, cancel as abort, turns on one session, --resume of
# the session in a new process, the permission modes (the rules sa-spawn
# puts in OPENCODE_CONFIG_CONTENT), --hitl-timeout and terminate.  Every
# wait is bounded; the agent's process group is killed in teardown if still
# there.  opencode takes a few seconds to start and to run its first turn.

bats_require_minimum_version 1.5.0
load spawn_helpers
load "$SA_TOP/tests/agents/bats_helpers"

QUESTION='Ask me. TOOL: question {"questions":[{"question":"Which color?","header":"Color","options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}]}]}'

setup_file() {
  opencode_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  opencode_install
  opencode_test_env "$BATS_TEST_TMPDIR/home"
  WORK=$BATS_TEST_TMPDIR/work
  mkdir -p "$WORK"
  FAKELOG=$BATS_FILE_TMPDIR/fake/fakellm.log
}

# end a still running sa-spawn with terminate (bounded), then the usual cleanup
teardown() {
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    send '{"type":"terminate"}' 2>/dev/null || true
    finish || true
  fi
  teardown_spawn
}

start_oc() {
  start_spawn --agent opencode --agent-bin "$SA_OPENCODE_BIN" --cwd "$WORK" "$@"
  wait_for "$OUT" '"sa":"spawned"' 20
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
}

# native SSE events of one type (compact), and the bridge's ready line
native() { jq -cR --arg t "$1" 'fromjson? | select(type == "object" and .type? == $t)' "$OUT"; }
ready_line() { jq -cR 'fromjson? | select(type == "object" and .bridge? == "ready")' "$OUT"; }
first_id() { native "$1" | head -1 | jq -r .properties.id; }

reply_perm() { send "{\"type\":\"permission.reply\",\"permission_id\":\"$1\",\"reply\":\"$2\"}"; }

@test "opencode: the bridge prints a ready line with an ses_ session id before any event" {
  start_oc
  send '{"type":"message","message":"NOTOOL hello"}'
  wait_for "$OUT" '"sa":"turn_end"' 90
  ready_line | jq -e '.session_id | startswith("ses_")'
  # the first line that is not sa-spawn's own is the ready line
  jq -cR 'fromjson? | select(type == "object" and (has("sa") | not))' "$OUT" | head -1 | jq -e '.bridge == "ready"'
  [ "$(ready_line | wc -l)" -eq 1 ]
}

@test "opencode: the server refuses a request without the password (401)" {
  start_oc
  wait_for "$OUT" '"bridge":"ready"' 90
  url=$(ready_line | jq -r .url)
  [[ "$url" == http://127.0.0.1:* ]]
  code=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "$url/session")
  echo "HTTP $code"
  [ "$code" = 401 ]
}

@test "opencode: a permission allowed once runs the command (the file exists)" {
  start_oc
  send '{"type":"message","message":"RUN: touch approved.txt"}'
  wait_for "$OUT" '"type":"permission.asked"' 90
  pid=$(first_id permission.asked)
  [[ "$pid" == per_* ]]
  reply_perm "$pid" once
  wait_for "$OUT" '"sa":"turn_end"' 60
  sa_lines "$OUT" permission.resolved | jq -e --arg p "$pid" '.permission_id == $p and .reply == "once" and .by == "user"'
  native permission.replied | jq -e --arg p "$pid" '.properties.requestID == $p and .properties.reply == "once"'
  [ -e "$WORK/approved.txt" ]
}

@test "opencode: a rejected permission does not run the command" {
  start_oc
  send '{"type":"message","message":"RUN: touch rejected.txt"}'
  wait_for "$OUT" '"type":"permission.asked"' 90
  reply_perm "$(first_id permission.asked)" reject
  wait_for "$OUT" '"sa":"turn_end"' 60
  native permission.replied | jq -e '.properties.reply == "reject"'
  [ ! -e "$WORK/rejected.txt" ]
}

@test "opencode: always covers the same command again without asking the user" {
  start_oc
  send '{"type":"message","message":"RUN: touch always.txt"}'
  wait_for "$OUT" '"type":"permission.asked"' 90
  reply_perm "$(first_id permission.asked)" always
  wait_for "$OUT" '"sa":"turn_end","turn":1' 60
  [ -e "$WORK/always.txt" ]
  rm "$WORK/always.txt"
  send '{"type":"message","message":"RUN: touch always.txt"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2' 60
  [ -e "$WORK/always.txt" ]        # it ran again ...
  [ "$(sa_lines "$OUT" permission.resolved | jq -s 'map(select(.by == "user")) | length')" -eq 1 ]   # ... asked once
}

@test "opencode: a question answered with question.reply reaches opencode and the model" {
  start_oc
  : >"$FAKELOG"
  send "$(jq -nc --arg m "$QUESTION" '{type:"message",message:$m}')"
  wait_for "$OUT" '"type":"question.asked"' 90
  qid=$(first_id question.asked)
  [[ "$qid" == que_* ]]
  send "{\"type\":\"question.reply\",\"question_id\":\"$qid\",\"answers\":[[\"Blue\"]]}"
  wait_for "$OUT" '"sa":"turn_end"' 60
  native question.replied | jq -e --arg q "$qid" '.properties.requestID == $q and .properties.answers == [["Blue"]]'
  jq -se 'map(select(.path | startswith("/v1/chat"))) | any(.body.messages | map(select(.role == "tool")) | tostring | test("Blue"))' "$FAKELOG"
}

@test "opencode: a question rejected with question.reject is rejected in opencode" {
  start_oc
  send "$(jq -nc --arg m "$QUESTION" '{type:"message",message:$m}')"
  wait_for "$OUT" '"type":"question.asked"' 90
  qid=$(first_id question.asked)
  send "{\"type\":\"question.reject\",\"question_id\":\"$qid\"}"
  wait_for "$OUT" '"sa":"turn_end"' 60
  native question.rejected | jq -e --arg q "$qid" '.properties.requestID == $q'
  ! native question.replied | grep -q .
}

@test "opencode: cancel during a pending permission aborts the turn and ends it" {
  start_oc
  send '{"type":"message","message":"RUN: touch never.txt"}'
  wait_for "$OUT" '"type":"permission.asked"' 90
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"turn_end"' 60
  native session.error | jq -e '.properties.error.name == "MessageAbortedError"'
  [ ! -e "$WORK/never.txt" ]
}

@test "opencode: two messages are two turns on one session" {
  start_oc
  send '{"type":"message","message":"NOTOOL one"}'
  send '{"type":"message","message":"NOTOOL two"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2' 90
  [ "$(ready_line | wc -l)" -eq 1 ]
  sid=$(ready_line | jq -r .session_id)
  jq -seR --arg s "$sid" '[split("\n")[] | fromjson? | select(type == "object") | .properties.sessionID? | strings] | unique == [$s]' "$OUT"
  [ "$(native message.updated | jq -s 'map(.properties.info | select(.role == "user") | .id) | unique | length')" -eq 2 ]
}

@test "opencode: --resume continues the same session and the model request carries the first turn" {
  start_oc
  send '{"type":"message","message":"NOTOOL remember-first-turn"}'
  wait_for "$OUT" '"sa":"turn_end"' 90
  sid=$(ready_line | jq -r .session_id)
  send '{"type":"terminate"}'
  finish
  : >"$FAKELOG"
  start_oc --resume "$sid"
  send '{"type":"message","message":"NOTOOL again"}'
  wait_for "$OUT" '"sa":"turn_end"' 90
  ready_line | jq -e --arg s "$sid" '.resumed == true and .session_id == $s'
  jq -se 'map(select(.path | startswith("/v1/chat"))) | any(.body.messages | tostring | test("remember-first-turn") and test("again"))' "$FAKELOG"
}

@test "opencode: bypass runs a command without asking" {
  start_oc --permission-mode bypass
  send '{"type":"message","message":"RUN: touch bypass.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 90
  [ -e "$WORK/bypass.txt" ]
  ! grep -q '"type":"permission.asked"' "$OUT"
}

@test "opencode: acceptEdits lets a write through without asking while bash still asks" {
  start_oc --permission-mode acceptEdits
  send '{"type":"message","message":"TOOL: write {\"filePath\":\"created.txt\",\"content\":\"hello\\n\"}"}'
  send '{"type":"message","message":"RUN: touch after.txt"}'
  wait_for "$OUT" '"type":"permission.asked"' 90
  reply_perm "$(first_id permission.asked)" reject
  wait_for "$OUT" '"sa":"turn_end","turn":2' 60
  [ "$(cat "$WORK/created.txt")" = hello ]
  [ "$(native permission.asked | jq -s 'map(.properties.permission)')" = '[
  "bash"
]' ]
}

@test "opencode: plan mode refuses a write (no write tool is offered, the file is not made)" {
  start_oc --permission-mode plan
  : >"$FAKELOG"
  send '{"type":"message","message":"TOOL: write {\"filePath\":\"plan-write.txt\",\"content\":\"x\\n\"}"}'
  # without a write tool the fake model falls back to bash (echo hi), which asks
  wait_for "$OUT" '"type":"permission.asked"|"sa":"turn_end"' 90
  if grep -q '"type":"permission.asked"' "$OUT"; then reply_perm "$(first_id permission.asked)" reject; fi
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ ! -e "$WORK/plan-write.txt" ]
  jq -sc '[.[] | select(.path | startswith("/v1/chat")) | .body.tools[]?.function.name] | unique' "$FAKELOG"
  jq -se '[.[] | select(.path | startswith("/v1/chat")) | .body.tools[]?.function.name] | (index("bash") != null) and (index("write") == null) and (index("edit") == null)' "$FAKELOG"
  sa_lines "$OUT" spawned | jq -e '.argv | index("--agent") as $i | .[$i + 1] == "plan"'
}

@test "opencode: plan mode asks before bash (sa-spawn(1): bash asks also in the plan agent's rules)" {
  start_oc --permission-mode plan
  send '{"type":"message","message":"RUN: touch plan.txt"}'
  wait_for "$OUT" '"type":"permission.asked"' 90
  native permission.asked | head -1 | jq -e '.properties.permission == "bash"'
  reply_perm "$(first_id permission.asked)" reject
  wait_for "$OUT" '"sa":"turn_end"' 60
  [ ! -e "$WORK/plan.txt" ]
}

@test "opencode: --hitl-timeout 1 rejects an unanswered permission" {
  start_oc --hitl-timeout 1
  send '{"type":"message","message":"RUN: touch late.txt"}'
  wait_for "$OUT" '"sa":"turn_end"' 90
  sa_lines "$OUT" permission.resolved | jq -e '.reply == "reject" and .by == "timeout"'
  native permission.replied | jq -e '.properties.reply == "reject"'
  [ ! -e "$WORK/late.txt" ]
}

@test "opencode: terminate leaves no opencode process" {
  start_oc
  send '{"type":"message","message":"NOTOOL hi"}'
  wait_for "$OUT" '"sa":"turn_end"' 90
  [ -n "$(our_opencode)" ]
  send '{"type":"terminate"}'
  finish
  for i in $(seq 1 100); do [ -z "$(our_opencode)" ] && break; sleep 0.1; done
  [ -z "$(our_opencode)" ]
}
