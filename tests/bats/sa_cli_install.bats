#!/usr/bin/env bats
# Agent install without the network: `sa install-agent` and POST
# /v1/agents/{agent}/install put a fake npm package (a local tarball made by
# npm pack, named by $SA_AGENT_NPM_SPEC) into a private agent cache, reuse
# what is installed (npm is then not run: $SA_NPM=false), report npm's
# error, and never block sa-serve's event loop.

bats_require_minimum_version 1.5.0
load sa_cli_helpers
load "$SA_TOP/tests/agents/bats_helpers"

setup() {
  T=$BATS_TEST_TMPDIR
  export SA_AGENT_CACHE=$T/cache npm_config_offline=true npm_config_cache=$T/npm-cache
  # the fake amp: prints a version like the real one
  mkdir -p "$T/pkg"
  printf '{"name":"fake-amp","version":"1.0.0","bin":{"amp":"amp.sh"}}\n' >"$T/pkg/package.json"
  printf '#!/bin/sh\necho "fake-amp 9.9.9"\n' >"$T/pkg/amp.sh"
  chmod +x "$T/pkg/amp.sh"
  (cd "$T/pkg" && npm pack --pack-destination "$T" >/dev/null 2>&1)
  TGZ=$T/fake-amp-1.0.0.tgz
  [ -f "$TGZ" ]
  PIN=$(jq -r .npm.version "$SA_AGENTS_DIR/amp.json")
}
teardown() { [ -z "${CPID:-}" ] || stop_pid "$CPID"; serve_teardown; }

@test "install-agent installs the package into CACHE/amp-PIN and prints the executable" {
  run --separate-stderr env SA_AGENT_NPM_SPEC="$TGZ" sa install-agent amp
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$output" = "$T/cache/amp-$PIN/node_modules/.bin/amp" ]
  [ "$("$output")" = "fake-amp 9.9.9" ]
  [ -z "$(ls -A "$T/cache" | grep -v '^\.amp-.*\.lock$' | grep -v "^amp-$PIN\$")" ]   # no temporary left
}

@test "install-agent reuses an installed agent: npm is not run" {
  SA_AGENT_NPM_SPEC="$TGZ" sa install-agent amp >/dev/null 2>&1
  run --separate-stderr env SA_NPM=false sa install-agent amp
  [ "$status" -eq 0 ]
  [ "$output" = "$T/cache/amp-$PIN/node_modules/.bin/amp" ]
  [[ "$stderr" == *"already installed (cache)"* ]]
}

@test "install-agent --reinstall runs npm again; when it fails the old install stays (exit 4)" {
  SA_AGENT_NPM_SPEC="$TGZ" sa install-agent amp >/dev/null 2>&1
  run --separate-stderr env SA_NPM=false sa install-agent amp --reinstall
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"npm install @ampcode/cli@$PIN failed"* ]]
  [ -x "$T/cache/amp-$PIN/node_modules/.bin/amp" ]
}

@test "install-agent reuses the real agent cache (claude as install.sh put it)" {
  unset SA_AGENT_CACHE npm_config_offline npm_config_cache
  claude_install                   # as the other claude tests: installed once, cached
  run --separate-stderr env SA_NPM=false sa install-agent claude
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ -x "$output" ]
  [[ "$stderr" == *"already installed"* ]]
}

@test "install-agent: the mock is built in (exit 0); an unknown agent exits 2" {
  run sa install-agent mock
  [ "$status" -eq 0 ] && [[ "$output" == *sa-mock-agent* ]]
  run sa install-agent nope
  [ "$status" -eq 2 ]
}

@test "POST /v1/agents/amp/install installs (204); /v1/agents then lists it installed with its version" {
  SA_AGENT_NPM_SPEC="$TGZ" serve_start --no-token
  sa_run api agents install amp
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ -x "$T/cache/amp-$PIN/node_modules/.bin/amp" ]
  for i in $(seq 200); do
    api GET /v1/agents
    [ "$(jq -r '.agents[] | select(.id == "amp") | .version' <<<"$body")" = 9.9.9 ] && break
    sleep 0.05
  done
  [ "$(jq -c '.agents[] | select(.id == "amp") | [.installed, .path]' <<<"$body")" = \
    "[true,\"$T/cache/amp-$PIN/node_modules/.bin/amp\"]" ]
}

@test "POST /v1/agents/amp/install: npm's failure is 500 install_failed with its error in details.stderr" {
  SA_AGENT_NPM_SPEC="$T/missing.tgz" serve_start --no-token
  api POST /v1/agents/amp/install '{}'
  problem_is 500 install_failed
  [ "$(jq -r .agent <<<"$body")" = amp ]
  [[ "$(jq -r .details.stderr <<<"$body")" == *"missing.tgz"* ]]
  sa_run api agents install amp
  [ "$status" -eq 1 ] && [[ "$stderr" == *"HTTP 500: install failed: amp"* ]]
}

