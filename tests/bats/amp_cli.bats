#!/usr/bin/env bats
# amp_cli.bats — the pinned Amp CLI itself, offline: what can be checked of
# it without an ampcode.com account.  Its --help still lists the options
# sa-spawn passes, it accepts --dangerously-allow-all, and the two ways a
# run fails here (no key: a login prompt; a key but no server) come
# through sa-spawn | sa-normalize as the fixtures say (tests/fixtures/amp/
# nokey.jsonl, README fact 12).  amp is pointed at a closed port on
# 127.0.0.1 (AMP_URL and every proxy variable), with a private HOME, so
# nothing leaves the machine.  Runs with a real account are amp_live.bats.

bats_require_minimum_version 1.5.0
load "$SA_TOP/tests/agents/amp_env.sh"

setup_file() { amp_install; }

setup() {
  amp_install
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home"
  cd "$BATS_TEST_TMPDIR"
}

with_timeout() { local s=$1; shift; timeout -k 5 "$s" "$@"; }

# pipeline [sa-spawn args...] — one message through sa-spawn and sa-normalize
# with the real amp; events in ev.jsonl, sa-spawn's lines in spawn.jsonl
pipeline() {
  printf '%s\n' '{"type":"message","message":"Say hi."}' |
    with_timeout 60 sa-spawn --agent amp --agent-bin "$SA_AMP_BIN" "$@" | tee spawn.jsonl |
    sa-normalize --agent amp --session s1 > ev.jsonl
}

count() { jq -s "[.[] | select($1)] | length" ev.jsonl; }

@test "amp CLI: install.sh prints the pinned executable, and --version names the pinned version" {
  run "$SA_TOP/tests/agents/install.sh" amp
  [ "$status" -eq 0 ] && [ "$output" = "$SA_AMP_BIN" ]
  run with_timeout 30 "$SA_AMP_BIN" --version </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == "${SA_AMP_VERSION:-0.0.1790142911-g7618fb}"* ]]
}

@test "amp CLI: --help lists every option sa-spawn passes" {
  run with_timeout 30 "$SA_AMP_BIN" --help </dev/null
  [ "$status" -eq 0 ]
  for o in '-x, --execute' '--stream-json' '--stream-json-input' '--no-ide' '--no-archive-after-execute' \
           '-m, --mode' 'amp.dangerouslyAllowAll'; do
    grep -qF -- "$o" <<<"$output" || { echo "missing: $o"; false; }
  done
}

@test "amp CLI: threads continue --help takes a thread id" {
  run with_timeout 30 "$SA_AMP_BIN" threads continue --help </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"Usage: amp threads continue [options] [threads...]"* ]]
}

# run_x OPTION — amp --execute --stream-json --stream-json-input OPTION with a
# fake key and no server, a message on stdin; its stderr in $output
run_x() {
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home" sgamp_not_a_real_key
  run --separate-stderr with_timeout 30 "$SA_AMP_BIN" --execute --stream-json --stream-json-input "$1" \
    <<<'{"type":"user","message":{"role":"user","content":[{"type":"text","text":"hi"}]}}'
  output=$stderr
}

@test "amp CLI: an unknown option is refused (error: unknown option)" {
  run_x --no-such-option-for-sa
  [ "$status" -eq 1 ]
  [[ "$output" == *"unknown option"* ]]
}

@test "amp CLI: --dangerously-allow-all is accepted although --help does not list it" {
  run_x --dangerously-allow-all
  [ "$status" -eq 1 ]
  [[ "$output" != *"unknown option"* ]]
  [[ "$output" == *"Amp server"* ]]
}

@test "amp CLI: with a key but no server, amp exits 1 with a message on stderr and nothing on stdout" {
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home" sgamp_not_a_real_key
  pipeline --permission-mode bypass
  [ "$(grep -vc '^{"sa"' spawn.jsonl)" -eq 0 ]
  jq -se '[.[] | select(.sa == "exited")][0] | .code == 1 and (.stderr.head | test("Amp server"))' spawn.jsonl
}

