#!/usr/bin/env python3
"""fakellm.py - a deterministic fake model server for offline agent tests.

What it is for: real coding-agent CLIs (Claude Code first; Codex, OpenCode,
Pi later) are pointed at this server instead of a real model provider, so
end-to-end tests run with no network and give the same answers every time.

How it works: a ThreadingHTTPServer bound to 127.0.0.1 on port 0 (or
--port).  The chosen port is printed on stdout as the first line and, with
--port-file, written to that file (atomically, via rename).  Every reply is
decided from the request alone (stateless; agents resend the whole history).
A prompt wholly enclosed in double quotes is first stripped of that one
pair and its backslash escapes, since `opencode run` sends its argument
that way.

  1. "FAIL400" anywhere in the body        -> HTTP 400 in the API's error shape
  2. the last message is a tool result     -> text "Done. The command ran and
     (Responses: function_call_output or      printed: <tool output>"
     custom_tool_call_output)
  3. the last user text contains NOTOOL    -> plain text reply
  4. it contains `TOOL: <name> {json}` and
     a tool of that name is offered        -> call that tool with that input;
                                              for a Responses custom
                                              (freeform) tool the input is
                                              the raw rest of the prompt;
                                              `TOOL: ~<name> {json}` calls the
                                              first offered tool named <name>
                                              or ending in [_.:-]<name> (MCP
                                              tools as each agent names them)
  5. it contains `PATCH: <file> <text>` and
     a custom apply_patch tool is offered  -> call apply_patch with an
                                              "*** Add File" patch whose
                                              lines are <text> (the rest of
                                              the prompt; a literal \\n
                                              also breaks lines)
  6. a shell tool is offered               -> call it with `RUN: <cmd>` (rest
                                              of that line) or `echo hi`
  7. anything else (title calls, ...)      -> short text

Responses "namespace" tools (groups of functions) count as their functions;
a call of one carries "namespace".

APIs: Anthropic Messages (POST /v1/messages[?beta=true], JSON or SSE;
POST /v1/messages/count_tokens), OpenAI Chat Completions
(POST /v1/chat/completions, JSON or SSE) and OpenAI Responses
(POST /v1/responses, JSON or SSE), GET /v1/models.  The same port is also
a blackhole HTTP(S) proxy: CONNECT and absolute-URI requests are logged
and answered 403, so HTTPS_PROXY=http://127.0.0.1:<port> stops leaks.

Every request (auth headers redacted, body, decision) is appended as one
JSON line to --log.  The server exits on SIGTERM/SIGINT, or when its parent
process dies (polled twice a second), so a test that forgets it does not
leave it behind.  Python 3 standard library only.
"""
import argparse
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SHELL_TOOLS = ("Bash", "bash", "exec_command", "shell", "shell_command",
               "local_shell")
MAX_BODY = 64 << 20
LOG_LOCK = threading.Lock()
STATE = {"seq": 0, "log": None}


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:24]


def chunks(text, size=20):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


# ---------------------------------------------------------------- decision
def text_of(content):
    """Text of a message content (string, or list of blocks/parts)."""
    if isinstance(content, str):
        return content
    out = []
    if isinstance(content, list):
        for b in content:
            if isinstance(b, str):
                out.append(b)
            elif isinstance(b, dict):
                if isinstance(b.get("text"), str):
                    out.append(b["text"])
                elif b.get("type") == "tool_result":
                    out.append(text_of(b.get("content")))
    return "\n".join(out)


def tool_args(schema, cmd):
    """Arguments for a shell tool call built from its JSON schema."""
    props = (schema or {}).get("properties") or {}
    args = {}
    if "command" in props:
        if props["command"].get("type") == "array":
            args["command"] = ["bash", "-lc", cmd]
        else:
            args["command"] = cmd
    elif "cmd" in props:
        args["cmd"] = cmd
    else:
        args["command"] = cmd
    if "description" in props:
        args["description"] = "Run " + cmd
    return args


