#!/usr/bin/env python3
"""record_pi.py - record real Pi (0.73.1) transcripts against fakellm.

What it is for: producing tests/fixtures/pi/*.jsonl.  rpc-* flows are the
standard output of `sa-spawn --agent pi` (pi --mode rpc with sa's
extension), byte for byte: pi's own lines plus sa-spawn's {"sa":...} lines,
which is exactly what sa-normalize reads in the pipeline; *.jsonl.stdin
holds the universal input commands written to sa-spawn.  json-* flows are
the raw stdout of `pi --mode json` (no sa-spawn, no extension).

How it works: each flow gets its own scratch directory SCRATCH/<flow>/ with
a private HOME and PI_CODING_AGENT_DIR (home/), a cwd (work/), its own
tests/fakellm/fakellm.py (request log fakellm.jsonl) and stderr.  The
environment comes from tests/agents/pi_env.sh (sourced by sh, so the shell
tests and this driver share one definition).  The driver writes messages to
sa-spawn's stdin one turn at a time (the next after {"sa":"turn_end"}),
answers each dialog (an extension_ui_request select/confirm/input/editor)
with the flow's next reply as a universal command (permission.reply,
question.reply, question.reject, or cancel), and closes stdin after the
last turn.  Every wait is bounded.  Paths in the captures are the real
scratch paths (not rewritten).

Usage: record_pi.py [--pi PATH] [--sa-spawn PATH] [--out DIR]
                    [--scratch DIR] [FLOW...]
Flows: see FLOWS below (default: all).  Exit status 1 if any flow's check
failed, 2 on usage errors.
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository
from fakeenv import FakeLLM, deadline, sourced_env  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
ENV_SH = os.path.join(HERE, "pi_env.sh")
QUESTION = {"questions": [{
    "question": "Which color?", "header": "Color", "multiSelect": False,
    "options": [{"label": "Red", "description": "A warm color"},
                {"label": "Blue", "description": "A cool color"}]}]}
Q_MSG = "Ask me. TOOL: question " + json.dumps(QUESTION)

# name: (sa-spawn args, messages, replies, check(work, fakellm log) or None)
# A reply is ("perm", once|always|reject), ("answer", [..]) , ("reject",) or
# ("cancel",), used in order, one per dialog.
FLOWS = {
    "rpc-bash-once": ([], ["Please run it. RUN: echo pi-once"], [("perm", "once")],
                      None),
    "rpc-bash-reject": ([], ["Create a file. RUN: touch rejected.txt"],
                        [("perm", "reject")],
                        lambda w, log: not os.path.exists(os.path.join(w, "rejected.txt"))),
    "rpc-always": ([], ["RUN: echo first", "RUN: echo second"], [("perm", "always")], None),
    "rpc-question-answer": ([], [Q_MSG], [("answer", ["Blue"])], None),
    "rpc-question-reject": ([], [Q_MSG], [("reject",)], None),
    "rpc-two-turns": (["--permission-mode", "bypass"], ["RUN: echo one", "RUN: echo two"], [],
                      None),
    "rpc-error400": ([], ["FAIL400 please"], [], None),
    "rpc-cancel": ([], ["RUN: touch cancelled.txt"], [("cancel",)],
                   lambda w, log: not os.path.exists(os.path.join(w, "cancelled.txt"))),
    "rpc-plan": (["--permission-mode", "plan"], ["Create a file. RUN: touch planned.txt"], [],
                 lambda w, log: not os.path.exists(os.path.join(w, "planned.txt"))),
    "rpc-accept-edits": (["--permission-mode", "acceptEdits"],
                         ['Write it. TOOL: write {"path": "note.txt", "content": "hello\\n"}',
                          "RUN: echo after"], [("perm", "once")],
                         lambda w, log: os.path.exists(os.path.join(w, "note.txt"))),
    "rpc-dialogs": ([], ["TOOL: ask_dialogs {}"],
                    [("answer", ["beta"]), ("answer", ["Yes"]), ("answer", ["typed"]), ("reject",)],
                    None),
    "rpc-resume": ([], ["RUN: echo before"], [("perm", "once")], None),   # + a second run
    "json-bash": (None, ["Please run echo hi. RUN: echo json-mode"], [], None),
    "json-error400": (None, ["FAIL400 in json mode"], [], None),
}


def run_spawn(sa_spawn, pi, env, work, args, messages, replies, out_path, err_path, resume=None):
    """One sa-spawn run; returns (exit status, stdout lines, stdin lines, problems)."""
    cmd = [sa_spawn, "--agent", "pi", "--agent-bin", pi, "--session", "rec", "--cwd", work,
           "--agents-dir", os.path.join(ROOT, "sa-normalize", "agents")] + args
    if resume:
        cmd += ["--resume", resume]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=open(err_path, "w"), env=env, cwd=work)
    left = deadline(60)
    sent, lines, problems = [], [], []
    replies = list(replies)
    pending = list(messages)

    def send(obj):
        data = json.dumps(obj)
        sent.append(data)
        p.stdin.write((data + "\n").encode())
        p.stdin.flush()

    send({"type": "message", "message": pending.pop(0)})
    buf = b""
    closed = False
    always = set()           # tools answered "always": sa-spawn answers those itself
    while left() > 0:
        r, _, _ = select.select([p.stdout], [], [], left())
        if not r:
            break
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            lines.append(raw)
            try:
                o = json.loads(raw)
            except ValueError:
                continue
            if o.get("type") == "extension_ui_request" and \
                    o.get("method") in ("select", "confirm", "input", "editor"):
                title = o.get("title") or ""
                if title.startswith("sa:permission ") and \
                        json.loads(title[len("sa:permission "):]).get("tool") in always:
                    continue
                if not replies:
                    problems.append("unexpected dialog %s" % o.get("title"))
                    send({"type": "question.reject", "question_id": o["id"]})
                    continue
                rep = replies.pop(0)
                if rep[0] == "perm":
                    if rep[1] == "always":
                        always.add(json.loads(title[len("sa:permission "):]).get("tool"))
                    send({"type": "permission.reply", "permission_id": o["id"], "reply": rep[1]})
                elif rep[0] == "answer":
                    send({"type": "question.reply", "question_id": o["id"], "answers": [rep[1]]})
                elif rep[0] == "reject":
                    send({"type": "question.reject", "question_id": o["id"]})
                elif rep[0] == "cancel":
                    send({"type": "cancel"})
            elif o.get("sa") == "turn_end" and not closed:
                if pending:
                    send({"type": "message", "message": pending.pop(0)})
                else:
                    p.stdin.close()
                    closed = True
    if not closed:
        problems.append("timed out")
        p.kill()
    rc = p.wait(10)
    with open(out_path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines))
    with open(out_path + ".stdin", "w") as f:
        f.write("".join(s + "\n" for s in sent))
    if replies:
        problems.append("replies left over: %r" % replies)
    return rc, lines, problems


def native_id(lines):
    for raw in lines:
        try:
            o = json.loads(raw)
        except ValueError:
            continue
        if o.get("type") == "response" and o.get("command") == "get_state":
            return (o.get("data") or {}).get("sessionId")
    return None


def record(name, opts):
    args, messages, replies, check = FLOWS[name]
    d = os.path.join(opts.scratch, name)
    shutil.rmtree(d, ignore_errors=True)
    home, work = os.path.join(d, "home"), os.path.join(d, "work")
    os.makedirs(work)
    log = os.path.join(d, "fakellm.jsonl")
    fake = FakeLLM(log)
    try:
        env = sourced_env(ENV_SH, "sa_pi_env", fake.port, home)
        out = os.path.join(opts.out, name + ".jsonl")
        problems = []
        if name == "rpc-dialogs":
            ext = os.path.join(env["PI_CODING_AGENT_DIR"], "extensions")
            os.makedirs(ext, exist_ok=True)
            shutil.copy(os.path.join(HERE, "pi", "dialogs.ts"), ext)
        if args is None:                                   # json mode
            with open(out, "wb") as f:
                rc = subprocess.run([opts.pi, "--mode", "json", messages[0]], stdout=f,
                                    stdin=subprocess.DEVNULL, stderr=open(os.path.join(d, "stderr"), "w"),
                                    env=env, cwd=work, timeout=60).returncode
        elif name == "rpc-resume":
            first = os.path.join(d, "first.jsonl")
            rc, lines, problems = run_spawn(opts.sa_spawn, opts.pi, env, work, args, messages, replies,
                                            first, os.path.join(d, "stderr1"))
            sid = native_id(lines)
            if not sid:
                problems.append("no native session id in the first run")
            rc, lines, p2 = run_spawn(opts.sa_spawn, opts.pi, env, work, args,
                                      ["Second run. RUN: echo after-resume"], [("perm", "once")],
                                      out, os.path.join(d, "stderr2"), resume=sid)
            problems += p2
            if native_id(lines) != sid:
                problems.append("the resumed run has another session id")
            reqs = [json.loads(l) for l in open(log) if l.strip()]
            if not any("echo before" in json.dumps(r.get("body")) for r in reqs[-2:]):
                problems.append("the resumed model request does not carry the first turn")
        else:
            rc, _, problems = run_spawn(opts.sa_spawn, opts.pi, env, work, args, messages, replies,
                                        out, os.path.join(d, "stderr"))
        if rc != 0:
            problems.append("exit status %d" % rc)
        if check and not check(work, log):
            problems.append("flow check failed")
    finally:
        fake.stop()
    print("%-22s %s" % (name, "ok" if not problems else "; ".join(problems)))
    return not problems


def main():
    ap = argparse.ArgumentParser(description="Record real Pi transcripts against fakellm.")
    ap.add_argument("--pi", help="pi's executable (default: tests/agents/install.sh pi)")
    ap.add_argument("--sa-spawn", default=os.path.join(ROOT, "bin", "sa-spawn"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "pi"))
    ap.add_argument("--scratch", help="scratch directory (default: a new temporary one)")
    ap.add_argument("flows", nargs="*", metavar="FLOW")
    opts = ap.parse_args()
    bad = [f for f in opts.flows if f not in FLOWS]
    if bad:
        ap.error("unknown flow(s): %s (known: %s)" % (", ".join(bad), ", ".join(FLOWS)))
    if not opts.pi:
        opts.pi = subprocess.run([os.path.join(HERE, "install.sh"), "pi"], check=True,
                                 stdout=subprocess.PIPE, text=True).stdout.strip()
    opts.scratch = opts.scratch or tempfile.mkdtemp(prefix="record_pi.")
    os.makedirs(opts.out, exist_ok=True)
    ok = all([record(f, opts) for f in (opts.flows or list(FLOWS))])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
