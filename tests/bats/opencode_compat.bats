#!/usr/bin/env bats
# opencode_compat.bats - sa-serve's OpenCode-compatible API (/opencode/...,
# sa-opencode-compat(7)) driven by the real OpenCode CLI (1.18.33, from the
# agent cache: `opencode run --attach` and `opencode attach` under a pty)
# and by curl, over mock sessions; and `sa opencode` with a fake opencode
# that records how it was called.  sa-serve listens on 127.0.0.1 port 0;
# `sa opencode`'s daemon on a probed free port.  Every wait is bounded;
# only our own pids are signalled.

bats_require_minimum_version 1.5.0
load sa_cli_helpers
load "$SA_TOP/tests/agents/bats_helpers"

TOKEN=oc-compat-secret

setup() {
  T=$BATS_TEST_TMPDIR
  export XDG_STATE_HOME=$T/state-home XDG_DATA_HOME=$T/data-home XDG_RUNTIME_DIR=$T/run
  mkdir -p "$T/run"
  cd "$T"
}

teardown() {
  if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
    tail -40 "$T/serve.err" 2>/dev/null || true
    curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" "$URL/v1/sessions/s1/events" | jq -c '.events[] | [.sequence, .type]' || true
  fi
  [ -z "${SSE_PID:-}" ] || stop_pid "$SSE_PID"
  [ -z "${STALL_PID:-}" ] || stop_pid "$STALL_PID"
  [ -z "${DPORT:-}" ] || sa daemon stop -p "$DPORT" >/dev/null 2>&1 || true
  serve_teardown
}

# start sa-serve with the token and a mock session s1 (OpenCode id ses_s1)
serve_mock() {
  echo "$TOKEN" >"$T/token"
  serve_start --token-file "$T/token" --log-level 2 "$@"
  api POST /v1/sessions/s1 '{"agent":"mock"}' -H "Authorization: Bearer $TOKEN"
  [ "$code" = 200 ] || { echo "create: $code $body"; return 1; }
}

# oc_env CMD [ARGS...] - CMD with the real opencode client's private HOME, offline
oc_env() {
  (
    . "$SA_AGENTS_TESTDIR/opencode_env.sh"
    sa_opencode_env 9 "$T/oc-home"
    mkdir -p "$T/oc-work" && cd "$T/oc-work"
    "$@" </dev/null
  )
}
# oc ARGS... - the real opencode client (at most 60 s)
oc() { oc_env timeout 60 "$SA_OPENCODE_BIN" "$@"; }

# events_bg - GET /opencode/event into $T/ev.sse in the background
events_bg() {
  curl -sN --max-time 60 -u "opencode:$TOKEN" "$URL/opencode/event" >"$T/ev.sse" 2>/dev/null 3>&- &
  SSE_PID=$!
  wait_file "$T/ev.sse" '"server.connected"'
}

# streamed_prompt TEXT PATTERN - a mock server, an event stream, TEXT sent
# with prompt_async; waits until the stream shows PATTERN
streamed_prompt() {
  serve_mock
  events_bg
  oc_api POST /opencode/session/ses_s1/prompt_async "{\"parts\":[{\"type\":\"text\",\"text\":\"$1\"}]}"
  [ "$code" = 204 ]
  wait_file "$T/ev.sse" "$2"
}

# ev_json - the frames so far as one JSON array
ev_json() { sed -n 's/^data: //p' "$T/ev.sse" | jq -s .; }

# (a prompt waits for its turn: 60 s on a loaded machine)
oc_api() { api "$1" "$2" "${3-}" -u "opencode:$TOKEN" --max-time 60; }

@test "opencode run --attach URL/opencode --session prints the mock's reply" {
  opencode_install
  serve_mock
  run oc run --attach "$URL/opencode" -p "$TOKEN" --session ses_s1 "echo-oc-$$"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "echo-oc-$$" <<<"$output"
}

@test "opencode run --attach: the mock's permissions are asked and answered through the compat API (auto-rejected)" {
  opencode_install
  serve_mock
  run oc run --attach "$URL/opencode" -p "$TOKEN" --session ses_s1 permission
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q 'permission requested: bash (echo mock); auto-rejecting' <<<"$output"
  api GET /v1/sessions/s1/events '' -H "Authorization: Bearer $TOKEN"
  [ "$(jq -c '[.events[] | select(.type == "permission.resolved") | .data.status]' <<<"$body")" = '["reject","reject"]' ]
}

@test "opencode attach (the TUI) starts under a pty, loads the session and stays up" {
  opencode_install
  serve_mock
  oc_api POST /opencode/session/ses_s1/message '{"parts":[{"type":"text","text":"tui-history"}]}'
  [ "$code" = 200 ]
  # 25 s: on a loaded machine the TUI takes long to make its first requests
  run oc_env timeout 25 script -qfec "$SA_OPENCODE_BIN attach $URL/opencode -p $TOKEN --session ses_s1" /dev/null
  [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }   # still running when the time was up
  grep -q 'GET /opencode/session/ses_s1/message' "$T/serve.err"
  # a stream is logged when it closes, which sa-serve sees a moment after the TUI is gone
  wait_file "$T/serve.err" 'GET /opencode/global/event' 200
  grep -aq 'tui-history' <<<"$output"
}

