#!/usr/bin/env bats
# The systemd units `make install` installs: the system unit, the user unit,
# the sysusers.d snippet for the user sa, the environment file example.
# systemd-analyze verifies both units (with the installed man pages on
# MANPATH, as their Documentation= asks); systemd-sysusers --dry-run reads
# the user snippet; the user unit's command line, as systemd would expand
# it, starts a working sa-serve.

bats_require_minimum_version 1.5.0
load serve_helpers

setup_file() {
  export P="$BATS_FILE_TMPDIR/prefix"
  san=; case $SA_BINDIR in */asan/*) san=1 ;; esac
  make -s -C "$SA_TOP" install PREFIX="$P" SANITIZE=$san >/dev/null
}

setup() {
  T=$BATS_TEST_TMPDIR
  SYS=$P/lib/systemd/system/sa-serve.service
  USR=$P/lib/systemd/user/sa-serve.service
}
teardown() { serve_teardown; }

need_systemd() { command -v systemd-analyze >/dev/null || skip "no systemd-analyze"; }

# execstart UNIT — its ExecStart command line, continuation lines joined.
execstart() { sed -n '/^ExecStart=/,/[^\\]$/p' "$1" | sed 's/^ExecStart=//; s/\\$//' | tr -s ' \n' ' '; }
# arg UNIT FLAG — the value after FLAG in its ExecStart.
arg() { execstart "$1" | tr ' ' '\n' | sed -n "/^$2\$/{n;p;q}"; }

@test "make install installs both units, sysusers.d/sa.conf and the environment file example" {
  [ -f "$SYS" ] && [ -f "$USR" ]
  [ -f "$P/lib/sysusers.d/sa.conf" ]
  [ -f "$P/share/sa/serve.env.example" ]
}

@test "both units run the installed sa-serve, not a hard-coded path" {
  [ "$(execstart "$SYS" | cut -d' ' -f1)" = "$P/bin/sa-serve" ]
  [ "$(execstart "$USR" | cut -d' ' -f1)" = "$P/bin/sa-serve" ]
}

@test "the system unit passes systemd-analyze verify without a word" {
  need_systemd
  run --separate-stderr env MANPATH="$P/share/man" systemd-analyze verify "$SYS"
  [ "$status" -eq 0 ] && [ -z "$output$stderr" ] || { echo "$output$stderr"; false; }
}

@test "the user unit passes systemd-analyze --user verify without a word" {
  need_systemd
  mkdir -m 700 "$T/run"
  run --separate-stderr env MANPATH="$P/share/man" XDG_RUNTIME_DIR="$T/run" systemd-analyze --user verify "$USR"
  [ "$status" -eq 0 ] && [ -z "$output$stderr" ] || { echo "$output$stderr"; false; }
}

@test "sysusers.d/sa.conf creates the system user sa with home /var/lib/sa" {
  command -v systemd-sysusers >/dev/null || skip "no systemd-sysusers"
  run systemd-sysusers --dry-run "$P/lib/sysusers.d/sa.conf"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Creating user 'sa'"* ]] || getent passwd sa >/dev/null
  grep -qE '^u sa - .* /var/lib/sa$' "$P/lib/sysusers.d/sa.conf"
}

@test "the system unit keeps the database outside the fs root" {
  db=$(arg "$SYS" --db) root=$(arg "$SYS" --fs-root)
  [ -n "$db" ] && [ -n "$root" ]
  [[ "$db" != "$root"/* ]]
}

@test "the user unit keeps the database outside the fs root" {
  db=$(arg "$USR" --db) root=$(arg "$USR" --fs-root)
  [ -n "$db" ] && [ -n "$root" ]
  [[ "$db" != "$root"/* ]]
}

@test "the units read an environment file for PATH, the token and API keys" {
  grep -qx 'EnvironmentFile=-/etc/sa/serve.env' "$SYS"
  grep -qx 'EnvironmentFile=-%E/sa/serve.env' "$USR"
  grep -q '^#SA_TOKEN=' "$P/share/sa/serve.env.example"
  grep -q '^#PATH=' "$P/share/sa/serve.env.example"
  grep -q '^#ANTHROPIC_API_KEY=' "$P/share/sa/serve.env.example"
}

@test "the user unit's command, expanded as systemd does, starts a working sa-serve" {
  mkdir -p "$T/state/sa/work" "$T/run/sa-serve"
  cmd=$(execstart "$USR" | sed "s|%S|$T/state|g; s|%t|$T/run|g; s|\${SA_HOST}|127.0.0.1|; s|\${SA_PORT}|0|")
  (cd "$T/state/sa/work" && exec $cmd) >"$T/u.out" 2>"$T/u.err" 3>&- &
  pid=$!
  echo "$pid" >>"$T/serve.pids"
  serve_wait_listening "$pid" "$T/u.out" "$T/u.err"
  curl -s "$URL/v1/health" | jq -e '.status == "ok"'
  [ -f "$T/state/sa/sa.db" ]
}
