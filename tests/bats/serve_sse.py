#!/usr/bin/env python3
"""serve_sse.py — an SSE test client for serve*.bats.

serve_sse.py PORT PATH [options]: opens one (or --clients N) raw-socket SSE
streams, undoes chunked encoding, and prints "<id> <sequence> <type>" per
event of the first stream.  Stops when --until TYPE was seen (on every
stream), --count events arrived, the server ended the stream, or --timeout.
--method POST --data JSON sends a body (messages/stream).  --last-event-id
sets the header.  --stall S sleeps S seconds before reading, and --slow S
sleeps after every read of --read-size bytes (a slow reader); --stall-file F
reads nothing until file F exists (bounded by --timeout), and --rcvbuf N sets
the socket's receive buffer before connecting (so a stalled reader's kernel
buffer does not hide the server's own queue).  --post PATH
--post-data JSON sends one request after the streams are open.
Exit 0 when every stream met its goal, 1 otherwise.
"""
import argparse, json, select, socket, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("path")
ap.add_argument("--method", default="GET")
ap.add_argument("--data")
ap.add_argument("--until")
ap.add_argument("--count", type=int)
ap.add_argument("--clients", type=int, default=1)
ap.add_argument("--last-event-id")
ap.add_argument("--stall", type=float, default=0)
ap.add_argument("--slow", type=float, default=0)
ap.add_argument("--read-size", type=int, default=65536)
ap.add_argument("--stall-file")
ap.add_argument("--rcvbuf", type=int)
ap.add_argument("--timeout", type=float, default=30)
ap.add_argument("--post")
ap.add_argument("--post-data")
ap.add_argument("--quiet", action="store_true")
a = ap.parse_args()


class Stream:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if a.rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
        self.s.connect(("127.0.0.1", a.port))
        body = a.data.encode() if a.data else b""
        hdr = f"{a.method} {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if a.last_event_id:
            hdr += f"Last-Event-ID: {a.last_event_id}\r\n"
        if body:
            hdr += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.s.sendall(hdr.encode() + b"\r\n" + body)
        self.head = None
        self.raw = b""
        self.text = b""
        self.events = []
        self.done = False
        self.chunked = False
        self.ended = False

    def feed(self, data):
        self.raw += data
        if self.head is None:
            if b"\r\n\r\n" not in self.raw:
                return
            self.head, self.raw = self.raw.split(b"\r\n\r\n", 1)
            if not self.head.startswith(b"HTTP/1.1 200"):
                print("bad status: " + self.head.split(b"\r\n")[0].decode(), file=sys.stderr)
                self.done = True
                return
            self.chunked = b"chunked" in self.head.lower()
        if self.chunked:
            while True:
                i = self.raw.find(b"\r\n")
                if i < 0:
                    break
                size = int(self.raw[:i].split(b";")[0] or b"0", 16)
                if size == 0:          # the server ended the response
                    self.ended = True
                    break
                if len(self.raw) < i + 2 + size + 2:
                    break
                self.text += self.raw[i + 2:i + 2 + size]
                self.raw = self.raw[i + 2 + size + 2:]
        else:
            self.text += self.raw
            self.raw = b""
        while b"\n\n" in self.text:
            frame, self.text = self.text.split(b"\n\n", 1)
            eid, data = None, []
            for line in frame.split(b"\n"):
                if line.startswith(b"id:"):
                    eid = line[3:].strip().decode()
                elif line.startswith(b"data:"):
                    data.append(line[5:].lstrip())
            if data:
                ev = json.loads(b"\n".join(data))
                self.events.append((eid, ev["sequence"], ev["type"]))
                if a.until and ev["type"] == a.until:
                    self.done = True
                if a.count and len(self.events) >= a.count:
                    self.done = True


streams = [Stream() for _ in range(a.clients)]
if a.stall:
    time.sleep(a.stall)
deadline = time.time() + a.timeout
if a.stall_file:
    import os
    while not os.path.exists(a.stall_file) and time.time() < deadline:
        time.sleep(0.05)
posted = False
ok = False
while time.time() < deadline:
    if a.post and not posted and all(s.head is not None for s in streams):
        c = socket.create_connection(("127.0.0.1", a.port))
        b = (a.post_data or "").encode()
        c.sendall(f"POST {a.post} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(b)}\r\nConnection: close\r\n\r\n".encode() + b)
        c.recv(4096)
        c.close()
        posted = True
    live = [s for s in streams if not s.done]
    if not live:
        ok = True
        break
    r, _, _ = select.select([s.s for s in live], [], [], 0.5)
    for sock in r:
        st = next(s for s in live if s.s is sock)
        chunk = sock.recv(a.read_size)
        if not chunk:
            st.done = True
            st.closed = True
            continue
        st.feed(chunk)
        if st.ended:
            st.done = True
            st.closed = True
        if a.slow:
            time.sleep(a.slow)
if not a.quiet:
    for eid, seq, typ in streams[0].events:
        print(eid, seq, typ)
for s in streams:
    if not getattr(s, "closed", False) and (a.until or a.count) and not s.done:
        ok = False
    if a.until and not any(t == a.until for _, _, t in s.events):
        ok = False
print(f"streams={len(streams)} events={sum(len(s.events) for s in streams)}", file=sys.stderr)
sys.exit(0 if ok else 1)
