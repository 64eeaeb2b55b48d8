#!/usr/bin/env bats
# Every command answers --help and --version, rejects an unknown flag with
# exit 2 and a diagnostic, and has a man page with the fixed sections.

bats_require_minimum_version 1.5.0

COMMANDS="sa sa-spawn sa-normalize sa-store sa-replay sa-serve sa-mock-agent sa-events-check"

@test "--help prints usage on stdout and exits 0" {
  for c in $COMMANDS; do
    run "$c" --help
    [ "$status" -eq 0 ] || { echo "$c --help: $status"; false; }
    [[ "$output" == *sage* ]] || { echo "$c --help printed: $output"; false; }
  done
}

@test "--version prints name and version" {
  for c in $COMMANDS; do
    run "$c" --version
    [ "$status" -eq 0 ]
    [[ "$output" == "$c "[0-9]* ]] || { echo "$c --version printed: $output"; false; }
  done
}

@test "an unknown flag is a usage error (exit 2) with a diagnostic naming the command" {
  for c in $COMMANDS; do
    run --separate-stderr "$c" --no-such-flag
    [ "$status" -eq 2 ] || { echo "$c: exit $status"; false; }
    [[ "$stderr" == "$c: "* ]] || { echo "$c stderr: $stderr"; false; }
  done
}

@test "every command has a man page with the fixed sections" {
  for c in $COMMANDS; do
    page="$SA_TOP/man/$c.1"
    [ -f "$page" ] || { echo "missing $page"; false; }
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
      grep -q "^\.SH \"\?$s\"\?" "$page" || { echo "$page lacks $s"; false; }
    done
    run sh -c "cd '$SA_TOP/man' && MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null"
    [ -z "$output" ] || { echo "$page: $output"; false; }
  done
  [ -f "$SA_TOP/man/sa-events.7" ]
}
