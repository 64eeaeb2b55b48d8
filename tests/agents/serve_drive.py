#!/usr/bin/env python3
"""serve_drive.py - drive one agent session through sa-serve's HTTP API.

What it is for: tests/bats/serve_claude.bats - a real agent session through
HTTP: create the session, send messages, answer permission and question
requests through the REST endpoints as they arrive on the SSE stream.

How it works (standard library only, every wait bounded by --timeout):
  POST /v1/sessions/{id} {"agent":A, "permissionMode":...}
  GET  /v1/sessions/{id}/events/sse?offset=0  (read frames: id:/data:)
  POST /v1/sessions/{id}/messages {"message":...}       first message
  on permission.requested  POST .../permissions/{pid}/reply {"reply":R}
     (question-tool permissions are left to the question reply)
  on question.requested    POST .../questions/{qid}/reply {"answers":[[A]]}
                           or POST .../questions/{qid}/reject
  on turn.ended            next message, or stop reading
  on error (input_error)   a reply was refused: note it, terminate
  then (unless --no-terminate) POST .../terminate and read to session.ended
  finally GET /v1/sessions/{id}/events?offset=0 -> --out (JSONL)
A JSON summary goes to stdout:
  {"sse_events":N,"stored_events":N,"sse_ids_match":bool,"turns_ended":N,
   "http_errors":[...],"problems":[...],"timed_out":bool}
Exit 0 when nothing timed out and every HTTP call succeeded, else 1.
"""
import argparse
import http.client
import json
import socket
import sys
import time

QUESTION_TOOLS = {"askuserquestion", "ask_user_question", "ask-user-question",
                  "exitplanmode", "exit_plan_mode", "exit-plan-mode"}


class Client:
    def __init__(self, port, token=None):
        self.port, self.token, self.errors = port, token, []

    def headers(self, extra=None):
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        h.update(extra or {})
        return h

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, None if body is None else
                      json.dumps(body), self.headers())
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        if r.status not in expect:
            self.errors.append("%s %s -> %d %s" % (
                method, path, r.status, data[:300].decode("utf-8", "replace")))
        return r.status, data


class SSE:
    """A bounded SSE reader: next_event(timeout) -> (id, json) or None."""

    def __init__(self, client, path):
        self.conn = http.client.HTTPConnection("127.0.0.1", client.port,
                                               timeout=30)
        self.conn.request("GET", path, headers=client.headers(
            {"Accept": "text/event-stream"}))
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError("SSE status %d" % self.resp.status)
        self.sock = self.resp.fp

    def next_event(self, left):
        ev_id, data = None, []
        while True:
            if left() <= 0:
                return None
            self.conn.sock.settimeout(max(0.1, left()))
            try:
                line = self.sock.readline()
            except (socket.timeout, TimeoutError):
                return None
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    return ev_id, json.loads("\n".join(data))
                continue
            if line.startswith(":"):
                continue   # heartbeat comment
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                ev_id = value
            elif field == "data":
                data.append(value)

    def close(self):
        self.conn.close()


def is_question_permission(d):
    meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
    names = [d.get("action"), meta.get("toolName"), meta.get("tool_name")]
    return any(isinstance(n, str) and n.lower() in QUESTION_TOOLS
               for n in names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token")
    ap.add_argument("--session", required=True)
    ap.add_argument("--agent", default="claude")
    ap.add_argument("--create", default="{}",
                    help="extra JSON fields for the create request")
    ap.add_argument("--no-create", action="store_true")
    ap.add_argument("--message", action="append", default=[])
    ap.add_argument("--permission", action="append", default=[],
                    choices=["once", "always", "reject"])
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--no-terminate", action="store_true")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()
    end = time.monotonic() + a.timeout
    left = lambda: max(0.0, end - time.monotonic())  # noqa: E731
    cl = Client(a.port, a.token)
    base = "/v1/sessions/" + a.session
    problems, msgs = [], list(a.message)
    perms, answers = list(a.permission), list(a.answer)
    if not a.no_create:
        body = dict(json.loads(a.create), agent=a.agent)
        cl.call("POST", base, body)
    sse = SSE(cl, base + "/events/sse?offset=%d" % a.offset)
    seen, ids_ok, turns, timed_out = [], True, 0, False

    def send_next():
        if msgs:
            cl.call("POST", base + "/messages", {"message": msgs.pop(0)})
            return True
        return False
    send_next()
    terminated = False
    while True:
        got = sse.next_event(left)
        if got is None:
            timed_out = True
            break
        ev_id, ev = got
        seen.append(ev.get("sequence"))
        if ev_id is not None and str(ev.get("sequence")) != ev_id:
            ids_ok = False
        t, d = ev.get("type"), ev.get("data") or {}
        if t == "permission.requested" and not is_question_permission(d):
            reply = perms.pop(0) if perms else "reject"
            if reply == "reject" and not a.permission:
                problems.append("unexpected permission %s" %
                                d.get("permission_id"))
            cl.call("POST", "%s/permissions/%s/reply" %
                    (base, d.get("permission_id")), {"reply": reply})
        elif t == "question.requested":
            ans = answers.pop(0) if answers else "reject"
            qid = d.get("question_id")
            if ans == "reject":
                cl.call("POST", "%s/questions/%s/reject" % (base, qid), {})
            else:
                cl.call("POST", "%s/questions/%s/reply" % (base, qid),
                        {"answers": [[ans]]})
        elif t == "turn.ended":
            turns += 1
            if not send_next():
                if a.no_terminate:
                    break
                cl.call("POST", base + "/terminate")
                terminated = True
        elif t == "error" and d.get("code") == "input_error" \
                and not terminated:
            # a reply was refused: nothing will answer the agent; stop now
            problems.append("input_error: %s" % d.get("message"))
            msgs.clear()
            cl.call("POST", base + "/terminate")
            terminated = True
        elif t == "session.ended":
            if not terminated:
                problems.append("session ended early: %s" % json.dumps(d))
            break
    sse.close()
    st, data = cl.call("GET", base + "/events?offset=%d&include_raw=true" %
                       a.offset)
    stored = []
    if st == 200:
        stored = json.loads(data).get("events") or []
    with open(a.out, "w", encoding="utf-8") as f:
        for ev in stored:
            f.write(json.dumps(ev, separators=(",", ":")) + "\n")
    if [e.get("sequence") for e in stored][:len(seen)] != seen:
        problems.append("SSE sequences %s differ from stored %s" % (
            seen, [e.get("sequence") for e in stored]))
    if msgs:
        problems.append("%d message(s) never sent" % len(msgs))
    summary = {"sse_events": len(seen), "stored_events": len(stored),
               "sse_ids_match": ids_ok, "turns_ended": turns,
               "http_errors": cl.errors, "problems": problems,
               "timed_out": timed_out}
    print(json.dumps(summary))
    sys.exit(0 if not timed_out and not cl.errors else 1)


if __name__ == "__main__":
    main()
