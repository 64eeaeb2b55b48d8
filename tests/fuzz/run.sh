#!/bin/sh
# tests/fuzz/run.sh SECONDS BIN... — run each libFuzzer target (`make fuzz`,
# `make fuzz-brief`): first every input of tests/fuzz/regress/TARGET/ once
# (crashes found earlier, kept as regression tests), then SECONDS of
# fuzzing on build/fuzz/corpus/TARGET, seeded on first use from
# tests/fixtures (seed TARGET DIR below).  Crash files go to
# build/fuzz/crashes/TARGET/; the exit status is non-zero when any target
# failed.  Fuzzing runs -jobs=1 with a 1 GiB RSS and 10 s per input limit.
set -u
secs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
fix="$top/tests/fixtures"
status=0

# seed TARGET DIR — first inputs, from the fixtures where they fit.
seed() {
  case $1 in
  fuzz_normalize)
    i=0
    for agent_byte in mock:0 claude:1 codex:2 opencode:3 pi:4 amp:5; do
      a=${agent_byte%%:*} b=${agent_byte#*:}
      for f in "$fix/$a"/*.jsonl; do
        [ -f "$f" ] || continue
        i=$((i + 1))
        { printf "\\$(printf %03o "$b")"; head -c 65536 "$f"; } > "$2/seed$i"
      done
    done ;;
  fuzz_tar)
    td=$(mktemp -d)
    mkdir -p "$td/d/sub"; cp "$fix/mock/session.jsonl" "$td/d/a.jsonl"; echo hi > "$td/d/sub/b.txt"
    (cd "$td" && tar -cf "$2/ustar.tar" --format=ustar d && tar -cf "$2/pax.tar" --format=pax d &&
     tar -cf "$2/gnu.tar" --format=gnu d && tar -cf "$2/v7.tar" --format=v7 d) 2>/dev/null
    rm -rf "$td" ;;
  fuzz_fs_path)
    printf 'a/b\0../x' > "$2/1"; printf '\0/srv/root/a/./b//c' > "$2/2"
    printf 'sub\0~/x/../../y' > "$2/3"; printf '\0/etc/passwd' > "$2/4" ;;
  fuzz_spawn_cmd)
    printf '{"type":"message","message":"hi","attachments":[{"path":"/a","mime":"text/plain"}]}' > "$2/1"
    printf '{"type":"permission.reply","permission_id":"p1","reply":"once"}' > "$2/2"
    printf '{"type":"question.reply","question_id":"q1","answers":[["Yes"]]}' > "$2/3"
    printf '{"type":"question.reject","question_id":"q1"}' > "$2/4"
    printf '{"type":"interrupt"}' > "$2/5" ;;
  fuzz_http_json)
    printf '{"agent":"mock","mcp":{"fs":{"type":"local","command":["x","y"],"env":{"K":"v"}},"web":{"type":"remote","url":"http://h/","headers":{"A":"b"}}}}' > "$2/1"
    printf 'Bearer abc' > "$2/2"; printf 'Basic dXNlcjpzZWNyZXQ=' > "$2/3"; printf 'Token t' > "$2/4" ;;
  esac
}

for bin in "$@"; do
  t=$(basename "$bin")
  corpus="$top/build/fuzz/corpus/$t" crashes="$top/build/fuzz/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  [ -n "$(ls -A "$corpus")" ] || seed "$t" "$corpus"
  if [ -d "$top/tests/fuzz/regress/$t" ] && [ -n "$(ls -A "$top/tests/fuzz/regress/$t")" ]; then
    if ! "$bin" -rss_limit_mb=1024 "$top/tests/fuzz/regress/$t"/* > "$crashes/regress.log" 2>&1; then
      echo "fuzz: $t: a regression input fails (see $crashes/regress.log)"; status=1; continue
    fi
  fi
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
       -artifact_prefix="$crashes/" "$corpus" > "$crashes/last.log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$crashes/last.log")
    echo "fuzz: $t: ${secs} s, ${execs:-?} inputs, no crash (corpus $(ls "$corpus" | wc -l))"
  else
    echo "fuzz: $t: FAILED, see $crashes/last.log:"; grep -m3 -E 'ERROR|SUMMARY|runtime error' "$crashes/last.log"
    status=1
  fi
done
exit $status
