#!/usr/bin/env python3
"""check_events.py - invariants every stored end-to-end session must hold.

What it is for: the e2e tests (claude_e2e.bats, serve_claude.bats) feed it
the stored universal events (JSONL, sa-store/sa-replay output, or a JSON
array with --array) and it checks, independent of which agent ran:
  1. no agent.unparsed event;
  2. every tool_call content part has a tool_result part with the same
     call_id (in any item of the session);
  3. for every assistant message item: the item.delta texts add up to the
     text of its item.completed (text parts joined with "" or "\\n"), and
     no item has deltas without a completion;
  4. every permission.requested has a permission.resolved with the same
     permission_id, every question.requested a question.resolved with the
     same question_id, and no *.resolved arrives for an id never requested
     in the events given (pass --allow-orphan-resolved to permit that);
  5. optional expectations: --expect TYPE=N (at least N events of TYPE),
     --expect-status permission.resolved=reject (some resolved event has
     that data.status), --expect-text SUBSTRING (an assistant item text
     contains it), --expect-tool-output SUBSTRING (a tool_result output
     contains it).
Every failure is printed as "check_events: FAIL: ..." on stderr; exit 0
when all hold, 1 when any failed, 2 on usage errors.
"""
import argparse
import json
import sys


def load(path, array):
    with open(path, encoding="utf-8") as f:
        if array:
            return json.load(f)
        return [json.loads(l) for l in f if l.strip()]


def text_parts(item):
    return [p.get("text", "") for p in item.get("content") or []
            if isinstance(p, dict) and p.get("type") == "text"]


def check(events, a):
    fails = []
    items = {}        # item_id -> completed item
    deltas = {}       # item_id -> [delta...]
    calls, results = {}, set()
    tool_outputs = []
    asked = {"permission": {}, "question": {}}
    solved = {"permission": set(), "question": set()}
    counts, statuses = {}, set()
    for ev in events:
        t, d = ev.get("type"), ev.get("data") or {}
        counts[t] = counts.get(t, 0) + 1
        if t == "agent.unparsed":
            fails.append("agent.unparsed at sequence %s: %s (raw %s)" % (
                ev.get("sequence"), d.get("error"),
                json.dumps(ev.get("raw"))[:200]))
        elif t == "item.delta":
            deltas.setdefault(d.get("item_id"), []).append(
                d.get("delta") or "")
        elif t in ("item.started", "item.completed"):
            item = d.get("item") or {}
            if t == "item.completed":
                items[item.get("item_id")] = item
            for p in item.get("content") or []:
                if not isinstance(p, dict):
                    continue
                if p.get("type") == "tool_call":
                    calls.setdefault(p.get("call_id"), ev.get("sequence"))
                elif p.get("type") == "tool_result":
                    results.add(p.get("call_id"))
                    tool_outputs.append(str(p.get("output")))
        elif t in ("permission.requested", "question.requested"):
            kind = t.split(".")[0]
            asked[kind][d.get(kind + "_id")] = ev.get("sequence")
        elif t in ("permission.resolved", "question.resolved"):
            kind = t.split(".")[0]
            solved[kind].add(d.get(kind + "_id"))
            statuses.add("%s=%s" % (t, d.get("status")))
    for cid, seq in calls.items():
        if cid not in results:
            fails.append("tool_call %s (sequence %s) has no tool_result" %
                         (cid, seq))
    texts = []
    for iid, item in items.items():
        if item.get("kind") != "message" or item.get("role") != "assistant":
            continue
        parts = text_parts(item)
        texts.append("".join(parts))
        got = "".join(deltas.get(iid, []))
        if parts and got not in ("".join(parts), "\n".join(parts)):
            fails.append("assistant item %s: deltas %r != completed text %r"
                         % (iid, got[:200], "".join(parts)[:200]))
    for iid in deltas:
        if iid not in items:
            fails.append("item %s has item.delta but no item.completed" % iid)
    for kind in ("permission", "question"):
        for rid, seq in asked[kind].items():
            if rid not in solved[kind]:
                fails.append("%s.requested %s (sequence %s) never resolved"
                             % (kind, rid, seq))
    if not a.allow_orphan_resolved:
        for kind in ("permission", "question"):
            for rid in sorted(solved[kind] - set(asked[kind])):
                fails.append("%s.resolved %s without a %s.requested" %
                             (kind, rid, kind))
    for spec in a.expect:
        typ, _, n = spec.partition("=")
        if counts.get(typ, 0) < int(n or 1):
            fails.append("expected at least %s %s event(s), got %d" %
                         (n or 1, typ, counts.get(typ, 0)))
    for spec in a.expect_status:
        if spec not in statuses:
            fails.append("expected a %s; saw %s" % (spec, sorted(statuses)))
    for sub in a.expect_text:
        if not any(sub in t for t in texts):
            fails.append("no assistant text contains %r" % sub)
    for sub in a.expect_tool_output:
        if not any(sub in o for o in tool_outputs):
            fails.append("no tool_result output contains %r" % sub)
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--array", action="store_true",
                    help="the file is one JSON array of events")
    ap.add_argument("--allow-orphan-resolved", action="store_true")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--expect-status", action="append", default=[])
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--expect-tool-output", action="append", default=[])
    a = ap.parse_args()
    try:
        events = load(a.file, a.array)
    except (OSError, ValueError) as e:
        print("check_events: cannot read %s: %s" % (a.file, e),
              file=sys.stderr)
        sys.exit(1)
    fails = check(events, a)
    for f in fails:
        print("check_events: FAIL: " + f, file=sys.stderr)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
