/*
 * pi-extension.ts — sa's extension for the Pi coding agent (loaded by
 * sa-spawn with `pi --mode rpc -e <this file>`; see sa-spawn(1), PI).
 *
 * Pi has no permission system of its own.  This extension adds the one sa
 * promises every agent, and a question tool, using nothing but Pi's
 * documented extension API (pi.on("tool_call"), pi.registerTool, ctx.ui)
 * and its RPC extension-UI sub-protocol, so sa-spawn sees every request as
 * an extension_ui_request line on pi's stdout and answers it with an
 * extension_ui_response line on pi's stdin:
 *
 *   permission gate (SA_PI_PERMISSION_MODE, set by sa-spawn):
 *     default      asks before bash, write and edit
 *     acceptEdits  asks before bash only
 *     plan         blocks every tool that is not read-only (sa-spawn also
 *                  passes --tools with the read-only set)
 *     bypass       asks nothing
 *   A request is ctx.ui.select(title, ["once", "always", "reject"]) whose
 *   title is "sa:permission " followed by one JSON object {tool,
 *   toolCallId, input}; "once" and "always" let the tool run (sa-spawn
 *   remembers "always" for the session and answers later requests itself),
 *   anything else (reject, cancelled, no UI) blocks it with a reason the
 *   model sees.
 *
 *   question tool: input {questions: [{question, header, options: [{label,
 *   description}], multiSelect}]} (the shape Claude's AskUserQuestion and
 *   OpenCode's question tool take).  It asks ctx.ui.input(title) whose title
 *   is "sa:question " followed by {toolCallId, questions}; the answer is a
 *   JSON array with one array of chosen labels (or typed text) per
 *   question.  A cancelled dialog (the user rejected the question) makes
 *   the tool fail, so the model is told.
 *
 *   MCP servers (SA_PI_MCP, set by sa-spawn --mcp: a file in sa's MCP form,
 *   {"strict", "servers": {NAME: {"type": "local"|"remote", ...}}}, see
 *   sa-spawn(1) MCP): Pi has no MCP client, so this extension is one.  At
 *   load it starts each enabled local server (command, args, env, cwd;
 *   JSON-RPC lines on its stdio) or reaches each remote one (streamable
 *   HTTP: one POST per message, a JSON or event-stream answer, the
 *   Mcp-Session-Id kept; headers plus bearerTokenEnvVar and envHeaders from
 *   the environment), runs initialize and tools/list, and registers every
 *   tool as "mcp__<server>__<tool>" (pi.jq calls it "<server>.<tool>").
 *   A call is tools/call; an isError result or a JSON-RPC error makes the
 *   tool fail with the server's text.  A server that cannot be started or
 *   listed is reported at session start with ctx.ui.notify (a status item).
 *   The gate treats MCP tools like bash: asked in default and acceptEdits,
 *   blocked in plan, let through in bypass.
 *
 * Nothing here writes files.  The titles are a protocol between this file
 * and sa-spawn/agent_pi.c and pi.jq; change them together.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Type } from "typebox";

const READ_ONLY = ["read", "grep", "find", "ls", "question"];

function gated(mode: string, tool: string): "ask" | "block" | "allow" {
  if (mode === "bypass") return "allow";
  if (mode === "plan") return READ_ONLY.includes(tool) ? "allow" : "block";
  const mcp = tool.startsWith("mcp__");
  if (mode === "acceptEdits") return tool === "bash" || mcp ? "ask" : "allow";
  return tool === "bash" || tool === "write" || tool === "edit" || mcp ? "ask" : "allow";
}

const Option = Type.Object({
  label: Type.String({ description: "The option as the user sees it" }),
  description: Type.Optional(Type.String({ description: "What choosing it means" })),
});
const Question = Type.Object({
  question: Type.String({ description: "The question, as a full sentence" }),
  header: Type.Optional(Type.String({ description: "A short label for the question" })),
  options: Type.Array(Option, { description: "The choices offered (may be empty for free text)" }),
  multiSelect: Type.Optional(Type.Boolean({ description: "Whether several options may be chosen" })),
});


// ---- MCP client (stdio and streamable HTTP) ----

type Rpc = (method: string, params: unknown, timeoutMs: number) => Promise<any>;
type Note = (method: string, params: unknown) => void;

function stdioClient(name: string, cfg: any): { rpc: Rpc; note: Note } {
  const child = spawn(cfg.command, cfg.args || [], {
    cwd: cfg.cwd || undefined,
    env: { ...process.env, ...(cfg.env || {}) },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const waiting = new Map<number, { ok: (v: any) => void; bad: (e: Error) => void }>();
  let next = 1, buf = "", dead: Error | null = null;
  const fail = (e: Error) => {
    dead = e;
    for (const w of waiting.values()) w.bad(e);
    waiting.clear();
  };
  child.on("error", (e) => fail(new Error(`cannot start ${cfg.command}: ${e.message}`)));
  child.on("exit", (code, sig) => fail(new Error(`server exited (${sig || code})`)));
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      let m: any;
      try { m = JSON.parse(line); } catch { continue; }
      const w = typeof m.id === "number" ? waiting.get(m.id) : undefined;
      if (!w) continue;
      waiting.delete(m.id);
      if (m.error) w.bad(new Error(m.error.message || JSON.stringify(m.error)));
      else w.ok(m.result);
    }
  });
  const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + "\n");
  const rpc: Rpc = (method, params, timeoutMs) =>
    new Promise((ok, bad) => {
      if (dead) return bad(dead);
      const id = next++;
      const t = setTimeout(() => { waiting.delete(id); bad(new Error(`${method} timed out`)); }, timeoutMs);
      waiting.set(id, { ok: (v) => { clearTimeout(t); ok(v); }, bad: (e) => { clearTimeout(t); bad(e); } });
      send({ jsonrpc: "2.0", id, method, params });
    });
  process.on("exit", () => child.kill());
  return { rpc, note: (method, params) => { if (!dead) send({ jsonrpc: "2.0", method, params }); } };
}

function httpClient(name: string, cfg: any): { rpc: Rpc; note: Note } {
  const headers: Record<string, string> = { ...(cfg.headers || {}) };
  if (cfg.bearerTokenEnvVar && process.env[cfg.bearerTokenEnvVar])
    headers["Authorization"] = `Bearer ${process.env[cfg.bearerTokenEnvVar]}`;
  for (const [h, v] of Object.entries(cfg.envHeaders || {}))
    if (process.env[v as string]) headers[h] = process.env[v as string] as string;
  let session: string | null = null, next = 1;
  const post = async (m: any, timeoutMs: number) => {
    const h: Record<string, string> = {
      ...headers, "Content-Type": "application/json", Accept: "application/json, text/event-stream",
    };
    if (session) h["Mcp-Session-Id"] = session;
    const r = await fetch(cfg.url, { method: "POST", headers: h, body: JSON.stringify(m), signal: AbortSignal.timeout(timeoutMs) });
    const sid = r.headers.get("mcp-session-id");
    if (sid) session = sid;
    if (!r.ok && r.status !== 202) throw new Error(`HTTP ${r.status}`);
    if (m.id === undefined) return null;
    const text = await r.text();
    if ((r.headers.get("content-type") || "").includes("text/event-stream")) {
      for (const line of text.split("\n")) {
        if (!line.startsWith("data:")) continue;
        try {
          const d = JSON.parse(line.slice(5));
          if (d.id === m.id) return d;
        } catch { /* not JSON: skip */ }
      }
      throw new Error("no answer in the event stream");
    }
    return JSON.parse(text);
  };
  const rpc: Rpc = async (method, params, timeoutMs) => {
    const d = await post({ jsonrpc: "2.0", id: next++, method, params }, timeoutMs);
    if (d.error) throw new Error(d.error.message || JSON.stringify(d.error));
    return d.result;
  };
  return { rpc, note: (method, params) => { post({ jsonrpc: "2.0", method, params }, 10000).catch(() => {}); } };
}

