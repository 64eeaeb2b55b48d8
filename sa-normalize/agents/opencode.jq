# opencode.jq — sa-normalize mapping program for OpenCode 1.18 (opencode-ai
# 1.18.33): the event stream of `opencode serve` as sa-opencode-bridge prints
# it (sa-spawn --agent opencode), and `opencode run --format json`.
#
# Input: one native line.  Output: conversions {type, data, synthetic?,
# native_session_id?}.  Stateless; sa-normalize gives item ids, synthesizes
# item starts and message deltas, drops the duplicate session.started, keeps
# the turn's token usage until its turn.ended (conversion type "turn.usage",
# never emitted) and makes turn.started of sa-spawn's {"sa":"turn"} line.
# The native session id of every conversion is the line's sessionID
# (properties.sessionID, properties.info.id, properties.part.sessionID, or
# the run line's sessionID).
#
# Items.  OpenCode messages are containers of parts; every part that has
# content is its own item, native id = the part id (partID):
#   text part, assistant (it has "time")  → message/assistant: item.started when
#       the part appears, item.delta for each message.part.delta of it (field
#       "text"), item.completed with the whole text once time.end is set
#   text part, user (no "time": OpenCode stamps only streamed parts)
#                                          → message/user item.completed
#   reasoning part                         → message/assistant, reasoning public;
#       same life cycle and deltas as text
#   tool part, state pending               → tool_call item.started
#       (name = tool, arguments = JSON of state.input, call_id = callID)
#     running, first update (no title or metadata yet: input complete)
#                                          → tool_call item.completed
#     running, later updates (title/metadata: progress)
#                                          → tool_call item.completed (sa-normalize
#                                            drops it when the call completed
#                                            already: the task tool has metadata at
#                                            its first update) and tool_result
#                                            item.started (repeats dropped)
#     completed                            → tool_result item.completed (output =
#         state.output, then file_ref parts: write/edit → write with the
#         path (metadata.filepath, absolute, else the input's filePath) and
#         metadata.diff (edit has it, write not), read → read, metadata.files
#         → patch, attachments → image or file_ref read; then a json part
#         {title, metadata without output/diff/filediff/diagnostics})
#     error                                → tool_result item.completed, failed,
#         output = state.error; when the input is still empty (the part went
#         pending → error, say on abort) the tool_call is completed first, so
#         it is not left open
#   An MCP tool (opencode names it <server>_<tool>) of a server named in
#   sa-normalize --mcp is a tool_call named "<server>.<tool>".
#   A tool_call and its tool_result share the native id (the part id, unique
#   where provider call ids may repeat); sa-normalize keeps them two items
#   ("result:<id>").  parent_id is null:
#   the OpenCode message has no content of its own, so it is no item.
#   the task tool (a subagent: OpenCode runs it as a child session, named in
#     state.metadata.sessionId): besides its tool_call / tool_result, the
#     internal subagent.start {id = the child session id, call_id = the part
#     id, name = input.subagent_type, description} once the part runs, and
#     subagent.end {id, status completed | failed} when it completes or
#     fails (sa-normalize makes subagent.updated status items of them)
#   step-start  → status item "step-start" (detail: the snapshot hash)
#   step-finish → status item "step-finish" (detail {reason, tokens, cost}) and
#                 turn.usage {input_tokens = tokens.input, output_tokens,
#                 reasoning_tokens, cache_read_tokens = tokens.cache.read,
#                 cache_write_tokens = tokens.cache.write, cost_usd = cost};
#                 one per LLM step, sa-normalize adds them up per turn
#   patch       → status item "patch" (detail: hash) with a file_ref patch per file
#   file        → status item "file" with a file_ref read (or an image part)
#   snapshot, agent, retry, compaction, subtask, other part types
#               → status item labelled with the part type
#
# opencode serve events ({type, properties}):
#   message.updated     → nothing, except an assistant message with an error:
#                         status item "message.error" (native id = the message
#                         id, detail = the error message; the error event comes
#                         from session.error).  The rest says nothing the parts
#                         do not: text comes in the text parts, tokens, cost and
#                         finish reason in step-finish, a user message's
#                         summary.diffs repeat session.diff.
#   message.part.updated→ the part, above
#   message.part.delta  → item.delta of the part (field "text"; deltas of any
#                         other field give nothing: no item holds that field)
#   message.removed, message.part.removed → status item
#   session.created     → session.started (dropped as a duplicate; carries the
#                         native session id)
#   session.idle        → nothing: sa-spawn ends the turn at the first
#                         session.idle after the session went busy for the
#                         prompt, and its {"sa":"turn_end"} line becomes the
#                         turn's one turn.ended (opencode.json sets
#                         normalize.turn_end_from_sa).  A failed or aborted
#                         turn sends session.idle twice; a stateless program
#                         could not tell the two apart.
#   session.status      → status item "session.status" (detail busy / idle /
#                         "retry <attempt>: <message>")
#   session.error       → error {message = error.data.message (else
#                         error.name), code "opencode.<error.name>", details =
#                         the error}; MessageAbortedError (the user's abort)
#                         is a status item "session.error" instead
#   session.updated     → status item (detail: the session info JSON)
#   session.diff        → status item "session.diff" (detail: "<n> files") in
#                         sa's shape: a json part {files: [{path, action,
#                         additions, deletions}]}, then a file_ref per file
#                         (added → write, else patch; diff = the patch)
#   permission.asked    → permission.requested {permission_id = id, action =
#                         permission (bash, edit, webfetch, ...), metadata =
#                         {permission, patterns, always, metadata, tool}}
#   question.asked      → question.requested {question_id = id, prompt and
#                         option labels of questions[0]}
#   permission.replied, question.replied, question.rejected
#                       → nothing (sa-spawn's permission.resolved /
#                         question.resolved lines carry the outcome)
#   todo.updated        → the todo list (status item todo.updated, built by
#                         sa-normalize from the todo.list conversion); in
#                         opencode run, a completed todowrite tool part gives it
#   file.edited         → status item with a file_ref write
#   server.connected and every other type → status item (label = type,
#                         detail = properties JSON)
#   noise, no event (server-wide bookkeeping with no meaning for a session):
#     plugin.added (one per plugin at every start), catalog.updated,
#     reference.updated, integration.updated, server.heartbeat
#
# sa-opencode-bridge lines ({"bridge": ...}):
#   ready          → session.started (dropped; native session id = session_id)
#   http_error     → error {code "opencode.http_error", message "opencode <op>
#                    request failed: HTTP <status>: <body message>", details}
#   server_exited  → error {code "opencode.server_exited"}
#   stdout         → status item "opencode.stdout" (detail: the line)
#   resume_failed  → status item "resume_failed" (a new session and its own
#                    ready line follow)
#   child          → a child session's event (a subagent's; the bridge wraps
#                    them): mapped as above, then its items get parent_id
#                    "subagent:<child session id>" (sa-normalize resolves
#                    it to the task call's item); its item deltas,
#                    permissions, questions, errors, token usage and own
#                    subagents are kept; its session life cycle
#                    (session.created/updated/status/diff, idle, turn
#                    ends) and todo list are not
#   other          → status item "bridge: <what>"
#
# opencode run --format json lines ({type, timestamp, sessionID, part|error}):
#   step_start, text, reasoning → the part, as above (run mode sends text and
#                    reasoning once, whole, at their end: no deltas)
#   tool_use       → sent once, at the end: the tool_call item.completed and
#                    the tool_result item.completed
#   step_finish    → as the step-finish part; a reason other than
#                    "tool-calls" ends the run's turn: turn.ended {metadata
#                    {reason}} (run mode has no session.idle)
#   error          → error (as session.error), then turn.ended {metadata
#                    {status "failed"}}
#   other          → status item "run: <type>"
#
# Anything that is not a JSON object with a "bridge" or a "type" string
# → agent.unparsed.

