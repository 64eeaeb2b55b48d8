# store_common.bash — the sa-store tests that are the same for both
# backends, loaded by store.bats (SQLite file) and store_pg.bats
# (postgresql:// URL).  Each test body here is a shell function that the
# two files call from their own @test, then add what is backend-specific.
#
# The loading file sets, in setup():
#   DB        the --db argument (a file path or a URL)
#   FX, NFX   the all-types fixture and its line count
#   EVENTS, SESSIONS   the table names (events/sessions or sa_events/sa_sessions)
# and defines `sql QUERY`, which prints the result of one SQL query (one
# value per line) on that database.  GEN_RAW=n makes gen put {"n":i} in
# each event's raw instead of null.

# count [SESSION]: stored events of the session (default s1)
count() { sql "select count(*) from $EVENTS where session_id='${1:-s1}'"; }

# gen SESSION N: N valid events (turn.started), one per line
gen() {
  local i raw=null
  for ((i = 1; i <= $2; i++)); do
    [ "${GEN_RAW:-}" = n ] && raw="{\"n\":$i}"
    printf '{"time":"2026-02-01T10:00:00Z","session_id":"%s","native_session_id":null,"synthetic":true,"source":"daemon","type":"turn.started","data":{"phase":"started","turn_id":"t%d"},"raw":%s}\n' "$1" "$i" "$raw"
  done
}

# wait until "$@" succeeds, at most ~10 s
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}

# Every event type stored: exit 0, no diagnostics, one sequential canonical
# line per event, all rows present, the stored JSON equal to the printed
# line.  Leaves `output` (sa-store's stdout) for the caller's own checks.
store_check_all_types() {
  run --separate-stderr sh -c "sa-store --db '$DB' --session s1 --agent mock < '$FX'"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq "$NFX" ]
  printf '%s\n' "$output" | sa-events-check --sequential --start 1 --session s1 --key-order
  [ "$(count)" -eq "$NFX" ]
  [ "$(sql "select json from $EVENTS where session_id='s1' and sequence=$NFX")" = \
    "$(printf '%s\n' "$output" | tail -1)" ]
}

# A restart continues the sequence; ids the input carries are replaced;
# the session counters follow.
store_check_restart() {
  sa-store --db "$DB" --session s1 < "$FX" > "$BATS_TEST_TMPDIR/first"
  # feed the stored events (with event_id/sequence) back in: renumbered
  run --separate-stderr sh -c "sa-store --db '$DB' --session s1 < '$BATS_TEST_TMPDIR/first'"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" | sa-events-check --sequential --start $((NFX + 1))
  # the second session.started is not stored (the session has one)
  local n=$((2 * NFX - $(grep -c '"type":"session.started"' "$FX")))
  [ "$(count)" -eq "$n" ]
  [ "$(sql "select event_count||','||last_sequence from $SESSIONS where id='s1'")" = "$n,$n" ]
}

# Session fields from the flags and from session.started metadata.
store_check_session_fields() {
  sa-store --db "$DB" --session s1 --title "My title" --directory /tmp/x --model big < "$FX" > /dev/null
  run sql "select agent||'|'||agent_mode||'|'||model||'|'||title||'|'||directory||'|'||native_session_id||'|'||ended_reason||'|'||max_item from $SESSIONS where id='s1'"
  [ "$output" = "mock|build|big|My title|/tmp/x|mock-s1|completed|5" ]
}

# Invalid lines (not JSON, against the schema, another session) are
# reported with their line numbers and skipped; the valid ones are stored
# and printed in sequence; exit 5.
store_check_invalid_lines() {
  {
    gen s1 1
    echo 'not json'
    echo '{"time":"2026-02-01T10:00:00Z","session_id":"s1","native_session_id":null,"synthetic":true,"source":"daemon","type":"turn.started","data":{"phase":"begun"},"raw":null}'
    gen other 1
    gen s1 2
  } > "$BATS_TEST_TMPDIR/in"
  run --separate-stderr sh -c "sa-store --db '$DB' --session s1 < '$BATS_TEST_TMPDIR/in'"
  [ "$status" -eq 5 ]
  [[ "$stderr" == *"line 2: not valid JSON"* ]]
  [[ "$stderr" == *"line 3: data.phase: invalid value"* ]]
  [[ "$stderr" == *"line 4: session_id: expected \"s1\""* ]]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
  printf '%s\n' "$output" | sa-events-check --sequential --start 1
  [ "$(count)" -eq 3 ]
}

