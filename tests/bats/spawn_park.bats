#!/usr/bin/env bats
# spawn_park.bats — sa-spawn's side of parking (sa-serve --idle-park): the
# park command over a FIFO (the agent stopped, a parked line, exit 0, no
# terminated line), --resumed-at (one resumed line before the agent's first
# line), their errors, and sa-normalize's agent.parked / agent.resumed
# status items.

bats_require_minimum_version 1.5.0
load spawn_helpers

teardown() { teardown_spawn; }

@test "park over a FIFO: the agent is stopped, a parked line with idle_ms follows, sa-spawn exits 0" {
  start_spawn --agent mock --session s1
  send '{"type":"message","message":"echo hi"}'
  wait_for "$OUT" '"sa":"turn_end"'
  send '{"type":"park","idle_ms":4321}'
  finish
  [ "$SSTATUS" -eq 0 ]
  x=$(line_no "$OUT" '^\{"sa":"exited","agent":"mock",.*"requested":true')
  p=$(line_no "$OUT" '^\{"sa":"parked","idle_ms":4321\}$')
  [ "$x" -lt "$p" ]
  [ "$(wc -l < "$OUT")" -eq "$p" ]          # the last line
}

@test "park writes no terminated line (the session is not ended)" {
  start_spawn --agent mock --session s1
  send '{"type":"park"}'
  finish
  [ "$SSTATUS" -eq 0 ]
  ! grep -q '"sa":"terminated"' "$OUT"
  [ "$(sa_lines "$OUT" parked)" = '{"sa":"parked","idle_ms":null}' ]
}

@test "park with a bad idle_ms is an input_error and the session goes on" {
  start_spawn --agent mock --session s1
  send '{"type":"park","idle_ms":"soon"}'
  wait_for "$OUT" '"sa":"input_error"'
  grep -q 'idle_ms' "$OUT"
  kill -0 "$SPID"
  send '{"type":"terminate"}'
  finish
}

@test "--resumed-at: one resumed line with resume_ms right before the agent's first line" {
  start_spawn --agent mock --session s1 --resumed-at "$(( $(date +%s%3N) - 250 ))"
  send '{"type":"message","message":"echo one"}'
  send '{"type":"message","message":"echo two"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  send '{"type":"terminate"}'
  finish
  run sa_lines "$OUT" resumed
  [ "${#lines[@]}" -eq 1 ]
  jq -e '.resume_ms >= 250 and .how == "restarted"' <<<"${lines[0]}"
  r=$(line_no "$OUT" '^\{"sa":"resumed"')
  m=$(line_no "$OUT" '^\{"mock":')
  [ "$((r + 1))" -eq "$m" ]
}

@test "--resumed-at with --prime says how primed" {
  printf 'earlier turns\n' >"$BATS_TEST_TMPDIR/prime"
  start_spawn --agent mock --session s1 --prime "$BATS_TEST_TMPDIR/prime" --resumed-at "$(date +%s%3N)"
  send '{"type":"message","message":"echo one"}'
  wait_for "$OUT" '"sa":"turn_end"'
  send '{"type":"terminate"}'
  finish
  [ "$(sa_lines "$OUT" resumed | jq -r .how)" = primed ]
}

@test "without --resumed-at there is no resumed line" {
  start_spawn --agent mock --session s1
  send '{"type":"message","message":"echo one"}'
  wait_for "$OUT" '"sa":"turn_end"'
  send '{"type":"terminate"}'
  finish
  [ -z "$(sa_lines "$OUT" resumed)" ]
}

@test "a bad --resumed-at is a usage error (exit 2)" {
  for v in abc 0 -5 ''; do
    run --separate-stderr sa-spawn --agent mock --resumed-at "$v"
    [ "$status" -eq 2 ] || { echo "$v: $status"; false; }
    [[ "$stderr" == *"--resumed-at: not a positive number of unix milliseconds"* ]]
  done
}

@test "sa-normalize: parked and resumed lines become agent.parked and agent.resumed status items" {
  printf '%s\n' '{"sa":"resumed","resume_ms":812,"how":"native"}' '{"sa":"parked","idle_ms":300000}' |
    sa-normalize --agent mock --session s1 --no-session-started >"$BATS_TEST_TMPDIR/ev"
  jq -se '[.[] | select(.type == "item.completed") | .data.item |
    {kind, role, label: .content[0].label, json: .content[1].json}] ==
    [{"kind":"status","role":"system","label":"agent.resumed","json":{"resume_ms":812,"how":"native"}},
     {"kind":"status","role":"system","label":"agent.parked","json":{"idle_ms":300000}}]' "$BATS_TEST_TMPDIR/ev"
  jq -se 'all(.[]; .synthetic == true and .source == "daemon")' "$BATS_TEST_TMPDIR/ev"
  ! jq -se 'any(.[]; .type == "agent.unparsed" or .type == "session.ended")' "$BATS_TEST_TMPDIR/ev"
}
