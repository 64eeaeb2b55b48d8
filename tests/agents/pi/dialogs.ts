/*
 * tests/agents/pi/dialogs.ts — a Pi extension for the tests: any other
 * extension's dialogs must reach the user through sa too.  It registers a
 * tool `ask_dialogs` that opens one of each dialog of Pi's extension UI
 * (select, confirm, input, editor) and sends each fire-and-forget request
 * (notify, setStatus, setWidget, setTitle), then returns what the user
 * answered as "select=...; confirm=...; input=...; editor=...".  The tests
 * copy it into the private PI_CODING_AGENT_DIR/extensions/, where pi finds
 * it by itself.
 */
import { Type } from "typebox";

export default function dialogs(pi: any) {
  pi.registerTool({
    name: "ask_dialogs",
    label: "Ask dialogs",
    description: "Open one dialog of each kind and report the answers.",
    parameters: Type.Object({}),
    async execute(_id: string, _params: any, _signal: any, _onUpdate: any, ctx: any) {
      ctx.ui.notify("dialogs coming", "info");
      ctx.ui.setStatus("dialogs", "asking");
      ctx.ui.setWidget("dialogs", ["line one", "line two"]);
      ctx.ui.setTitle("pi dialogs test");
      const sel = await ctx.ui.select("Pick a letter", ["alpha", "beta"]);
      const ok = await ctx.ui.confirm("Proceed?", "Say yes or no");
      const txt = await ctx.ui.input("Type a word", "word");
      const ed = await ctx.ui.editor("Edit the text", "prefilled");
      const text = `select=${sel}; confirm=${ok}; input=${txt}; editor=${ed}`;
      return { content: [{ type: "text", text }], details: {} };
    },
  });
}
