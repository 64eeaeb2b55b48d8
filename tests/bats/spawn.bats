#!/usr/bin/env bats
# sa-spawn driven alone with the mock agent: every input command, turn
# order, HITL replies and timeouts, terminate/SIGTERM cleanup, spawn
# failures, FIFO control and input errors.

bats_require_minimum_version 1.5.0
load spawn_helpers

teardown() { teardown_spawn; }

msg() { printf '{"type":"message","message":"%s"}\n' "$1"; }

@test "one message: spawned, turn, the mock's lines, turn_end, exited requested" {
  run --separate-stderr sh -c "$(declare -f msg); msg hello | sa-spawn --agent mock --session s1"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == '{"sa":"spawned","agent":"mock","pid":'* ]]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  t=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"sa":"turn","turn":1,"message":"hello","attachments":\[\]\}$')
  r=$(line_no "$BATS_TEST_TMPDIR/o" '"mock":"item.completed".*"mock_1_reply".*"text":"hello"')
  e=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"mock":"turn.ended","turn":1\}$')
  te=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"sa":"turn_end","turn":1\}$')
  x=$(line_no "$BATS_TEST_TMPDIR/o" '^\{"sa":"exited","agent":"mock",.*"code":0,"signal":null,"requested":true')
  [ "$t" -lt "$r" ] && [ "$r" -lt "$e" ] && [ "$e" -lt "$te" ] && [ "$te" -lt "$x" ]
  grep -q '"session_id":"mock-s1"' "$BATS_TEST_TMPDIR/o"
  # every line is JSON except none here; sa lines have "sa" first
  jq -e . "$BATS_TEST_TMPDIR/o" >/dev/null
}

@test "several messages become turns in order" {
  run sh -c "$(declare -f msg); { msg 'echo one'; msg 'echo two'; msg 'echo three'; } | sa-spawn --agent mock"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  prev=0
  for i in 1 2 3; do
    t=$(line_no "$BATS_TEST_TMPDIR/o" "^\\{\"sa\":\"turn\",\"turn\":$i,")
    te=$(line_no "$BATS_TEST_TMPDIR/o" "^\\{\"sa\":\"turn_end\",\"turn\":$i\\}")
    [ "$prev" -lt "$t" ] && [ "$t" -lt "$te" ]
    prev=$te
  done
  run jq -rR 'fromjson? | select(.mock == "item.completed" and .item.role == "assistant") | .item.content[0].text' "$BATS_TEST_TMPDIR/o"
  [ "${lines[0]}" = one ] && [ "${lines[1]}" = two ] && [ "${lines[2]}" = three ]
}

@test "a message arriving during a turn waits for the turn to end" {
  start_spawn --agent mock
  send '{"type":"message","message":"sleep 400"}'
  wait_for "$OUT" '"mock_1_user".*"completed"'
  send '{"type":"message","message":"echo after"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  send '{"type":"terminate"}'
  finish
  [ "$SSTATUS" -eq 0 ]
  slept=$(line_no "$OUT" '"text":"slept 400"')
  te1=$(line_no "$OUT" '"sa":"turn_end","turn":1')
  t2=$(line_no "$OUT" '"sa":"turn","turn":2,"message":"echo after"')
  [ "$slept" -lt "$te1" ] && [ "$te1" -lt "$t2" ]
}

@test "permission replies once and reject reach the mock; resolved lines by user" {
  start_spawn --agent mock
  send '{"type":"message","message":"permission"}'
  wait_for "$OUT" '"permission_id":"mock_1_permission_denied"'
  send '{"type":"permission.reply","permission_id":"mock_1_permission","reply":"once"}'
  send '{"type":"permission.reply","permission_id":"mock_1_permission_denied","reply":"reject"}'
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  grep -qx '{"sa":"permission.resolved","permission_id":"mock_1_permission","reply":"once","by":"user"}' "$OUT"
  grep -qx '{"sa":"permission.resolved","permission_id":"mock_1_permission_denied","reply":"reject","by":"user"}' "$OUT"
  grep -q '"text":"mock_1_permission: once"' "$OUT"
  grep -q '"text":"mock_1_permission_denied: reject"' "$OUT"
}

