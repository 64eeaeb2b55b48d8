#!/bin/sh
# tests/agents/install.sh - install a pinned coding-agent CLI for tests.
#
# Usage: tests/agents/install.sh AGENT [VERSION]
#   AGENT: claude, codex, opencode, pi or amp.  VERSION defaults to the pinned
#   one: the "npm" member of sa-normalize/agents/AGENT.json ($SA_AGENTS_DIR).
# Prints the path of the agent's executable on stdout; diagnostics go to
# stderr.  Exit 0 on success, 1 when the install failed, 2 on usage errors.
#
# How it works: each AGENT-VERSION gets its own npm prefix directory in a
# cache OUTSIDE the repository:
#   ${SA_AGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-agents}/AGENT-VERSION
# It is installed once (npm install --prefix into a temporary sibling, then
# renamed into place, so a half-finished install is never used) under an
# flock(1) lock, so concurrent test files do not race.  Later calls only
# check that the executable is there and print its path.  npm 11 does not
# run install scripts; the platform package's binary is used directly when
# present (it is what the npm bin shim ends up running), else the shim.
set -eu

prog=install.sh
usage() { echo "usage: $prog AGENT [VERSION]   (AGENT: claude, codex, opencode, pi, amp)"; }

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
esac
agent=$1
case "$agent" in
  claude|codex|opencode|pi|amp) ;;
  *) echo "$prog: unknown agent: $agent" >&2; usage >&2; exit 2 ;;
esac
# The pinned package and version are the agent description's "npm" member
# (sa-normalize/agents/AGENT.json; sa install-agent reads the same).  amp:
# @ampcode/cli@latest installs without its binary (its platform package is
# missing from the registry); the pinned version has both.
desc=${SA_AGENTS_DIR:-$(dirname "$0")/../../sa-normalize/agents}/$agent.json
pkg=$(jq -er '.npm.package' "$desc") || { echo "$prog: no npm.package in $desc" >&2; exit 1; }
pin=$(jq -er '.npm.version' "$desc") || { echo "$prog: no npm.version in $desc" >&2; exit 1; }
case "$agent" in
  claude) version=${2:-${SA_CLAUDE_VERSION:-$pin}} ;;
  codex) version=${2:-${SA_CODEX_VERSION:-$pin}} ;;
  opencode) version=${2:-${SA_OPENCODE_VERSION:-$pin}} ;;
  pi) version=${2:-${SA_PI_VERSION:-$pin}} ;;
  amp) version=${2:-${SA_AMP_VERSION:-$pin}} ;;
esac

cache=${SA_AGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-agents}
dir=$cache/$agent-$version

# Echo the executable inside an install prefix, or fail.
find_exe() {
  case "$agent" in
    claude)
      arch=$(uname -m)
      case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
      for p in "$1/node_modules/@anthropic-ai/claude-code-linux-$arch/claude" \
               "$1/node_modules/@anthropic-ai/claude-code-linux-$arch-musl/claude" \
               "$1/node_modules/.bin/claude"; do
        if [ -x "$p" ]; then echo "$p"; return 0; fi
      done ;;
    codex)
      case "$(uname -m)" in
        x86_64) triple=x86_64-unknown-linux-musl; parch=x64 ;;
        aarch64) triple=aarch64-unknown-linux-musl; parch=arm64 ;;
        *) triple=none; parch=none ;;
      esac
      for p in "$1/node_modules/@openai/codex-linux-$parch/vendor/$triple/bin/codex" \
               "$1/node_modules/@openai/codex/vendor/$triple/codex/codex" \
               "$1/node_modules/.bin/codex"; do
        if [ -x "$p" ]; then echo "$p"; return 0; fi
      done ;;
    opencode)
      case "$(uname -m)" in x86_64) oarch=x64 ;; aarch64) oarch=arm64 ;; *) oarch=none ;; esac
      for p in "$1/node_modules/opencode-linux-$oarch/bin/opencode" \
               "$1/node_modules/opencode-linux-$oarch-baseline/bin/opencode" \
               "$1/node_modules/.bin/opencode"; do
        if [ -x "$p" ]; then echo "$p"; return 0; fi
      done ;;
    pi)
      # A node script (runs on the system node); the bin shim is a symlink.
      for p in "$1/node_modules/@mariozechner/pi-coding-agent/dist/cli.js" \
               "$1/node_modules/.bin/pi"; do
        if [ -x "$p" ]; then echo "$p"; return 0; fi
      done ;;
    amp)
      case "$(uname -m)" in x86_64) aarch=x64 ;; aarch64) aarch=arm64 ;; *) aarch=none ;; esac
      for p in "$1/node_modules/@ampcode/cli-linux-$aarch/amp" \
               "$1/node_modules/.bin/amp"; do
        if [ -x "$p" ]; then echo "$p"; return 0; fi
      done ;;
  esac
  return 1
}

if exe=$(find_exe "$dir"); then echo "$exe"; exit 0; fi

command -v npm >/dev/null 2>&1 || { echo "$prog: npm not found on PATH" >&2; exit 1; }
mkdir -p "$cache"
lock=$cache/.$agent-$version.lock
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock -w 600 9 || { echo "$prog: cannot lock $lock" >&2; exit 1; }; fi

# Someone else may have finished while we waited for the lock.
if exe=$(find_exe "$dir"); then echo "$exe"; exit 0; fi

tmp=$cache/.$agent-$version.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
echo "$prog: installing $pkg@$version into $dir (npm)" >&2
if ! npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error \
       "$pkg@$version" >&2 </dev/null; then
  rm -rf "$tmp"
  echo "$prog: npm install $pkg@$version failed" >&2
  exit 1
fi
if ! find_exe "$tmp" >/dev/null; then
  rm -rf "$tmp"
  echo "$prog: $pkg@$version installed but no executable found" >&2
  exit 1
fi
rm -rf "$dir"
mv "$tmp" "$dir"
find_exe "$dir"
