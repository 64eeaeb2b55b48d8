#!/usr/bin/env bats
# sa-replay: history after N with limits, raw stripping, SSE frames, the
# restore text and its limits, --list, errors, and --follow picking up events
# committed by a concurrent sa-store, --wait for a database or session that
# does not exist yet (bounded waits, own pids only).

bats_require_minimum_version 1.5.0

setup() {
  DB="$BATS_TEST_TMPDIR/sa.db"
  FX="$SA_TOP/tests/fixtures/store/all-types.jsonl"
  NFX=$(wc -l < "$FX")
  sa-store --db "$DB" --session s1 --agent mock --title T < "$FX" > "$BATS_TEST_TMPDIR/stored"
}

gen() {
  local i
  for ((i = 1; i <= $2; i++)); do
    printf '{"time":"2026-02-01T10:00:00Z","session_id":"%s","native_session_id":null,"synthetic":true,"source":"daemon","type":"turn.started","data":{"phase":"started"},"raw":{"n":%d}}\n' "$1" "$i"
  done
}

# wait (at most ~10 s) for pid $1 to exit; its status in $waited
wait_pid() {
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; waited=$?; return 0; }
    sleep 0.1
  done
  kill -TERM "$1"; wait "$1"; waited=timeout
  return 1
}

@test "jsonl: the whole history, raw null by default, same as stored" {
  run --separate-stderr sa-replay --db "$DB" --session s1
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq "$NFX" ]
  printf '%s\n' "$output" | sa-events-check --sequential --start 1 --key-order --session s1
  [ "$(printf '%s\n' "$output" | jq -c 'select(.raw != null)' | wc -l)" -eq 0 ]
  # apart from raw, identical to what sa-store printed
  diff <(jq -c '.raw = null' "$BATS_TEST_TMPDIR/stored") <(printf '%s\n' "$output")
}

@test "--after is exclusive, --limit caps, --include-raw keeps raw" {
  run sa-replay --db "$DB" --session s1 --after 2 --limit 3 --include-raw
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | jq -c .sequence | tr '\n' ' ')" = "3 4 5 " ]
  [ "$(printf '%s\n' "$output" | head -1 | jq -c .raw)" = '{"mock":"item.started"}' ]
  run sa-replay --db "$DB" --session s1 --after "$NFX"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "sse: id and data lines and a blank line per event" {
  run sa-replay --db "$DB" --session s1 --format sse --after 20
  [ "$status" -eq 0 ]
  expected=$(printf 'id: 21\ndata: %s\n\nid: 22\ndata: %s\n' \
    "$(sed -n 21p "$BATS_TEST_TMPDIR/stored" | jq -c '.raw = null')" \
    "$(sed -n 22p "$BATS_TEST_TMPDIR/stored" | jq -c '.raw = null')")
  [ "$output" = "$expected" ]
  # the frames end with an empty line
  [ "$(sa-replay --db "$DB" --session s1 --format sse --after 21 | tail -c 2 | od -An -c | tr -d ' ')" = '\n\n' ]
}

@test "text: header, one line per meaningful event, oldest first" {
  run sa-replay --db "$DB" --session s1 --format text
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "Previous history of this session (sa session s1, agent mock)"* ]]
  [ "${lines[1]}" = "[user] hello" ]
  [ "${lines[2]}" = "[assistant] hi there" ]
  [ "${lines[3]}" = '[tool_call mock.search] {"query":"example"}' ]
  [[ "${lines[4]}" == "[tool_result] found 2 results"* ]]
  [[ "$output" == *"[question] Choose a color (options: Red | Blue)"* ]]
  [[ "$output" == *"[error] Mock error event. (mock_error)"* ]]
  [ "${lines[${#lines[@]} - 1]}" = "[session ended] completed" ]
  [[ "$output" != *"[omitted]"* ]]
  # skipped: deltas, started items, turns
  [[ "$output" != *"hi "$'\n'* ]]
}

