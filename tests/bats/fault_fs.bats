#!/usr/bin/env bats
# fault_fs.bats — the store on a file system that fills up or turns
# read-only (issue 12 item 3).  Real file systems, no simulation: a small
# tmpfs filled with a ballast file (space "returns" when the ballast is
# removed), a tmpfs remounted read-only, and an ext4 image on a loop device
# mounted errors=remount-ro whose error trigger (/sys/fs/ext4/DEV/
# trigger_fs_error) makes the kernel turn it read-only under a running
# session.  Properties:
#   - sa-store: a failed commit is "sa-store: store N events: ...: database
#     or disk is full; nothing of this batch was stored", exit 4; what it
#     printed is stored, sequences have no gap, and a later run continues
#     with the next sequence once there is space;
#   - sa-serve: the turn stream ends (no hang), a message while the store
#     takes no writes is a 502 stream_error problem saying why, the events
#     committed before stay served, and once space returns the next message
#     stores an `error` event (code store_failed) and resumes the session;
#   - read-only: sa-store exits 3 and sa-serve 4 with "database is
#     read-only"; a store turned read-only under a session loses nothing.
# Mounting needs root (CAP_SYS_ADMIN); where it is refused each test skips
# and says why.  teardown stops the servers, then unmounts what the test
# mounted (lazily if busy) and detaches its loop device.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; : >"$T/mounts"; }

teardown() {
  serve_teardown || true
  [ -z "${STPID:-}" ] || { kill -9 "$STPID" 2>/dev/null; wait "$STPID" 2>/dev/null; } || true
  local m
  tac "$T/mounts" 2>/dev/null | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

# mount_tmpfs DIR SIZE — a tmpfs of SIZE on DIR (made), or skip saying why
mount_tmpfs() {
  mkdir -p "$1"
  [ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
  mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>"$T/mount.err" ||
    skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
  echo "$1" >>"$T/mounts"
}

# fill DIR — write a ballast file until the file system is full
fill() { dd if=/dev/zero of="$1/ballast" bs=4k 2>/dev/null || true; }

# ev N [FROM] — N valid item.delta events of session s1, 500 bytes each
ev() {
  local i
  for i in $(seq "${2:-1}" $(( ${2:-1} + $1 - 1 ))); do
    printf '{"time":"2026-02-01T10:00:00Z","session_id":"s1","native_session_id":null,"synthetic":true,"source":"daemon","type":"item.delta","data":{"item_id":"itm_1","native_item_id":null,"delta":"%0500d"},"raw":null}\n' "$i"
  done
}

@test "sa-store on a file system that fills up: exit 4, 'store N events: database or disk is full', what it printed is stored, the next run continues" {
  mount_tmpfs "$T/db" 2m
  db=$T/db/sa.db
  mkfifo "$T/in"
  sa-store --db "$db" --session s1 <"$T/in" >"$T/out" 2>"$T/err" &
  STPID=$!
  exec 4>"$T/in"
  ev 20 >&4
  i=0; until [ "$(wc -l <"$T/out")" -ge 20 ]; do i=$((i + 1)); [ "$i" -lt 200 ]; sleep 0.05; done
  fill "$T/db"
  (ev 3000 21 >&4) 2>/dev/null || true   # sa-store may be gone: EPIPE
  exec 4>&-
  run -4 wait "$STPID"
  STPID=
  grep -E '^sa-store: store [0-9]+ events?: .*database or disk is full; nothing of this batch was stored$' "$T/err"
  # every printed line is stored, nothing else: no half-written batch
  rm "$T/db/ballast"
  sa-replay --db "$db" --session s1 >"$T/stored"
  jq -c '[.sequence, .event_id, .data.delta]' "$T/out" >"$T/a"
  jq -c '[.sequence, .event_id, .data.delta]' "$T/stored" >"$T/b"
  cmp "$T/a" "$T/b"
  n=$(wc -l <"$T/out")
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/stored"
  # space is back: the next run goes on with the next sequence
  ev 5 5000 | sa-store --db "$db" --session s1 >"$T/out2"
  [ "$(head -1 "$T/out2" | jq .sequence)" = $((n + 1)) ]
  sa-replay --db "$db" --session s1 | jq -s -e '[.[].sequence] == [range(1; length + 1)]'
}

@test "sa-serve with the store on a full file system: the turn stream ends, a message is a 502 saying why, nothing lost, space back: error event stored and the session resumes" {
  mount_tmpfs "$T/db" 4m
  SA_SERVE_DB=$T/db/sa.db serve_start --no-token
  api POST /v1/sessions/a '{"agent":"mock"}'
  [ "$code" = 200 ]
  api POST /v1/sessions/a/messages '{"message":"echo before"}'
  [ "$code" = 204 ]
  wait_event a '.type == "turn.ended"'
  fill "$T/db"
  events a >"$T/before"
  # a turn that cannot be stored: its stream ends instead of hanging
  rc=0
  curl -s -N --max-time 30 -X POST -H 'Content-Type: application/json' \
    --data-binary '{"message":"burst 3000"}' "$URL/v1/sessions/a/messages/stream" >"$T/turn" || rc=$?
  [ "$rc" = 0 ] || { echo "turn stream: curl exit $rc (28 = still open after 30 s)"; return 1; }
  grep -E 'sa-store: store [0-9]+ events?: .*database or disk is full' "$T/serve.err"
  # while the store takes no writes, a message is refused with the reason
  api POST /v1/sessions/a/messages '{"message":"echo refused"}'
  problem_is 502 stream_error
  jq -e '.detail | test("event store cannot be written: .*full")' <<<"$body"
  # committed events are intact and whole
  events a >"$T/during"
  n=$(wc -l <"$T/before")
  cmp <(head -n "$n" "$T/during" | jq -c '[.sequence, .event_id]') <(jq -c '[.sequence, .event_id]' "$T/before")
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/during"
  # space returns: the next message stores the error event first, then goes on
  rm "$T/db/ballast"
  api POST /v1/sessions/a/messages '{"message":"echo after"}'
  [ "$code" = 204 ]
  wait_event a '.type == "item.completed" and .data.item.role == "assistant" and .data.item.content[0].text == "after"' 400
  events a >"$T/after"
  jq -s -e '[.[] | select(.type == "error" and .source == "daemon" and .data.code == "store_failed"
             and .data.details.exitCode == 4)] | length == 1' "$T/after"
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/after"
  cmp <(head -n "$n" "$T/after" | jq -c '[.sequence, .event_id]') <(jq -c '[.sequence, .event_id]' "$T/before")
}