def add_file_patch(path, text):
    """An apply_patch "Add File" patch creating `path` with `text`."""
    lines = text.rstrip("\n").replace("\\n", "\n").split("\n")
    return ("*** Begin Patch\n*** Add File: " + path + "\n" +
            "".join("+" + ln + "\n" for ln in lines) + "*** End Patch\n")


def unquote(prompt):
    """The prompt without one pair of enclosing double quotes, with the
    backslash escapes of inner double quotes and backslashes undone
    (`opencode run` sends a prompt argument holding spaces that way)."""
    p = prompt.strip()
    if len(p) >= 2 and p[0] == '"' and p[-1] == '"':
        return re.sub(r'\\(["\\])', r"\1", p[1:-1])
    return prompt


def decide(prompt, last_tool_output, tools, custom=()):
    """tools: {name: json schema}; custom: names of freeform tools.
    Returns ("text", str), ("tool", name, args_dict) or
    ("custom", name, input_str)."""
    prompt = unquote(prompt)
    if last_tool_output is not None:
        return ("text", "Done. The command ran and printed: " +
                last_tool_output)
    if "NOTOOL" in prompt:
        return ("text", "Plain reply: no tool was needed.")
    m = re.search(r"TOOL:\s*(\S+)\s*", prompt)
    if m and m.group(1).startswith("~"):
        # ~NAME: the first offered tool whose name is NAME or ends in a
        # separator and NAME (MCP tools: mcp__srv__echo, srv_echo, ...)
        want = m.group(1)[1:]
        hits = [t for t in tools if isinstance(t, str) and (t == want or re.search(r"[_.:-]" + re.escape(want) + "$", t))]
        if hits:
            try:
                args, _ = json.JSONDecoder().raw_decode(prompt[m.end():])
            except ValueError:
                args = {}
            if isinstance(args, dict):
                return ("tool", hits[0], args)
    if m and m.group(1) in custom:
        return ("custom", m.group(1), prompt[m.end():])
    if m and m.group(1) in tools:
        try:
            args, _ = json.JSONDecoder().raw_decode(prompt[m.end():])
        except ValueError:
            args = {}
        if isinstance(args, dict):
            return ("tool", m.group(1), args)
    m = re.search(r"PATCH:\s*(\S+) ?", prompt)
    if m and "apply_patch" in custom:
        return ("custom", "apply_patch",
                add_file_patch(m.group(1), prompt[m.end():]))
    for name in SHELL_TOOLS:
        if name in tools:
            m = re.search(r"RUN:\s*(.+)", prompt)
            cmd = m.group(1).strip() if m else "echo hi"
            return ("tool", name, tool_args(tools[name], cmd))
    return ("text", "fakellm reply")


# ---------------------------------------------------------------- anthropic
def anthropic_decide(body):
    msgs = body.get("messages") or []
    tools = {t.get("name"): t.get("input_schema") or {}
             for t in body.get("tools") or [] if isinstance(t, dict)}
    last = msgs[-1] if msgs else {}
    output = None
    if last.get("role") == "user" and isinstance(last.get("content"), list):
        results = [b for b in last["content"]
                   if isinstance(b, dict) and b.get("type") == "tool_result"]
        if results:
            output = "\n".join(text_of(b.get("content")) for b in results)
    prompt = ""
    for m in reversed(msgs):
        if m.get("role") == "user":
            prompt = text_of(m.get("content"))
            if prompt:
                break
    return decide(prompt, output, tools)


def anthropic_blocks(dec):
    if dec[0] == "text":
        return [{"type": "text", "text": dec[1]}], "end_turn"
    return ([{"type": "text", "text": "I will run a command."},
             {"type": "tool_use", "id": new_id("toolu_"), "name": dec[1],
              "input": dec[2]}], "tool_use")