@test "always is remembered: a later request with the same action is answered by always" {
  start_spawn --agent mock
  send '{"type":"message","message":"permission"}'
  wait_for "$OUT" '"permission_id":"mock_1_permission_denied"'
  send '{"type":"permission.reply","permission_id":"mock_1_permission","reply":"always"}'
  send '{"type":"permission.reply","permission_id":"mock_1_permission_denied","reply":"once"}'
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"message","message":"permission"}'
  wait_for "$OUT" '"permission_id":"mock_2_permission_denied"'
  send '{"type":"permission.reply","permission_id":"mock_2_permission_denied","reply":"reject"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  send '{"type":"permission.reply","permission_id":"mock_2_permission","reply":"once"}'
  wait_for "$OUT" '"sa":"input_error"'
  send '{"type":"terminate"}'
  finish
  grep -qx '{"sa":"permission.resolved","permission_id":"mock_2_permission","reply":"always","by":"always"}' "$OUT"
  grep -q '"text":"mock_2_permission: always"' "$OUT"
  grep -q '"text":"mock_2_permission_denied: reject"' "$OUT"
  # a reply to the already-resolved id is refused at once, not held
  grep -q '"sa":"input_error","error":"unknown permission id: mock_2_permission: already resolved"' "$OUT"
}

@test "a reply no request ever matches is an input_error at the end of input; the session goes on" {
  run --separate-stderr sh -c "{ echo '{\"type\":\"permission.reply\",\"permission_id\":\"nope\",\"reply\":\"once\"}';
     echo '{\"type\":\"question.reply\",\"question_id\":\"nah\",\"answers\":[[\"x\"]]}';
     echo '{\"type\":\"message\",\"message\":\"echo still here\"}'; } | sa-spawn --agent mock"
  [ "$status" -eq 0 ]
  [[ "$output" == *'{"sa":"input_error","error":"unknown permission id: nope: no such request before the input ended","line":'* ]]
  [[ "$output" == *'{"sa":"input_error","error":"unknown question id: nah: no such request before the input ended","line":'* ]]
  [[ "$output" == *'"text":"still here"'* ]]
  [[ "$stderr" == *"sa-spawn: input: unknown permission id: nope"* ]]
}

@test "a control file with a message and its permission replies: the early replies wait for their requests" {
  { msg permission
    echo '{"type":"permission.reply","permission_id":"mock_1_permission","reply":"once"}'
    echo '{"type":"permission.reply","permission_id":"mock_1_permission_denied","reply":"reject"}'
  } > "$BATS_TEST_TMPDIR/ctl.jsonl"
  run --separate-stderr timeout 10 sa-spawn --agent mock --control "$BATS_TEST_TMPDIR/ctl.jsonl"
  [ "$status" -eq 0 ]
  [[ "$output" == *'{"sa":"permission.resolved","permission_id":"mock_1_permission","reply":"once","by":"user"}'* ]]
  [[ "$output" == *'{"sa":"permission.resolved","permission_id":"mock_1_permission_denied","reply":"reject","by":"user"}'* ]]
  [[ "$output" == *'"text":"mock_1_permission: once"'* ]]
  [[ "$output" != *'"sa":"input_error"'* ]]
}

@test "an early question reply and an early question reject wait for their questions" {
  run timeout 10 sh -c "$(declare -f msg); { msg question
     echo '{\"type\":\"question.reply\",\"question_id\":\"mock_1_question\",\"answers\":[[\"Red\"]]}'
     echo '{\"type\":\"question.reject\",\"question_id\":\"mock_1_question_reject\"}'; } | sa-spawn --agent mock"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"question_id":"mock_1_question","status":"answered","response":"Red","answers":[["Red"]],"by":"user"}'* ]]
  [[ "$output" == *'"question_id":"mock_1_question_reject","status":"rejected","response":null,"answers":[],"by":"user"}'* ]]
}

@test "a request the ended input can never answer is rejected at once, by end_of_input" {
  start=$SECONDS
  run timeout 20 sh -c "$(declare -f msg); msg permission | sa-spawn --agent mock"
  [ "$status" -eq 0 ]
  [ $((SECONDS - start)) -lt 10 ]
  [[ "$output" == *'{"sa":"permission.resolved","permission_id":"mock_1_permission","reply":"reject","by":"end_of_input"}'* ]]
  [[ "$output" == *'{"sa":"permission.resolved","permission_id":"mock_1_permission_denied","reply":"reject","by":"end_of_input"}'* ]]
  [[ "$output" == *'"text":"mock_1_permission: reject"'* ]]
  [[ "$output" == *'{"sa":"turn_end","turn":1}'* ]]
}

