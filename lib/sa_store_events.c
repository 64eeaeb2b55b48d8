/*
 * sa_store_events.c — appending and reading events in the SQLite store.
 *
 * How it works: every event is first reduced to a sa_store_prepared (its
 * text without ids, split by sa_event_split, and the facts the bookkeeping
 * needs), so the caller's cJSON trees can go before the transaction;
 * sa_store_append does that itself.  st_append_run is the append of both
 * backends, driving a table of backend steps (st_append_ops): one
 * transaction (SQLite: BEGIN IMMEDIATE) that makes sure the session row
 * exists, reads last_sequence, joins every event's text with the next
 * sequence, inserts it, keeps the pending-HITL table in step, and finally
 * updates the session counters with a single UPDATE.  Any failure rolls the
 * whole batch back.  Readers
 * step their statement to the end (or the limit), copy the rows out and
 * reset it at once, so no read keeps a WAL snapshot open.  A store opened
 * from a PostgreSQL URL is served by sa_store_pg_events.c instead (each
 * public function hands over at its top).
 */
#include "sa_store_int.h"
#include "sa_event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sa_event_list_free(sa_event_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->v[i].json);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Replace *dst by a copy of src (false on allocation failure). */
static bool set_str(char **dst, const char *src)
{
    char *c = strdup(src);
    if (!c) return false;
    free(*dst);
    *dst = c;
    return true;
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s) return NULL;
    char *c = strdup(s);
    if (!c) *ok = false;
    return c;
}

void sa_store_prepared_clear(sa_store_prepared *p)
{
    if (!p) return;
    free(p->session_id); free(p->time); free(p->native); free(p->ended_reason); free(p->hitl_id);
    for (int i = 0; i < 5; i++) free(p->meta[i]);
    sa_event_parts_clear(&p->parts);
    memset(p, 0, sizeof *p);
}

int sa_store_prepare(const cJSON *ev, sa_store_prepared *p)
{
    return sa_store_prepare_line(ev, NULL, 0, NULL, p);
}

int sa_store_prepare_line(const cJSON *ev, const char *line, size_t len, const sa_jmember *m,
                          sa_store_prepared *p)
{
    memset(p, 0, sizeof *p);
    const char *sid = str_of(ev, "session_id"), *type = str_of(ev, "type");
    if (!sid || !type || strlen(type) >= sizeof p->type) return SA_STORE_INVALID;
    snprintf(p->type, sizeof p->type, "%s", type);
    bool ok = true;
    p->session_id = dup_or_null(sid, &ok);
    p->time = dup_or_null(str_of(ev, "time"), &ok);
    p->native = dup_or_null(str_of(ev, "native_session_id"), &ok);
    p->max_item = sa_event_max_item(ev);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
    if (!strcmp(type, "session.started")) {
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(data, "metadata");
        static const char *const keys[5] = { "agent", "agentMode", "permissionMode", "model", "variant" };
        for (int i = 0; i < 5 && cJSON_IsObject(md); i++) p->meta[i] = dup_or_null(str_of(md, keys[i]), &ok);
    } else if (!strcmp(type, "session.ended")) {
        const char *reason = str_of(data, "reason");
        p->ended_reason = dup_or_null(reason ? reason : "unknown", &ok);
    } else if (!strncmp(type, "permission.", 11) || !strncmp(type, "question.", 9)) {
        p->hitl = type[0] == 'p' ? 'p' : 'q';
        p->hitl_requested = strstr(type, ".requested") != NULL;
        p->hitl_id = dup_or_null(str_of(data, p->hitl == 'p' ? "permission_id" : "question_id"), &ok);
    }
    int cut = ok && line ? sa_event_split_cut(line, len, m, &p->parts) : 1;
    if (!ok || cut < 0 || (cut > 0 && sa_event_split(ev, &p->parts) < 0)) {
        sa_store_prepared_clear(p);
        return SA_STORE_NOMEM;
    }
    return SA_STORE_OK;
}

void st_batch_free(st_batch *b)
{
    free(b->native);
    free(b->native_json);
}

