/*
 * sa_store_pg_int.h — private parts of the PostgreSQL backend shared by
 * sa_store_pg.c (connection, errors, schema, sessions) and
 * sa_store_pg_events.c (append, reads).  Not for use outside lib/sa_store*.c.
 *
 * Ownership: the st_pg (and its PGconn) belongs to its sa_store and is freed
 * by stpg_close.  Every PGresult returned by stpg_run is the caller's to
 * PQclear.
 */
#ifndef SA_STORE_PG_INT_H
#define SA_STORE_PG_INT_H

#include "sa_store_int.h"

#include "sa_pq.h"

/* Statements, prepared on a connection at first use (names "sa_q<N>"). */
enum stpg_q {
    P_SESS_GET, P_SESS_LOCK, P_SESS_LIST, P_SESS_LIST_SINCE, P_SESS_INSERT, P_SESS_UPDATE_FIELDS, P_SESS_APPEND,
    P_EV_INSERT, P_EV_AFTER, P_EV_TAIL, P_EV_TYPE, P_HITL_INSERT, P_HITL_DELETE, P_PENDING,
    P_LASTSEQ, P_DATA_VERSION, P_SESS_DELETE, P_EV_DELETE, P_HITL_DELETE_ALL,
    P_CFG_GET, P_CFG_PUT, P_CFG_DELETE, P_CFG_LIST,
    P_COUNT
};

struct st_pg {
    PGconn *conn;
    uint32_t prepared;      /* bit q: statement q is prepared on this connection */
    char *url;              /* what to connect to again (owned) */
    unsigned call_ms;       /* 0: calls block as libpq does; else each round trip waits at most
                               this long (sa_store_pg_wait.c) */
    bool connecting;        /* call_ms: a non-blocking reconnect is in progress on conn */
    PostgresPollingStatusType poll;   /* its last PQconnectPoll state */
    int64_t retry_at;       /* monotonic ms: a failed reconnect is started again after this */
};

/* Make sure the connection is usable (reconnects once after a loss, which
 * forgets prepared statements).  SA_STORE_OK or an error with st->err set. */
int stpg_ready(sa_store *st);
/* Run statement q with n text parameters (NULL = SQL NULL).  Returns the
 * result (caller clears) or NULL with st->err set and *rc the code. */
PGresult *stpg_run(sa_store *st, enum stpg_q q, int n, const char *const *vals, int *rc);
/* Send statement q for row-by-row reading (PQsetSingleRowMode); 0 or an
 * SA_STORE_* code with st->err set. */
int stpg_send(sa_store *st, enum stpg_q q, int n, const char *const *vals);
/* A plain command outside the statement cache (BEGIN, COMMIT, ...). */
int stpg_cmd(sa_store *st, const char *sql, const char *what);
/* Roll back the open transaction, if any; never fails loudly. */
void stpg_rollback(sa_store *st);
/* Map a failed result (may be NULL) to SA_STORE_*, recording `what` and the
 * server's message (one line) in st->err. */
int stpg_fail(sa_store *st, const PGresult *res, const char *what);
/* Inside the append transaction: create the session if needed and lock its
 * row until COMMIT (writers on any host take turns per session); *out as
 * sa_store_session_get. */
int stpg_session_lock(sa_store *st, const char *id, sa_session *out);
/* Per-connection settings (lock_timeout, read-only), after every (re)connect. */
int stpg_setup(sa_store *st);

/* ---- sa_store_pg_wait.c: bounded waits (call_ms) ---- */
/* A new connection to pg->url: blocking (PQconnectdbParams) or started
 * (PQconnectStartParams).  NULL only when out of memory. */
PGconn *stpg_connect_start(struct st_pg *pg, bool blocking);
/* call_ms: advance a reconnect without waiting; SA_STORE_OK once the
 * connection is usable, else SA_STORE_UNAVAILABLE (st->err set). */
int stpg_drive_connect(sa_store *st);
/* SA_STORE_UNAVAILABLE with "WHAT: the server did not answer ..." in st->err. */
int stpg_unavailable(sa_store *st, const char *what);
/* PQexec, PQprepare, PQexecPrepared, PQgetResult, waiting at most call_ms
 * each when it is set (NULL after a timeout, with pg->connecting set). */
PGresult *stpg_exec(sa_store *st, const char *sql);
PGresult *stpg_prepare(sa_store *st, const char *name, const char *sql);
PGresult *stpg_exec_prepared(sa_store *st, const char *name, int n, const char *const *vals);
PGresult *stpg_next_result(sa_store *st);

/* Column as int64 (0 for NULL). */
int64_t stpg_i64(const PGresult *r, int row, int col);
/* Decimal text of v in buf (>= 24 bytes); returns buf. */
const char *stpg_num(char *buf, int64_t v);

#endif
