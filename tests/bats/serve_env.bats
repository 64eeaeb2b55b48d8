#!/usr/bin/env bats
# What sa-serve's children may see: no stage (least of all the agent) gets
# the server's token from $SA_TOKEN, and the agent does not get $SA_DB.

load serve_helpers

setup() { T=$BATS_TEST_TMPDIR; }
teardown() { serve_teardown; }

# env_of PID — its environment, one variable per line.
env_of() { tr '\0' '\n' <"/proc/$1/environ"; }

@test "the token from SA_TOKEN and SA_DB reach no child of sa-serve" {
  SA_TOKEN=s3cret-token SA_DB=/nonexistent/ignored.db serve_start
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret-token' \
    -H 'Content-Type: application/json' -d '{"agent":"mock"}' "$URL/v1/sessions/e1")
  [ "$code" = 200 ]
  curl -s -o /dev/null -X POST -H 'Authorization: Bearer s3cret-token' -H 'Content-Type: application/json' \
    -d '{"message":"sleep 3000"}' "$URL/v1/sessions/e1/messages"
  # the mock agent and every stage of the session's pipeline
  for _ in $(seq 100); do pgrep -f "sa-mock-agent.*e1" >/dev/null && break; sleep 0.05; done
  pids="$(session_pids e1) $(pgrep -f 'sa-mock-agent.*e1')"
  [ "$(echo $pids | wc -w)" -ge 4 ]
  for p in $pids; do
    ! env_of "$p" | grep -q '^SA_TOKEN=' || { echo "pid $p sees SA_TOKEN"; false; }
    ! env_of "$p" | grep -q '^SA_DB=' || { echo "pid $p sees SA_DB"; false; }
  done
  ! grep -q s3cret-token /proc/$(pgrep -f 'sa-mock-agent.*e1' | head -1)/environ
}
