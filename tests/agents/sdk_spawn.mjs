// tests/agents/sdk_spawn.mjs — what sandbox-agent v0.1.11's TypeScript SDK
// does in embedded mode (SandboxAgent.start with spawn.binaryPath), written
// out with node's own modules (no network, no npm package): pick a free
// port on 127.0.0.1, make a random token, spawn
//   BINARY server --host 127.0.0.1 --port PORT --token TOKEN
// poll GET /v1/health until it answers 200, then talk to the API with
// "Authorization: Bearer TOKEN" and, on dispose, SIGTERM the child and wait.
//
// Usage: node sdk_spawn.mjs BINARY
// Prints one JSON object (what it saw) on stdout; exit 0 when every step
// worked, 1 otherwise.  Every wait is bounded.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";

const bin = process.argv[2];
const seen = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ["server", "--host", "127.0.0.1", "--port", String(port), "--token", token], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exited = null;
  child.on("exit", (code, signal) => { exited = { code, signal }; });
  child.stdout.resume();
  let err = "";
  child.stderr.on("data", (d) => { err += d; });
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  try {
    for (let i = 0; i < 300 && !seen.health; i++) {      // 30 s
      if (exited) throw new Error(`server exited: ${JSON.stringify(exited)} ${err}`);
      try {
        const r = await fetch(`${base}/v1/health`);
        if (r.status === 200) seen.health = await r.json();
      } catch { /* not listening yet */ }
      if (!seen.health) await sleep(100);
    }
    if (!seen.health) throw new Error("no /v1/health answer in 30 s");
    seen.unauthorized = (await fetch(`${base}/v1/agents`)).status;
    const agents = await fetch(`${base}/v1/agents`, { headers });
    seen.agents = agents.status;
    seen.mock = (await agents.json()).agents.some((a) => a.id === "mock" && a.installed);
    seen.create = (await fetch(`${base}/v1/sessions/sdk1`, { method: "POST", headers, body: JSON.stringify({ agent: "mock" }) })).status;
    seen.message = (await fetch(`${base}/v1/sessions/sdk1/messages`, { method: "POST", headers, body: JSON.stringify({ message: "hello" }) })).status;
    for (let i = 0; i < 200 && !seen.turnEnded; i++) {   // 20 s
      const ev = await (await fetch(`${base}/v1/sessions/sdk1/events`, { headers })).json();
      seen.turnEnded = ev.events.some((e) => e.type === "turn.ended");
      if (!seen.turnEnded) await sleep(100);
    }
  } catch (e) {
    seen.error = String(e);
  }
  child.kill("SIGTERM");
  for (let i = 0; i < 100 && !exited; i++) await sleep(100); // 10 s
  if (!exited) child.kill("SIGKILL");
  seen.exit = exited;
  console.log(JSON.stringify(seen));
  const ok = !seen.error && seen.unauthorized === 401 && seen.agents === 200 && seen.mock &&
             seen.create === 200 && seen.message === 204 && seen.turnEnded && exited;
  process.exit(ok ? 0 : 1);
}
main();
