# tests/agents/amp_env.sh - environment for running the real Amp CLI
# (@ampcode/cli, pinned 0.0.1790142911-g7618fb) in tests.  Source it
# (sh/bash; bats: load "$SA_TOP/tests/agents/amp_env.sh"):
#
#   amp_install             install the pinned CLI (tests/agents/install.sh,
#                           cached outside the repository), export SA_AMP_BIN
#                           and SA_AGENT_CACHE (so a later private HOME does not
#                           move the cache); skips when SA_SKIP_AGENT_TESTS=1
#   sa_amp_offline_env HOMEDIR [KEY]
#                           a private HOME (and XDG dirs), AMP_URL at a closed
#                           port on 127.0.0.1, every proxy variable pointing at
#                           that port too, and AMP_API_KEY=KEY (unset without
#                           KEY): amp can reach nothing, so each run ends at
#                           its first request with an error (or, without a
#                           key, at its login prompt)
#   sa_amp_live_env HOMEDIR a private HOME for a run against ampcode.com with
#                           the caller's AMP_API_KEY (kept), AMP_URL unset
# Both write HOMEDIR/.config/amp/settings.json turning update checks and
# notifications off (the test's own HOME; never the user's settings).
amp_install() {
  if [ "${SA_SKIP_AGENT_TESTS:-0}" = 1 ]; then
    skip "SA_SKIP_AGENT_TESTS=1"
  fi
  # the cache install.sh uses, fixed before a test moves HOME
  export SA_AGENT_CACHE="${SA_AGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-agents}"
  if [ -z "${SA_AMP_BIN:-}" ]; then
    SA_AMP_BIN=$("$SA_TOP/tests/agents/install.sh" amp) || {
      echo "cannot install Amp (npm); set SA_SKIP_AGENT_TESTS=1 to skip" >&2
      return 1
    }
  fi
  export SA_AMP_BIN
}

sa_amp_home() {
  mkdir -p "$1/.config/amp"
  export HOME="$1"
  export XDG_CONFIG_HOME="$1/.config" XDG_CACHE_HOME="$1/.cache" XDG_DATA_HOME="$1/.local/share"
  [ -f "$1/.config/amp/settings.json" ] ||
    printf '{"amp.updates.mode": "disabled", "amp.notifications.enabled": false}\n' >"$1/.config/amp/settings.json"
}

sa_amp_offline_env() {
  sa_amp_home "$1"
  export AMP_URL=http://127.0.0.1:1
  export HTTP_PROXY=http://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1
  export http_proxy="$HTTP_PROXY" https_proxy="$HTTPS_PROXY" ALL_PROXY="$HTTP_PROXY"
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  if [ -n "${2:-}" ]; then export AMP_API_KEY="$2"; else unset AMP_API_KEY; fi
}

sa_amp_live_env() {
  sa_amp_home "$1"
  unset AMP_URL
}