@test "opencode attach: a line typed in the TUI is a message to the sa session, and the mock's reply is drawn" {
  opencode_install
  serve_mock
  run oc_env python3 "$SA_AGENTS_TESTDIR/tui_type.py" --ready-file "$T/serve.err" \
    --ready 'GET /opencode/session/ses_s1/message' --after 3 --text "typed-$$" --settle 6 -- \
    "$SA_OPENCODE_BIN" attach "$URL/opencode" -p "$TOKEN" --session ses_s1
  [ "$status" -eq 0 ] || { echo "$output" | tail -c 2000; false; }
  api GET /v1/sessions/s1/events '' -H "Authorization: Bearer $TOKEN"
  [ "$(jq -c --arg t "typed-$$" '[.events[] | select(.type == "item.completed") | .data.item
    | select(.kind == "message" and .content[0].text == $t) | .role]' <<<"$body")" = '["user","assistant"]' ]
  [ "$(grep -ao "typed-$$" <<<"$output" | wc -l)" -ge 2 ]    # the prompt and the reply
}

@test "the event stream gives the mock's reply as a text part with its whole text" {
  streamed_prompt "stream me" '"session.idle"'
  ev_json | jq -e '[.[] | select(.type == "message.part.updated") | .properties.part
    | select(.type == "text" and .time.end != null)] | map(.text) == ["stream me"]'
  ev_json | jq -e '[.[] | select(.type == "message.part.delta") | .properties.delta] | add == "stream me"'
}

@test "POST /opencode/session/ID/message answers with the turn's assistant message and its parts" {
  serve_mock
  oc_api POST /opencode/session/ses_s1/message '{"parts":[{"type":"text","text":"sync reply"}]}'
  [ "$code" = 200 ]
  jq -e '.info.role == "assistant" and .info.sessionID == "ses_s1" and .info.time.completed > 0
    and ([.parts[] | select(.type == "text") | .text] == ["sync reply"])' <<<"$body"
}

@test "a prompt whose turn outlasts --idle-timeout still gets its answer (white space keeps it open)" {
  serve_mock --idle-timeout 2 --heartbeat-ms 500
  oc_api POST /opencode/session/ses_s1/message '{"parts":[{"type":"text","text":"sleep 4000"}]}'
  [ "$code" = 200 ]
  jq -e '.info.role == "assistant" and .info.time.completed > 0' <<<"$body"
}

@test "GET /opencode/session/ID/message rebuilds the history from the store: user, then assistant" {
  serve_mock
  oc_api POST /opencode/session/ses_s1/message '{"parts":[{"type":"text","text":"remember me"}]}'
  oc_api GET /opencode/session/ses_s1/message
  [ "$code" = 200 ]
  jq -e 'map(.info.role) == ["user", "assistant"] and .[1].info.parentID == .[0].info.id
    and .[0].parts[0].text == "remember me" and .[1].parts[0].text == "remember me"' <<<"$body"
}

@test "a mock permission is an OpenCode permission.asked event, and its reply through the compat route resolves it in sa" {
  streamed_prompt permission mock_1_permission_denied
  ev_json | jq -e '[.[] | select(.type == "permission.asked") | .properties][0]
    | .id == "mock_1_permission" and .sessionID == "ses_s1" and .permission == "bash" and .patterns == ["echo mock"]'
  oc_api POST /opencode/permission/mock_1_permission/reply '{"reply":"once"}'
  [ "$code" = 204 ]
  wait_file "$T/ev.sse" '"permission.replied"'
  api GET /v1/sessions/s1/events '' -H "Authorization: Bearer $TOKEN"
  jq -e '[.events[] | select(.type == "permission.resolved")][0].data
    | .permission_id == "mock_1_permission" and .status == "accept"' <<<"$body"
  ev_json | jq -e '[.[] | select(.type == "permission.replied") | .properties][0] | .requestID == "mock_1_permission" and .reply == "once"'
}

@test "a mock question is an OpenCode question.asked event, and an answer through /opencode/question/ID/reply answers it in sa" {
  streamed_prompt question mock_1_question_reject
  ev_json | jq -e '[.[] | select(.type == "question.asked") | .properties][0]
    | .id == "mock_1_question" and .questions[0].question == "Choose a color"
    and (.questions[0].options | map(.label)) == ["Red", "Blue"]'
  oc_api POST /opencode/question/mock_1_question/reply '{"answers":[["Blue"]]}'
  [ "$code" = 204 ]
  oc_api POST /opencode/question/mock_1_question_reject/reject
  [ "$code" = 204 ]
  wait_file "$T/ev.sse" '"question.rejected"'
  api GET /v1/sessions/s1/events '' -H "Authorization: Bearer $TOKEN"
  [ "$(jq -c '[.events[] | select(.type == "question.resolved") | .data | [.question_id, .status, .response]]' <<<"$body")" = \
    '[["mock_1_question","answered","Blue"],["mock_1_question_reject","rejected",null]]' ]
}

