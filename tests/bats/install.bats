#!/usr/bin/env bats
# `make install PREFIX=...` installs binaries, jq programs and man pages, and
# the installed commands find each other and the jq programs with no
# environment help (no SA_AGENTS_DIR, PATH without the build tree).

@test "make install into a prefix gives a working pipeline" {
  prefix="$BATS_TEST_TMPDIR/prefix"
  san=; case $SA_BINDIR in */asan/*) san=1 ;; esac
  run make -C "$SA_TOP" install PREFIX="$prefix" SANITIZE=$san
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  for c in sa sa-spawn sa-normalize sa-store sa-replay sa-serve sa-mock-agent sa-events-check; do
    [ -x "$prefix/bin/$c" ]
    [ -f "$prefix/share/man/man1/$c.1" ]
  done
  [ -f "$prefix/share/man/man7/sa-events.7" ]
  [ -f "$prefix/share/sa/agents/claude.jq" ]
  [ -f "$prefix/share/sa/agents/mock.jq" ]
  cd "$BATS_TEST_TMPDIR"
  run env -u SA_AGENTS_DIR PATH="$prefix/bin:/usr/bin:/bin" sh -c \
    'echo "{\"type\":\"message\",\"message\":\"hello\"}" | sa-spawn --agent mock --session i1 \
       | sa-normalize --agent mock --session i1 | sa-store --db i.db --session i1 --agent mock >/dev/null &&
     sa-replay --db i.db --session i1 --format text'
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "$output" == *"[assistant] hello"* ]]
}

@test "make install puts pi's extension beside pi's description, where sa-spawn looks for it" {
  prefix="$BATS_TEST_TMPDIR/prefix"
  san=; case $SA_BINDIR in */asan/*) san=1 ;; esac
  run make -C "$SA_TOP" install PREFIX="$prefix" SANITIZE=$san
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ -f "$prefix/share/sa/agents/pi.json" ]
  [ -f "$prefix/share/sa/agents/pi-extension.ts" ]
  # a fake pi that prints its argv: the installed sa-spawn passes -e <installed extension>
  printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s/argv"\n' "$BATS_TEST_TMPDIR" > "$BATS_TEST_TMPDIR/pi"
  chmod +x "$BATS_TEST_TMPDIR/pi"
  # (it writes outside its working directory: --sandbox-write lets it)
  run env -u SA_AGENTS_DIR PATH="$prefix/bin:/usr/bin:/bin" sa-spawn --agent pi --agent-bin "$BATS_TEST_TMPDIR/pi" \
    --sandbox-write "$BATS_TEST_TMPDIR" </dev/null
  echo "$output"
  grep -qxF "$prefix/share/sa/agents/pi-extension.ts" "$BATS_TEST_TMPDIR/argv"
}