def anthropic_reply(h, body):
    dec = anthropic_decide(body)
    blocks, stop = anthropic_blocks(dec)
    model = body.get("model") or "claude-sonnet-4-5"
    usage = {"input_tokens": 10, "output_tokens": 1,
             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    msg = {"id": new_id("msg_"), "type": "message", "role": "assistant",
           "model": model, "content": [], "stop_reason": None,
           "stop_sequence": None, "usage": usage}
    if not body.get("stream"):
        msg.update(content=blocks, stop_reason=stop)
        h.send_json(200, msg)
        return dec
    h.start_sse()
    h.sse({"type": "message_start", "message": msg}, "message_start")
    for i, b in enumerate(blocks):
        start = dict(b, input={}) if b["type"] == "tool_use" else \
            {"type": "text", "text": ""}
        h.sse({"type": "content_block_start", "index": i,
               "content_block": start}, "content_block_start")
        if b["type"] == "text":
            for c in chunks(b["text"]):
                h.sse({"type": "content_block_delta", "index": i,
                       "delta": {"type": "text_delta", "text": c}},
                      "content_block_delta")
        else:
            for c in chunks(json.dumps(b["input"])):
                h.sse({"type": "content_block_delta", "index": i,
                       "delta": {"type": "input_json_delta",
                                 "partial_json": c}}, "content_block_delta")
        h.sse({"type": "content_block_stop", "index": i},
              "content_block_stop")
    h.sse({"type": "message_delta",
           "delta": {"stop_reason": stop, "stop_sequence": None},
           "usage": {"output_tokens": 5}}, "message_delta")
    h.sse({"type": "message_stop"}, "message_stop")
    return dec


# ---------------------------------------------------------------- openai
def chat_decide(body):
    msgs = body.get("messages") or []
    tools = {}
    for t in body.get("tools") or []:
        f = t.get("function") if isinstance(t, dict) else None
        if isinstance(f, dict):
            tools[f.get("name")] = f.get("parameters") or {}
    last = msgs[-1] if msgs else {}
    output = text_of(last.get("content")) if last.get("role") == "tool" \
        else None
    prompt = ""
    for m in reversed(msgs):
        if m.get("role") == "user":
            prompt = text_of(m.get("content"))
            break
    return decide(prompt, output, tools)


def chat_reply(h, body):
    dec = chat_decide(body)
    cid, model, now = new_id("chatcmpl-"), body.get("model") or "gpt", \
        int(time.time())
    call = None
    if dec[0] == "tool":
        call = {"id": new_id("call_"), "type": "function",
                "function": {"name": dec[1], "arguments": json.dumps(dec[2])}}
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    if not body.get("stream"):
        msg = {"role": "assistant",
               "content": dec[1] if dec[0] == "text" else None}
        if call:
            msg["tool_calls"] = [call]
        h.send_json(200, {"id": cid, "object": "chat.completion",
                          "created": now, "model": model,
                          "choices": [{"index": 0, "message": msg,
                                       "finish_reason": "tool_calls" if call
                                       else "stop"}], "usage": usage})
        return dec

    h.start_sse()

    def chunk(delta, finish=None):
        h.sse({"id": cid, "object": "chat.completion.chunk", "created": now,
               "model": model, "choices": [{"index": 0, "delta": delta,
                                            "finish_reason": finish}]})
    chunk({"role": "assistant", "content": ""})
    if call:
        chunk({"tool_calls": [{"index": 0, "id": call["id"],
                               "type": "function",
                               "function": {"name": dec[1],
                                            "arguments": ""}}]})
        for c in chunks(call["function"]["arguments"]):
            chunk({"tool_calls": [{"index": 0,
                                   "function": {"arguments": c}}]})
        chunk({}, "tool_calls")
    else:
        for c in chunks(dec[1]):
            chunk({"content": c})
        chunk({}, "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        h.sse({"id": cid, "object": "chat.completion.chunk", "created": now,
               "model": model, "choices": [], "usage": usage})
    h.sse_raw("[DONE]")
    return dec


def namespaced(body):
    """{tool name: (namespace, parameters)} of the functions inside the
    Responses "namespace" tools (codex offers its collaboration tools,
    spawn_agent and the rest, that way); a call of one carries the
    namespace."""
    out = {}
    for t in body.get("tools") or []:
        if isinstance(t, dict) and t.get("type") == "namespace":
            for f in t.get("tools") or []:
                if isinstance(f, dict) and isinstance(f.get("name"), str):
                    out[f["name"]] = (t.get("name"), f.get("parameters") or {})
    return out


