# park_helpers.bash — the shared body of serve_park_{codex,opencode,pi}.bats
# (park_info, wait_parked and park_labels serve serve_park_claude.bats too):
# a real agent's session through sa-serve --idle-park 2 (tests/agents
# bats_helpers: agent_serve_start, serve_drive.py against the fake model)
# parks after its turn and resumes natively with its context.
#
# park_agent_case AGENT API_PREFIX OURS — AGENT's session pk: one turn, then
# parked (SessionInfo.parked, sa-serve counts no stage process, OURS — a
# command printing the test's agent pids — prints none, one agent.parked
# item, no session.ended); the next turn resumes it: the fake model's
# requests under API_PREFIX carry the first turn's output, one agent.resumed
# item says how "native", one native session id throughout.

park_info() { curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/$1"; }

# wait_parked SESSION: until SessionInfo says parked (bounded, 60 s).
wait_parked() {
  local i
  for i in $(seq 1 600); do
    [ "$(park_info "$1" | jq -r .parked)" = true ] && return 0
    sleep 0.1
  done
  echo "$1 never parked" >&2
  return 1
}

# park_labels SESSION LABEL: the json part of each stored status item LABEL
park_labels() {
  curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$PORT/v1/sessions/$1/events" |
    jq -c --arg l "$2" '.events[] | select(.type == "item.completed" and .data.item.content[0].label? == $l)
      | .data.item.content[1].json'
}

park_agent_case() {
  local agent=$1 prefix=$2 ours=$3 i
  local ev1="$BATS_TEST_TMPDIR/p1.jsonl" ev2="$BATS_TEST_TMPDIR/p2.jsonl" log="$BATS_FILE_TMPDIR/fake/fakellm.log"
  agent_serve_start --idle-park 2
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --agent "$agent" --timeout 90 \
    --session pk --out "$ev1" --no-terminate --message "First. RUN: echo parked-one" --permission once
  echo "$output"
  [ "$status" -eq 0 ]
  [ -n "$($ours)" ]                # the agent runs until parked
  wait_parked pk
  park_info pk | jq -e '.parked == true and .ended == false'
  curl -sS --noproxy '*' "http://127.0.0.1:$PORT/metrics" | grep -qx 'sa_stage_processes{stage="spawn"} 0'
  for i in $(seq 1 100); do [ -z "$($ours)" ] && break; sleep 0.1; done
  [ -z "$($ours)" ]
  [ "$(park_labels pk agent.parked | wc -l)" -eq 1 ]
  last=$(curl -sS --noproxy '*' "http://127.0.0.1:$PORT/v1/sessions/pk/events" | jq '.events[-1].sequence')
  : >"$log"
  run with_timeout 120 python3 "$SA_AGENTS_TESTDIR/serve_drive.py" --port "$PORT" --agent "$agent" --timeout 90 \
    --session pk --no-create --offset "$last" --out "$ev2" --no-terminate \
    --message "Second. RUN: echo parked-two" --permission once
  echo "$output"
  [ "$status" -eq 0 ]
  jq -se --arg p "$prefix" 'map(select(.path | startswith($p))) | any(tostring | test("parked-one"))' "$log"
  run park_labels pk agent.resumed
  echo "$output"
  [ "${#lines[@]}" -eq 1 ]
  jq -e '.how == "native" and (.resume_ms | type == "number")' <<<"${lines[0]}"
  curl -sS --noproxy '*' "http://127.0.0.1:$PORT/v1/sessions/pk/events" |
    jq -e '([.events[] | .native_session_id | strings] | unique | length == 1) and
      ([.events[] | select(.type == "session.ended")] == []) and ([.events[] | select(.type == "turn.ended")] | length == 2)'
}