@test "a question pending when the input ends is rejected at once, by end_of_input" {
  run timeout 20 sh -c "$(declare -f msg); msg question | sa-spawn --agent mock"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"question_id":"mock_1_question","status":"rejected","response":null,"answers":[],"by":"end_of_input"}'* ]]
  [[ "$output" == *'"text":"mock_1_question: rejected"'* ]]
}

@test "a held reply that no request matches within --hitl-timeout is an input_error then" {
  start_spawn --agent mock --hitl-timeout 1
  send '{"type":"permission.reply","permission_id":"later","reply":"once"}'
  wait_for "$OUT" '"sa":"input_error","error":"unknown permission id: later: no such request within --hitl-timeout"' 5
  send '{"type":"terminate"}'
  finish
}

@test "at most 64 replies are held; the 65th is refused at once" {
  start_spawn --agent mock
  for i in $(seq 1 65); do send "{\"type\":\"permission.reply\",\"permission_id\":\"p$i\",\"reply\":\"once\"}"; done
  wait_for "$OUT" '"error":"unknown permission id: p65: 64 replies already wait for their requests"'
  ! grep -q '"error":"unknown permission id: p64:' "$OUT"
  send '{"type":"terminate"}'
  finish
}

@test "replies still held when the session is terminated are input_errors before terminated" {
  start_spawn --agent mock
  send '{"type":"permission.reply","permission_id":"p1","reply":"once"}'
  send '{"type":"question.reject","question_id":"q1"}'
  send '{"type":"terminate"}'
  finish
  p=$(line_no "$OUT" '"error":"unknown permission id: p1: no such request before the session was terminated"')
  q=$(line_no "$OUT" '"error":"unknown question id: q1: no such request before the session was terminated"')
  t=$(line_no "$OUT" '^\{"sa":"terminated"\}$')
  [ "$p" -lt "$t" ] && [ "$q" -lt "$t" ]
}

@test "question reply and reject" {
  start_spawn --agent mock
  send '{"type":"message","message":"question"}'
  wait_for "$OUT" '"question_id":"mock_1_question_reject"'
  send '{"type":"question.reply","question_id":"mock_1_question","answers":[["Red"]]}'
  send '{"type":"question.reject","question_id":"mock_1_question_reject"}'
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  grep -qx '{"sa":"question.resolved","question_id":"mock_1_question","status":"answered","response":"Red","answers":\[\["Red"\]\],"by":"user"}' "$OUT"
  grep -qx '{"sa":"question.resolved","question_id":"mock_1_question_reject","status":"rejected","response":null,"answers":\[\],"by":"user"}' "$OUT"
  grep -q '"text":"mock_1_question: Red"' "$OUT"
  grep -q '"text":"mock_1_question_reject: rejected"' "$OUT"
}

@test "--hitl-timeout 1 rejects requests nobody answers" {
  start_spawn --agent mock --hitl-timeout 1
  send '{"type":"message","message":"permission"}'
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"terminate"}'
  finish
  grep -qx '{"sa":"permission.resolved","permission_id":"mock_1_permission","reply":"reject","by":"timeout"}' "$OUT"
  grep -qx '{"sa":"permission.resolved","permission_id":"mock_1_permission_denied","reply":"reject","by":"timeout"}' "$OUT"
  grep -q '"text":"mock_1_permission: reject"' "$OUT"
}

@test "cancel stops the running turn" {
  start_spawn --agent mock
  send '{"type":"message","message":"sleep 20000"}'
  wait_for "$OUT" '"mock_1_user".*"completed"'
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  send '{"type":"message","message":"echo next"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  send '{"type":"terminate"}'
  finish
  grep -qx '{"sa":"cancelled"}' "$OUT"
  ! grep -q 'slept 20000' "$OUT"
  grep -q '"text":"next"' "$OUT"
}

@test "cancel resolves the turn's pending requests as rejected, by cancel" {
  start_spawn --agent mock
  send '{"type":"message","message":"permission"}'
  wait_for "$OUT" '"mock":"permission.requested"'
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"cancelled"'
  send '{"type":"terminate"}'
  finish
  [ "$(sa_lines "$OUT" permission.resolved | jq -s 'map(select(.by == "cancel" and .reply == "reject")) | length')" -ge 1 ]
}

@test "an agent that exits with a request pending resolves it as rejected, by exit, before exited" {
  start_spawn --agent mock
  send '{"type":"message","message":"permission"}'
  wait_for "$OUT" '"mock":"permission.requested"'
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
  kill -KILL "$AGENT_PGID"
  wait_for "$OUT" '"sa":"exited"'
  send '{"type":"terminate"}'
  finish
  r=$(line_no "$OUT" '"sa":"permission.resolved".*"by":"exit"')
  e=$(line_no "$OUT" '"sa":"exited"')
  [ "$r" -lt "$e" ]
  AGENT_PGID=
}

