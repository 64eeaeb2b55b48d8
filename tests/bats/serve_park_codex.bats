#!/usr/bin/env bats
# serve_park_codex.bats - a real codex session parked by sa-serve --idle-park
# and resumed natively by the next message, offline against
# tests/fakellm/fakellm.py (park_helpers.bash: park_agent_case).

load "$SA_TOP/tests/agents/bats_helpers"
load park_helpers

setup_file() {
  codex_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  codex_install
  codex_test_env "$BATS_TEST_TMPDIR/home"
  agent_serve_setup "$SA_CODEX_BIN" codex
}

teardown() { agent_serve_stop; }

@test "park codex: an idle codex session parks and the next message resumes it natively with its context" {
  park_agent_case codex /v1/responses our_codex
}
