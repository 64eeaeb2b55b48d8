#!/usr/bin/env bats
# serve_diff.bats — the session diff (sa-events(7) SESSION DIFF) through
# sa-serve with the mock agent, the session directory a git repository of
# the user's: GET /v1/sessions/{id}/diff (unified) and ?format=files before
# and after files change, each turn.ended preceded by a session.diff item
# with that turn's files, and the user's repository untouched (git status
# and every file under .git the same).  The changes are made by the test
# between turns (the mock does not write files); diff_claude.bats has a
# real agent writing them.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() {
  T=$BATS_TEST_TMPDIR
  R=$T/repo
  mkdir -p "$R"
  git -C "$R" init -q
  printf 'one\ntwo\n' > "$R/keep.txt"
  echo old > "$R/old.txt"
  echo '*.log' > "$R/.gitignore"
  git -C "$R" add -A
  git -C "$R" -c user.email=t@example.com -c user.name=t commit -qm init
  echo 'not yet committed' > "$R/wip.txt"       # the user's own uncommitted work
}

teardown() { serve_teardown; }

repo_state() { (cd "$R" && find .git -type f | LC_ALL=C sort | xargs sha256sum && git --no-optional-locks status --porcelain=v1); }

change_files() {
  echo new > "$R/new.txt"
  printf 'one\n2\nthree\n' > "$R/keep.txt"
  rm "$R/old.txt"
  echo noise > "$R/x.log"
}

