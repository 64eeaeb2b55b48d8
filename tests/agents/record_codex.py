#!/usr/bin/env python3
"""record_codex.py - record real Codex CLI transcripts against fakellm.

What it is for: producing tests/fixtures/codex/*.jsonl, the raw stdout of
the real Codex CLI (0.169.0), byte for byte, for `codex exec --json` and
`codex app-server` flows, plus *.jsonl.stdin (what was written to codex;
empty for exec).  The Codex normalizer's expectations are built on them.

How it works: each flow gets its own scratch directory SCRATCH/<flow>/ with
a fresh HOME/CODEX_HOME (home/), a cwd (work/, not a git repository), its
own tests/fakellm/fakellm.py (request log fakellm.jsonl) and codex's stderr.
The environment comes from tests/agents/codex_env.sh (sourced by sh, so the
shell tests and this driver share one definition).  `codex app-server`
speaks JSON-RPC over stdio, one JSON per line with no "jsonrpc" field; the
driver sends initialize (clientInfo name "sa", experimentalApi on),
initialized, thread/start (or thread/resume), turn/start, and answers the
server's requests (item/commandExecution/requestApproval,
item/fileChange/requestApproval, item/permissions/requestApproval,
item/tool/requestUserInput) according to the flow.  Every wait is bounded;
stdin is closed at the end and codex is waited for (then terminated).
Paths in the captures are the real scratch paths (not rewritten).

Usage: record_codex.py [--codex PATH] [--out DIR] [--scratch DIR] [FLOW...]
Flows: see FLOWS below (default: all).  Exit status 1 if any flow's check
failed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository
from fakeenv import FakeLLM, deadline, sourced_env  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
ENV_SH = os.path.join(HERE, "codex_env.sh")
PATCH_TEXT = "alpha line\\nbeta line\\ngamma line"
PATCH_BODY = "alpha line\nbeta line\ngamma line\n"
QUESTION = {"questions": [{
    "id": "color", "header": "Color", "question": "Which color?",
    "options": [{"label": "Red (Recommended)", "description": "A warm color"},
                {"label": "Blue", "description": "A cool color"}]}]}


def codex_env(port, home):
    """The environment codex_env.sh builds, as a dict."""
    return sourced_env(ENV_SH, "sa_codex_env", port, home)


class Flow:
    """Scratch dirs, a fakellm and the env for one flow."""

    def __init__(self, scratch, name):
        self.dir = os.path.join(scratch, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.home = os.path.join(self.dir, "home")
        self.work = os.path.join(self.dir, "work")
        os.makedirs(self.work)
        self.log = os.path.join(self.dir, "fakellm.jsonl")
        self.fake = FakeLLM(self.log)
        self.env = codex_env(self.fake.port, self.home)
        self.notes = []

    def requests(self):
        """The fakellm request log, parsed."""
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def close(self):
        self.fake.stop()


class AppServer:
    """One `codex app-server` process; stdout copied raw to cap_path."""

    def __init__(self, codex, flow, cap_path, policy, args=()):
        self.flow, self.policy = flow, policy
        self.cap = open(cap_path, "wb")
        self.stdin_log = open(cap_path + ".stdin", "wb")
        self.err = open(os.path.join(
            flow.dir, os.path.basename(cap_path) + ".stderr"), "wb")
        self.proc = subprocess.Popen(
            [codex, "app-server"] + list(args), cwd=flow.work, env=flow.env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.msgs, self.cond = [], threading.Condition()
        self.wlock, self.next_id = threading.Lock(), 1
        self.requests_seen = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.cap.write(raw)
            self.cap.flush()
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if "method" in msg and "id" in msg:
                self.requests_seen.append(msg)
                result = self.policy(msg) if self.policy else None
                if result is not None:
                    self.send({"id": msg["id"], "result": result})
            with self.cond:
                self.msgs.append(msg)
                self.cond.notify_all()
        with self.cond:
            self.msgs.append(None)  # EOF marker
            self.cond.notify_all()

    def send(self, obj):
        line = (json.dumps(obj) + "\n").encode()
        with self.wlock:
            self.stdin_log.write(line)
            self.stdin_log.flush()
            self.proc.stdin.write(line)
            self.proc.stdin.flush()

    def wait_for(self, pred, timeout=30.0, since=0):
        """First message at index >= since with pred(msg); None on timeout
        or EOF."""
        left = deadline(timeout)
        with self.cond:
            i = since
            while True:
                while i < len(self.msgs):
                    m = self.msgs[i]
                    if m is None:
                        return None
                    if pred(m):
                        return m
                    i += 1
                if not left():
                    return None
                self.cond.wait(left())

    def mark(self):
        with self.cond:
            return len(self.msgs)

    def request(self, method, params, timeout=30.0):
        rid = self.next_id
        self.next_id += 1
        since = self.mark()
        self.send({"id": rid, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == rid and
                             "method" not in m, timeout, since)

    def notify(self, method, params=None):
        msg = {"method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def initialize(self):
        r = self.request("initialize", {
            "clientInfo": {"name": "sa", "title": "sa", "version": "0.1"},
            "capabilities": {"experimentalApi": True}})
        self.notify("initialized")
        return r

    def thread_start(self, approval="untrusted", sandbox="workspace-write"):
        r = self.request("thread/start", {"cwd": self.flow.work,
                                          "approvalPolicy": approval,
                                          "sandbox": sandbox})
        return r["result"]["thread"]["id"]

    def turn(self, thread_id, text, extra=None, timeout=60.0, started=None):
        """Start a turn and wait for its turn/completed; `started(turn_id)`
        runs right after the turn/start response."""
        since = self.mark()
        params = {"threadId": thread_id,
                  "input": [{"type": "text", "text": text}]}
        params.update(extra or {})
        r = self.request("turn/start", params)
        tid = ((r or {}).get("result") or {}).get("turn", {}).get("id")
        if started and tid:
            started(tid)
        return self.wait_for(lambda m: m.get("method") == "turn/completed",
                             timeout, since)

    def finish(self, settle=0.3, timeout=15.0):
        time.sleep(settle)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                rc = self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        self.reader.join(5)
        for f in (self.cap, self.stdin_log, self.err):
            f.close()
        return rc


def policy(decision):
    """A server-request handler answering every request the same way."""
    def answer(req):
        m = req["method"]
        if m in ("item/commandExecution/requestApproval",
                 "item/fileChange/requestApproval"):
            return {"decision": decision}
        if m == "item/permissions/requestApproval":
            p = req["params"].get("permissions") or {}
            return {"permissions": p if decision == "accept" else {},
                    "scope": "turn"}
        if m == "item/tool/requestUserInput":
            return {"answers": {q["id"]: {"answers": [
                (q.get("options") or [{"label": "yes"}])[-1]["label"]]}
                for q in req["params"].get("questions") or []}}
        if m in ("execCommandApproval", "applyPatchApproval"):
            return {"decision": "approved" if decision == "accept"
                    else "denied"}
        return None
    return answer


def check(flow, ok, what):
    flow.notes.append(("ok   " if ok else "FAIL ") + what)
    return ok


# ---------------------------------------------------------------- exec flows
def run_exec(codex, flow, args, cap):
    with open(cap, "wb") as out, \
            open(os.path.join(flow.dir, os.path.basename(cap) + ".stderr"),
                 "wb") as err:
        p = subprocess.run([codex, "exec", "--json", "--skip-git-repo-check"]
                           + args, cwd=flow.work, env=flow.env,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                           timeout=90)
    open(cap + ".stdin", "wb").close()
    return p.returncode


def thread_id_of(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            if m.get("type") == "thread.started":
                return m["thread_id"]
    return None


def flow_exec_command(codex, flow, cap):
    rc = run_exec(codex, flow, ["Please run echo hi"], cap)
    return check(flow, rc == 0, "exec rc 0 (rc=%d)" % rc)


def flow_exec_resume(codex, flow, cap):
    first = os.path.join(flow.dir, "first.jsonl")
    rc = run_exec(codex, flow, ["Please run echo hi"], first)
    tid = thread_id_of(first)
    if not check(flow, rc == 0 and tid, "first exec rc 0, thread %s" % tid):
        return False
    rc = run_exec(codex, flow, ["resume", tid,
                                "Second turn. RUN: echo second"], cap)
    ok = check(flow, rc == 0 and thread_id_of(cap) == tid,
               "resume rc %d, same thread id" % rc)
    return history_check(flow, "echo hi") and ok


def flow_exec_error400(codex, flow, cap):
    rc = run_exec(codex, flow, ["Please fail: FAIL400"], cap)
    return check(flow, rc != 0, "exec rc non-zero (rc=%d)" % rc)


def history_check(flow, earlier):
    """The last model request carries the earlier turn's messages."""
    reqs = [r for r in flow.requests() if r["path"].startswith("/v1/resp")]
    if not reqs:
        return check(flow, False, "no model request logged")
    inp = json.dumps(reqs[-1]["body"].get("input"))
    kinds = [i.get("type") or i.get("role")
             for i in reqs[-1]["body"].get("input") or []]
    flow.notes.append("last model request input items: %s" % kinds)
    return check(flow, earlier in inp,
                 "last model request carries %r from the earlier turn"
                 % earlier)


