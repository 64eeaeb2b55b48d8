#!/usr/bin/env bats
# serve_security.bats - sa-serve's HTTP hardening and tokens: the Host
# allow-list (DNS rebinding), foreign Origins on writes, form/text POSTs,
# header size limits, the idle timeout, --token wiped from the command
# line, $SA_TOKEN scrubbed from the environment block, --token-file, and
# --tokens roles against every endpoint (a table), with SIGHUP re-reading
# and the answering token's name in permission.resolved.  127.0.0.1, port 0.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

tokens_file() { # write $T/tokens with viewer/member/owner tokens tv/tm/to
  { echo "# role name sha256"
    echo "viewer vera $(sha tv)"
    echo "member max $(sha tm)"
    echo "owner olga $(sha to)"; } >"$T/tokens"
}

@test "security: a DNS-rebinding Host is refused 403 and the file is not written" {
  serve_start --no-token
  api PUT '/v1/fs/file?path=rebound.txt' '{"x":1}' -H 'Host: attacker.example'
  problem_is 403 permission_denied
  [ ! -e "$T/rebound.txt" ]
}

@test "security: Host localhost:PORT and 127.0.0.1:PORT are accepted" {
  serve_start --no-token
  api GET /v1/health '' -H "Host: localhost:$PORT"
  [ "$code" = 200 ]
  api GET /v1/health '' -H "Host: 127.0.0.1:$PORT"
  [ "$code" = 200 ]
}

@test "security: --allowed-host adds a name" {
  serve_start --no-token --allowed-host sa.example
  api GET /v1/health '' -H "Host: sa.example:$PORT"
  [ "$code" = 200 ]
  api GET /v1/health '' -H "Host: other.example:$PORT"
  problem_is 403 permission_denied
}

@test "security: a cross-origin POST mkdir is refused 403 and nothing is made" {
  serve_start --no-token
  api POST '/v1/fs/mkdir?path=evil' '' -H 'Origin: http://evil.example'
  problem_is 403 permission_denied
  [ ! -e "$T/evil" ]
}

@test "security: a POST from the server's own origin is accepted" {
  serve_start --no-token
  api POST '/v1/fs/mkdir?path=mine' '' -H "Origin: http://127.0.0.1:$PORT"
  [ "$code" = 200 ] || [ "$code" = 204 ]
  [ -d "$T/mine" ]
}

@test "security: a POST from a --cors-allow-origin origin is accepted" {
  serve_start --no-token --cors-allow-origin http://app.example
  api POST '/v1/fs/mkdir?path=app' '' -H 'Origin: http://app.example'
  [ "$code" = 200 ] || [ "$code" = 204 ]
  [ -d "$T/app" ]
}

@test "security: a text/plain POST to terminate is refused 415 and the session lives" {
  serve_start --no-token
  api POST /v1/sessions/tp '{"agent":"mock"}'
  [ "$code" = 200 ]
  code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: text/plain' \
    --data-binary 'x' --max-time 20 "$URL/v1/sessions/tp/terminate")
  body=$(cat "$T/body")
  problem_is 415 invalid_request
  api GET /v1/sessions/tp
  jq -e '.ended == false' <<<"$body"
}

@test "security: oversized headers get a 431 problem" {
  serve_start --no-token --max-header-bytes 4096
  big=$(head -c 6000 /dev/zero | tr '\0' a)
  api GET /v1/sessions '' -H "X-Big: $big"
  problem_is 431 invalid_request
  api GET /v1/sessions
  [ "$code" = 200 ]
}