def responses_decide(body):
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    items = items or []
    tools = {t.get("name"): t.get("parameters") or {}
             for t in body.get("tools") or [] if isinstance(t, dict)}
    for t, ns in namespaced(body).items():
        tools[t] = ns[1]
    custom = [t.get("name") for t in body.get("tools") or []
              if isinstance(t, dict) and t.get("type") == "custom"]
    last = items[-1] if items else {}
    output = None
    if last.get("type") in ("function_call_output",
                            "custom_tool_call_output"):
        output = text_of(last.get("output"))
    prompt = ""
    for it in reversed(items):
        if it.get("role") == "user":
            prompt = text_of(it.get("content"))
            break
    return decide(prompt, output, tools, custom)


def responses_reply(h, body):
    dec = responses_decide(body)
    rid, model = new_id("resp_"), body.get("model") or "gpt"
    if dec[0] == "text":
        item = {"type": "message", "id": new_id("msg_"), "status":
                "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": dec[1],
                             "annotations": []}]}
    elif dec[0] == "custom":
        item = {"type": "custom_tool_call", "id": new_id("ctc_"),
                "status": "completed", "call_id": new_id("call_"),
                "name": dec[1], "input": dec[2]}
    else:
        item = {"type": "function_call", "id": new_id("fc_"),
                "status": "completed", "call_id": new_id("call_"),
                "name": dec[1], "arguments": json.dumps(dec[2])}
        ns = namespaced(body).get(dec[1])
        if ns and ns[0]:
            item["namespace"] = ns[0]
    usage = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
             "input_tokens_details": {"cached_tokens": 0},
             "output_tokens_details": {"reasoning_tokens": 0}}
    resp = {"id": rid, "object": "response", "created_at": int(time.time()),
            "status": "completed", "model": model, "output": [item],
            "usage": usage}
    if not body.get("stream"):
        h.send_json(200, resp)
        return dec
    h.start_sse()
    seq = [0]

    def ev(typ, **kw):
        kw["type"], kw["sequence_number"] = typ, seq[0]
        seq[0] += 1
        h.sse(kw, typ)
    pending = dict(resp, status="in_progress", output=[], usage=None)
    ev("response.created", response=pending)
    ev("response.in_progress", response=pending)
    if dec[0] == "text":
        ev("response.output_item.added", output_index=0,
           item=dict(item, status="in_progress", content=[]))
        part = {"type": "output_text", "text": "", "annotations": []}
        ev("response.content_part.added", item_id=item["id"], output_index=0,
           content_index=0, part=part)
        for c in chunks(dec[1]):
            ev("response.output_text.delta", item_id=item["id"],
               output_index=0, content_index=0, delta=c)
        ev("response.output_text.done", item_id=item["id"], output_index=0,
           content_index=0, text=dec[1])
        ev("response.content_part.done", item_id=item["id"], output_index=0,
           content_index=0, part=item["content"][0])
    elif dec[0] == "custom":
        ev("response.output_item.added", output_index=0,
           item=dict(item, status="in_progress", input=""))
        for c in chunks(item["input"]):
            ev("response.custom_tool_call_input.delta", item_id=item["id"],
               output_index=0, delta=c)
        ev("response.custom_tool_call_input.done", item_id=item["id"],
           output_index=0, input=item["input"])
    else:
        ev("response.output_item.added", output_index=0,
           item=dict(item, status="in_progress", arguments=""))
        for c in chunks(item["arguments"]):
            ev("response.function_call_arguments.delta", item_id=item["id"],
               output_index=0, delta=c)
        ev("response.function_call_arguments.done", item_id=item["id"],
           output_index=0, arguments=item["arguments"])
    ev("response.output_item.done", output_index=0, item=item)
    ev("response.completed", response=resp)
    return dec


