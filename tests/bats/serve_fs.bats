#!/usr/bin/env bats
# The /v1/fs endpoints of the real sa-serve over HTTP: every endpoint's
# shape, and every way out of --fs-root refused (.., absolute paths outside,
# a symlink to /etc, a symlinked directory in the middle, tar entries that
# escape or are links) for reads, writes, moves, deletes, stat, entries,
# mkdir and upload-batch; bodies over --max-body get 413.

bats_require_minimum_version 1.5.0
load serve_fs_helpers

setup_file() {
  T=$BATS_FILE_TMPDIR
  export T
  fs_tree "$T"
  fs_start "$T" --max-body 2000000
}

teardown_file() {
  fs_stop "$T"
}

# the outside tree must never change
outside_intact() {
  [ "$(cat "$T/outside/secret")" = secret ]
  [ "$(ls -A "$T/outside" | tr '\n' ' ')" = "secret sub " ]
  [ -z "$(ls -A "$T/outside/sub")" ]
}

@test "PUT then GET, stat and entries of a file" {
  call PUT '/v1/fs/file?path=w/a.txt' --data-binary 'hello'
  expect 200
  [ "$(jq -r .path <<<"$body")" = "$T/root/w/a.txt" ]
  [ "$(jq -r .bytesWritten <<<"$body")" = 5 ]
  [ "$(cat "$T/root/w/a.txt")" = hello ]
  call GET '/v1/fs/file?path=w/a.txt'
  expect 200
  [ "$body" = hello ]
  call GET "/v1/fs/stat?path=$T/root/w/a.txt"
  expect 200
  [ "$(jq -c '[.path,.entryType,.size]' <<<"$body")" = "[\"$T/root/w/a.txt\",\"file\",5]" ]
  [[ "$(jq -r .modified <<<"$body")" == 20*T*+00:00 ]]
  call GET '/v1/fs/entries?path=w'
  expect 200
  [ "$(jq -c 'map([.name,.path,.entryType,.size])' <<<"$body")" = "[[\"a.txt\",\"$T/root/w/a.txt\",\"file\",5]]" ]
  call GET '/v1/fs/entries'
  expect 200
  [ "$(jq -r 'map(.name)|join(",")' <<<"$body")" = "d,to_d,to_etc,to_out,to_secret,w" ]
  # symlinks are listed as what they are (not followed): to_etc is not a directory
  [ "$(jq -r '.[]|select(.name=="to_etc").entryType' <<<"$body")" = file ]
}

@test "missing paths and wrong kinds: 400 invalid_request as v0.1.11" {
  call GET '/v1/fs/file?path=nope.txt'
  expect 400 invalid_request
  [ "$(jq -r .detail <<<"$body")" = "invalid request: path not found: $T/root/nope.txt" ]
  call GET '/v1/fs/stat?path=nope'
  expect 400 invalid_request
  call GET '/v1/fs/entries?path=d/inside.txt'
  expect 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"not a directory"* ]]
  call GET '/v1/fs/file?path=d'
  expect 400 invalid_request
  call DELETE '/v1/fs/entry'
  expect 400 invalid_request
  [ "$(curl -s -o /dev/null -w '%{content_type}' "$FS_URL/v1/fs/file?path=nope")" = application/json ]
}

@test "mkdir, move with and without overwrite, delete (recursive)" {
  call POST '/v1/fs/mkdir?path=m/n/o'
  expect 200
  [ "$(jq -r .path <<<"$body")" = "$T/root/m/n/o" ]
  [ -d "$T/root/m/n/o" ]
  echo one >"$T/root/m/one"
  call POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"m/one","to":"m2/deep/two"}'
  expect 200
  [ "$(jq -c . <<<"$body")" = "{\"from\":\"$T/root/m/one\",\"to\":\"$T/root/m2/deep/two\"}" ]
  [ -f "$T/root/m2/deep/two" ] && [ ! -e "$T/root/m/one" ]
  echo three >"$T/root/m/three"
  call POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"m/three","to":"m2/deep/two"}'
  expect 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"destination already exists"* ]]
  [ "$(cat "$T/root/m2/deep/two")" = one ]
  call POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"m/three","to":"m2/deep/two","overwrite":true}'
  expect 200
  [ "$(cat "$T/root/m2/deep/two")" = three ]
  call POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"to":"x"}'
  expect 400 invalid_request
  call DELETE '/v1/fs/entry?path=m2'
  expect 502 stream_error
  [ -d "$T/root/m2" ]
  call DELETE '/v1/fs/entry?path=m2&recursive=true'
  expect 200
  [ "$(jq -r .path <<<"$body")" = "$T/root/m2" ]
  [ ! -e "$T/root/m2" ]
  call DELETE '/v1/fs/entry?path=m/n/o'
  expect 200
  [ ! -e "$T/root/m/n/o" ]
  call DELETE '/v1/fs/entry?path=.&recursive=true'
  expect 403 permission_denied
  [ -d "$T/root/d" ]
}

