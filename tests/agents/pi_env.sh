# tests/agents/pi_env.sh - environment for running the real Pi coding agent
# (@mariozechner/pi-coding-agent 0.73.1) offline against
# tests/fakellm/fakellm.py.  Source it (sh/bash):
#
#   . tests/agents/pi_env.sh; sa_pi_env PORT HOMEDIR
#
# exports a private HOME=HOMEDIR, PI_CODING_AGENT_DIR=HOMEDIR/.pi/agent
# (pi keeps its settings, models and sessions there: sessions under
# sessions/<cwd slug>/<timestamp>_<id>.jsonl), PI_OFFLINE=1 (no start-up
# network calls), PI_SKIP_VERSION_CHECK=1 and PI_TELEMETRY=0, and a
# blackhole proxy (HTTP(S)_PROXY to the fakellm port, which answers CONNECT
# with 403; pi's fetch ignores it, PI_OFFLINE is what keeps it quiet) with
# NO_PROXY=127.0.0.1,localhost.  It writes models.json with one provider
# "fake" (api openai-completions, Chat Completions at
# http://127.0.0.1:PORT/v1, key sk-fake-pi, no developer role, no reasoning
# effort) holding model fake-model, and settings.json making fake/fake-model
# the default, so `pi` needs no --provider or --model.  Both files are
# rewritten each time (a reused HOME follows PORT).  Pi runs on the system
# node (it is a node script).
sa_pi_env() {
  _sa_pi_home=$2
  export HOME="$_sa_pi_home" PI_CODING_AGENT_DIR="$_sa_pi_home/.pi/agent"
  export PI_OFFLINE=1 PI_SKIP_VERSION_CHECK=1 PI_TELEMETRY=0
  export HTTP_PROXY="http://127.0.0.1:$1" HTTPS_PROXY="http://127.0.0.1:$1"
  export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY"
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  unset OPENAI_API_KEY ANTHROPIC_API_KEY PI_CODING_AGENT_SESSION_DIR
  mkdir -p "$PI_CODING_AGENT_DIR"
  cat >"$PI_CODING_AGENT_DIR/models.json" <<EOF2
{"providers": {"fake": {"baseUrl": "http://127.0.0.1:$1/v1", "api": "openai-completions", "apiKey": "sk-fake-pi",
  "compat": {"supportsDeveloperRole": false, "supportsReasoningEffort": false},
  "models": [{"id": "fake-model", "name": "Fake Model", "reasoning": false, "input": ["text"],
              "contextWindow": 128000, "maxTokens": 4096}]}}}
EOF2
  printf '{"enableInstallTelemetry": false, "defaultProvider": "fake", "defaultModel": "fake-model"}\n' \
    >"$PI_CODING_AGENT_DIR/settings.json"
}
