#!/usr/bin/env python3
"""drive.py - run one real agent session through the sa pipeline and answer HITL.

What it is for: end-to-end tests (tests/bats/claude_e2e.bats) that drive
  sa-spawn --agent A --control FIFO ... | sa-normalize --agent A --session S
      | sa-store --db DB --session S --agent A
like a user would: send messages, answer permission and question requests
as they are stored, end input after the last turn.

How it works: the three stages are started with OS pipes between them (no
copy in between), all in one new process group (led by sa-spawn), in --cwd.  The driver
writes universal input commands to sa-spawn's --control FIFO (or stdin) and reads the
stored events from sa-store's stdout (select(2) with a deadline; every wait
is bounded by --timeout).  On each stored event:
  permission.requested -> next --permission reply (once|always|reject);
                          question-tool permissions (AskUserQuestion...) are
                          left to the question reply
  question.requested   -> next --answer: "reject" sends question.reject,
                          anything else question.reply answers [[ANSWER]]
  turn.ended           -> next --message, or (none left) end the input:
                          with --input fifo (default) send terminate (sa-spawn
                          opens the FIFO read-write and never sees EOF); with
                          --input stdin close sa-spawn's stdin (end of input)
  error input_error    -> a reply was refused: note it and end the input
  session.ended        -> stop writing
A request with no queued reply is rejected and reported.  At the end the
stored events are in --out and a JSON summary goes to stdout:
  {"events":N,"turns_ended":N,"exit":{"sa-spawn":rc,...},"timed_out":bool,
   "native_session_id":..., "problems":[...]}
Exit status: 0 when every stage exited 0 and nothing timed out, else 1;
2 on usage errors.  Stage stderr goes to --stderr-dir (default: beside --out).
"""
import argparse
import errno
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

QUESTION_TOOLS = {"askuserquestion", "ask_user_question", "ask-user-question",
                  "exitplanmode", "exit_plan_mode", "exit-plan-mode"}


def is_question_permission(data):
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) \
        else {}
    names = [data.get("action"), meta.get("toolName"), meta.get("tool_name")]
    return any(isinstance(n, str) and n.lower() in QUESTION_TOOLS
               for n in names)


