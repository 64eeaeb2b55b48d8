#!/usr/bin/env bats
# The store and the state directory are never reachable through /v1/fs,
# whatever --fs-root is: here the database and the state directory lie
# inside the fs root, and every way to them is refused with 403; the rest of
# the root is served as usual.  --fs-root's default is the current
# directory.  `make serve` takes HOST and PORT and serves a scratch
# directory, not the checkout.

bats_require_minimum_version 1.5.0
load serve_fs_helpers

setup() {
  W=$BATS_TEST_TMPDIR/w
  mkdir -p "$W/root/data" "$W/root/work"
  echo hello > "$W/root/work/note.txt"
  sa-serve --port 0 --no-token --db "$W/root/data/sa.db" --state-dir "$W/root/state" --fs-root "$W/root" \
    >"$W/serve.out" 2>"$W/serve.err" 3>&- &
  FS_PID=$!
  echo "$FS_PID" >"$W/serve.pid"
  serve_wait_listening "$FS_PID" "$W/serve.out" "$W/serve.err"
  FS_URL=$URL
}
teardown() { fs_stop "$W"; }

denied() {
  [ "$code" = 403 ] || { echo "status $code: $body"; return 1; }
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:permission_denied" ]
  [[ "$(jq -r .detail <<<"$body")" == *"sa-serve's own files"* ]]
}

@test "reading the database through /v1/fs/file is refused with 403" {
  call GET '/v1/fs/file?path=data/sa.db'
  denied
}

@test "writing over the database is refused with 403 and leaves it intact" {
  call PUT '/v1/fs/file?path=data/sa.db' --data-binary junk
  denied
  [ "$(sqlite3 "$W/root/data/sa.db" 'PRAGMA user_version')" -ge 1 ]
}

@test "the database's -wal file is refused too" {
  call GET '/v1/fs/stat?path=data/sa.db-wal'
  denied
}

@test "deleting the directory that holds the database is refused with 403" {
  call DELETE '/v1/fs/entry?path=data&recursive=true'
  denied
  [ -f "$W/root/data/sa.db" ]
}

@test "moving the database away is refused with 403" {
  call POST /v1/fs/move -H 'Content-Type: application/json' -d '{"from":"data/sa.db","to":"work/x.db"}'
  denied
  [ -f "$W/root/data/sa.db" ]
}

@test "a symlink inside the root that points at the database is refused" {
  ln -s ../data/sa.db "$W/root/work/link.db"
  call GET '/v1/fs/file?path=work/link.db'
  denied
}

@test "the state directory cannot be listed, nor written into" {
  call GET '/v1/fs/entries?path=state'
  denied
  call PUT '/v1/fs/file?path=state/x' --data-binary x
  denied
  [ ! -e "$W/root/state/x" ]
}

@test "an upload-batch that writes into the state directory is refused before anything is written" {
  mkdir -p "$BATS_TEST_TMPDIR/tar/state"
  echo a > "$BATS_TEST_TMPDIR/tar/ok.txt"
  echo b > "$BATS_TEST_TMPDIR/tar/state/evil"
  tar -C "$BATS_TEST_TMPDIR/tar" -cf "$BATS_TEST_TMPDIR/t.tar" ok.txt state/evil
  call POST '/v1/fs/upload-batch?path=.' -H 'Content-Type: application/x-tar' --data-binary @"$BATS_TEST_TMPDIR/t.tar"
  denied
  [ ! -e "$W/root/ok.txt" ] && [ ! -e "$W/root/state/evil" ]
}

@test "the rest of the fs root is served as usual" {
  call GET '/v1/fs/file?path=work/note.txt'
  [ "$code" = 200 ] && [ "$body" = hello ]
  call GET '/v1/fs/entries?path=data'
  [ "$code" = 200 ]
}

@test "--fs-root defaults to the current directory at start" {
  d=$BATS_TEST_TMPDIR/cwd
  mkdir -p "$d"
  echo here > "$d/here.txt"
  (cd "$d" && exec sa-serve --port 0 --no-token --db "$BATS_TEST_TMPDIR/other.db" \
     --state-dir "$BATS_TEST_TMPDIR/st2" >"$BATS_TEST_TMPDIR/s2.out" 2>"$BATS_TEST_TMPDIR/s2.err" 3>&-) &
  pid=$!
  serve_wait_listening "$pid" "$BATS_TEST_TMPDIR/s2.out" "$BATS_TEST_TMPDIR/s2.err"
  out=$(curl -s "$URL/v1/fs/file?path=here.txt")
  serve_stop "$pid"
  [ "$out" = here ]
}

@test "make serve takes HOST= and PORT=" {
  run make -s -n -C "$SA_TOP" serve HOST=127.0.0.9 PORT=2999
  [ "$status" -eq 0 ]
  [[ "$output" == *"sa-serve --host 127.0.0.9 --port 2999 --no-token"* ]]
}

@test "make serve ignores a HOST and PORT from the environment" {
  HOST=203.0.113.7 PORT=1 run make -s -n -C "$SA_TOP" serve
  [ "$status" -eq 0 ]
  [[ "$output" == *"sa-serve --host 127.0.0.1 --port 2468 --no-token"* ]]
}

@test "make serve serves a scratch directory under the state dir, not the checkout" {
  run make -s -n -C "$SA_TOP" serve
  [ "$status" -eq 0 ]
  [[ "$output" == *'--fs-root "${XDG_STATE_HOME:-$HOME/.local/state}/sa/work"'* ]]
}

@test "make serve on a non-loopback HOST does not pass --no-token" {
  run make -s -n -C "$SA_TOP" serve HOST=0.0.0.0
  [ "$status" -eq 0 ]
  [[ "$output" == *"sa-serve --host 0.0.0.0 --port 2468"* ]]
  [[ "$output" != *"--no-token"* ]]
}
