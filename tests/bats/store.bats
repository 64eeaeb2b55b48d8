#!/usr/bin/env bats
# sa-store on its own: hand-written universal events in, stored events out.
# Sequences, restart, renumbering, invalid lines, concurrent writers on one
# file, read-only/newer/locked/full databases, output only after commit,
# SIGTERM.  Every wait is bounded.

bats_require_minimum_version 1.5.0
load store_common

setup() {
  DB="$BATS_TEST_TMPDIR/sa.db"
  FX="$SA_TOP/tests/fixtures/store/all-types.jsonl"
  NFX=$(wc -l < "$FX")
  EVENTS=events SESSIONS=sessions
}

sql() { sqlite3 "$DB" "$1"; }

@test "stores every event type; output is sequential, canonical and valid" {
  store_check_all_types
  first=$(printf '%s\n' "$output" | head -1)
  [[ "$first" == '{"event_id":"evt_1","sequence":1,"time":'* ]]
}

@test "a restart continues the sequence; ids already present are replaced" {
  store_check_restart
}

@test "session fields from flags and from session.started metadata" {
  store_check_session_fields
}

@test "invalid lines are reported with their number, skipped, and exit 5" {
  store_check_invalid_lines
}

@test "the chain run again on a stored session stores no second session.started" {
  store_check_continue_started
}

@test "the chain run again on a stored session continues its item ids" {
  store_check_continue_items
}

@test "a run that continues the item ids itself (--item-start) is not renumbered" {
  store_check_continue_item_start
}

@test "two (and three) concurrent sa-store processes on one file: no errors, all events present" {
  store_check_concurrent
}

@test "a read-only database file: exit 3 and a message, nothing written" {
  # a directory another user can reach (the bats temp dir may be private)
  ro=$(mktemp -d "${TMPDIR:-/tmp}/sa-ro.XXXXXX")
  chmod 755 "$ro"
  DB="$ro/sa.db"
  gen s1 1 > "$ro/in"
  sa-store --db "$DB" --session s1 < "$ro/in" > /dev/null
  chmod 444 "$DB" "$ro/in"
  rm -f "$DB-wal" "$DB-shm"
  as=()
  if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null || { rm -rf "$ro"; skip "root without setpriv"; }
    as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    "${as[@]}" test -x "$(command -v sa-store)" -a -r "$DB" || { rm -rf "$ro"; skip "not reachable as nobody"; }
  fi
  run --separate-stderr "${as[@]}" sa-store --db "$DB" --session s1 < "$ro/in"
  n=$(count)
  rm -rf "$ro"
  echo "status=$status stderr=$stderr"
  [ "$status" -eq 3 ]
  [[ "$stderr" == "sa-store: "*"read-only"* || "$stderr" == "sa-store: "*"readonly"* ]]
  [ -z "$output" ]
  [ "$n" -eq 1 ]
}

@test "a database with a newer schema version: exit 3" {
  gen s1 1 | sa-store --db "$DB" --session s1 > /dev/null
  sqlite3 "$DB" "PRAGMA user_version=99"
  run --separate-stderr sh -c "echo | sa-store --db '$DB' --session s1"
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"newer"* ]]
}

@test "a path that cannot be created: exit 3" {
  run --separate-stderr sh -c "echo | sa-store --db '$BATS_TEST_TMPDIR/no/such/dir/sa.db' --session s1"
  [ "$status" -eq 3 ]
  [[ "$stderr" == "sa-store: open database "* ]]
}

@test "a missing directory: the message names the directory and No such file or directory" {
  d="$BATS_TEST_TMPDIR/no/such/dir"
  run --separate-stderr sh -c "echo | sa-store --db '$d/sa.db' --session s1"
  [ "$stderr" = "sa-store: open database $d/sa.db: directory $d: No such file or directory" ]
}

@test "a path through a regular file: the message says which part is not a directory" {
  : > "$BATS_TEST_TMPDIR/plain"
  run --separate-stderr sh -c "echo | sa-store --db '$BATS_TEST_TMPDIR/plain/sa.db' --session s1"
  [ "$stderr" = "sa-store: open database $BATS_TEST_TMPDIR/plain/sa.db: $BATS_TEST_TMPDIR/plain is not a directory" ]
}

