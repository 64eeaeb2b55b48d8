#!/usr/bin/env bats
# Agents found in the agent cache (where tests/agents/install.sh and so
# `make check` install them: $SA_AGENT_CACHE, else $XDG_CACHE_HOME/sa-agents,
# else ~/.cache/sa-agents, one AGENT-VERSION npm prefix each) as well as on
# PATH, by sa-spawn and sa-serve alike; /v1/agents says where.  The agents
# here are fake: shell scripts that print a version.

bats_require_minimum_version 1.5.0
load serve_helpers

setup() {
  T=$BATS_TEST_TMPDIR
  CACHE=$T/cache
  BASEPATH="$SA_BINDIR:/usr/bin:/bin"
  for b in claude codex; do
    [ ! -x "/usr/bin/$b" ] && [ ! -x "/bin/$b" ] || skip "$b in /usr/bin"
  done
}
teardown() { serve_teardown; }

# fake_agent DIR BIN VERSION — an executable DIR/BIN printing "VERSION (fake)".
fake_agent() {
  mkdir -p "$1"
  printf '#!/bin/sh\necho "%s (fake)"\n' "$3" > "$1/$2"
  chmod +x "$1/$2"
}
# cached AGENT VERSION — a fake agent in the cache, as npm installs it.
cached() { fake_agent "$CACHE/$1-$2/node_modules/.bin" "$1" "$2"; }

spawned_argv0() { jq -r 'select(.sa == "spawned") | .argv[0]' <<<"$1"; }

@test "sa-spawn finds an agent in the agent cache when it is not on PATH" {
  cached claude 1.0.0
  run --separate-stderr env PATH="$BASEPATH" SA_AGENT_CACHE="$CACHE" sa-spawn --agent claude </dev/null
  [ "$(spawned_argv0 "$output")" = "$CACHE/claude-1.0.0/node_modules/.bin/claude" ]
}

@test "the newest version in the agent cache is used (1.10.0 after 1.9.0)" {
  cached claude 1.9.0
  cached claude 1.10.0
  cached claude 1.2.0
  run --separate-stderr env PATH="$BASEPATH" SA_AGENT_CACHE="$CACHE" sa-spawn --agent claude </dev/null
  [ "$(spawned_argv0 "$output")" = "$CACHE/claude-1.10.0/node_modules/.bin/claude" ]
}

@test "an agent on PATH is used before the one in the agent cache" {
  cached claude 1.0.0
  fake_agent "$T/own" claude 9.0.0
  run --separate-stderr env PATH="$T/own:$BASEPATH" SA_AGENT_CACHE="$CACHE" sa-spawn --agent claude </dev/null
  [ "$(spawned_argv0 "$output")" = "$T/own/claude" ]
}

@test "without SA_AGENT_CACHE the cache is \$XDG_CACHE_HOME/sa-agents, else \$HOME/.cache/sa-agents" {
  fake_agent "$T/xdg/sa-agents/claude-1.0.0/node_modules/.bin" claude 1.0.0
  fake_agent "$T/home/.cache/sa-agents/claude-2.0.0/node_modules/.bin" claude 2.0.0
  run --separate-stderr env -u SA_AGENT_CACHE PATH="$BASEPATH" XDG_CACHE_HOME="$T/xdg" HOME="$T/home" \
    sa-spawn --agent claude </dev/null
  [ "$(spawned_argv0 "$output")" = "$T/xdg/sa-agents/claude-1.0.0/node_modules/.bin/claude" ]
  run --separate-stderr env -u SA_AGENT_CACHE -u XDG_CACHE_HOME PATH="$BASEPATH" HOME="$T/home" \
    sa-spawn --agent claude </dev/null
  [ "$(spawned_argv0 "$output")" = "$T/home/.cache/sa-agents/claude-2.0.0/node_modules/.bin/claude" ]
}

@test "spawn_failed names the agent cache it looked in" {
  run --separate-stderr env PATH="$BASEPATH" SA_AGENT_CACHE="$CACHE" sa-spawn --agent claude </dev/null
  [ "$status" -eq 3 ]
  [ "$(jq -r .error <<<"$output")" = "cannot execute claude: not found on PATH or in the agent cache $CACHE" ]
}

@test "/v1/agents lists an agent found only in the cache as installed, with its path and pathSource cache" {
  cached claude 1.0.0
  PATH="$BASEPATH" SA_AGENT_CACHE="$CACHE" serve_start --no-token
  api GET /v1/agents
  jq -e --arg p "$CACHE/claude-1.0.0/node_modules/.bin/claude" '.agents[] | select(.id == "claude")
    | .installed and .path == $p and .pathSource == "cache" and .version == "1.0.0"' <<<"$body"
}

@test "/v1/agents says pathSource path for an agent on PATH and beside for the mock" {
  fake_agent "$T/own" codex 0.1.0
  PATH="$T/own:$BASEPATH" SA_AGENT_CACHE="$CACHE" serve_start --no-token
  api GET /v1/agents
  jq -e '.agents[] | select(.id == "codex") | .installed and .pathSource == "path"' <<<"$body"
  jq -e '.agents[] | select(.id == "mock") | .pathSource == "beside"' <<<"$body"
  jq -e '.agents[] | select(.id == "claude") | (.installed | not) and (has("pathSource") | not)' <<<"$body"
}

@test "a session with an agent found only in the cache is created, not 404 agent_not_installed" {
  cached claude 1.0.0
  PATH="$BASEPATH" SA_AGENT_CACHE="$CACHE" serve_start --no-token
  api POST /v1/sessions/c1 '{"agent":"claude"}'
  [ "$code" = 200 ]
}