@test "POST /v1/agents/amp/install with reinstall:true runs npm even when installed" {
  SA_AGENT_NPM_SPEC="$TGZ" sa install-agent amp >/dev/null 2>&1
  SA_NPM=false serve_start --no-token
  api POST /v1/agents/amp/install '{}'
  [ "$code" = 204 ]
  api POST /v1/agents/amp/install '{"reinstall":true}'
  problem_is 500 install_failed
  sa_run api agents install amp -r
  [ "$status" -eq 1 ]
}

@test "an install in progress does not block sa-serve: health and sessions answer meanwhile" {
  # the npm stand-in waits (bounded) for a go file, then runs the real npm
  printf '#!/bin/sh\ni=0\nwhile [ ! -e "%s/go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\nexec npm "$@"\n' "$T" >"$T/slow-npm"
  chmod +x "$T/slow-npm"
  SA_NPM=$T/slow-npm SA_AGENT_NPM_SPEC="$TGZ" serve_start --no-token
  curl -s -o "$T/inst.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' \
    --max-time 60 "$URL/v1/agents/amp/install" >"$T/inst.code" 3>&- &
  CPID=$!
  wait_file "$T/serve.err" 'installing amp'
  api GET /v1/health
  [ "$code" = 200 ]
  api GET /v1/sessions
  [ "$code" = 200 ]
  [ ! -s "$T/inst.code" ]          # still installing
  touch "$T/go"
  wait "$CPID"; CPID=
  [ "$(cat "$T/inst.code")" = 204 ]
}

@test "create of an agent not installed installs it first (as v0.1.11), then answers 200" {
  SA_AGENT_NPM_SPEC="$TGZ" serve_start --no-token --log-level 2
  api POST /v1/sessions/a1 '{"agent":"amp"}' --max-time 120
  [ "$code" = 200 ] || { echo "$code $body"; false; }
  [ -x "$T/cache/amp-$PIN/node_modules/.bin/amp" ]
  grep -q 'session a1: waits for the install of amp' "$T/serve.err"
}

@test "create of an agent whose install fails is 500 install_failed with npm's error, nothing stored" {
  SA_AGENT_NPM_SPEC="$T/missing.tgz" serve_start --no-token
  api POST /v1/sessions/a1 '{"agent":"amp"}' --max-time 120
  problem_is 500 install_failed
  [[ "$(jq -r .details.stderr <<<"$body")" == *"missing.tgz"* ]]
  api GET /v1/sessions/a1
  [ "$code" = 404 ]
}

@test "create with --no-auto-install: an agent not installed is 404 agent_not_installed, npm not run" {
  printf '#!/bin/sh\ntouch "%s/npm-ran"\nexit 1\n' "$T" >"$T/npm-probe"
  chmod +x "$T/npm-probe"
  SA_NPM=$T/npm-probe serve_start --no-token --no-auto-install
  api POST /v1/sessions/a1 '{"agent":"amp"}'
  problem_is 404 agent_not_installed
  [ ! -e "$T/npm-ran" ]
}

@test "create of an agent not installed: a bad mode is 400 at once, before any install" {
  printf '#!/bin/sh\ntouch "%s/npm-ran"\nexit 1\n' "$T" >"$T/npm-probe"
  chmod +x "$T/npm-probe"
  SA_NPM=$T/npm-probe serve_start --no-token
  api POST /v1/sessions/a1 '{"agent":"amp","permissionMode":"plan"}'
  [ "$code" = 400 ]
  [ ! -e "$T/npm-ran" ]
}

@test "two creates during one install wait for the same npm run" {
  printf '#!/bin/sh\necho run >>"%s/npm-runs"\ni=0\nwhile [ ! -e "%s/go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\nexec npm "$@"\n' "$T" "$T" >"$T/slow-npm"
  chmod +x "$T/slow-npm"
  SA_NPM=$T/slow-npm SA_AGENT_NPM_SPEC="$TGZ" serve_start --no-token
  pids=
  for s in a1 a2; do
    curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"agent":"amp"}' \
      --max-time 60 "$URL/v1/sessions/$s" >"$T/$s.code" 3>&- &
    pids="$pids $!"
  done
  wait_file "$T/serve.err" 'installing amp'
  sleep 0.3
  touch "$T/go"
  for p in $pids; do wait "$p"; done
  [ "$(cat "$T/a1.code") $(cat "$T/a2.code")" = "200 200" ]
  [ "$(wc -l <"$T/npm-runs")" -eq 1 ]
}