# ---------------------------------------------------------- app-server flows
def appserver_turns(codex, flow, cap, prompts, decision="accept",
                    approval="untrusted", sandbox="workspace-write",
                    extra=None):
    s = AppServer(codex, flow, cap, policy(decision))
    s.initialize()
    tid = s.thread_start(approval, sandbox)
    done = [s.turn(tid, p, extra) for p in prompts]
    rc = s.finish()
    check(flow, all(done), "every turn completed (app-server rc %s)" % rc)
    return s, done


def flow_command_accept(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap, ["RUN: touch approved.txt"])
    ok = check(flow, any(r["method"].endswith("commandExecution/"
                                              "requestApproval")
                         for r in s.requests_seen), "approval requested")
    return check(flow, os.path.exists(os.path.join(flow.work, "approved.txt")),
                 "approved.txt exists") and ok and all(done)


def flow_command_decline(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap, ["RUN: touch declined.txt"],
                              "decline")
    ok = check(flow, bool(s.requests_seen), "approval requested")
    return check(flow, not os.path.exists(os.path.join(flow.work,
                                                       "declined.txt")),
                 "declined.txt does not exist") and ok and all(done)


def flow_filechange(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap,
                              ["PATCH: notes.txt " + PATCH_TEXT])
    ok = check(flow, any(r["method"] == "item/fileChange/requestApproval"
                         for r in s.requests_seen),
               "fileChange approval requested")
    path = os.path.join(flow.work, "notes.txt")
    body = open(path).read() if os.path.exists(path) else None
    return check(flow, body == PATCH_BODY, "notes.txt content %r" % body) \
        and ok and all(done)