function resultText(res: any): string {
  const parts = Array.isArray(res?.content) ? res.content : [];
  const text = parts.map((c: any) => (c?.type === "text" ? String(c.text) : JSON.stringify(c))).join("\n");
  return text || (res?.structuredContent ? JSON.stringify(res.structuredContent) : "");
}

async function mcpServers(pi: any, problems: string[]) {
  const file = process.env.SA_PI_MCP;
  if (!file) return;
  let servers: Record<string, any> = {};
  try {
    servers = JSON.parse(readFileSync(file, "utf8")).servers || {};
  } catch (e: any) {
    problems.push(`cannot read ${file}: ${e.message}`);
    return;
  }
  await Promise.all(Object.entries(servers).map(async ([name, cfg]) => {
    if (cfg.enabled === false) return;
    const timeoutMs = typeof cfg.timeoutMs === "number" ? cfg.timeoutMs : 30000;
    try {
      const c = cfg.type === "remote" ? httpClient(name, cfg) : stdioClient(name, cfg);
      await c.rpc("initialize", {
        protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "sa-pi", version: "1" },
      }, Math.min(timeoutMs, 20000));
      c.note("notifications/initialized", {});
      const list = await c.rpc("tools/list", {}, Math.min(timeoutMs, 20000));
      for (const t of list?.tools || []) {
        pi.registerTool({
          name: `mcp__${name}__${t.name}`,
          label: `${name}.${t.name}`,
          description: t.description || `${t.name} from the MCP server ${name}`,
          parameters: Type.Unsafe(t.inputSchema || { type: "object", properties: {} }),
          async execute(_id: string, params: any) {
            const res = await c.rpc("tools/call", { name: t.name, arguments: params || {} }, timeoutMs);
            const text = resultText(res);
            if (res?.isError) throw new Error(text || `${name}.${t.name} failed`);
            return { content: [{ type: "text", text }], details: { server: name, tool: t.name } };
          },
        });
      }
    } catch (e: any) {
      problems.push(`MCP server ${name}: ${e.message}`);
    }
  }));
}