def unparsed($why): {type: "agent.unparsed", data: {error: $why, location: "opencode.stdout"}, synthetic: true};
def str: if type == "string" then . elif . == null then "" else tojson end;
def strornull: if type == "string" then . elif . == null then null else tojson end;
def strval: if type == "string" then . else null end;
def member($list): . as $x | $list | any(. == $x);

# an error text that is itself JSON ({"error":{"message"}}, {"message"},
# {"data":{"message"}}) → its message; any other text stays as it is
def inner_message:
  (str) as $m
  | ($m | (try fromjson catch null)) as $j
  | if ($j | type) != "object" then $m
    elif ($j.error | type) == "object" and ($j.error.message | type) == "string" then $j.error.message
    elif ($j.message | type) == "string" then $j.message
    elif ($j.data | type) == "object" and ($j.data.message | type) == "string" then $j.data.message
    else $m end;

def item($ev; $nid; $kind; $role; $content; $status):
  {type: $ev, data: {item: {item_id: "", native_item_id: $nid, parent_id: null, kind: $kind, role: $role,
                            content: $content, status: $status}}};
def status_part($lbl; $detail): {type: "status", label: $lbl, detail: ($detail | strornull)};
def status_item($nid; $lbl; $detail; $extra):
  item("item.completed"; $nid; "status"; "system"; [status_part($lbl; $detail)] + $extra; "completed");
