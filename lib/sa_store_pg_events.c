/*
 * sa_store_pg_events.c — appending and reading events in the PostgreSQL
 * backend (the stpg_* counterparts of sa_store_events.c).
 *
 * How it works: an append is one transaction, run by the loop both
 * backends share (st_append_run in sa_store_events.c) through the steps
 * below (pg_ops): BEGIN; the session row is created if missing and locked
 * with SELECT ... FOR UPDATE (stpg_session_lock), so concurrent writers of
 * one session — in other processes or on other hosts — take turns and each
 * sees the last_sequence its predecessor committed (writers of different
 * sessions do not wait for each other); every event is joined with its
 * sequence (sa_event_join, the same text as SQLite stores), inserted, and
 * the pending-HITL table kept in step; one UPDATE writes the session
 * counters; COMMIT.  Any failure rolls the whole batch back, and nothing of
 * it is handed to the caller.  The transaction runs at READ COMMITTED,
 * where the row lock already orders everything, so it is never retried.
 * Reads send their statement in single-row mode and copy each row out as
 * it arrives, so a large read is not held twice.
 *
 * Ownership: as in sa_store.h; PGresults are cleared before returning.
 */
#include "sa_store_pg_int.h"
#include "sa_event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keep sa_hitl_pending in step with a permission/question event. */
static int note_hitl(sa_store *st, const char *session, const sa_store_prepared *p, uint64_t seq)
{
    if (!p->hitl || !p->hitl_id) return SA_STORE_OK;
    char sq[24];
    const char *v[4] = { session, p->hitl == 'p' ? "permission" : "question", p->hitl_id,
                         stpg_num(sq, (int64_t)seq) };
    int rc;
    PGresult *r = stpg_run(st, p->hitl_requested ? P_HITL_INSERT : P_HITL_DELETE,
                           p->hitl_requested ? 4 : 3, v, &rc);
    if (!r) return rc;
    PQclear(r);
    return SA_STORE_OK;
}

static int insert_event(sa_store *st, const char *session, const sa_store_prepared *p,
                        const sa_stored_event *se)
{
    char sq[24], eid[32], off[24];
    snprintf(eid, sizeof eid, "evt_%" PRIu64, se->sequence);
    const char *v[7] = { session, stpg_num(sq, (int64_t)se->sequence), eid, p->time ? p->time : "",
                         p->type, se->json, stpg_num(off, (int64_t)se->raw_off) };
    int rc;
    PGresult *r = stpg_run(st, P_EV_INSERT, 7, v, &rc);
    if (!r) return rc;
    PQclear(r);
    return SA_STORE_OK;
}

static int update_session(sa_store *st, const char *session, size_t n, uint64_t last,
                          const st_batch *b)
{
    char cnt[24], lst[24], now[24], mi[24], ended[24];
    const char *v[13] = { session, stpg_num(cnt, (int64_t)n), stpg_num(lst, (int64_t)last),
                          stpg_num(now, st_now_ms()), b->native, stpg_num(mi, (int64_t)b->max_item),
                          b->ended_at ? stpg_num(ended, b->ended_at) : NULL, b->ended_reason,
                          b->meta[0], b->meta[1], b->meta[2], b->meta[3], b->meta[4] };
    int rc;
    PGresult *r = stpg_run(st, P_SESS_APPEND, 13, v, &rc);
    if (!r) return rc;
    PQclear(r);
    return SA_STORE_OK;
}

static int commit(sa_store *st)
{
    PGresult *r = stpg_exec(st, "COMMIT");
    int rc = SA_STORE_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) rc = stpg_fail(st, r, "commit");
    else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {     /* the server rolled back */
        snprintf(st->err, sizeof st->err, "commit: the transaction was rolled back");
        rc = SA_STORE_ERROR;
    }
    PQclear(r);
    return rc;
}

/* Make sure the connection is usable, then BEGIN. */
static int begin(sa_store *st)
{
    int r = stpg_ready(st);
    return r ? r : stpg_cmd(st, "BEGIN", "begin transaction");
}

