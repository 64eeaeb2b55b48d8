# claude.jq — sa-normalize mapping program for Claude Code stream-json
# (`claude -p --output-format stream-json --verbose [--include-partial-messages]
#  --input-format stream-json --permission-prompt-tool stdio`).
#
# Input: one native line.  Output: conversions {type, data, synthetic?,
# native_session_id?, link?}.  Stateless: sa-normalize merges assistant text
# into its pending assistant item (claude has no native item starts), gives
# ids, synthesizes starts/deltas and drops the duplicate session.started.
#
#   system/init                 → session.started (metadata = the line; dropped as
#                                 a duplicate, but it carries the native session id),
#                                 and a status item "mcp" ("<server>: <status>") for
#                                 each MCP server that is not connected
#   MCP tools (mcp__<server>__<tool>) are tool_calls named "<server>.<tool>"
#   (the server from --mcp's names when one matches, else the text up to
#   the next "__"); the native name stays in raw
#   assistant                   → text/thinking/other blocks: assistant message
#                                 item.started (merged into the pending item);
#                                 tool_use: tool_call item.completed (parent = message
#                                 id), plus question.requested for AskUserQuestion /
#                                 ExitPlanMode or any input with "questions"
#   stream_event text deltas    → item.delta (other stream events are ignored;
#                                 an API "error" stream event → error)
#   user tool_result blocks     → tool_result item.completed (failed if is_error)
#   todo tools                  → a status item todo.updated with the whole list
#                                 (sa-normalize's C keeps it): TodoWrite's input is
#                                 the list (todo.list); TaskCreate / TaskUpdate
#                                 (todo.call) change one task when the user line's
#                                 tool_use_result confirms it (todo.result: the new
#                                 task's id, success); TaskList's result replaces
#                                 the list
#   tool_use / tool_result      → same as inside assistant / user lines
#   control_request can_use_tool→ permission.requested, metadata {toolName, input,
#                                 permissionSuggestions, blockedPath}; link = tool_use_id
#   system/api_retry            → status item.completed, label "api_retry", detail
#                                 "API request failed: ERROR[ (HTTP N)]; retry A of
#                                 M in D ms" (claude retries for minutes when it
#                                 cannot reach its API: this shows it at once)
#   result                      → assistant item.completed (text = result), an
#                                 error event when is_error (code "api_error" for
#                                 an API failure, with or without an HTTP status;
#                                 an "error_*" subtype as it is; else
#                                 "result_error": never claude's "success"),
#                                 synthetic turn.ended
#                                 (usage: input/output tokens, cache reads =
#                                 cache_read_input_tokens, cache writes =
#                                 cache_creation_input_tokens; reasoning tokens
#                                 unknown → null; total_cost_usd is the process's
#                                 running total, so it goes in usage_cumulative and
#                                 sa-normalize makes the turn's cost of it)
#   subagents (the Agent tool, "Task" in the init line's tool list): every
#     line with a parent_tool_use_id is the subagent's; its items get that
#     tool_use id as parent (sa-normalize maps it to the Agent call's item):
#     its prompt (a user text line) → user message item, its text/thinking →
#     an assistant message item of its own (never merged into the parent's
#     pending text), its tool_use / tool_result → tool_call / tool_result;
#     its stream events are ignored (the completed lines carry the text)
#   system/task_started         → internal subagent.start {id: task_id, name:
#     (local_agent tasks only)     subagent_type, description, call_id:
#                                  tool_use_id}; system/task_notification →
#                                  internal subagent.end {id, status}
#                                  (sa-normalize makes subagent.updated status
#                                  items; ends of unknown ids, e.g. background
#                                  shells, are dropped)
#   ignored (no event): system/status and other known system notices,
#     control_response, control_cancel_request, keep_alive,
#     update_environment_variables, rate_limit_event, user lines without
#     tool results
#   anything else               → agent.unparsed
#
# sa-fast-path: claude
# (sa-normalize maps this program's text deltas in C, without jq, exactly as
# the delta branch below does: keep the two in step; sa-normalize(1) FAST PATH.)