@test "security: an idle connection is closed after --idle-timeout" {
  SA_SERVE_HEARTBEAT_MS=100 serve_start --no-token --idle-timeout 1
  run python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
t = time.monotonic()
try:
    data = s.recv(1)          # nothing sent: the server must close
except socket.timeout:
    sys.exit("still open after 10 s")
print(round(time.monotonic() - t, 1), repr(data))
sys.exit(0 if data == b"" else 1)
PY
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "security: a --token is not visible in /proc/PID/cmdline afterwards" {
  serve_start --token sekret-on-argv
  ! tr '\0' ' ' </proc/"$SPID"/cmdline | grep -q sekret-on-argv
  grep -q 'prefer --token-file' "$T/serve.err"
  api GET /v1/sessions '' -H 'Authorization: Bearer sekret-on-argv'
  [ "$code" = 200 ]
}

@test "security: \$SA_TOKEN is not in /proc/PID/environ" {
  SA_TOKEN=sekret-in-env serve_start
  ! tr '\0' '\n' </proc/"$SPID"/environ | grep -q sekret-in-env
  api GET /v1/sessions '' -H 'Authorization: Bearer sekret-in-env'
  [ "$code" = 200 ]
}

@test "security: --token-file gives an owner token" {
  printf 'from-file\n' >"$T/tok"
  serve_start --token-file "$T/tok"
  api GET /v1/sessions
  problem_is 401 token_invalid
  api DELETE '/v1/fs/entry?path=nothing' '' -H 'Authorization: Bearer from-file'
  [ "$code" != 401 ] && [ "$code" != 403 ]
}

# METHOD PATH BODY NEEDED-ROLE, one a line (BODY without spaces, - for
# none): every endpoint; S is a fresh session, NEW a new id.
ENDPOINTS=$(cat <<'TXT'
GET /v1/agents - viewer
GET /v1/agents/mock/modes - viewer
GET /v1/agents/mock/models - viewer
POST /v1/agents/mock/install {} owner
GET /v1/sessions - viewer
POST /v1/sessions/NEW {"agent":"mock"} member
GET /v1/sessions/S - viewer
POST /v1/sessions/S/messages {"message":"hi"} member
POST /v1/sessions/S/messages/stream {"message":"hi"} member
GET /v1/sessions/S/events - viewer
GET /v1/sessions/S/todos - viewer
GET /v1/sessions/S/diff - viewer
POST /v1/sessions/S/permissions/nope/reply {"reply":"once"} member
POST /v1/sessions/S/questions/nope/reply {"answers":[["a"]]} member
POST /v1/sessions/S/questions/nope/reject {} member
POST /v1/sessions/S/terminate - owner
DELETE /v1/sessions/S - owner
GET /v1/fs/entries?path=. - viewer
GET /v1/fs/file?path=f.txt - viewer
GET /v1/fs/stat?path=f.txt - viewer
PUT /v1/fs/file?path=w.txt {"x":1} owner
POST /v1/fs/mkdir?path=dd - owner
POST /v1/fs/move?from=f.txt&to=g.txt - owner
DELETE /v1/fs/entry?path=nothing - owner
GET /v1/config/mcp?directory=.&mcpName=x - viewer
PUT /v1/config/mcp?directory=.&mcpName=x {"type":"local","command":["true"]} owner
DELETE /v1/config/mcp?directory=.&mcpName=x - owner
GET /v1/openapi.json - viewer
TXT
)

rank() { case $1 in viewer) echo 1 ;; member) echo 2 ;; owner) echo 3 ;; esac; }

