#!/usr/bin/env python3
"""mcp_server.py - a small Model Context Protocol server for the tests.

What it is for: giving a real agent CLI a real MCP server to start (stdio)
or reach (streamable HTTP on 127.0.0.1), so tests can check that a session's
`mcp` configuration reaches the agent, that the agent offers the server's
tools to the model, and what a call looks like in the universal events.

Tools:
  echo {text}        -> text "echo: <text>" (plus the value of $MCP_SECRET
                        when set, so a test can see env reach the server)
  fail {}            -> a tool error (isError true, text "fail: as asked")

How it works: JSON-RPC 2.0.  stdio mode reads one JSON message per line on
stdin and writes one per line on stdout (the MCP stdio transport); --http
serves POST / (and /mcp) with one JSON-RPC message per request and answers
with application/json (the streamable HTTP transport without streaming),
printing the port on stdout first.  Methods: initialize (protocol version
echoed back when it is one we know, else 2025-06-18), ping, tools/list,
tools/call; notifications get no answer; anything else is a -32601 error.
--log FILE appends one JSON line per request received.  Every request is
answered at once; stdio mode ends at end of input, HTTP mode on SIGTERM or
when its parent dies.
Usage: mcp_server.py [--http] [--name NAME] [--log FILE]
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KNOWN = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}
TOOLS = [
    {"name": "echo", "description": "Echo the given text back.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}},
                     "required": ["text"]}},
    {"name": "fail", "description": "Always fails (for tests).",
     "inputSchema": {"type": "object", "properties": {}}},
]
OPTS = None


def log(msg):
    if OPTS.log:
        with open(OPTS.log, "a") as f:
            f.write(json.dumps({"time": time.time(), "server": OPTS.name, "msg": msg}) + "\n")


def handle(msg):
    """The response to one JSON-RPC message, or None for a notification."""
    log(msg)
    if not isinstance(msg, dict) or "method" not in msg:
        return None
    mid, method, params = msg.get("id"), msg["method"], msg.get("params") or {}
    if mid is None:
        return None
    if method == "initialize":
        pv = params.get("protocolVersion")
        res = {"protocolVersion": pv if pv in KNOWN else "2025-06-18",
               "capabilities": {"tools": {"listChanged": False}},
               "serverInfo": {"name": OPTS.name, "version": "1.0.0"}}
    elif method == "ping":
        res = {}
    elif method == "tools/list":
        res = {"tools": TOOLS}
    elif method == "tools/call":
        name, args = params.get("name"), params.get("arguments") or {}
        if name == "echo":
            text = "echo: %s" % args.get("text", "")
            if os.environ.get("MCP_SECRET"):
                text += " (secret %s)" % os.environ["MCP_SECRET"]
            res = {"content": [{"type": "text", "text": text}], "isError": False}
        elif name == "fail":
            res = {"content": [{"type": "text", "text": "fail: as asked"}], "isError": True}
        else:
            return {"jsonrpc": "2.0", "id": mid,
                    "error": {"code": -32602, "message": "unknown tool %s" % name}}
    else:
        return {"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "no method %s" % method}}
    return {"jsonrpc": "2.0", "id": mid, "result": res}


def stdio():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        out = [handle(m) for m in msg] if isinstance(msg, list) else [handle(msg)]
        for o in out:
            if o is not None:
                sys.stdout.write(json.dumps(o) + "\n")
        sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):                      # no server-initiated stream
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.end_headers()

    def do_DELETE(self):
        self.send_response(200)
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            msg = json.loads(self.rfile.read(n) or b"null")
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        if OPTS.log and self.headers.get("Authorization"):
            log({"authorization": self.headers.get("Authorization")})
        out = [r for r in ([handle(m) for m in msg] if isinstance(msg, list) else [handle(msg)])
               if r is not None]
        if not out:
            self.send_response(202)
            self.end_headers()
            return
        body = json.dumps(out if isinstance(msg, list) else out[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Mcp-Session-Id", "sa-test-session")
        self.end_headers()
        self.wfile.write(body)


def http():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    ppid = os.getppid()

    def watch():
        while os.getppid() == ppid:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


def main():
    global OPTS
    ap = argparse.ArgumentParser(description="A small MCP server for the tests.")
    ap.add_argument("--http", action="store_true", help="streamable HTTP on 127.0.0.1 (port printed)")
    ap.add_argument("--name", default="sa-test-mcp")
    ap.add_argument("--log", help="append each request here")
    OPTS = ap.parse_args()
    http() if OPTS.http else stdio()


if __name__ == "__main__":
    main()
