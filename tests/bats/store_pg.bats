#!/usr/bin/env bats
# sa-store and sa-replay on PostgreSQL (--db postgresql://...), against a
# real private server started for this file (tests/pg/pg_start.sh: unix
# socket only, in its own temp dir; stopped in teardown_file).  Each test
# has its own database.  Same behaviours as store.bats / replay.bats where
# they apply, plus: output equal to SQLite's byte for byte, concurrent
# writers, lock timeout, lost connection, unreachable server without the
# password in the message, the mock pipeline.  Every wait is bounded.

bats_require_minimum_version 1.5.0
load ../pg/pg_helpers
load store_common

setup_file() { pg_setup_file; }
teardown_file() { pg_teardown_file; }

setup() {
  pg_newdb
  FX="$SA_TOP/tests/fixtures/store/all-types.jsonl"
  NFX=$(wc -l < "$FX")
  EVENTS=sa_events SESSIONS=sa_sessions
  GEN_RAW=n
}

sql() { pgq "$1"; }

# wait (at most ~10 s) for pid $1 to exit; its status in $waited
wait_pid() {
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$1" 2>/dev/null || { waited=0; wait "$1" || waited=$?; return 0; }
    sleep 0.1
  done
  kill "$1" 2>/dev/null; wait "$1"; waited=timeout
  return 1
}

@test "pg: stores every event type; output sequential, canonical, and equal to SQLite's" {
  store_check_all_types
  sa-store --db "$BATS_TEST_TMPDIR/sa.db" --session s1 --agent mock < "$FX" > "$BATS_TEST_TMPDIR/sqlite.out"
  [ "$output" = "$(cat "$BATS_TEST_TMPDIR/sqlite.out")" ]
  pgq "select version from sa_schema" | grep -qx 2
}

@test "pg: a restart continues the sequence; ids already present are replaced; session counters" {
  store_check_restart
}

@test "pg: session fields from flags and from session.started metadata" {
  store_check_session_fields
}

@test "pg: invalid lines are reported with their number, skipped, and exit 5" {
  store_check_invalid_lines
}

@test "pg: the chain run again on a stored session stores no second session.started" {
  store_check_continue_started
}

@test "pg: the chain run again on a stored session continues its item ids" {
  store_check_continue_items
}

@test "pg: a run that continues the item ids itself (--item-start) is not renumbered" {
  store_check_continue_item_start
}

@test "pg: three concurrent sa-store processes (two on one session): no errors, contiguous sequences" {
  store_check_concurrent
  [ ! -s "$BATS_TEST_TMPDIR/e3" ]
  jq -e -s '[.[].sequence] | . == sort' "$BATS_TEST_TMPDIR/o1" > /dev/null
  jq -e -s '[.[].sequence] | . == sort' "$BATS_TEST_TMPDIR/o2" > /dev/null
  [ "$(pgq "select event_count||','||last_sequence from sa_sessions where id='s1'")" = "800,800" ]
}

@test "pg: an unreachable server: exit 3, a clear message without the password" {
  run --separate-stderr sh -c "echo | sa-store --db 'postgresql://u:s3cretpw@/sa?host=$BATS_TEST_TMPDIR/nosock&password=0therpw' --session s1"
  echo "$stderr"
  [ "$status" -eq 3 ]
  [[ "$stderr" == "sa-store: open database postgresql://u:***@/sa?host="*"&password=***: cannot connect: "* ]]
  [[ "$stderr" != *s3cretpw* && "$stderr" != *0therpw* ]]
  [ -z "$output" ]
  run --separate-stderr sa-replay --db "postgres://u:s3cretpw@/sa?host=$BATS_TEST_TMPDIR/nosock" --list
  [ "$status" -eq 3 ]
  [[ "$stderr" == "sa-replay: open database postgres://u:***@"*"cannot connect"* ]]
  [[ "$stderr" != *s3cretpw* ]]
}

