#!/usr/bin/env bats
# serve_scale.bats — sa-serve bounded at scale (issue 12 item 5): /events
# without a limit answers one bounded page (10000 events) with hasMore, and
# a store of 20,000 sessions made directly in SQLite
# (tests/bench/gen_sessions.sh) is served: found by id, listed whole,
# counted by /metrics, with each session's usage read when first used.
# tests/bench/scale.sh (make bench) measures the same at 100,000.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

@test "events without limit: a page of 10000 with hasMore, the rest after it" {
  seq 10005 | awk '{ printf "{\"time\":\"2026-01-01T00:00:00Z\",\"session_id\":\"big\",\"native_session_id\":null,\"synthetic\":false,\"source\":\"agent\",\"type\":\"item.delta\",\"data\":{\"item_id\":\"itm_1\",\"native_item_id\":null,\"delta\":\"%d\"},\"raw\":null}\n", $1 }' |
    sa-store --db "$T/sa.db" --session big --agent mock >/dev/null
  serve_start --no-token
  api GET /v1/sessions/big/events
  [ "$code" = 200 ]
  [ "$(jq '.events | length' <<<"$body")" = 10000 ]
  [ "$(jq .hasMore <<<"$body")" = true ]
  [ "$(jq '.events[-1].sequence' <<<"$body")" = 10000 ]
  api GET "/v1/sessions/big/events?offset=10000"
  [ "$(jq -c '[.events[].sequence]' <<<"$body")" = '[10001,10002,10003,10004,10005]' ]
  [ "$(jq .hasMore <<<"$body")" = false ]
  # a limit above the page is cut to it
  api GET "/v1/sessions/big/events?limit=50000"
  [ "$(jq '.events | length' <<<"$body")" = 10000 ] && [ "$(jq .hasMore <<<"$body")" = true ]
}

@test "20,000 stored sessions: found by id, listed, counted, usage read when first used" {
  sh "$SA_TOP/tests/bench/gen_sessions.sh" "$T/sa.db" 20000
  serve_start --no-token
  api GET /v1/sessions/g12345
  [ "$code" = 200 ]
  jq -e '.sessionId == "g12345" and .eventCount == 3 and .usage.input_tokens == 1 and .usage.output_tokens == 2' <<<"$body"
  api GET /v1/sessions/g20001
  [ "$code" = 404 ]
  curl -s --max-time 120 -o "$T/list" "$URL/v1/sessions"
  [ "$(jq '.sessions | length' "$T/list")" = 20001 ]
  [ "$(jq -r '.sessions[0].sessionId' "$T/list")" = g20000 ]     # newest first
  [ "$(jq '[.sessions[].usage.input_tokens] | add' "$T/list")" = 20001 ]
  curl -s --max-time 120 "$URL/metrics" >"$T/metrics"
  grep -qx 'sa_sessions_stored 20001' "$T/metrics"
  grep -qx 'sa_events_stored{agent="mock"} 60003' "$T/metrics"
  grep -qx 'sa_tokens{agent="mock",kind="input"} 20001' "$T/metrics"
}

# A client that asks for the list of 20,001 sessions (8 MB) with a 4 KB
# receive buffer and reads nothing for 2 s; meanwhile sa-serve's growth in
# RSS is taken and another request is made; then it reads the whole list.
# Prints "grew KB", "health CODE" and "listed N".
stalled_list() {
  python3 - "$PORT" "$SPID" <<'PY'
import json, socket, sys, time, urllib.request
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
before = rss()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # before connect: a small window
s.settimeout(120)
s.connect(("127.0.0.1", port))
s.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
time.sleep(2)
print("grew", rss() - before)
with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=10) as r:
    print("health", r.status)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
parts = []
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    parts.append(b)
data = b"".join(parts)
head, _, body = data.partition(b"\r\n\r\n")
if b"chunked" in head.lower():
    out, at = [], 0
    while at < len(body):
        nl = body.index(b"\r\n", at)
        n = int(body[at:nl], 16)
        if n == 0:
            break
        out.append(body[nl + 2:nl + 2 + n])
        at = nl + 2 + n + 2
    body = b"".join(out)
print("listed", len(json.loads(body)["sessions"]))
PY
}

@test "20,000 sessions: a list whose client does not read holds well under the list's 8 MB in memory" {
  case $SA_BINDIR in */asan/*) skip "RSS says nothing under ASan (its quarantine keeps every freed block)" ;; esac
  sh "$SA_TOP/tests/bench/gen_sessions.sh" "$T/sa.db" 20000
  serve_start --no-token
  run stalled_list
  echo "$output"
  grew=$(sed -n 's/^grew //p' <<<"$output")
  [ "$grew" -lt 2048 ]
}

@test "20,000 sessions: a list whose client does not read does not hold up other requests" {
  sh "$SA_TOP/tests/bench/gen_sessions.sh" "$T/sa.db" 20000
  serve_start --no-token
  run stalled_list
  grep -qx 'health 200' <<<"$output"
}

@test "20,000 sessions: a list read late still has every session once" {
  sh "$SA_TOP/tests/bench/gen_sessions.sh" "$T/sa.db" 20000
  serve_start --no-token
  run stalled_list
  grep -qx 'listed 20001' <<<"$output"
}

@test "20,000 sessions: a client that drops the list half-way leaves the server serving" {
  sh "$SA_TOP/tests/bench/gen_sessions.sh" "$T/sa.db" 20000
  serve_start --no-token
  python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
s.recv(1000)
s.close()
PY
  api GET /v1/sessions/g7
  [ "$code" = 200 ]
  curl -s --max-time 120 -o "$T/list" "$URL/v1/sessions"
  [ "$(jq '.sessions | length' "$T/list")" = 20001 ]
}
