/*
 * sa_store.h — the SQLite event store shared by sa-store, sa-replay and
 * sa-serve (prefix sa_store_).
 *
 * One database file holds many sessions.  Tables (schema version 1, kept in
 * PRAGMA user_version; older files are migrated in one transaction when
 * opened for writing, newer ones are refused):
 *   sessions(id, agent, agent_mode, permission_mode, model, variant,
 *            native_session_id, directory, title, created_at, updated_at,
 *            ended_at, ended_reason, event_count, last_sequence, max_item)
 *   events(session_id, sequence, event_id, time, type, json, raw_off)
 *            -- json = the stored event in canonical key order, raw included;
 *            -- raw_off = byte offset of ',"raw":' in json (see sa_event.h)
 *   hitl_pending(session_id, kind, request_id, sequence)
 *            -- permission/question requests not yet resolved
 * Times are unix milliseconds.  The file uses WAL with synchronous=NORMAL
 * (a commit survives a process crash; the last commits before a power loss
 * may be lost) and a busy timeout (SA_STORE_BUSY_MS unless told otherwise).
 * Every write is one BEGIN IMMEDIATE transaction, retried a few times when
 * the lock stays busy past the timeout.  No statement is left open between
 * calls, so readers never hold back WAL checkpoints.
 *
 * Ownership: a sa_store is owned by whoever opened it; one store per thread.
 * Strings inside sa_session and sa_stored_event are malloc'd and belong to
 * the struct: free them with sa_session_clear / sa_session_list_free /
 * sa_event_list_free.  Input pointers are never kept after a call returns.
 * Errors: every function returns an SA_STORE_* code; sa_store_errmsg() then
 * describes the last failure ("database is locked", "disk is full", ...).
 *
 * PostgreSQL: a `path` starting with postgresql:// or postgres:// is a libpq
 * connection URL instead of a file; the same functions then work on tables
 * sa_sessions, sa_events, sa_hitl_pending and sa_schema (the version row)
 * in that database, so several hosts can share one store (see
 * sa_store_pg.c).  Differences: busy_ms becomes the server's lock_timeout;
 * sa_store_data_version is a number that grows when any session gets
 * events or a session is created; the cache, checkpoint and page-limit
 * calls do nothing (the last returns SA_STORE_INVALID).
 */
#ifndef SA_STORE_H
#define SA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "sa_event.h"

#define SA_STORE_SCHEMA_VERSION 2
/* Read-only opens accept an older schema back to this one (v2 only added
 * the config table, which readers do not use). */
#define SA_STORE_SCHEMA_READ_MIN 1
#define SA_STORE_BUSY_MS        5000

typedef struct sa_store sa_store;

enum sa_store_rc {
    SA_STORE_OK = 0,
    SA_STORE_ERROR,      /* any other SQLite or system error */
    SA_STORE_NOMEM,
    SA_STORE_CANTOPEN,   /* file cannot be opened or created */
    SA_STORE_READONLY,   /* file (or its directory) is not writable */
    SA_STORE_SCHEMA,     /* not an sa database, newer schema, migration failed */
    SA_STORE_BUSY,       /* lock held by another process past the busy timeout */
    SA_STORE_FULL,       /* disk (or page limit) full */
    SA_STORE_NOTFOUND,   /* no such session */
    SA_STORE_INVALID,    /* bad argument (e.g. event for another session) */
    SA_STORE_NOSCHEMA,   /* opened read-only, but no writer has created the schema yet */
    SA_STORE_UNAVAILABLE,/* PostgreSQL with a call timeout: the server did not answer in time,
                            or the connection is being made again */
};

enum {
    SA_STORE_RDONLY = 1u << 0,  /* never write; the file must exist with our schema */
};

/* Opens (creating and migrating unless SA_STORE_RDONLY) the database at
 * `path`.  busy_ms <= 0 means SA_STORE_BUSY_MS.  On success *out is the
 * store.  On failure *out is NULL and err (if errsz > 0) holds a message. */
int sa_store_open(const char *path, unsigned flags, int busy_ms, sa_store **out,
                  char *err, size_t errsz);
/* A command's start-up: sa_store_open of `db` (NULL: sa_default_db()), or
 * "PROG: cannot determine the database path (set --db or $SA_DB)" /
 * "PROG: open database PATH: WHY" (password hidden) on stderr and
 * exit(fail_status).  *path receives the path used (malloc'd; caller frees). */
sa_store *sa_store_open_cmd(const char *db, unsigned flags, int busy_ms, int fail_status,
                            char **path);
void sa_store_close(sa_store *st);               /* NULL is fine */
const char *sa_store_errmsg(const sa_store *st); /* last failure, "" if none */
const char *sa_store_rc_name(int rc);            /* "busy", "full", ... */
/* Limit the file to `pages` pages (PRAGMA max_page_count) — a quota, and the
 * way tests simulate a full disk. */