@test "pg: a database that does not exist: exit 3" {
  run --separate-stderr sh -c "echo | sa-store --db 'postgresql://postgres@/no_such_db?host=$PGDIR' --session s1"
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"no_such_db"*"does not exist"* ]]
}

@test "pg: a newer schema version: exit 3; sa-replay on a database without our schema: exit 3" {
  run --separate-stderr sa-replay --db "$DB" --list
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"not an sa database"* ]]
  gen s1 1 | sa-store --db "$DB" --session s1 > /dev/null
  pgq "update sa_schema set version=99"
  run --separate-stderr sh -c "echo | sa-store --db '$DB' --session s1"
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"newer"* ]]
}

@test "pg: a session row locked past --busy-timeout: exit 4, nothing written, no output" {
  gen s1 2 | sa-store --db "$DB" --session s1 > /dev/null
  mkfifo "$BATS_TEST_TMPDIR/hold"
  "$PGBIN/psql" -X -q -h "$PGDIR" -U postgres -d "$PGDB" < "$BATS_TEST_TMPDIR/hold" > /dev/null 2>&1 & holder=$!
  exec 5> "$BATS_TEST_TMPDIR/hold"
  echo "BEGIN; SELECT 1 FROM sa_sessions WHERE id='s1' FOR UPDATE;" >&5
  locked() { [ "$(pgq "select count(*) from pg_locks l join pg_stat_activity a using (pid) where a.state like 'idle in transaction%' and l.locktype='transactionid'")" -ge 1 ]; }
  wait_for locked
  run --separate-stderr sh -c "sa-store --db '$DB' --session s1 --busy-timeout 200 < '$FX'"
  echo "ROLLBACK;" >&5
  exec 5>&-
  wait $holder || true
  echo "$stderr"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"locked by another process"*"nothing of this batch was stored"* ]]
  [ -z "$output" ]
  [ "$(count)" -eq 2 ]
}

@test "pg: a connection lost between batches: exit 4, the failed batch not stored, earlier ones kept" {
  mkfifo "$BATS_TEST_TMPDIR/in"
  sa-store --db "$DB" --session s1 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" & sp=$!
  exec 6> "$BATS_TEST_TMPDIR/in"
  gen s1 3 >&6
  three() { [ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 3 ]; }
  wait_for three
  pgq "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name='sa-store' and datname='$PGDB'" | grep -qx 1
  # both lines in one write: sa-store may fail and exit on the first
  gen s1 2 > "$BATS_TEST_TMPDIR/two"
  cat "$BATS_TEST_TMPDIR/two" >&6
  exec 6>&-
  wait_pid $sp
  cat "$BATS_TEST_TMPDIR/err"
  [ "$waited" -eq 4 ]
  grep -q "connection" "$BATS_TEST_TMPDIR/err"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 3 ]
  [ "$(count)" -eq 3 ]
}

@test "pg: sa-replay after/limit/raw/sse/text/list print what SQLite's would" {
  sa-store --db "$DB" --session s1 --agent mock --title T < "$FX" > /dev/null
  sq="$BATS_TEST_TMPDIR/sa.db"
  sa-store --db "$sq" --session s1 --agent mock --title T < "$FX" > /dev/null
  for a in "" "--after 5 --limit 7" "--include-raw" "--format sse --after $((NFX - 3))" "--format text" \
           "--format text --max-events 5 --max-chars 300"; do
    run --separate-stderr sa-replay --db "$DB" --session s1 $a
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    [ "$output" = "$(sa-replay --db "$sq" --session s1 $a)" ]
  done
  sa-replay --db "$DB" --session s1 | sa-events-check --sequential --start 1 --session s1
  run sa-replay --db "$DB" --list
  [ "$status" -eq 0 ]
  [ "$(jq -c 'del(.createdAt, .updatedAt)' <<<"$output")" = "$(sa-replay --db "$sq" --list | jq -c 'del(.createdAt, .updatedAt)')" ]
  run --separate-stderr sa-replay --db "$DB" --session nope
  [ "$status" -eq 4 ]
  [[ "$stderr" == *'no session "nope"'* ]]
}

