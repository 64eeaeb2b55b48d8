#!/usr/bin/env python3
"""opencode_bench.py — OpenCode start-up through sa-serve, for `make bench`
(prints, asserts nothing).

The real OpenCode CLI (tests/agents/install.sh opencode, cached outside the
repository) runs offline against tests/fakellm/fakellm.py with the env of
tests/agents/opencode_env.sh (a private HOME under a temporary directory).
One sa-serve (127.0.0.1, port 0) finds `opencode` on PATH; each run creates
a new session (a new sa-spawn, sa-opencode-bridge and `opencode serve`) and
measures:
  create -> first SSE event         POST /v1/sessions/ID to the first frame
  create -> opencode ready          ... to the first frame that carries the
                                    native (ses_) session id (the bridge's
                                    ready line: opencode listens and the
                                    session exists)
  message -> first delta, 1st turn  POST .../messages (after ready) to the
                                    first item.delta frame (NOTOOL prompt)
  message -> first delta, 2nd turn  the same for a second message
  create + message -> first delta   another new session with its message
                                    posted right after create (it waits
                                    for ready in sa-spawn): from the create
Medians over BENCH_OC_RUNS runs (default 3), each value printed too.  The
first run also creates opencode's store in the fresh HOME.  Skipped (with a
note) when opencode cannot be installed; BENCH_OPENCODE=0 skips it.  Every
process started here is stopped by pid (its process group).
"""
import http.client, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from serve_bench import Sse  # noqa: E402

RUNS = int(os.environ.get("BENCH_OC_RUNS", "3"))
TIMEOUT = 60.0


def stop(p):
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def opencode_env(port, home):
    out = subprocess.run(["sh", "-c", '. "$1"; sa_opencode_env "$2" "$3"; env -0', "sh",
                          os.path.join(TOP, "tests", "agents", "opencode_env.sh"), str(port), home],
                         check=True, stdout=subprocess.PIPE).stdout
    return dict(kv.decode().split("=", 1) for kv in out.split(b"\0") if b"=" in kv)


