#!/usr/bin/env bats
# skills.bats - a session's skills: sa-serve resolves create's `skills`
# sources (a local directory, a local git repository cloned by URL and ref,
# github OWNER/REPO), finds SKILL.md as v0.1.11 does, refuses bad sources
# with 400 and starts nothing, builds the per-session root in its state
# directory and hands it to sa-spawn --skills, which gives it to each agent
# its own way (fake agents print their argv and environment).  Real agents
# reading the skills are in skills_agents.bats.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() {
  T=$BATS_TEST_TMPDIR; cd "$T"
  # a directory of two skills (skills/*/SKILL.md), one whose name comes from its front matter
  mkdir -p "$T/src/skills/alpha" "$T/src/skills/beta-dir" "$T/one" "$T/empty"
  printf -- '---\nname: alpha\ndescription: The alpha skill.\n---\nbody\n' >"$T/src/skills/alpha/SKILL.md"
  printf -- '---\nname: beta\ndescription: The beta skill.\n---\nbody\n' >"$T/src/skills/beta-dir/SKILL.md"
  printf -- '---\ndescription: A skill named by its directory.\n---\n' >"$T/one/SKILL.md"
  # a git repository holding a skill at the top of a subdirectory, with a tag
  mkdir -p "$T/repo/pack/gamma"
  printf -- '---\nname: gamma\ndescription: The gamma skill from git.\n---\n' >"$T/repo/pack/gamma/SKILL.md"
  git -C "$T/repo" init -q && git -C "$T/repo" add . &&
    git -C "$T/repo" -c user.name=t -c user.email=t@t commit -qm one && git -C "$T/repo" tag v1
}
teardown() { serve_teardown; }

problem_is() {  # problem_is STATUS TYPE
  [ "$code" = "$1" ] || { echo "status $code, want $1: $body"; return 1; }
  [ "$(jq -r .type <<<"$body")" = "urn:sandbox-agent:error:$2" ] || { echo "body: $body"; return 1; }
}

create() {  # create ID SOURCES-JSON
  api POST "/v1/sessions/$1" "{\"agent\":\"mock\",\"skills\":{\"sources\":$2}}"
}

root_of() { ls -d "$T"/state/skills-*/ | head -1; }

@test "skills: a local directory's skills/*/SKILL.md become the session's skills, named by front matter" {
  serve_start --no-token
  create s1 "[{\"type\":\"local\",\"source\":\"$T/src\"}]"
  [ "$code" = 200 ]
  [ "$(ls "$(root_of)skills" | tr '\n' ' ')" = "alpha beta " ]
  [ "$(readlink "$(root_of)skills/beta")" = "$T/src/skills/beta-dir" ]
}

@test "skills: a directory holding SKILL.md is one skill named after the directory" {
  serve_start --no-token
  create s1 "[{\"type\":\"local\",\"source\":\"$T/one\"}]"
  [ "$code" = 200 ]
  [ -e "$(root_of)skills/one/SKILL.md" ]
}

@test "skills: the skills filter keeps only the names listed" {
  serve_start --no-token
  create s1 "[{\"type\":\"local\",\"source\":\"$T/src\",\"skills\":[\"beta\"]}]"
  [ "$code" = 200 ]
  [ "$(ls "$(root_of)skills")" = beta ]
}

@test "skills: a git source is cloned at its ref, subpath joined" {
  serve_start --no-token
  create s1 "[{\"type\":\"git\",\"source\":\"$T/repo\",\"ref\":\"v1\",\"subpath\":\"pack\"}]"
  [ "$code" = 200 ] || { echo "$body"; false; }
  target=$(readlink "$(root_of)skills/gamma")
  [[ "$target" == "$T/state/skills-cache/"*"/pack/gamma" ]]
  [ -e "$target/SKILL.md" ]
}

