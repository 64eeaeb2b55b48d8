#!/usr/bin/env bats
# claude_live.bats - the real Claude Code CLI (pinned, installed by
# tests/agents/install.sh into a cache outside the repository) runs offline
# against tests/fakellm/fakellm.py: the installer, the offline environment,
# one-shot stream-json, and the stdin control protocol flows recorded by
# tests/agents/record_claude.py (permission allow/deny, AskUserQuestion
# answered/rejected).  No sa stage is involved here; claude_e2e.bats runs
# the same agent through the pipeline.

load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  claude_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() {
  fakellm_stop
}

setup() {
  claude_install
}

@test "claude: install.sh is idempotent and prints the pinned executable" {
  run "$SA_TOP/tests/agents/install.sh" claude
  [ "$status" -eq 0 ]
  [ "$output" = "$SA_CLAUDE_BIN" ]
  [ -x "$output" ]
  run with_timeout 60 "$SA_CLAUDE_BIN" --version
  [ "$status" -eq 0 ]
  [[ "$output" == *"${SA_CLAUDE_VERSION:-2.1.197}"* ]]
  run "$SA_TOP/tests/agents/install.sh"
  [ "$status" -eq 2 ]
  run "$SA_TOP/tests/agents/install.sh" nosuchagent
  [ "$status" -eq 2 ]
}

@test "claude: one-shot stream-json runs a tool through the fake model, nothing leaves 127.0.0.1" {
  work="$BATS_TEST_TMPDIR/work"; mkdir -p "$work"; cd "$work"
  : >"$BATS_FILE_TMPDIR/fake/fakellm.log"
  run with_timeout 60 bash -c '
    . "$1"; sa_claude_env "$2" "$3"
    exec "$4" -p --output-format stream-json --verbose --model claude-sonnet-4-5 "Please RUN: echo live-$$"' \
    _ "$SA_TOP/tests/agents/claude_env.sh" "$FAKELLM_PORT" "$BATS_TEST_TMPDIR/home" "$SA_CLAUDE_BIN"
  [ "$status" -eq 0 ]
  out=$(printf '%s\n' "$output" | grep '^{')
  printf '%s\n' "$out" | jq -se 'map(select(.type == "result"))[0] | .is_error == false and (.result | startswith("Done. The command ran and printed: live-"))'
  printf '%s\n' "$out" | jq -se 'map(select(.type == "user"))[0].message.content[0] | .type == "tool_result" and .is_error == false'
  log="$BATS_FILE_TMPDIR/fake/fakellm.log"
  [ "$(jq -s 'map(select(.path | startswith("/v1/messages"))) | length' "$log")" -ge 2 ]
  [ "$(jq -s 'map(select(.decision == "proxy-blocked")) | length' "$log")" -eq 0 ]
}

@test "claude: control protocol flows (permission allow/deny, question answered/rejected)" {
  out="$BATS_TEST_TMPDIR/rec"
  run with_timeout 240 python3 "$SA_TOP/tests/agents/record_claude.py" \
    --claude "$SA_CLAUDE_BIN" --out "$out" --log "$BATS_TEST_TMPDIR/rec.log"
  echo "$output"
  [ "$status" -eq 0 ]
  tr() { jq -sc "map(select(.type == \"user\"))[0].message.content[0]" "$out/claude-streamjson-$1.jsonl"; }
  # allow: the tool ran
  tr permission-allow | jq -e '.type == "tool_result" and .is_error == false'
  # deny: error result, recorded denial
  tr permission-deny | jq -e '.is_error == true and .content == "Permission denied."'
  jq -se 'map(select(.type == "result"))[0].permission_denials | length == 1' "$out/claude-streamjson-permission-deny.jsonl"
  # question answered: claude reports the answer to the model
  tr question | jq -e '(.content | test("Which color\\?\"=\"Blue\"")) and (.is_error | not)'
  jq -se 'map(select(.type == "control_request"))[0].request | .tool_name == "AskUserQuestion" and (.tool_use_id | startswith("toolu_"))' "$out/claude-streamjson-question.jsonl"
  # question rejected
  tr question-rejected | jq -e '.is_error == true'
  # every line of every transcript is JSON
  for f in "$out"/*.jsonl; do jq -e . "$f" >/dev/null; done
}