int sa_store_set_max_pages(sa_store *st, uint64_t pages);

/* PostgreSQL: wait at most `ms` for the server in each round trip (0 = as
 * long as libpq does, the default).  After a timeout the connection is
 * dropped and made again without waiting; calls fail with
 * SA_STORE_UNAVAILABLE until it is back (sa_store_pg_wait.c).  For a
 * program with an event loop.  SQLite: nothing to do (SA_STORE_OK). */
int sa_store_set_call_timeout(sa_store *st, unsigned ms);

/* True when `path` names a PostgreSQL database (postgresql:// or postgres://). */
bool sa_store_is_url(const char *path);
/* `path` fit for messages: in a URL the password (user:PASSWORD@ or a
 * password= parameter) is replaced by "***"; any other path is copied.
 * Always NUL-terminates buf (size n > 0, truncating); returns buf. */
const char *sa_store_display(const char *path, char *buf, size_t n);

/* ---- sessions ---- */
typedef struct sa_session {
    char *id, *agent, *agent_mode, *permission_mode, *model, *variant;
    char *native_session_id, *directory, *title, *ended_reason;  /* NULL = unknown */
    int64_t created_at, updated_at, ended_at;                   /* ended_at 0 = not ended */
    uint64_t event_count, last_sequence, max_item;
} sa_session;

/* Fields given when a session is created or updated; NULL = leave as is. */
typedef struct sa_session_fields {
    const char *agent, *agent_mode, *permission_mode, *model, *variant;
    const char *native_session_id, *directory, *title;
} sa_session_fields;

/* Creates the session if missing (created_at = now), else updates the
 * non-NULL fields.  f may be NULL.  *created (may be NULL) says which. */
int sa_store_session_ensure(sa_store *st, const char *id, const sa_session_fields *f,
                            bool *created);
/* Fills *out (caller clears it with sa_session_clear); SA_STORE_NOTFOUND. */
int sa_store_session_get(sa_store *st, const char *id, sa_session *out);
/* All sessions, oldest first; free with sa_session_list_free. */
int sa_store_session_list(sa_store *st, sa_session **out, size_t *n);
/* Only the sessions whose updated_at (ms) is >= since (INT64_MIN: all). */
int sa_store_session_list_since(sa_store *st, int64_t since, sa_session **out, size_t *n);
/* Removes the session, its events and its pending requests in one
 * transaction; SA_STORE_NOTFOUND when there is no such session (nothing
 * changes).  A writer still appending to the session would create it
 * again: stop the session's sa-store first. */
int sa_store_session_delete(sa_store *st, const char *id);
void sa_session_clear(sa_session *s);
void sa_session_list_free(sa_session *v, size_t n);
/* SessionInfo JSON (camelCase, v0.1.11 §1.6):
 * {sessionId, agent, agentMode, permissionMode, model, variant,
 *  nativeSessionId, ended, eventCount, createdAt, updatedAt, directory, title}.
 * Unknown agent → "unknown", agentMode → "build", permissionMode → "default";
 * the other unknown strings are null.  Caller deletes the tree. */
cJSON *sa_session_to_json(const sa_session *s);

/* ---- events ---- */
typedef struct sa_stored_event {
    uint64_t sequence;
    char type[24];       /* event type, NUL-terminated */
    char *json;          /* one line, no newline; owned */
    size_t len;
    size_t raw_off;      /* offset of ',"raw":' in json */
} sa_stored_event;

typedef struct sa_event_list {
    sa_stored_event *v;
    size_t n;
    bool has_more;       /* the limit cut the result short */
} sa_event_list;

void sa_event_list_free(sa_event_list *l);       /* frees contents; l itself is the caller's */

/* Appends n valid universal events to `session` (created if missing) in one
 * BEGIN IMMEDIATE transaction: sequences last_sequence+1.., event_id
 * "evt_<seq>" (ids the events carry are replaced), native_session_id filled
 * from the session when null.  Session bookkeeping, in the same transaction:
 * event_count, last_sequence, updated_at; native_session_id adopts the last
 * non-null value seen; session.started metadata {agent, agentMode,
 * permissionMode, model, variant} fills fields still unknown; session.ended
 * sets ended_at and ended_reason; max_item = highest "itm_N"; pending
 * permission/question requests.  Every event's session_id must be `session`
 * (else SA_STORE_INVALID, nothing written).  On any failure the whole batch
 * is rolled back.  When out != NULL it receives n stored events (json with
 * raw); the caller frees it with sa_event_list_free. */
int sa_store_append(sa_store *st, const char *session, cJSON *const *events, size_t n,
                    sa_event_list *out);

/* An event reduced to its printed parts and the facts the session
 * bookkeeping needs, so a writer can free each cJSON tree as soon as it is
 * read (sa-store holds a whole batch this way).  Owned strings; clear with
 * sa_store_prepared_clear. */