# The tool lists come from claude.json (sa-normalize defines agent_desc).
def question_tools: agent_desc.question_tools // [];
def plan_tools: agent_desc.plan_tools // [];
def ignored_system: ["status", "compact_boundary", "hook_started", "hook_progress", "hook_response",
                     "informational", "local_command_output", "task_progress", "task_updated"];
def ignored_stream: ["message_start", "content_block_start", "content_block_stop", "message_delta",
                     "message_stop", "ping"];

def member($list): . as $x | $list | any(. == $x);
def nsid: (.session_id // .sessionId // null) | if type == "string" then . else null end;
def unparsed($why): {type: "agent.unparsed", data: {error: $why, location: "claude.stdout"}, synthetic: true};
def text_of: if type == "string" then .
             elif type == "array" then [.[] | if type == "object" and .type == "text" then .text
                                              elif type == "string" then . else tojson end] | join("\n")
             elif . == null then "" else tojson end;

def question($id; $name; $input):
  if ($input | type) == "object" and ($input.questions | type) == "array" and ($input.questions | length) > 0 then
    {type: "question.requested",
     data: {question_id: $id, prompt: ($input.questions[0].question // "" | tostring),
            options: [($input.questions[0].options // [])[] | if type == "object" then (.label // "" | tostring) else tostring end],
            response: null, status: "requested"}}
  elif ($name | member(plan_tools)) then
    {type: "question.requested",
     data: {question_id: $id, prompt: "Approve plan execution?", options: ["approve", "reject"],
            response: null, status: "requested"}}
  else empty end;

# mcp__<server>__<tool> → <server>.<tool>; other names unchanged
def mcp_name:
  . as $n
  | if startswith("mcp__") then
      ([mcp_servers[] as $m | select($n | startswith("mcp__" + $m + "__")) | $m] | max_by(length)) as $s
      | if $s then $s + "." + $n[(7 + ($s | length)):]
        else ($n[5:] | index("__")) as $i
             | if $i then $n[5:5 + $i] + "." + $n[7 + $i:] else $n end end
    else $n end;

def mcp_status:
  (.mcp_servers // [])[] | select(type == "object" and .status != "connected")
  | {type: "item.completed",
     data: {item: {item_id: "", native_item_id: null, parent_id: null, kind: "status", role: "system",
                   content: [{type: "status", label: "mcp", detail: ((.name // "?" | tostring) + ": " + (.status // "?" | tostring))}],
                   status: "completed"}}};

# Todo lists (internal conversions, sa-normalize(1)): TodoWrite gives the
# whole list; TaskCreate / TaskUpdate change one task once their result says
# so (todo.call now, todo.result with the user line's tool_use_result).
def todo_call($id; $name; $input):
  if ($input | type) != "object" then empty
  elif $name == "TodoWrite" and ($input.todos | type) == "array" then
    {type: "todo.list", data: {todos: [$input.todos[] | select(type == "object")
                                       | {content: (.content // .subject // "" | tostring), status,
                                          priority: (.priority // null)}]}}
  elif $name == "TaskCreate" then
    {type: "todo.call", data: {call_id: $id, op: "add", task: {content: ($input.subject // $input.description // "" | tostring)}}}
  elif $name == "TaskUpdate" then
    {type: "todo.call", data: {call_id: $id, op: "update",
                               task: {id: $input.taskId, content: $input.subject, status: $input.status}}}
  else empty end;

def todo_result:
  (.tool_use_result // null) as $r
  | if ($r | type) == "object" and ($r | has("task") or has("taskId") or has("tasks")) then
      ([.message.content // [] | .[]? | select(type == "object" and .type == "tool_result")][0] // {}) as $b
      | {type: "todo.result",
         data: ({call_id: ($b.tool_use_id // "" | tostring), ok: ($b.is_error != true and $r.success != false),
                 id: ($r.task.id // $r.taskId // null)}
                + (if ($r.tasks | type) == "array"
                   then {tasks: [$r.tasks[] | select(type == "object")
                                 | {id, content: (.subject // .content // "" | tostring), status}]}
                   else {} end))}
    else empty end;

def tool_call($parent):
  (.id // "" | tostring) as $id | (.name // "unknown" | tostring) as $name | (.input // null) as $input
  | (if ($name | member(question_tools)) or (($input | type) == "object" and ($input | has("questions")))
     then question($id; $name; $input) else empty end),
    todo_call($id; $name; $input),
    {type: "item.completed",
     data: {item: {item_id: "", native_item_id: $id, parent_id: $parent, kind: "tool_call", role: "assistant",
                   content: [{type: "tool_call", name: ($name | mcp_name), arguments: ($input | tojson), call_id: $id}],
                   status: "completed"}}};

def tool_result($parent):
  (.tool_use_id // .toolUseId // .id // "" | tostring) as $id
  | {type: "item.completed",
     data: {item: {item_id: "", native_item_id: $id, parent_id: $parent, kind: "tool_result", role: "tool",
                   content: [{type: "tool_result", call_id: $id, output: (.content | text_of)}],
                   status: (if .is_error == true then "failed" else "completed" end)}}};

def part:
  if .type == "text" then {type: "text", text: (.text // "")}
  elif .type == "thinking" then {type: "reasoning", text: (.thinking // ""), visibility: "public"}
  else {type: "json", json: .} end;

def assistant:
  (.message.id // null) as $mid
  | [.message.content // [] | .[] | select(type == "object")] as $blocks
  | [$blocks[] | select(.type != "tool_use") | part] as $parts
  | (if ($parts | length) > 0 then
       {type: "item.started",
        data: {item: {item_id: "", native_item_id: $mid, parent_id: null, kind: "message",
                      role: "assistant", content: $parts, status: "in_progress"}}}
     else empty end),
    ($blocks[] | select(.type == "tool_use") | tool_call($mid));

# A subagent's line ($sub: the Agent call's tool_use id): its own items,
# each with the Agent call as parent.
def message_item($nid; $parent; $role; $parts):
  {type: "item.completed",
   data: {item: {item_id: "", native_item_id: $nid, parent_id: $parent, kind: "message",
                 role: $role, content: $parts, status: "completed"}}};

def sub_assistant($sub):
  [.message.content // [] | .[] | select(type == "object")] as $blocks
  | [$blocks[] | select(.type != "tool_use") | part] as $parts
  | (if ($parts | length) > 0
     then message_item(.uuid // ((.message.id // "sub") + ":" + $sub); $sub; "assistant"; $parts)
     else empty end),
    ($blocks[] | select(.type == "tool_use") | tool_call($sub));

def sub_user($sub):
  (.message.content // null) as $c
  | if ($c | type) == "array" and any($c[]; type == "object" and .type == "tool_result") then
      ($c[] | select(type == "object" and .type == "tool_result") | tool_result($sub)), todo_result
    elif ($c | text_of) != "" then message_item(.uuid // null; $sub; "user"; [{type: "text", text: ($c | text_of)}])
    else empty end;

def task_started:
  if .task_type == "local_agent" or (.subagent_type | type) == "string" then
    {type: "subagent.start",
     data: {id: (.task_id // .tool_use_id // "" | tostring), call_id: .tool_use_id,
            name: (.subagent_type // .task_type // "subagent" | tostring),
            description: .description, prompt: .prompt}}
  else empty end;

def stream_event:
  (.event // {}) as $e
  | if $e.type == "content_block_delta" then
      if ($e.delta.text | type) == "string" and $e.delta.text != "" then
        {type: "item.delta", data: {item_id: "", native_item_id: null, delta: $e.delta.text}}
      else empty end                      # input_json / thinking / signature deltas
    elif ($e.type | member(ignored_stream)) then empty
    elif $e.type == "error" then
      {type: "error", data: {message: ($e.error.message // "stream error" | tostring),
                             code: ($e.error.type // "stream_error" | tostring), details: $e}}
    else unparsed("unsupported Claude stream event: " + ($e.type | tostring)) end;

def control_request:
  if .request.subtype == "can_use_tool" then
    {type: "permission.requested",
     data: {permission_id: (.request_id | tostring), action: (.request.tool_name // "unknown"),
            status: "requested",
            metadata: {toolName: (.request.tool_name // "unknown"), input: (.request.input // null),
                       permissionSuggestions: (.request.permission_suggestions // null),
                       blockedPath: (.request.blocked_path // null)}},
     link: .request.tool_use_id}
  else unparsed("unsupported Claude control_request subtype: " + (.request.subtype | tostring)) end;

def api_retry:
  {type: "item.completed",
   data: {item: {item_id: "", native_item_id: (.uuid // null), parent_id: null, kind: "status", role: "system",
                 content: [{type: "status", label: "api_retry",
                            detail: ("API request failed: " + (.error // "unknown" | tostring)
                                     + (if .error_status != null then " (HTTP " + (.error_status | tostring) + ")" else "" end)
                                     + "; retry " + (.attempt // "?" | tostring) + " of " + (.max_retries // "?" | tostring)
                                     + (if (.retry_delay_ms | type) == "number"
                                        then " in " + (.retry_delay_ms | floor | tostring) + " ms" else "" end))}],
                 status: "completed"}}};

# The code of a failed result's error event: never claude's own subtype
# "success" (which a failed turn still carries).
def result_code:
  if .api_error_status != null or ((.result | type) == "string" and (.result | startswith("API Error")))
  then "api_error"
  elif (.subtype | type) == "string" and (.subtype | startswith("error")) then .subtype
  else "result_error" end;

def result:
  {type: "item.completed",
   data: {item: {item_id: "", native_item_id: null, parent_id: null, kind: "message", role: "assistant",
                 content: (if (.result | type) == "string" then [{type: "text", text: .result}] else [] end),
                 status: (if .is_error == true then "failed" else "completed" end)}}},
  (if .is_error == true then
     {type: "error",
      data: {message: (.result // ("Claude turn failed: " + (.subtype // "error" | tostring)) | tostring),
             code: result_code,
             details: {subtype: .subtype, api_error_status: .api_error_status, stop_reason: .stop_reason,
                       terminal_reason: .terminal_reason}}}
   else empty end),
  {type: "turn.ended", synthetic: true,
   data: {phase: "ended",
          metadata: {subtype: .subtype, is_error: .is_error, stop_reason: .stop_reason,
                     num_turns: .num_turns, duration_ms: .duration_ms, total_cost_usd: .total_cost_usd},
          usage: ((.usage // {}) as $u
                  | {input_tokens: $u.input_tokens, output_tokens: $u.output_tokens,
                     cache_read_tokens: $u.cache_read_input_tokens,
                     cache_write_tokens: $u.cache_creation_input_tokens,
                     reasoning_tokens: null, cost_usd: null}),
          usage_cumulative: {cost_usd: .total_cost_usd}}};

if type != "object" then unparsed("not a JSON object")
else
  nsid as $sid
  | (.parent_tool_use_id | if type == "string" and . != "" then . else null end) as $sub
  | (.type // "") as $t
  | (if $t == "system" then
       if .subtype == "init" then {type: "session.started", data: {metadata: .}}, mcp_status
       elif .subtype == "api_retry" then api_retry
       elif .subtype == "task_started" then task_started
       elif .subtype == "task_notification" then
         {type: "subagent.end", data: {id: (.task_id // "" | tostring), status: (.status // "completed"), summary: .summary}}
       elif (.subtype | member(ignored_system)) then empty
       else unparsed("unsupported Claude system subtype: " + (.subtype | tostring)) end
     elif $sub != null and $t == "assistant" then sub_assistant($sub)
     elif $sub != null and $t == "user" then sub_user($sub)
     elif $sub != null and $t == "stream_event" then empty
     elif $t == "assistant" then assistant
     elif $t == "user" then
       (.message.content | if type == "array" then .[] | select(type == "object" and .type == "tool_result") | tool_result(null) else empty end),
       todo_result
     elif $t == "tool_use" then .tool_use | tool_call(null)
     elif $t == "tool_result" then .tool_result | tool_result(null)
     elif $t == "stream_event" then stream_event
     elif $t == "control_request" then control_request
     elif $t == "result" then result
     elif ($t | member(["control_response", "control_cancel_request", "keep_alive",
                        "update_environment_variables", "rate_limit_event"])) then empty
     else unparsed("unsupported Claude line type: " + ($t | tostring)) end)
  | . + {native_session_id: $sid}
end