@test "text: --max-events keeps the newest events" {
  run sa-replay --db "$DB" --session s1 --format text --max-events 3
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 5 ]   # header, omitted marker, 3 events
  [ "${lines[1]}" = "[earlier history omitted]" ]
  [ "${lines[2]}" = "[error] Mock error event. (mock_error)" ]
  [ "${lines[4]}" = "[session ended] completed" ]
}

@test "text: --max-chars bounds the whole text in characters" {
  for max in 250 400 1000; do
    sa-replay --db "$DB" --session s1 --format text --max-chars $max > "$BATS_TEST_TMPDIR/t"
    chars=$(wc -m < "$BATS_TEST_TMPDIR/t")
    [ "$chars" -le "$max" ] || { echo "max $max: $chars chars"; false; }
    tail -1 "$BATS_TEST_TMPDIR/t" | grep -qx '\[session ended\] completed'
  done
  # long lines are cut to --max-line-chars
  big=$(head -c 5000 /dev/zero | tr '\0' 'é')
  printf '{"time":"2026-02-01T10:00:00Z","session_id":"s9","native_session_id":null,"synthetic":false,"source":"agent","type":"item.completed","data":{"item":{"item_id":"itm_1","native_item_id":null,"parent_id":null,"kind":"message","role":"user","content":[{"type":"text","text":"%s"}],"status":"completed"}},"raw":null}\n' "$big" |
    sa-store --db "$DB" --session s9 > /dev/null
  LC_ALL=C.UTF-8 sa-replay --db "$DB" --session s9 --format text --max-line-chars 100 > "$BATS_TEST_TMPDIR/t"
  [ "$(tail -1 "$BATS_TEST_TMPDIR/t" | LC_ALL=C.UTF-8 wc -m)" -le 101 ]
}

@test "--list prints SessionInfo JSONL" {
  gen s2 4 | sa-store --db "$DB" --session s2 --agent claude > /dev/null
  run sa-replay --db "$DB" --list
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  [ "$(printf '%s\n' "${lines[0]}" | jq -c '[.sessionId,.agent,.agentMode,.permissionMode,.model,.variant,.nativeSessionId,.ended,.eventCount,.directory,.title]')" = \
    "[\"s1\",\"mock\",\"build\",\"default\",\"mock\",null,\"mock-s1\",true,$NFX,null,\"T\"]" ]
  [ "$(printf '%s\n' "${lines[1]}" | jq -c '[.sessionId,.agent,.eventCount,.ended]')" = '["s2","claude",4,false]' ]
  [ "$(printf '%s\n' "${lines[1]}" | jq -r 'keys_unsorted | join(",")')" = \
    "sessionId,agent,agentMode,permissionMode,model,variant,nativeSessionId,ended,eventCount,createdAt,updatedAt,directory,title" ]
}

@test "errors: unknown session exit 4, missing database exit 3, usage exit 2" {
  run --separate-stderr sa-replay --db "$DB" --session nope
  [ "$status" -eq 4 ]
  [[ "$stderr" == *'no session "nope"'* ]]
  run --separate-stderr sa-replay --db "$BATS_TEST_TMPDIR/missing.db" --session s1
  [ "$status" -eq 3 ]
  [ ! -e "$BATS_TEST_TMPDIR/missing.db" ]
  run sa-replay --db "$DB"
  [ "$status" -eq 2 ]
  run sa-replay --db "$DB" --session s1 --format xml
  [ "$status" -eq 2 ]
  run sa-replay --db "$DB" --session s1 --format text --follow
  [ "$status" -eq 2 ]
}

@test "a database file that does not exist: the message says No such file or directory" {
  run --separate-stderr sa-replay --db "$BATS_TEST_TMPDIR/missing.db" --session s1
  [ "$stderr" = "sa-replay: open database $BATS_TEST_TMPDIR/missing.db: No such file or directory (a writer such as sa-store creates it)" ]
}

