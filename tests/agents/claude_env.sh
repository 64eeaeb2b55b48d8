# tests/agents/claude_env.sh - environment for running the real Claude Code
# CLI offline against tests/fakellm/fakellm.py.  Source it (sh/bash):
#
#   . tests/agents/claude_env.sh; sa_claude_env PORT HOMEDIR
#
# exports a private HOME, ANTHROPIC_BASE_URL/API key pointing at the fake
# server on 127.0.0.1:PORT, every "no non-essential traffic" switch, a
# blackhole proxy (the fake server answers CONNECT with 403) so nothing can
# leak, and IS_SANDBOX=1 (Claude refuses bypass mode as root without it).
sa_claude_env() {
  mkdir -p "$2"
  export HOME="$2"
  export XDG_CONFIG_HOME="$2/.config" XDG_CACHE_HOME="$2/.cache" XDG_DATA_HOME="$2/.local/share"
  export ANTHROPIC_BASE_URL="http://127.0.0.1:$1"
  export ANTHROPIC_API_KEY=sk-ant-fake
  export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1
  export DISABLE_ERROR_REPORTING=1 DISABLE_BUG_COMMAND=1 DISABLE_NON_ESSENTIAL_MODEL_CALLS=1
  export HTTP_PROXY="http://127.0.0.1:$1" HTTPS_PROXY="http://127.0.0.1:$1"
  export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY"
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  export IS_SANDBOX=1
  unset ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN CLAUDECODE CLAUDE_CODE_ENTRYPOINT
}