@test "terminate during a turn: terminated then exited requested, exit 0" {
  start_spawn --agent mock
  send '{"type":"message","message":"sleep 20000"}'
  wait_for "$OUT" '"mock_1_user".*"completed"'
  send '{"type":"terminate"}'
  finish
  [ "$SSTATUS" -eq 0 ]
  t=$(line_no "$OUT" '^\{"sa":"terminated"\}$')
  x=$(line_no "$OUT" '^\{"sa":"exited",.*"requested":true')
  [ "$t" -lt "$x" ]
  [ "$(tail -1 "$OUT" | jq -r .sa)" = exited ]
}

@test "SIGTERM stops the agent's whole process group; exit 6" {
  # an agent that leaves a background child in its group
  cat > "$BATS_TEST_TMPDIR/agent" <<'SH'
#!/bin/sh
sleep 300 &
exec sa-mock-agent "$@"
SH
  chmod +x "$BATS_TEST_TMPDIR/agent"
  start_spawn --agent mock --agent-bin "$BATS_TEST_TMPDIR/agent" --grace-ms 500
  wait_for "$OUT" '"sa":"spawned"'
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
  send '{"type":"message","message":"sleep 20000"}'
  wait_for "$OUT" '"mock_1_user".*"completed"'
  kill -0 -- "-$AGENT_PGID"
  kill -TERM "$SPID"
  finish
  [ "$SSTATUS" -eq 6 ]
  sa_lines "$OUT" terminated | grep -q .
  sa_lines "$OUT" exited | jq -e '.requested == true' >/dev/null
  ! kill -0 -- "-$AGENT_PGID" 2>/dev/null
  AGENT_PGID=
}

@test "an agent that cannot start: spawn_failed and exit 3" {
  run --separate-stderr sh -c "echo '{\"type\":\"message\",\"message\":\"x\"}' | sa-spawn --agent mock --agent-bin /nonexistent/agent"
  [ "$status" -eq 3 ]
  [ "$(echo "$output" | jq -r .sa)" = spawn_failed ]
  [ "$(echo "$output" | jq -r .agent)" = mock ]
  [[ "$stderr" == "sa-spawn: cannot execute /nonexistent/agent"* ]]
  : > "$BATS_TEST_TMPDIR/notexec"
  run --separate-stderr sa-spawn --agent claude --agent-bin "$BATS_TEST_TMPDIR/notexec" </dev/null
  [ "$status" -eq 3 ]
  [[ "$output" == '{"sa":"spawn_failed","agent":"claude","error":"cannot execute '* ]]
  run --separate-stderr sa-spawn --agent mock --cwd /nonexistent/dir </dev/null
  [ "$status" -eq 3 ]
  [[ "$output" == '{"sa":"spawn_failed"'* ]]
}

@test "no agents directory: the message lists the directories searched" {
  cp "$(command -v sa-spawn)" "$BATS_TEST_TMPDIR/sa-spawn"
  run --separate-stderr env -u SA_AGENTS_DIR "$BATS_TEST_TMPDIR/sa-spawn" --agent mock < /dev/null
  [ "$status" -eq 2 ]
  up=$(dirname "$BATS_TEST_TMPDIR")
  [[ "$stderr" == *"no agents directory (looked for $up/share/sa/agents, $up/sa-normalize/agents"*"; set --agents-dir or SA_AGENTS_DIR)"* ]]
}

@test "a FIFO control: writers may come and go; terminate ends it" {
  start_spawn --agent mock
  exec 5>&-                       # the first writer leaves at once
  echo '{"type":"message","message":"echo first"}' > "$CTL"
  wait_for "$OUT" '"sa":"turn_end","turn":1'
  echo '{"type":"message","message":"echo second"}' > "$CTL"
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  kill -0 "$SPID"                 # no end of input on a FIFO
  echo '{"type":"terminate"}' > "$CTL"
  finish
  [ "$SSTATUS" -eq 0 ]
  grep -q '"text":"first"' "$OUT"
  grep -q '"text":"second"' "$OUT"
}

