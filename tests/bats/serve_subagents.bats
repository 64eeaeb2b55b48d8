#!/usr/bin/env bats
# serve_subagents.bats — GET /v1/sessions/{id}/subagents and
# SessionInfo.subagents without an agent that starts subagents (the mock):
# the empty list, the errors, the OpenAPI entry; and a session stored by a
# shell pipeline from the recorded claude subagent transcript
# (tests/fixtures/claude/subagent.jsonl), read from the store at start.
# Subagents of a live real agent are in subagents_claude.bats.

bats_require_minimum_version 1.5.0
load serve_helpers

teardown() { serve_teardown; }

@test "subagents: a session without subagents has GET /subagents {\"subagents\":[]}" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api GET /v1/sessions/t1/subagents
  [ "$code" = 200 ] && [ "$(jq -c . <<<"$body")" = '{"subagents":[]}' ]
}

@test "subagents: SessionInfo.subagents is [] for a session without subagents" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api GET /v1/sessions/t1
  [ "$(jq -c .subagents <<<"$body")" = '[]' ]
}

@test "subagents: GET /subagents of an unknown session is a 404 problem" {
  serve_start --no-token
  api GET /v1/sessions/nope/subagents
  [ "$code" = 404 ] && [ "$(jq -r .type <<<"$body")" = urn:sandbox-agent:error:session_not_found ]
}

@test "subagents: POST /subagents is 405" {
  serve_start --no-token
  api POST /v1/sessions/t1 '{"agent":"mock"}'
  api POST /v1/sessions/t1/subagents '{}'
  [ "$code" = 405 ]
}

@test "subagents: /v1/openapi.json lists GET /subagents and SessionInfo.subagents" {
  serve_start --no-token
  api GET /v1/openapi.json
  jq -e '.paths["/v1/sessions/{sessionId}/subagents"].get.operationId == "getSubagents"
         and .components.schemas.SessionInfo.properties.subagents.items["$ref"] == "#/components/schemas/Subagent"' <<<"$body"
}

@test "subagents: a stored claude session with a subagent lists it completed, under its Agent call, after sa-serve starts" {
  sa-normalize --agent claude --session st1 < "$SA_TOP/tests/fixtures/claude/subagent.jsonl" |
    sa-store --db "$BATS_TEST_TMPDIR/sa.db" --session st1 >/dev/null
  serve_start --no-token
  api GET /v1/sessions/st1/subagents
  [ "$code" = 200 ] && [ "$(jq -c '.subagents | map(del(.id))' <<<"$body")" = \
    '[{"name":"general-purpose","description":"Inspect","parentItemId":"itm_3","status":"completed"}]' ]
}
