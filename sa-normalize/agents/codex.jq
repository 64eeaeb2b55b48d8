# codex.jq — sa-normalize mapping program for OpenAI Codex 0.169: the
# `codex app-server` JSON-RPC stream (one JSON object per line, no "jsonrpc"
# member) and the `codex exec --json` event stream.
#
# Input: one native line.  Output: conversions {type, data, synthetic?,
# native_session_id?}.  Stateless; sa-normalize gives item ids, synthesizes
# item starts and message deltas, drops the duplicate session.started, and
# keeps the token usage of a turn until its turn.ended (conversion type
# "turn.usage", never emitted).
#
# App-server lines (JSON-RPC without "jsonrpc"):
#   notification {method, params}      → per method, below
#   server request {id, method, params}→ permission.requested / question.requested
#                                         / status item (requests sa-spawn refuses)
#   response {id, result|error, sa_method}  (sa-spawn appends "sa_method", the
#                                         method of the request answered)
#     error                          → error {code "jsonrpc.error", details = the error}
#     thread/start|resume|fork       → session.started (dropped; carries the
#                                         native session id result.thread.id)
#     model/list                     → status item "model/list"
#     anything else                  → nothing
#   notifications:
#     thread/started                 → session.started (dropped; native session id)
#     turn/started, turn/completed   → turn.started / turn.ended {turn_id,
#                                         metadata = the turn without its items}
#     item/started, item/completed   → the ThreadItem, below
#     item/agentMessage/delta, item/reasoning/summaryTextDelta,
#     item/reasoning/textDelta, item/plan/delta → item.delta of that item
#     item/commandExecution/outputDelta, item/fileChange/outputDelta
#                                    → item.started (repeats are dropped) and
#                                         item.delta of the tool_result item
#     thread/tokenUsage/updated      → status item, and turn.usage (usage =
#                                         tokenUsage.last, total = tokenUsage.total)
#     error                          → error {message, code "codex.<codexErrorInfo>"
#                                         (default "codex.error"), details = params}; with willRetry:true
#                                         a status item "error (retrying)" instead
#     warning, guardianWarning, configWarning, deprecationNotice
#                                    → status item (label = method, detail = the text)
#     turn/diff/updated              → status item (detail = the turn's unified diff) in
#                                         sa's session.diff shape: a json part {files:
#                                         [{path, action, additions, deletions}]} and a
#                                         file_ref per file with its diff
#     turn/plan/updated              → status item (detail = {explanation, plan} JSON),
#                                         and the plan as a todo list (todo.updated)
#     serverRequest/resolved         → nothing (sa-spawn's own permission.resolved /
#                                         question.resolved lines carry the outcome)
#     any other method               → status item (label = method, detail = params JSON)
#   ThreadItem (app-server type / exec type):
#     userMessage                    → message/user (text, image, json parts)
#     agentMessage / agent_message   → message/assistant text
#     reasoning                      → message/assistant; summary → reasoning public,
#                                         content → reasoning private (exec: text → public)
#     commandExecution / command_execution
#                                    → start: tool_call "shell" (arguments {command,
#                                         cwd, commandActions}); completion: tool_result
#                                         (output = aggregatedOutput, plus a json part
#                                         {exitCode, status, durationMs}); failed when
#                                         declined, failed or interrupted
#     fileChange / file_change       → tool_call "apply_patch" (arguments {changes}) +
#                                         tool_result (output "<kind> <path>" lines, then
#                                         file_ref parts: add → write, update/delete → patch)
#     mcpToolCall / mcp_tool_call    → tool_call "<server>.<tool>" + tool_result
#   mcpServer/startupStatus/updated  → status item "mcp" ("<server>: <status>[: error]")
#     dynamicToolCall                → tool_call "[<namespace>.]<tool>" + tool_result
#     collabAgentToolCall / collab_tool_call → tool_call <tool> + tool_result;
#       when completed also subagent.start for each receiver thread of a
#       spawnAgent call and subagent.end for each thread agentsStates says
#       finished (completed / errored → failed / shutdown, interrupted →
#       cancelled)
#     subAgentActivity (multi_agent v2), kind started → tool_call
#       "spawn_agent" {agentPath, model} + tool_result (the agent path), and
#       at completion subagent.start {id = agentThreadId, name = agentPath};
#       kind completed / interrupted (completed) → subagent.end; interacted →
#       status item "subagent.interacted".  The subagent's own thread's
#       items reach us as lines with its threadId (the subagent runs on after
#       the parent's turn: its items may come between turns); sa-normalize
#       nests them under the spawn call
#     webSearch / web_search         → tool_call "web_search" + tool_result
#     imageView                      → tool_call "view_image" + tool_result with an image part
#     imageGeneration                → tool_call "image_generation" + tool_result (+ image)
#     plan, todo_list                → status item (label "plan" / "todo_list"); a
#                                         todo_list (also in item.updated) is the todo
#                                         list too (todo.updated)
#     hookPrompt                     → message/system text
#     enteredReviewMode / exitedReviewMode → status item review.entered / review.exited
#     error (exec only)              → error {code "codex.item_error"}
#     any other type                 → status item (label = the type, detail = item JSON)
#   A tool_call and its tool_result share the native item id (sa-normalize keeps
#   them two items); the tool_call is completed when the native item starts,
#   the tool_result when it completes.  Output deltas name the result item
#   "result:<id>", the key sa-normalize files tool results under.  exec form
#   sends no start for file changes and web searches, so those are mapped at
#   completion only.
#
# exec --json lines ({"type": ...}):
#   thread.started → session.started (native session id thread_id)
#   turn.started   → turn.started
#   item.started / item.completed → the item, as above; item.updated → status item
#   turn.completed → turn.ended {metadata {status completed}}; its usage is the
#                    thread's running total, so it goes in usage_cumulative (the
#                    turn's usage is the difference to the previous turn.ended seen;
#                    `exec resume` alone reports the earlier turns' tokens too)
#   turn.failed    → turn.ended {metadata {status failed, error}} (the error event
#                    comes from the "error" line before it)
#   error          → error {code "codex.error"}
#
# Server requests (the permission / question id is "<scope>:<id>", scope the
# first string of params.turnId, params.threadId, params.conversationId, else
# "" — sa-spawn computes the same key to find the request when the user replies):
#   item/commandExecution/requestApproval, execCommandApproval → permission.requested
#       action "commandExecution"
#   item/fileChange/requestApproval, applyPatchApproval → action "fileChange"
#   item/permissions/requestApproval → action "permissions"
#     metadata {codexRequestKind, codexMethod, codexRequestId, threadId, turnId,
#               itemId, command, cwd, reason, + the request's other fields}
#   item/tool/requestUserInput, mcpServer/elicitation/request → question.requested
#   item/tool/call, account/chatgptAuthTokens/refresh, attestation/generate and
#   others → status item (label "request: <method>")
#
# Error messages that are themselves JSON ({"error":{"message":...}}) are
# unwrapped to the inner message; the whole text stays in details.
# Anything that is neither JSON-RPC nor an exec event → agent.unparsed.
#
# sa-fast-path: codex
# (sa-normalize maps this program's text deltas in C, without jq, exactly as
# the delta branch below does: keep the two in step; sa-normalize(1) FAST PATH.)