@test "amp CLI: with a key but no server, the events are one process_exit error and session.ended" {
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home" sgamp_not_a_real_key
  pipeline
  [ "$(count '.type == "error" and .data.code == "process_exit"')" -eq 1 ]
  [ "$(count '.type == "session.ended" and .data.reason == "error"')" -eq 1 ]
  [ "$(count '.type == "agent.unparsed"')" -eq 0 ]
  sa-events-check --no-envelope-ids --key-order --session s1 < ev.jsonl
}

@test "amp CLI: without a key, amp's login prompt becomes agent.unparsed lines, then process_exit (as nokey.jsonl)" {
  want=$(sa-normalize --agent amp --session s1 < "$SA_TOP/tests/fixtures/amp/nokey.jsonl" |
         jq -s '[.[] | select(.type == "agent.unparsed")] | length')
  pipeline
  [ "$(count '.type == "agent.unparsed"')" -eq "$want" ]
  [ "$(count '.type == "error" and .data.code == "process_exit"')" -eq 1 ]
  jq -eR 'fromjson? | select(.sa? == "exited") | .stderr.head | test("Login failed")' spawn.jsonl
}

@test "amp CLI: --help lists --mcp-config and --settings-file (sa's per-run MCP)" {
  run with_timeout 30 "$SA_AMP_BIN" --help </dev/null
  [ "$status" -eq 0 ]
  grep -qF -- '--mcp-config <value>' <<<"$output" && grep -qF -- '--settings-file <value>' <<<"$output"
}

@test "amp CLI: the pinned CLI checks --mcp-config before contacting its server (a server with cwd is refused)" {
  printf '{"s":{"command":"x","cwd":"/"}}' > bad.json
  run_x --mcp-config=bad.json
  [ "$status" -eq 1 ]
  [[ "$output" == *'Invalid MCP server configuration: s: Unrecognized key: "cwd"'* ]]
}

# sa's MCP form with every member sa-serve writes (amp's form leaves some out)
sa_mcp() {
  printf '{"strict":%s,"servers":{"loc":{"type":"local","command":"python3","args":["s.py"],"env":{"K":"v"},"cwd":"/tmp","enabled":true,"timeoutMs":5000},"rem":{"type":"remote","url":"http://127.0.0.1:9/mcp","headers":{"X":"y"},"bearerTokenEnvVar":"TOK","envHeaders":{"X-E":"TOK"},"transport":"sse","enabled":true,"timeoutMs":null}}}' "$1" > mcp.json
}

@test "amp CLI: the --mcp-config sa-spawn writes passes the pinned CLI's check (it gets as far as the server)" {
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home" sgamp_not_a_real_key
  sa_mcp false
  TOK=t pipeline --mcp "$PWD/mcp.json"
  jq -se '[.[] | select(.sa == "spawned")][0].argv | index("--mcp-config") != null' spawn.jsonl
  jq -se '[.[] | select(.sa == "exited")][0] | .code == 1 and (.stderr.head | test("Amp server")) and (.stderr.head | test("Invalid") | not)' spawn.jsonl
}

@test "amp CLI: the strict settings file sa-spawn writes is read without complaint (it gets as far as the server)" {
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home" sgamp_not_a_real_key
  sa_mcp true
  TOK=t pipeline --mcp "$PWD/mcp.json"
  jq -se '[.[] | select(.sa == "spawned")][0].argv | index("--settings-file") != null' spawn.jsonl
  jq -se '[.[] | select(.sa == "exited")][0] | .code == 1 and (.stderr.head | test("Amp server"))' spawn.jsonl
}

@test "amp CLI: a run with --mcp leaves the user's settings file unchanged" {
  sa_amp_offline_env "$BATS_TEST_TMPDIR/home" sgamp_not_a_real_key
  sa_mcp false
  before=$(sha256sum < "$HOME/.config/amp/settings.json")
  TOK=t pipeline --mcp "$PWD/mcp.json"
  sa_mcp true
  TOK=t pipeline --mcp "$PWD/mcp.json"
  [ "$(sha256sum < "$HOME/.config/amp/settings.json")" = "$before" ]
}
