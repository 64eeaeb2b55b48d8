#!/usr/bin/env bats
# spawn_amp.bats — sa-spawn --agent amp against tests/agents/fake_amp.py, a
# fake amp that checks its options as amp does, replays the fixtures in
# tests/fixtures/amp (HAND-WRITTEN FROM AMP'S DOCUMENTED FORMAT: the real
# Amp needs an ampcode.com account) and records its argv, stdin and the
# signals it got.  Checks the command line of each turn (threads continue,
# bypass, model, MCP), the one stdin line per process, one process per turn,
# cancel and terminate.  Every wait is bounded; the fake's process group is
# killed in teardown if still there.

bats_require_minimum_version 1.5.0
load spawn_helpers

setup() {
  FAKE=$SA_TOP/tests/agents/fake_amp.py
  # the fake records what it got here, outside its working directory: the
  # sandbox lets it write there (--sandbox-write).  Its exit status 128+N
  # (as amp's after signal N) comes through bubblewrap as what it also
  # means there, death by signal N: the exited line may say either.
  export FAKE_AMP_DIR=$BATS_TEST_TMPDIR/fa
  mkdir -p "$FAKE_AMP_DIR"
  O=$BATS_TEST_TMPDIR/o
}

teardown() {
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    send '{"type":"terminate"}' 2>/dev/null || true
    finish || true
  fi
  teardown_spawn
}

msg() { printf '{"type":"message","message":"%s"}\n' "$1"; }

# spawn_all ARGS... -- MESSAGES... — run sa-spawn --agent amp with the fake on
# the messages (one per argument, then end of input); output in $O, exit
# status in $SST
spawn_all() {
  local a=()
  while [ "$1" != -- ]; do a+=("$1"); shift; done
  shift
  local m
  SST=0
  for m in "$@"; do msg "$m"; done |
    timeout 30 sa-spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR" "${a[@]}" > "$O" 2> "$BATS_TEST_TMPDIR/e" || SST=$?
}

argv_of() { tr '\n' ' ' < "$FAKE_AMP_DIR/argv.$1"; }

T1=T-fa4e0000-0000-4000-8000-000000000001
FLAGS="--execute --stream-json --stream-json-input --no-ide --no-archive-after-execute "

@test "amp argv (fake amp): a new thread runs amp --execute --stream-json --stream-json-input --no-ide --no-archive-after-execute" {
  spawn_all -- "hello"
  [ "$SST" -eq 0 ]
  [ "$(argv_of 1)" = "$FLAGS" ]
}

@test "amp argv (fake amp): --resume ID runs amp threads continue ID before the flags" {
  spawn_all --resume T-2775dc92-90ed-4f85-8b73-8f9766029e83 -- "hello"
  [ "$(argv_of 1)" = "threads continue T-2775dc92-90ed-4f85-8b73-8f9766029e83 $FLAGS" ]
}

@test "amp argv (fake amp): permission mode bypass adds --dangerously-allow-all" {
  spawn_all --permission-mode bypass -- "hello"
  [ "$(argv_of 1)" = "$FLAGS--dangerously-allow-all " ]
}

@test "amp argv (fake amp): permission mode default adds no allow-all flag" {
  spawn_all --permission-mode default -- "hello"
  ! grep -qx -- --dangerously-allow-all "$FAKE_AMP_DIR/argv.1"
}

@test "amp argv (fake amp): --model M becomes -m M, and amp-default adds nothing" {
  spawn_all --model high -- "hello"
  [ "$(argv_of 1)" = "$FLAGS-m high " ]
  spawn_all --model amp-default -- "hello"
  [ "$(argv_of 2)" = "$FLAGS" ]
}

@test "amp (fake amp, documented fixtures): permission mode acceptEdits runs as default (no allow-all)" {
  spawn_all --permission-mode acceptEdits -- "hello"
  [ "$(argv_of 1)" = "$FLAGS" ]
}