@test "--follow prints events committed later by a concurrent sa-store" {
  sa-replay --db "$DB" --session s1 --after "$NFX" --follow --limit 5 --include-raw > "$BATS_TEST_TMPDIR/f" & rp=$!
  mkfifo "$BATS_TEST_TMPDIR/in"
  sa-store --db "$DB" --session s1 < "$BATS_TEST_TMPDIR/in" > /dev/null & sp=$!
  exec 6> "$BATS_TEST_TMPDIR/in"
  gen s1 2 >&6
  sleep 0.3
  gen s1 3 >&6
  exec 6>&-
  wait $sp
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(jq -c .sequence "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "$((NFX+1)) $((NFX+2)) $((NFX+3)) $((NFX+4)) $((NFX+5)) " ]
  [ "$(tail -1 "$BATS_TEST_TMPDIR/f" | jq -c .raw)" = '{"n":3}' ]
}

@test "--follow --until-ended stops after session.ended; SIGTERM stops a follower" {
  gen s3 1 | sa-store --db "$DB" --session s3 > /dev/null
  sa-replay --db "$DB" --session s3 --follow --until-ended > "$BATS_TEST_TMPDIR/f" & rp=$!
  sleep 0.2
  printf '{"time":"2026-02-01T10:00:00Z","session_id":"s3","native_session_id":null,"synthetic":true,"source":"daemon","type":"session.ended","data":{"reason":"terminated","terminated_by":"daemon"},"raw":null}\n' |
    sa-store --db "$DB" --session s3 > /dev/null
  gen s3 1 | sa-store --db "$DB" --session s3 > /dev/null
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(jq -r .type "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "turn.started session.ended " ]

  sa-replay --db "$DB" --session s3 --follow > "$BATS_TEST_TMPDIR/g" & rp=$!
  for ((i = 0; i < 100; i++)); do [ "$(wc -l < "$BATS_TEST_TMPDIR/g")" -ge 3 ] && break; sleep 0.1; done
  kill -TERM $rp
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(wc -l < "$BATS_TEST_TMPDIR/g")" -eq 3 ]
}

@test "--follow --wait waits for a database that does not exist yet" {
  d="$BATS_TEST_TMPDIR/later"
  sa-replay --db "$d/sa.db" --session w1 --follow --wait --limit 2 > "$BATS_TEST_TMPDIR/f" & rp=$!
  sleep 0.5
  kill -0 $rp
  mkdir "$d"
  gen w1 2 | sa-store --db "$d/sa.db" --session w1 > /dev/null
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(jq -c .sequence "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "1 2 " ]
}

@test "--follow --wait waits for a session that does not exist yet" {
  sa-replay --db "$DB" --session w2 --follow --wait --limit 3 > "$BATS_TEST_TMPDIR/f" & rp=$!
  sleep 0.5
  kill -0 $rp
  gen w2 3 | sa-store --db "$DB" --session w2 > /dev/null
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(jq -r .session_id "$BATS_TEST_TMPDIR/f" | sort -u)" = w2 ]
  [ "$(wc -l < "$BATS_TEST_TMPDIR/f")" -eq 3 ]
}

@test "--follow --wait: SIGTERM while waiting ends it with status 0 and no output" {
  sa-replay --db "$BATS_TEST_TMPDIR/none.db" --session w3 --follow --wait > "$BATS_TEST_TMPDIR/f" & rp=$!
  sa-replay --db "$DB" --session w3 --follow --wait > "$BATS_TEST_TMPDIR/g" & rq=$!
  sleep 0.4
  kill -TERM $rp $rq
  wait_pid $rp
  [ "$waited" = 0 ]
  wait_pid $rq
  [ "$waited" = 0 ]
  [ ! -s "$BATS_TEST_TMPDIR/f" ] && [ ! -s "$BATS_TEST_TMPDIR/g" ]
}

@test "--follow --wait still fails at once on a file that is not an sa database" {
  echo "not a database" > "$BATS_TEST_TMPDIR/junk.db"
  run --separate-stderr timeout 5 sa-replay --db "$BATS_TEST_TMPDIR/junk.db" --session s1 --follow --wait
  [ "$status" -eq 3 ]
}

@test "--wait needs --follow (exit 2)" {
  run --separate-stderr sa-replay --db "$DB" --session s1 --wait
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--wait needs --follow"* ]]
}
