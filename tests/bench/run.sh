#!/bin/sh
# tests/bench/run.sh — `make bench`: prints figures, asserts nothing.
#
# Pipeline (issue 2): a mock `burst N` through sa-spawn | sa-normalize |
# sa-store into SQLite (events/s), per-event latency from the agent's write
# to sa-store's output (paced sa-bench-agent, p50/p99), peak RSS per stage.
# Server (issue 3): tests/bench/serve_bench.py; OpenCode start-up through
# sa-serve against the fake model: tests/bench/opencode_bench.py.  Scale
# (issue 12): tests/bench/scale.sh, BENCH_SCALE_N stored sessions (100000).
# Parked sessions (issue 15 item 5): tests/bench/park_bench.py, BENCH_PARK_N
# (1000) parked mock sessions, message to first delta running vs parked
# (mock, and claude against the fake model unless BENCH_PARK_CLAUDE=0).
# Environment: BENCH_N (burst size, default 100000), BENCH_LAT_N (latency
# samples, default 2000), BENCH_SERVE=0 to skip the server part,
# BENCH_OPENCODE=0 to skip OpenCode (BENCH_OC_RUNS runs, default 3).
set -eu
N=${BENCH_N:-100000}
LN=${BENCH_LAT_N:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

now() { date +%s.%N; }

echo "== sa bench ($(uname -m), $(nproc) cores, $(date -u +%FT%TZ))"
echo "-- pipeline: mock burst $N through sa-spawn | sa-normalize | sa-store (SQLite WAL; aim >= 120000 events/s, issue 15)"
for run in 1 2 3; do
  db="$tmp/burst$run.db"
  t0=$(now)
  printf '{"type":"message","message":"burst %s"}\n' "$N" \
    | sa-spawn --agent mock --session b$run \
    | sa-normalize --agent mock --session b$run \
    | sa-store --db "$db" --session b$run --agent mock > "$tmp/out$run.jsonl"
  t1=$(now)
  events=$(wc -l < "$tmp/out$run.jsonl")
  deltas=$(grep -c '"type":"item.delta"' "$tmp/out$run.jsonl" || true)
  awk -v e="$events" -v d="$deltas" -v a="$t0" -v b="$t1" 'BEGIN {
    s = b - a; printf "run: %d events (%d deltas) in %.3f s = %.0f events/s\n", e, d, s, e / s }'
done

echo "-- pipeline: latency, $LN paced deltas (1 per ms), agent write -> sa-store stdout"
printf '{"type":"message","message":"lat %s 1000"}\n' "$LN" \
  | sa-spawn --agent mock --agent-bin "$(command -v sa-bench-agent)" --session lat \
  | sa-normalize --agent mock --session lat \
  | sa-store --db "$tmp/lat.db" --session lat --agent mock \
  | sa-bench-lat

echo "-- pipeline: peak RSS per stage, mock burst $N (a completed item of $((N * 8)) chars; aim <= 4096 kB per stage, issue 15)"
sa-bench-rss -i 2 -- sh -c "printf '{\"type\":\"message\",\"message\":\"burst $N\"}\n' \
  | sa-spawn --agent mock --session r | sa-normalize --agent mock --session r \
  | sa-store --db '$tmp/rss.db' --session r --agent mock > /dev/null"

echo "-- pipeline: peak RSS per stage, mock burst $N of 1-char deltas (a completed item of $N chars instead of $((N * 8)))"
sa-bench-rss -i 2 -- sh -c "printf '{\"type\":\"message\",\"message\":\"burst $N 1\"}\n' \
  | sa-spawn --agent mock --session r1 | sa-normalize --agent mock --session r1 \
  | sa-store --db '$tmp/rss1.db' --session r1 --agent mock > /dev/null"

if [ "${BENCH_SERVE:-1}" != 0 ] && command -v sa-serve >/dev/null 2>&1; then
  python3 "$(dirname "$0")/serve_bench.py"
  python3 "$(dirname "$0")/opencode_bench.py"
  sh "$(dirname "$0")/scale.sh"
  python3 "$(dirname "$0")/park_bench.py"
fi
