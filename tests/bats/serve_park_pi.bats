#!/usr/bin/env bats
# serve_park_pi.bats - a real pi session parked by sa-serve --idle-park
# and resumed natively by the next message, offline against
# tests/fakellm/fakellm.py (park_helpers.bash: park_agent_case).

load "$SA_TOP/tests/agents/bats_helpers"
load park_helpers

setup_file() {
  pi_install
  fakellm_start "$BATS_FILE_TMPDIR/fake"
}

teardown_file() { fakellm_stop; }

setup() {
  pi_install
  pi_test_env "$BATS_TEST_TMPDIR/home"
  agent_serve_setup "$SA_PI_BIN" pi
}

teardown() { agent_serve_stop; }

@test "park pi: an idle pi session parks and the next message resumes it natively with its context" {
  park_agent_case pi /v1/chat our_pi
}
