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
 * Nothing here writes files or reaches the network.  The titles are a
 * protocol between this file and sa-spawn/agent_pi.c and pi.jq; change
 * them together.
 */
import { Type } from "typebox";

const READ_ONLY = ["read", "grep", "find", "ls", "question"];

function gated(mode: string, tool: string): "ask" | "block" | "allow" {
  if (mode === "bypass") return "allow";
  if (mode === "plan") return READ_ONLY.includes(tool) ? "allow" : "block";
  if (mode === "acceptEdits") return tool === "bash" ? "ask" : "allow";
  return tool === "bash" || tool === "write" || tool === "edit" ? "ask" : "allow";
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

export default function sa(pi: any) {
  const mode = process.env.SA_PI_PERMISSION_MODE || "default";

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