/* Session bookkeeping for one event (before it is numbered). */
bool st_note_event(st_batch *b, const sa_store_prepared *p)
{
    if (p->native && (!b->native || strcmp(p->native, b->native) != 0)) {
        if (!set_str(&b->native, p->native)) return false;
        free(b->native_json);
        b->native_json = NULL;       /* printed again when needed */
    }
    if (p->max_item > b->max_item) b->max_item = p->max_item;
    for (int i = 0; i < 5; i++) if (p->meta[i] && !b->meta[i]) b->meta[i] = p->meta[i];
    if (p->ended_reason) {
        b->ended_reason = p->ended_reason;
        b->ended_at = st_now_ms();
    }
    return true;
}

/* Keep hitl_pending in step with a permission/question event. */
static int note_hitl(sa_store *st, const char *session, const sa_store_prepared *p, uint64_t seq)
{
    if (!p->hitl || !p->hitl_id) return SA_STORE_OK;
    sqlite3_stmt *s = st_stmt(st, p->hitl_requested ? Q_HITL_INSERT : Q_HITL_DELETE);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 1, session);
    st_bind_text(s, 2, p->hitl == 'p' ? "permission" : "question");
    st_bind_text(s, 3, p->hitl_id);
    if (p->hitl_requested) sqlite3_bind_int64(s, 4, (sqlite3_int64)seq);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? SA_STORE_OK : st_fail(st, rc, "record pending request");
}

static int insert_event(sa_store *st, const char *session, const sa_store_prepared *p,
                        const sa_stored_event *se)
{
    sqlite3_stmt *s = st_stmt(st, Q_EV_INSERT);
    if (!s) return SA_STORE_ERROR;
    char eid[32];
    memcpy(eid, "evt_", 4);
    int en = 4 + (int)sa_event_u64(eid + 4, se->sequence);
    st_bind_text(s, 1, session);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)se->sequence);
    sqlite3_bind_text(s, 3, eid, en, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, p->time ? p->time : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, p->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, se->json, (int)se->len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)se->raw_off);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? SA_STORE_OK : st_fail(st, rc, "insert event");
}

static int update_session(sa_store *st, const char *session, size_t n, uint64_t last,
                          const st_batch *b)
{
    sqlite3_stmt *s = st_stmt(st, Q_SESS_APPEND);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 1, session);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)last);
    sqlite3_bind_int64(s, 4, st_now_ms());
    st_bind_text(s, 5, b->native);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)b->max_item);
    if (b->ended_at) sqlite3_bind_int64(s, 7, b->ended_at); else sqlite3_bind_null(s, 7);
    st_bind_text(s, 8, b->ended_reason);
    for (int i = 0; i < 5; i++) st_bind_text(s, 9 + i, b->meta[i]);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? SA_STORE_OK : st_fail(st, rc, "update session");
}

/* Inside the transaction: create the session row if needed, read it. */
static int session_head(sa_store *st, const char *session, sa_session *info)
{
    sqlite3_stmt *s = st_stmt(st, Q_SESS_INSERT);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 1, session);
    sqlite3_bind_int64(s, 10, st_now_ms());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) return st_fail(st, rc, "create session");
    return sa_store_session_get(st, session, info);
}

static const st_append_ops sqlite_ops = {
    .begin = st_begin, .head = session_head, .insert = insert_event, .note_hitl = note_hitl,
    .update_session = update_session, .commit = st_commit, .rollback = st_rollback,
};

