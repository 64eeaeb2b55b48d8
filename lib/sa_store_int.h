/*
 * sa_store_int.h — private parts of the store shared by sa_store.c (open,
 * schema, sessions) and sa_store_events.c (append, read, pending), and the
 * entry points of the PostgreSQL backend (sa_store_pg.c, sa_store_pg_events.c).
 * Not for use outside lib/sa_store*.c.
 *
 * Backends: a store whose `pg` is non-NULL was opened from a postgresql://
 * URL; every public sa_store_* function then hands over to its stpg_*
 * counterpart at its top, so the SQLite code paths are untouched.
 */
#ifndef SA_STORE_INT_H
#define SA_STORE_INT_H

#include "sa_store.h"

#include <sqlite3.h>

/* Cached prepared statements (prepared on first use, reset after each use). */
enum st_stmt {
    Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
    Q_SESS_GET, Q_SESS_INSERT, Q_SESS_UPDATE_FIELDS, Q_SESS_LIST, Q_SESS_LIST_SINCE,
    Q_SESS_APPEND,
    Q_EV_INSERT, Q_EV_AFTER, Q_EV_TAIL, Q_EV_TYPE,
    Q_HITL_INSERT, Q_HITL_DELETE, Q_PENDING,
    Q_LASTSEQ, Q_DATA_VERSION,
    Q_CFG_GET, Q_CFG_PUT, Q_CFG_DELETE, Q_CFG_LIST,
    Q_SESS_DELETE, Q_EV_DELETE, Q_HITL_DELETE_ALL,
    Q_COUNT
};

struct st_ckpt;     /* background checkpointer (sa_store_ckpt.c) */
struct st_pg;       /* PostgreSQL connection (sa_store_pg.c) */

struct sa_store {
    sqlite3 *db;
    struct st_ckpt *ck;
    unsigned flags;
    int busy_ms;
    sqlite3_stmt *q[Q_COUNT];
    char err[512];
    struct st_pg *pg;   /* non-NULL: the PostgreSQL backend serves this store */
};

/* The cached statement for q (prepared if needed); NULL with errmsg set. */
sqlite3_stmt *st_stmt(sa_store *st, enum st_stmt q);
/* Map an SQLite result code to SA_STORE_*, recording `what` and SQLite's
 * message in st->err. */
int st_fail(sa_store *st, int sqlite_rc, const char *what);
/* BEGIN IMMEDIATE with retries; COMMIT; ROLLBACK (never fails loudly). */
int st_begin(sa_store *st);
int st_commit(sa_store *st);
void st_rollback(sa_store *st);
/* Bind a string or NULL. */
int st_bind_text(sqlite3_stmt *s, int i, const char *v);
/* strdup of a column, NULL for SQL NULL. */
char *st_col_dup(sqlite3_stmt *s, int i);
int64_t st_now_ms(void);
/* Stop and free the background checkpointer (NULL ck is fine). */
void st_ckpt_stop(sa_store *st);

/* Session bookkeeping gathered over one appended batch (both backends). */
typedef struct st_batch {
    char *native;                 /* session's native id, updated as events adopt one */
    char *native_json;            /* the same as a JSON string literal */
    const char *meta[5];          /* agent, agentMode, permissionMode, model, variant (borrowed) */
    const char *ended_reason;     /* borrowed from the batch */
    int64_t ended_at;
    uint64_t max_item;
} st_batch;
bool st_note_event(st_batch *b, const sa_store_prepared *p);
void st_batch_free(st_batch *b);

/* Append one read row to out (growing out->v; *cap is its capacity): the
 * stored json (len bytes, raw at raw_off) copied whole, or with raw null
 * unless include_raw.  SA_STORE_OK, or NOMEM/ERROR with st->err set. */
int st_take_row(sa_store *st, sa_event_list *out, size_t *cap, uint64_t seq, const char *type,
                const char *json, size_t len, size_t raw_off, bool include_raw);

/* One backend's steps of an append; st_append_run drives them, so both
 * backends share sequence assignment, joining, bookkeeping and cleanup.
 * Every step returns SA_STORE_* with st->err set on failure. */
typedef struct st_append_ops {
    int (*begin)(sa_store *st);            /* open the write transaction */
    /* Inside it: create the session if missing (and hold it until commit)
     * and read it into *info, as sa_store_session_get. */
    int (*head)(sa_store *st, const char *session, sa_session *info);
    int (*insert)(sa_store *st, const char *session, const sa_store_prepared *p,
                  const sa_stored_event *se);
    /* Keep the pending-HITL table in step with a permission/question event. */
    int (*note_hitl)(sa_store *st, const char *session, const sa_store_prepared *p, uint64_t seq);
    /* One write of the session counters after n events ending at `last`. */
    int (*update_session)(sa_store *st, const char *session, size_t n, uint64_t last,
                          const st_batch *b);
    int (*commit)(sa_store *st);
    void (*rollback)(sa_store *st);        /* never fails loudly; no-op if nothing is open */
} st_append_ops;
/* sa_store_append_prepared's transaction (batch already checked, n > 0). */
int st_append_run(sa_store *st, const st_append_ops *ops, const char *session,
                  sa_store_prepared *events, size_t n, sa_event_list *out);

/* ---- PostgreSQL backend (same contracts as the sa_store_* functions) ---- */
int stpg_open(sa_store *st, const char *url);
void stpg_close(sa_store *st);
int stpg_session_ensure(sa_store *st, const char *id, const sa_session_fields *f, bool *created);
int stpg_session_get(sa_store *st, const char *id, sa_session *out);
int stpg_session_list(sa_store *st, int64_t since, sa_session **out, size_t *n);
int stpg_session_delete(sa_store *st, const char *id);
int stpg_append_prepared(sa_store *st, const char *session, sa_store_prepared *events,
                         size_t n, sa_event_list *out);
int stpg_read(sa_store *st, const char *session, uint64_t after, size_t limit, bool tail,
              bool include_raw, sa_event_list *out);
int stpg_pending(sa_store *st, const char *session, bool include_raw, sa_event_list *out);
int stpg_read_type(sa_store *st, const char *session, const char *type, uint64_t after, size_t limit,
                   bool include_raw, sa_event_list *out);
int stpg_last_sequence(sa_store *st, const char *session, uint64_t *out);
int stpg_data_version(sa_store *st, int64_t *out);
int stpg_config_get(sa_store *st, const char *kind, const char *scope, const char *name, char **json);
int stpg_config_put(sa_store *st, const char *kind, const char *scope, const char *name, const char *json);
int stpg_config_delete(sa_store *st, const char *kind, const char *scope, const char *name);
int stpg_config_list(sa_store *st, const char *kind, const char *scope, struct cJSON **out);

#endif
