#!/usr/bin/env bats
# sa api fs ...: every /v1/fs command through the sa client against a real
# sa-serve (fs root = the test's directory): output, files on disk, errors.

bats_require_minimum_version 1.5.0
load sa_cli_helpers

setup() { T=$BATS_TEST_TMPDIR; serve_start --no-token; }
teardown() { serve_teardown; }

@test "fs write --content creates parents and prints {path, bytesWritten}" {
  sa_run api fs write w/a/b.txt --content hello
  [ "$status" -eq 0 ]
  [ "$(jq -c '[.path, .bytesWritten]' <<<"$output")" = "[\"$T/w/a/b.txt\",5]" ]
  [ "$(cat "$T/w/a/b.txt")" = hello ]
}

@test "fs write --from-file sends the file's bytes unchanged" {
  head -c 70000 /dev/urandom >"$T/src.bin"
  sa_run api fs write dst.bin --from-file "$T/src.bin"
  [ "$status" -eq 0 ]
  cmp "$T/src.bin" "$T/dst.bin"
}

@test "fs write needs exactly one of --content and --from-file (exit 2); a missing file exits 4" {
  sa_run api fs write x.txt
  [ "$status" -eq 2 ]
  sa_run api fs write x.txt --content a --from-file /etc/hostname
  [ "$status" -eq 2 ]
  sa_run api fs write x.txt --from-file "$T/none"
  [ "$status" -eq 4 ]
}

@test "fs read prints the raw bytes; a missing file exits 1 with the problem" {
  printf 'a\0b\n' >"$T/r.bin"
  sa api fs read r.bin -e "$URL" >"$T/out.bin"
  cmp "$T/r.bin" "$T/out.bin"
  sa_run api fs read nope.txt
  [ "$status" -eq 1 ] && [ -z "$output" ] && [[ "$stderr" == *"HTTP 400: invalid request: path not found"* ]]
}

@test "fs entries --path lists a directory" {
  mkdir -p "$T/d/sub"; echo x >"$T/d/f.txt"
  sa_run api fs entries --path d
  [ "$status" -eq 0 ]
  [ "$(jq -c '[.[] | [.name, .entryType]] | sort' <<<"$output")" = '[["f.txt","file"],["sub","directory"]]' ]
}

@test "fs stat prints entryType and size" {
  printf '12345' >"$T/s.txt"
  sa_run api fs stat s.txt
  [ "$status" -eq 0 ]
  [ "$(jq -c '[.entryType, .size]' <<<"$output")" = '["file",5]' ]
}

@test "fs mkdir makes parents; delete --recursive removes a tree, without it a non-empty dir stays" {
  sa_run api fs mkdir m/n/o
  [ "$status" -eq 0 ] && [ -d "$T/m/n/o" ]
  sa_run api fs delete m
  [ "$status" -ne 0 ] && [ -d "$T/m" ]
  sa_run api fs delete m --recursive
  [ "$status" -eq 0 ] && [ ! -e "$T/m" ]
}

@test "fs move renames; onto an existing file only with --overwrite" {
  echo one >"$T/a.txt"; echo two >"$T/b.txt"
  sa_run api fs move a.txt b.txt
  [ "$status" -eq 1 ] && [[ "$stderr" == *"destination already exists"* ]]
  sa_run api fs move a.txt b.txt --overwrite
  [ "$status" -eq 0 ] && [ "$(cat "$T/b.txt")" = one ] && [ ! -e "$T/a.txt" ]
  [ "$(jq -c '[.from, .to]' <<<"$output" | grep -c b.txt)" = 1 ]
}

@test "fs upload-batch --tar extracts under --path and lists the paths" {
  mkdir -p "$T/src/dir"; echo 1 >"$T/src/dir/one.txt"; echo 2 >"$T/src/two.txt"
  tar -C "$T/src" -cf "$T/up.tar" dir/one.txt two.txt
  sa_run api fs upload-batch --tar "$T/up.tar" --path dest
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(cat "$T/dest/dir/one.txt")" = 1 ] && [ "$(cat "$T/dest/two.txt")" = 2 ]
  [ "$(jq '.paths | length' <<<"$output")" -ge 2 ] && [ "$(jq .truncated <<<"$output")" = false ]
  sa_run api fs upload-batch
  [ "$status" -eq 2 ]
}

@test "fs --session-id resolves relative paths in the session's directory; an unknown session exits 1" {
  sa -e "$URL" api sessions create s1 -a mock >/dev/null
  sa_run api fs write in-session.txt --content x --session-id s1
  [ "$status" -eq 0 ]
  [ -f "$(jq -r .path <<<"$output")" ]
  sa_run api fs stat in-session.txt --session-id nope
  [ "$status" -eq 1 ] && [[ "$stderr" == *"HTTP 404"* ]]
}

@test "fs paths with spaces and query characters are percent-encoded" {
  sa_run api fs write 'sp ace&x=1?.txt' --content ok
  [ "$status" -eq 0 ]
  [ "$(cat "$T/sp ace&x=1?.txt")" = ok ]
}
