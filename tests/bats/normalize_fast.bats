#!/usr/bin/env bats
# normalize_fast.bats — sa-normalize's C fast path for text deltas
# (sa-normalize/nz_fast.c, enabled by a program's "# sa-fast-path:" line):
# every fixture gives the same events with it as with --no-fast-path (every
# line through jq), byte for byte but the time; it does take the deltas;
# hand-made lines near the delta shapes (tests/fixtures/fast) agree too.

FIX="$SA_TOP/tests/fixtures"

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# run_both AGENT FILE — normalize FILE with and without the fast path into
# fast.jsonl / jq.jsonl (time blanked) and fast.err (the -v counts)
run_both() {
    sa-normalize -v --agent "$1" --session s1 < "$2" 2> fast.err | sed 's/^{"time":"[^"]*"/{"time":""/' > fast.jsonl
    sa-normalize --no-fast-path --agent "$1" --session s1 < "$2" | sed 's/^{"time":"[^"]*"/{"time":""/' > jq.jsonl
    [ -s jq.jsonl ]
}

# fast_count — lines the fast path mapped in the last run_both; tree_count —
# how many of them went through a cJSON tree (not printed as the agent prints them)
fast_count() { sed -n 's/.*: \([0-9]*\) line(s) mapped by the fast path.*/\1/p' fast.err; }
tree_count() { sed -n 's/.*(\([0-9]*\) of them through a tree).*/\1/p' fast.err; }

# same_for DIR AGENT — every capture of tests/fixtures/DIR agrees; prints the lines taken
same_for() {
    local total=0 f
    for f in "$FIX/$1"/*.jsonl; do
        case $f in *.expected.jsonl) continue ;; esac
        run_both "$2" "$f"
        diff -u jq.jsonl fast.jsonl || { echo "differs: $f"; return 1; }
        total=$((total + $(fast_count)))
    done
    echo "$total" > taken
}

@test "fast path: the mock fixtures give the same events with and without it" {
    same_for mock mock
    [ "$(cat taken)" -gt 0 ]
}

@test "fast path: the Claude captures give the same events with and without it" {
    same_for claude claude
    [ "$(cat taken)" -gt 0 ]
    same_for claude-live claude
    [ "$(cat taken)" -gt 0 ]
    same_for fake-claude claude
    [ "$(cat taken)" -gt 0 ]
}

@test "fast path: the codex captures give the same events with and without it" {
    same_for codex codex
    [ "$(cat taken)" -gt 0 ]
}

@test "fast path: hand-made mock lines near the delta shape agree with jq" {
    run_both mock "$FIX/fast/mock.jsonl"
    diff -u jq.jsonl fast.jsonl
    [ "$(fast_count)" -ge 4 ]
}

@test "fast path: hand-made Claude lines near the delta shape agree with jq" {
    run_both claude "$FIX/fast/claude.jsonl"
    diff -u jq.jsonl fast.jsonl
    [ "$(fast_count)" -ge 4 ]
}

@test "fast path: hand-made codex lines near the delta shape agree with jq" {
    run_both codex "$FIX/fast/codex.jsonl"
    diff -u jq.jsonl fast.jsonl
    [ "$(fast_count)" -ge 6 ]
}

@test "fast path: a mock burst gives the same events with and without it, every delta without a tree" {
    printf '{"type":"message","message":"burst 3000"}\n' | sa-spawn --sandbox none --agent mock --session s1 > burst.jsonl
    run_both mock burst.jsonl
    diff -u jq.jsonl fast.jsonl
    [ "$(fast_count)" -eq 3000 ]
    [ "$(tree_count)" -eq 0 ]
}

@test "fast path: deltas printed as Claude and codex print them are decoded without a tree" {
    run_both claude "$FIX/claude/tasks.jsonl"
    [ "$(fast_count)" -gt 0 ] && [ "$(tree_count)" -eq 0 ]
    run_both codex "$FIX/codex/appserver-two-turns.jsonl"
    [ "$(fast_count)" -gt 0 ] && [ "$(tree_count)" -eq 0 ]
}

@test "fast path: deltas in another key order or spacing take the tree path and agree with jq" {
    for a in mock claude codex; do
        run_both "$a" "$FIX/fast/$a.jsonl"
        diff -u jq.jsonl fast.jsonl
        [ "$(tree_count)" -ge 1 ]
        [ "$(tree_count)" -lt "$(fast_count)" ]
    done
}

@test "fast path: a program without the sa-fast-path line sends every line to jq" {
    mkdir progs
    grep -v '^# sa-fast-path:' "$SA_TOP/sa-normalize/agents/mock.jq" > progs/mock.jq
    sa-normalize -v --programs progs --agent mock --session s1 < "$FIX/fast/mock.jsonl" 2> err > out.jsonl
    [ -s out.jsonl ]
    ! grep -q 'fast path' err
}

@test "fast path: an unknown sa-fast-path name enables none" {
    mkdir progs
    sed 's/^# sa-fast-path: mock/# sa-fast-path: mockish/' "$SA_TOP/sa-normalize/agents/mock.jq" > progs/mock.jq
    grep -q '^# sa-fast-path: mockish' progs/mock.jq
    sa-normalize -v --programs progs --agent mock --session s1 < "$FIX/fast/mock.jsonl" 2> err > out.jsonl
    [ -s out.jsonl ]
    ! grep -q 'fast path' err
}

@test "fast path: --no-fast-path sends every line to jq" {
    sa-normalize -v --no-fast-path --agent mock --session s1 < "$FIX/fast/mock.jsonl" 2> err > out.jsonl
    [ -s out.jsonl ]
    ! grep -q 'fast path' err
}