@test "a database path that is a directory: the message says so" {
  mkdir "$BATS_TEST_TMPDIR/d.db"
  run --separate-stderr sh -c "echo | sa-store --db '$BATS_TEST_TMPDIR/d.db' --session s1"
  [ "$stderr" = "sa-store: open database $BATS_TEST_TMPDIR/d.db: it is a directory" ]
}

@test "a directory we may not write: the message names it and Permission denied" {
  ro=$(mktemp -d "${TMPDIR:-/tmp}/sa-ro.XXXXXX")
  chmod 555 "$ro"
  as=()
  if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null || { rm -rf "$ro"; skip "root without setpriv"; }
    as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    "${as[@]}" test -x "$(command -v sa-store)" || { rm -rf "$ro"; skip "not reachable as nobody"; }
  fi
  run --separate-stderr "${as[@]}" sa-store --db "$ro/sa.db" --session s1 < /dev/null
  rm -rf "$ro"
  [ "$status" -eq 3 ]
  [ "$stderr" = "sa-store: open database $ro/sa.db: cannot create files in directory $ro: Permission denied" ]
}

@test "a lock held past the busy timeout: exit 4, nothing written, no output" {
  gen s1 2 | sa-store --db "$DB" --session s1 > /dev/null
  mkfifo "$BATS_TEST_TMPDIR/hold"
  # hold the write lock until we say so
  sqlite3 "$DB" < "$BATS_TEST_TMPDIR/hold" > /dev/null 2>&1 & holder=$!
  exec 5> "$BATS_TEST_TMPDIR/hold"
  # the holder waits for the lock if the probe below happens to hold it
  echo ".timeout 10000" >&5
  echo "BEGIN IMMEDIATE;" >&5
  locked() { ! sqlite3 "$DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; }
  wait_for locked
  run --separate-stderr sh -c "sa-store --db '$DB' --session s1 --busy-timeout 100 < '$FX'"
  echo "ROLLBACK;" >&5
  exec 5>&-
  wait $holder
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"locked"* ]]
  [ -z "$output" ]
  [ "$(count)" -eq 2 ]
}

@test "a full database (page limit): exit 4, the failed batch is rolled back, earlier output is durable" {
  sa-store --db "$DB" --session s1 < "$FX" > /dev/null
  pages=$(sqlite3 "$DB" "PRAGMA page_count")
  big=$(head -c 20000 /dev/zero | tr '\0' x)
  for i in 1 2 3 4 5 6 7 8; do
    printf '{"time":"2026-02-01T10:00:00Z","session_id":"s1","native_session_id":null,"synthetic":true,"source":"daemon","type":"turn.started","data":{"phase":"started"},"raw":"%s"}\n' "$big"
  done > "$BATS_TEST_TMPDIR/big"
  run --separate-stderr sh -c "sa-store --db '$DB' --session s1 --max-pages $((pages + 5)) < '$BATS_TEST_TMPDIR/big'"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"full"* ]]
  [ -z "$output" ]
  [ "$(count)" -eq "$NFX" ]
}

@test "output appears only after commit; one event commits at once; SIGTERM commits what was read" {
  mkfifo "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
  sa-store --db "$DB" --session s1 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" & pid=$!
  exec 6> "$BATS_TEST_TMPDIR/in"
  exec 7< "$BATS_TEST_TMPDIR/out"
  for n in 1 2 3; do
    gen s1 1 >&6
    read -r -t 10 line <&7
    [[ "$line" == "{\"event_id\":\"evt_$n\",\"sequence\":$n,"* ]]
    # the row is there the moment its line is read
    [ "$(sqlite3 "$DB" "select count(*) from events where session_id='s1' and sequence=$n")" -eq 1 ]
  done
  kill -TERM $pid
  wait $pid; rc=$?
  exec 6>&- 7<&-
  [ "$rc" -eq 0 ]
  [ "$(count)" -eq 3 ]
}

@test "usage errors exit 2" {
  run sa-store --db "$DB"
  [ "$status" -eq 2 ]
  run sa-store --db "$DB" --session s1 --batch 0
  [ "$status" -eq 2 ]
  run sa-store --db "$DB" --session s1 extra
  [ "$status" -eq 2 ]
}

@test "default database: \$SA_DB" {
  gen s1 2 | SA_DB="$DB" sa-store --session s1 > /dev/null
  [ "$(count)" -eq 2 ]
}