class Driver:
    def __init__(self, a):
        self.a = a
        self.messages = list(a.message)
        self.perm_replies = list(a.permission)
        self.answers = list(a.answer)
        self.problems = []
        self.events = 0
        self.turns_ended = 0
        self.native = None
        self.fifo_fd = -1
        self.procs = []
        self.out = open(a.out, "w", encoding="utf-8")
        self.end = time.monotonic() + a.timeout

    def left(self):
        return max(0.0, self.end - time.monotonic())

    # ---- pipeline
    def start(self):
        a = self.a
        self.tmp = tempfile.mkdtemp(prefix="sa-drive-")
        self.fifo = os.path.join(self.tmp, "control")
        os.mkfifo(self.fifo, 0o600)
        spawn = ["sa-spawn", "--agent", a.agent]
        if a.input == "fifo":
            spawn += ["--control", self.fifo]
        if a.agent_bin:
            spawn += ["--agent-bin", a.agent_bin]
        if a.resume:
            spawn += ["--resume", a.resume]
        spawn += a.spawn_arg
        norm = ["sa-normalize", "--agent", a.agent, "--session", a.session]
        if a.resume:
            norm += ["--native-session-id", a.resume]
        norm += a.normalize_arg
        store = ["sa-store", "--db", a.db, "--session", a.session,
                 "--agent", a.agent] + a.store_arg
        errdir = a.stderr_dir or os.path.dirname(os.path.abspath(a.out))
        os.makedirs(errdir, exist_ok=True)
        names = ["sa-spawn", "sa-normalize", "sa-store"]
        self.errs = [open(os.path.join(errdir, n + ".stderr"), "ab")
                     for n in names]
        p1 = subprocess.Popen(spawn, stdin=subprocess.DEVNULL
                              if a.input == "fifo" else subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=self.errs[0],
                              cwd=a.cwd, preexec_fn=lambda: os.setpgid(0, 0))
        self.pgid = p1.pid
        p2 = subprocess.Popen(norm, stdin=p1.stdout, stdout=subprocess.PIPE,
                              stderr=self.errs[1], cwd=a.cwd,
                              preexec_fn=self.join_group)
        p1.stdout.close()
        p3 = subprocess.Popen(store, stdin=p2.stdout, stdout=subprocess.PIPE,
                              stderr=self.errs[2], cwd=a.cwd,
                              preexec_fn=self.join_group)
        p2.stdout.close()
        self.procs = list(zip(names, [p1, p2, p3]))
        self.reader = p3.stdout
        if a.input == "fifo":
            self.open_fifo()
        else:
            self.fifo_fd = os.dup(p1.stdin.fileno())
            p1.stdin.close()

    def join_group(self):  # runs in the child, before exec
        os.setpgid(0, self.pgid)

    def open_fifo(self):
        """Open the control FIFO for writing once sa-spawn has it open."""
        while self.left() > 0:
            try:
                self.fifo_fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                os.set_blocking(self.fifo_fd, True)
                return
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
            if self.procs[0][1].poll() is not None:
                self.problems.append("sa-spawn exited before opening the "
                                     "control FIFO")
                return
            time.sleep(0.02)
        self.problems.append("timed out waiting for sa-spawn to open the FIFO")

    def send(self, obj):
        if self.fifo_fd < 0:
            self.problems.append("cannot send (input closed): %s" %
                                 json.dumps(obj))
            return
        try:
            os.write(self.fifo_fd, (json.dumps(obj) + "\n").encode())
        except OSError as e:
            self.problems.append("write to control FIFO: %s" % e)

    def end_input(self):
        """FIFO: sa-spawn never sees EOF on it, so send terminate; stdin:
        closing it is the end of input."""
        if self.fifo_fd >= 0 and self.a.input == "fifo":
            self.send({"type": "terminate"})
        self.close_input()

    def close_input(self):
        if self.fifo_fd >= 0:
            os.close(self.fifo_fd)
            self.fifo_fd = -1

    def next_message(self):
        if self.messages:
            self.send({"type": "message", "message": self.messages.pop(0)})
        else:
            self.end_input()

    # ---- events
    def on_event(self, ev):
        t, d = ev.get("type"), ev.get("data") or {}
        if ev.get("native_session_id"):
            self.native = ev["native_session_id"]
        if t == "permission.requested":
            if is_question_permission(d):
                return
            if self.perm_replies:
                reply = self.perm_replies.pop(0)
            else:
                self.problems.append("unexpected permission.requested %s" %
                                     d.get("permission_id"))
                reply = "reject"
            self.send({"type": "permission.reply",
                       "permission_id": d.get("permission_id"),
                       "reply": reply})
        elif t == "question.requested":
            if self.answers:
                ans = self.answers.pop(0)
            else:
                self.problems.append("unexpected question.requested %s" %
                                     d.get("question_id"))
                ans = "reject"
            if ans == "reject":
                self.send({"type": "question.reject",
                           "question_id": d.get("question_id")})
            else:
                self.send({"type": "question.reply",
                           "question_id": d.get("question_id"),
                           "answers": [[ans]]})
        elif t == "turn.ended":
            self.turns_ended += 1
            self.next_message()
        elif t == "error" and d.get("code") == "input_error":
            # a reply of ours was refused: nothing will answer the agent,
            # so stop now instead of waiting for the timeout
            self.problems.append("input_error: %s" % d.get("message"))
            self.messages = []
            self.end_input()
        elif t == "session.ended":
            self.close_input()

    def pump(self):
        buf = b""
        fd = self.reader.fileno()
        while True:
            wait = self.left()
            if wait <= 0:
                return False
            r, _, _ = select.select([fd], [], [], wait)
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.out.write(line.decode("utf-8", "replace") + "\n")
                self.out.flush()
                self.events += 1
                try:
                    ev = json.loads(line)
                except ValueError:
                    self.problems.append("sa-store wrote a non-JSON line")
                    continue
                if isinstance(ev, dict):
                    self.on_event(ev)
        if buf:
            self.out.write(buf.decode("utf-8", "replace") + "\n")
            self.events += 1
        return True

    def finish(self, ok):
        self.close_input()
        timed_out = not ok
        codes = {}
        for name, p in self.procs:
            try:
                codes[name] = p.wait(max(0.1, self.left()) if ok else 0.1)
            except subprocess.TimeoutExpired:
                timed_out = True
        if timed_out:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for name, p in self.procs:
                try:
                    codes[name] = p.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.pgid, signal.SIGKILL)
                    codes[name] = p.wait()
        self.reader.close()
        for f in self.errs:
            f.close()
        self.out.close()
        try:
            os.unlink(self.fifo)
            os.rmdir(self.tmp)
        except OSError:
            pass
        if self.messages:
            self.problems.append("%d message(s) never sent" %
                                 len(self.messages))
        summary = {"events": self.events, "turns_ended": self.turns_ended,
                   "exit": codes, "timed_out": timed_out,
                   "native_session_id": self.native,
                   "problems": self.problems}
        print(json.dumps(summary))
        good = not timed_out and all(c == 0 for c in codes.values())
        return 0 if good else 1


def main():
    ap = argparse.ArgumentParser(
        description="Drive sa-spawn | sa-normalize | sa-store end to end.")
    ap.add_argument("--agent", default="claude")
    ap.add_argument("--agent-bin")
    ap.add_argument("--session", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--out", required=True, help="stored events (JSONL)")
    ap.add_argument("--stderr-dir")
    ap.add_argument("--resume", help="native session id to resume")
    ap.add_argument("--message", action="append", default=[],
                    help="a user message (repeat for more turns)")
    ap.add_argument("--permission", action="append", default=[],
                    choices=["once", "always", "reject"],
                    help="reply to the next permission request")
    ap.add_argument("--answer", action="append", default=[],
                    help="answer to the next question, or 'reject'")
    ap.add_argument("--spawn-arg", action="append", default=[])
    ap.add_argument("--normalize-arg", action="append", default=[])
    ap.add_argument("--store-arg", action="append", default=[])
    ap.add_argument("--input", choices=["fifo", "stdin"], default="fifo",
                    help="commands via --control FIFO (ended by terminate) "
                    "or sa-spawn's stdin (ended by closing it)")
    ap.add_argument("--timeout", type=float, default=90.0)
    a = ap.parse_args()
    if not a.message:
        ap.error("at least one --message is needed")
    d = Driver(a)
    # A TERM from the test's outer bound (timeout(1)) must not leave the
    # pipeline behind: turn it into an exception so the finally below runs.
    def on_term(sig, frame):
        raise SystemExit(124)
    signal.signal(signal.SIGTERM, on_term)
    done = False
    try:
        d.start()
        if d.fifo_fd >= 0:
            d.next_message()
            ok = d.pump()
        else:
            ok = d.pump()  # sa-spawn failed early: collect what it stored
        rc = d.finish(ok)
        done = True
        sys.exit(rc)
    finally:
        if not done and getattr(d, "pgid", None):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(d.pgid, sig)
                except ProcessLookupError:
                    break
                time.sleep(4 if sig == signal.SIGTERM else 0)


if __name__ == "__main__":
    main()