@test "an event stream that does not read is ended past --client-buffer (256 KiB); one that reads gets the turn's end" {
  serve_mock
  python3 -c '
import socket, sys, time, base64
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
a = base64.b64encode(b"opencode:" + sys.argv[2].encode()).decode()
s.sendall(("GET /opencode/event HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + a + "\r\n\r\n").encode())
time.sleep(120)' "$PORT" "$TOKEN" 3>&- &
  STALL_PID=$!
  events_bg
  oc_api POST /opencode/session/ses_s1/prompt_async '{"parts":[{"type":"text","text":"burst 2500 4000"}]}'
  wait_file "$T/serve.err" 'OpenCode event stream fell [0-9]* bytes behind: ended' 1800
  wait_file "$T/ev.sse" '"session.idle"' 1200
}

@test "a reply to a permission nobody asked for is 404" {
  serve_mock
  oc_api POST /opencode/permission/per_nothing/reply '{"reply":"once"}'
  [ "$code" = 404 ]
}

@test "/opencode without a password is 401" {
  serve_mock
  api GET /opencode/session
  [ "$code" = 401 ]
}

@test "/opencode with a wrong password is 401, with the right one 200" {
  serve_mock
  api GET /opencode/session '' -u opencode:wrong
  [ "$code" = 401 ]
  oc_api GET /opencode/session
  [ "$code" = 200 ]
  jq -e 'map(.id) == ["ses_s1"]' <<<"$body"
}

@test "POST /opencode/session with an allow-everything rule makes a bypass session of the agent named by model.providerID" {
  serve_mock
  oc_api POST /opencode/session '{"title":"yolo","model":{"providerID":"mock"},"permission":[{"permission":"*","pattern":"*","action":"allow"}]}'
  [ "$code" = 200 ]
  id=$(jq -r .id <<<"$body")
  [[ $id == ses_* ]]
  api GET "/v1/sessions/$id" '' -H "Authorization: Bearer $TOKEN"
  jq -e '.agent == "mock" and .permissionMode == "bypass" and .title == "yolo"' <<<"$body"
}

@test "sa opencode --help prints the usage and exits 0" {
  run --separate-stderr sa opencode --help
  [ "$status" -eq 0 ]
  grep -q '^usage: sa opencode \[-H HOST\] \[-p PORT\]' <<<"$output"
}

# a fake opencode: its argv one per line in $T/argv, its password in $T/password
fake_opencode() {
  cat >"$T/fake-opencode" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/argv"
printf '%s\n' "\${OPENCODE_SERVER_PASSWORD-unset}" >"$T/password"
EOF
  chmod +x "$T/fake-opencode"
  export SA_OPENCODE_BIN=$T/fake-opencode
}

@test "sa opencode --session-title: creates the session and runs opencode attach URL/opencode --session ID, the token in OPENCODE_SERVER_PASSWORD" {
  serve_mock
  fake_opencode
  run --separate-stderr sa -t "$TOKEN" opencode -p "$PORT" --session-title "my title"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(sed -n 1,2p "$T/argv" | tr '\n' ' ')" = "attach http://127.0.0.1:$PORT/opencode " ]
  [ "$(sed -n 3p "$T/argv")" = --session ]
  id=$(sed -n 4p "$T/argv")
  [ "$(cat "$T/password")" = "$TOKEN" ]
  ! grep -q -- "$TOKEN" "$T/argv"
  oc_api GET "/opencode/session/$id"
  [ "$code" = 200 ]
  jq -e '.title == "my title"' <<<"$body"
}

@test "sa opencode without a session flag attaches with no --session" {
  serve_mock
  fake_opencode
  run --separate-stderr sa -t "$TOKEN" opencode -p "$PORT"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/argv" | tr '\n' ' ')" = "attach http://127.0.0.1:$PORT/opencode " ]
}

@test "sa opencode starts the daemon when nothing answers on the port" {
  fake_opencode
  DPORT=$(free_port)
  run --separate-stderr sa -n opencode -p "$DPORT" --agent mock -- --fs-root "$T"
  [ "$status" -eq 0 ] || { echo "$stderr"; cat "$XDG_STATE_HOME"/sa/daemon/*.log; false; }
  run sa daemon status -p "$DPORT"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/password")" = unset ]
  grep -qx -- --fs-root "$T/argv"          # what follows -- goes to opencode
  URL=http://127.0.0.1:$DPORT api GET "/opencode/session/$(sed -n 4p "$T/argv")"
  [ "$code" = 200 ]
}
