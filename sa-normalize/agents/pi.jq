# pi.jq — sa-normalize mapping program for the Pi coding agent
# (@mariozechner/pi-coding-agent 0.73.1): `pi --mode rpc` as sa-spawn runs
# it (sa-spawn --agent pi, with sa's extension pi-extension.ts), and
# `pi --mode json` (the same events, a session header first, no responses
# and no extension dialogs).
#
# Input: one native line.  Output: conversions {type, data, synthetic?,
# native_session_id?}.  Stateless; sa-normalize gives item ids, adds item
# starts it did not see, keeps the token usage of a turn until its
# turn.ended (conversion type "turn.usage", added up per turn, never
# emitted) and drops the duplicate session.started.
#
# Pi's lines carry no item ids.  A message is known by its role and its
# "timestamp" (ms; message_update has it in .message and in
# assistantMessageEvent.partial), a content block by the message's
# timestamp and its contentIndex, a tool call by its id.
#
# Events ({type, ...}):
#   session            (json mode header) → session.started {metadata
#                      {version, cwd, timestamp}}; native session id = .id
#   agent_start        → turn.started (one per prompt: Pi's "agent run")
#   agent_end          → turn.ended {metadata {stop_reason: of the last
#                      assistant message, status: "failed" when it is
#                      error, "aborted" when aborted, else "completed"}}
#   turn_start         → nothing (Pi's turn is one model call, a step of
#                      ours; its end carries the usage)
#   turn_end           → turn.usage of its assistant message: usage.input →
#                      input_tokens, output, cacheRead → cache_read_tokens,
#                      cacheWrite → cache_write_tokens, cost.total → cost_usd
#   message_start      → nothing (the blocks start with their own updates;
#                      user and tool-result messages are taken at their end)
#   message_update     by assistantMessageEvent.type:
#     text_start       → message/assistant item.started (native id
#                        "<timestamp>:<contentIndex>")
#     text_delta       → item.delta of that item
#     text_end         → its item.completed with the whole text (.content)
#     thinking_start/_delta/_end → the same, a reasoning part (public)
#     toolcall_start   → tool_call item.started (native id = the call id,
#                        from partial.content[contentIndex])
#     toolcall_end     → tool_call item.completed {name, arguments = JSON of
#                        toolCall.arguments, call_id}; an MCP tool of sa's
#                        extension (mcp__<server>__<tool>) is named
#                        "<server>.<tool>"
#     toolcall_delta, start, done, error → nothing (argument fragments; the
#                        message's end says how it ended)
#   message_end        user → message/user item.completed (native id
#                      "user:<timestamp>"; text blocks, image blocks as image
#                      parts); assistant with stopReason "error" → error
#                      {message = errorMessage, code "pi.model_error",
#                      details {provider, model, api}}; stopReason "aborted"
#                      → status item "aborted"; other roles (toolResult,
#                      custom, bashExecution) → nothing (the tool result
#                      comes from tool_execution_end)
#   tool_execution_start → tool_result item.started (native id = the call id;
#                      sa-normalize keeps call and result two items)
#   tool_execution_update → nothing (partialResult is the output so far; the
#                      end carries all of it)
#   tool_execution_end → tool_result item.completed {call_id, output = the
#                      text blocks of result.content}, failed when isError
#                      (a tool the permission gate blocked is one: its output
#                      is the gate's reason), then a json part with
#                      result.details when it has any
#   queue_update       → status item "queue" (detail {steering, followUp})
#   compaction_start   → status item "compaction_start" (detail: reason)
#   compaction_end     → status item "compaction" (detail {reason, aborted,
#                      willRetry, tokensBefore}); with errorMessage an error
#                      {code "pi.compaction_failed"} instead
#   auto_retry_start   → status item "retry" ("attempt A/M in Dms: message")
#   auto_retry_end     → status item "retry.succeeded" / "retry.failed"
#                      (a final failure's error event comes from the
#                      assistant message that ends with stopReason error)
#   extension_error    → error {code "pi.extension_error", message "extension
#                      P failed in E: ERROR"}
#   extension_ui_request (rpc) by method:
#     select titled "sa:permission {tool, toolCallId, input}" (sa's gate)
#                      → permission.requested {permission_id = id, action =
#                        tool, metadata {tool, toolCallId, input}}
#     input titled "sa:question {toolCallId, questions}" (sa's question tool)
#                      → question.requested {question_id = id, prompt and
#                        option labels of questions[0]}
#     select / confirm / input / editor (any other extension's dialogs)
#                      → question.requested (prompt = title [+ message];
#                        options: select's, confirm's "Yes"/"No", none for
#                        input and editor)
#     notify, setStatus, setWidget, setTitle, set_editor_text (fire and
#                      forget) → status item "pi.<method>" with its text
#   response (rpc)     get_state → session.started {metadata {model,
#                      provider, session_file, thinking_level}}; native
#                      session id = data.sessionId; success false → error
#                      {code "pi.command_failed", message = .error, details
#                      {command}}; other successes → nothing
#   any other type     → status item "pi.<type>" (detail: the line)
# Anything that is not a JSON object with a "type" string → agent.unparsed.