@test "skills: the git clone is cached and the source repository is left alone" {
  before=$(git -C "$T/repo" status --porcelain; git -C "$T/repo" rev-parse HEAD)
  serve_start --no-token
  create s1 "[{\"type\":\"git\",\"source\":\"$T/repo\",\"subpath\":\"pack\"}]"
  create s2 "[{\"type\":\"git\",\"source\":\"$T/repo\",\"subpath\":\"pack\"}]"
  [ "$code" = 200 ]
  [ "$(ls "$T/state/skills-cache" | wc -l)" -eq 1 ]
  [ "$(git -C "$T/repo" status --porcelain; git -C "$T/repo" rev-parse HEAD)" = "$before" ]
}

@test "skills: a local source that does not exist is 400 and no session" {
  serve_start --no-token
  create bad "[{\"type\":\"local\",\"source\":\"$T/nope\"}]"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"is not a directory"* ]]
  api GET /v1/sessions/bad
  [ "$code" = 404 ]
}

@test "skills: a directory without SKILL.md is 400" {
  serve_start --no-token
  create bad "[{\"type\":\"local\",\"source\":\"$T/empty\"}]"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"no SKILL.md"* ]]
}

@test "skills: a ref that does not exist is 400 naming the ref" {
  serve_start --no-token
  create bad "[{\"type\":\"git\",\"source\":\"$T/repo\",\"ref\":\"no-such-tag\"}]"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"ref no-such-tag"* ]]
}

@test "skills: a git source that cannot be cloned is 400" {
  serve_start --no-token
  create bad "[{\"type\":\"git\",\"source\":\"$T/not-a-repo\"}]"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"git clone"*"failed"* ]]
}

@test "skills: a github source that is not OWNER/REPO is 400" {
  serve_start --no-token
  create bad '[{"type":"github","source":"https://github.com/a/b"}]'
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"OWNER/REPO"* ]]
}

@test "skills: a listed skill that is not in the source is 400" {
  serve_start --no-token
  create bad "[{\"type\":\"local\",\"source\":\"$T/src\",\"skills\":[\"zeta\"]}]"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"no skill named zeta"* ]]
}

@test "skills: two sources giving one name twice is 400" {
  serve_start --no-token
  create bad "[{\"type\":\"local\",\"source\":\"$T/src\"},{\"type\":\"local\",\"source\":\"$T/src\"}]"
  problem_is 400 invalid_request
  [[ "$(jq -r .detail <<<"$body")" == *"two skills are named"* ]]
}

@test "skills: a subpath climbing out with .. is 400" {
  serve_start --no-token
  create bad "[{\"type\":\"local\",\"source\":\"$T/src\",\"subpath\":\"../..\"}]"
  problem_is 400 invalid_request
}

@test "skills: an unknown type or member is 400" {
  serve_start --no-token
  create bad '[{"type":"zip","source":"x"}]'
  problem_is 400 invalid_request
  create bad2 "[{\"type\":\"local\",\"source\":\"$T/src\",\"branch\":\"x\"}]"
  problem_is 400 invalid_request
}

@test "skills: SessionInfo echoes skills as given, also after a restart" {
  export SA_SERVE_DB=$T/keep.db
  serve_start --no-token
  create s1 "[{\"type\":\"local\",\"source\":\"$T/src\",\"skills\":[\"alpha\"]}]"
  serve_teardown
  serve_start --no-token
  api GET /v1/sessions/s1
  jq -e --arg s "$T/src" '.skills == {"sources": [{"type": "local", "source": $s, "skills": ["alpha"]}]}' <<<"$body"
}

@test "skills: the root is handed to sa-spawn as --skills and holds a claude plugin manifest" {
  serve_start --no-token
  create s1 "[{\"type\":\"local\",\"source\":\"$T/src\"}]"
  r=$(root_of); r=${r%/}
  jq -e '.name == "sa-session-skills"' "$r/.claude-plugin/plugin.json"
  for i in $(seq 1 50); do      # the pipeline is forked as create answers: give exec a moment
    for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f" 2>/dev/null; echo; done | grep -- '--session s1 ' |
      grep -q -- "--skills $r" && return 0
    sleep 0.1
  done
  false
}