def flow_two_turns(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap, ["RUN: touch one.txt",
                                                 "RUN: touch two.txt"])
    ok = check(flow, len(s.requests_seen) == 2, "%d approvals requested"
               % len(s.requests_seen))
    return check(flow, all(os.path.exists(os.path.join(flow.work, f))
                           for f in ("one.txt", "two.txt")),
                 "one.txt and two.txt exist") and ok and all(done)


def flow_resume(codex, flow, cap):
    first = os.path.join(flow.dir, "first.jsonl")
    s = AppServer(codex, flow, first, policy("accept"))
    s.initialize()
    tid = s.thread_start()
    ok = s.turn(tid, "First turn. RUN: echo first") is not None
    s.finish()
    if not check(flow, ok, "first process turn completed, thread %s" % tid):
        return False
    s = AppServer(codex, flow, cap, policy("accept"))
    s.initialize()
    r = s.request("thread/resume", {"threadId": tid})
    ok = check(flow, r is not None and "result" in r, "thread/resume ok")
    ok = s.turn(tid, "Second turn. RUN: echo second") is not None and ok
    s.finish()
    check(flow, ok, "resumed turn completed")
    return history_check(flow, "echo first") and ok


def flow_error400(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap, ["Please fail: FAIL400"])
    st = done[0] and done[0]["params"]["turn"].get("status")
    return check(flow, st == "failed", "turn status %s" % st)


def flow_interrupt(codex, flow, cap):
    s = AppServer(codex, flow, cap, None)  # leave the approval pending
    s.initialize()
    tid = s.thread_start()

    def interrupt(turn_id):
        req = s.wait_for(lambda m: m.get("method", "").endswith(
            "/requestApproval"), 30)
        if check(flow, req is not None, "approval requested"):
            r = s.request("turn/interrupt", {"threadId": tid,
                                             "turnId": turn_id})
            flow.notes.append("turn/interrupt response: %s" % json.dumps(r))
    done = s.turn(tid, "RUN: touch interrupted.txt", started=interrupt,
                  timeout=30)
    s.finish(settle=1.0)
    st = done and done["params"]["turn"].get("status")
    ok = check(flow, st == "interrupted", "turn status %s" % st)
    return check(flow, not os.path.exists(os.path.join(flow.work,
                                                       "interrupted.txt")),
                 "interrupted.txt does not exist") and ok


