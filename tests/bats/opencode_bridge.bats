#!/usr/bin/env bats
# opencode_bridge.bats - sa-opencode-bridge against tests/agents/fake_opencode.py
# (a stand-in server that can show what the real one cannot be made to show
# on demand: another session's events, a failing request, a dying server).
# The real OpenCode CLI runs in spawn_opencode.bats, opencode_e2e.bats and
# serve_opencode.bats.  Every run is bounded by timeout(1).

bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR"
  FAKE=$SA_TOP/tests/agents/fake_opencode.py
  export FAKE_OPENCODE_LOG=$BATS_TEST_TMPDIR/req.log
  : > "$FAKE_OPENCODE_LOG"
}

# bridge [ARGS...] < commands: run the bridge; stdout in out.jsonl, stderr in err.txt
bridge() {
  timeout -k 2 20 sa-opencode-bridge --opencode "$FAKE" "$@" > out.jsonl 2> err.txt
}

# cmds LINE... then wait: feed command lines, then keep stdin open until the
# fake server's request log has been still for a second (at least 1.5 s, at
# most 15 s), so a loaded machine gets the time the requests take
cmds() {
  for l in "$@"; do printf '%s\n' "$l"; done
  sleep 1.5
  local n=-1 m i
  for i in $(seq 1 27); do
    m=$(wc -l < "$FAKE_OPENCODE_LOG" 2>/dev/null || echo 0)
    [ "$m" = "$n" ] && [ "$m" -gt 0 ] && break
    n=$m
    sleep 0.5
  done
}

@test "bridge: the first line is ready, naming the session it created" {
  cmds | bridge
  [ "$(head -1 out.jsonl | jq -r '.bridge + " " + .session_id + " " + (.resumed | tostring)')" = "ready ses_mine false" ]
  head -1 out.jsonl | jq -e '.url | test("^http://127\\.0\\.0\\.1:[0-9]+$")'
}

@test "bridge: every request carries the server password as Basic auth" {
  cmds '{"type":"prompt","text":"hello"}' | bridge
  [ "$(jq -s 'length' req.log)" -ge 3 ]
  jq -se 'all(.auth)' req.log
}

@test "bridge: events of another session on the same server are not passed on" {
  cmds '{"type":"prompt","text":"hello"}' | bridge
  grep -q '"ses_mine"' out.jsonl
  ! grep -q 'ses_other' out.jsonl
}

@test "bridge: global events and the session's events are passed on verbatim" {
  cmds '{"type":"prompt","text":"hello"}' | bridge
  grep -qx '{"type": "server.connected", "properties": {}}' out.jsonl
  grep -q '"type": "session.idle", "properties": {"sessionID": "ses_mine"}' out.jsonl
}

@test "bridge: a prompt is sent as prompt_async with its text, agent and model" {
  cmds '{"type":"prompt","text":"hello"}' | bridge --agent plan --model fake/fake-model
  jq -se 'map(select(.path == "/session/ses_mine/prompt_async"))[0].body | fromjson
    | .parts == [{"type":"text","text":"hello"}] and .agent == "plan" and .model == {"providerID":"fake","modelID":"fake-model"}' req.log
}

@test "bridge: --session-id of an existing session is resumed without creating one" {
  cmds | bridge --session-id ses_old
  [ "$(head -1 out.jsonl | jq -r '.session_id + " " + (.resumed | tostring)')" = "ses_old true" ]
  ! jq -se 'any(.path == "/session" and .method == "POST")' req.log
}

@test "bridge: an unknown --session-id gives resume_failed, then a new session" {
  cmds | bridge --session-id ses_gone
  jq -se '.[0] == {"bridge":"resume_failed","session_id":"ses_gone","status":404}' out.jsonl
  jq -se '.[1].bridge == "ready" and .[1].session_id == "ses_mine"' out.jsonl
}

@test "bridge: a failed prompt request is an http_error line with its status and body" {
  cmds '{"type":"prompt","text":"FAIL500"}' | bridge
  jq -se 'map(select(.bridge == "http_error"))[0] | .op == "prompt" and .status == 500 and (.body | contains("scripted 500"))' out.jsonl
}

@test "bridge: a server that dies is a server_exited line and exit status 4" {
  # stdin stays open until the bridge exits by itself (at most 18 s), so the
  # end of input cannot win the race on a loaded machine
  run -4 bash -c "{ printf '%s\n' '{\"type\":\"prompt\",\"text\":\"DIE\"}'; for i in \$(seq 1 180); do grep -q server_exited out.jsonl 2>/dev/null && break; sleep 0.1; done; sleep 1; } | timeout -k 2 20 sa-opencode-bridge --opencode '$FAKE' > out.jsonl 2> err.txt"
  jq -se 'map(select(.bridge == "server_exited"))[0] | .code == 7 and .signal == null' out.jsonl
}

@test "bridge: permission, question and abort commands reach their endpoints" {
  cmds '{"type":"permission","id":"per_1","reply":"always"}' '{"type":"question","id":"que_1","answers":[["Blue"]]}' \
       '{"type":"question","id":"que_2","answers":null}' '{"type":"abort"}' | bridge
  jq -se 'map(select(.method == "POST") | [.path, .body]) | index([["/permission/per_1/reply", "{\"reply\":\"always\"}"]]) != null' req.log
  jq -se 'map(select(.method == "POST") | [.path, .body]) | index([["/question/que_1/reply", "{\"answers\":[[\"Blue\"]]}"]]) != null' req.log
  jq -se 'any(.path == "/question/que_2/reject")' req.log
  jq -se 'any(.path == "/session/ses_mine/abort")' req.log
}

@test "bridge: a command with an unsafe id sends nothing" {
  cmds '{"type":"permission","id":"../session","reply":"once"}' | bridge
  ! jq -se 'any(.path | contains(".."))' req.log
  grep -q 'unknown or malformed command' err.txt
}

@test "bridge: end of input stops the server and exits 0" {
  run bash -c "{ sleep 1; } | timeout -k 2 20 sa-opencode-bridge --opencode '$FAKE' > out.jsonl 2> err.txt"
  [ "$status" -eq 0 ]
  port=$(head -1 out.jsonl | jq -r '.url | split(":")[2]')
  ! curl -s --max-time 2 "http://127.0.0.1:$port/event" >/dev/null
}

@test "bridge: a missing --opencode is a usage error (exit 2)" {
  run sa-opencode-bridge </dev/null
  [ "$status" -eq 2 ]
  run sa-opencode-bridge --opencode x --bogus </dev/null
  [ "$status" -eq 2 ]
}

@test "bridge: an opencode that cannot be executed exits 3" {
  run -3 bash -c "sa-opencode-bridge --opencode /nonexistent/opencode < /dev/null > out.jsonl 2> err.txt"
  grep -q 'cannot execute /nonexistent/opencode' err.txt
}
