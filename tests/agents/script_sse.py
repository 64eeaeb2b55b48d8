#!/usr/bin/env python3
"""script_sse.py - a scripted stand-in for sa-serve's two event routes, for
testing what a client draws while an event stream is still open.

usage: script_sse.py PORTFILE SCRIPT

Listens on 127.0.0.1 port 0 and writes the port to PORTFILE.
GET /v1/sessions/ID/events answers {"events": [], "hasMore": false}.
GET /v1/sessions/ID/events/sse plays SCRIPT, one step per line:
  event JSON    the frame "id: SEQ\\ndata: JSON\\n\\n" (SEQ from the JSON)
  wait FILE     wait until FILE exists (at most 20 s)
and then ends the stream.  Anything else is 404.  The server exits after
60 s, or after its first stream has been played.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.endswith("/events/sse"):
            self.stream()
        elif path.endswith("/events"):
            body = b'{"events":[],"hasMore":false}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        with open(sys.argv[2]) as f:
            steps = [l.rstrip("\n") for l in f if l.strip()]
        for step in steps:
            kind, _, arg = step.partition(" ")
            if kind == "event":
                seq = json.loads(arg).get("sequence", 0)
                self.wfile.write(f"id: {seq}\ndata: {arg}\n\n".encode())
                self.wfile.flush()
            elif kind == "wait":
                end = time.time() + 20
                while not os.path.exists(arg) and time.time() < end:
                    time.sleep(0.02)
        self.wfile.flush()
        threading.Thread(target=self.server.shutdown, daemon=True).start()


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    threading.Timer(60, srv.shutdown).start()
    srv.serve_forever()
    os._exit(0)


if __name__ == "__main__":
    main()
