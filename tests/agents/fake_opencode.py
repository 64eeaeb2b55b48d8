#!/usr/bin/env python3
"""fake_opencode.py - a stand-in for `opencode serve` for the bridge's own tests.

What it is for: tests/bats/opencode_bridge.bats checks properties of
sa-opencode-bridge that the real server cannot be made to show on demand:
events of another session on the same server, a failing request, a server
that dies, a request without the password.  The real CLI is tested in
spawn_opencode.bats, opencode_e2e.bats and serve_opencode.bats.

How it works (standard library only): invoked as `fake_opencode.py serve
--hostname H --port 0`, it binds 127.0.0.1 on a free port, prints
"opencode server listening on http://127.0.0.1:PORT" and serves:
  GET  /event                 SSE: server.connected, then every event queued
  POST /session               {"id":"ses_mine"} (also queues one event of
                              ses_other and one of ses_mine)
  GET  /session/ID            200 for ses_mine / ses_old, else 404
  POST /session/ID/prompt_async  204, queues session.status busy, a part
                              update, session.status idle and session.idle
                              for ses_mine; a prompt text FAIL500 answers 500;
                              DIE exits the server at once (status 7)
  POST /permission/ID/reply, /question/ID/reply|reject, /session/ID/abort
                              true, and a "fake.reply" event echoing the body
Every request needs Authorization: Basic base64("opencode:" +
$OPENCODE_SERVER_PASSWORD), else 401.  Requests are logged, one JSON line
each, to $FAKE_OPENCODE_LOG when set.
"""
import base64
import json
import os
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EVENTS = queue.Queue()
PW = os.environ.get("OPENCODE_SERVER_PASSWORD", "")
WANT = "Basic " + base64.b64encode(("opencode:" + PW).encode()).decode()
LOG = os.environ.get("FAKE_OPENCODE_LOG")
LOCK = threading.Lock()


def ev(type_, **props):
    EVENTS.put({"type": type_, "properties": props})


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def reply(self, code, obj=None):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def authorized(self, body):
        if LOG:
            with LOCK, open(LOG, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                                    "auth": self.headers.get("Authorization") == WANT}) + "\n")
        if self.headers.get("Authorization") != WANT:
            self.reply(401)
            return False
        return True

    def do_GET(self):
        if not self.authorized(""):
            return
        if self.path == "/event":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk({"type": "server.connected", "properties": {}})
            while True:
                self.chunk(EVENTS.get())
        elif self.path.startswith("/session/"):
            sid = self.path.split("/")[2]
            self.reply(200 if sid in ("ses_mine", "ses_old") else 404, {"id": sid})
        else:
            self.reply(404, {})

    def chunk(self, obj):
        data = ("data: " + json.dumps(obj) + "\n\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_POST(self):
        body = self.body()
        if not self.authorized(body):
            return
        p = self.path
        if p == "/session":
            ev("session.updated", sessionID="ses_other", info={"id": "ses_other"})
            ev("session.updated", sessionID="ses_mine", info={"id": "ses_mine"})
            self.reply(200, {"id": "ses_mine"})
        elif p.endswith("/prompt_async"):
            text = json.loads(body)["parts"][0]["text"]
            if "DIE" in text:
                os._exit(7)
            if "FAIL500" in text:
                self.reply(500, {"name": "UnknownError", "data": {"message": "scripted 500"}})
                return
            sid = p.split("/")[2]
            ev("session.status", sessionID=sid, status={"type": "busy"})
            ev("message.part.updated", part={"sessionID": sid, "type": "text", "text": text})
            ev("message.part.updated", part={"sessionID": "ses_other", "type": "text", "text": "not yours"})
            ev("session.status", sessionID=sid, status={"type": "idle"})
            ev("session.idle", sessionID=sid)
            self.reply(204)
        else:
            ev("fake.reply", path=p, body=body)
            self.reply(200, True)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    print("opencode server listening on http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "serve":
        print("usage: fake_opencode.py serve [--hostname H] [--port P]", file=sys.stderr)
        sys.exit(2)
    main()