export default async function sa(pi: any) {
  const mode = process.env.SA_PI_PERMISSION_MODE || "default";
  const problems: string[] = [];
  await mcpServers(pi, problems);
  if (problems.length)
    pi.on("session_start", async (_event: any, ctx: any) => {
      for (const p of problems) ctx.ui.notify(p, "error");
    });

  pi.on("tool_call", async (event: any, ctx: any) => {
    const tool = String(event.toolName);
    const what = gated(mode, tool);
    if (what === "allow") return undefined;
    if (what === "block")
      return { block: true, reason: `The ${tool} tool is not available in plan mode (read-only).` };
    if (!ctx.hasUI) return { block: true, reason: "Permission denied: nobody can be asked." };
    const title = "sa:permission " + JSON.stringify({ tool, toolCallId: event.toolCallId, input: event.input });
    const reply = await ctx.ui.select(title, ["once", "always", "reject"]);
    if (reply === "once" || reply === "always") return undefined;
    return { block: true, reason: "Permission denied by the user." };
  });

  pi.registerTool({
    name: "question",
    label: "Question",
    description:
      "Ask the user one or more questions, each with options to choose from, and wait for the answers.",
    promptSnippet: "Ask the user questions with options and wait for the answers",
    promptGuidelines: ["Use the question tool when you need the user to decide something before going on."],
    parameters: Type.Object({ questions: Type.Array(Question, { description: "The questions to ask" }) }),
    async execute(toolCallId: string, params: any, _signal: any, _onUpdate: any, ctx: any) {
      const questions = Array.isArray(params.questions) ? params.questions : [];
      if (questions.length === 0) throw new Error("No questions given.");
      if (!ctx.hasUI) throw new Error("Nobody can be asked (no user interface).");
      const raw = await ctx.ui.input("sa:question " + JSON.stringify({ toolCallId, questions }), "");
      if (typeof raw !== "string") throw new Error("The user declined to answer.");
      let answers: unknown;
      try {
        answers = JSON.parse(raw);
      } catch {
        answers = [[raw]];
      }
      const list = Array.isArray(answers) ? answers : [[String(answers)]];
      const lines = questions.map((q: any, i: number) => {
        const a = Array.isArray(list[i]) ? list[i].map(String) : list[i] == null ? [] : [String(list[i])];
        return `${q.question}: ${a.length ? a.join(", ") : "(no answer)"}`;
      });
      return { content: [{ type: "text", text: lines.join("\n") }], details: { questions, answers: list } };
    },
  });
}