def unparsed($why): {type: "agent.unparsed", data: {error: $why, location: "codex.stdout"}, synthetic: true};
def str: if type == "string" then . elif . == null then "" else tojson end;
def strornull: if type == "string" then . elif . == null then null else tojson end;

# "{\"error\": {\"message\": \"x\"}}" → "x"; any other text stays as it is.
def inner_message:
  (str) as $m
  | ($m | (try fromjson catch null)) as $j
  | if ($j | type) == "object" and ($j.error | type) == "object" and ($j.error.message | type) == "string"
    then $j.error.message
    elif ($j | type) == "object" and ($j.message | type) == "string" then $j.message
    else $m end;

def item($ev; $nid; $kind; $role; $content; $status):
  {type: $ev, data: {item: {item_id: "", native_item_id: $nid, parent_id: null, kind: $kind, role: $role,
                            content: $content, status: $status}}};

def status_part($lbl; $detail): {type: "status", label: $lbl, detail: ($detail | strornull)};
# A status item with no native id (one per line).
def status_item($lbl; $detail): item("item.completed"; null; "status"; "system"; [status_part($lbl; $detail)]; "completed");

# native status → universal item status
def ustatus:
  if . == "completed" then "completed"
  elif . == "inProgress" or . == "in_progress" or . == null then "in_progress"
  else "failed" end;                       # failed, declined, interrupted
