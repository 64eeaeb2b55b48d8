#!/usr/bin/env bats
# sa-serve's fs endpoints at their limits: request bodies over --max-body
# get 413 payload_too_large and write nothing; one at the limit is fine.
# Then the same escape checks with openat2 disabled (SA_FS_NO_OPENAT2=1),
# where the component walk refuses every symlink.

bats_require_minimum_version 1.5.0
load serve_fs_helpers

setup_file() {
  T=$BATS_FILE_TMPDIR/a
  F=$BATS_FILE_TMPDIR/b
  export T F
  mkdir -p "$T" "$F"
  fs_tree "$T"
  fs_tree "$F"
  fs_start "$T" --max-body 65536
  URL_A=$FS_URL
  SA_FS_NO_OPENAT2=1 fs_start "$F"
  URL_B=$FS_URL
  export URL_A URL_B
}

teardown_file() {
  fs_stop "$T"
  fs_stop "$F"
}

@test "bodies over --max-body get 413 payload_too_large and write nothing" {
  FS_URL=$URL_A
  head -c 70000 /dev/zero >"$BATS_TEST_TMPDIR/big"
  call PUT '/v1/fs/file?path=big.bin' --data-binary "@$BATS_TEST_TMPDIR/big"
  expect 413 payload_too_large
  [ ! -e "$T/root/big.bin" ]
  call POST '/v1/fs/upload-batch' -H 'Content-Type: application/x-tar' --data-binary "@$BATS_TEST_TMPDIR/big"
  [ "$code" = 413 ]
  call POST '/v1/fs/move' -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/big"
  [ "$code" = 413 ]
  head -c 65536 /dev/zero >"$BATS_TEST_TMPDIR/fits"
  call PUT '/v1/fs/file?path=fits.bin' --data-binary "@$BATS_TEST_TMPDIR/fits"
  expect 200
  [ "$(stat -c %s "$T/root/fits.bin")" = 65536 ]
}

@test "without openat2: escapes refused, plain paths work, and every symlink is refused" {
  FS_URL=$URL_B
  call PUT '/v1/fs/file?path=w/a.txt' --data-binary 'hello'
  expect 200
  call GET '/v1/fs/file?path=w/a.txt'
  [ "$body" = hello ]
  for p in '../outside/secret' "$F/outside/secret" 'to_secret' 'to_out/secret' 'to_etc/passwd'; do
    denied GET "/v1/fs/file?path=$p"
    denied GET "/v1/fs/stat?path=$p"
    denied PUT "/v1/fs/file?path=$p" --data-binary x
  done
  denied POST '/v1/fs/mkdir?path=to_out/x'
  denied DELETE '/v1/fs/entry?path=to_out/secret'
  denied GET '/v1/fs/entries?path=to_etc'
  # a symlink that stays inside is refused too in this mode
  denied GET '/v1/fs/file?path=to_d/inside.txt'
  [[ "$(jq -r .detail <<<"$body")" == *openat2* ]]
  [ "$(cat "$F/outside/secret")" = secret ]
  [ ! -e "$F/outside/x" ]
}