def unparsed($why): {type: "agent.unparsed", data: {error: $why, location: "pi.stdout"}, synthetic: true};
def str: if type == "string" then . elif . == null then "" else tojson end;
def strornull: if type == "string" then . elif . == null then null else tojson end;
def strval: if type == "string" then . else null end;

def item($ev; $nid; $kind; $role; $content; $status):
  {type: $ev, data: {item: {item_id: "", native_item_id: $nid, parent_id: null, kind: $kind, role: $role,
                            content: $content, status: $status}}};
def status_part($lbl; $detail): {type: "status", label: $lbl, detail: ($detail | strornull)};
def status_item($lbl; $detail):
  item("item.completed"; null; "status"; "system"; [status_part($lbl; $detail)]; "completed");

# Pi content ([blocks] or a string) → universal parts
def content_parts:
  if type == "string" then (if . == "" then [] else [{type: "text", text: .}] end)
  elif type == "array" then
    [.[] | select(type == "object")
     | if .type == "text" and (.text | type) == "string" then {type: "text", text: .text}
       elif .type == "image" then {type: "image", path: "attachment", mime: (.mimeType // null)}
       else empty end]
  else [] end;
def content_text: [content_parts[] | select(.type == "text") | .text] | join("");

def usage: (.usage // {}) as $u
  | {input_tokens: $u.input, output_tokens: $u.output, cache_read_tokens: $u.cacheRead,
     cache_write_tokens: $u.cacheWrite, cost_usd: $u.cost.total};

# sa's extension registers MCP tools as mcp__<server>__<tool> → <server>.<tool>
def mcp_name:
  . as $n
  | if startswith("mcp__") then
      ([mcp_servers[] as $m | select($n | startswith("mcp__" + $m + "__")) | $m] | max_by(length)) as $s
      | if $s then $s + "." + $n[(7 + ($s | length)):]
        else ($n[5:] | index("__")) as $i
             | if $i then $n[5:5 + $i] + "." + $n[7 + $i:] else $n end end
    else $n end;

def block_id($m; $i): (($m.timestamp // 0) | tostring) + ":" + ($i // 0 | tostring);

def update:
  (.assistantMessageEvent // {}) as $e
  | (.message // $e.partial // {}) as $m
  | ($e.type // "") as $t
  | block_id($m; $e.contentIndex) as $nid
  | if $t == "text_start" then item("item.started"; $nid; "message"; "assistant"; []; "in_progress")
    elif $t == "text_delta" or $t == "thinking_delta" then
      {type: "item.delta", data: {item_id: "", native_item_id: $nid, delta: ($e.delta | str)}}
    elif $t == "text_end" then
      item("item.completed"; $nid; "message"; "assistant";
           (if ($e.content | type) == "string" and $e.content != "" then [{type: "text", text: $e.content}] else [] end);
           "completed")
    elif $t == "thinking_start" then item("item.started"; $nid; "message"; "assistant"; []; "in_progress")
    elif $t == "thinking_end" then
      item("item.completed"; $nid; "message"; "assistant";
           (if ($e.content | type) == "string" and $e.content != "" then
              [{type: "reasoning", text: $e.content, visibility: "public"}] else [] end);
           "completed")
    elif $t == "toolcall_start" then
      (($e.partial // $m).content[$e.contentIndex // 0] // {}) as $c
      | item("item.started"; ($c.id | strval); "tool_call"; "assistant";
             [{type: "tool_call", name: ($c.name // "tool" | tostring), arguments: "",
               call_id: ($c.id // "" | tostring)}]; "in_progress")
    elif $t == "toolcall_end" then
      ($e.toolCall // {}) as $c
      | item("item.completed"; ($c.id | strval); "tool_call"; "assistant";
             [{type: "tool_call", name: ($c.name // "tool" | tostring | mcp_name), arguments: ($c.arguments // {} | tojson),
               call_id: ($c.id // "" | tostring)}]; "completed")
    else empty end;

def message_end:
  (.message // {}) as $m
  | if $m.role == "user" then
      item("item.completed"; "user:" + ($m.timestamp // 0 | tostring); "message"; "user";
           ($m.content | content_parts); "completed")
    elif $m.role == "assistant" then
      if $m.stopReason == "error" then
        {type: "error",
         data: {message: ($m.errorMessage // "the model request failed" | str), code: "pi.model_error",
                details: {provider: ($m.provider // null), model: ($m.model // null), api: ($m.api // null)}}}
      elif $m.stopReason == "aborted" then status_item("aborted"; $m.errorMessage // "aborted")
      else empty end
    else empty end;

def tool_end:
  (.result // {}) as $r
  | item("item.completed"; (.toolCallId | strval); "tool_result"; "tool";
         [{type: "tool_result", call_id: (.toolCallId // "" | tostring), output: ($r.content | content_text)}]
         + (if ($r.details | type) == "object" and ($r.details | length) > 0 then [{type: "json", json: $r.details}]
            else [] end);
         (if .isError == true then "failed" else "completed" end));

def agent_end:
  ([(.messages // [])[] | select(type == "object" and .role == "assistant")] | last // {}) as $a
  | {type: "turn.ended",
     data: {phase: "ended",
            metadata: {stop_reason: ($a.stopReason // null),
                       status: (if $a.stopReason == "error" then "failed" elif $a.stopReason == "aborted" then "aborted"
                                else "completed" end)}}};

def sa_title($pre): (.title // "") | if startswith($pre) then .[($pre | length):] | (try fromjson catch null) else null end;

def question($prompt; $options):
  {type: "question.requested",
   data: {question_id: (.id // "" | tostring), prompt: ($prompt | str), options: $options, response: null,
          status: "requested"}};

def ui_request:
  (.method // "") as $m
  | if $m == "select" and ((.title // "") | startswith("sa:permission ")) then
      (sa_title("sa:permission ") // {}) as $p
      | {type: "permission.requested",
         data: {permission_id: (.id // "" | tostring), action: ($p.tool // "tool" | tostring), status: "requested",
                metadata: {tool: ($p.tool // null), toolCallId: ($p.toolCallId // null), input: ($p.input // null)}}}
    elif $m == "input" and ((.title // "") | startswith("sa:question ")) then
      ((sa_title("sa:question ") // {}).questions // [])[0] as $q
      | question(($q.question // $q.header // ""); [($q.options // [])[] | if type == "object" then (.label // "" | tostring) else tostring end])
    elif $m == "select" then question(.title; [(.options // [])[] | tostring])
    elif $m == "confirm" then
      question(((.title // "") + (if (.message // "") != "" then "\n" + .message else "" end)); ["Yes", "No"])
    elif $m == "input" or $m == "editor" then question(.title; [])
    elif $m == "notify" then status_item("pi.notify"; ((.notifyType // "info") + ": " + (.message // "" | str)))
    elif $m == "setStatus" then status_item("pi.setStatus"; ((.statusKey // "" | str) + ": " + (.statusText // "" | str)))
    elif $m == "setWidget" then status_item("pi.setWidget"; ((.widgetKey // "" | str) + ": " + ((.widgetLines // []) | map(str) | join("\n"))))
    elif $m == "setTitle" then status_item("pi.setTitle"; .title)
    elif $m == "set_editor_text" then status_item("pi.set_editor_text"; .text)
    else status_item("pi.ui." + ($m | tostring); .) end;

def response:
  if .success != true then
    {type: "error", data: {message: (.error // "pi refused a command" | str), code: "pi.command_failed",
                           details: {command: (.command // null), id: (.id // null)}}}
  elif .command == "get_state" then
    (.data // {}) as $d
    | {type: "session.started",
       data: {metadata: {model: ($d.model.id // null), provider: ($d.model.provider // null),
                         session_file: ($d.sessionFile // null), thinking_level: ($d.thinkingLevel // null)}},
       native_session_id: ($d.sessionId | strval)}
  else empty end;

if type != "object" then unparsed("not a JSON object")
elif (.type | type) != "string" then unparsed("not a pi event (no \"type\")")
else
  .type as $t
  | if $t == "message_update" then update
    elif $t == "message_end" then message_end
    elif $t == "message_start" or $t == "turn_start" or $t == "tool_execution_update" then empty
    elif $t == "tool_execution_start" then
      item("item.started"; (.toolCallId | strval); "tool_result"; "tool";
           [{type: "tool_result", call_id: (.toolCallId // "" | tostring), output: ""}]; "in_progress")
    elif $t == "tool_execution_end" then tool_end
    elif $t == "turn_end" then {type: "turn.usage", data: {usage: (.message // {} | usage)}}
    elif $t == "agent_start" then {type: "turn.started", data: {phase: "started"}}
    elif $t == "agent_end" then agent_end
    elif $t == "session" then
      {type: "session.started", data: {metadata: {version: (.version // null), cwd: (.cwd // null),
                                                 timestamp: (.timestamp // null)}},
       native_session_id: (.id | strval)}
    elif $t == "response" then response
    elif $t == "extension_ui_request" then ui_request
    elif $t == "queue_update" then status_item("queue"; {steering, followUp})
    elif $t == "compaction_start" then status_item("compaction_start"; .reason)
    elif $t == "compaction_end" then
      if (.errorMessage // null) != null then
        {type: "error", data: {message: (.errorMessage | str), code: "pi.compaction_failed", details: {reason}}}
      else status_item("compaction"; {reason, aborted, willRetry, tokensBefore: (.result.tokensBefore // null)}) end
    elif $t == "auto_retry_start" then
      status_item("retry"; ("attempt " + (.attempt // "?" | tostring) + "/" + (.maxAttempts // "?" | tostring)
                            + " in " + (.delayMs // "?" | tostring) + "ms: " + (.errorMessage // "" | str)))
    elif $t == "auto_retry_end" then
      if .success == true then status_item("retry.succeeded"; "attempt " + (.attempt // "?" | tostring))
      else status_item("retry.failed"; (.finalError // "" | str)) end
    elif $t == "extension_error" then
      {type: "error",
       data: {message: ("extension " + (.extensionPath // "?" | str) + " failed in " + (.event // "?" | str) + ": "
                        + (.error // "" | str)),
              code: "pi.extension_error", details: {extensionPath, event}}}
    else status_item("pi." + $t; .) end
end