# A unified diff (git's form) as the files of sa's session.diff shape
# (sa-events(7) SESSION DIFF): [{path, action added|modified|deleted,
# additions, deletions, diff}], one per "diff --git" section.
def diff_files($d):
  if ($d | type) != "string" or $d == "" then []
  else ("\n" + $d) | split("\ndiff --git ")[1:] | map("diff --git " + .)
       | map(. as $sec | (split("\n")) as $l
             | ([$l[] | select(startswith("+++ b/")) | .[6:]][0]
                // [$l[] | select(startswith("--- a/")) | .[6:]][0]
                // ($l[0] | sub("^diff --git a/"; "") | sub(" b/.*$"; ""))) as $path
             | {path: $path,
                action: (if ($sec | test("\nnew file mode")) then "added"
                         elif ($sec | test("\ndeleted file mode")) then "deleted" else "modified" end),
                additions: ([$l[] | select(startswith("+") and (startswith("+++ ") | not))] | length),
                deletions: ([$l[] | select(startswith("-") and (startswith("--- ") | not))] | length),
                diff: $sec})
  end;

# Todo lists (the internal conversion todo.list, sa-normalize(1)): the plan
# of turn/plan/updated [{step, status: pending|inProgress|completed}], and
# codex exec's todo_list items [{text, completed}].
def plan_todos($plan):
  if ($plan | type) == "array" then
    {type: "todo.list", data: {todos: [$plan[] | select(type == "object") | {content: (.step // "" | tostring), status}]}}
  else empty end;
def exec_todos($items):
  if ($items | type) == "array" then
    {type: "todo.list", data: {todos: [$items[] | select(type == "object")
                                       | {content: (.text // "" | tostring),
                                          status: (if .completed == true then "completed" else "pending" end)}]}}
  else empty end;

def ev_of($phase): if $phase == "started" then "item.started" else "item.completed" end;

def usage_app: {input_tokens: .inputTokens, output_tokens: .outputTokens, cache_read_tokens: .cachedInputTokens,
                cache_write_tokens: .cacheWriteInputTokens, reasoning_tokens: .reasoningOutputTokens, cost_usd: null};
def usage_exec: {input_tokens: .input_tokens, output_tokens: .output_tokens, cache_read_tokens: .cached_input_tokens,
                 cache_write_tokens: .cache_write_input_tokens, reasoning_tokens: .reasoning_output_tokens, cost_usd: null};

def text_parts($t): if ($t | type) == "string" and $t != "" then [{type: "text", text: $t}] else [] end;

def user_part:
  if .type == "text" then {type: "text", text: (.text // "")}
  elif .type == "image" then {type: "image", path: (.url // .image_url // .fileId // ""), mime: null}
  elif .type == "localImage" then {type: "image", path: (.path // ""), mime: null}
  else {type: "json", json: .} end;

# ---- tool items: call at the start, result at the completion ----

def call_conv($id; $name; $args):
  item("item.completed"; $id; "tool_call"; "assistant";
       [{type: "tool_call", name: $name, arguments: ($args | tojson), call_id: $id}]; "completed");
def result_conv($ev; $id; $output; $extra; $status):
  item($ev; $id; "tool_result"; "tool"; [{type: "tool_result", call_id: $id, output: ($output | str)}] + $extra; $status);
def result_start($id): result_conv("item.started"; $id; ""; []; "in_progress");
def tool($phase; $id; $name; $args; $output; $extra; $status):
  if $phase == "started" then call_conv($id; $name; $args)
  else result_conv("item.completed"; $id; $output; $extra; $status) end;
# exec items that get no start: both halves at the completion
def tool_late($exec; $phase; $id; $name; $args; $output; $extra; $status):
  if $exec | not then tool($phase; $id; $name; $args; $output; $extra; $status)
  elif $phase == "started" then empty
  else call_conv($id; $name; $args), result_conv("item.completed"; $id; $output; $extra; $status) end;

def mcp_output:
  if .error != null then (.error.message // .error | str)
  elif (.result | type) == "object" and (.result.content | type) == "array"
       and ([.result.content[] | select(type == "object" and .type == "text")] | length) == (.result.content | length)
    then [.result.content[].text] | join("\n")
  else (.result | str) end;

def change_kind: if (.kind | type) == "object" then (.kind.type // "update") else (.kind // "update") end;
def file_refs: [(.changes // [])[] | select(type == "object")
                | {type: "file_ref", path: (.path // ""), action: (if change_kind == "add" then "write" else "patch" end),
                   diff: (.diff // null)}];
def change_summary: [(.changes // [])[] | select(type == "object")
                     | change_kind + " " + (.path // "")
                       + (if (.kind | type) == "object" and (.kind.move_path | type) == "string" then " -> " + .kind.move_path else "" end)]
                    | join("\n");

# Subagents of a completed collab call (multi_agent v1): spawnAgent starts
# each receiver thread; any call's agentsStates that say a thread finished
# end it (sa-normalize drops ends of threads it never saw start, and repeats).
def collab_subagents($id):
  (.tool // "") as $tool
  | (if $tool == "spawnAgent" then
       (.receiverThreadIds // .receiver_thread_ids // [])[] | select(type == "string")
       | {type: "subagent.start", data: {id: ., call_id: $id, name: "spawnAgent", description: null}}
     else empty end),
    ((.agentsStates // .agents_states // {}) | if type == "object" then to_entries[] else empty end
     | select((.value.status // "") | IN("completed", "errored", "shutdown", "interrupted"))
     | {type: "subagent.end",
        data: {id: .key, status: ({"completed": "completed", "errored": "failed", "shutdown": "cancelled",
                                   "interrupted": "cancelled"}[.value.status])}});

# One ThreadItem (either spelling) at $phase "started" or "completed".
def thread_item($phase; $exec):
  (.id // null | strornull) as $id
  | (.type // "") as $t
  | (if .status == null then "completed" else (.status | ustatus) end) as $st    # at the completion
  | (if $phase == "started" then "in_progress" else $st end) as $ist
  | if $t == "userMessage" or $t == "user_message" then
      item(ev_of($phase); $id; "message"; "user";
           (if (.content | type) == "array" then [.content[] | select(type == "object") | user_part]
            else text_parts(.text) end); $ist)
    elif $t == "agentMessage" or $t == "agent_message" then
      item(ev_of($phase); $id; "message"; "assistant"; text_parts(.text); $ist)
    elif $t == "reasoning" then
      item(ev_of($phase); $id; "message"; "assistant";
           ([(.summary // [])[] | {type: "reasoning", text: str, visibility: "public"}]
            + [(.content // [])[] | {type: "reasoning", text: str, visibility: "private"}]
            + (if (.text | type) == "string" and .text != "" then [{type: "reasoning", text: .text, visibility: "public"}] else [] end));
           $ist)
    elif $t == "commandExecution" or $t == "command_execution" then
      tool($phase; $id; "shell"; {command: .command, cwd: .cwd, commandActions: (.commandActions // null)};
           (.aggregatedOutput // .aggregated_output // "");
           [{type: "json", json: {exitCode: (.exitCode // .exit_code // null), status: .status,
                                  durationMs: (.durationMs // null)}}];
           $st)
    elif $t == "fileChange" or $t == "file_change" then
      tool_late($exec; $phase; $id; "apply_patch"; {changes: .changes}; change_summary; file_refs; $st)
    elif $t == "mcpToolCall" or $t == "mcp_tool_call" then
      tool($phase; $id; ((.server // "mcp") + "." + (.tool // "unknown")); (.arguments // null); mcp_output; []; $st)
    elif $t == "dynamicToolCall" then
      tool($phase; $id; ((if (.namespace | type) == "string" then .namespace + "." else "" end) + (.tool // "unknown"));
           (.arguments // null);
           (if (.contentItems | type) == "array"
            then [.contentItems[] | .text // .imageUrl // .audioUrl // tojson] | join("\n") else "" end);
           [];
           (if .success == false then "failed" else $st end))
    elif $t == "collabAgentToolCall" or $t == "collab_tool_call" then
      tool($phase; $id; (.tool // "collab_agent");
           {prompt: (.prompt // null), receiverThreadIds: (.receiverThreadIds // .receiver_thread_ids // null),
            model: (.model // null)};
           (.agentsStates // .agents_states // {}); []; $st),
      (if $phase == "completed" then collab_subagents($id) else empty end)
    elif $t == "subAgentActivity" then
      if .kind == "started" then
        tool($phase; $id; "spawn_agent"; {agentPath: (.agentPath // null), model: (.model // null)};
             (.agentPath // ""); []; $st),
        (if $phase == "completed" and (.agentThreadId | type) == "string" then
           {type: "subagent.start",
            data: {id: .agentThreadId, call_id: $id, name: (.agentPath // "subagent" | tostring), description: null}}
         else empty end)
      elif .kind == "completed" or .kind == "interrupted" then
        if $phase == "completed" and (.agentThreadId | type) == "string" then
          {type: "subagent.end", data: {id: .agentThreadId, status: (if .kind == "completed" then "completed" else "interrupted" end)}}
        else empty end
      else
        item(ev_of($phase); $id; "status"; "system"; [status_part("subagent." + (.kind // "activity" | tostring); (.agentPath // null))]; $ist)
      end
    elif $t == "webSearch" or $t == "web_search" then
      tool_late($exec; $phase; $id; "web_search"; {query: .query, action: (.action // null)};
                (if .results != null then .results else .query end); []; $st)
    elif $t == "imageView" then
      tool($phase; $id; "view_image"; {path: .path}; (.path // ""); [{type: "image", path: (.path // ""), mime: null}]; $st)
    elif $t == "imageGeneration" then
      tool($phase; $id; "image_generation"; {revisedPrompt: (.revisedPrompt // null)};
           (.savedPath // .failure // "");
           (if (.savedPath | type) == "string" then [{type: "image", path: .savedPath, mime: null}] else [] end);
           (if .failure != null then "failed" else $st end))
    elif $t == "plan" then
      item(ev_of($phase); $id; "status"; "assistant"; [status_part("plan"; .text)]; $ist)
    elif $t == "todo_list" then
      item(ev_of($phase); $id; "status"; "assistant"; [status_part("todo_list"; .items)]; $ist),
      exec_todos(.items)
    elif $t == "hookPrompt" then
      item(ev_of($phase); $id; "message"; "system"; text_parts([(.fragments // [])[] | .text // ""] | join("\n")); $ist)
    elif $t == "enteredReviewMode" or $t == "exitedReviewMode" then
      item(ev_of($phase); $id; "status"; "system";
           [status_part(if $t == "enteredReviewMode" then "review.entered" else "review.exited" end; .review)]; $ist)
    elif $t == "error" then
      if $phase == "completed" then
        {type: "error", data: {message: (.message | inner_message), code: "codex.item_error", details: .}}
      else empty end
    else
      item(ev_of($phase); $id; "status"; "system"; [status_part($t; .)]; $ist)
    end;

# ---- server → client requests ----

# the first string of params.turnId, .threadId, .conversationId (legacy), else ""
def request_id: ([(.params // {}) | .turnId, .threadId, .conversationId] | map(select(type == "string")) | .[0] // "")
                + ":" + (.id | tostring);

def permission($action; $kind):
  (.params // {}) as $p
  | {type: "permission.requested",
     data: {permission_id: request_id, action: $action, status: "requested",
            metadata: ({codexRequestKind: $kind, codexMethod: .method, codexRequestId: .id,
                        threadId: ($p.threadId // $p.conversationId // null), turnId: ($p.turnId // null),
                        itemId: ($p.itemId // $p.callId // null),
                        command: ($p.command // null | if type == "array" then map(tostring) | join(" ") else . end),
                        cwd: ($p.cwd // null), reason: ($p.reason // null)}
                       + ($p | del(.threadId, .turnId, .itemId, .command, .cwd, .reason, .conversationId, .callId)))}};

def elicitation_options:
  [(.requestedSchema.properties // {}) | to_entries[] | .value | select(type == "object")
   | (.enum // [(.oneOf // .anyOf // [])[] | .const // empty]) | .[]? | tostring] | .[:50];

def question($prompt; $options):
  {type: "question.requested",
   data: {question_id: request_id, prompt: ($prompt | str), options: $options, response: null, status: "requested"}};

def server_request:
  .method as $m
  | if $m == "item/commandExecution/requestApproval" then permission("commandExecution"; "commandExecution")
    elif $m == "execCommandApproval" then permission("commandExecution"; "commandExecution")
    elif $m == "item/fileChange/requestApproval" or $m == "applyPatchApproval" then permission("fileChange"; "fileChange")
    elif $m == "item/permissions/requestApproval" then permission("permissions"; "permissions")
    elif $m == "item/tool/requestUserInput" then
      ((.params.questions // [])[0] // {}) as $q
      | question(($q.question // $q.header // ""); [($q.options // [])[] | (.label // "") | tostring])
    elif $m == "mcpServer/elicitation/request" then
      .params as $p
      | question((($p.message // "") + (if ($p.url | type) == "string" then "\n" + $p.url else "" end));
                 ($p | elicitation_options))
    else status_item("request: " + ($m | tostring); .params) end;

# ---- responses (sa_method added by sa-spawn) ----

def response:
  (.sa_method // null) as $m
  | if has("error") then
      {type: "error", data: {message: ((.error.message // "JSON-RPC error") | inner_message),
                             code: "jsonrpc.error", details: .error}}
    elif (.result | type) == "object" and (.result.thread.id | type) == "string"
         and ($m == null or $m == "thread/start" or $m == "thread/resume" or $m == "thread/fork") then
      {type: "session.started", data: {metadata: .result.thread}, native_session_id: .result.thread.id}
    elif $m == "model/list" then status_item("model/list"; .result)
    else empty end;

# ---- notifications ----

def turn_data($phase): {phase: $phase, turn_id: (.params.turn.id // null),
                        metadata: ((.params.turn // {}) | if type == "object" then del(.items) else . end)};

def delta($nid): {type: "item.delta", data: {item_id: "", native_item_id: $nid, delta: (.params.delta | str)}};

def notification:
  .method as $m | (.params // {}) as $p
  | if $m == "thread/started" then
      {type: "session.started", data: {metadata: $p.thread}, native_session_id: ($p.thread.id // null)}
    elif $m == "turn/started" then {type: "turn.started", data: turn_data("started")}
    elif $m == "turn/completed" then {type: "turn.ended", data: turn_data("ended")}
    elif $m == "item/started" then $p.item | thread_item("started"; false)
    elif $m == "item/completed" then $p.item | thread_item("completed"; false)
    elif $m == "item/agentMessage/delta" or $m == "item/reasoning/summaryTextDelta"
         or $m == "item/reasoning/textDelta" or $m == "item/plan/delta" then delta($p.itemId)
    elif $m == "item/commandExecution/outputDelta" or $m == "item/fileChange/outputDelta" then
      result_start($p.itemId), delta("result:" + ($p.itemId | str))
    elif $m == "thread/tokenUsage/updated" then
      status_item($m; $p.tokenUsage),
      {type: "turn.usage", data: {usage: ($p.tokenUsage.last // {} | usage_app),
                                  total: ($p.tokenUsage.total // null | if . == null then null else usage_app end)}}
    elif $m == "error" then
      if $p.willRetry == true then status_item("error (retrying)"; $p.error.message // $p)
      else {type: "error",
            data: {message: (($p.error.message // "codex error") | inner_message),
                   code: ("codex." + ($p.error.codexErrorInfo | if type == "string" then .
                                      elif type == "object" then (keys[0] // "error") else "error" end)),
                   details: $p}} end
    elif $m == "mcpServer/startupStatus/updated" then
      status_item("mcp"; (($p.name // "?" | tostring) + ": " + ($p.status // "?" | tostring)
                          + (if ($p.error | type) == "string" then ": " + $p.error else "" end)))
    elif $m == "warning" or $m == "guardianWarning" then status_item($m; $p.message // $p)
    elif $m == "configWarning" or $m == "deprecationNotice" then
      status_item($m; (($p.summary // "") + (if ($p.details | type) == "string" then "\n" + $p.details else "" end)))
    elif $m == "turn/diff/updated" then
      diff_files($p.diff) as $f
      | item("item.completed"; null; "status"; "system";
             [status_part($m; $p.diff), {type: "json", json: {files: [$f[] | del(.diff)], truncated: false}}]
             + [$f[] | {type: "file_ref", path, action: (if .action == "added" then "write" else "patch" end), diff}];
             "completed")
    elif $m == "turn/plan/updated" then status_item($m; {explanation: $p.explanation, plan: $p.plan}), plan_todos($p.plan)
    elif $m == "serverRequest/resolved" then empty
    else status_item($m; $p) end;

# ---- codex exec --json ----

def exec_line:
  .type as $t
  | if $t == "thread.started" then
      {type: "session.started", data: {metadata: .}, native_session_id: (.thread_id // null)}
    elif $t == "turn.started" then {type: "turn.started", data: {phase: "started"}}
    elif $t == "turn.completed" then
      {type: "turn.ended", data: {phase: "ended", metadata: {status: "completed"},
                                  usage_cumulative: (.usage // {} | usage_exec)}}
    elif $t == "turn.failed" then
      {type: "turn.ended", data: {phase: "ended", metadata: {status: "failed", error: (.error // null)}}}
    elif $t == "item.started" then .item | thread_item("started"; true)
    elif $t == "item.completed" then .item | thread_item("completed"; true)
    elif $t == "item.updated" then
      status_item(((.item.type // "item") | tostring) + ".updated"; .item),
      (if .item.type == "todo_list" then exec_todos(.item.items) else empty end)
    elif $t == "error" then
      {type: "error", data: {message: (.message | inner_message), code: "codex.error", details: .}}
    else status_item("exec: " + ($t | tostring); .) end;

if type != "object" then unparsed("not a JSON object")
else
  ((.params.threadId // .params.conversationId // null) | if type == "string" then . else null end) as $sid
  | (if (.method | type) == "string" then
       (if has("id") and .id != null then server_request else notification end)
     elif has("id") and (has("result") or has("error")) then response
     elif (.type | type) == "string" then exec_line
     else unparsed("neither a JSON-RPC message nor a codex exec event") end)
  | if has("native_session_id") then . else . + {native_session_id: $sid} end
end
