# amp.jq — sa-normalize mapping program for Amp's stream JSON
# (`amp --execute --stream-json [--stream-json-input]`,
#  also through `amp threads continue ID ...`).  Amp calls the format "Claude
# Code-compatible"; the facts it is built from, each with its source, are in
# tests/fixtures/amp/README.  It could not be checked against a running Amp
# (that needs an ampcode.com account): it follows the documented shapes only.
#
# Input: one native line.  Output: conversions {type, data, synthetic?,
# native_session_id?}.  Stateless, with claude.jq's item and turn
# conventions: Amp has no native item starts and no streaming deltas, so
# sa-normalize merges assistant text into its pending assistant item, gives
# ids, synthesizes starts and one full-text delta, and drops the duplicate
# session.started; every line's session_id (the thread id, T-<uuid>) is the
# native session id.
#
#   system/init              → session.started (metadata = the line; dropped as
#                              a duplicate, but it carries the native session id),
#                              and a status item "mcp" ("<server>: <status>") for
#                              each mcp_servers entry that is not connected
#   assistant                → text/thinking blocks: assistant message item.started
#                              (merged into the pending item, which keeps only
#                              text, as for claude; thinking blocks come only
#                              with --stream-json-thinking, which sa-spawn does
#                              not pass); tool_use:
#                              tool_call item.completed (parent = message id when
#                              there is one); message.usage: turn.usage added to
#                              the turn's (input/output tokens, cache reads =
#                              cache_read_input_tokens, cache writes =
#                              cache_creation_input_tokens; a line repeating the
#                              previous line's message id and usage is not
#                              counted twice)
#                              MCP tools, which Amp names mcp__<server>__<tool>
#                              (each part sanitized: see amp_ident), are tool_calls
#                              named "<server>.<tool>" with the server's name as
#                              sa-normalize --mcp gives it (mcp_servers) when one
#                              matches, else the text up to the next "__"
#   user tool_result blocks  → tool_result item.completed (failed if is_error)
#   user text only           → nothing (Amp's echo of the prompt; sa-normalize
#                              makes the user item from sa-spawn's turn line)
#   result                   → assistant item.completed (text = result, failed when
#                              is_error), an error event when is_error (message =
#                              error, else result; code = subtype), then a
#                              synthetic turn.ended (metadata: subtype, is_error,
#                              num_turns, duration_ms; usage: the result's own
#                              usage when it has one, else the assistant lines'
#                              sum; total_cost_usd, if Amp gives one, as a
#                              running total in usage_cumulative)
#   anything else            → agent.unparsed (lines that are not JSON, such as
#                              the login prompt amp prints without a key, become
#                              agent.unparsed in sa-normalize's C before jq)

