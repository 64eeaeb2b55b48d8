#!/usr/bin/env bats
# sa server (sa-serve with v0.1.11's server flags; the v0.1.11 SDK's
# embedded-mode spawn contract, run by tests/agents/sdk_spawn.mjs) and
# sa daemon start|stop|status (pid and log files in the state directory).
# Ports are probed free ones on 127.0.0.1; only our own pids are signalled.

bats_require_minimum_version 1.5.0
load sa_cli_helpers

setup() {
  T=$BATS_TEST_TMPDIR
  export SA_DB=$T/sa.db XDG_STATE_HOME=$T/state-home XDG_RUNTIME_DIR=$T/run
  mkdir -p "$T/run"
  cd "$T"
}
teardown() {
  [ -z "${CPID:-}" ] || stop_pid "$CPID"
  [ -z "${DPORT:-}" ] || sa daemon stop -p "$DPORT" >/dev/null 2>&1 || true
}

# server_bg ARGS... — sa server ARGS in the background (pid CPID), wait
# until /v1/health answers on $PORT.
server_bg() {
  sa server "$@" >"$T/server.out" 2>"$T/server.err" 3>&- &
  CPID=$!
  local i=0
  until curl -sf --max-time 2 "http://127.0.0.1:$PORT/v1/health" >/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || ! kill -0 "$CPID" 2>/dev/null; then cat "$T/server.err" >&2; return 1; fi
    sleep 0.05
  done
}

@test "the v0.1.11 SDK's embedded mode starts bin/sa server, authenticates, runs a mock turn, stops it" {
  run node "$SA_TOP/tests/agents/sdk_spawn.mjs" "$SA_BINDIR/sa"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(jq -c '[.health.status, .unauthorized, .turnEnded, .exit.code]' <<<"$output")" = '["ok",401,true,0]' ]
}

@test "sa server -t: the token is required and is not on sa-serve's command line" {
  PORT=$(free_port)
  server_bg -p "$PORT" -t sekret
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/sessions")" = 401 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sekret' "http://127.0.0.1:$PORT/v1/sessions")" = 200 ]
  ! tr '\0' ' ' <"/proc/$CPID/cmdline" | grep -q sekret
  tr '\0' ' ' <"/proc/$CPID/cmdline" | grep -q 'sa-serve'    # sa exec'd sa-serve in its place
}

@test "sa server -O/-M/-A/-C become sa-serve's CORS flags" {
  PORT=$(free_port)
  server_bg -n -p "$PORT" -O http://example.com -M GET -M POST -A content-type -C --no-telemetry
  h=$(curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: http://example.com' \
      -H 'Access-Control-Request-Method: POST' "http://127.0.0.1:$PORT/v1/sessions" | tr -d '\r')
  grep -qi '^access-control-allow-origin: http://example.com$' <<<"$h"
  grep -qi '^access-control-allow-credentials: true$' <<<"$h"
  grep -qi '^access-control-allow-methods: GET, *POST$' <<<"$h"
}

@test "sa server passes arguments after -- to sa-serve (--fs-root)" {
  PORT=$(free_port)
  mkdir -p "$T/root"; echo hi >"$T/root/f.txt"
  server_bg -n -p "$PORT" -- --fs-root "$T/root"
  run sa -e "http://127.0.0.1:$PORT" api fs read f.txt
  [ "$status" -eq 0 ] && [ "$output" = hi ]
}

@test "sa server: a bad port is a usage error (2)" {
  run sa server -p 99999
  [ "$status" -eq 2 ]
  run sa server --bogus
  [ "$status" -eq 2 ]
}

@test "sa daemon start runs sa-serve in the background; status and stop find it by its pid file" {
  DPORT=$(free_port)
  run sa daemon start -p "$DPORT" -n -- --fs-root "$T" 3>&-
  [ "$status" -eq 0 ] || { echo "$output"; cat "$XDG_STATE_HOME"/sa/daemon/*.log; false; }
  pidf=$XDG_STATE_HOME/sa/daemon/sa-serve-127.0.0.1-$DPORT.pid
  logf=$XDG_STATE_HOME/sa/daemon/sa-serve-127.0.0.1-$DPORT.log
  pid=$(cat "$pidf")
  [[ "$output" == "sa-serve running (pid $pid) on http://127.0.0.1:$DPORT; log: $logf" ]]
  [ "$(curl -s "http://127.0.0.1:$DPORT/v1/health" | jq -r .status)" = ok ]
  grep -q 'listening on' "$logf"
  run sa daemon start -p "$DPORT" -n 3>&-
  [ "$status" -eq 0 ] && [[ "$output" == *"already running (pid $pid)"* ]]
  run sa daemon status -p "$DPORT"
  [ "$status" -eq 0 ] && [[ "$output" == *"running (pid $pid)"* ]]
  run sa daemon stop -p "$DPORT"
  [ "$status" -eq 0 ] && [[ "$output" == *"stopped (pid $pid)"* ]]
  ! kill -0 "$pid" 2>/dev/null
  [ ! -e "$pidf" ]
  run sa daemon status -p "$DPORT"
  [ "$status" -eq 5 ] && [[ "$output" == *"not running"* ]]
  run sa daemon stop -p "$DPORT"
  [ "$status" -eq 5 ]
  DPORT=
}

@test "sa daemon start: an sa-serve that cannot start is reported with its log (exit 4)" {
  DPORT=$(free_port)
  run sa daemon start -p "$DPORT" -n -- --bogus-flag 3>&-
  [ "$status" -eq 4 ]
  [[ "$output" == *"exited at start"* ]] && [[ "$output" == *"bogus-flag"* ]]
  DPORT=
}
