# tests/agents/opencode_env.sh - environment for running the real OpenCode
# CLI (opencode-ai 1.18.33) offline against tests/fakellm/fakellm.py.
# Source it (sh/bash):
#
#   . tests/agents/opencode_env.sh; sa_opencode_env PORT HOMEDIR
#
# exports a private HOME=HOMEDIR with XDG_CONFIG_HOME, XDG_DATA_HOME,
# XDG_CACHE_HOME and XDG_STATE_HOME under it (opencode keeps its SQLite
# store in XDG_DATA_HOME/opencode/opencode.db and its log in
# XDG_DATA_HOME/opencode/log/), the OPENCODE_DISABLE_* switches (autoupdate,
# models.dev fetch, share, LSP downloads, default plugins, Claude Code
# compatibility, embedded web UI), OPENCODE_ENABLE_QUESTION_TOOL=1 (offers
# the `question` tool; `opencode run` still leaves it out), and a
# blackhole proxy (HTTP(S)_PROXY to the fakellm port, which answers CONNECT
# with 403; NO_PROXY=127.0.0.1,localhost) so nothing can leak.  It writes
# XDG_CONFIG_HOME/opencode/opencode.json: provider "fake"
# (@ai-sdk/openai-compatible, bundled in the binary, Chat Completions at
# http://127.0.0.1:PORT/v1) with model fake/fake-model, also the
# small_model (used for the title call).  Per-run extra config (permission
# rules, ...) goes in OPENCODE_CONFIG_CONTENT, which the caller sets.
#
# The npm install at start: every start, opencode runs a background
# "npm install @opencode-ai/plugin@1.18.33" (an in-process arborist reify)
# in each config directory (here XDG_CONFIG_HOME/opencode; also any
# .opencode/ in the project).  OPENCODE_DISABLE_DEFAULT_PLUGINS does NOT
# stop it, and there is no config key for it.  What it checks (1.18.33):
# nothing is installed when the directory is not writable; otherwise it
# installs when the directory has no node_modules/, or when a dependency
# named in package.json (or @opencode-ai/plugin itself) is missing from
# package-lock.json's packages[""].dependencies.  So an empty node_modules/
# plus a package.json and a package-lock.json that both list
# @opencode-ai/plugin stop the attempt with no network and no real package
# (the plugin package only matters for user-written plugins, which these
# tests have none of).  Without the stub the blackhole proxy logs one
# "CONNECT registry.npmjs.org:443" per start and opencode.log a WARN
# "background dependency install failed ... 403"; with it, neither.
# An existing package.json / package-lock.json is left alone;
# opencode.json is rewritten each time (so a reused HOME follows PORT).
sa_opencode_env() {
  _sa_oc_home=$2
  mkdir -p "$_sa_oc_home"
  export HOME="$_sa_oc_home"
  export XDG_CONFIG_HOME="$_sa_oc_home/.config" XDG_DATA_HOME="$_sa_oc_home/.local/share"
  export XDG_CACHE_HOME="$_sa_oc_home/.cache" XDG_STATE_HOME="$_sa_oc_home/.local/state"
  export OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_MODELS_FETCH=1
  export OPENCODE_DISABLE_SHARE=1 OPENCODE_DISABLE_LSP_DOWNLOAD=1
  export OPENCODE_DISABLE_DEFAULT_PLUGINS=1 OPENCODE_DISABLE_CLAUDE_CODE=1
  export OPENCODE_DISABLE_EMBEDDED_WEB_UI=1 OPENCODE_ENABLE_QUESTION_TOOL=1
  export HTTP_PROXY="http://127.0.0.1:$1" HTTPS_PROXY="http://127.0.0.1:$1"
  export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY"
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  unset OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY OPENCODE_CONFIG \
    OPENCODE_CONFIG_DIR OPENCODE_SERVER_PASSWORD OPENCODE_SERVER_USERNAME
  _sa_oc_cfg=$XDG_CONFIG_HOME/opencode
  mkdir -p "$_sa_oc_cfg/node_modules" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
  [ -f "$_sa_oc_cfg/package.json" ] ||
    printf '{"dependencies":{"@opencode-ai/plugin":"1.18.33"}}\n' >"$_sa_oc_cfg/package.json"
  [ -f "$_sa_oc_cfg/package-lock.json" ] ||
    printf '{"lockfileVersion":3,"packages":{"":{"dependencies":{"@opencode-ai/plugin":"1.18.33"}}}}\n' \
      >"$_sa_oc_cfg/package-lock.json"
  cat >"$_sa_oc_cfg/opencode.json" <<SA_OPENCODE_EOF
{
  "\$schema": "https://opencode.ai/config.json",
  "model": "fake/fake-model",
  "small_model": "fake/fake-model",
  "autoupdate": false,
  "share": "disabled",
  "provider": {
    "fake": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "Fake LLM",
      "options": { "baseURL": "http://127.0.0.1:$1/v1", "apiKey": "sk-fake-opencode" },
      "models": {
        "fake-model": { "name": "Fake Model", "tool_call": true,
                        "limit": { "context": 128000, "output": 4096 } }
      }
    }
  }
}
SA_OPENCODE_EOF
}
