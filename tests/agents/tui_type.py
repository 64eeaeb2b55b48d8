#!/usr/bin/env python3
"""tui_type.py - type one line into a full-screen TUI under a pty.

Usage: tui_type.py --ready-file FILE --ready REGEX --text TEXT [--after SECONDS]
                   [--settle SECONDS] [--timeout SECONDS] -- CMD [ARGS...]

What it is for: opencode_compat.bats drives `opencode attach` (the OpenCode
TUI) this way: it starts CMD on a pseudo-terminal, waits until FILE (the
server's request log) matches REGEX (the TUI has subscribed to the event
stream) plus --after seconds, types TEXT and Enter, lets it run --settle
seconds, then sends SIGTERM (SIGKILL a second later) to the process it
started, and writes everything the TUI drew on stdout.  Exit 0, or 1 when
REGEX never matched within --timeout (default 60) or CMD ended before.
Every wait is bounded; only the child it started is signalled.
"""
import argparse, os, pty, re, select, signal, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ready-file', required=True)
    ap.add_argument('--ready', required=True)
    ap.add_argument('--text', required=True)
    ap.add_argument('--after', type=float, default=2.0)
    ap.add_argument('--settle', type=float, default=5.0)
    ap.add_argument('--timeout', type=float, default=60.0)
    ap.add_argument('cmd', nargs='+')
    a = ap.parse_args()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(a.cmd[0], a.cmd)
    out = bytearray()
    alive = [True]

    def pump(seconds):
        end = time.time() + seconds
        while alive[0] and time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if not r:
                continue
            try:
                d = os.read(fd, 65536)
            except OSError:
                d = b''
            if not d:
                alive[0] = False
                break
            out.extend(d)

    pat, ok, end = re.compile(a.ready), False, time.time() + a.timeout
    while alive[0] and time.time() < end:
        try:
            with open(a.ready_file, errors='replace') as f:
                if pat.search(f.read()):
                    ok = True
                    break
        except OSError:
            pass
        pump(0.2)
    if ok:
        pump(a.after)
        for ch in a.text:
            os.write(fd, ch.encode())
            pump(0.02)
        pump(0.5)
        os.write(fd, b'\r')
        pump(a.settle)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        pump(1.0)
    os.waitpid(pid, 0)
    sys.stdout.buffer.write(bytes(out))
    if not ok:
        print(f'\ntui_type.py: /{a.ready}/ not seen in {a.ready_file}', file=sys.stderr)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
