#!/bin/sh
# tests/bench/profile.sh — `make profile`: where a mock burst's time goes,
# stage by stage (issue 15 item 1).  Prints, per universal event that comes
# out of sa-store, the instructions each process executes (valgrind
# --tool=callgrind: exact counts, so the figures do not depend on the
# machine's load) and the system calls each stage makes (strace -c -f),
# then each stage's five hottest functions.  Every stage reads a file made
# by the stage before it, so each is measured alone.
# Needs valgrind and strace (Debian packages of the same names; not in
# DEB_PKGS: make check does not run this).  PROFILE_N: burst size (default
# 20000).  Asserts nothing.  sa-spawn runs with --sandbox none under
# valgrind and strace (bwrap's namespaces cannot be made by a traced
# process; the sandbox only wraps the agent's exec, it is not on the path
# of an event: the agent's stdout is sa-spawn's pipe either way).
set -eu
N=${PROFILE_N:-20000}
for t in valgrind strace callgrind_annotate; do
  command -v "$t" >/dev/null 2>&1 || { echo "profile: $t not found (apt-get install valgrind strace)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"
printf '{"type":"message","message":"burst %s"}\n' "$N" > in.txt
sa-spawn --agent mock --session p < in.txt > spawn.out
sa-normalize --agent mock --session p < spawn.out > norm.out
sa-store --db warm.db --session p --agent mock < norm.out > store.out
E=$(wc -l < store.out)

cg() {   # cg NAME CMD... < input: callgrind every process of CMD into cg.NAME.PID
  name=$1; shift
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="cg.$name.%p" "$@" > /dev/null 2> "vg.$name.log"
}
cg spawn sa-spawn --sandbox none --agent mock --session p < in.txt
cg norm sa-normalize --agent mock --session p < spawn.out
cg store sa-store --db cg.db --session p --agent mock < norm.out

echo "== sa profile: mock burst $N, $E universal events out of sa-store ($(uname -m), $(date -u +%FT%TZ))"
echo "-- instructions per event (callgrind), by process"
for f in cg.*.*; do
  cmd=$(sed -n 's/^cmd: *//p' "$f" | head -1 | cut -c1-60)
  ir=$(sed -n 's/^summary: *//p' "$f" | head -1)
  case $cmd in sh\ *) continue ;; esac
  case $cmd in *"jq -n"*) what="jq (the program's compile check, once)" ;;
               *jq*) what="jq (the mapping program)" ;;
               *) what=${cmd%% *}; what=${what##*/} ;; esac
  awk -v w="$what" -v ir="$ir" -v e="$E" 'BEGIN { printf "%-40s %12.0f Ir/event  (%d Ir)\n", w, ir / e, ir }'
done | sort -k1,1

echo "-- system calls per event (strace -c -f)"
strace -c -f -o st.spawn sa-spawn --sandbox none --agent mock --session p < in.txt > /dev/null
strace -c -f -o st.norm sa-normalize --agent mock --session p < spawn.out > /dev/null
strace -c -f -o st.store sa-store --db st.db --session p --agent mock < norm.out > /dev/null
for s in spawn norm store; do
  case $s in spawn) label="sa-spawn+agent" ;; norm) label="sa-normalize+jq" ;; *) label="sa-store" ;; esac
  awk -v s="$label" -v e="$E" '$NF == "total" { t = $(NF-2) }
       $NF ~ /^(read|write|writev|ppoll|poll|pwrite64|pread64|fdatasync)$/ { d = d sprintf(" %s %.3f", $NF, ($(NF-2) ~ /^[0-9]+$/ && NF >= 5 ? $4 : $(NF-1)) / e) }
       END { printf "%-16s %.3f syscalls/event:%s\n", s, t / e, d }' "st.$s"
done

echo "-- hottest functions (self instructions, top 5 per stage process)"
for f in cg.*.*; do
  cmd=$(sed -n 's/^cmd: *//p' "$f" | head -1)
  case $cmd in sh\ *|*"jq -n"*) continue ;; esac
  ir=$(sed -n 's/^summary: *//p' "$f" | head -1)
  [ "$ir" -gt 1000000 ] || continue
  echo "${cmd%% *}" | sed 's|.*/||; s/^/   /'
  callgrind_annotate --inclusive=no "$f" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,7p' |
    sed 's/ \[[^]]*\]$//; s|[^ ]*/||' | cut -c1-110 | sed 's/^/     /'
done
