#!/usr/bin/env bats
# sa-events-check on hand-written streams: the schema of each line, and the
# stream rules (one session.started per session, an item id names one item).

bats_require_minimum_version 1.5.0

setup() { cd "$BATS_TEST_TMPDIR"; }

# ev SEQ TYPE DATA — one stored event of session s1.
ev() {
  printf '{"event_id":"evt_%d","sequence":%d,"time":"2026-02-01T10:00:00Z","session_id":"s1","native_session_id":null,"synthetic":false,"source":"agent","type":"%s","data":%s,"raw":null}\n' "$1" "$1" "$2" "$3"
}
started() { ev "$1" session.started '{"metadata":null}'; }
# item SEQ TYPE ID NATIVE [KIND] — item.started / item.completed of a message item
item() {
  local st=completed; [ "$2" = item.started ] && st=in_progress
  ev "$1" "$2" "{\"item\":{\"item_id\":\"$3\",\"native_item_id\":$4,\"parent_id\":null,\"kind\":\"${5:-message}\",\"role\":\"assistant\",\"content\":[],\"status\":\"$st\"}}"
}

@test "a well-formed session passes, exit 0" {
  { started 1; item 2 item.started itm_1 '"n1"'; item 3 item.completed itm_1 '"n1"'; } > ok.jsonl
  run sa-events-check --sequential ok.jsonl
  [ "$status" -eq 0 ] && [ -z "$output" ]
}

@test "a second session.started fails the stream" {
  { started 1; item 2 item.started itm_1 '"n1"'; started 3; } > two.jsonl
  run sa-events-check two.jsonl
  [ "$status" -eq 1 ]
  [ "$output" = "two.jsonl: line 3: session.started: a second one for session s1 (the first is on line 1)" ]
}

@test "an item id started again after its completion fails as reused" {
  { started 1; item 2 item.started itm_1 '"a"'; item 3 item.completed itm_1 '"a"'; item 4 item.started itm_1 '"a"'; } > re.jsonl
  run sa-events-check re.jsonl
  [ "$status" -eq 1 ]
  [ "$output" = "re.jsonl: line 4: item_id itm_1 reused: started again after its item.completed (first seen on line 2)" ]
}

@test "an item id given to a second native item fails as reused" {
  { started 1; item 2 item.completed itm_1 '"a"'; item 3 item.completed itm_1 '"b"'; } > nat.jsonl
  run sa-events-check nat.jsonl
  [ "$status" -eq 1 ]
  [[ "$output" == *"line 3: item_id itm_1 reused: given to a second native item"* ]]
}

@test "an item id given to an item of another kind fails as reused" {
  { started 1; item 2 item.completed itm_1 null message; item 3 item.completed itm_1 null tool_call; } > kind.jsonl
  run sa-events-check kind.jsonl
  [ "$status" -eq 1 ]
  [[ "$output" == *"line 3: item_id itm_1 reused: given to an item of another kind"* ]]
}

@test "an item completed again (sa-normalize's completion, then the agent's) passes" {
  { started 1; item 2 item.started itm_1 '"a"'; item 3 item.completed itm_1 '"a"'; item 4 item.completed itm_1 '"a"'; } > again.jsonl
  run sa-events-check again.jsonl
  [ "$status" -eq 0 ]
}

@test "--no-stream-checks accepts unrelated events with repeated ids" {
  { started 1; item 2 item.started itm_1 '"a"'; started 3; item 4 item.started itm_1 '"b"'; } > loose.jsonl
  run sa-events-check --no-stream-checks loose.jsonl
  [ "$status" -eq 0 ]
}

@test "item ids are per session: two sessions may both have itm_1" {
  { started 1; item 2 item.started itm_1 '"a"'
    ev 3 session.started '{"metadata":null}' | sed 's/"s1"/"s2"/'
    item 4 item.started itm_1 '"a"' | sed 's/"s1"/"s2"/'; } > two-sessions.jsonl
  run sa-events-check two-sessions.jsonl
  [ "$status" -eq 0 ]
}