@test "a symlink that stays inside the root is followed" {
  call GET '/v1/fs/file?path=to_d/inside.txt'
  expect 200
  [ "$body" = inside ]
  call PUT '/v1/fs/file?path=to_d/new.txt' --data-binary 'n'
  expect 200
  [ -f "$T/root/d/new.txt" ]
}

@test "reads that leave the root are refused: .., absolute, symlinks (end and middle)" {
  for p in '../outside/secret' "$T/outside/secret" '/etc/passwd' 'to_secret' 'to_out/secret' \
           'to_etc/passwd' 'd/../../outside/secret' "$T/root/../outside/secret"; do
    denied GET "/v1/fs/file?path=$p"
    [[ "$(jq -r .detail <<<"$body")" == "permission denied: "* ]]
    [ -n "$(jq -r .details.message <<<"$body")" ]
    denied GET "/v1/fs/stat?path=$p"
  done
  for p in '..' '/' '/etc' 'to_etc' 'to_out' 'to_out/sub' "$T/outside"; do
    denied GET "/v1/fs/entries?path=$p"
  done
  [[ "$body" != *secret* ]]
}

@test "writes, mkdir, moves and deletes that leave the root are refused" {
  for p in '../outside/new' "$T/outside/new" 'to_out/new' 'to_out/sub/new' 'to_secret' 'to_etc/sa-test'; do
    denied PUT "/v1/fs/file?path=$p" --data-binary 'pwned'
  done
  for p in '../outside/dir' 'to_out/dir' 'to_out/sub/x/y' "$T/outside/dir"; do
    denied POST "/v1/fs/mkdir?path=$p"
  done
  for p in 'to_out/secret' '../outside/secret' "$T/outside" 'to_out/sub'; do
    denied DELETE "/v1/fs/entry?path=$p&recursive=true"
  done
  denied POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"to_out/secret","to":"stolen"}'
  denied POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"../outside/secret","to":"stolen"}'
  denied POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"d/inside.txt","to":"../outside/planted"}'
  denied POST '/v1/fs/move' -H 'Content-Type: application/json' -d '{"from":"d/inside.txt","to":"to_out/planted"}'
  denied POST '/v1/fs/move' -H 'Content-Type: application/json' -d "{\"from\":\"d/inside.txt\",\"to\":\"$T/outside/planted\"}"
  [ ! -e "$T/root/stolen" ]
  [ -f "$T/root/d/inside.txt" ]
  outside_intact
}

@test "upload-batch extracts a real tar and lists the paths" {
  src=$BATS_TEST_TMPDIR/src
  mkdir -p "$src/pkg/sub"
  echo a >"$src/pkg/a.txt"
  echo b >"$src/pkg/sub/b.txt"
  tar -C "$src" -cf "$BATS_TEST_TMPDIR/a.tar" pkg
  call POST '/v1/fs/upload-batch?path=up' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/a.tar"
  expect 200
  [ "$(jq -r .truncated <<<"$body")" = false ]
  [ "$(jq -r '.paths|sort|join(",")' <<<"$body")" = \
    "$T/root/up/pkg,$T/root/up/pkg/a.txt,$T/root/up/pkg/sub,$T/root/up/pkg/sub/b.txt" ]
  [ "$(cat "$T/root/up/pkg/sub/b.txt")" = b ]
  # plain tar only
  call POST '/v1/fs/upload-batch?path=up' -H 'Content-Type: application/octet-stream' \
    --data-binary "@$BATS_TEST_TMPDIR/a.tar"
  expect 400 invalid_request
  # a truncated archive
  head -c 700 "$BATS_TEST_TMPDIR/a.tar" >"$BATS_TEST_TMPDIR/cut.tar"
  call POST '/v1/fs/upload-batch?path=cut' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/cut.tar"
  expect 400 invalid_request
  [ ! -e "$T/root/cut" ]
}

@test "upload-batch caps the path list at 1024 and says truncated" {
  src=$BATS_TEST_TMPDIR/many
  mkdir -p "$src"
  (cd "$src" && for i in $(seq 1 1030); do : >"f$i"; done)
  tar -C "$src" -cf "$BATS_TEST_TMPDIR/many.tar" .
  call POST '/v1/fs/upload-batch?path=many' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/many.tar"
  expect 200
  [ "$(jq -r .truncated <<<"$body")" = true ]
  [ "$(jq -r '.paths|length' <<<"$body")" = 1024 ]
  [ "$(ls "$T/root/many" | wc -l)" = 1030 ]
}