@test "read-only file system: sa-store exits 3 and sa-serve 4 with 'database is read-only', the stored events stay" {
  mount_tmpfs "$T/db" 4m
  db=$T/db/sa.db
  ev 3 | sa-store --db "$db" --session s1 >/dev/null
  mount -o remount,ro "$T/db"
  run -3 sa-store --db "$db" --session s1 < <(ev 1 9)
  [[ $output == *"sa-store: open database $db: database is read-only (cannot write it: Read-only file system)"* ]]
  run -4 timeout 20 sa-serve --port 0 --no-token --db "$db" --state-dir "$T/state" --fs-root "$T"
  [[ $output == *"sa-serve: cannot open database $db: database is read-only (cannot write it: Read-only file system)"* ]]
  mount -o remount,rw "$T/db"
  sa-replay --db "$db" --session s1 | jq -s -e '[.[].sequence] == [1, 2, 3]'
}

# mount_ext4_loop DIR — a 32 MiB ext4 image mounted errors=remount-ro on a
# loop device (autoclear: freed with the mount); sets LOOPDEV; or skip
mount_ext4_loop() {
  mkdir -p "$1"
  [ "$(id -u)" = 0 ] || skip "mounting a loop device needs root"
  command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 (e2fsprogs) is not installed"
  truncate -s 32M "$T/fs.img"
  mkfs.ext4 -q -F "$T/fs.img" >/dev/null 2>&1 || skip "mkfs.ext4 failed"
  mount -o loop,errors=remount-ro "$T/fs.img" "$1" 2>"$T/mount.err" ||
    skip "cannot mount a loop device here: $(cat "$T/mount.err")"
  echo "$1" >>"$T/mounts"
  LOOPDEV=$(findmnt -n -o SOURCE "$1")
  [ -w "/sys/fs/ext4/${LOOPDEV##*/}/trigger_fs_error" ] || skip "this kernel has no ext4 trigger_fs_error"
}

@test "store turned read-only under a running session (ext4 error, remount-ro): sa-store fails with a clear error, a message is a 502, nothing committed lost" {
  mount_ext4_loop "$T/db"
  SA_SERVE_DB=$T/db/sa.db serve_start --no-token
  api POST /v1/sessions/a '{"agent":"mock"}'
  [ "$code" = 200 ]
  api POST /v1/sessions/a/messages '{"message":"echo before"}'
  [ "$code" = 204 ]
  wait_event a '.type == "turn.ended"'
  events a >"$T/before"
  # the kernel turns the file system read-only (as on an I/O error)
  echo 1 >"/sys/fs/ext4/${LOOPDEV##*/}/trigger_fs_error"
  rc=0
  curl -s -N --max-time 30 -X POST -H 'Content-Type: application/json' \
    --data-binary '{"message":"burst 2000"}' "$URL/v1/sessions/a/messages/stream" >"$T/turn" || rc=$?
  [ "$rc" = 0 ] || { echo "turn stream: curl exit $rc (28 = still open after 30 s)"; return 1; }
  grep -E '^sa-store: (store [0-9]+ events?|record session a in|open database)[^:]*: .*(read-only|readonly|I/O error)' "$T/serve.err"
  api POST /v1/sessions/a/messages '{"message":"echo refused"}'
  problem_is 502 stream_error
  events a >"$T/after"
  n=$(wc -l <"$T/before")
  cmp <(head -n "$n" "$T/after" | jq -c '[.sequence, .event_id]') <(jq -c '[.sequence, .event_id]' "$T/before")
  jq -s -e '[.[].sequence] == [range(1; length + 1)]' "$T/after"
}
