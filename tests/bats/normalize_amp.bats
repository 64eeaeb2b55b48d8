#!/usr/bin/env bats
# normalize_amp.bats — sa-normalize --agent amp (sa-normalize/agents/amp.jq
# and the C rules it relies on).  Amp cannot run here (it needs an
# ampcode.com account), so every fixture in tests/fixtures/amp is
# HAND-WRITTEN FROM AMP'S DOCUMENTED STREAM FORMAT, not recorded (see that
# directory's README for the facts and their sources), except nokey.jsonl,
# which is what the pinned CLI printed here without a key.  The expected
# events are hand-written too; each is checked with the schema checker.
# One property per test.

FIX="$SA_TOP/tests/fixtures/amp"

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# norm FIXTURE [FLAGS...] — normalize a fixture into out.jsonl
norm() {
    local f=$1; shift
    sa-normalize --agent amp --session s1 --metadata '{"agent":"amp"}' "$@" < "$FIX/$f.jsonl" > out.jsonl
}

# norm_lines [FLAGS...] — normalize standard input into out.jsonl
norm_lines() {
    sa-normalize --agent amp --session s1 "$@" > out.jsonl
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

count() { jq -s "[.[] | select($1)] | length" out.jsonl; }

# the documented fixtures (everything but expectations and the observed nokey)
documented() {
    for f in "$FIX"/*.jsonl; do
        case $f in *.expected.jsonl|*/nokey.jsonl) ;; *) basename "$f" .jsonl;; esac
    done
}

S='"session_id":"T-11111111-2222-4333-8444-555555555555"'
INIT="{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/w\",$S,\"tools\":[\"Bash\"],\"mcp_servers\":[]}"
TURN='{"sa":"turn","turn":1,"message":"hi","attachments":[]}'
OK_RESULT="{\"type\":\"result\",\"subtype\":\"success\",\"duration_ms\":10,\"is_error\":false,\"num_turns\":1,\"result\":\"done\",$S}"

@test "amp (hand-written from docs): a text turn gives the hand-written events" {
    norm execute-text
    compare "$FIX/execute-text.expected.jsonl"
}

@test "amp (hand-written from docs): a Bash call and its result give the hand-written events" {
    norm execute-tool
    compare "$FIX/execute-tool.expected.jsonl"
}

@test "amp (hand-written from docs): an error result gives the hand-written events" {
    norm execute-error
    compare "$FIX/execute-error.expected.jsonl"
}

@test "amp (hand-written from docs): two turns in two processes give the hand-written events" {
    norm two-turns
    compare "$FIX/two-turns.expected.jsonl"
}

@test "amp (hand-written from docs): every fixture's events pass the schema checker" {
    for f in $(documented) nokey; do
        norm "$f"
        valid || { echo "$f"; false; }
    done
}

@test "amp (hand-written from docs): no documented fixture gives agent.unparsed" {
    for f in $(documented); do
        norm "$f"
        n=$(count '.type == "agent.unparsed"')
        [ "$n" = 0 ] || { echo "$f: $n agent.unparsed"; false; }
    done
}

@test "amp (hand-written from docs): the thread id on amp's lines is the native session id" {
    norm execute-tool
    [ "$(jq -r 'select(.type == "turn.ended") | .native_session_id' out.jsonl)" = T-0c9d8e7f-1a2b-4c3d-8e4f-5a6b7c8d9e01 ]
}

@test "amp (hand-written from docs): the tool call and its result share the tool_use id" {
    norm execute-tool
    calls=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[] | select(.type == "tool_call") | .call_id]' out.jsonl)
    results=$(jq -sc '[.[] | select(.type == "item.completed") | .data.item.content[] | select(.type == "tool_result") | .call_id]' out.jsonl)
    [ "$calls" = '["toolu_01AmpBash0001"]' ] && [ "$calls" = "$results" ]
}

@test "amp (hand-written lines): the usage of the turn's assistant lines is summed into turn.ended" {
    norm execute-tool
    [ "$(jq -c 'select(.type == "turn.ended") | .data.usage | [.input_tokens, .output_tokens, .cache_read_tokens]' out.jsonl)" = '[34586,45,17266]' ]
}

@test "amp (hand-written lines): an assistant line repeating the same message id and usage is counted once" {
    a="{\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"usage\":{\"input_tokens\":100,\"output_tokens\":7}},$S}"
    printf '%s\n' "$TURN" "$INIT" "$a" "$a" "$OK_RESULT" | norm_lines
    [ "$(jq -c 'select(.type == "turn.ended") | .data.usage | [.input_tokens, .output_tokens]' out.jsonl)" = '[100,7]' ]
}

@test "amp (hand-written lines): a result's own usage and total_cost_usd, when given, make the turn's usage" {
    a="{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"usage\":{\"input_tokens\":100,\"output_tokens\":7}},$S}"
    r="{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":1,\"result\":\"x\",\"usage\":{\"input_tokens\":120,\"output_tokens\":9,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":2},\"total_cost_usd\":0.25,$S}"
    printf '%s\n' "$TURN" "$INIT" "$a" "$r" | norm_lines
    [ "$(jq -c 'select(.type == "turn.ended") | .data.usage' out.jsonl)" = '{"input_tokens":120,"output_tokens":9,"cache_read_tokens":5,"cache_write_tokens":2,"reasoning_tokens":null,"cost_usd":0.25}' ]
}