int st_append_run(sa_store *st, const st_append_ops *ops, const char *session,
                  sa_store_prepared *events, size_t n, sa_event_list *out)
{
    sa_stored_event *v = out ? calloc(n, sizeof *v) : NULL;
    sa_stored_event one;
    if (out && !v) return SA_STORE_NOMEM;
    st_batch b = { 0 };
    uint64_t last = 0;
    size_t done = 0;
    int r = ops->begin(st);
    if (r) goto out;
    sa_session info;
    if ((r = ops->head(st, session, &info))) goto fail;
    last = info.last_sequence;
    b.native = info.native_session_id;   /* taken over by the batch */
    info.native_session_id = NULL;
    sa_session_clear(&info);
    for (; done < n; done++) {
        sa_store_prepared *p = &events[done];
        sa_stored_event *se = v ? &v[done] : &one;
        memset(se, 0, sizeof *se);
        se->sequence = last + done + 1;
        memcpy(se->type, p->type, sizeof se->type);
        if (!st_note_event(&b, p)) { r = SA_STORE_NOMEM; goto fail; }
        if (!p->parts.native_json && b.native && !b.native_json &&
            !(b.native_json = sa_event_json_string(b.native))) { r = SA_STORE_NOMEM; goto fail; }
        /* consumes p->parts.text: the joined text is built in its block */
        se->json = sa_event_join_take(&p->parts, se->sequence, b.native_json, &se->len, &se->raw_off);
        if (!se->json) { r = SA_STORE_NOMEM; goto fail; }
        r = ops->insert(st, session, p, se);
        if (!r) r = ops->note_hitl(st, session, p, se->sequence);
        if (!v) { free(se->json); se->json = NULL; }
        if (r) goto fail;
    }
    if ((r = ops->update_session(st, session, n, last + n, &b))) goto fail;
    if ((r = ops->commit(st))) goto fail;  /* (SQLite's commit has rolled back already) */
    if (out) {
        out->v = v;
        out->n = n;
        v = NULL;
    }
    goto out;
fail:
    if (r == SA_STORE_NOMEM) snprintf(st->err, sizeof st->err, "append: out of memory");
    ops->rollback(st);
out:
    if (v) {
        for (size_t i = 0; i < n; i++) free(v[i].json);
        free(v);
    }
    st_batch_free(&b);
    return r;
}

int sa_store_append_prepared(sa_store *st, const char *session, sa_store_prepared *events,
                             size_t n, sa_event_list *out)
{
    if (out) memset(out, 0, sizeof *out);
    if (n == 0) return SA_STORE_OK;
    for (size_t i = 0; i < n; i++) {
        if (!events[i].session_id || strcmp(events[i].session_id, session) != 0 || !events[i].type[0]) {
            snprintf(st->err, sizeof st->err, "event %zu of the batch: %s", i + 1,
                     !events[i].type[0] ? "bad type" : "session_id differs from the session");
            return SA_STORE_INVALID;
        }
    }
    if (st->pg) return stpg_append_prepared(st, session, events, n, out);
    return st_append_run(st, &sqlite_ops, session, events, n, out);
}

int sa_store_append(sa_store *st, const char *session, cJSON *const *events, size_t n,
                    sa_event_list *out)
{
    if (out) memset(out, 0, sizeof *out);
    if (n == 0) return SA_STORE_OK;
    for (size_t i = 0; i < n; i++) {
        const char *sid = str_of(events[i], "session_id");
        const char *type = str_of(events[i], "type");
        if (!sid || strcmp(sid, session) != 0 || !type || strlen(type) >= 24) {
            snprintf(st->err, sizeof st->err, "event %zu of the batch: %s", i + 1,
                     !type || strlen(type) >= 24 ? "bad type" : "session_id differs from the session");
            return SA_STORE_INVALID;
        }
    }
    sa_store_prepared *p = calloc(n, sizeof *p);
    if (!p) return SA_STORE_NOMEM;
    int r = SA_STORE_OK;
    for (size_t i = 0; i < n && !r; i++) r = sa_store_prepare(events[i], &p[i]);
    if (r) snprintf(st->err, sizeof st->err, "append: out of memory");
    else r = sa_store_append_prepared(st, session, p, n, out);
    for (size_t i = 0; i < n; i++) sa_store_prepared_clear(&p[i]);
    free(p);
    return r;
}

int st_take_row(sa_store *st, sa_event_list *out, size_t *cap, uint64_t seq, const char *type,
                const char *json, size_t len, size_t raw_off, bool include_raw)
{
    if (out->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        sa_stored_event *nv = realloc(out->v, nc * sizeof *nv);
        if (!nv) return SA_STORE_NOMEM;
        out->v = nv;
        *cap = nc;
    }
    sa_stored_event *e = &out->v[out->n];
    memset(e, 0, sizeof *e);
    e->sequence = seq;
    snprintf(e->type, sizeof e->type, "%s", type);
    e->raw_off = raw_off;
    if (include_raw) {
        e->json = malloc(len + 1);
        if (e->json) { memcpy(e->json, json, len); e->json[len] = '\0'; e->len = len; }
    } else {
        e->json = sa_event_without_raw(json, len, e->raw_off, &e->len);
    }
    if (!e->json) {
        snprintf(st->err, sizeof st->err, "event %" PRIu64 ": %s", e->sequence,
                 include_raw ? "out of memory" : "stored JSON does not match its raw offset");
        return include_raw ? SA_STORE_NOMEM : SA_STORE_ERROR;
    }
    out->n++;
    return SA_STORE_OK;
}