static const st_append_ops pg_ops = {
    .begin = begin, .head = stpg_session_lock, .insert = insert_event, .note_hitl = note_hitl,
    .update_session = update_session, .commit = commit, .rollback = stpg_rollback,
};

int stpg_append_prepared(sa_store *st, const char *session, sa_store_prepared *events,
                         size_t n, sa_event_list *out)
{
    return st_append_run(st, &pg_ops, session, events, n, out);
}

int stpg_last_sequence(sa_store *st, const char *session, uint64_t *out)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    PGresult *r = stpg_run(st, P_LASTSEQ, 1, &session, &rc);
    if (!r) return rc;
    if (PQntuples(r) == 1) *out = (uint64_t)stpg_i64(r, 0, 0);
    else {
        snprintf(st->err, sizeof st->err, "no session \"%.200s\"", session);
        rc = SA_STORE_NOTFOUND;
    }
    PQclear(r);
    return rc;
}

/* Send q and collect its rows (at most `limit`, 0 = all; a further row
 * sets has_more).  Always drains the connection. */
static int collect(sa_store *st, enum stpg_q q, int nparams, const char *const *vals, size_t limit,
                   bool include_raw, sa_event_list *out)
{
    int r = stpg_send(st, q, nparams, vals);
    if (r) return r;
    size_t cap = 0;
    PGresult *res;
    while ((res = stpg_next_result(st))) {
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_SINGLE_TUPLE) {
            if (r) { /* draining after a failure */ }
            else if (limit && out->n == limit) out->has_more = true;
            else r = st_take_row(st, out, &cap, (uint64_t)stpg_i64(res, 0, 0), PQgetvalue(res, 0, 1),
                                 PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2),
                                 (size_t)stpg_i64(res, 0, 3), include_raw);
        } else if (s != PGRES_TUPLES_OK && !r) {
            r = stpg_fail(st, res, "read events");
        }
        PQclear(res);
    }
    if (!r && st->pg->connecting) r = stpg_unavailable(st, "read events");   /* timed out */
    if (r) sa_event_list_free(out);
    return r;
}

int stpg_read(sa_store *st, const char *session, uint64_t bound, size_t limit, bool tail,
              bool include_raw, sa_event_list *out)
{
    memset(out, 0, sizeof *out);
    uint64_t last;
    int r = stpg_last_sequence(st, session, &last);     /* also: stpg_ready, NOTFOUND */
    if (r) return r;
    if (tail && bound == 0) bound = UINT64_MAX;
    char b[24], l[24];
    const char *v[3] = { session, stpg_num(b, bound > INT64_MAX ? INT64_MAX : (int64_t)bound),
                         limit ? stpg_num(l, (int64_t)limit + 1) : NULL };   /* NULL: LIMIT ALL */
    return collect(st, tail ? P_EV_TAIL : P_EV_AFTER, 3, v, limit, include_raw, out);
}

int stpg_read_type(sa_store *st, const char *session, const char *type, uint64_t after, size_t limit,
                   bool include_raw, sa_event_list *out)
{
    memset(out, 0, sizeof *out);
    uint64_t last;
    int r = stpg_last_sequence(st, session, &last);
    if (r) return r;
    char b[24], l[24];
    const char *v[4] = { session, stpg_num(b, after > INT64_MAX ? INT64_MAX : (int64_t)after),
                         limit ? stpg_num(l, (int64_t)limit + 1) : NULL, type };
    return collect(st, P_EV_TYPE, 4, v, limit, include_raw, out);
}

int stpg_pending(sa_store *st, const char *session, bool include_raw, sa_event_list *out)
{
    memset(out, 0, sizeof *out);
    uint64_t last;
    int r = stpg_last_sequence(st, session, &last);
    if (r) return r;
    return collect(st, P_PENDING, 1, &session, 0, include_raw, out);
}

int stpg_data_version(sa_store *st, int64_t *out)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    PGresult *r = stpg_run(st, P_DATA_VERSION, 0, NULL, &rc);
    if (!r) return rc;
    *out = stpg_i64(r, 0, 0);
    PQclear(r);
    return SA_STORE_OK;
}
