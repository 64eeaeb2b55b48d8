#!/usr/bin/env python3
"""record_opencode.py - record real OpenCode transcripts against fakellm.

What it is for: producing tests/fixtures/opencode/*.jsonl from the real
OpenCode CLI (opencode-ai 1.18.33) running offline against
tests/fakellm/fakellm.py (Chat Completions API):
  serve-*.jsonl  every SSE `data:` payload of `GET /event` of an
                 `opencode serve`, byte for byte, one JSON per line, with
                 serve-*.jsonl.http, the HTTP calls the driver made
                 (method, path, request body, status, response body);
  run-*.jsonl    the raw stdout of `opencode run --format json`;
  serve-messages.json / serve-agents.json  raw bodies of
                 GET /session/:id/message and GET /agent.

How it works: each flow gets its own scratch directory SCRATCH/<flow>/ with
a fresh HOME and XDG dirs (home/), a cwd (work/, not a git repository), its
own fakellm (request log fakellm.jsonl, port chosen by the kernel) and
opencode's stdout/stderr.  The environment comes from
tests/agents/opencode_env.sh (sourced by sh, so the shell tests and this
driver share one definition); OPENCODE_CONFIG_CONTENT adds per-flow
permission rules.  `opencode serve --hostname 127.0.0.1 --port 0` is
started in its own process group with OPENCODE_SERVER_PASSWORD set to a
random value; clients then authenticate with HTTP Basic, user "opencode"
(OPENCODE_SERVER_USERNAME), on every route including /event and /doc (a
`?auth_token=<base64 user:pass>` query parameter works too).  The driver
waits for the "listening on http://HOST:PORT" line on stdout (note: port 0
means "4096 if free, else a kernel-chosen port"), subscribes to /event,
POSTs /session, then per turn POST /session/:id/prompt_async
{"parts":[{"type":"text","text":...}], "agent"?, "model"?} (204) and
answers permission.asked / question.asked events of its session with
POST /permission/:id/reply {"reply":...}, POST /question/:id/reply
{"answers":[[...]]} or POST /question/:id/reject, until session.idle for
its session.  The /event stream is global, so events are matched on
properties.sessionID (or properties.info.sessionID / part.sessionID).
Every wait is bounded; opencode is stopped with SIGTERM to its process
group (SIGKILL after 10 s), also when the driver exits early (atexit; a
SIGTERM/SIGHUP to the driver unwinds it first).  Paths in the captures are the real scratch
paths (not rewritten).  Timings are printed per flow.

Usage: record_opencode.py [--opencode PATH] [--out DIR] [--scratch DIR]
                          [FLOW...]
Flows: see FLOWS below (default: all).  Exit status 1 if any flow's check
failed.
"""
import argparse
import atexit
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository
from fakeenv import FakeLLM, deadline, sourced_env  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
ENV_SH = os.path.join(HERE, "opencode_env.sh")
ASK = {"permission": {"bash": "ask", "edit": "ask", "webfetch": "ask"}}
ALLOW = {"permission": {"*": "allow", "bash": "allow", "edit": "allow",
                        "webfetch": "allow", "question": "allow",
                        "external_directory": "allow"}}
QUESTION = {"questions": [{
    "question": "Which color?", "header": "Color",
    "options": [{"label": "Red", "description": "A warm color"},
                {"label": "Blue", "description": "A cool color"}]}]}
WRITE_BODY = "alpha line\nbeta line\n"


def opencode_env(port, home):
    """The environment opencode_env.sh builds, as a dict."""
    return sourced_env(ENV_SH, "sa_opencode_env", port, home)


def session_of(ev):
    """The sessionID an SSE event belongs to, or None."""
    p = ev.get("properties") or {}
    for cand in (p.get("sessionID"), (p.get("info") or {}).get("sessionID"),
                 (p.get("part") or {}).get("sessionID")):
        if cand:
            return cand
    if ev.get("type", "").startswith("session.") and \
            isinstance(p.get("info"), dict):
        return p["info"].get("id")
    return None


