#!/bin/sh
# tests/ui/install.sh - install the pinned puppeteer-core the inspector's
# browser tests drive Debian's chromium with.
#
# Usage: tests/ui/install.sh [VERSION]
# Prints the node_modules directory to put on NODE_PATH on stdout;
# diagnostics go to stderr.  Exit 0 on success, 1 when the install failed.
#
# How it works (the pattern of tests/agents/install.sh): each version gets
# its own npm prefix in a cache OUTSIDE the repository,
#   ${SA_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-node}/puppeteer-core-VERSION
# installed once (npm install --prefix into a temporary sibling, renamed into
# place, so a half-finished install is never used) under an flock(1) lock.
# puppeteer-core downloads no browser: the tests use /usr/bin/chromium.
set -eu

prog=install.sh
case "${1:-}" in -h|--help) echo "usage: $prog [VERSION]"; exit 0 ;; esac
version=${1:-${SA_PUPPETEER_VERSION:-24.43.1}}
cache=${SA_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sa-node}
dir=$cache/puppeteer-core-$version

ok() { [ -f "$1/node_modules/puppeteer-core/package.json" ]; }
if ok "$dir"; then echo "$dir/node_modules"; exit 0; fi

command -v npm >/dev/null 2>&1 || { echo "$prog: npm not found on PATH" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/.puppeteer-core-$version.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 600 9 || { echo "$prog: cannot lock the cache" >&2; exit 1; }
fi
if ok "$dir"; then echo "$dir/node_modules"; exit 0; fi

tmp=$cache/.puppeteer-core-$version.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
echo "$prog: installing puppeteer-core@$version into $dir (npm)" >&2
if ! npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error \
       "puppeteer-core@$version" >&2 </dev/null || ! ok "$tmp"; then
  rm -rf "$tmp"
  echo "$prog: npm install puppeteer-core@$version failed" >&2
  exit 1
fi
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir/node_modules"