@test "skills: nothing is written into the fs root (the user's tree)" {
  serve_start --no-token
  before=$(find "$T/src" "$T/one" | sort)
  create s1 "[{\"type\":\"local\",\"source\":\"$T/src\"},{\"type\":\"local\",\"source\":\"$T/one\"}]"
  [ "$code" = 200 ]
  [ "$(find "$T/src" "$T/one" | sort)" = "$before" ]
  [ ! -e "$T/.claude" ] && [ ! -e "$T/.agents" ] && [ ! -e "$T/.opencode" ]
}

# ---- sa-spawn --skills per agent (fake agents) ----

fake() {
  printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s/argv"\nenv > "%s/env"\n' "$T" "$T" >"$T/fake-$1"
  chmod +x "$T/fake-$1"
}

mkroot() { mkdir -p "$T/root/skills"; ln -sfn "$T/src/skills/alpha" "$T/root/skills/alpha"; }

@test "sa-spawn --skills: a directory without skills/ is a usage error (exit 2)" {
  run sa-spawn --agent mock --skills "$T/empty" </dev/null
  [ "$status" -eq 2 ]
  [[ "$output" == *"no skills/ directory"* ]]
}

@test "sa-spawn --skills: claude loads the root as a plugin (--plugin-dir)" {
  mkroot; fake claude
  sa-spawn --agent claude --agent-bin "$T/fake-claude" --skills "$T/root" </dev/null >/dev/null
  grep -A1 -x -- --plugin-dir "$T/argv" | tail -1 | grep -qx "$T/root"
}

@test "sa-spawn --skills: pi gets --skill with the root's skills directory" {
  mkroot; fake pi
  sa-spawn --agent pi --agent-bin "$T/fake-pi" --skills "$T/root" </dev/null >/dev/null
  grep -A1 -x -- --skill "$T/argv" | tail -1 | grep -qx "$T/root/skills"
}

@test "sa-spawn --skills: opencode's config gets skills.paths, added to the caller's" {
  mkroot; fake opencode
  OPENCODE_CONFIG_CONTENT='{"skills":{"paths":["/mine"]}}' \
    sa-spawn --agent opencode --agent-bin "$T/fake-opencode" --skills "$T/root" </dev/null >/dev/null 2>&1 || true
  sed -n 's/^OPENCODE_CONFIG_CONTENT=//p' "$T/env" | jq -e --arg r "$T/root/skills" '.skills.paths == ["/mine", $r]'
}

@test "sa-spawn --skills: codex is told the root with skills/extraRoots/set before its thread starts" {
  mkroot
  cat >"$T/fake-codex" <<EOF
#!/usr/bin/env python3
import json, sys
seen = []
for line in sys.stdin:
    m = json.loads(line)
    seen.append(m)
    if m.get("method") in ("initialize", "skills/extraRoots/set"):
        print(json.dumps({"id": m["id"], "result": {}}), flush=True)
    elif m.get("method") in ("thread/start", "thread/resume"):
        break
open("$T/seen.json", "w").write(json.dumps(seen))
EOF
  chmod +x "$T/fake-codex"
  echo '{"type":"message","message":"hi"}' | timeout 20 sa-spawn --agent codex --agent-bin "$T/fake-codex" --skills "$T/root" >/dev/null 2>&1 || true
  jq -e --arg r "$T/root/skills" '[.[].method] == ["initialize", "initialized", "skills/extraRoots/set", "thread/start"]
         and .[2].params.extraRoots == [$r]' "$T/seen.json"
}

@test "skills: DELETE of the session removes its skills root (the sources stay)" {
  serve_start --no-token
  create s1 "[{\"type\":\"local\",\"source\":\"$T/src\"}]"
  [ -n "$(ls -d "$T"/state/skills-*/ 2>/dev/null | grep -v cache)" ]
  api DELETE /v1/sessions/s1
  [ "$code" = 204 ]
  [ -z "$(ls -d "$T"/state/skills-*/ 2>/dev/null | grep -v skills-cache)" ]
  [ -e "$T/src/skills/alpha/SKILL.md" ]
}
