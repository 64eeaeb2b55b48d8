# serve_fs_helpers.bash — helpers for serve_fs*.bats: start the real
# sa-serve on 127.0.0.1 port 0 with an fs root, build the test tree (with
# symlinks pointing out of the root), and call endpoints with curl.
# Every wait is bounded; only the sa-serve we started is killed, by pid.
# Starting and stopping use serve_helpers.bash's serve_wait_listening and
# serve_stop.

source "${BASH_SOURCE[0]%/*}/serve_helpers.bash"

# fs_tree DIR — DIR/root (the fs root) and DIR/outside, with:
#   root/d/inside.txt, outside/secret, outside/sub/
#   root/to_etc -> /etc            root/to_out -> ../outside
#   root/to_secret -> ../outside/secret   root/to_d -> d (stays inside)
fs_tree() {
  local t=$1
  mkdir -p "$t/root/d" "$t/outside/sub"
  printf 'inside\n' >"$t/root/d/inside.txt"
  printf 'secret\n' >"$t/outside/secret"
  ln -s /etc "$t/root/to_etc"
  ln -s ../outside "$t/root/to_out"
  ln -s ../outside/secret "$t/root/to_secret"
  ln -s d "$t/root/to_d"
}

# fs_start DIR [sa-serve args...] — start sa-serve with --fs-root DIR/root;
# sets FS_URL and FS_PID (stdout/stderr in DIR/serve.out, DIR/serve.err).
fs_start() {
  local t=$1
  shift
  : >"$t/serve.out"      # here, not in the background: a restart must not read the old port
  sa-serve --port 0 --no-token --db "$t/db" --fs-root "$t/root" "$@" \
    >"$t/serve.out" 2>"$t/serve.err" 3>&- &
  FS_PID=$!
  echo "$FS_PID" >"$t/serve.pid"
  serve_wait_listening "$FS_PID" "$t/serve.out" "$t/serve.err" || return 1
  FS_URL=$URL
  export FS_URL FS_PID
}

# fs_stop DIR — SIGTERM the sa-serve fs_start DIR started, wait (bounded),
# SIGKILL if it is still there.
fs_stop() {
  local pid
  pid=$(cat "$1/serve.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  serve_stop "$pid" 100
  rm -f "$1/serve.pid"
  # under SANITIZE=1, a sanitizer report (leaks show at exit) fails the file
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$1/serve.err" 2>/dev/null; then
    cat "$1/serve.err" >&2
    return 1
  fi
}

# call METHOD PATH_AND_QUERY [curl args...] — sets $code and $body.
call() {
  local m=$1 p=$2
  shift 2
  local out=$BATS_TEST_TMPDIR/body
  code=$(curl -sS -o "$out" -w '%{http_code}' -X "$m" "$@" "$FS_URL$p")
  body=$(cat "$out")
}

# expect CODE [PROBLEM_TYPE] — check $code (and the problem type).
expect() {
  if [ "$code" != "$1" ]; then
    echo "HTTP $code, wanted $1: $body" >&2
    return 1
  fi
  if [ -n "${2:-}" ]; then
    local t
    t=$(printf '%s' "$body" | jq -r .type)
    [ "$t" = "urn:sandbox-agent:error:$2" ] || { echo "type $t, wanted $2: $body" >&2; return 1; }
    [ "$(printf '%s' "$body" | jq -r .status)" = "$1" ] || { echo "status field: $body" >&2; return 1; }
  fi
}

# denied METHOD PATH [curl args] — must be 403 permission_denied.
denied() {
  call "$@"
  expect 403 permission_denied
}