typedef struct sa_store_prepared {
    char type[24];
    char *session_id, *time, *native;      /* plain strings; NULL when absent/null */
    sa_event_parts parts;
    uint64_t max_item;
    char *meta[5];        /* session.started metadata: agent, agentMode, permissionMode, model, variant */
    char *ended_reason;   /* session.ended: its reason ("unknown" if none); else NULL */
    char hitl;            /* 'p' permission.*, 'q' question.*, 0 otherwise */
    bool hitl_requested;
    char *hitl_id;
} sa_store_prepared;

/* Prepares one valid universal event: SA_STORE_OK, SA_STORE_INVALID (no
 * string session_id/type, or type too long), SA_STORE_NOMEM. */
int sa_store_prepare(const cJSON *ev, sa_store_prepared *out);
/* sa_store_prepare of the event of line[0..len), a line in print form
 * (sa_event_line_scan found its members m): its text is cut from the line
 * instead of printed (sa_event_split_cut; the same bytes).  ev is the
 * line's parse, whose raw may be left out (null): only the members before
 * raw are read from it. */
int sa_store_prepare_line(const cJSON *ev, const char *line, size_t len, const sa_jmember *m,
                          sa_store_prepared *out);
/* An item.delta line of session `session` prepared without a parse: the
 * line passed sa_event_line_scan (members m); what the schema checks for an
 * item.delta is checked on its text (sa_store_delta.c).  0 done (the same
 * result as parse + sa_schema_check_event + sa_store_prepare_line), 1 not
 * such a line or not sure (parse it; *out is empty), -1 out of memory. */
int sa_store_prepare_delta(const char *line, size_t len, const sa_jmember m[8], const char *session,
                           sa_store_prepared *out);
void sa_store_prepared_clear(sa_store_prepared *p);
/* sa_store_append for prepared events (same rules and result).  Each
 * event's parts.text is freed as soon as the event is written (big events
 * are not held twice); clear the events afterwards as usual. */
int sa_store_append_prepared(sa_store *st, const char *session, sa_store_prepared *events,
                             size_t n, sa_event_list *out);

/* ---- tuning for long-running writers (additive; defaults otherwise) ---- */
/* SQLite page cache of this connection, in KiB (PRAGMA cache_size=-kib). */
int sa_store_set_cache_kib(sa_store *st, unsigned kib);
/* Move WAL checkpoints off the commit path: once the WAL holds `pages`
 * frames after a commit, a helper thread with its own connection runs a
 * PASSIVE checkpoint (commits never wait for its fsync); when the WAL still
 * grows past 8 x pages the committing thread checkpoints itself, so the WAL
 * stays bounded.  pages 0 = 1000.  Stopped by sa_store_close. */
int sa_store_checkpoint_in_background(sa_store *st, unsigned pages);

/* Events with sequence > after, ascending, at most `limit` (0 = no limit).
 * With include_raw false every event's raw is null.  SA_STORE_NOTFOUND
 * when the session does not exist. */
int sa_store_read(sa_store *st, const char *session, uint64_t after, size_t limit,
                  bool include_raw, sa_event_list *out);
/* The newest events with sequence < before (0 = no bound), DEScending, at
 * most `limit` (0 = no limit). */
int sa_store_read_tail(sa_store *st, const char *session, uint64_t before, size_t limit,
                       bool include_raw, sa_event_list *out);
/* As sa_store_read, only the events of one type (e.g. "turn.ended"):
 * filtered in the database, so a reader that wants a few kinds of event
 * does not page through the whole session. */
int sa_store_read_type(sa_store *st, const char *session, const char *type, uint64_t after,
                       size_t limit, bool include_raw, sa_event_list *out);
/* Permission and question requests of `session` still waiting for their
 * resolved event, ascending. */
int sa_store_pending(sa_store *st, const char *session, bool include_raw, sa_event_list *out);
/* Highest sequence of the session (0 when it has no events); NOTFOUND. */
int sa_store_last_sequence(sa_store *st, const char *session, uint64_t *out);
/* PRAGMA data_version: changes when another connection commits. */
int sa_store_data_version(sa_store *st, int64_t *out);

/* Server defaults (sa-serve's /v1/config/mcp and /v1/config/skills): one
 * JSON text per (kind, scope, name); kind "mcp" or "skills", scope the
 * directory they apply to.  get: *json is malloc'd (caller frees), NOTFOUND
 * when absent; put replaces; delete of a missing entry is OK; list gives a
 * new cJSON object {name: value} (caller frees), {} when none. */
int sa_store_config_get(sa_store *st, const char *kind, const char *scope, const char *name, char **json);
int sa_store_config_put(sa_store *st, const char *kind, const char *scope, const char *name, const char *json);
int sa_store_config_delete(sa_store *st, const char *kind, const char *scope, const char *name);
int sa_store_config_list(sa_store *st, const char *kind, const char *scope, struct cJSON **out);

#endif
