#!/usr/bin/env python3
"""park_bench.py — parked sessions (sa-serve --idle-park) for `make bench`
(prints each figure with its aim, asserts nothing).

1. Memory per parked session: sa-serve --idle-park 1 with BENCH_PARK_N
   (default 1000) mock sessions, each created and given one turn, in batches
   of BENCH_PARK_BATCH (default 50) so only a batch runs at a time; once all
   are parked: sa-serve's RSS growth per parked session (everything sa keeps
   for it: its registry entry, SQLite's cache, the store's bytes on disk
   shown apart), and the processes and FIFOs left (aim: none).
2. Message to first item.delta over POST .../messages/stream, mock: a
   running session (its agent alive) against a parked one (median of
   BENCH_PARK_RUNS, default 5).
3. The same with one real agent, Claude Code against tests/fakellm (skipped
   when it cannot be installed: tests/agents/install.sh claude), plus the
   RSS of a running claude session's processes, which parking frees.
Every server is on 127.0.0.1 port 0 in a private directory and is stopped
by pid.
"""
import http.client, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
N = int(os.environ.get("BENCH_PARK_N", "1000"))
BATCH = int(os.environ.get("BENCH_PARK_BATCH", "50"))
RUNS = int(os.environ.get("BENCH_PARK_RUNS", "5"))


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid):
    """pids below pid (children, grandchildren, ...)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


class Server:
    def __init__(self, tmp, args, env=None, cwd=None):
        self.tmp = tmp
        if not cwd:      # an empty fs root: each turn's session.diff snapshot stays cheap
            cwd = os.path.join(tmp, "root")
            os.makedirs(cwd, exist_ok=True)
        self.p = subprocess.Popen(["sa-serve", "--port", "0", "--no-token", "--db", os.path.join(tmp, "sa.db"),
                                   "--state-dir", os.path.join(tmp, "state"), "--fs-root", cwd] + args,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        line = self.p.stdout.readline().decode()
        if "listening on" not in line:
            raise RuntimeError("sa-serve did not start: %r" % line)
        self.port = int(line.strip().rsplit(":", 1)[1])

    def req(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = json.dumps(body) if body is not None else None
        c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        out = r.read()
        c.close()
        return r.status, out

    def info(self, sid):
        st, out = self.req("GET", "/v1/sessions/" + sid)
        return json.loads(out) if st == 200 else {}

    def wait_parked(self, sid, limit=60):
        end = time.time() + limit
        while time.time() < end:
            if self.info(sid).get("parked"):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def first_delta_ms(srv, sid, message, limit=120):
    """ms from sending POST .../messages/stream to its first item.delta frame (None if none)."""
    body = json.dumps({"message": message}).encode()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=limit)
    t0 = time.perf_counter()
    s.sendall(b"POST /v1/sessions/%s/messages/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (sid.encode(), len(body), body))
    buf, got = b"", None
    end = time.time() + limit
    while time.time() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        if got is None and b'"type":"item.delta"' in buf:
            got = (time.perf_counter() - t0) * 1000
        if b'"type":"turn.ended"' in buf or b'"type":"session.ended"' in buf:
            break
    s.close()
    return got


def med(v):
    v = [x for x in v if x is not None]
    return "%.0f ms (median of %d; min %.0f, max %.0f)" % (statistics.median(v), len(v), min(v), max(v)) if v else "n/a"


def mock_memory(tmp):
    srv = Server(tmp, ["--idle-park", "1"])
    try:
        srv.req("GET", "/v1/sessions")
        time.sleep(0.3)
        base = rss_kb(srv.p.pid)
        t0 = time.time()
        for b in range(0, N, BATCH):
            ids = ["pk%d" % i for i in range(b, min(N, b + BATCH))]
            for sid in ids:
                srv.req("POST", "/v1/sessions/" + sid, {"agent": "mock"})
                srv.req("POST", "/v1/sessions/%s/messages" % sid, {"message": "echo parked session " + sid})
            for sid in ids:
                srv.wait_parked(sid)
        took = time.time() - t0
        time.sleep(0.5)
        st, out = srv.req("GET", "/v1/sessions")
        sessions = json.loads(out)["sessions"] if st == 200 else []
        parked = sum(1 for x in sessions if x.get("parked"))
        after = rss_kb(srv.p.pid)
        left = descendants(srv.p.pid)
        fifos = [f for f in os.listdir(os.path.join(tmp, "state")) if f.startswith("ctl-")]
        db = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp) if f.startswith("sa.db"))
        print("mock: %d sessions created, one turn each, parked in %.1f s (batches of %d): %d parked, %d open" %
              (N, took, BATCH, parked, len(sessions)))
        print("parked sessions held open: %d (aim: 1000)" % parked)
        print("sa-serve RSS: %d kB idle, %d kB with %d parked sessions: %.1f kB per parked session "
              "(everything sa-serve keeps for it; aim: no agent memory, ~330 MB for a Claude Code tree)" %
              (base, after, parked, (after - base) / max(parked, 1)))
        print("processes left for parked sessions: %d, control FIFOs left: %d (aim: 0, 0)" % (len(left), len(fifos)))
        print("store on disk: %.1f kB per session (SQLite, one turn each; not in memory)" % (db / 1024 / max(N, 1)))
    finally:
        srv.stop()


def mock_latency(tmp):
    """A running mock session against parked ones, on a server of their own."""
    srv = Server(tmp, ["--idle-park", "2"])
    try:
        for r in range(RUNS):
            srv.req("POST", "/v1/sessions/p%d" % r, {"agent": "mock"})
            srv.req("POST", "/v1/sessions/p%d/messages" % r, {"message": "echo before the park"})
        for r in range(RUNS):
            srv.wait_parked("p%d" % r)
        srv.req("POST", "/v1/sessions/live", {"agent": "mock"})
        first_delta_ms(srv, "live", "echo warm up")
        run_ms, park_ms = [], []
        for r in range(RUNS):
            run_ms.append(first_delta_ms(srv, "live", "echo running agent answers %d" % r))
            park_ms.append(first_delta_ms(srv, "p%d" % r, "echo parked agent answers %d" % r))
        print("mock message to first delta: running %s; parked %s (aim: parked costs only the agent's restart)" %
              (med(run_ms), med(park_ms)))
        ev = []
        for r in range(RUNS):
            ev += json.loads(srv.req("GET", "/v1/sessions/p%d/events" % r)[1])["events"]
        print("mock agent.resumed resume_ms (message to the agent's first line, sa-replay priming included): %s" %
              med(resumed_ms(ev)))
    finally:
        srv.stop()


def resumed_ms(events):
    return [e["data"]["item"]["content"][1]["json"]["resume_ms"] for e in events
            if e["type"] == "item.completed" and e["data"]["item"]["content"][0].get("label") == "agent.resumed"]


def claude_env(port, home):
    out = subprocess.run(["bash", "-c", '. "$1"; sa_claude_env "$2" "$3"; env -0', "-",
                          os.path.join(TOP, "tests/agents/claude_env.sh"), str(port), home],
                         capture_output=True, check=True).stdout
    return dict(kv.split("=", 1) for kv in out.decode().split("\0") if "=" in kv)


def claude(tmp):
    try:
        binp = subprocess.run([os.path.join(TOP, "tests/agents/install.sh"), "claude"], capture_output=True,
                              text=True, timeout=600).stdout.strip().splitlines()[-1]
    except Exception:
        binp = ""
    if not binp or not os.access(binp, os.X_OK):
        print("claude: skipped (tests/agents/install.sh claude did not give an executable)")
        return
    fake = os.path.join(tmp, "fake")
    os.makedirs(fake)
    fl = subprocess.Popen([sys.executable, os.path.join(TOP, "tests/fakellm/fakellm.py"), "--port-file",
                           os.path.join(fake, "port"), "--log", os.path.join(fake, "log")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv = None
    try:
        for _ in range(200):
            if os.path.exists(os.path.join(fake, "port")) and os.path.getsize(os.path.join(fake, "port")):
                break
            time.sleep(0.05)
        port = int(open(os.path.join(fake, "port")).read())
        env = claude_env(port, os.path.join(tmp, "home"))
        agentbin = os.path.join(tmp, "agentbin")
        os.makedirs(agentbin)
        os.symlink(binp, os.path.join(agentbin, "claude"))
        env["PATH"] = agentbin + ":" + env.get("PATH", "")
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        srv = Server(tmp, ["--idle-park", "3"], env=env, cwd=work)
        srv.req("POST", "/v1/sessions/c1", {"agent": "claude"})
        first = first_delta_ms(srv, "c1", "Say hello.")
        tree = sum(rss_kb(p) for p in descendants(srv.p.pid))
        run_ms, park_ms = [], []
        for r in range(RUNS):
            run_ms.append(first_delta_ms(srv, "c1", "Running %d." % r))
            srv.wait_parked("c1", 120)
            park_ms.append(first_delta_ms(srv, "c1", "Parked %d." % r))
        print("claude (fake model): first message to first delta %.0f ms; running session's processes %.0f MB RSS "
              "(freed by parking)" % (first or -1, tree / 1024))
        print("claude message to first delta: running %s; parked (claude --resume) %s" % (med(run_ms), med(park_ms)))
        rs = resumed_ms(json.loads(srv.req("GET", "/v1/sessions/c1/events")[1])["events"])
        if rs:
            print("claude agent.resumed resume_ms (message to claude's first line): %s" % med(rs))
    finally:
        if srv:
            srv.stop()
        fl.terminate()
        fl.wait()


def main():
    print("-- parked sessions (sa-serve --idle-park)")
    tmp = tempfile.mkdtemp(prefix="sa-park-bench-")
    try:
        os.makedirs(os.path.join(tmp, "mock"))
        mock_memory(os.path.join(tmp, "mock"))
        os.makedirs(os.path.join(tmp, "lat"))
        mock_latency(os.path.join(tmp, "lat"))
        if os.environ.get("BENCH_PARK_CLAUDE", "1") != "0":
            os.makedirs(os.path.join(tmp, "claude"))
            claude(os.path.join(tmp, "claude"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