@test "security: roles: every role against every endpoint (table)" {
  tokens_file
  echo hello >"$T/f.txt"
  serve_start --tokens "$T/tokens"
  n=0 bad=0
  while read -r m p b need; do
    for role in viewer member owner; do
      n=$((n + 1))
      tok=$(case $role in viewer) echo tv ;; member) echo tm ;; owner) echo to ;; esac)
      # a fresh session per row keeps one row's effect (terminate, delete)
      # from another's; it is created with the owner token
      sid="r$n"
      api POST "/v1/sessions/$sid" '{"agent":"mock"}' -H 'Authorization: Bearer to'
      path=${p//\/S\//\/$sid\/}; path=${path%/S}; [ "$p" = "${p%/S}" ] || path="$path/$sid"
      path=${path//NEW/new$n}
      [ "$b" = - ] && b=''
      api "$m" "$path" "$b" -H "Authorization: Bearer $tok" --max-time 5 || true   # a stream may outlast 5 s
      if [ "$(rank $role)" -ge "$(rank $need)" ]; then
        if [ "$code" = 401 ] || [ "$code" = 403 ]; then echo "$role $m $path: $code, wanted allowed: $body"; bad=$((bad + 1)); fi
      else
        if [ "$code" != 403 ] || [ "$(jq -r .type <<<"$body")" != urn:sandbox-agent:error:permission_denied ]; then
          echo "$role $m $path: $code, wanted 403: $body"; bad=$((bad + 1)); fi
      fi
    done
  done <<<"$ENDPOINTS"
  echo "$n cases, $bad wrong"
  [ "$n" -eq 84 ]
  [ "$bad" -eq 0 ]
}

@test "security: roles: no token and an unknown token are 401 problems" {
  tokens_file
  serve_start --tokens "$T/tokens"
  api GET /v1/sessions
  problem_is 401 token_invalid
  api GET /v1/sessions '' -H 'Authorization: Bearer nope'
  problem_is 401 token_invalid
}

@test "security: roles: SIGHUP re-reads the tokens file" {
  tokens_file
  serve_start --tokens "$T/tokens"
  api GET /v1/sessions '' -H 'Authorization: Bearer newtok'
  problem_is 401 token_invalid
  echo "viewer nico $(sha newtok)" >>"$T/tokens"
  kill -HUP "$SPID"
  for _ in $(seq 100); do grep -q 'SIGHUP: 4 tokens' "$T/serve.err" && break; sleep 0.05; done
  api GET /v1/sessions '' -H 'Authorization: Bearer newtok'
  [ "$code" = 200 ]
}

@test "security: roles: the answering token's name is in permission.resolved metadata" {
  tokens_file
  serve_start --tokens "$T/tokens"
  H='Authorization: Bearer tm'
  api POST /v1/sessions/who '{"agent":"mock"}' -H "$H"
  api POST /v1/sessions/who/messages '{"message":"permission"}' -H "$H"
  for _ in $(seq 200); do
    pid=$(curl -s -H "$H" "$URL/v1/sessions/who/events" | jq -r '[.events[] | select(.type == "permission.requested")][0].data.permission_id // empty')
    [ -n "$pid" ] && break; sleep 0.05
  done
  [ -n "$pid" ]
  api POST "/v1/sessions/who/permissions/$pid/reply" '{"reply":"once"}' -H "$H"
  [ "$code" = 204 ]
  for _ in $(seq 200); do
    curl -s -H "$H" "$URL/v1/sessions/who/events" | jq -e '[.events[] | select(.type == "permission.resolved")] | length > 0' >/dev/null && break
    sleep 0.05
  done
  curl -s -H "$H" "$URL/v1/sessions/who/events" | jq -e '[.events[] | select(.type == "permission.resolved")][0].data.metadata.answeredBy == "max"'
}

@test "security: the sandbox is named in /v1/health and in session.started metadata" {
  serve_start --no-token
  api GET /v1/health
  jq -e '.sandbox == "bwrap"' <<<"$body"
  api POST /v1/sessions/sb '{"agent":"mock"}'
  curl -s "$URL/v1/sessions/sb/events" | jq -e '.events[0].type == "session.started" and .events[0].data.metadata.sandbox == "bwrap"'
}

@test "security: no sandbox available is exit 6, said once, unless --sandbox none" {
  mkdir -p "$T/nobin"
  for t in sh cat env; do ln -s "$(command -v $t)" "$T/nobin/$t"; done
  run env PATH="$T/nobin" "$SA_BINDIR/sa-serve" --port 0 --no-token --db "$T/sa.db" --state-dir "$T/state"
  [ "$status" -eq 6 ]
  [ "$(grep -c 'bubblewrap (bwrap) is not on PATH' <<<"$output")" -eq 1 ]
}

# A bwrap on PATH that logs each run to $T/bwrap.log, then runs the real one
# (or fails, with $1 = fail).
bwrap_wrapper() {
  mkdir -p "$T/wbin"
  if [ "${1:-}" = fail ]; then
    printf '#!/bin/sh\necho run >>"%s"\necho "bwrap: no namespaces here" >&2\nexit 1\n' "$T/bwrap.log" >"$T/wbin/bwrap"
  else
    printf '#!/bin/sh\necho run >>"%s"\nexec %s "$@"\n' "$T/bwrap.log" "$(command -v bwrap)" >"$T/wbin/bwrap"
  fi
  chmod +x "$T/wbin/bwrap"
}

# Start sa-serve with the wrapper first on PATH, wait (10 s at most) for it to
# listen, stop it; $start_status is its exit status when it did not listen.
start_once() {
  : >"$T/start.out"
  PATH="$T/wbin:$PATH" "$SA_BINDIR/sa-serve" --port 0 --no-token --db "$T/sa.db" --state-dir "$T/state" \
    >"$T/start.out" 2>&1 &
  local pid=$! i
  start_status=
  for i in $(seq 200); do
    grep -q 'listening on' "$T/start.out" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  if grep -q 'listening on' "$T/start.out"; then kill $pid; wait $pid || true
  else wait $pid && start_status=0 || start_status=$?; fi
}

runs() { [ -f "$T/bwrap.log" ] && wc -l <"$T/bwrap.log" || echo 0; }

@test "security: a passed sandbox check is remembered: the next start runs no trial of bwrap" {
  bwrap_wrapper
  start_once
  [ "$(runs)" -eq 1 ]
  start_once
  [ "$(runs)" -eq 1 ]
  [ "$(sed -n 2p "$T/state/sandbox-check")" = bwrap ]
}

@test "security: a changed bwrap binary makes the next start check again" {
  bwrap_wrapper
  start_once
  touch -d '2001-01-01' "$T/wbin/bwrap"
  start_once
  [ "$(runs)" -eq 2 ]
}

@test "security: a failed sandbox check is not remembered: exit 6 at every start" {
  bwrap_wrapper fail
  start_once
  [ "$start_status" -eq 6 ]
  start_once
  [ "$start_status" -eq 6 ]
  [ "$(runs)" -ge 2 ]
  [ ! -e "$T/state/sandbox-check" ]
}

@test "security: another session's directory is hidden from an agent (sa-spawn gets --sandbox-hide)" {
  mkdir -p "$T/a" "$T/b"
  serve_start --no-token
  api POST /v1/sessions/sa "{\"agent\":\"mock\",\"directory\":\"$T/a\"}"
  api POST /v1/sessions/sb "{\"agent\":\"mock\",\"directory\":\"$T/b\"}"
  for _ in $(seq 100); do [ -n "$(session_pids sb)" ] && break; sleep 0.05; done
  pid=$(for p in $(session_pids sb); do tr '\0' '\n' </proc/$p/cmdline | head -1 | grep -q 'sa-spawn$' && echo $p; done | head -1)
  [ -n "$pid" ]
  tr '\0' '\n' </proc/$pid/cmdline | grep -A1 -x -- --sandbox-hide | grep -qx "$T/a"
  ! tr '\0' '\n' </proc/$pid/cmdline | grep -A1 -x -- --sandbox-hide | grep -qx "$T/b"
}