# ---------------------------------------------------------------- HTTP
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakellm/0.1"

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def record(self, body, decision, status):
        path = STATE["log"]
        if not path:
            return
        hdrs = {k: ("<redacted>" if k.lower() in
                    ("x-api-key", "authorization", "proxy-authorization")
                    else v) for k, v in self.headers.items()}
        with LOG_LOCK:
            STATE["seq"] += 1
            rec = {"seq": STATE["seq"], "time": time.time(),
                   "method": self.command, "path": self.path,
                   "status": status, "headers": hdrs, "body": body,
                   "decision": decision}
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", new_id("req_"))
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("request-id", new_id("req_"))
        self.end_headers()
        self.close_connection = True

    def sse(self, obj, event=None):
        head = "event: %s\n" % event if event else ""
        self.wfile.write((head + "data: " + json.dumps(obj) +
                          "\n\n").encode())
        self.wfile.flush()

    def sse_raw(self, data):
        self.wfile.write(("data: " + data + "\n\n").encode())
        self.wfile.flush()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body too large")
        raw = self.rfile.read(n) if n else b""
        return raw, (json.loads(raw) if raw.strip() else {})

    def proxied(self):
        """Absolute-URI (proxy) requests go nowhere."""
        if self.path.startswith("http://") or self.path.startswith("https://"):
            self.record(None, "proxy-blocked", 403)
            self.send_json(403, {"error": "fakellm: proxy blocked"})
            return True
        return False

    def do_CONNECT(self):
        self.record(None, "proxy-blocked", 403)
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.close_connection = True

    def do_GET(self):
        if self.proxied():
            return
        path = self.path.split("?", 1)[0]
        if path == "/v1/models":
            self.record(None, "models", 200)
            ids = ["claude-sonnet-4-5", "gpt-5.5", "gpt-4o"]
            self.send_json(200, {"object": "list", "data": [
                {"id": i, "object": "model", "type": "model",
                 "created": 0, "owned_by": "fakellm"} for i in ids]})
        elif path == "/health":
            self.send_json(200, {"ok": True})
        else:
            self.record(None, "not-found", 404)
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        if self.proxied():
            return
        path = self.path.split("?", 1)[0]
        try:
            raw, body = self.read_body()
        except ValueError as e:
            self.record(None, "bad-request", 400)
            self.send_json(400, {"error": {"message": str(e)}})
            return
        routes = {"/v1/messages": ("anthropic", anthropic_reply),
                  "/v1/chat/completions": ("openai", chat_reply),
                  "/v1/responses": ("openai", responses_reply)}
        if path == "/v1/messages/count_tokens":
            self.record(body, "count_tokens", 200)
            self.send_json(200, {"input_tokens": max(1, len(raw) // 4)})
            return
        if path not in routes:
            self.record(body, "not-found", 404)
            self.send_json(404, {"error": "not found"})
            return
        shape, fn = routes[path]
        if b"FAIL400" in raw:
            self.record(body, "fail400", 400)
            msg = "fakellm: scripted failure (FAIL400)"
            if shape == "anthropic":
                err = {"type": "error", "error": {
                    "type": "invalid_request_error", "message": msg}}
            else:
                err = {"error": {"message": msg,
                                 "type": "invalid_request_error",
                                 "param": None, "code": None}}
            self.send_json(400, err)
            return
        try:
            dec = fn(self, body)
        except (BrokenPipeError, ConnectionResetError):
            return
        self.record(body, list(dec), 200)


def watch_parent(ppid):
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(0)


def main():
    ap = argparse.ArgumentParser(
        description="Deterministic fake model server (Anthropic Messages, "
        "OpenAI Chat/Responses) with a blackhole proxy, on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=0,
                    help="port to bind (default 0: the kernel picks)")
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--log", help="append one JSON line per request here")
    ap.add_argument("--no-parent-watch", action="store_true",
                    help="keep running when the parent process dies")
    opts = ap.parse_args()
    STATE["log"] = opts.log
    srv = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]

    def stop(_sig, _frm):
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, opts.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    if not opts.no_parent_watch:
        threading.Thread(target=watch_parent, args=(os.getppid(),),
                         daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
