#!/usr/bin/env bats
# normalize_limits.bats — sa-normalize's limits and failure paths (issue 12
# item 6): a mapping program larger than the kernel's 128 KiB argument limit
# (it goes to jq as a file), a program that hangs on a line (--line-timeout:
# that line becomes agent.unparsed, jq is restarted, the next lines are
# converted), a jq that cannot start (its own diagnostic, not "rejected"),
# and stop signals that arrive at once after start (the self-pipe: no wait
# for an input line that never comes).  Every wait is bounded.

FIX="$SA_TOP/tests/fixtures"

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_TMPDIR"
    mkdir progs
    cp "$SA_AGENTS_DIR/mock.json" progs/ 2>/dev/null || true
}

shape() { jq -c 'del(.time)' "$@"; }

@test "a 200 KiB mapping program converts lines like the plain one" {
    { printf 'def sa_pad: "'; head -c 204800 /dev/zero | tr '\0' a; printf '";\n'; cat "$SA_AGENTS_DIR/mock.jq"; } > progs/mock.jq
    [ "$(stat -c %s progs/mock.jq)" -gt 204800 ]
    sa-normalize --agent mock --session s1 --programs progs < "$FIX/mock/session.jsonl" > big.jsonl
    sa-normalize --agent mock --session s1 < "$FIX/mock/session.jsonl" > plain.jsonl
    [ "$(wc -l < big.jsonl)" -gt 3 ]
    diff <(shape plain.jsonl) <(shape big.jsonl)
}

@test "--line-timeout: a line the program hangs on becomes agent.unparsed, the next line is converted" {
    # (2 s, not less: on a loaded machine an ordinary line can take a few hundred ms)
    # the mock program, except that it loops forever on {"mock":"hang"}
    { printf '(if .mock == "hang" then (def sa_loop: sa_loop; sa_loop) else . end) |\n'; cat "$SA_AGENTS_DIR/mock.jq"; } > progs/mock.jq
    printf '%s\n' '{"mock":"session","session_id":"mock-s1"}' '{"mock":"hang"}' \
        '{"mock":"turn.ended","turn":1}' > in.jsonl
    run -0 --separate-stderr timeout 30 sa-normalize --agent mock --session s1 --programs progs --line-timeout 2000 < in.jsonl
    echo "$output" > out.jsonl
    [ "$(jq -r 'select(.type == "agent.unparsed") | .data.error' out.jsonl)" = "mapping program (jq) took longer than 2000 ms on this line" ]
    [ "$(jq -c 'select(.type == "agent.unparsed") | .raw' out.jsonl)" = '{"mock":"hang"}' ]
    [ "$(jq -rs '.[-1].type' out.jsonl)" = turn.ended ]
    [[ "$stderr" == *"jq restarted"* ]]
    sa-events-check --no-envelope-ids --quiet --session s1 < out.jsonl
}