@test "amp (hand-written lines): a failed tool_result (is_error) is a failed tool_result item" {
    u="{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":[{\"type\":\"text\",\"text\":\"boom\"}],\"is_error\":true}]},$S}"
    printf '%s\n' "$TURN" "$INIT" "$u" "$OK_RESULT" | norm_lines
    [ "$(jq -c 'select(.type == "item.completed" and .data.item.kind == "tool_result") | [.data.item.status, .data.item.content[0].output]' out.jsonl)" = '["failed","boom"]' ]
}

@test "amp (hand-written lines): an error result without an error member takes its message from result" {
    r="{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":true,\"num_turns\":9,\"result\":\"too many turns\",$S}"
    printf '%s\n' "$TURN" "$INIT" "$r" | norm_lines
    [ "$(jq -c 'select(.type == "error") | [.data.message, .data.code]' out.jsonl)" = '["too many turns","error_max_turns"]' ]
}

@test "amp (hand-written lines): a thinking block (--stream-json-thinking) is accepted, not unparsed" {
    a="{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":\"x\"}]},$S}"
    printf '%s\n' "$TURN" "$INIT" "$a" "$OK_RESULT" | norm_lines
    [ "$(count '.type == "agent.unparsed"')" = 0 ]
    valid
}

@test "amp (hand-written lines): the echo of the user's prompt adds no event (sa-normalize makes the user item)" {
    u="{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},\"parent_tool_use_id\":null,$S}"
    printf '%s\n' "$TURN" "$INIT" "$OK_RESULT" | norm_lines
    jq -c 'del(.time, .raw)' out.jsonl > without.jsonl
    printf '%s\n' "$TURN" "$INIT" "$u" "$OK_RESULT" | norm_lines
    jq -c 'del(.time, .raw)' out.jsonl | diff -u without.jsonl -
}

@test "amp (hand-written lines): unknown line types and system subtypes become agent.unparsed and the turn goes on" {
    printf '%s\n' "$TURN" "$INIT" "{\"type\":\"stream_event\",\"event\":{},$S}" \
        "{\"type\":\"system\",\"subtype\":\"status\",$S}" '[1,2]' "$OK_RESULT" | norm_lines
    [ "$(count '.type == "agent.unparsed"')" = 3 ]
    [ "$(count '.type == "turn.ended"')" = 1 ]
    valid
}

@test "amp (hand-written lines): amp's own output alone (amp -x ... --stream-json, no sa lines) still ends its turn" {
    grep -v '^{"sa"' "$FIX/execute-text.jsonl" | norm_lines
    [ "$(count '.type == "turn.ended"')" = 1 ]
    [ "$(count '.type == "item.completed" and .data.item.role == "assistant"')" = 1 ]
    valid
}

@test "amp (observed from the pinned CLI): the login prompt without a key is agent.unparsed, then process_exit" {
    norm nokey
    [ "$(count '.type == "agent.unparsed"')" = 4 ]
    [ "$(jq -r 'select(.type == "error") | .data.code' out.jsonl)" = process_exit ]
    [ "$(jq -r 'select(.type == "session.ended") | .data.reason' out.jsonl)" = error ]
}

@test "amp (hand-written lines): an assistant or user line without a message object is agent.unparsed saying so" {
    printf '%s\n' "$TURN" "$INIT" "{\"type\":\"assistant\",\"message\":\"x\",$S}" "{\"type\":\"user\",$S}" "$OK_RESULT" | norm_lines
    [ "$(jq -sc '[.[] | select(.type == "agent.unparsed") | .data.error]' out.jsonl)" = '["Amp assistant line without a message object","Amp user line without a message object"]' ]
    [ "$(count '.type == "turn.ended"')" = 1 ]
}

# MCP tool names: Amp names them mcp__<server>__<tool>, each part sanitized
# (README fact 15, read from the pinned CLI's code)

@test "amp MCP (hand-written lines): an MCP call, its result and a failed server give the hand-written events" {
    norm execute-mcp --mcp "$FIX/mcp.json"
    compare "$FIX/execute-mcp.expected.jsonl"
}

mcp_call() {
    printf '%s\n' "$TURN" "$INIT" \
        "{\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"$1\",\"input\":{}}]},$S}" \
        "$OK_RESULT"
}
call_name() { jq -r 'select(.type == "item.completed" and .data.item.kind == "tool_call") | .data.item.content[0].name' out.jsonl; }

@test "amp MCP (hand-written lines): mcp__<server>__<tool> is <server>.<tool> with the server's name as --mcp gives it (hyphens back)" {
    mcp_call mcp__search_tools__lookup | norm_lines --mcp "$FIX/mcp.json"
    [ "$(call_name)" = search-tools.lookup ]
}

@test "amp MCP (hand-written lines): of two servers whose sanitized names share a prefix, the longer match names the call" {
    printf '{"strict":false,"servers":{"a":{"type":"local","command":"x"},"a-b":{"type":"local","command":"y"}}}' > m2.json
    mcp_call mcp__a_b__t | norm_lines --mcp m2.json
    [ "$(call_name)" = a-b.t ]
}

@test "amp MCP (hand-written lines): without --mcp, an MCP name is split at the first __ after mcp__" {
    mcp_call mcp__search_tools__look__up | norm_lines
    [ "$(call_name)" = search_tools.look__up ]
}

@test "amp MCP (hand-written lines): a built-in tool's name is unchanged with --mcp" {
    mcp_call Bash | norm_lines --mcp "$FIX/mcp.json"
    [ "$(call_name)" = Bash ]
}

@test "amp MCP (hand-written lines): a connected server in init's mcp_servers adds no status item" {
    i="{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":\"/w\",$S,\"tools\":[],\"mcp_servers\":[{\"name\":\"s\",\"status\":\"connected\"}]}"
    printf '%s\n' "$TURN" "$i" "$OK_RESULT" | norm_lines
    [ "$(count '.data.item.kind? == "status"')" = 0 ]
}