/* Copy the rows of a (bound) read statement into out; resets it. */
static int collect(sa_store *st, sqlite3_stmt *s, size_t limit, bool include_raw,
                   sa_event_list *out)
{
    int rc, r = SA_STORE_OK;
    size_t cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (limit && out->n == limit) { out->has_more = true; break; }
        const unsigned char *type = sqlite3_column_text(s, 1);
        const char *json = (const char *)sqlite3_column_text(s, 2);
        if (!json) { r = SA_STORE_NOMEM; break; }
        r = st_take_row(st, out, &cap, (uint64_t)sqlite3_column_int64(s, 0),
                        type ? (const char *)type : "", json, (size_t)sqlite3_column_bytes(s, 2),
                        (size_t)sqlite3_column_int64(s, 3), include_raw);
        if (r) break;
    }
    if (!r && rc != SQLITE_ROW && rc != SQLITE_DONE) r = st_fail(st, rc, "read events");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (r) sa_event_list_free(out);
    return r;
}

int sa_store_last_sequence(sa_store *st, const char *session, uint64_t *out)
{
    if (st->pg) return stpg_last_sequence(st, session, out);
    sqlite3_stmt *s = st_stmt(st, Q_LASTSEQ);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 1, session);
    int rc = sqlite3_step(s), r = SA_STORE_OK;
    if (rc == SQLITE_ROW) *out = (uint64_t)sqlite3_column_int64(s, 0);
    else if (rc == SQLITE_DONE) {
        snprintf(st->err, sizeof st->err, "no session \"%.200s\"", session);
        r = SA_STORE_NOTFOUND;
    } else r = st_fail(st, rc, "read session");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return r;
}

static int read_q(sa_store *st, enum st_stmt q, const char *session, uint64_t bound,
                  size_t limit, const char *type, bool include_raw, sa_event_list *out)
{
    memset(out, 0, sizeof *out);
    uint64_t last;
    int r = sa_store_last_sequence(st, session, &last);
    if (r) return r;
    sqlite3_stmt *s = st_stmt(st, q);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 1, session);
    if (q != Q_PENDING) {
        sqlite3_bind_int64(s, 2, (sqlite3_int64)(bound > INT64_MAX ? INT64_MAX : bound));
        sqlite3_bind_int64(s, 3, limit ? (sqlite3_int64)limit + 1 : -1);
    }
    if (q == Q_EV_TYPE) st_bind_text(s, 4, type);
    return collect(st, s, limit, include_raw, out);
}

int sa_store_read(sa_store *st, const char *session, uint64_t after, size_t limit,
                  bool include_raw, sa_event_list *out)
{
    if (st->pg) return stpg_read(st, session, after, limit, false, include_raw, out);
    return read_q(st, Q_EV_AFTER, session, after, limit, NULL, include_raw, out);
}

int sa_store_read_tail(sa_store *st, const char *session, uint64_t before, size_t limit,
                       bool include_raw, sa_event_list *out)
{
    if (st->pg) return stpg_read(st, session, before, limit, true, include_raw, out);
    return read_q(st, Q_EV_TAIL, session, before ? before : UINT64_MAX, limit, NULL, include_raw, out);
}

int sa_store_pending(sa_store *st, const char *session, bool include_raw, sa_event_list *out)
{
    if (st->pg) return stpg_pending(st, session, include_raw, out);
    return read_q(st, Q_PENDING, session, 0, 0, NULL, include_raw, out);
}

int sa_store_read_type(sa_store *st, const char *session, const char *type, uint64_t after,
                       size_t limit, bool include_raw, sa_event_list *out)
{
    if (st->pg) return stpg_read_type(st, session, type, after, limit, include_raw, out);
    return read_q(st, Q_EV_TYPE, session, after, limit, type, include_raw, out);
}

int sa_store_data_version(sa_store *st, int64_t *out)
{
    if (st->pg) return stpg_data_version(st, out);
    sqlite3_stmt *s = st_stmt(st, Q_DATA_VERSION);
    if (!s) return SA_STORE_ERROR;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? SA_STORE_OK : st_fail(st, rc, "read data_version");
}