start() {
  serve_start --no-token
  api POST /v1/sessions/d1 "{\"agent\":\"mock\",\"directory\":\"$R\"}"
  [ "$code" = 200 ] || { echo "$code $body"; false; }
  # the base snapshot is the session's sa-normalize's, taken as it starts
  local i=0
  until api GET '/v1/sessions/d1/diff?format=files' && [ "$code" = 200 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || { echo "no base snapshot: $code $body"; false; }; sleep 0.05
  done
}

turn() {
  api POST /v1/sessions/d1/messages '{"message":"echo hi"}'
  wait_event d1 '.type == "turn.ended"' 400
}

FILES='[{"path":"keep.txt","action":"modified","additions":2,"deletions":1},{"path":"new.txt","action":"added","additions":1,"deletions":0},{"path":"old.txt","action":"deleted","additions":0,"deletions":1}]'

@test "diff: before anything changed, ?format=files is an empty list" {
  start
  api GET '/v1/sessions/d1/diff?format=files'
  [ "$code" = 200 ] && [ "$(jq -c . <<<"$body")" = '{"files":[],"truncated":false}' ]
}

@test "diff: ?format=files lists what changed since the session started (ignored files left out)" {
  start
  change_files
  api GET '/v1/sessions/d1/diff?format=files'
  [ "$code" = 200 ] && [ "$(jq -c .files <<<"$body")" = "$FILES" ]
}

@test "diff: the unified diff shows each change" {
  start
  change_files
  api GET /v1/sessions/d1/diff
  [ "$code" = 200 ]
  grep -qx -- '+++ b/new.txt' <<<"$body"
  grep -qx -- '-old' <<<"$body"
  grep -qx -- '+three' <<<"$body"
  ! grep -q 'x.log\|wip.txt' <<<"$body"
}

@test "diff: turn.ended is preceded by a session.diff item with that turn's files" {
  start
  change_files
  turn
  events d1 > "$T/ev.jsonl"
  jq -se '[.[] | select(.type == "item.completed" or .type == "turn.ended")] as $e
          | ($e | map(.type) | index("turn.ended")) as $t
          | $e[$t - 1].data.item.content[0].label == "session.diff"' "$T/ev.jsonl"
  [ "$(jq -sc '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "session.diff")][0].data.item.content[1].json.files' "$T/ev.jsonl")" = "$FILES" ]
}

@test "diff: a second turn's session.diff lists only that turn's changes" {
  start
  change_files
  turn
  echo later > "$R/later.txt"
  api POST /v1/sessions/d1/messages '{"message":"echo again"}'
  i=0
  until [ "$(events d1 | jq -s '[.[] | select(.type == "turn.ended")] | length')" -ge 2 ]; do
    i=$((i + 1)); [ "$i" -lt 200 ] || false; sleep 0.05
  done
  [ "$(events d1 | jq -sc '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "session.diff")][1].data.item.content[1].json.files')" = \
    '[{"path":"later.txt","action":"added","additions":1,"deletions":0}]' ]
}

@test "diff: the session.diff item has a file_ref per file with its diff (added is write, else patch)" {
  start
  change_files
  turn
  [ "$(events d1 | jq -sc '[.[] | select(.type == "item.completed" and .data.item.content[0].label? == "session.diff")][0].data.item.content[2:] | map([.path, .action, (.diff | startswith("diff --git"))])')" = \
    '[["keep.txt","patch",true],["new.txt","write",true],["old.txt","patch",true]]' ]
}

@test "diff: a file over 1 MiB is listed with null counts and not diffed" {
  start
  head -c 1200000 /dev/zero | tr '\0' 'a' | fold -w 100 > "$R/big.txt"
  api GET '/v1/sessions/d1/diff?format=files'
  [ "$(jq -c '.files' <<<"$body")" = '[{"path":"big.txt","action":"added","additions":null,"deletions":null}]' ]
  api GET /v1/sessions/d1/diff
  [ "$(grep -c '^+a' <<<"$body")" = 0 ]
}

@test "diff: the user's repository is untouched (git status and .git the same before and after)" {
  before=$(repo_state)
  start
  change_files
  turn
  api GET /v1/sessions/d1/diff
  api GET '/v1/sessions/d1/diff?format=files'
  rm "$R/new.txt" "$R/x.log"; printf 'one\ntwo\n' > "$R/keep.txt"; echo old > "$R/old.txt"
  [ "$(repo_state)" = "$before" ]
}

@test "diff: the snapshots live in sa-serve's state directory, nothing is added to the session directory" {
  before=$(cd "$R" && find . -path ./.git -prune -o -print | LC_ALL=C sort)
  start
  turn
  ls -d "$T"/state/diff-*/git >/dev/null
  [ "$(cd "$R" && find . -path ./.git -prune -o -print | LC_ALL=C sort)" = "$before" ]
}

@test "diff: ?format=bad is a 400 problem" {
  start
  api GET '/v1/sessions/d1/diff?format=bad'
  [ "$code" = 400 ] && [ "$(jq -r .type <<<"$body")" = urn:sandbox-agent:error:invalid_request ]
}

@test "diff: a session directory with more than 20000 files that are not ignored gets no snapshot: /diff is a 502 problem saying so" {
  mkdir -p "$R/many" && (cd "$R/many" && seq 1 20001 | xargs touch)
  serve_start --no-token
  api POST /v1/sessions/d1 "{\"agent\":\"mock\",\"directory\":\"$R\"}"
  [ "$code" = 200 ]
  turn
  api GET /v1/sessions/d1/diff
  [ "$code" = 502 ] && [[ "$(jq -r .detail <<<"$body")" == *"no snapshot"* ]]
  [[ "$(events d1 | jq -r 'select(.type == "item.completed" and .data.item.content[0].label? == "session.diff") | .data.item.content[0].detail')" == "unavailable: "*"more than 20000 files"* ]]
}

@test "diff: GET /diff of an unknown session is a 404 problem" {
  start
  api GET /v1/sessions/nope/diff
  [ "$code" = 404 ]
}

@test "diff: DELETE /v1/sessions/{id} removes the session's diff snapshots" {
  start
  ls -d "$T"/state/diff-* >/dev/null
  api DELETE /v1/sessions/d1
  [ "$code" = 204 ]
  ! ls -d "$T"/state/diff-* 2>/dev/null
}