class Flow:
    """Scratch dirs, a fakellm and the env for one flow."""

    def __init__(self, scratch, name, config=None):
        self.name = name
        self.dir = os.path.join(scratch, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.home = os.path.join(self.dir, "home")
        self.work = os.path.join(self.dir, "work")
        os.makedirs(self.work)
        self.log = os.path.join(self.dir, "fakellm.jsonl")
        self.fake = FakeLLM(self.log)
        self.env = opencode_env(self.fake.port, self.home)
        if config is not None:
            self.env["OPENCODE_CONFIG_CONTENT"] = json.dumps(config)
        self.notes = []

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def proxy_attempts(self):
        return [r for r in self.requests() if r["decision"] == "proxy-blocked"]

    def close(self):
        self.fake.stop()


class Serve:
    """One `opencode serve`; /event payloads copied raw to the capture."""

    def __init__(self, oc, flow, cap, http_log):
        self.flow = flow
        self.cap, self.http = cap, http_log
        self.password = secrets.token_hex(16)
        env = dict(flow.env, OPENCODE_SERVER_PASSWORD=self.password)
        self.err = open(os.path.join(flow.dir, "serve.stderr"), "ab")
        self.out_path = os.path.join(flow.dir, "serve.stdout")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [oc, "serve", "--hostname", "127.0.0.1", "--port", "0"],
            cwd=flow.work, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.err, start_new_session=True)
        atexit.register(self.stop)
        self.port = None
        got = threading.Event()
        threading.Thread(target=self._stdout, args=(got,),
                         daemon=True).start()
        if not got.wait(30) or not self.port:
            self.stop()
            raise RuntimeError("opencode serve: no listening line")
        self.listen_s = time.monotonic() - t0
        self.auth = "Basic " + base64.b64encode(
            ("opencode:" + self.password).encode()).decode()
        self.events, self.cond = [], threading.Condition()
        self.hlock = threading.Lock()
        self.sse_ok = threading.Event()
        threading.Thread(target=self._sse, daemon=True).start()
        if not self.sse_ok.wait(15):
            self.stop()
            raise RuntimeError("opencode serve: /event did not connect")

    def _stdout(self, got):
        with open(self.out_path, "ab") as out:
            for raw in iter(self.proc.stdout.readline, b""):
                out.write(raw)
                out.flush()
                m = re.search(rb"listening on http://[^:\s]+:(\d+)", raw)
                if m and not self.port:
                    self.port = int(m.group(1))
                    got.set()
        got.set()

    def _sse(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            conn.request("GET", "/event", headers={
                "Authorization": self.auth, "Accept": "text/event-stream"})
            resp = conn.getresponse()
            self.log_http("GET", "/event", None, resp.status, b"(stream)")
            if resp.status != 200:
                return
            self.sse_ok.set()
            while True:
                raw = resp.readline()  # de-chunked
                if not raw:
                    break
                if not raw.startswith(b"data:"):
                    continue
                data = raw[5:]
                if data.startswith(b" "):
                    data = data[1:]
                data = data.rstrip(b"\r\n")
                self.cap.write(data + b"\n")
                self.cap.flush()
                try:
                    ev = json.loads(data)
                except ValueError:
                    continue
                with self.cond:
                    self.events.append((time.monotonic(), ev))
                    self.cond.notify_all()
        except OSError:
            pass
        finally:
            with self.cond:
                self.events.append((time.monotonic(), None))
                self.cond.notify_all()

    def log_http(self, method, path, body, status, resp):
        with self.hlock:
            self.http.write(("%s %s\n" % (method, path)).encode())
            if body is not None:
                self.http.write(json.dumps(body).encode() + b"\n")
            self.http.write(("-> %d " % status).encode() + resp.rstrip() +
                            b"\n\n")
            self.http.flush()

    def call(self, method, path, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        hdrs = {"Authorization": self.auth}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        self.log_http(method, path, body, resp.status, raw)
        return resp.status, raw

    def json_call(self, method, path, body=None):
        st, raw = self.call(method, path, body)
        if st != 200:
            raise RuntimeError("%s %s -> %d %r" % (method, path, st, raw))
        return json.loads(raw)

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait_for(self, pred, timeout=60.0, since=0):
        """First (time, event) at index >= since with pred(ev)."""
        left = deadline(timeout)
        with self.cond:
            i = since
            while True:
                while i < len(self.events):
                    t, ev = self.events[i]
                    if ev is None:
                        return None
                    if pred(ev):
                        return t, ev, i
                    i += 1
                if not left():
                    return None
                self.cond.wait(left())

    def turn(self, sid, text, policy=None, extra=None, timeout=60.0,
             on_pending=None):
        """prompt_async and answer requests until session.idle.  Returns
        a dict of timings and the events of the turn."""
        since = self.mark()
        body = {"parts": [{"type": "text", "text": text}]}
        body.update(extra or {})
        t0 = time.monotonic()
        st, _ = self.call("POST", "/session/%s/prompt_async" % sid, body)
        if st not in (200, 204):
            raise RuntimeError("prompt_async -> %d" % st)
        res = {"first": None, "user": None, "busy": None, "idle": None,
               "asked": []}
        seen = set(e["properties"]["info"]["id"] for _, e in
                   self.events[:since] if e is not None and
                   e.get("type") == "message.updated")
        left = deadline(timeout)
        i = since
        while True:
            hit = self.wait_for(lambda e: session_of(e) == sid, left(), i)
            if hit is None:
                break
            t, ev, i = hit
            i += 1
            if res["first"] is None:
                res["first"] = t - t0
            typ = ev.get("type")
            info = (ev.get("properties") or {}).get("info") or {}
            if typ == "message.updated" and info.get("role") == "user" and \
                    info.get("id") not in seen and res["user"] is None:
                res["user"] = t - t0
            if typ == "session.status" and res["busy"] is None and \
                    ev["properties"]["status"].get("type") == "busy":
                res["busy"] = t - t0
            if typ in ("permission.asked", "question.asked"):
                res["asked"].append(ev)
                if on_pending:
                    on_pending(ev)
                elif policy:
                    policy(self, ev)
            if typ == "session.idle":
                res["idle"] = t - t0
                break
        res["events"] = [e for _, e in self.events[since:]
                         if e is not None and session_of(e) == sid]
        return res

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        if not self.err.closed:
            self.err.close()


def perm(reply):
    def policy(srv, ev):
        if ev["type"] == "permission.asked":
            srv.call("POST", "/permission/%s/reply" % ev["properties"]["id"],
                     {"reply": reply})
        elif ev["type"] == "question.asked":
            srv.call("POST", "/question/%s/reject" % ev["properties"]["id"])
    return policy


def answer(labels):
    def policy(srv, ev):
        if ev["type"] == "question.asked":
            srv.call("POST", "/question/%s/reply" % ev["properties"]["id"],
                     {"answers": [labels]})
        elif ev["type"] == "permission.asked":
            srv.call("POST", "/permission/%s/reply" % ev["properties"]["id"],
                     {"reply": "once"})
    return policy


def reject_question(srv, ev):
    if ev["type"] == "question.asked":
        srv.call("POST", "/question/%s/reject" % ev["properties"]["id"])
    elif ev["type"] == "permission.asked":
        srv.call("POST", "/permission/%s/reply" % ev["properties"]["id"],
                 {"reply": "once"})


# ---------------------------------------------------------------- flows
class Ctx:
    def __init__(self, oc, out, scratch):
        self.oc, self.out, self.scratch = oc, out, scratch

    def serve(self, flow, name, append=False):
        cap = open(os.path.join(self.out, name), "ab" if append else "wb")
        http_log = open(os.path.join(self.out, name + ".http"),
                        "ab" if append else "wb")
        srv = Serve(self.oc, flow, cap, http_log)
        srv.files = (cap, http_log)
        flow.notes.append("listening after %.2fs (port %d)" %
                          (srv.listen_s, srv.port))
        return srv

    def close(self, srv, settle=0.5):
        time.sleep(settle)
        srv.stop()
        for f in srv.files:
            f.close()


def note_turn(flow, res, label="turn"):
    def ms(k):
        return "%.0fms" % (res[k] * 1000) if res[k] is not None else "never"
    flow.notes.append("%s: first event %s, user message %s, busy %s, "
                      "idle %s" % (label, ms("first"), ms("user"), ms("busy"),
                                   ms("idle")))


def tool_states(res, tool=None):
    out = []
    for e in res["events"]:
        if e["type"] == "message.part.updated":
            p = e["properties"]["part"]
            if p.get("type") == "tool" and (tool is None or
                                            p.get("tool") == tool):
                out.append(p["state"]["status"])
    return out


def simple_serve(ctx, name, config, text, policy, check, extra=None,
                 messages=None, agents=None):
    flow = Flow(ctx.scratch, name, config)
    try:
        srv = ctx.serve(flow, name + ".jsonl")
        try:
            sid = srv.json_call("POST", "/session", {"title": name})["id"]
            texts = text if isinstance(text, list) else [text]
            results = []
            for n, t in enumerate(texts):
                res = srv.turn(sid, t, policy, extra)
                note_turn(flow, res, "turn %d" % (n + 1))
                results.append(res)
            if messages:
                st, raw = srv.call("GET", "/session/%s/message" % sid)
                with open(os.path.join(ctx.out, messages), "wb") as f:
                    f.write(raw)
            if agents:
                st, raw = srv.call("GET", "/agent")
                with open(os.path.join(ctx.out, agents), "wb") as f:
                    f.write(raw)
        finally:
            ctx.close(srv)
        ok = check(flow, results)
        return flow, ok
    finally:
        flow.close()


def idle_all(results):
    return all(r["idle"] is not None for r in results)


def f_bash_once(ctx):
    def check(flow, rs):
        return (idle_all(rs) and len(rs[0]["asked"]) == 1 and
                os.path.exists(os.path.join(flow.work, "approved.txt")) and
                "completed" in tool_states(rs[0], "bash"))
    return simple_serve(ctx, "serve-bash-once", ASK,
                        "RUN: touch approved.txt", perm("once"), check)


def f_bash_reject(ctx):
    def check(flow, rs):
        return (idle_all(rs) and len(rs[0]["asked"]) == 1 and
                not os.path.exists(os.path.join(flow.work, "rejected.txt"))
                and "error" in tool_states(rs[0], "bash"))
    return simple_serve(ctx, "serve-bash-reject", ASK,
                        "RUN: touch rejected.txt", perm("reject"), check)


def f_question_answer(ctx):
    def check(flow, rs):
        asked = [e for e in rs[0]["asked"] if e["type"] == "question.asked"]
        return idle_all(rs) and len(asked) == 1 and \
            "completed" in tool_states(rs[0], "question")
    return simple_serve(ctx, "serve-question-answer", ASK,
                        "TOOL: question " + json.dumps(QUESTION),
                        answer(["Blue"]), check)


def f_question_reject(ctx):
    def check(flow, rs):
        asked = [e for e in rs[0]["asked"] if e["type"] == "question.asked"]
        return idle_all(rs) and len(asked) == 1 and \
            "error" in tool_states(rs[0], "question")
    return simple_serve(ctx, "serve-question-reject", ASK,
                        "TOOL: question " + json.dumps(QUESTION),
                        reject_question, check)


def f_two_turns(ctx):
    def check(flow, rs):
        return idle_all(rs) and len(rs) == 2 and \
            all(r["asked"] for r in rs)
    return simple_serve(ctx, "serve-two-turns", ASK,
                        ["RUN: echo first", "Second turn. RUN: echo second"],
                        perm("once"), check, messages="serve-messages.json",
                        agents="serve-agents.json")


def f_error400(ctx):
    def check(flow, rs):
        return idle_all(rs) and any(e["type"] == "session.error"
                                    for e in rs[0]["events"])
    return simple_serve(ctx, "serve-error400", ASK,
                        "FAIL400 please", perm("once"), check)


def f_edit(ctx):
    def check(flow, rs):
        path = os.path.join(flow.work, "created.txt")
        body = open(path).read() if os.path.exists(path) else None
        return idle_all(rs) and len(rs[0]["asked"]) == 1 and \
            body == WRITE_BODY
    text = "TOOL: write " + json.dumps({"filePath": "created.txt",
                                        "content": WRITE_BODY})
    return simple_serve(ctx, "serve-edit", ASK, text, perm("once"), check)


def f_plan(ctx):
    def check(flow, rs):
        flow.notes.append("plan: asked %s, bash states %s, write states %s;"
                          " plan.txt %s, plan-write.txt %s" % (
                              [e["type"] for r in rs for e in r["asked"]],
                              tool_states(rs[0]), tool_states(rs[1]),
                              os.path.exists(os.path.join(flow.work,
                                                          "plan.txt")),
                              os.path.exists(os.path.join(
                                  flow.work, "plan-write.txt"))))
        return idle_all(rs)
    text = ["RUN: touch plan.txt",
            "TOOL: write " + json.dumps({"filePath": "plan-write.txt",
                                         "content": WRITE_BODY})]
    return simple_serve(ctx, "serve-plan", None, text, perm("once"), check,
                        extra={"agent": "plan", "model": {
                            "providerID": "fake", "modelID": "fake-model"}})


def f_bypass(ctx):
    def check(flow, rs):
        return (idle_all(rs) and not any(r["asked"] for r in rs) and
                os.path.exists(os.path.join(flow.work, "bypass.txt")) and
                os.path.exists(os.path.join(flow.work, "bypass-write.txt")))
    text = ["RUN: touch bypass.txt",
            "TOOL: write " + json.dumps({"filePath": "bypass-write.txt",
                                         "content": WRITE_BODY})]
    return simple_serve(ctx, "serve-bypass", ALLOW, text, None, check)


def f_abort(ctx):
    name = "serve-abort"
    flow = Flow(ctx.scratch, name, ASK)
    try:
        srv = ctx.serve(flow, name + ".jsonl")
        try:
            sid = srv.json_call("POST", "/session", {"title": name})["id"]

            def on_pending(ev):
                t = time.monotonic()
                srv.call("POST", "/session/%s/abort" % sid)
                flow.notes.append("abort call took %.3fs" %
                                  (time.monotonic() - t))
            res = srv.turn(sid, "RUN: touch aborted.txt",
                           on_pending=on_pending, timeout=30)
            note_turn(flow, res)
            st, raw = srv.call("GET", "/permission")
            flow.notes.append("pending permissions after abort: %d" %
                              len(json.loads(raw)))
            # the session still takes a new prompt afterwards
            res2 = srv.turn(sid, "NOTOOL after abort", perm("once"))
            note_turn(flow, res2, "turn after abort")
            st, raw = srv.call("GET", "/permission")
            stale = json.loads(raw)
            flow.notes.append("pending permissions after the next turn: %d"
                              % len(stale))
            for p in stale:
                st, raw = srv.call("POST", "/permission/%s/reply" % p["id"],
                                   {"reply": "reject"})
                flow.notes.append("reply to the stale permission: %d %s" %
                                  (st, raw.decode()[:80]))
            time.sleep(0.5)
            st, raw = srv.call("GET", "/permission")
            flow.notes.append("pending permissions after that: %d" %
                              len(json.loads(raw)))
        finally:
            ctx.close(srv)
        types = [e["type"] for e in res["events"]]
        ok = (res["idle"] is not None and res2["idle"] is not None and
              "permission.asked" in types and
              not os.path.exists(os.path.join(flow.work, "aborted.txt")))
        return flow, ok
    finally:
        flow.close()


def f_resume(ctx):
    name = "serve-resume"
    flow = Flow(ctx.scratch, name, None)
    try:
        srv = ctx.serve(flow, name + ".jsonl")
        try:
            sid = srv.json_call("POST", "/session", {"title": name})["id"]
            res1 = srv.turn(sid, "RUN: echo before-restart")
            note_turn(flow, res1, "server 1 turn")
        finally:
            ctx.close(srv)
        n_before = len(flow.requests())
        srv = ctx.serve(flow, name + ".jsonl", append=True)
        try:
            res2 = srv.turn(sid, "Second server. RUN: echo after-restart")
            note_turn(flow, res2, "server 2 turn")
        finally:
            ctx.close(srv)
        later = [r for r in flow.requests()[n_before:]
                 if r["path"].startswith("/v1/chat") and
                 (r["body"] or {}).get("tools")]
        hist = False
        if later:
            msgs = later[0]["body"]["messages"]
            text = json.dumps(msgs)
            hist = "before-restart" in text
            flow.notes.append("resumed request has %d messages; roles %s; "
                              "history present: %s" % (
                                  len(msgs), [m["role"] for m in msgs], hist))
        return flow, (res1["idle"] is not None and
                      res2["idle"] is not None and hist)
    finally:
        flow.close()


def run_form(ctx, name, text):
    flow = Flow(ctx.scratch, name, None)
    try:
        cap = os.path.join(ctx.out, name + ".jsonl")
        t0 = time.monotonic()
        with open(cap, "wb") as out, \
                open(os.path.join(flow.dir, "run.stderr"), "wb") as err:
            p = subprocess.Popen(
                [ctx.oc, "run", "--format", "json", text], cwd=flow.work,
                env=flow.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=err, start_new_session=True)
            try:
                rc = p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                rc = p.wait()
        flow.notes.append("run: rc %d, %.2fs" % (rc, time.monotonic() - t0))
        return flow, rc
    finally:
        flow.close()


def f_run_bash(ctx):
    flow, rc = run_form(ctx, "run-bash", "RUN: echo hi")
    return flow, rc == 0


def f_run_error400(ctx):
    flow, rc = run_form(ctx, "run-error400", "FAIL400 please")
    return flow, rc != 0


FLOWS = {
    "serve-bash-once": f_bash_once,
    "serve-bash-reject": f_bash_reject,
    "serve-question-answer": f_question_answer,
    "serve-question-reject": f_question_reject,
    "serve-two-turns": f_two_turns,
    "serve-resume": f_resume,
    "serve-error400": f_error400,
    "serve-abort": f_abort,
    "serve-edit": f_edit,
    "serve-plan": f_plan,
    "serve-bypass": f_bypass,
    "run-bash": f_run_bash,
    "run-error400": f_run_error400,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opencode", help="opencode executable "
                    "(default: tests/agents/install.sh opencode)")
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures",
                                                  "opencode"))
    ap.add_argument("--scratch", default="/tmp/sa-record-opencode")
    ap.add_argument("flows", nargs="*")
    opts = ap.parse_args()

    def on_signal(sig, _frm):  # unwind, so every opencode gets stopped
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    oc = opts.opencode or subprocess.run(
        ["sh", os.path.join(HERE, "install.sh"), "opencode"], check=True,
        stdout=subprocess.PIPE).stdout.decode().strip()
    os.makedirs(opts.out, exist_ok=True)
    os.makedirs(opts.scratch, exist_ok=True)
    ctx = Ctx(oc, opts.out, opts.scratch)
    failed = 0
    for name in opts.flows or list(FLOWS):
        if name not in FLOWS:
            print("unknown flow: %s" % name, file=sys.stderr)
            return 2
        try:
            flow, ok = FLOWS[name](ctx)
        except Exception as e:  # report and go on with the next flow
            print("%s: ERROR %s" % (name, e))
            failed += 1
            continue
        leaks = flow.proxy_attempts()
        if leaks:
            flow.notes.append("proxy attempts: %d" % len(leaks))
        print("%s: %s; %s" % (name, "ok" if ok else "CHECK FAILED",
                              "; ".join(flow.notes)))
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
