#!/bin/sh
# tests/agents/sandbox_probe.sh - escape attempts made from inside an agent's
# sandbox (sandbox.bats runs it as the agent itself; sandbox_claude.bats has
# Claude Code run it through its Bash tool).  Each attempt writes one line
# NAME=yes|no to $PROBE_OUT (default ./probe.out), then "done=yes":
#   fifo_write     wrote $PROBE_REPLY into a file matching $PROBE_FIFOS
#   proc_sa        saw a process of sa (sa-serve, sa-spawn, sa-normalize,
#                  sa-store as its argv[0]) in /proc
#   cmdline_read   read /proc/$PROBE_PID/cmdline
#   environ_read   read /proc/$PROBE_PID/environ
#   kill           signalled $PROBE_PID (kill -0, then SIGTERM)
#   write_outside  created $PROBE_OUTSIDE/escaped
#   write_inside   created ./inside.txt (the working directory)
# Every step is bounded (timeout 3 on the FIFO write: a FIFO nobody reads
# would block).
out=${PROBE_OUT:-probe.out}
: >"$out"
r() { echo "$1=$2" >>"$out"; }

ok=no
for f in $PROBE_FIFOS; do
  [ -e "$f" ] || continue
  if timeout 3 sh -c 'printf "%s\n" "$1" >"$2"' sh "$PROBE_REPLY" "$f" 2>/dev/null; then ok=yes; fi
done
r fifo_write $ok

seen=no
for c in /proc/[0-9]*/cmdline; do
  exe=$(tr '\0' '\n' <"$c" 2>/dev/null | head -n 1)
  case "${exe##*/}" in
    sa-serve|sa-spawn|sa-store|sa-normalize) seen=yes ;;
  esac
done
r proc_sa $seen

if [ -n "$PROBE_PID" ] && [ -n "$(tr '\0' ' ' </proc/"$PROBE_PID"/cmdline 2>/dev/null)" ]; then r cmdline_read yes; else r cmdline_read no; fi
if [ -n "$PROBE_PID" ] && [ -n "$(tr '\0' ' ' </proc/"$PROBE_PID"/environ 2>/dev/null)" ]; then r environ_read yes; else r environ_read no; fi
if [ -n "$PROBE_PID" ] && kill -0 "$PROBE_PID" 2>/dev/null; then r kill yes; else r kill no; fi
[ -n "$PROBE_PID" ] && kill -TERM "$PROBE_PID" 2>/dev/null

if [ -n "$PROBE_OUTSIDE" ] && (echo x >"$PROBE_OUTSIDE/escaped") 2>/dev/null; then r write_outside yes; else r write_outside no; fi
if (echo x >./inside.txt) 2>/dev/null; then r write_inside yes; else r write_inside no; fi
r done yes
