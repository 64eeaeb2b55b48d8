/*
 * sa_store_int.h — private parts of the store shared by sa_store.c (open,
 * schema, sessions) and sa_store_events.c (append, read, pending).
 * Not for use outside lib/sa_store*.c.
 */
#ifndef SA_STORE_INT_H
#define SA_STORE_INT_H

#include "sa_store.h"

#include <sqlite3.h>

/* Cached prepared statements (prepared on first use, reset after each use). */
enum st_stmt {
    Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
    Q_SESS_GET, Q_SESS_INSERT, Q_SESS_UPDATE_FIELDS, Q_SESS_LIST,
    Q_SESS_APPEND,
    Q_EV_INSERT, Q_EV_AFTER, Q_EV_TAIL,
    Q_HITL_INSERT, Q_HITL_DELETE, Q_PENDING,
    Q_LASTSEQ, Q_DATA_VERSION,
    Q_COUNT
};

struct st_ckpt;     /* background checkpointer (sa_store_ckpt.c) */

struct sa_store {
    sqlite3 *db;
    struct st_ckpt *ck;
    unsigned flags;
    int busy_ms;
    sqlite3_stmt *q[Q_COUNT];
    char err[512];
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

#endif
