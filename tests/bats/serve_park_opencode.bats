#!/usr/bin/env bats
# serve_park_opencode.bats - a real opencode session parked by sa-serve --idle-park
# and resumed natively by the next message, offline against
# tests/fakellm/fakellm.py (park_helpers.bash: park_agent_case).

load "$SA_TOP/tests/agents/bats_helpers"
load park_helpers

setup_file() {
  opencode_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  opencode_install
  opencode_test_env "$BATS_TEST_TMPDIR/home"
  agent_serve_setup "$SA_OPENCODE_BIN" opencode
}

teardown() { agent_serve_stop; }

@test "park opencode: an idle opencode session parks and the next message resumes it natively with its context" {
  park_agent_case opencode /v1/chat our_opencode
}
