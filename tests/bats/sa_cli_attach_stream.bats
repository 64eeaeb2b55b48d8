#!/usr/bin/env bats
# sa attach drawing live text as it streams (item.delta), against a scripted
# event stream (tests/agents/script_sse.py on 127.0.0.1 port 0) that holds
# the stream open between steps, so what is on the screen before an item
# completes can be checked.  Every wait is bounded; only our pids are stopped.

bats_require_minimum_version 1.5.0
load sa_cli_helpers

setup() { T=$BATS_TEST_TMPDIR; : >"$T/script"; }
teardown() {
  [ -z "${APID:-}" ] || stop_pid "$APID"
  [ -z "${FPID:-}" ] || stop_pid "$FPID"
}

# step LINE - add a line to the stream's script
step() { printf '%s\n' "$*" >>"$T/script"; }
# ev SEQ TYPE DATA - a script step sending one event
ev() { step "event $(jq -nc --argjson s "$1" --arg t "$2" --argjson d "$3" '{sequence: $s, type: $t, session_id: "s1", data: $d}')"; }
started() { ev "$1" item.started '{"item":{"item_id":"itm_2","kind":"message","role":"assistant","content":[],"status":"in_progress"}}'; }
delta() { ev "$1" item.delta "{\"item_id\":\"itm_2\",\"native_item_id\":null,\"delta\":\"$2\"}"; }
completed() { ev "$1" item.completed "{\"item\":{\"item_id\":\"itm_2\",\"kind\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"$2\"}],\"status\":\"completed\"}}"; }
ended() { ev "$1" session.ended '{"reason":"completed","terminated_by":"agent"}'; }

# attach_scripted ARGS... - the scripted server, and sa attach s1 ARGS on it
attach_scripted() {
  python3 "$SA_TOP/tests/agents/script_sse.py" "$T/port" "$T/script" 3>&- &
  FPID=$!
  local i=0
  while [ ! -s "$T/port" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  sa -n -e "http://127.0.0.1:$(cat "$T/port")" attach s1 "$@" </dev/null >"$T/att.out" 2>"$T/att.err" &
  APID=$!
}

# attach_wait - wait (bounded) for attach to exit; its status in $astatus
attach_wait() {
  local i=0
  while kill -0 "$APID" 2>/dev/null && [ "$i" -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
  astatus=0; wait "$APID" || astatus=$?
  APID=
}

@test "attach draws a live delta before its item completes" {
  started 1; delta 2 hel; step "wait $T/go"; delta 3 lo; completed 4 hello; ended 5
  attach_scripted
  wait_file "$T/att.out" '^assistant: hel'
  ! grep -q 'hello' "$T/att.out"
  touch "$T/go"
  attach_wait
}

@test "attach: a streamed item whose completed text is the same is shown once" {
  started 1; delta 2 hel; delta 3 lo; completed 4 hello; ended 5
  attach_scripted
  attach_wait
  [ "$astatus" -eq 0 ]
  [ "$(grep -c '^assistant: ' "$T/att.out")" -eq 1 ]
  grep -qx 'assistant: hello' "$T/att.out"
}

@test "attach: a completed item whose text differs from its deltas is shown whole after them" {
  started 1; delta 2 hel; completed 3 goodbye; ended 4
  attach_scripted
  attach_wait
  [ "$(sed -n '/^assistant/p' "$T/att.out")" = $'assistant: hel\nassistant: goodbye' ]
}

@test "attach: an event shown between deltas ends the line, and the item is then shown whole" {
  started 1; delta 2 hel; ev 3 error '{"message":"boom"}'; delta 4 lo; completed 5 hello; ended 6
  attach_scripted
  attach_wait
  [ "$(sed -n '/^assistant\|^error/p' "$T/att.out")" = $'assistant: hel\nerror: boom\nassistant: lo\nassistant: hello' ]
}

@test "attach --no-deltas draws nothing of an item until it completes" {
  started 1; delta 2 hel; step "wait $T/go"; delta 3 lo; completed 4 hello; ended 5
  attach_scripted --no-deltas
  wait_file "$T/att.out" '^-- turn|^==|^assistant' 40 || true   # nothing is expected yet
  ! grep -q 'assistant' "$T/att.out"
  touch "$T/go"
  attach_wait
  [ "$(grep -c '^assistant: ' "$T/att.out")" -eq 1 ]
  grep -qx 'assistant: hello' "$T/att.out"
}

@test "attach: a delta's label is its item's role from item.started" {
  ev 1 item.started '{"item":{"item_id":"itm_2","kind":"message","role":"user","content":[],"status":"in_progress"}}'
  delta 2 hi; completed 3 hi; ended 4
  attach_scripted
  attach_wait
  grep -q '^user: hi' "$T/att.out"
}
