#!/bin/sh
# tests/bench/gen_sessions.sh DB N — a store with N stored sessions made
# directly in SQLite (issue 12 item 5's scale bench): sa-store creates the
# schema with one seed session, then one SQL statement copies it N times
# (ids g1..gN, 3 events each: session.started, turn.started, turn.ended with
# usage), with the rows sa-store itself would keep (event_count,
# last_sequence), no other index or statistics than sa-store makes.
set -eu
db=$1 n=$2
ev() { printf '{"time":"2026-01-01T00:00:0%sZ","session_id":"seed","native_session_id":null,"synthetic":false,"source":"agent","type":"%s","data":%s,"raw":null}\n' "$1" "$2" "$3"; }
{ ev 0 session.started '{"metadata":{}}'; ev 1 turn.started '{"phase":"started"}'
  ev 2 turn.ended '{"phase":"ended","usage":{"input_tokens":1,"output_tokens":2,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null,"cost_usd":null}}'
} | sa-store --db "$db" --session seed --agent mock > /dev/null
[ "$n" -gt 0 ] || exit 0
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n)
INSERT INTO sessions SELECT 'g' || i, agent, agent_mode, permission_mode, model, variant,
  native_session_id, directory, title, created_at + i, updated_at + i, ended_at, ended_reason,
  event_count, last_sequence, max_item FROM sessions, k WHERE id = 'seed';
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n)
INSERT INTO events SELECT 'g' || i, sequence, event_id, time, type,
  replace(json, '"session_id":"seed"', '"session_id":"g' || i || '"'),
  raw_off + length('g' || i) - 4 FROM events, k WHERE session_id = 'seed';
COMMIT;
SQL
