#!/usr/bin/env python3
# fake_amp.py — a stand-in for `amp [threads continue ID] --execute
# --stream-json --stream-json-input ...` used by tests/bats/spawn_amp.bats
# and serve_amp.bats (the real Amp needs an ampcode.com account).  It
# replays the native lines of the fixtures in tests/fixtures/amp (which are
# hand-written from Amp's documented format) and records what sa-spawn did:
#   $FAKE_AMP_DIR/argv.N    this process's argv after the program, one a line
#   $FAKE_AMP_DIR/stdin.N   every stdin line, verbatim; "EOF" once stdin closed
#   $FAKE_AMP_DIR/signal.N  the names of the signals it got (SIGINT, SIGTERM)
#   $FAKE_AMP_DIR/mcp-config.N, settings.N
#                           the content of --mcp-config FILE / --settings-file FILE
# (N = 1, 2, ... per process; without FAKE_AMP_DIR, the current directory).
# `--version` alone prints a version line and records nothing.
# Like amp it refuses an unknown option ("error: unknown option 'X'"),
# --stream-json-input without --execute and --stream-json, and an
# --mcp-config whose servers are not {command, args?, env?} (no other key) or
# {url, headers?, transport?, oauth?} ("Error: Invalid MCP server
# configuration: ..."; the pinned CLI's schema, tests/fixtures/amp/README
# fact 15), exit 1.  The
# thread id is threads continue's ID, else T-fa4e0000-0000-4000-8000-00000000000N
# with N this process's number.  Per user message (its text decides):
#   CRASH   the init line, a note on stderr, exit 1
#   SLOW    init and the prompt's echo, then wait (up to 30 s) for a signal:
#           SIGINT or SIGTERM exits 130 / 143; with IGNORE too, SIGINT is
#           noted and ignored
#   ERROR   execute-error.jsonl's lines; exit 1 at end of input
#   TOOL    execute-tool.jsonl's lines
#   MCP     execute-mcp.jsonl's lines (a call of mcp__search_tools__lookup)
#   else    execute-text.jsonl's lines
# After its messages it exits 0 at end of input (as amp does with
# --stream-json-input), or: LINGER waits 0.5 s first; HANG never exits by
# itself (it ignores end of input and SIGINT; SIGTERM ends it).
import json, os, signal, sys, time

here = os.path.dirname(os.path.realpath(__file__))    # also when run through a symlink named amp
fixdir = os.path.join(here, "..", "fixtures", "amp")
logdir = os.environ.get("FAKE_AMP_DIR", ".")
if sys.argv[1:] == ["--version"]:
    print("0.0.1790142911-g7618fb (fake_amp.py)")
    sys.exit(0)
n = 1
while os.path.exists(os.path.join(logdir, "argv.%d" % n)):
    n += 1
args = sys.argv[1:]
with open(os.path.join(logdir, "argv.%d" % n), "w") as f:
    f.write("".join(a + "\n" for a in args))
stdin_log = open(os.path.join(logdir, "stdin.%d" % n), "a")

def note_signal(name):
    with open(os.path.join(logdir, "signal.%d" % n), "a") as f:
        f.write(name + "\n")

def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)

def check_mcp_config(cfg):
    if not isinstance(cfg, dict):
        fail("Error: Invalid MCP server configuration: : Expected object")
    for name, c in cfg.items():
        ok = isinstance(c, dict)
        if ok and "command" in c:
            ok = (set(c) <= {"command", "args", "env"} and isinstance(c["command"], str)
                  and all(isinstance(x, str) for x in c.get("args", []))
                  and isinstance(c.get("env", {}), dict)
                  and all(isinstance(x, str) for x in c.get("env", {}).values()))
        elif ok:
            ok = (isinstance(c.get("url"), str) and isinstance(c.get("headers", {}), dict)
                  and all(isinstance(x, str) for x in c.get("headers", {}).values()))
        if not ok:
            fail("Error: Invalid MCP server configuration: %s: not a local or remote server" % name)

