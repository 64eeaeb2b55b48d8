#!/usr/bin/env bats
# normalize_diff.bats — sa-normalize --diff-dir DIR --work-tree W alone: the
# session.diff item before each turn.ended (lib/sa_diff.c, nz_diff.c), its
# limits and its failures, which never stop the stream.  Turn ends come
# from sa-spawn lines of an agent whose turns end there (opencode).

setup() {
  cd "$BATS_TEST_TMPDIR"
  mkdir -p w
  echo a > w/a.txt
}

TURN='{"sa":"turn","turn":1,"message":"x","attachments":[]}'
END='{"sa":"turn_end","turn":1}'

norm() { printf '%s\n' "$TURN" "$END" | sa-normalize --agent opencode --session s1 --diff-dir "$PWD/d" --work-tree "$PWD/w" "$@" > out.jsonl; }
detail() { jq -r 'select(.type == "item.completed" and .data.item.content[0].label == "session.diff") | .data.item.content[0].detail' out.jsonl; }

@test "diff (sa-normalize): the first run takes the base snapshot, so its turn lists nothing" {
  norm
  [ "$(detail)" = "0 files changed, +0 -0" ]
}

@test "diff (sa-normalize): a later run's turn lists the files changed since the previous turn end" {
  norm
  echo b > w/b.txt
  norm
  [ "$(detail)" = "1 files changed, +1 -0" ]
}

@test "diff (sa-normalize): the base stays the session's start across runs (DIR/base is not retaken)" {
  norm
  base=$(cat d/base)
  echo b > w/b.txt
  norm
  [ "$(cat d/base)" = "$base" ] && [ "$(cat d/turn)" != "$base" ]
}

@test "diff (sa-normalize): a tree with more than 20000 files that are not ignored gets an unavailable item, and turn.ended still comes" {
  mkdir -p w/many
  (cd w/many && seq 1 20001 | xargs touch)
  norm
  [[ "$(detail)" == "unavailable: "*"more than 20000 files"* ]]
  [ "$(jq -s '[.[] | select(.type == "turn.ended")] | length' out.jsonl)" = 1 ]
}

@test "diff (sa-normalize): ignored files do not count toward the 20000" {
  mkdir -p w/many
  (cd w/many && seq 1 20001 | xargs touch)
  echo 'many/' > w/.gitignore
  norm
  [ "$(detail)" = "0 files changed, +0 -0" ]
}

@test "diff (sa-normalize): without git, the item says unavailable and the stream goes on" {
  mkdir -p nogit
  ln -s "$(command -v jq)" nogit/jq
  printf '%s\n' "$TURN" "$END" | PATH="$PWD/nogit" "$(command -v sa-normalize)" --agent opencode --session s1 \
    --diff-dir "$PWD/d" --work-tree "$PWD/w" > out.jsonl 2>err
  [[ "$(detail)" == "unavailable: "* ]]
  [ "$(jq -s '[.[] | select(.type == "turn.ended")] | length' out.jsonl)" = 1 ]
}

@test "diff (sa-normalize): --diff-dir without --work-tree is a usage error (exit 2)" {
  run sa-normalize --agent opencode --session s1 --diff-dir "$PWD/d" </dev/null
  [ "$status" -eq 2 ]
}

@test "diff codex (recorded from the real CLI): turn/diff/updated is in sa's session.diff shape (json files, file_ref with the diff)" {
  grep -h '"method":"turn/diff/updated"' "$SA_TOP/tests/fixtures/codex/appserver-filechange.jsonl" | head -1 |
    sa-normalize --agent codex --session s1 > out.jsonl
  [ "$(jq -c 'select(.type == "item.completed") | .data.item.content | [.[1], (.[2] | [.type, .path, .action, (.diff | startswith("diff --git a/notes.txt"))])]' out.jsonl)" = \
    '[{"type":"json","json":{"files":[{"path":"notes.txt","action":"added","additions":3,"deletions":0}],"truncated":false}},["file_ref","notes.txt","write",true]]' ]
}
