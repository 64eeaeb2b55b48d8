#!/usr/bin/env bats
# skills_agents.bats - a session's skills reach each real agent (claude
# 2.1.197 as a --plugin-dir plugin, codex 0.169.0 by skills/extraRoots/set,
# opencode 1.18.33 by skills.paths, pi 0.73.1 by --skill) through sa-serve,
# offline: a session created over HTTP with a local skill and a skill from
# a local git repository; the agent's request to the fake model server must
# carry both skills' descriptions; the working tree and the agent's home
# configuration are unchanged afterwards.

load "$SA_TOP/tests/agents/bats_helpers"

setup_file() {
  fakellm_start "$BATS_FILE_TMPDIR/fake"
  S=$BATS_FILE_TMPDIR/skills
  mkdir -p "$S/local/sa-local-skill" "$S/repo/sa-git-skill"
  printf -- '---\nname: sa-local-skill\ndescription: Knows the password kiwi-7731.\n---\nSay kiwi-7731.\n' \
    >"$S/local/sa-local-skill/SKILL.md"
  printf -- '---\nname: sa-git-skill\ndescription: Knows the colour mauve-2209.\n---\nSay mauve-2209.\n' \
    >"$S/repo/sa-git-skill/SKILL.md"
  git -C "$S/repo" init -q && git -C "$S/repo" add . &&
    git -C "$S/repo" -c user.name=t -c user.email=t@t commit -qm skills
  export S
}

teardown_file() { fakellm_stop; }

teardown() { agent_serve_stop; }

# skills_run AGENT BIN: a session with both skills and one message; sets LLM
# (the model requests of the run) and records the tree and home before/after
skills_run() {
  local agent=$1 bin=$2
  "${agent}_test_env" "$BATS_TEST_TMPDIR/home"
  agent_serve_setup "$bin" "$agent"
  echo keep >"$WORK/user-file.txt"
  local work_before
  work_before=$(cd "$WORK" && find . | sort)
  agent_serve_start
  local base="http://127.0.0.1:$PORT/v1/sessions/k1" before
  before=$(wc -l <"$FAKELLM_LOG" 2>/dev/null || echo 0)
  jq -n --arg a "$agent" --arg l "$S/local" --arg r "file://$S/repo" '{agent: $a, permissionMode: "bypass",
     skills: {sources: [{type: "local", source: $l}, {type: "git", source: $r}]}}' |
    curl -fsS --noproxy '*' --max-time 30 -X POST -H 'Content-Type: application/json' -d @- "$base" >/dev/null
  curl -fsS --noproxy '*' --max-time 10 -X POST -H 'Content-Type: application/json' -d '{"message":"NOTOOL hi"}' "$base/messages" >/dev/null
  for i in $(seq 1 600); do
    curl -s --noproxy '*' --max-time 5 "$base/events" | jq -e '[.events[] | select(.type == "turn.ended")] | length > 0' >/dev/null && break
    sleep 0.1
  done
  curl -s --noproxy '*' --max-time 10 -X POST "$base/terminate" >/dev/null || true
  agent_serve_stop
  LLM=$BATS_TEST_TMPDIR/llm.jsonl
  tail -n +"$((before + 1))" "$FAKELLM_LOG" >"$LLM"
  [ "$(cd "$WORK" && find . | sort)" = "$work_before" ] || { echo "working tree changed"; return 1; }
  [ "$(cat "$WORK/user-file.txt")" = keep ]
  # the skills were not installed into the agent's home (no copy of or link to them
  # among its skills or plugins; agents may keep their own, e.g. codex's .system skills)
  if find -L "$HOME" -name SKILL.md 2>/dev/null | xargs -r grep -l -e kiwi-7731 -e mauve-2209 | grep -q .; then
    echo "a session skill was installed into $HOME"; return 1
  fi
}

carries() { grep -q "$1" "$LLM" || { echo "no $1 in the model requests"; return 1; }; }
FAKELLM_LOG=

@test "claude skills: the local and the git skill reach the model, the tree and home untouched" {
  export FAKELLM_LOG=$BATS_FILE_TMPDIR/fake/fakellm.log
  claude_install
  skills_run claude "$SA_CLAUDE_BIN"
  carries kiwi-7731
  carries mauve-2209
}

@test "codex skills: the local and the git skill reach the model, the tree and home untouched" {
  export FAKELLM_LOG=$BATS_FILE_TMPDIR/fake/fakellm.log
  codex_install
  skills_run codex "$SA_CODEX_BIN"
  carries kiwi-7731
  carries mauve-2209
}

@test "opencode skills: the local and the git skill reach the model, the tree and home untouched" {
  export FAKELLM_LOG=$BATS_FILE_TMPDIR/fake/fakellm.log
  opencode_install
  skills_run opencode "$SA_OPENCODE_BIN"
  carries kiwi-7731
  carries mauve-2209
}

@test "pi skills: the local and the git skill reach the model, the tree and home untouched" {
  export FAKELLM_LOG=$BATS_FILE_TMPDIR/fake/fakellm.log
  pi_install
  skills_run pi "$SA_PI_BIN"
  carries kiwi-7731
  carries mauve-2209
}
