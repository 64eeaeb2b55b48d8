# mock.jq — sa-normalize mapping program for sa-mock-agent's native lines.
#
# Input: one native line (a JSON value).  Output: the conversions for it,
# each {type, data, synthetic?, native_session_id?}; sa-normalize applies the
# stateful rules (ids, dedup, synthetic starts/deltas, HITL maps).  The mock
# protocol is in sa-mock-agent(1): every line is an object whose "mock" key
# names what it is.  Turn ends, errors and session ends are marked synthetic,
# as sandbox-agent's in-process mock produces them.
#
# sa-fast-path: mock
# (sa-normalize maps this program's text deltas in C, without jq, exactly as
# the delta branch below does: keep the two in step; sa-normalize(1) FAST PATH.)

def conv($t; $d): {type: $t, data: $d, synthetic: false};
def synth($t; $d): {type: $t, data: $d, synthetic: true};

if type != "object" or (.mock | type) != "string" then
  {type: "agent.unparsed", data: {error: "not a mock protocol line", location: "mock.stdout"}}
else
  .mock as $m
  | if $m == "session" then
      synth("session.started"; {metadata: .}) + {native_session_id: .session_id}
    elif $m == "item.started" or $m == "item.completed" then
      conv($m; {item: .item})
    elif $m == "item.delta" then
      conv("item.delta"; {item_id: "", native_item_id: .native_item_id, delta: .delta})
    elif $m == "permission.requested" then
      conv($m; {permission_id: .permission_id, action: .action, status: "requested",
                metadata: .metadata})
    elif $m == "question.requested" then
      conv($m; {question_id: .question_id, prompt: .prompt, options: (.options // []),
                response: null, status: "requested"})
    elif $m == "error" then
      synth("error"; {message: .message, code: .code, details: .details})
    elif $m == "session.ended" then
      synth("session.ended"; {reason: (.reason // "completed"), terminated_by: "agent"})
    elif $m == "turn.ended" then
      synth("turn.ended"; {phase: "ended"})
    else
      {type: "agent.unparsed", data: {error: ("unknown mock line: " + $m), location: "mock.stdout"}}
    end
end