@test "a regular file as --control is read to its end" {
  { msg 'echo a'; msg 'echo b'; } > "$BATS_TEST_TMPDIR/cmds"
  run sa-spawn --agent mock --control "$BATS_TEST_TMPDIR/cmds"
  [ "$status" -eq 0 ]
  [[ "$output" == *'{"sa":"turn_end","turn":2}'* ]]
  run --separate-stderr sa-spawn --agent mock --control /nonexistent/ctl
  [ "$status" -eq 5 ]
  [[ "$stderr" == "sa-spawn: cannot open control input /nonexistent/ctl"* ]]
}

@test "bad input lines are input_errors; the session goes on" {
  run --separate-stderr sh -c "{ echo 'not json'; echo '[1,2]'; echo '{\"type\":\"dance\"}';
     echo '{\"type\":\"message\"}'; echo '{\"type\":\"permission.reply\",\"permission_id\":\"p\",\"reply\":\"maybe\"}';
     echo '{\"type\":\"message\",\"message\":\"echo ok\"}'; } | sa-spawn --agent mock"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  [ "$(sa_lines "$BATS_TEST_TMPDIR/o" input_error | wc -l)" -eq 5 ]
  sa_lines "$BATS_TEST_TMPDIR/o" input_error | head -1 | jq -e '.error == "invalid JSON" and .line == "not json"' >/dev/null
  errs=$(sa_lines "$BATS_TEST_TMPDIR/o" input_error | jq -r .error)
  [[ "$errs" == *"unknown command type: dance"* ]]
  [[ "$errs" == *"not a JSON object"* ]]
  [[ "$errs" == *'reply" must be once, always or reject'* ]]
  grep -q '"text":"ok"' "$BATS_TEST_TMPDIR/o"
}

@test "an agent that dies: exited with code and stderr, restarted for the next turn, exit 4" {
  cat > "$BATS_TEST_TMPDIR/agent" <<'SH'
#!/bin/sh
echo "dying agent: FOO=$FOO cwd=$(pwd)" >&2
exit 3
SH
  chmod +x "$BATS_TEST_TMPDIR/agent"
  mkdir "$BATS_TEST_TMPDIR/wd"
  run --separate-stderr sh -c "$(declare -f msg); { msg one; msg two; } | sa-spawn --agent mock --agent-bin '$BATS_TEST_TMPDIR/agent' --env FOO=bar --cwd '$BATS_TEST_TMPDIR/wd'"
  [ "$status" -eq 4 ]
  printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/o"
  [ "$(sa_lines "$BATS_TEST_TMPDIR/o" spawned | wc -l)" -ge 2 ]
  sa_lines "$BATS_TEST_TMPDIR/o" exited | head -1 | jq -e --arg wd "$BATS_TEST_TMPDIR/wd" \
    '.code == 3 and .signal == null and .requested == false and .stderr.truncated == false
     and .stderr.total_lines == 1 and .stderr.head == ("dying agent: FOO=bar cwd=" + $wd)' >/dev/null
}

@test "stderr report: head 20 and tail 50 lines when longer than 70" {
  cat > "$BATS_TEST_TMPDIR/agent" <<'SH'
#!/bin/sh
i=1; while [ $i -le 100 ]; do echo "err line $i" >&2; i=$((i+1)); done
exit 0
SH
  chmod +x "$BATS_TEST_TMPDIR/agent"
  run sa-spawn --agent mock --agent-bin "$BATS_TEST_TMPDIR/agent" </dev/null
  [ "$status" -eq 0 ]
  echo "$output" | jq -e 'select(.sa == "exited") | .stderr.truncated == true and .stderr.total_lines == 100
     and (.stderr.head | split("\n") | length == 20 and .[0] == "err line 1" and .[19] == "err line 20")
     and (.stderr.tail | split("\n") | length == 50 and .[0] == "err line 51" and .[49] == "err line 100")' >/dev/null
}

@test "usage errors exit 2" {
  run sa-spawn
  [ "$status" -eq 2 ]
  run sa-spawn --agent nosuch
  [ "$status" -eq 2 ]
  run sa-spawn --agent mock --permission-mode sometimes
  [ "$status" -eq 2 ]
  run sa-spawn --agent mock --hitl-timeout soon
  [ "$status" -eq 2 ]
  run sa-spawn --agent mock --env NOEQUALS
  [ "$status" -eq 2 ]
}

@test "burst 100000 passes through complete and in order" {
  run sh -c "$(declare -f msg); msg 'burst 100000' | sa-spawn --agent mock | grep -c '\"mock\":\"item.delta\"'"
  [ "$output" -eq 100000 ]
}