def flow_plan_question(codex, flow, cap):
    s = AppServer(codex, flow, cap, policy("accept"))
    s.initialize()
    modes = s.request("collaborationMode/list", {})
    flow.notes.append("collaborationMode/list: %s" % json.dumps(modes)[:400])
    tid = s.thread_start()
    extra = {"collaborationMode": {"mode": "plan", "settings": {
        "model": "gpt-5.5", "reasoning_effort": None,
        "developer_instructions": None}}}
    done = s.turn(tid, "Ask me. TOOL: request_user_input " +
                  json.dumps(QUESTION), extra)
    s.finish()
    ok = check(flow, done is not None, "turn completed")
    return check(flow, any(r["method"] == "item/tool/requestUserInput"
                           for r in s.requests_seen),
                 "item/tool/requestUserInput requested") and ok


def flow_bypass(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap, ["RUN: touch bypass.txt"],
                              "decline", "never", "danger-full-access")
    ok = check(flow, not s.requests_seen, "no server request")
    return check(flow, os.path.exists(os.path.join(flow.work, "bypass.txt")),
                 "bypass.txt exists") and ok and all(done)


def flow_readonly(codex, flow, cap):
    s, done = appserver_turns(codex, flow, cap, ["RUN: touch ro.txt"],
                              "accept", "untrusted", "read-only")
    flow.notes.append("server requests: %s" % [r["method"]
                                                for r in s.requests_seen])
    flow.notes.append("ro.txt exists: %s" % os.path.exists(
        os.path.join(flow.work, "ro.txt")))
    return all(done)


def flow_readonly_never(codex, flow, cap):
    """approvalPolicy never + read-only: the sandbox refuses the write."""
    s, done = appserver_turns(codex, flow, cap, ["RUN: touch ro.txt"],
                              "decline", "never", "read-only")
    ok = check(flow, not s.requests_seen, "no server request")
    return check(flow, not os.path.exists(os.path.join(flow.work, "ro.txt")),
                 "ro.txt does not exist") and ok and all(done)


def flow_model_list(codex, flow, cap):
    s = AppServer(codex, flow, cap, None)
    s.initialize()
    r = s.request("model/list", {})
    s.finish()
    return check(flow, r is not None and "result" in r, "model/list result")


def flow_permissions(codex, flow, cap):
    """request_permissions is an under-development tool; enable it with
    -c features.request_permissions_tool=true and call it."""
    args = {"justification": "Need to write outside the workspace",
            "permissions": {"file_system": {"write": ["/tmp/h1-perm"]}}}
    s = AppServer(codex, flow, cap, policy("accept"),
                  ["-c", "features.request_permissions_tool=true"])
    s.initialize()
    tid = s.thread_start()
    done = s.turn(tid, "TOOL: request_permissions " + json.dumps(args))
    s.finish()
    ok = check(flow, done is not None, "turn completed")
    return check(flow, any(r["method"] == "item/permissions/requestApproval"
                           for r in s.requests_seen),
                 "item/permissions/requestApproval requested") and ok


FLOWS = {
    "exec-command": flow_exec_command,
    "exec-resume": flow_exec_resume,
    "exec-error400": flow_exec_error400,
    "appserver-command-accept": flow_command_accept,
    "appserver-command-decline": flow_command_decline,
    "appserver-filechange": flow_filechange,
    "appserver-two-turns": flow_two_turns,
    "appserver-resume": flow_resume,
    "appserver-error400": flow_error400,
    "appserver-interrupt": flow_interrupt,
    "appserver-plan-question": flow_plan_question,
    "appserver-bypass": flow_bypass,
    "appserver-readonly": flow_readonly,
    "appserver-readonly-never": flow_readonly_never,
    "appserver-model-list": flow_model_list,
    "appserver-permissions": flow_permissions,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--codex", help="codex binary (default: install.sh codex)")
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures",
                                                  "codex"))
    ap.add_argument("--scratch", help="scratch dir (default: a new temp dir)")
    ap.add_argument("flows", nargs="*")
    o = ap.parse_args()
    codex = o.codex or subprocess.run(
        ["sh", os.path.join(HERE, "install.sh"), "codex"], check=True,
        stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    scratch = o.scratch or tempfile.mkdtemp(prefix="sa-codex-rec-")
    os.makedirs(scratch, exist_ok=True)
    os.makedirs(o.out, exist_ok=True)
    failed = 0
    for name in o.flows or list(FLOWS):
        flow = Flow(scratch, name)
        t0 = time.monotonic()
        try:
            ok = FLOWS[name](codex, flow, os.path.join(o.out, name + ".jsonl"))
        finally:
            flow.close()
        failed += not ok
        print("%-28s %s %.1fs  (%s)" % (name, "ok  " if ok else "FAIL",
                                        time.monotonic() - t0, flow.dir))
        for n in flow.notes:
            print("    " + n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
