#!/usr/bin/env bats
# sa-serve with --db postgresql://... (a private server started for this
# file, tests/pg/pg_start.sh): a mock session over HTTP stores its events
# in PostgreSQL, survives a restart of sa-serve, and the state dir is not
# derived from the URL when --state-dir and XDG_RUNTIME_DIR are absent;
# DELETE removes every row of a session.

bats_require_minimum_version 1.5.0
load serve_helpers
load ../pg/pg_helpers

setup_file() { pg_setup_file; }
teardown_file() { pg_teardown_file; }

setup() { T=$BATS_TEST_TMPDIR; pg_newdb; }
teardown() { serve_teardown; }

@test "pg serve: mock session, message, events over HTTP; restart keeps the session" {
  SA_SERVE_DB=$DB serve_start --no-token
  api POST /v1/sessions/m1 '{"agent":"mock","title":"pg"}'
  [ "$code" = 200 ]
  api POST /v1/sessions/m1/messages '{"message":"echo hello there"}'
  [ "$code" = 204 ]
  wait_event m1 '.type == "turn.ended"'
  # the URL reaches sa-store by its environment (SA_DB), never its command line
  st=$(pgrep -f 'sa-store .*--session m1' | head -1)
  [ -n "$st" ]
  ! tr '\0' ' ' <"/proc/$st/cmdline" | grep -q 'postgres'
  tr '\0' '\n' <"/proc/$st/environ" | grep -qx "SA_DB=$DB"
  events m1 > "$T/ev"
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/ev"
  jq -s -e 'any(.[]; .type == "item.completed" and .data.item.role == "assistant"
                and .data.item.content[0].text == "hello there")' "$T/ev"
  # the events are in PostgreSQL, and sa-replay reads the same
  [ "$(pgq "select count(*) from sa_events where session_id='m1'")" -eq "$(wc -l < "$T/ev")" ]
  sa-replay --db "$DB" --session m1 | sa-events-check --sequential --start 1 --session m1
  curl -s -N --max-time 2 "$URL/v1/sessions/m1/events/sse?offset=2" > "$T/sse" || true
  grep -q '^id: 3$' "$T/sse"
  n=$(wc -l < "$T/ev")

  serve_stop
  SA_SERVE_DB=$DB serve_start --no-token
  api GET /v1/sessions
  [ "$code" = 200 ]
  jq -e '.sessions | any(.[]; .sessionId == "m1" and .title == "pg")' <<<"$body"
  events m1 > "$T/ev2"
  [ "$(wc -l < "$T/ev2")" -ge "$n" ]
  cmp <(head -n "$n" "$T/ev2") "$T/ev"
  # a new message after the restart continues the sequence
  api POST /v1/sessions/m1/messages '{"message":"echo again"}'
  [ "$code" = 204 ]
  wait_event m1 '.type == "item.completed" and .data.item.content[0].text == "again"'
  events m1 | jq -s -e '[.[].sequence] == [range(1; length + 1)]'
  ! grep -qE 'Sanitizer|runtime error' "$T/serve.err"
}

@test "pg serve: without --state-dir and XDG_RUNTIME_DIR the state dir is under XDG_STATE_HOME, not the URL" {
  mkdir -p "$T/xdg"
  env -u XDG_RUNTIME_DIR XDG_STATE_HOME="$T/xdg" sa-serve --port 0 --no-token --db "$DB" --fs-root "$T" \
    > "$T/serve.out" 2>> "$T/serve.err" 3>&- &
  SPID=$!
  echo "$SPID" >> "$T/serve.pids"
  i=0
  while ! grep -q 'listening on' "$T/serve.out" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 200 ] && kill -0 "$SPID" 2>/dev/null || { cat "$T/serve.err"; false; }
    sleep 0.05
  done
  [ -d "$T/xdg/sa/sa-serve.state" ]
  [ ! -e "postgresql:" ]
}

@test "pg serve: an unreachable database: exit 4 with the reason" {
  run --separate-stderr sa-serve --port 0 --no-token --state-dir "$T/st" \
    --db "postgresql://u:s3cretpw@/sa?host=$T/nosock"
  echo "$stderr"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"cannot connect"* ]]
}

@test "pg serve: server defaults (/v1/config/mcp) are stored in PostgreSQL and kept across a restart" {
  SA_SERVE_DB=$DB serve_start --no-token
  api PUT "/v1/config/mcp?directory=/srv/w&mcpName=d1" '{"type":"local","command":"x"}'
  [ "$code" = 204 ]
  [ "$(pgq "select count(*) from sa_config where kind='mcp' and name='d1'")" -eq 1 ]
  serve_teardown
  SA_SERVE_DB=$DB serve_start --no-token
  api GET "/v1/config/mcp?directory=/srv/w&mcpName=d1"
  [ "$code" = 200 ]
  jq -e '.command == "x"' <<<"$body"
}

@test "pg serve: DELETE removes the session's rows from PostgreSQL" {
  SA_SERVE_DB=$DB serve_start --no-token
  api POST /v1/sessions/d1 '{"agent":"mock"}'
  api POST /v1/sessions/d1/messages '{"message":"permission"}'
  wait_event d1 '.type == "permission.requested"'
  api DELETE /v1/sessions/d1
  [ "$code" = 204 ]
  [ "$(pgq "select (select count(*) from sa_sessions where id='d1') + (select count(*) from sa_events where session_id='d1')
                 + (select count(*) from sa_hitl_pending where session_id='d1')")" -eq 0 ]
}