# Three concurrent writers, two on session s1: all exit 0 without
# diagnostics from the s1 writers, 800 contiguous sequences in s1, 400
# events in s2, and between them the s1 writers printed every sequence.
# Leaves the outputs in $BATS_TEST_TMPDIR/o1..o3 and errors in e1..e3.
store_check_concurrent() {
  gen s1 400 > "$BATS_TEST_TMPDIR/a"
  gen s2 400 > "$BATS_TEST_TMPDIR/b"
  sa-store --db "$DB" --session s1 --batch 7 < "$BATS_TEST_TMPDIR/a" > "$BATS_TEST_TMPDIR/o1" 2> "$BATS_TEST_TMPDIR/e1" & p1=$!
  sa-store --db "$DB" --session s1 --batch 5 < "$BATS_TEST_TMPDIR/a" > "$BATS_TEST_TMPDIR/o2" 2> "$BATS_TEST_TMPDIR/e2" & p2=$!
  sa-store --db "$DB" --session s2 --batch 3 < "$BATS_TEST_TMPDIR/b" > "$BATS_TEST_TMPDIR/o3" 2> "$BATS_TEST_TMPDIR/e3" & p3=$!
  wait $p1; r1=$?
  wait $p2; r2=$?
  wait $p3; r3=$?
  cat "$BATS_TEST_TMPDIR"/e?
  [ "$r1" -eq 0 ]
  [ "$r2" -eq 0 ]
  [ "$r3" -eq 0 ]
  [ ! -s "$BATS_TEST_TMPDIR/e1" ]
  [ ! -s "$BATS_TEST_TMPDIR/e2" ]
  [ "$(count s1)" -eq 800 ]
  [ "$(count s2)" -eq 400 ]
  [ "$(sql "select count(distinct sequence)||','||min(sequence)||','||max(sequence) from $EVENTS where session_id='s1'")" = "800,1,800" ]
  # each writer saw its own events, and together all of them
  sort -n <(jq .sequence "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o2") | uniq | wc -l | grep -qx 800
  sa-events-check --sequential --start 1 --session s2 "$BATS_TEST_TMPDIR/o3"
}

# mock_run SESSION [sa-normalize flags...] — one mock turn through the three
# stages into $DB.
mock_run() {
  local s=$1; shift
  echo '{"type":"message","message":"echo again"}' | sa-spawn --agent mock --session "$s" \
    | sa-normalize --agent mock --session "$s" "$@" | sa-store --db "$DB" --session "$s" > /dev/null
}

# The chain run again on a stored session stores no second session.started.
store_check_continue_started() {
  mock_run c1
  mock_run c1
  [ "$(sa-replay --db "$DB" --session c1 | jq -s '[.[] | select(.type == "session.started")] | length')" = 1 ]
}

# The chain run again continues the item ids after the stored ones.
store_check_continue_items() {
  mock_run c2
  local first
  first=$(sa-replay --db "$DB" --session c2 | jq -s '[.[] | .data.item.item_id // empty | ltrimstr("itm_") | tonumber] | max')
  mock_run c2
  sa-replay --db "$DB" --session c2 | jq -s -e '
    [.[] | select(.type == "turn.started")] | length == 2' >/dev/null
  sa-replay --db "$DB" --session c2 | jq -s -e --argjson m "$first" '
    ([.[] | select(.type == "turn.started")][1].sequence) as $t2
    | [.[] | select(.sequence > $t2) | .data.item.item_id // .data.item_id // empty | ltrimstr("itm_") | tonumber]
    | length > 0 and min == $m + 1' >/dev/null
  sa-replay --db "$DB" --session c2 | sa-events-check --sequential --start 1 --session c2
}

# A run that already continues the ids (sa-serve's --item-start) is kept as it is.
store_check_continue_item_start() {
  mock_run c3
  local m
  m=$(sa-replay --db "$DB" --session c3 | jq -s '[.[] | .data.item.item_id // empty | ltrimstr("itm_") | tonumber] | max')
  mock_run c3 --no-session-started --item-start $((m + 1))
  [ "$(sa-replay --db "$DB" --session c3 | jq -s '[.[] | .data.item.item_id // empty | ltrimstr("itm_") | tonumber] | max')" \
    = $((2 * m)) ]
}