@test "pg: sa-replay --follow picks up events committed later (timer, no inotify)" {
  gen s1 2 | sa-store --db "$DB" --session s1 > /dev/null
  sa-replay --db "$DB" --session s1 --after 2 --follow --limit 5 --include-raw > "$BATS_TEST_TMPDIR/f" 2> "$BATS_TEST_TMPDIR/ferr" & rp=$!
  mkfifo "$BATS_TEST_TMPDIR/in"
  sa-store --db "$DB" --session s1 < "$BATS_TEST_TMPDIR/in" > /dev/null & sp=$!
  exec 6> "$BATS_TEST_TMPDIR/in"
  gen s1 2 >&6
  two() { [ "$(wc -l < "$BATS_TEST_TMPDIR/f")" -ge 2 ]; }
  wait_for two
  gen s1 3 >&6
  exec 6>&-
  wait $sp
  wait_pid $rp
  [ "$waited" = 0 ]
  [ ! -s "$BATS_TEST_TMPDIR/ferr" ]
  [ "$(jq -c .sequence "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "3 4 5 6 7 " ]
  [ "$(tail -1 "$BATS_TEST_TMPDIR/f" | jq -c .raw)" = '{"n":3}' ]
}

@test "pg: sa-replay --follow --until-ended stops after session.ended" {
  gen s3 1 | sa-store --db "$DB" --session s3 > /dev/null
  sa-replay --db "$DB" --session s3 --follow --until-ended > "$BATS_TEST_TMPDIR/f" & rp=$!
  printf '{"time":"2026-02-01T10:00:01Z","session_id":"s3","native_session_id":null,"synthetic":true,"source":"daemon","type":"session.ended","data":{"reason":"completed","terminated_by":"agent"},"raw":null}\n' \
    | sa-store --db "$DB" --session s3 > /dev/null
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(jq -r .type "$BATS_TEST_TMPDIR/f" | tail -1)" = session.ended ]
}

@test "pg: the mock pipeline sa-spawn | sa-normalize | sa-store --db URL" {
  printf '%s\n' '{"type":"message","message":"echo hello"}' '{"type":"message","message":"tools"}' > "$BATS_TEST_TMPDIR/in"
  run --separate-stderr sh -c "sa-spawn --agent mock < '$BATS_TEST_TMPDIR/in' | sa-normalize --agent mock --session p1 | sa-store --db '$DB' --session p1 --agent mock"
  echo "$stderr"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" | sa-events-check --sequential --start 1 --session p1
  [ "$(count p1)" -eq "$(printf '%s\n' "$output" | wc -l)" ]
  sa-replay --db "$DB" --session p1 | sa-events-check --sequential --start 1 --session p1
  printf '%s\n' "$output" | jq -e -s 'any(.[]; .type == "item.completed" and .data.item.content[0].text == "hello")' > /dev/null
  native=$(printf '%s\n' "$output" | tail -1 | jq -r .native_session_id)
  [ "$(pgq "select agent||'|'||native_session_id from sa_sessions where id='p1'")" = "mock|$native" ]
}

@test "pg: --max-pages is refused for a URL (exit 3)" {
  run --separate-stderr sh -c "echo | sa-store --db '$DB' --session s1 --max-pages 10"
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"SQLite files only"* ]]
}

@test "pg: sa-replay --follow --wait waits for the schema and the session" {
  sa-replay --db "$DB" --session w1 --follow --wait --limit 2 > "$BATS_TEST_TMPDIR/f" & rp=$!
  sleep 0.6
  kill -0 $rp
  gen w1 2 | sa-store --db "$DB" --session w1 > /dev/null
  wait_pid $rp
  [ "$waited" = 0 ]
  [ "$(jq -c .sequence "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "1 2 " ]
}
