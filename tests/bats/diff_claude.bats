#!/usr/bin/env bats
# diff_claude.bats - the session diff with the real Claude Code CLI (2.1.197)
# through sa-serve, offline against tests/fakellm/fakellm.py: the session
# directory is a git repository of the user's; one turn's Bash call
# ("RUN: ...") creates, edits and deletes files.  The turn's session.diff
# item and GET /diff?format=files must show exactly those changes, and the
# user's .git must be untouched.  The session runs once (setup_file); each
# test checks one property of it.

load "$SA_TOP/tests/agents/bats_helpers"

CMD='RUN: printf "made\n" > made.txt && printf "more\n" >> keep.txt && rm gone.txt'
FILES='[{"path":"gone.txt","action":"deleted","additions":0,"deletions":1},{"path":"keep.txt","action":"modified","additions":1,"deletions":0},{"path":"made.txt","action":"added","additions":1,"deletions":0}]'

repo_git() { (cd "$1" && find .git -type f | LC_ALL=C sort | xargs sha256sum); }

setup_file() {
  claude_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
  claude_test_env "$BATS_FILE_TMPDIR/home"
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_setup "$SA_CLAUDE_BIN" claude
  W=$BATS_FILE_TMPDIR/work
  git -C "$W" init -q
  echo keep > "$W/keep.txt"
  echo gone > "$W/gone.txt"
  git -C "$W" add -A
  git -C "$W" -c user.email=t@example.com -c user.name=t commit -qm init
  repo_git "$W" > "$BATS_FILE_TMPDIR/git.before"
  BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR agent_serve_start
  EV=$BATS_FILE_TMPDIR/events.jsonl
  with_timeout 180 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --session df1 \
    --create '{"permissionMode":"bypass"}' --no-terminate --out "$EV" --timeout 150 \
    --message "Change files. $CMD" >"$BATS_FILE_TMPDIR/drive.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/drive.out" >&2; return 1; }
  curl -sS --max-time 30 "http://127.0.0.1:$PORT/v1/sessions/df1/diff?format=files" >"$BATS_FILE_TMPDIR/files.json"
  curl -sS --max-time 30 "http://127.0.0.1:$PORT/v1/sessions/df1/diff" >"$BATS_FILE_TMPDIR/diff.txt"
  agent_serve_stop
  repo_git "$W" > "$BATS_FILE_TMPDIR/git.after"
  git -C "$W" --no-optional-locks status --porcelain=v1 > "$BATS_FILE_TMPDIR/status.after"
  export EV W
}

teardown_file() {
  agent_serve_stop
  fakellm_stop
}

@test "diff claude (real CLI, fake model): the agent's command ran (made.txt exists, gone.txt is gone)" {
  [ -e "$W/made.txt" ] && [ ! -e "$W/gone.txt" ]
}

@test "diff claude (real CLI, fake model): the turn's session.diff item lists exactly the created, edited and deleted files" {
  [ "$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "session.diff")] | map(.data.item.content[1].json.files)' "$EV")" = "[$FILES]" ]
}

@test "diff claude (real CLI, fake model): the session.diff item comes right before turn.ended" {
  jq -se '[.[] | select(.type == "item.completed" or .type == "turn.ended")] as $e
          | ($e | map(.type) | index("turn.ended")) as $t
          | $e[$t - 1].data.item.content[0].label == "session.diff"' "$EV"
}

@test "diff claude (real CLI, fake model): GET /diff?format=files shows the same files" {
  [ "$(jq -c .files "$BATS_FILE_TMPDIR/files.json")" = "$FILES" ]
}

@test "diff claude (real CLI, fake model): GET /diff is the unified diff of those changes" {
  grep -qx -- '+made' "$BATS_FILE_TMPDIR/diff.txt"
  grep -qx -- '+more' "$BATS_FILE_TMPDIR/diff.txt"
  grep -qx -- '-gone' "$BATS_FILE_TMPDIR/diff.txt"
}

@test "diff claude (real CLI, fake model): the user's .git is untouched" {
  diff "$BATS_FILE_TMPDIR/git.before" "$BATS_FILE_TMPDIR/git.after"
}

@test "diff claude (real CLI, fake model): git status shows only the agent's changes" {
  [ "$(cat "$BATS_FILE_TMPDIR/status.after")" = "$(printf ' D gone.txt\n M keep.txt\n?? made.txt')" ]
}

@test "diff claude (real CLI, fake model): the session has no agent.unparsed and passes the schema checker" {
  [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' "$EV")" = 0 ]
  sa-events-check --sequential --session df1 "$EV"
}
