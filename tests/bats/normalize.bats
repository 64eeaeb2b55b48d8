#!/usr/bin/env bats
# normalize.bats — sa-normalize end to end: fixtures (real Claude transcripts
# and a hand-written mock session) against hand-written expected events,
# schema validation with sa-events-check, flags, exit codes and failure paths.

FIX="$SA_TOP/tests/fixtures"

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# norm AGENT FIXTURE [FLAGS...] — run sa-normalize on a fixture into out.jsonl
norm() {
    local agent=$1 input=$2; shift 2
    sa-normalize --agent "$agent" --session s1 "$@" < "$input" > out.jsonl
}

# compare EXPECTED — out.jsonl minus time/raw must equal the expected file
compare() {
    jq -c 'del(.time, .raw)' out.jsonl > got.jsonl
    jq -c . "$1" > want.jsonl
    diff -u want.jsonl got.jsonl
}

valid() {
    sa-events-check --no-envelope-ids --key-order --session s1 < out.jsonl
}

# no agent.unparsed, tool calls and results pair up, deltas add up to text
transcript_invariants() {
    [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' out.jsonl)" = 0 ]
    calls=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[] | select(.type == "tool_call") | .call_id] | sort' out.jsonl)
    results=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[] | select(.type == "tool_result") | .call_id] | sort' out.jsonl)
    [ "$calls" = "$results" ]
    [ "$calls" != "[]" ]
    bad=$(jq -sc '
        (map(select(.type == "item.delta")) | group_by(.data.item_id)
         | map({key: .[0].data.item_id, value: (map(.data.delta) | join(""))}) | from_entries) as $d
        | [.[] | select(.type == "item.completed" and .data.item.kind == "message" and .data.item.role != "user")
           | .data.item | select(([.content[] | select(.type == "text") | .text] | join("\n")) != ($d[.item_id] // ""))
           | .item_id]' out.jsonl)
    [ "$bad" = "[]" ]
}

@test "help, version and usage errors" {
    run sa-normalize --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"--item-start"* ]]
    run sa-normalize --version
    [ "$status" -eq 0 ]
    [ "$output" = "sa-normalize 0.1.0" ]
    run sa-normalize --agent mock
    [ "$status" -eq 2 ]
    run sa-normalize --agent mock --session s1 --bogus
    [ "$status" -eq 2 ]
    run sa-normalize --agent mock --session s1 --item-start zero
    [ "$status" -eq 2 ]
    run sa-normalize --agent ../etc/passwd --session s1
    [ "$status" -eq 2 ]
    run sa-normalize --agent mock --session s1 --metadata '{bad'
    [ "$status" -eq 2 ]
}

@test "missing or broken mapping program exits 3; missing jq exits 1" {
    run sa-normalize --agent nosuchagent --session s1 < /dev/null
    [ "$status" -eq 3 ]
    mkdir progs
    echo 'if . then [ else' > progs/broken.jq
    run sa-normalize --agent broken --session s1 --programs progs < /dev/null
    [ "$status" -eq 3 ]
    echo 'no_such_function(1)' > progs/undef.jq
    run sa-normalize --agent undef --session s1 --programs progs < /dev/null
    [ "$status" -eq 3 ]
    run sa-normalize --agent mock --session s1 --jq "$BATS_TEST_TMPDIR/nojq" < /dev/null
    [ "$status" -eq 1 ]
}

@test "a missing mapping program: the message lists every path searched" {
    mkdir -p bin share/sa/agents
    cp "$(command -v sa-normalize)" bin/sa-normalize
    run --separate-stderr env -u SA_AGENTS_DIR bin/sa-normalize --agent nosuchagent --session s1 < /dev/null
    [ "$status" -eq 3 ]
    here=$(pwd -P)
    [[ "$stderr" == "sa-normalize: no mapping program for agent nosuchagent: looked for $here/share/sa/agents/nosuchagent.jq (No such file or directory), "*"/sa-normalize/agents/nosuchagent.jq (No such file or directory)"* ]]
    [[ "$stderr" == *"; set --programs or \$SA_AGENTS_DIR" ]]
}

@test "a missing mapping program under --programs: the message names that path" {
    run --separate-stderr sa-normalize --agent nosuchagent --session s1 --programs "$BATS_TEST_TMPDIR/p" < /dev/null
    [ "$status" -eq 3 ]
    [ "$stderr" = "sa-normalize: no mapping program for agent nosuchagent: looked for $BATS_TEST_TMPDIR/p/nosuchagent.jq (No such file or directory)" ]
}