@test "lines in print form are stored and echoed as the same lines spaced out (cut, not printed)" {
  # sa-normalize output is in print form: sa-store cuts the stored text out
  # of it; a space after "time": makes every line take the parse-and-print
  # path.  Both must store and print the same bytes.
  cd "$BATS_TEST_TMPDIR"
  printf '{"type":"message","message":"burst 200"}\n' | sa-spawn --sandbox none --agent mock --session s1 \
    | sa-normalize --agent mock --session s1 > norm.jsonl
  sed 's/^{"time":/{"time": /' norm.jsonl > spaced.jsonl
  ! cmp -s norm.jsonl spaced.jsonl
  sa-store --db "$BATS_TEST_TMPDIR/a.db" --session s1 < norm.jsonl > a.out
  sa-store --db "$BATS_TEST_TMPDIR/b.db" --session s1 < spaced.jsonl > b.out
  [ "$(wc -l < a.out)" -eq "$(wc -l < norm.jsonl)" ]
  cmp a.out b.out
  [ "$(sqlite3 "$BATS_TEST_TMPDIR/a.db" 'select json, raw_off from events order by sequence' | md5sum)" = \
    "$(sqlite3 "$BATS_TEST_TMPDIR/b.db" 'select json, raw_off from events order by sequence' | md5sum)" ]
}

@test "lines in print form (item.delta ones too) with a bad envelope or data are still rejected by the schema" {
  cd "$BATS_TEST_TMPDIR"
  printf '%s\n' '{"time":"yesterday","session_id":"s1","native_session_id":null,"synthetic":false,"source":"agent","type":"error","data":{"message":"m","code":null,"details":null},"raw":{"x":1}}' \
                '{"time":"2026-01-01T00:00:00.000Z","session_id":"s1","native_session_id":null,"synthetic":true,"source":"agent","type":"error","data":{"message":"m","code":null,"details":null},"raw":null}' \
                '{"time":"2026-01-01T00:00:00.000Z","session_id":"s1","native_session_id":null,"synthetic":false,"source":"agent","type":"error","data":{"message":"m","code":null,"details":null},"raw":[1,{"a":"b"}]}' > in.jsonl
  printf '%s\n' '{"time":"2026-01-01T00:00:00.000Z","session_id":"s1","native_session_id":null,"synthetic":false,"source":"agent","type":"item.delta","data":{"item_id":"","native_item_id":null,"delta":"x"},"raw":null}' \
                '{"time":"2026-01-01T00:00:00.000Z","session_id":"s1","native_session_id":null,"synthetic":true,"source":"agent","type":"item.delta","data":{"item_id":"itm_1","native_item_id":null,"delta":"x"},"raw":null}' \
                '{"time":"2026-13-01T00:00:00.000Z","session_id":"s1","native_session_id":null,"synthetic":false,"source":"agent","type":"item.delta","data":{"item_id":"itm_1","native_item_id":null,"delta":"x"},"raw":null}' \
                '{"time":"2026-01-01T00:00:00.000Z","session_id":"s2","native_session_id":null,"synthetic":false,"source":"agent","type":"item.delta","data":{"item_id":"itm_1","native_item_id":null,"delta":"x"},"raw":null}' \
                '{"time":"2026-01-01T00:00:00.000Z","session_id":"s1","native_session_id":null,"synthetic":false,"source":"agent","type":"item.delta","data":{"item_id":"itm_1","native_item_id":null,"delta":"x","x":1},"raw":null}' \
                '{"time":"2026-01-01T00:00:00.000Z","session_id":"s1","native_session_id":"n","synthetic":false,"source":"agent","type":"item.delta","data":{"item_id":"itm_7","native_item_id":"m","delta":"ok"},"raw":{"a":[1]}}' >> in.jsonl
  run -5 sa-store --db "$DB" --session s1 < in.jsonl
  [[ "$output" == *"line 1: time"* ]]
  [[ "$output" == *"line 2: source"* ]]
  [[ "$output" == *"line 4: data.item_id: empty"* ]]
  [[ "$output" == *"line 5: source"* ]]
  [[ "$output" == *"line 6: time"* ]]
  [[ "$output" == *"line 7: session_id"* ]]
  [[ "$output" == *"line 8: data.x: unexpected key"* ]]
  [ "$(sql 'select count(*) from events')" -eq 2 ]
  [ "$(sql 'select max_item from sessions')" -eq 7 ]
}