sid = "T-fa4e0000-0000-4000-8000-%012d" % n
rest = args
if rest[:2] == ["threads", "continue"]:
    if len(rest) < 3 or rest[2].startswith("-"):
        fail("Error: No previously used thread found in this checkout.")
    sid = rest[2]
    rest = rest[3:]
flags = set()
i = 0
while i < len(rest):
    a = rest[i]
    if a in ("--execute", "-x", "--stream-json", "--stream-json-input", "--no-ide",
             "--no-archive-after-execute", "--dangerously-allow-all"):
        flags.add(a)
    elif a in ("-m", "--mode"):
        if i + 1 >= len(rest):
            fail("error: option '-m, --mode <value>' argument missing")
        i += 1
    elif a in ("--mcp-config", "--settings-file"):
        if i + 1 >= len(rest):
            fail("error: option '%s <value>' argument missing" % a)
        i += 1
        v = rest[i]
        text = v if v.strip().startswith("{") else open(v).read()
        with open(os.path.join(logdir, "%s.%d" % (a[2:].replace("-file", ""), n)), "w") as f:
            f.write(text)
        if a == "--mcp-config":
            check_mcp_config(json.loads(text))
        else:
            check_mcp_config(json.loads(text).get("amp.mcpServers", {}))
    else:
        fail("error: unknown option '%s'" % a)
    i += 1
if "--stream-json" in flags and not ({"--execute", "-x"} & flags):
    fail("Error: The --stream-json flag requires --execute mode")
if "--stream-json-input" in flags and "--stream-json" not in flags:
    fail("Error: --stream-json-input requires both --execute and --stream-json")

def native_lines(name):
    with open(os.path.join(fixdir, name)) as f:
        lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith('{"sa"')]
    old = json.loads(next(l for l in lines if '"session_id"' in l))["session_id"]
    return [l.replace(old, sid) for l in lines]

def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

# replay a fixture's lines, its echo of the prompt carrying this prompt's text
def replay(lines, text):
    for l in lines:
        j = json.loads(l)
        content = j.get("message", {}).get("content") if j.get("type") == "user" else None
        if isinstance(content, list) and all(b.get("type") == "text" for b in content):
            j["message"]["content"] = [{"type": "text", "text": text}]
            l = json.dumps(j, separators=(",", ":"))
        out(l)

def read_line():
    line = sys.stdin.readline()
    if line:
        stdin_log.write(line)
    else:
        stdin_log.write("EOF\n")
    stdin_log.flush()
    return line

def wait_signal(ignore_int):
    got = []
    def on(sig, _frame):
        name = signal.Signals(sig).name
        note_signal(name)
        if sig == signal.SIGINT and ignore_int:
            return
        got.append(sig)
    signal.signal(signal.SIGINT, on)
    signal.signal(signal.SIGTERM, on)
    end = time.time() + 30
    while not got and time.time() < end:
        time.sleep(0.02)
    sys.exit(128 + got[0] if got else 0)

status = 0
linger = hang = False
while True:
    line = read_line()
    if not line:
        break
    msg = json.loads(line)
    if msg.get("type") != "user":
        continue
    text = msg["message"]["content"][-1]["text"]
    text_lines = native_lines("execute-text.jsonl")
    if "CRASH" in text:
        out(text_lines[0])
        sys.stderr.write("fake-amp: crashing on purpose\n")
        sys.exit(1)
    elif "SLOW" in text:
        replay(text_lines[:2], text)
        wait_signal("IGNORE" in text)
    elif "ERROR" in text:
        replay(native_lines("execute-error.jsonl"), text)
        status = 1
    elif "MCP" in text:
        replay(native_lines("execute-mcp.jsonl"), text)
    elif "TOOL" in text:
        replay(native_lines("execute-tool.jsonl"), text)
    else:
        replay(text_lines, text)
    linger = linger or "LINGER" in text
    hang = hang or "HANG" in text
if hang:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    time.sleep(30)
if linger:
    time.sleep(0.5)
sys.exit(status)