@test "upload-batch refuses escaping names and link entries before writing anything" {
  src=$BATS_TEST_TMPDIR/evil
  mkdir -p "$src/x"
  echo ok >"$src/x/ok.txt"
  ln -s /etc/passwd "$src/x/link"
  ln "$src/x/ok.txt" "$src/x/hard"
  # symlink entry
  tar -C "$src" -cf "$BATS_TEST_TMPDIR/sym.tar" x/ok.txt x/link
  denied POST '/v1/fs/upload-batch?path=t1' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/sym.tar"
  [[ "$(jq -r .detail <<<"$body")" == *symlink* ]]
  [ ! -e "$T/root/t1" ]
  # hard link entry
  tar -C "$src" -cf "$BATS_TEST_TMPDIR/hard.tar" x/ok.txt x/hard
  denied POST '/v1/fs/upload-batch?path=t2' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/hard.tar"
  [ ! -e "$T/root/t2" ]
  # ../ name
  tar -P -C "$src/x" -cf "$BATS_TEST_TMPDIR/dots.tar" ok.txt ../x/ok.txt
  tar -tf "$BATS_TEST_TMPDIR/dots.tar" | grep -q '^\.\./'
  denied POST '/v1/fs/upload-batch?path=t3' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/dots.tar"
  [ ! -e "$T/root/t3" ] && [ ! -e "$T/root/x" ]
  # absolute name
  tar -P -cf "$BATS_TEST_TMPDIR/abs.tar" "$src/x/ok.txt"
  denied POST '/v1/fs/upload-batch?path=t4' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/abs.tar"
  [ ! -e "$T/root/t4" ]
  # a regular entry written through an existing symlink that leads outside
  mkdir -p "$BATS_TEST_TMPDIR/thru/to_out"
  echo x >"$BATS_TEST_TMPDIR/thru/to_out/planted"
  tar -C "$BATS_TEST_TMPDIR/thru" -cf "$BATS_TEST_TMPDIR/thru.tar" to_out/planted
  denied POST '/v1/fs/upload-batch' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/thru.tar"
  # a target directory outside
  denied POST '/v1/fs/upload-batch?path=to_out' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/hard.tar"
  denied POST '/v1/fs/upload-batch?path=..' -H 'Content-Type: application/x-tar' \
    --data-binary "@$BATS_TEST_TMPDIR/hard.tar"
  outside_intact
}

@test "sessionId: unknown is 404 session_not_found" {
  call GET '/v1/fs/entries?sessionId=no-such-session'
  expect 404 session_not_found
  [ "$(jq -r .sessionId <<<"$body")" = no-such-session ]
  [ "$(jq -r .detail <<<"$body")" = "session not found: no-such-session" ]
}

@test "sessionId: relative paths resolve in the session directory, confined to the root" {
  mkdir -p "$T/root/sess"
  call POST '/v1/sessions/fs-in' -H 'Content-Type: application/json' \
    -d "{\"agent\":\"mock\",\"directory\":\"$T/root/sess\"}"
  expect 200
  call POST '/v1/sessions/fs-out' -H 'Content-Type: application/json' \
    -d "{\"agent\":\"mock\",\"directory\":\"$T/outside\"}"
  expect 200
  call PUT '/v1/fs/file?path=note.txt&sessionId=fs-in' --data-binary 'in session'
  expect 200
  [ "$(jq -r .path <<<"$body")" = "$T/root/sess/note.txt" ]
  call GET '/v1/fs/file?path=note.txt&session_id=fs-in'
  expect 200
  [ "$body" = 'in session' ]
  call GET '/v1/fs/file?path=../d/inside.txt&sessionId=fs-in'
  expect 200
  denied GET '/v1/fs/file?path=../../outside/secret&sessionId=fs-in'
  denied GET '/v1/fs/entries?sessionId=fs-out'
  [[ "$(jq -r .detail <<<"$body")" == *"outside the fs root"* ]]
  denied PUT '/v1/fs/file?path=x&sessionId=fs-out' --data-binary x
  call POST '/v1/sessions/fs-in/terminate'
  expect 204
  call POST '/v1/sessions/fs-out/terminate'
  expect 204
  outside_intact
}

@test "unknown fs routes are 404, wrong methods 405" {
  call GET '/v1/fs/nothing'
  [ "$code" = 404 ]
  call POST '/v1/fs/stat?path=d'
  [ "$code" = 405 ]
}

@test "GET /v1/openapi.json is a valid OpenAPI 3.0 document listing the fs endpoints" {
  call GET '/v1/openapi.json'
  expect 200
  [ "$(jq -r .openapi <<<"$body")" = 3.0.3 ]
  for p in entries file entry mkdir move stat upload-batch; do
    jq -e --arg p "/v1/fs/$p" '.paths[$p]' <<<"$body" >/dev/null
  done
  if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
    printf '%s' "$body" | python3 -c 'import sys,json; from openapi_spec_validator import validate; validate(json.load(sys.stdin))'
  fi
}
