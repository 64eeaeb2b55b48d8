#!/usr/bin/env bats
# sa credentials extract|extract-env: keys found in the environment and in
# claude's, codex's, opencode's and amp's own files under a fake home
# (-d), redacted unless --reveal, --agent/--provider, --no-oauth, --export.

bats_require_minimum_version 1.5.0

setup() {
  H=$BATS_TEST_TMPDIR/home
  mkdir -p "$H/.claude" "$H/.codex" "$H/.local/share/opencode" "$H/.local/share/amp"
  unset ANTHROPIC_API_KEY CLAUDE_API_KEY CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_AUTH_TOKEN OPENAI_API_KEY CODEX_API_KEY AMP_API_KEY
}

# fill — one credential file per agent.
fill() {
  echo '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-claudeoauthtoken1234"}}' >"$H/.claude/.credentials.json"
  echo '{"OPENAI_API_KEY":"sk-proj-codexkeyabcdefgh5678","tokens":null}' >"$H/.codex/auth.json"
  echo '{"openrouter":{"type":"api","key":"sk-or-v1-opencodekey-9999"}}' >"$H/.local/share/opencode/auth.json"
  echo '{"apiKey@https://ampcode.com/":"sgamp_user_ampkey_00001111"}' >"$H/.local/share/amp/secrets.json"
}

@test "extract finds each agent's file and redacts the keys as abcd...wxyz" {
  fill
  run sa credentials extract -d "$H"
  [ "$status" -eq 0 ]
  [ "$(jq -c '.anthropic | [.provider, .source, .auth_type, .api_key, .redacted]' <<<"$output")" = '["anthropic","claude","oauth","sk-a...1234",true]' ]
  [ "$(jq -c '.openai | [.source, .auth_type, .api_key]' <<<"$output")" = '["codex","api_key","sk-p...5678"]' ]
  [ "$(jq -c '.other.openrouter | [.source, .api_key]' <<<"$output")" = '["opencode","sk-o...9999"]' ]
  [ "$(jq -c '.other.amp | [.source, .api_key]' <<<"$output")" = '["amp","sgam...1111"]' ]
  [[ "$output" != *claudeoauthtoken* ]]
}

@test "extract --reveal prints the keys in full" {
  fill
  run sa credentials extract -d "$H" --reveal
  [ "$(jq -r '.anthropic.api_key, .anthropic.redacted' <<<"$output" | tr '\n' ' ')" = "sk-ant-oat01-claudeoauthtoken1234 false " ]
}

@test "extract: the environment comes before the files; --no-oauth skips OAuth tokens" {
  fill
  ANTHROPIC_API_KEY=sk-ant-api03-fromenvironment-42 run sa credentials extract -d "$H" -r
  [ "$(jq -c '.anthropic | [.source, .auth_type, .api_key]' <<<"$output")" = '["environment","api_key","sk-ant-api03-fromenvironment-42"]' ]
  run sa credentials extract -d "$H" --no-oauth
  [ "$(jq -c .anthropic <<<"$output")" = null ]
}

@test "extract with claude's ~/.claude.json primaryApiKey" {
  echo '{"primaryApiKey":"sk-ant-api03-primarykey-7777"}' >"$H/.claude.json"
  run sa credentials extract -d "$H"
  [ "$(jq -c '.anthropic | [.source, .auth_type, .api_key]' <<<"$output")" = '["claude","api_key","sk-a...7777"]' ]
}

@test "extract --agent / --provider prints only that key; none found exits 5" {
  fill
  run sa credentials extract -d "$H" --agent codex
  [ "$status" -eq 0 ] && [ "$output" = "sk-p...5678" ]
  run sa credentials extract -d "$H" -p openrouter -r
  [ "$status" -eq 0 ] && [ "$output" = "sk-or-v1-opencodekey-9999" ]
  rm "$H/.codex/auth.json"
  run --separate-stderr sa credentials extract -d "$H" -a codex
  [ "$status" -eq 5 ] && [[ "$stderr" == *"no credential found for codex"* ]]
  run sa credentials extract -d "$H" -a cursor
  [ "$status" -eq 2 ]
}

@test "extract with nothing anywhere prints nulls" {
  run sa credentials extract -d "$H"
  [ "$status" -eq 0 ]
  [ "$(jq -c . <<<"$output")" = '{"anthropic":null,"openai":null,"other":{}}' ]
}

@test "extract-env prints the variables each provider's key sets; --export makes shell lines" {
  fill
  run sa credentials extract-env -d "$H"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'ANTHROPIC_API_KEY=sk-ant-oat01-claudeoauthtoken1234\nCLAUDE_API_KEY=sk-ant-oat01-claudeoauthtoken1234'* ]]
  [[ "$output" == *$'OPENAI_API_KEY=sk-proj-codexkeyabcdefgh5678\nCODEX_API_KEY=sk-proj-codexkeyabcdefgh5678'* ]]
  [[ "$output" == *"OPENROUTER_API_KEY=sk-or-v1-opencodekey-9999"* ]]
  run sa credentials extract-env -d "$H" --export
  eval "$output"
  [ "$OPENAI_API_KEY" = sk-proj-codexkeyabcdefgh5678 ] && [ "$AMP_API_KEY" = sgamp_user_ampkey_00001111 ]
}

@test "extract-env quotes a value the shell would split" {
  echo '{"x":{"type":"api","key":"a b'"'"'c;d"}}' >"$H/.local/share/opencode/auth.json"
  run sa credentials extract-env -d "$H" -e
  eval "$output"
  [ "$X_API_KEY" = "a b'c;d" ]
}