def req(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = json.dumps(body) if body is not None else None
    c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    r = c.getresponse()
    out = r.read()
    c.close()
    return r.status, out


def wait_for(frames, pred):
    """(time, event) of the first frame with pred, or (None, None)."""
    for ev in frames:
        if pred(ev):
            return time.perf_counter(), ev
    return None, None


def one_run(port, sid):
    res = {}
    t0 = time.perf_counter()
    st, _ = req(port, "POST", f"/v1/sessions/{sid}", {"agent": "opencode"})
    if st != 200:
        raise RuntimeError(f"create -> {st}")
    sse = Sse(port, f"/v1/sessions/{sid}/events/sse?offset=0")
    try:
        frames = sse.frames(timeout=TIMEOUT)
        t, _ = wait_for(frames, lambda ev: True)
        if t is None:
            raise RuntimeError("no SSE event after create")
        res["first"] = t - t0
        t, _ = wait_for(frames, lambda ev: bool(ev.get("native_session_id")))
        if t is None:
            raise RuntimeError("opencode never became ready")
        res["ready"] = t - t0
        for n, key in ((1, "delta1"), (2, "delta2")):
            frames = sse.frames(timeout=TIMEOUT)
            t1 = time.perf_counter()
            st, _ = req(port, "POST", f"/v1/sessions/{sid}/messages", {"message": f"NOTOOL bench turn {n}"})
            if st not in (200, 204):
                raise RuntimeError(f"message -> {st}")
            t, _ = wait_for(frames, lambda ev: ev.get("type") == "item.delta")
            if t is None:
                raise RuntimeError(f"no item.delta in turn {n}")
            res[key] = t - t1
            t, _ = wait_for(frames, lambda ev: ev.get("type") == "turn.ended")
            if t is None:
                raise RuntimeError(f"turn {n} did not end")
    finally:
        sse.close()
        req(port, "POST", f"/v1/sessions/{sid}/terminate")
    return res


def cold_run(port, sid):
    """create, then at once a message: create to the first item.delta."""
    t0 = time.perf_counter()
    st, _ = req(port, "POST", f"/v1/sessions/{sid}", {"agent": "opencode"})
    if st != 200:
        raise RuntimeError(f"create -> {st}")
    st, _ = req(port, "POST", f"/v1/sessions/{sid}/messages", {"message": "NOTOOL bench cold"})
    if st not in (200, 204):
        raise RuntimeError(f"message -> {st}")
    sse = Sse(port, f"/v1/sessions/{sid}/events/sse?offset=0")
    try:
        frames = sse.frames(timeout=TIMEOUT)
        t, _ = wait_for(frames, lambda ev: ev.get("type") == "item.delta")
        if t is None:
            raise RuntimeError("no item.delta")
        wait_for(frames, lambda ev: ev.get("type") == "turn.ended")
        return t - t0
    finally:
        sse.close()
        req(port, "POST", f"/v1/sessions/{sid}/terminate")


def main():
    if os.environ.get("BENCH_OPENCODE", "1") == "0":
        return 0
    print(f"-- server: OpenCode start-up through sa-serve (fakellm; median of {RUNS} sessions, each a new opencode serve)")
    inst = subprocess.run(["sh", os.path.join(TOP, "tests", "agents", "install.sh"), "opencode"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    oc = inst.stdout.decode().strip()
    if inst.returncode != 0 or not oc:
        print("skipped: opencode cannot be installed (tests/agents/install.sh opencode)")
        return 0
    tmp = tempfile.mkdtemp(prefix="sa-oc-bench-")
    procs = []
    try:
        portf = os.path.join(tmp, "fake.port")
        fake = subprocess.Popen([sys.executable, os.path.join(TOP, "tests", "fakellm", "fakellm.py"),
                                 "--port-file", portf, "--log", os.path.join(tmp, "fake.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(fake)
        end = time.monotonic() + 10
        while not (os.path.exists(portf) and os.path.getsize(portf)) and time.monotonic() < end:
            time.sleep(0.05)
        fport = int(open(portf).read().strip())
        env = opencode_env(fport, os.path.join(tmp, "home"))
        agentbin = os.path.join(tmp, "agentbin")
        os.mkdir(agentbin)
        os.symlink(oc, os.path.join(agentbin, "opencode"))
        env["PATH"] = agentbin + os.pathsep + env.get("PATH", "")
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        srv = subprocess.Popen(["sa-serve", "--host", "127.0.0.1", "--port", "0", "--no-token",
                                "--db", os.path.join(tmp, "sa.db"), "--state-dir", os.path.join(tmp, "state"),
                                "--fs-root", work], cwd=work, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(srv)
        line = srv.stdout.readline().decode()
        if "listening on" not in line:
            raise RuntimeError("sa-serve did not start: %r" % line)
        port = int(line.strip().rsplit(":", 1)[1].rstrip("/"))
        runs, cold = [], []
        for i in range(RUNS):
            try:
                runs.append(one_run(port, f"oc{i}"))
            except RuntimeError as e:
                print(f"run {i + 1}: {e}")
            try:
                cold.append(cold_run(port, f"cold{i}"))
            except RuntimeError as e:
                print(f"cold run {i + 1}: {e}")
        if not runs:
            return 0

        def line_of(label, key):
            xs = [r[key] * 1000 for r in runs]
            each = ", ".join(f"{x:.0f}" for x in xs)
            print(f"{label}: median {statistics.median(xs):.0f} ms ({each})")
        line_of("create to first SSE event", "first")
        line_of("create to opencode ready (first event with the native id)", "ready")
        line_of("message to first delta, first turn", "delta1")
        line_of("message to first delta, second turn", "delta2")
        if cold:
            runs = [{"cold": c} for c in cold]
            line_of("create + message at once to first delta", "cold")
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
