#!/usr/bin/env python3
"""record_claude.py - record real Claude Code transcripts against fakellm.

What it is for: producing tests/fixtures/claude-live/*.jsonl (raw claude
stdout, byte for byte except for path rewriting) and *.jsonl.stdin (what was
written to claude) for flows that have no capture yet.  The normalizer's
hand-written expectations are built on these files.

How it works: starts tests/fakellm/fakellm.py, runs
  claude -p --input-format stream-json --output-format stream-json --verbose
         --model claude-sonnet-4-5 --permission-prompt-tool stdio
         --include-partial-messages
in a temporary HOME/cwd, writes one user line, answers every can_use_tool
control_request the way sa-spawn does (allow: updatedInput = input, plus
"answers" {question: answer} for AskUserQuestion; deny: message
"Permission denied."), closes stdin after the `result` line, and waits for
the exit (every wait bounded).  The temporary directories are rewritten to
/home/user/work/claude and /home/user in the saved files.

Usage: record_claude.py --claude PATH --out DIR [SCENARIO...]
Scenarios: permission-allow, permission-deny, question, question-rejected (default: all).
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
from fakeenv import FakeLLM, claude_env, deadline  # noqa: E402

QUESTION = {"questions": [{
    "question": "Which color?", "header": "Color", "multiSelect": False,
    "options": [{"label": "Red", "description": "A warm color"},
                {"label": "Blue", "description": "A cool color"}]}]}
ASK = "Ask me. TOOL: AskUserQuestion " + json.dumps(QUESTION)

SCENARIOS = {
    # name: (prompt, answer for the first control request)
    "permission-allow": ("Create a file. RUN: touch perm-allowed.txt", "allow"),
    "permission-deny": ("Create a file. RUN: touch perm-denied.txt", "deny"),
    "question": (ASK, "answer:Blue"),
    "question-rejected": (ASK, "deny"),
}
FLAGS = ["-p", "--input-format", "stream-json", "--output-format",
         "stream-json", "--verbose", "--model", "claude-sonnet-4-5",
         "--permission-prompt-tool", "stdio", "--include-partial-messages"]


def user_line(text):
    return json.dumps({"type": "user", "message": {
        "role": "user", "content": [{"type": "text", "text": text}]},
        "parent_tool_use_id": None, "session_id": ""})


def control_reply(req, policy):
    r = req["request"]
    if policy == "deny":
        body = {"behavior": "deny", "message": "Permission denied."}
    else:
        inp = dict(r.get("input") or {})
        if policy.startswith("answer:"):
            ans = policy.split(":", 1)[1]
            inp["answers"] = {q["question"]: ans
                              for q in inp.get("questions") or []}
        body = {"behavior": "allow", "updatedInput": inp}
    return json.dumps({"type": "control_response", "response": {
        "subtype": "success", "request_id": req["request_id"],
        "response": body}})


def run(claude, name, out_dir, fake, timeout=60.0):
    prompt, policy = SCENARIOS[name]
    tmp = tempfile.mkdtemp(prefix="sa-rec-")
    home, work = os.path.join(tmp, "home"), os.path.join(tmp, "work")
    os.makedirs(work)
    env = claude_env(fake.port, home)
    p = subprocess.Popen([claude] + FLAGS, cwd=work, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    sent, got, buf = [], [], b""
    left = deadline(timeout)

    def send(line):
        sent.append(line)
        p.stdin.write((line + "\n").encode())
        p.stdin.flush()
    send(user_line(prompt))
    done = False
    while not done and left() > 0:
        r, _, _ = select.select([p.stdout], [], [], left())
        if not r:
            break
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            got.append(line)
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("type") == "control_request" and \
                    obj.get("request", {}).get("subtype") == "can_use_tool":
                send(control_reply(obj, policy))
            elif obj.get("type") == "result":
                done = True
    try:  # communicate() closes claude's stdin: end of input
        rest, err = p.communicate(timeout=max(1.0, left()))
    except subprocess.TimeoutExpired:
        p.kill()
        rest, err = p.communicate()
    got.extend(l for l in (buf + rest).split(b"\n") if l)
    if not done:
        sys.stderr.write("record_claude: %s: no result line (rc %s)\n%s\n" %
                         (name, p.returncode, err.decode(errors="replace")))
        return False

    def fix(b):
        b = b.replace(work.encode(), b"/home/user/work/claude")
        b = b.replace(home.encode(), b"/home/user")
        return b.replace(tmp.encode(), b"/home/user/tmp")
    base = os.path.join(out_dir, "claude-streamjson-%s.jsonl" % name)
    with open(base, "wb") as f:
        f.write(b"".join(fix(l) + b"\n" for l in got))
    with open(base + ".stdin", "wb") as f:
        f.write(b"".join(fix(l.encode()) + b"\n" for l in sent))
    shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d lines, rc %d" % (base, len(got), p.returncode))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claude", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("scenario", nargs="*")
    a = ap.parse_args()
    names = a.scenario or list(SCENARIOS)
    for n in names:
        if n not in SCENARIOS:
            ap.error("unknown scenario: " + n)
    os.makedirs(a.out, exist_ok=True)
    fake = FakeLLM(a.log)
    ok = all([run(a.claude, n, a.out, fake) for n in names])
    fake.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