@test "amp (fake amp, documented fixtures): permission mode plan is refused with exit 2, naming the modes amp honours" {
  run --separate-stderr sa-spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR" --permission-mode plan </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"agent amp honours default|bypass"* ]]
}

@test "amp (fake amp, documented fixtures): no amp process is started before the first message" {
  run sa-spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR" </dev/null
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ ! -e "$FAKE_AMP_DIR/argv.1" ]
}

@test "amp (fake amp, documented fixtures): the message is one stream-json user line on amp's stdin, then stdin is closed" {
  spawn_all -- "hello"
  [ "$(cat "$FAKE_AMP_DIR/stdin.1")" = '{"type":"user","message":{"role":"user","content":[{"type":"text","text":"hello"}]}}
EOF' ]
}

@test "amp (fake amp, documented fixtures): attachments are listed after the message text" {
  printf '%s\n' '{"type":"message","message":"look","attachments":[{"path":"/tmp/a.txt"}]}' |
    timeout 30 sa-spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR" > "$O"
  [ "$(head -1 "$FAKE_AMP_DIR/stdin.1" | jq -r '.message.content[0].text')" = "look

Attachments:
- /tmp/a.txt" ]
}

@test "amp (fake amp, documented fixtures): --prime goes first in the first message only, separated by a blank line" {
  printf 'Earlier context.' > "$BATS_TEST_TMPDIR/prime"
  spawn_all --prime "$BATS_TEST_TMPDIR/prime" -- "one" "two"
  [ "$(head -1 "$FAKE_AMP_DIR/stdin.1" | jq -r '.message.content[0].text')" = "Earlier context.

one" ]
  [ "$(head -1 "$FAKE_AMP_DIR/stdin.2" | jq -r '.message.content[0].text')" = "two" ]
}

@test "amp (fake amp, documented fixtures): each turn runs its own amp process" {
  spawn_all -- "one" "two" "three"
  [ "$(sa_lines "$O" spawned | wc -l)" -eq 3 ]
  [ "$(sa_lines "$O" exited | wc -l)" -eq 3 ]
  [ -e "$FAKE_AMP_DIR/argv.3" ] && [ ! -e "$FAKE_AMP_DIR/argv.4" ]
}

@test "amp (fake amp, documented fixtures): the second turn continues the thread the first turn's lines named" {
  spawn_all -- "one" "two"
  [ "$(argv_of 2)" = "threads continue $T1 $FLAGS" ]
}

@test "amp (fake amp, documented fixtures): a process's turn_end follows its result line, and it exits by itself (requested:false)" {
  spawn_all -- "one"
  r=$(line_no "$O" '^\{"type":"result"')
  te=$(line_no "$O" '^\{"sa":"turn_end","turn":1\}')
  ex=$(line_no "$O" '^\{"sa":"exited"')
  [ "$r" -lt "$te" ] && [ "$te" -lt "$ex" ]
  sa_lines "$O" exited | jq -e '.code == 0 and .requested == false' >/dev/null
}

@test "amp (fake amp, documented fixtures): a turn waits until the previous turn's amp has exited" {
  spawn_all -- "LINGER one" "two"
  ex1=$(line_no "$O" '^\{"sa":"exited"')
  sp2=$(sa_lines "$O" spawned | sed -n 2p | jq -r .pid)
  sp2_line=$(line_no "$O" "^\\{\"sa\":\"spawned\",\"agent\":\"amp\",\"pid\":$sp2,")
  [ "$ex1" -lt "$sp2_line" ]
  sa_lines "$O" exited | head -1 | jq -e '.code == 0 and .requested == false' >/dev/null
}

@test "amp (fake amp, documented fixtures): an amp that does not exit after its turn is stopped (requested:true) before the next turn" {
  spawn_all --grace-ms 300 -- "HANG one" "two"
  sa_lines "$O" exited | head -1 | jq -e '.requested == true and .signal == 15' >/dev/null
  [ "$(sa_lines "$O" turn_end | wc -l)" -eq 2 ]
}

@test "amp (fake amp, documented fixtures): native lines pass through verbatim" {
  spawn_all -- "TOOL run"
  want=$(grep -v '^{"sa"' "$SA_TOP/tests/fixtures/amp/execute-tool.jsonl" | grep -v '^{"type":"user","message":{"role":"user","content":\[{"type":"text"' | sed "s/T-0c9d8e7f-1a2b-4c3d-8e4f-5a6b7c8d9e01/$T1/g")
  got=$(grep -v '^{"sa"' "$O" | grep -v '^{"type":"user","message":{"role":"user","content":\[{"type":"text"')
  [ "$got" = "$want" ]
}

@test "amp (fake amp, documented fixtures): cancel sends SIGINT to amp; its process ends and cancelled is written" {
  start_spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR"
  send '{"type":"message","message":"SLOW please"}'
  wait_for "$OUT" '"subtype":"init"'
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"cancelled"'
  [ "$(cat "$FAKE_AMP_DIR/signal.1")" = SIGINT ]
  sa_lines "$OUT" exited | jq -e '.requested == true and (.code == 130 or .signal == 2)' >/dev/null
}

@test "amp (fake amp, documented fixtures): cancel of an amp that ignores SIGINT stops it with SIGTERM after the grace period" {
  start_spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR" --grace-ms 300
  send '{"type":"message","message":"SLOW IGNORE please"}'
  wait_for "$OUT" '"subtype":"init"'
  send '{"type":"cancel"}'
  wait_for "$OUT" '"sa":"cancelled"'
  [ "$(tr '\n' ' ' < "$FAKE_AMP_DIR/signal.1")" = "SIGINT SIGTERM " ]
  sa_lines "$OUT" exited | jq -e '.requested == true and (.code == 143 or .signal == 15)' >/dev/null
}

@test "amp (fake amp, documented fixtures): after cancel the next message continues the thread in a new process" {
  start_spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR"
  send '{"type":"message","message":"SLOW please"}'
  wait_for "$OUT" '"subtype":"init"'
  send '{"type":"cancel"}'
  send '{"type":"message","message":"again"}'
  wait_for "$OUT" '"sa":"turn_end","turn":2'
  [ "$(argv_of 2)" = "threads continue $T1 $FLAGS" ]
}

@test "amp (fake amp, documented fixtures): terminate during a turn ends amp's process group and the session" {
  start_spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR"
  send '{"type":"message","message":"SLOW please"}'
  wait_for "$OUT" '"subtype":"init"'
  AGENT_PGID=$(sa_lines "$OUT" spawned | jq -r .pid)
  send '{"type":"terminate"}'
  finish
  [ "$SSTATUS" -eq 0 ]
  grep -qx '{"sa":"terminated"}' "$OUT"
  ! kill -0 -- "-$AGENT_PGID" 2>/dev/null
}

@test "amp (fake amp, documented fixtures): a crash mid-turn gives exited with its stderr and no turn_end" {
  spawn_all -- "CRASH now"
  sa_lines "$O" exited | jq -e '.code == 1 and .requested == false and (.stderr.head | test("crashing"))' >/dev/null
  [ -z "$(sa_lines "$O" turn_end)" ]
}

@test "amp (fake amp, documented fixtures): sa-spawn exits 4 when the last turn's amp failed" {
  spawn_all -- "CRASH now"
  [ "$SST" -eq 4 ]
}

@test "amp (fake amp, documented fixtures): after a crash the next message continues the thread the crashed turn named" {
  spawn_all -- "CRASH now" "again"
  [ "$(argv_of 2)" = "threads continue $T1 $FLAGS" ]
  [ "$(sa_lines "$O" turn_end | jq -r .turn)" = 2 ]
}

@test "amp (fake amp, documented fixtures): sa-spawn | sa-normalize over two turns gives two turn.ended, valid events and no agent.unparsed" {
  for m in "one" "TOOL two"; do msg "$m"; done |
    timeout 30 sa-spawn --agent amp --agent-bin "$FAKE" --sandbox-write "$FAKE_AMP_DIR" |
    sa-normalize --agent amp --session s1 > "$BATS_TEST_TMPDIR/ev"
  [ "$(jq -s '[.[] | select(.type == "turn.ended")] | length' "$BATS_TEST_TMPDIR/ev")" -eq 2 ]
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$BATS_TEST_TMPDIR/ev")" -eq 0 ]
  sa-events-check --no-envelope-ids --key-order --session s1 < "$BATS_TEST_TMPDIR/ev"
}

# mcp_file STRICT — sa's MCP form (as sa-serve writes it) in $MCP: a local
# server with cwd and timeoutMs (which amp's --mcp-config cannot take), a
# remote one with a bearer token from MCP_TOK, and a disabled one
mcp_file() {
  MCP=$BATS_TEST_TMPDIR/mcp.json
  cat > "$MCP" <<J
{"strict":$1,"servers":{
 "search-tools":{"type":"local","command":"python3","args":["srv.py"],"env":{"K":"v"},"cwd":"/tmp","enabled":true,"timeoutMs":5000},
 "web":{"type":"remote","url":"http://127.0.0.1:9/mcp","headers":{"X-A":"b"},"bearerTokenEnvVar":"MCP_TOK","envHeaders":{},"transport":"http","enabled":true,"timeoutMs":null},
 "off":{"type":"local","command":"false","args":[],"env":{},"cwd":null,"enabled":false,"timeoutMs":null}}}
J
}

AMP_MCP='{"search-tools":{"command":"python3","args":["srv.py"],"env":{"K":"v"}},"web":{"url":"http://127.0.0.1:9/mcp","headers":{"X-A":"b","Authorization":"Bearer tok-1"}}}'

@test "amp MCP (fake amp): --mcp adds --mcp-config FILE.amp.json to each turn's command line" {
  mcp_file false
  MCP_TOK=tok-1 spawn_all --mcp "$MCP" -- "one" "two"
  [ "$(argv_of 1)" = "$FLAGS--mcp-config $MCP.amp.json " ]
  [ "$(argv_of 2)" = "threads continue $T1 $FLAGS--mcp-config $MCP.amp.json " ]
}

@test "amp MCP (fake amp): the --mcp-config file holds amp's form of the enabled servers, the bearer token resolved" {
  mcp_file false
  MCP_TOK=tok-1 spawn_all --mcp "$MCP" -- "one"
  [ "$SST" -eq 0 ]
  [ "$(jq -cS . "$FAKE_AMP_DIR/mcp-config.1")" = "$(jq -cS . <<<"$AMP_MCP")" ]
}

@test "amp MCP (fake amp): the --mcp-config file is mode 0600" {
  mcp_file false
  spawn_all --mcp "$MCP" -- "one"
  [ "$(stat -c %a "$MCP.amp.json")" = 600 ]
}

@test "amp MCP (fake amp): strict runs amp with a settings file of sa's holding only amp.mcpServers, no --mcp-config" {
  mcp_file true
  MCP_TOK=tok-1 spawn_all --mcp "$MCP" -- "one"
  [ "$(argv_of 1)" = "$FLAGS--settings-file $MCP.amp-settings.json " ]
  [ "$(jq -cS . "$FAKE_AMP_DIR/settings.1")" = "$(jq -cS '{"amp.mcpServers": .}' <<<"$AMP_MCP")" ]
}

@test "amp MCP (fake amp): without --mcp, amp gets neither --mcp-config nor --settings-file" {
  spawn_all -- "one"
  ! grep -qx -- '--mcp-config\|--settings-file' "$FAKE_AMP_DIR/argv.1"
  [ ! -e "$FAKE_AMP_DIR/mcp-config.1" ] && [ ! -e "$FAKE_AMP_DIR/settings.1" ]
}
