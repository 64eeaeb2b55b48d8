"""fakeenv.py - shared helpers for the python test drivers in tests/agents.

What it is for: start tests/fakellm/fakellm.py on a kernel-chosen port and
build the environment that runs a real agent CLI offline against it (same
variables as claude_env.sh).  Ownership: FakeLLM owns its child process and
stops it in stop() (also registered with atexit).
"""
import atexit
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKELLM = os.path.join(HERE, "..", "fakellm", "fakellm.py")


class FakeLLM:
    """The fake model server as a child process; .port once started."""

    def __init__(self, log_path, timeout=10.0):
        self.proc = subprocess.Popen(
            [sys.executable, FAKELLM, "--log", log_path],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        line = self.proc.stdout.readline()  # first line: the port
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("fakellm did not report a port")
        self.port = int(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def claude_env(port, home, base=None):
    """Environment for Claude Code against the fake server on `port`."""
    env = dict(base if base is not None else os.environ)
    for k in ("ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDECODE",
              "CLAUDE_CODE_ENTRYPOINT"):
        env.pop(k, None)
    os.makedirs(home, exist_ok=True)
    proxy = "http://127.0.0.1:%d" % port
    env.update({
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "ANTHROPIC_BASE_URL": proxy,
        "ANTHROPIC_API_KEY": "sk-ant-fake",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1", "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1", "DISABLE_BUG_COMMAND": "1",
        "DISABLE_NON_ESSENTIAL_MODEL_CALLS": "1",
        "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy,
        "http_proxy": proxy, "https_proxy": proxy,
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "IS_SANDBOX": "1",
    })
    return env


def deadline(seconds):
    """A function returning the seconds left (never below 0)."""
    end = time.monotonic() + seconds
    return lambda: max(0.0, end - time.monotonic())


def sourced_env(env_sh, func, port, home):
    """The environment a tests/agents/*_env.sh function builds, as a dict:
    sh sources env_sh and runs `func port home`, then prints env -0."""
    out = subprocess.run(
        ["sh", "-c", '. "$1"; "$2" "$3" "$4"; env -0', "sh",
         env_sh, func, str(port), home], check=True,
        stdout=subprocess.PIPE).stdout
    env = {}
    for kv in out.split(b"\0"):
        if b"=" in kv:
            k, v = kv.split(b"=", 1)
            env[k.decode()] = v.decode()
    return env