@test "claude print-mode transcript: expected events, valid, invariants" {
    norm claude "$FIX/claude/print-default.jsonl" --metadata '{"agent":"claude"}'
    compare "$FIX/claude/print-default.expected.jsonl"
    valid
    transcript_invariants
}

@test "claude stream-json two turns with partial messages" {
    norm claude "$FIX/claude/streamjson-multiturn.jsonl"
    compare "$FIX/claude/streamjson-multiturn.expected.jsonl"
    valid
    transcript_invariants
    [ "$(jq -s '[.[] | select(.type == "turn.ended")] | length' out.jsonl)" = 2 ]
}

@test "claude permission request, sa permission.resolved" {
    norm claude "$FIX/claude/permission-allow.jsonl"
    compare "$FIX/claude/permission-allow.expected.jsonl"
    valid
    transcript_invariants
}

@test "claude blocked tool (failed tool_result) and attachments in the user item" {
    norm claude "$FIX/claude/permission-denied.jsonl"
    compare "$FIX/claude/permission-denied.expected.jsonl"
    valid
    transcript_invariants
}

@test "claude API error: failed item, error, process_exit, session.ended" {
    norm claude "$FIX/claude/error400.jsonl"
    compare "$FIX/claude/error400.expected.jsonl"
    valid
    [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' out.jsonl)" = 0 ]
}

@test "claude AskUserQuestion: question shown, its permission hidden" {
    norm claude "$FIX/claude/question.jsonl"
    compare "$FIX/claude/question.expected.jsonl"
    valid
}

@test "mock session (hand-written from the mock protocol)" {
    norm mock "$FIX/mock/session.jsonl"
    compare "$FIX/mock/session.expected.jsonl"
    valid
}

@test "raw keeps the native line (JSON value, or the text of a non-JSON line)" {
    norm mock "$FIX/mock/session.jsonl"
    # every event from the delta line carries exactly that line as raw
    want=$(grep -m1 '"delta":"hel"' "$FIX/mock/session.jsonl" | jq -c .)
    got=$(jq -c 'select(.type == "item.delta" and .data.delta == "hel") | .raw' out.jsonl)
    [ "$got" = "$want" ]
    got=$(jq -r 'select(.type == "agent.unparsed") | .raw' out.jsonl)
    [ "$got" = "mock: unparsable output" ]
    [ "$(jq -c 'select(.type == "session.started") | .raw' out.jsonl)" = null ]
    got=$(jq -c 'select(.type == "input_error" or .data.code == "input_error") | .raw.sa' out.jsonl)
    [ "$got" = '"input_error"' ]
}

@test "--item-start, --no-session-started, --native-session-id" {
    norm mock "$FIX/mock/session.jsonl" --item-start 40 --no-session-started --native-session-id pre-1
    valid
    [ "$(jq -s '[.[] | select(.type == "session.started")] | length' out.jsonl)" = 0 ]
    [ "$(jq -rs 'map(select(.type == "item.started")) | .[0].data.item.item_id' out.jsonl)" = itm_40 ]
    [ "$(jq -rs 'map(select(.type == "item.started")) | .[-1].data.item.item_id' out.jsonl)" = itm_46 ]
    # an id given up front is kept (the mock's own is not adopted over it)
    [ "$(jq -rs '[.[].native_session_id] | unique | join(",")' out.jsonl)" = pre-1 ]
}

@test "acceptEdits hides file-change permission requests" {
    norm mock "$FIX/mock/session.jsonl" --permission-mode acceptEdits
    valid
    [ "$(jq -s '[.[] | select(.type == "permission.requested")] | length' out.jsonl)" = 1 ]
    [ "$(jq -s '[.[] | select(.type == "permission.resolved")] | length' out.jsonl)" = 2 ]
}

@test "bad input never crashes and is never dropped silently" {
    {
        printf '{"sa":"turn","turn":1,"message":"x","attachments":[]}\n'
        printf 'plain text\n'
        printf '{"mock":"item.delta","native_item_id":"a","delta":"\xff\xfe bad utf8"}\n'
        printf '%0.s[' $(seq 300); printf '\n'
        python3 -c 'print("["*300 + "]"*300)'
        printf '{"mock":42}\n'
        printf '{"mock":"item.completed","item":{"kind":"bogus"}}\n'
        printf '{"sa":"what"}\n'
        printf '["not an object"]\n'
        printf '{"mock":"turn.ended"}'          # last line without newline
    } > bad.jsonl
    norm mock bad.jsonl
    valid
    [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' out.jsonl)" = 7 ]
    [ "$(jq -rs 'map(select(.type == "item.delta"))[0].data.delta' out.jsonl)" = $'\uFFFD\uFFFD bad utf8' ]
    [ "$(jq -rs '.[-1].type' out.jsonl)" = turn.ended ]
}

@test "mapping program errors become agent.unparsed, the rest goes on" {
    mkdir progs
    cat > progs/picky.jq <<'JQ'
if .n == 2 then error("two is not allowed") elif .n == 3 then input else {type: "turn.ended", data: {phase: "ended", turn_id: (.n | tostring)}} end
JQ
    printf '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n' > in.jsonl
    norm picky in.jsonl --programs progs
    valid
    [ "$(jq -sc '[.[] | .data.turn_id // .data.error]' out.jsonl)" = '[null,"1","mapping program error: two is not allowed","mapping program error: input is not available to mapping programs","4"]' ]
}

@test "jq dying mid-stream: owed lines reported, exit 1" {
    cat > fakejq <<'SH'
#!/bin/sh
# a jq that compiles anything, answers one line and dies
case " $* " in *" -n "*) exit 0;; esac
read -r line; echo '[]'; exit 0
SH
    chmod +x fakejq
    printf '{"mock":"turn.ended"}\n{"mock":"turn.ended"}\n{"mock":"turn.ended"}\n' > in.jsonl
    run sh -c "sa-normalize --agent mock --session s1 --jq ./fakejq < in.jsonl > out.jsonl"
    [ "$status" -eq 1 ]
    valid
    [ "$(jq -s '[.[] | select(.type == "agent.unparsed")] | length' out.jsonl)" = 2 ]
}

@test "many lines stay in order through the pipelined co-process" {
    n=20000
    {
        echo '{"sa":"turn","turn":1,"message":"burst","attachments":[]}'
        echo '{"mock":"item.started","item":{"native_item_id":"b_reply","kind":"message","role":"assistant","content":[],"status":"in_progress"}}'
        seq 1 $n | sed 's/.*/{"mock":"item.delta","native_item_id":"b_reply","delta":"&,"}/'
        echo '{"mock":"turn.ended","turn":1}'
    } > burst.jsonl
    norm mock burst.jsonl
    [ "$(wc -l < out.jsonl)" -eq $((n + 4)) ]
    [ "$(jq -r 'select(.type == "item.delta") | .data.delta' out.jsonl | tr -d '\n')" = "$(seq -s, 1 $n)," ]
    sa-events-check --no-envelope-ids --quiet < out.jsonl
}

@test "SIGTERM: lines already read are finished, exit 0" {
    mkfifo in.fifo
    sa-normalize --agent mock --session s1 < in.fifo > out.jsonl &
    pid=$!
    exec 7> in.fifo
    echo '{"mock":"turn.ended"}' >&7
    for _ in $(seq 100); do [ "$(wc -l < out.jsonl)" -ge 2 ] && break; sleep 0.05; done
    kill -TERM "$pid"
    wait "$pid"
    exec 7>&-
    [ "$(jq -rs '.[-1].type' out.jsonl)" = turn.ended ]
    valid
}

@test "session.started metadata: sandbox-agent's shape by default, filled from the flags" {
    printf '' > empty.jsonl
    norm mock empty.jsonl
    [ "$(jq -c '.data.metadata' out.jsonl)" = '{"agent":"mock","agentMode":"build","permissionMode":"default","model":null,"variant":null}' ]
    norm mock empty.jsonl --agent-mode plan --permission-mode acceptEdits --model m1 --variant v"\"x"
    [ "$(jq -c '.data.metadata' out.jsonl)" = '{"agent":"mock","agentMode":"plan","permissionMode":"acceptEdits","model":"m1","variant":"v\"x"}' ]
    valid
    norm mock empty.jsonl --metadata '{"k":1}' --model ignored
    [ "$(jq -c '.data.metadata' out.jsonl)" = '{"k":1}' ]
}