def status_item($lbl; $detail): status_item(null; $lbl; $detail; []);

def text_parts($t): if ($t | type) == "string" and $t != "" then [{type: "text", text: $t}] else [] end;
def reasoning_parts($t): if ($t | type) == "string" and $t != "" then [{type: "reasoning", text: $t, visibility: "public"}] else [] end;

def usage: (.tokens // {}) as $t
  | {input_tokens: $t.input, output_tokens: $t.output, cache_read_tokens: $t.cache.read,
     cache_write_tokens: $t.cache.write, reasoning_tokens: $t.reasoning, cost_usd: .cost};

# OpenCode's named errors {name, data: {message, ...}} → error conversion
def named_error($e):
  ($e | if type == "object" then . else {} end) as $o
  | {type: "error",
     data: {message: (($o.data.message // $o.message // $o.name // "opencode error") | inner_message),
            code: ("opencode." + ($o.name // "error" | tostring)), details: $e}};

# ---- tool parts ----

# <server>_<tool> of a server in --mcp's names → <server>.<tool>
def mcp_name:
  . as $n
  | ([mcp_servers[] as $m | select($n | startswith($m + "_")) | $m] | max_by(length)) as $s
  | if $s then $s + "." + $n[(($s | length) + 1):] else $n end;

def tool_call_item($ev; $p):
  item($ev; $p.id; "tool_call"; "assistant";
       [{type: "tool_call", name: ($p.tool // "tool" | tostring | mcp_name), arguments: ($p.state.input // {} | tojson),
         call_id: ($p.callID // $p.id // "" | tostring)}];
       (if $ev == "item.started" then "in_progress" else "completed" end));

def attachment_part:
  if (.mime // "" | tostring | startswith("image/")) then
    {type: "image", path: (.filename // (.url | select(type == "string" and (startswith("data:") | not))) // "attachment"),
     mime: .mime}
  else {type: "file_ref", path: (.source.path // .filename // .url // "" | tostring), action: "read", diff: null} end;

def tool_refs:
  (.tool // "") as $tool | (.state // {}) as $s | ($s.input // {}) as $in | ($s.metadata // {}) as $md
  | ((($md.filepath // $in.filePath // $in.file_path // $in.path) | strval)) as $path
  | (if ($tool == "write" or $tool == "edit") and $path != null then
       [{type: "file_ref", path: $path, action: "write", diff: ($md.diff | strval)}]
     elif $tool == "read" and $path != null then [{type: "file_ref", path: $path, action: "read", diff: null}]
     else [] end)
    + [($md.files // [])[]? | if type == "string" then {type: "file_ref", path: ., action: "patch", diff: null}
                              elif type == "object" then
                                {type: "file_ref", path: (.filePath // .path // .file // "" | tostring),
                                 action: "patch", diff: ((.diff // .patch) | strval)}
                              else empty end]
    + [($s.attachments // [])[]? | select(type == "object") | attachment_part];

def tool_result_item($p; $output; $status):
  item("item.completed"; $p.id; "tool_result"; "tool";
       [{type: "tool_result", call_id: ($p.callID // $p.id // "" | tostring), output: ($output | str)}]
       + ($p | tool_refs)
       + [{type: "json", json: {title: ($p.state.title // null),
                                metadata: ($p.state.metadata // null
                                           | if type == "object" then del(.output, .diff, .filediff, .diagnostics) else . end)}}];
       $status);

# The todo list (internal conversion todo.list, sa-normalize(1)):
# [{content, status, priority}] of the todo.updated event, or of the
# todowrite tool's input in opencode run (which has no such event).
def todo_list($todos):
  if ($todos | type) == "array" then
    {type: "todo.list", data: {todos: [$todos[] | select(type == "object")
                                       | {content: (.content // "" | tostring), status, priority: (.priority // null)}]}}
  else empty end;

# The task tool's subagent (the child session in state.metadata.sessionId).
def subagent($p; $st):
  ($p.state.metadata.sessionId // null | strval) as $sid
  | if $p.tool != "task" or $sid == null then empty
    elif $st == "running" or $st == "completed" or $st == "error" then
      {type: "subagent.start",
       data: {id: $sid, call_id: ($p.id // "" | tostring), name: ($p.state.input.subagent_type // "task" | tostring),
              description: ($p.state.input.description | strval)}},
      (if $st == "running" then empty
       else {type: "subagent.end", data: {id: $sid, status: (if $st == "completed" then "completed" else "failed" end)}} end)
    else empty end;

def tool_part($run):
  . as $p | (.state.status // "pending") as $st
  | (if $run then
      if $st == "completed" or $st == "error" then
        tool_call_item("item.completed"; $p),
        tool_result_item($p; (if $st == "completed" then $p.state.output else $p.state.error end);
                         (if $st == "completed" then "completed" else "failed" end)),
        (if $st == "completed" and $p.tool == "todowrite" then todo_list($p.state.input.todos) else empty end)
      else tool_call_item("item.completed"; $p) end
    elif $st == "pending" then tool_call_item("item.started"; $p)
    elif $st == "running" then
      if ($p.state | has("title") or has("metadata")) then
        tool_call_item("item.completed"; $p),
        item("item.started"; $p.id; "tool_result"; "tool";
             [{type: "tool_result", call_id: ($p.callID // $p.id // "" | tostring), output: ""}]; "in_progress")
      else tool_call_item("item.completed"; $p) end
    elif $st == "completed" then tool_result_item($p; $p.state.output; "completed")
    elif $st == "error" then
      (if ($p.state.input // {}) == {} then tool_call_item("item.completed"; $p) else empty end),
      tool_result_item($p; $p.state.error; "failed")
    else status_item($p.id; "tool." + ($st | tostring); $p.state; []) end),
    subagent($p; $st);

# ---- parts ----

def part($run):
  (.type // "") as $t | (.id // null | strval) as $id
  | if $t == "text" then
      if (.time | type) != "object" then item("item.completed"; $id; "message"; "user"; text_parts(.text); "completed")
      elif .time.end != null then item("item.completed"; $id; "message"; "assistant"; text_parts(.text); "completed")
      else item("item.started"; $id; "message"; "assistant"; text_parts(.text); "in_progress") end
    elif $t == "reasoning" then
      if (.time | type) == "object" and .time.end == null then
        item("item.started"; $id; "message"; "assistant"; reasoning_parts(.text); "in_progress")
      else item("item.completed"; $id; "message"; "assistant"; reasoning_parts(.text); "completed") end
    elif $t == "tool" then tool_part($run)
    elif $t == "step-start" then status_item($id; "step-start"; .snapshot; [])
    elif $t == "step-finish" then
      status_item($id; "step-finish"; {reason, tokens, cost}; []),
      {type: "turn.usage", data: {usage: usage}}
    elif $t == "patch" then
      status_item($id; "patch"; .hash;
                  [(.files // [])[] | select(type == "string") | {type: "file_ref", path: ., action: "patch", diff: null}])
    elif $t == "file" then status_item($id; "file"; (.filename // .source.path // .mime); [attachment_part])
    elif $t == "snapshot" then status_item($id; "snapshot"; .snapshot; [])
    elif $t == "agent" then status_item($id; "agent"; .name; [])
    elif $t == "retry" then
      status_item($id; "retry"; ("attempt " + (.attempt // "?" | tostring) + ": "
                                 + ((.error.data.message // .error.message // .error.name // "") | tostring)); [])
    elif $t == "compaction" then status_item($id; "compaction"; {auto, overflow}; [])
    elif $t == "subtask" then status_item($id; "subtask"; {agent, description, prompt, command}; [])
    else status_item($id; "part: " + ($t | tostring); .; []) end;

# ---- opencode serve events ----

def permission:
  {type: "permission.requested",
   data: {permission_id: (.id // "" | tostring), action: (.permission // "" | tostring), status: "requested",
          metadata: {permission: .permission, patterns: (.patterns // []), always: (.always // []),
                     metadata: (.metadata // {}), tool: (.tool // null)}}};

def question:
  ((.questions // [])[0] // {}) as $q
  | {type: "question.requested",
     data: {question_id: (.id // "" | tostring), prompt: ($q.question // $q.header // "" | tostring),
            options: [($q.options // [])[] | if type == "object" then (.label // "" | tostring) else tostring end],
            response: null, status: "requested"}};

def noise: ["plugin.added", "catalog.updated", "reference.updated", "integration.updated", "server.heartbeat"];

def serve_event:
  .type as $t | (.properties // {}) as $p
  | if $t == "message.part.updated" then $p.part | part(false)
    elif $t == "message.part.delta" then
      if ($p.field // "text") == "text" then
        {type: "item.delta", data: {item_id: "", native_item_id: ($p.partID | strval), delta: ($p.delta | str)}}
      else empty end
    elif $t == "message.updated" then
      ($p.info // {}) as $i
      | if $i.role == "assistant" and $i.error != null then
          status_item(($i.id | strval); "message.error";
                      (($i.error.data.message // $i.error.name // $i.error) | str); [])
        else empty end
    elif $t == "session.idle" then empty
    elif $t == "session.status" then
      ($p.status // {}) as $s
      | status_item("session.status";
                    (if $s.type == "retry" then "retry " + ($s.attempt // "?" | tostring) + ": " + ($s.message // "" | tostring)
                     else ($s.type // $s) end))
    elif $t == "session.error" then
      if ($p.error.name // "") == "MessageAbortedError" then
        status_item("session.error"; $p.error.data.message // $p.error.name)
      else named_error($p.error) end
    elif $t == "session.created" then
      {type: "session.started", data: {metadata: ($p.info // null)}, native_session_id: ($p.info.id // $p.sessionID | strval)}
    elif $t == "session.updated" then status_item($t; $p.info // $p)
    elif $t == "session.diff" then
      [($p.diff // [])[] | select(type == "object")] as $d
      | status_item(null; $t; (($d | length | tostring) + " files");
                    [{type: "json",
                      json: {files: [$d[] | {path: (.file // "" | tostring),
                                             action: (if .status == "added" or .status == "deleted" then .status else "modified" end),
                                             additions: (.additions | if type == "number" then . else null end),
                                             deletions: (.deletions | if type == "number" then . else null end)}],
                             truncated: false}}]
                    + [$d[] | {type: "file_ref", path: (.file // "" | tostring),
                             action: (if .status == "added" then "write" else "patch" end),
                             diff: ((.patch // .diff) | strval)}])
    elif $t == "permission.asked" then $p | permission
    elif $t == "question.asked" then $p | question
    elif $t == "permission.replied" or $t == "question.replied" or $t == "question.rejected" then empty
    elif $t == "todo.updated" then todo_list($p.todos)
    elif $t == "file.edited" then
      status_item(null; $t; $p.file; [{type: "file_ref", path: ($p.file // "" | tostring), action: "write", diff: null}])
    elif ($t | member(noise)) then empty
    else status_item($t; $p) end;

# ---- sa-opencode-bridge lines ----

def bridge_line:
  .bridge as $b
  | if $b == "ready" then
      {type: "session.started", data: {metadata: {session_id: .session_id, url: .url, resumed: (.resumed // false)}},
       native_session_id: (.session_id | strval)}
    elif $b == "http_error" then
      {type: "error",
       data: {message: ("opencode " + (.op // "?" | tostring) + " request failed: "
                        + (if (.status // 0) != 0 then "HTTP " + (.status | tostring) + ": " else "" end)
                        + (if (.body // "") != "" then (.body | inner_message) else (.error // "" | str) end)),
              code: "opencode.http_error", details: .}}
    elif $b == "server_exited" then
      {type: "error",
       data: {message: ("opencode serve exited"
                        + (if .code != null then " with status " + (.code | tostring) else "" end)
                        + (if .signal != null then " on signal " + (.signal | tostring) else "" end)),
              code: "opencode.server_exited", details: .}}
    elif $b == "stdout" then status_item("opencode.stdout"; .line)
    elif $b == "resume_failed" then status_item("resume_failed"; del(.bridge))
    elif $b == "child" then
      ("subagent:" + (.session_id // "" | tostring)) as $parent
      | .event | if type == "object" then serve_event else empty end
      | if .type == "item.started" or .type == "item.completed" then
          if .data.item.kind == "status"
             and (.data.item.content[0].label | member(["session.updated", "session.status", "session.diff"]))
          then empty else .data.item.parent_id = $parent end
        elif (.type | member(["item.delta", "permission.requested", "question.requested", "error", "turn.usage",
                              "subagent.start", "subagent.end"])) then .
        else empty end
    else status_item("bridge: " + ($b | tostring); del(.bridge)) end;

# ---- opencode run --format json ----

def run_line:
  .type as $t
  | if $t == "step_start" or $t == "text" or $t == "reasoning" or $t == "tool_use" then .part | part(true)
    elif $t == "step_finish" then
      (.part | part(true)),
      (if (.part.reason // "stop") != "tool-calls" then
         {type: "turn.ended", data: {phase: "ended", metadata: {reason: (.part.reason // null)}}}
       else empty end)
    elif $t == "error" then
      named_error(.error),
      {type: "turn.ended", data: {phase: "ended", metadata: {status: "failed"}}}
    else status_item("run: " + ($t | tostring); .) end;

def run_types: ["step_start", "text", "reasoning", "tool_use", "step_finish", "error"];

if type != "object" then unparsed("not a JSON object")
elif has("bridge") then bridge_line
elif (.type | type) != "string" then unparsed("neither an opencode event nor a bridge line")
else
  (if has("properties") then (.properties.sessionID // .properties.part.sessionID // .properties.info.sessionID)
   else .sessionID end | strval) as $sid
  | (if has("properties") or ((.type | member(run_types)) | not) then serve_event else run_line end)
  | if has("native_session_id") then . else . + {native_session_id: $sid} end
end
