# sa_cli_helpers.bash — helpers for sa_cli_*.bats: the real sa-serve (from
# serve_helpers.bash: 127.0.0.1, port 0, private db and state) driven with
# the `sa` client command.  Only the pids a test started are signalled.
load serve_helpers

# sa_run ARGS... — `run --separate-stderr sa -e $URL ARGS...` ($output is
# stdout, $stderr stderr, $status the exit status).
sa_run() { run --separate-stderr sa -e "$URL" "$@"; }

# mock_session SID — create a mock session with sa (fails the test if not 0).
mock_session() {
  sa -e "$URL" api sessions create "$1" -a mock >/dev/null
}

# wait_file FILE PATTERN [tries] — until FILE has a line matching PATTERN
# (grep -E), at most tries × 50 ms (default 200).
wait_file() {
  local f=$1 pat=$2 n=${3:-200} i=0
  while ! grep -qE -- "$pat" "$f" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt "$n" ]; then echo "timed out waiting for /$pat/ in $f:" >&2; cat "$f" >&2; return 1; fi
    sleep 0.05
  done
}

# free_port — a port nobody listens on now (bound and released by python).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# stop_pid PID — SIGTERM, wait at most 10 s, then SIGKILL (our own pids only).
stop_pid() {
  local pid=$1 i=0
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
