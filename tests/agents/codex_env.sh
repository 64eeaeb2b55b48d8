# tests/agents/codex_env.sh - environment for running the real Codex CLI
# (0.169.0) offline against tests/fakellm/fakellm.py.  Source it (sh/bash):
#
#   . tests/agents/codex_env.sh; sa_codex_env PORT HOMEDIR
#
# exports a private HOME and CODEX_HOME=HOMEDIR/.codex, writes
# CODEX_HOME/config.toml pointing codex at the fake server on
# 127.0.0.1:PORT through the Responses API (provider "fake", catalog model
# slug gpt-5.5 so no "model metadata not found" warning, no retries so a
# scripted HTTP 400 fails at once, analytics/feedback/update checks off, and
# the [features] that would reach github.com or chatgpt.com turned off),
# and a blackhole proxy (the fake server answers CONNECT with 403) so
# nothing can leak.  An existing config.toml is left alone (codex appends
# its own [projects.*] trust entries to it).  TMPDIR=HOMEDIR/tmp (without it,
# where bubblewrap is installed, every sandboxed command fails with "bwrap:
# execvp codex-linux-sandbox: No such file").
sa_codex_env() {
  mkdir -p "$2/.codex" "$2/tmp"
  export HOME="$2" CODEX_HOME="$2/.codex"
  # Codex runs approved commands under bubblewrap when bwrap is installed,
  # through a helper alias it creates in CODEX_HOME but refuses to create
  # under the temporary directory: a private TMPDIR keeps this test HOME
  # (itself under /tmp) from counting as one.
  export TMPDIR="$2/tmp"
  export XDG_CONFIG_HOME="$2/.config" XDG_CACHE_HOME="$2/.cache" XDG_DATA_HOME="$2/.local/share"
  export FAKE_API_KEY=sk-fake-codex
  export HTTP_PROXY="http://127.0.0.1:$1" HTTPS_PROXY="http://127.0.0.1:$1"
  export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY"
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  unset OPENAI_API_KEY OPENAI_BASE_URL CODEX_API_KEY CODEX_SANDBOX CODEX_THREAD_ID
  [ -f "$CODEX_HOME/config.toml" ] && return 0
  cat >"$CODEX_HOME/config.toml" <<SA_CODEX_EOF
model = "gpt-5.5"
model_provider = "fake"
check_for_update_on_startup = false

[model_providers.fake]
name = "fakellm"
base_url = "http://127.0.0.1:$1/v1"
env_key = "FAKE_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[feedback]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
plugin_sharing = false
tool_suggest = false
skill_mcp_dependency_install = false
image_generation = false
computer_use = false
browser_use = false
in_app_updates = false
SA_CODEX_EOF
}