def nsid: (.session_id // null) | if type == "string" then . else null end;
def unparsed($why): {type: "agent.unparsed", data: {error: $why, location: "amp.stdout"}, synthetic: true};
def num: if type == "number" then . else null end;
def text_of: if type == "string" then .
             elif type == "array" then [.[] | if type == "object" and .type == "text" then (.text // "" | tostring)
                                              elif type == "string" then . else tojson end] | join("\n")
             elif . == null then "" else tojson end;

def usage_of: {input_tokens: (.input_tokens | num), output_tokens: (.output_tokens | num),
               cache_read_tokens: (.cache_read_input_tokens | num),
               cache_write_tokens: (.cache_creation_input_tokens | num),
               reasoning_tokens: null, cost_usd: null};

# Amp's form of an MCP server or tool name in its tool names: runs of
# whitespace and "-" become "_", any other character outside [A-Za-z0-9_-]
# "_", runs of "_" one, and "_" at either end is dropped.
def amp_ident: gsub("[\\s-]+"; "_") | gsub("[^a-zA-Z0-9_-]"; "_") | gsub("_+"; "_") | sub("^_"; "") | sub("_$"; "");

# mcp__<server>__<tool> → <server>.<tool>; other names unchanged
def mcp_name:
  . as $n
  | if startswith("mcp__") then
      ([mcp_servers[] | select(type == "string") | {name: ., id: amp_ident}
        | .id as $id | select($id != "" and ($n | startswith("mcp__" + $id + "__")))] | max_by(.id | length)) as $s
      | if $s then $s.name + "." + $n[(7 + ($s.id | length)):]
        else ($n[5:] | index("__")) as $i
             | if $i then $n[5:5 + $i] + "." + $n[7 + $i:] else $n end end
    else $n end;

def mcp_status:
  (.mcp_servers // [])[] | select(type == "object" and .status != "connected")
  | {type: "item.completed",
     data: {item: {item_id: "", native_item_id: null, parent_id: null, kind: "status", role: "system",
                   content: [{type: "status", label: "mcp", detail: ((.name // "?" | tostring) + ": " + (.status // "?" | tostring))}],
                   status: "completed"}}};

def tool_call($parent):
  (.id // "" | tostring) as $id
  | {type: "item.completed",
     data: {item: {item_id: "", native_item_id: $id, parent_id: $parent, kind: "tool_call", role: "assistant",
                   content: [{type: "tool_call", name: (.name // "unknown" | tostring | mcp_name),
                              arguments: (.input // null | tojson), call_id: $id}],
                   status: "completed"}}};

def tool_result:
  (.tool_use_id // "" | tostring) as $id
  | {type: "item.completed",
     data: {item: {item_id: "", native_item_id: $id, parent_id: null, kind: "tool_result", role: "tool",
                   content: [{type: "tool_result", call_id: $id, output: (.content | text_of)}],
                   status: (if .is_error == true then "failed" else "completed" end)}}};

def part:
  if .type == "text" then {type: "text", text: (.text // "" | tostring)}
  elif .type == "thinking" then {type: "reasoning", text: (.thinking // "" | tostring), visibility: "public"}
  else {type: "json", json: .} end;

def assistant:
  (.message.id // null) as $mid
  | [.message.content // [] | if type == "array" then .[] else empty end | select(type == "object")] as $blocks
  | [$blocks[] | select(.type != "tool_use") | part] as $parts
  | (if ($parts | length) > 0 then
       {type: "item.started",
        data: {item: {item_id: "", native_item_id: $mid, parent_id: null, kind: "message",
                      role: "assistant", content: $parts, status: "in_progress"}}}
     else empty end),
    ($blocks[] | select(.type == "tool_use") | tool_call($mid)),
    (if (.message.usage | type) == "object" then
       {type: "turn.usage", data: {usage: (.message.usage | usage_of),
                                   total: {message_id: $mid, usage: .message.usage}}}
     else empty end);

def result:
  . as $r
  | (.is_error == true) as $failed
  | {type: "item.completed",
     data: {item: {item_id: "", native_item_id: null, parent_id: null, kind: "message", role: "assistant",
                   content: (if (.result | type) == "string" then [{type: "text", text: .result}] else [] end),
                   status: (if $failed then "failed" else "completed" end)}}},
    (if $failed then
       {type: "error",
        data: {message: (.error // .result // ("Amp turn failed: " + (.subtype // "error" | tostring)) | text_of),
               code: (.subtype // "result_error" | tostring),
               details: {subtype: .subtype, error: .error, num_turns: .num_turns, duration_ms: .duration_ms}}}
     else empty end),
    ({type: "turn.ended", synthetic: true,
      data: {phase: "ended",
             metadata: {subtype: .subtype, is_error: .is_error, num_turns: .num_turns, duration_ms: .duration_ms}}}
     | if ($r.usage | type) == "object" then .data.usage = ($r.usage | usage_of) else . end
     | if ($r.total_cost_usd | type) == "number" then .data.usage_cumulative = {cost_usd: $r.total_cost_usd}
       else . end);

if type != "object" then unparsed("not a JSON object")
else
  nsid as $sid
  | (.type // "") as $t
  | (if $t == "system" then
       if .subtype == "init" then {type: "session.started", data: {metadata: .}}, mcp_status
       else unparsed("unsupported Amp system subtype: " + (.subtype | tostring)) end
     elif ($t == "assistant" or $t == "user") and (.message | type) != "object" then
       unparsed("Amp " + $t + " line without a message object")
     elif $t == "assistant" then assistant
     elif $t == "user" then
       .message.content | if type == "array" then .[] | select(type == "object" and .type == "tool_result") | tool_result
                          else empty end
     elif $t == "result" then result
     else unparsed("unsupported Amp line type: " + ($t | tostring)) end)
  | . + {native_session_id: $sid}
end