@test "--line-timeout: lines already given to the hung jq are given to the new one, in order" {
    { printf '(if .mock == "hang" then (def sa_loop: sa_loop; sa_loop) else . end) |\n'; cat "$SA_AGENTS_DIR/mock.jq"; } > progs/mock.jq
    { echo '{"mock":"session","session_id":"mock-s1"}'; echo '{"mock":"hang"}'
      seq 1 50 | sed 's/.*/{"mock":"item.delta","native_item_id":"b_reply","delta":"&,"}/'
      echo '{"mock":"turn.ended","turn":1}'; } > in.jsonl
    timeout 30 sa-normalize --agent mock --session s1 --programs progs --line-timeout 2000 < in.jsonl > out.jsonl 2> err.txt
    [ "$(jq -r 'select(.type == "item.delta") | .data.delta' out.jsonl | tr -d '\n')" = "$(seq -s, 1 50)," ]
    [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' out.jsonl)" -eq 1 ]
}

@test "--line-timeout: not a number is a usage error (exit 2)" {
    run -2 sa-normalize --agent mock --session s1 --line-timeout soon < /dev/null
    [[ "$output" == *"--line-timeout"* ]]
}

@test "a jq that cannot start: exit 1 and 'cannot start jq', not a rejection" {
    printf '#!/nonexistent/interpreter\n' > badjq
    chmod +x badjq
    run -1 --separate-stderr sa-normalize --agent mock --session s1 --jq ./badjq < "$FIX/mock/session.jsonl"
    [[ "$stderr" == *"cannot start jq ./badjq"* ]]
    [[ "$stderr" != *"rejected"* ]]
    [ -z "$output" ]
}

# stop PROG ARGS... — 20 times: start PROG reading a FIFO kept open (no line
# ever comes), send SIGTERM at a varying moment after start; each run must
# end by itself within 10 s.
stop_loop() {
    mkfifo in.fifo
    for i in $(seq 20); do
        "$@" < in.fifo > /dev/null 2>&1 &
        pid=$!
        exec 7> in.fifo
        sleep "0.0$((i % 10))"
        kill -TERM "$pid"
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; exec 7>&-; echo "run $i did not stop"; return 1; fi
        wait "$pid" || true
        exec 7>&-
    done
}

@test "SIGTERM at any moment after start: sa-normalize ends without waiting for input (20 runs)" {
    stop_loop sa-normalize --agent mock --session s1
}

@test "SIGTERM at any moment after start: sa-store ends without waiting for input (20 runs)" {
    stop_loop sa-store --db "$BATS_TEST_TMPDIR/s.db" --session s1
}

@test "a raw control character in a line (found by fuzz_normalize): escaped in raw, jq keeps running" {
    printf '{"mock":"session","session_id":"mock-s1"}\n{"a":"\001"}\n{"sa":"\001"}\n{"mock":"turn.ended","turn":1}\n' > in.jsonl
    run -0 --separate-stderr timeout 30 sa-normalize --agent mock --session s1 < in.jsonl
    echo "$output" > out.jsonl
    # every line is strict JSON (jq rejects raw control characters)
    jq -c . out.jsonl > /dev/null
    [ "$(jq -c 'select(.type == "agent.unparsed") | .raw' out.jsonl | head -1)" = '{"a":"\u0001"}' ]
    [ "$(jq -rs '.[-1].type' out.jsonl)" = turn.ended ]
    [[ "$stderr" != *"jq exited"* ]]
}

# big_completed BYTES - the mock's session line, then an assistant
# item.completed whose text is BYTES long (a line of a bit more than that)
big_completed() {
    echo '{"mock":"session","session_id":"mock-s1"}'
    head -c "$1" /dev/zero | tr '\0' a | jq -Rc '{mock: "item.completed", item: {native_item_id: "big", kind: "message", role: "assistant", content: [{type: "text", text: .}], status: "completed"}}'
}

@test "an event that would pass 16 MiB with its raw keeps its data; raw is {\"sa_raw_omitted\": BYTES}" {
    big_completed 9000000 > in.jsonl
    sa-normalize --agent mock --session s1 < in.jsonl > out.jsonl
    [ "$(jq -c 'select(.type == "item.completed") | .raw' out.jsonl)" = "{\"sa_raw_omitted\":$(sed -n 2p in.jsonl | tr -d '\n' | wc -c)}" ]
    [ "$(jq -r 'select(.type == "item.completed") | .data.item.content[0].text | length' out.jsonl)" -eq 9000000 ]
}

@test "an event with its raw under 16 MiB keeps its raw" {
    big_completed 7000000 > in.jsonl
    sa-normalize --agent mock --session s1 < in.jsonl > out.jsonl
    [ "$(jq -r 'select(.type == "item.completed") | .raw.item.content[0].text | length' out.jsonl)" -eq 7000000 ]
}

@test "an event whose raw was omitted is stored by sa-store at its default --max-line" {
    big_completed 9000000 > in.jsonl
    sa-normalize --agent mock --session s1 < in.jsonl | sa-store --db ev.db --session s1 --agent mock 2> err.txt
    ! grep -q skipped err.txt
    [ "$(sqlite3 ev.db "select count(*) from events where type = 'item.completed'")" -eq 1 ]
}
