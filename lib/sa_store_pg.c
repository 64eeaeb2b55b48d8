/*
 * sa_store_pg.c — the PostgreSQL backend of the event store: URL detection
 * and password redaction, connecting, error mapping, the versioned schema,
 * prepared statements and the sessions table.  Appends and reads live in
 * sa_store_pg_events.c.
 *
 * How it works: sa_store_open hands a postgresql:// or postgres:// URL to
 * stpg_open, which connects with libpq (one connection per store; the URL
 * may set anything libpq knows, our defaults are a 10 s connect timeout,
 * UTF8 and the program's name as application_name), sets lock_timeout to
 * the store's busy timeout (a write waiting longer for another writer's
 * lock fails with SA_STORE_BUSY) and, for a read-only store,
 * default_transaction_read_only.  The schema lives in tables prefixed sa_
 * in the connection's search_path; its version is the single row of
 * sa_schema (our PRAGMA user_version).  Creating or migrating it runs in
 * one transaction under a transaction-level advisory lock, so processes on
 * any host that open a new database at once end up with one schema.
 * Statements are prepared on the connection at first use (PQprepare) and
 * run with PQexecPrepared; a lost connection is re-established once at the
 * start of the next call (statements are prepared again), the call that saw
 * the loss fails.  With a call timeout (sa_store_set_call_timeout, sa-serve)
 * no call waits longer than that for the server: see sa_store_pg_wait.c.  Server notices are dropped, errors go to st->err as one
 * line.  Passwords never reach a message: only sa_store_display's form of
 * the URL is printed.
 *
 * Ownership: see sa_store_pg_int.h; sessions as in sa_store.h.
 */
#include "sa_store_pg_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_SCHEMA_VERSION 2
#define PG_SCHEMA_LOCK    "7303014471370483053"     /* advisory lock key: "sa_store" */

/* Migration k (0-based) brings the schema from version k to k+1. */
static const char *const pg_migrations[] = {
    "CREATE TABLE sa_sessions("
    " id text PRIMARY KEY,"
    " agent text, agent_mode text, permission_mode text, model text, variant text,"
    " native_session_id text, directory text, title text,"
    " created_at bigint NOT NULL, updated_at bigint NOT NULL,"
    " ended_at bigint, ended_reason text,"
    " event_count bigint NOT NULL DEFAULT 0,"
    " last_sequence bigint NOT NULL DEFAULT 0,"
    " max_item bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE sa_events("
    " session_id text NOT NULL, sequence bigint NOT NULL, event_id text NOT NULL,"
    " time text NOT NULL, type text NOT NULL, json text NOT NULL, raw_off bigint NOT NULL,"
    " PRIMARY KEY(session_id, sequence));"
    "CREATE TABLE sa_hitl_pending("
    " session_id text NOT NULL, kind text NOT NULL, request_id text NOT NULL,"
    " sequence bigint NOT NULL,"
    " PRIMARY KEY(session_id, kind, request_id));",
    "CREATE TABLE sa_config("
    " kind text NOT NULL, scope text NOT NULL, name text NOT NULL, json text NOT NULL,"
    " updated_at bigint NOT NULL,"
    " PRIMARY KEY(kind, scope, name));",
};
_Static_assert(sizeof pg_migrations / sizeof pg_migrations[0] == PG_SCHEMA_VERSION,
               "one migration per schema version");

#define SESS_COLS "id,agent,agent_mode,permission_mode,model,variant,native_session_id," \
                  "directory,title,ended_reason,created_at,updated_at,ended_at,"         \
                  "event_count,last_sequence,max_item"

static const char *const pg_sql[P_COUNT] = {
    [P_SESS_GET] = "SELECT " SESS_COLS " FROM sa_sessions WHERE id=$1",
    [P_SESS_LOCK] = "SELECT " SESS_COLS " FROM sa_sessions WHERE id=$1 FOR UPDATE",
    [P_SESS_LIST] = "SELECT " SESS_COLS " FROM sa_sessions ORDER BY created_at, id COLLATE \"C\"",
    [P_SESS_LIST_SINCE] = "SELECT " SESS_COLS " FROM sa_sessions WHERE updated_at>=$1 ORDER BY created_at, id COLLATE \"C\"",
    [P_SESS_INSERT] = "INSERT INTO sa_sessions(id,agent,agent_mode,permission_mode,model,"
                      "variant,native_session_id,directory,title,created_at,updated_at)"
                      " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) ON CONFLICT (id) DO NOTHING",
    [P_SESS_UPDATE_FIELDS] = "UPDATE sa_sessions SET agent=coalesce($2,agent),"
                      "agent_mode=coalesce($3,agent_mode),permission_mode=coalesce($4,permission_mode),"
                      "model=coalesce($5,model),variant=coalesce($6,variant),"
                      "native_session_id=coalesce($7,native_session_id),"
                      "directory=coalesce($8,directory),title=coalesce($9,title) WHERE id=$1",
    [P_SESS_APPEND] = "UPDATE sa_sessions SET event_count=event_count+$2, last_sequence=$3,"
                      "updated_at=$4, native_session_id=coalesce($5,native_session_id),"
                      "max_item=greatest(max_item,$6), ended_at=coalesce($7,ended_at),"
                      "ended_reason=coalesce($8,ended_reason), agent=coalesce(agent,$9),"
                      "agent_mode=coalesce(agent_mode,$10),"
                      "permission_mode=coalesce(permission_mode,$11),"
                      "model=coalesce(model,$12), variant=coalesce(variant,$13) WHERE id=$1",
    [P_EV_INSERT] = "INSERT INTO sa_events(session_id,sequence,event_id,time,type,json,raw_off)"
                    " VALUES($1,$2,$3,$4,$5,$6,$7)",
    [P_EV_AFTER] = "SELECT sequence,type,json,raw_off FROM sa_events"
                   " WHERE session_id=$1 AND sequence>$2 ORDER BY sequence LIMIT $3",
    [P_EV_TAIL] = "SELECT sequence,type,json,raw_off FROM sa_events"
                  " WHERE session_id=$1 AND sequence<$2 ORDER BY sequence DESC LIMIT $3",
    [P_EV_TYPE] = "SELECT sequence,type,json,raw_off FROM sa_events"
                  " WHERE session_id=$1 AND sequence>$2 AND type=$4 ORDER BY sequence LIMIT $3",
    [P_HITL_INSERT] = "INSERT INTO sa_hitl_pending(session_id,kind,request_id,sequence)"
                      " VALUES($1,$2,$3,$4) ON CONFLICT (session_id,kind,request_id)"
                      " DO UPDATE SET sequence=excluded.sequence",
    [P_HITL_DELETE] = "DELETE FROM sa_hitl_pending WHERE session_id=$1 AND kind=$2 AND request_id=$3",
    [P_PENDING] = "SELECT e.sequence,e.type,e.json,e.raw_off FROM sa_hitl_pending h JOIN sa_events e"
                  " ON e.session_id=h.session_id AND e.sequence=h.sequence"
                  " WHERE h.session_id=$1 ORDER BY e.sequence",
    [P_LASTSEQ] = "SELECT last_sequence FROM sa_sessions WHERE id=$1",
    /* changes whenever a session is created, gets events (last_sequence
     * only grows) or is deleted (then it falls); visible only after COMMIT */
    [P_DATA_VERSION] = "SELECT (coalesce(sum(last_sequence),0) + count(*))::bigint FROM sa_sessions",
    [P_CFG_GET] = "SELECT json FROM sa_config WHERE kind=$1 AND scope=$2 AND name=$3",
    [P_CFG_PUT] = "INSERT INTO sa_config(kind,scope,name,json,updated_at) VALUES($1,$2,$3,$4,$5)"
                  " ON CONFLICT(kind,scope,name) DO UPDATE SET json=excluded.json,updated_at=excluded.updated_at",
    [P_CFG_DELETE] = "DELETE FROM sa_config WHERE kind=$1 AND scope=$2 AND name=$3",
    [P_CFG_LIST] = "SELECT name,json FROM sa_config WHERE kind=$1 AND scope=$2 ORDER BY name COLLATE \"C\"",
    [P_SESS_DELETE] = "DELETE FROM sa_sessions WHERE id=$1",
    [P_EV_DELETE] = "DELETE FROM sa_events WHERE session_id=$1",
    [P_HITL_DELETE_ALL] = "DELETE FROM sa_hitl_pending WHERE session_id=$1",
};

/* What each statement does, for messages. */
static const char *const pg_what[P_COUNT] = {
    [P_SESS_GET] = "read session", [P_SESS_LOCK] = "lock session", [P_SESS_LIST] = "list sessions", [P_SESS_LIST_SINCE] = "list sessions",
    [P_SESS_INSERT] = "create session", [P_SESS_UPDATE_FIELDS] = "update session",
    [P_SESS_APPEND] = "update session", [P_EV_INSERT] = "insert event",
    [P_EV_AFTER] = "read events", [P_EV_TAIL] = "read events",
    [P_EV_TYPE] = "read events",
    [P_HITL_INSERT] = "record pending request", [P_HITL_DELETE] = "record pending request",
    [P_PENDING] = "read pending requests", [P_LASTSEQ] = "read session",
    [P_DATA_VERSION] = "read data version", [P_SESS_DELETE] = "delete session",
    [P_EV_DELETE] = "delete session", [P_HITL_DELETE_ALL] = "delete session",
    [P_CFG_GET] = "read config", [P_CFG_PUT] = "write config", [P_CFG_DELETE] = "delete config",
    [P_CFG_LIST] = "list config",
};

/* ---- URLs ---- */

bool sa_store_is_url(const char *path)
{
    return path && (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11));
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Is the (percent-encoded) key s[0..len) "password", in any case? */
static bool is_password_key(const char *s, size_t len)
{
    static const char want[] = "password";
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        if (k >= sizeof want - 1 || tolower(c) != want[k]) return false;
        k++;
    }
    return k == sizeof want - 1;
}

/* Append s[0..len) to buf (bounded). */
static void put(char *buf, size_t n, size_t *off, const char *s, size_t len)
{
    if (*off + 1 >= n) return;
    size_t room = n - 1 - *off;
    if (len > room) len = room;
    memcpy(buf + *off, s, len);
    *off += len;
    buf[*off] = '\0';
}

const char *sa_store_display(const char *path, char *buf, size_t n)
{
    if (!n) return buf;
    buf[0] = '\0';
    if (!path) return buf;
    size_t off = 0;
    if (!sa_store_is_url(path)) {
        put(buf, n, &off, path, strlen(path));
        return buf;
    }
    const char *auth = strstr(path, "://") + 3;
    const char *query = strchr(auth, '?');
    const char *end = query ? query : auth + strlen(auth);
    /* user:password@ — the last '@' before the query ends the user part;
     * everything from the first ':' before it is hidden (never too little) */
    const char *at = NULL;
    for (const char *p = auth; p < end; p++) if (*p == '@') at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        put(buf, n, &off, path, (size_t)(colon + 1 - path));
        put(buf, n, &off, "***", 3);
        put(buf, n, &off, at, (size_t)(end - at));
    } else {
        put(buf, n, &off, path, (size_t)(end - path));
    }
    if (!query) return buf;
    /* ?k=v&k=v: a password parameter's value is hidden */
    const char *p = query;
    while (*p) {
        put(buf, n, &off, p, 1);              /* '?' or '&' */
        p++;
        const char *amp = strchr(p, '&');
        const char *pe = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (eq && is_password_key(p, (size_t)(eq - p))) {
            put(buf, n, &off, p, (size_t)(eq + 1 - p));
            put(buf, n, &off, "***", 3);
        } else {
            put(buf, n, &off, p, (size_t)(pe - p));
        }
        p = pe;
    }
    return buf;
}

/* ---- errors ---- */

/* Copy a libpq message into st->err after `what`, on one line. */
static void set_err(sa_store *st, const char *what, const char *msg)
{
    int k = snprintf(st->err, sizeof st->err, "%s: ", what);
    size_t off = k > 0 && (size_t)k < sizeof st->err ? (size_t)k : 0;
    const char *m = msg && *msg ? msg : "unknown error";
    for (; *m && off + 1 < sizeof st->err; m++) {
        char c = *m;
        if (c == '\n') {
            if (!m[1]) break;
            if (off + 3 >= sizeof st->err) break;
            st->err[off++] = ';';
            c = ' ';
        } else if (c == '\t') {
            c = ' ';
        }
        if (c == ' ' && off > 0 && st->err[off - 1] == ' ') continue;   /* one space */
        st->err[off++] = c;
    }
    st->err[off] = '\0';
}

int stpg_fail(sa_store *st, const PGresult *res, const char *what)
{
    if (st->pg && st->pg->connecting) return stpg_unavailable(st, what);   /* timed out */
    PGconn *c = st->pg ? st->pg->conn : NULL;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg) msg = c ? PQerrorMessage(c) : "no connection";
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char w[128];
        snprintf(w, sizeof w, "%s: connection to the server lost", what);
        set_err(st, w, msg);
        return SA_STORE_ERROR;
    }
    if (!state) { set_err(st, what, msg); return SA_STORE_ERROR; }
    if (!strcmp(state, "55P03")) {
        snprintf(st->err, sizeof st->err, "%s: database is locked by another process "
                 "(waited more than %d ms)", what, st->busy_ms);
        return SA_STORE_BUSY;
    }
    set_err(st, what, msg);
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "57014"))
        return SA_STORE_BUSY;
    if (!strcmp(state, "53100")) return SA_STORE_FULL;
    if (!strcmp(state, "53200")) return SA_STORE_NOMEM;
    if (!strcmp(state, "25006") || !strcmp(state, "42501")) return SA_STORE_READONLY;
    if (!strcmp(state, "42P01") || !strcmp(state, "42703")) return SA_STORE_SCHEMA;
    return SA_STORE_ERROR;
}

/* ---- connection and statements ---- */

static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

int stpg_cmd(sa_store *st, const char *sql, const char *what)
{
    PGresult *r = stpg_exec(st, sql);
    ExecStatusType s = PQresultStatus(r);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? SA_STORE_OK : stpg_fail(st, r, what);
    PQclear(r);
    return rc;
}

void stpg_rollback(sa_store *st)
{
    PGconn *c = st->pg->conn;
    if (st->pg->connecting || PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) == PQTRANS_IDLE) return;
    PQclear(stpg_exec(st, "ROLLBACK"));
}

int stpg_setup(sa_store *st)
{
    char q[96];
    snprintf(q, sizeof q, "SET lock_timeout = %d", st->busy_ms);
    int r = stpg_cmd(st, q, "set lock_timeout");
    if (!r && (st->flags & SA_STORE_RDONLY))
        r = stpg_cmd(st, "SET default_transaction_read_only = on", "set read-only");
    return r;
}

int stpg_ready(sa_store *st)
{
    struct st_pg *pg = st->pg;
    if (pg->call_ms) return stpg_drive_connect(st);      /* never waits */
    if (PQstatus(pg->conn) == CONNECTION_OK) return SA_STORE_OK;
    PQreset(pg->conn);
    pg->prepared = 0;
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        set_err(st, "reconnect to the server", PQerrorMessage(pg->conn));
        return SA_STORE_ERROR;
    }
    return stpg_setup(st);
}

static int prepare(sa_store *st, enum stpg_q q)
{
    struct st_pg *pg = st->pg;
    if (pg->prepared & (1u << q)) return SA_STORE_OK;
    char name[16];
    snprintf(name, sizeof name, "sa_q%d", (int)q);
    PGresult *r = stpg_prepare(st, name, pg_sql[q]);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? SA_STORE_OK : stpg_fail(st, r, "prepare");
    PQclear(r);
    if (!rc) pg->prepared |= 1u << q;
    return rc;
}

PGresult *stpg_run(sa_store *st, enum stpg_q q, int n, const char *const *vals, int *rc)
{
    if ((*rc = prepare(st, q))) return NULL;
    char name[16];
    snprintf(name, sizeof name, "sa_q%d", (int)q);
    PGresult *r = stpg_exec_prepared(st, name, n, vals);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return r;
    *rc = stpg_fail(st, r, pg_what[q]);
    PQclear(r);
    return NULL;
}

int stpg_send(sa_store *st, enum stpg_q q, int n, const char *const *vals)
{
    int rc = prepare(st, q);
    if (rc) return rc;
    char name[16];
    snprintf(name, sizeof name, "sa_q%d", (int)q);
    if (st->pg->connecting) return stpg_unavailable(st, pg_what[q]);
    if (!PQsendQueryPrepared(st->pg->conn, name, n, vals, NULL, NULL, 0))
        return stpg_fail(st, NULL, pg_what[q]);
    if (!PQsetSingleRowMode(st->pg->conn)) {
        PGresult *r;
        while ((r = stpg_next_result(st))) PQclear(r);
        return stpg_fail(st, NULL, "query row by row");
    }
    return SA_STORE_OK;
}

int64_t stpg_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *stpg_num(char *buf, int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* ---- schema ---- */

/* The schema version (0 when there is none yet) in *v. */
static int schema_version(sa_store *st, int64_t *v)
{
    PGresult *r = stpg_exec(st, "SELECT to_regclass('sa_schema') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        int rc = stpg_fail(st, r, "read schema version");
        PQclear(r);
        return rc;
    }
    bool have = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    *v = 0;
    if (!have) return SA_STORE_OK;
    r = stpg_exec(st, "SELECT coalesce(max(version),0) FROM sa_schema");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        int rc = stpg_fail(st, r, "read schema version");
        PQclear(r);
        return rc == SA_STORE_ERROR ? SA_STORE_SCHEMA : rc;
    }
    *v = stpg_i64(r, 0, 0);
    PQclear(r);
    return SA_STORE_OK;
}

static int migrate(sa_store *st)
{
    int64_t v;
    int r = schema_version(st, &v);
    if (r) return r;
    if (v > PG_SCHEMA_VERSION) {
        snprintf(st->err, sizeof st->err, "database schema version %lld is newer than this "
                 "program's (%d)", (long long)v, PG_SCHEMA_VERSION);
        return SA_STORE_SCHEMA;
    }
    if (v == PG_SCHEMA_VERSION) return SA_STORE_OK;
    if ((st->flags & SA_STORE_RDONLY) && v >= SA_STORE_SCHEMA_READ_MIN) return SA_STORE_OK;
    if (st->flags & SA_STORE_RDONLY) {
        snprintf(st->err, sizeof st->err, v == 0 ? "not an sa database (no schema)"
                 : "database schema is older than this program's; open it once with sa-store");
        return v == 0 ? SA_STORE_NOSCHEMA : SA_STORE_SCHEMA;
    }
    if ((r = stpg_cmd(st, "BEGIN", "begin transaction"))) return r;
    if ((r = stpg_cmd(st, "SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK ")", "lock schema")) ||
        (r = stpg_cmd(st, "CREATE TABLE IF NOT EXISTS sa_schema(version integer NOT NULL)",
                      "create schema table")) ||
        (r = schema_version(st, &v)))                 /* again, under the lock */
        goto fail;
    if (v > PG_SCHEMA_VERSION) {
        snprintf(st->err, sizeof st->err, "database schema version %lld is newer than this "
                 "program's (%d)", (long long)v, PG_SCHEMA_VERSION);
        r = SA_STORE_SCHEMA;
        goto fail;
    }
    for (; v < PG_SCHEMA_VERSION; v++)
        if ((r = stpg_cmd(st, pg_migrations[v], "migrate schema"))) goto fail;
    char q[96];
    snprintf(q, sizeof q, "DELETE FROM sa_schema; INSERT INTO sa_schema VALUES(%d)", PG_SCHEMA_VERSION);
    if ((r = stpg_cmd(st, q, "set schema version"))) goto fail;
    if ((r = stpg_cmd(st, "COMMIT", "commit schema"))) {
        stpg_rollback(st);
        return r == SA_STORE_ERROR ? SA_STORE_SCHEMA : r;
    }
    return SA_STORE_OK;
fail:
    stpg_rollback(st);
    return r == SA_STORE_ERROR ? SA_STORE_SCHEMA : r;
}

/* ---- open / close ---- */

int stpg_open(sa_store *st, const char *url)
{
    if (sa_pq_load(st->err, sizeof st->err) < 0) return SA_STORE_CANTOPEN;
    st->pg = calloc(1, sizeof *st->pg);
    if (!st->pg) {
        snprintf(st->err, sizeof st->err, "out of memory");
        return SA_STORE_NOMEM;
    }
    st->pg->url = strdup(url);
    st->pg->conn = st->pg->url ? stpg_connect_start(st->pg, true) : NULL;
    if (!st->pg->conn) {
        snprintf(st->err, sizeof st->err, "out of memory");
        return SA_STORE_NOMEM;
    }
    if (PQstatus(st->pg->conn) != CONNECTION_OK) {
        set_err(st, "cannot connect", PQerrorMessage(st->pg->conn));
        return SA_STORE_CANTOPEN;
    }
    PQsetNoticeProcessor(st->pg->conn, quiet_notice, NULL);
    int r = stpg_setup(st);
    if (!r) r = migrate(st);
    return r;
}

void stpg_close(sa_store *st)
{
    if (!st->pg) return;
    PQfinish(st->pg->conn);
    free(st->pg->url);
    free(st->pg);
    st->pg = NULL;
}

/* ---- sessions ---- */

static int row_to_session(const PGresult *r, int row, sa_session *o)
{
    char **strs[] = { &o->id, &o->agent, &o->agent_mode, &o->permission_mode, &o->model,
                      &o->variant, &o->native_session_id, &o->directory, &o->title,
                      &o->ended_reason };
    for (int i = 0; i < 10; i++) {
        if (PQgetisnull(r, row, i)) continue;
        if (!(*strs[i] = strdup(PQgetvalue(r, row, i)))) return SA_STORE_NOMEM;
    }
    o->created_at = stpg_i64(r, row, 10);
    o->updated_at = stpg_i64(r, row, 11);
    o->ended_at = stpg_i64(r, row, 12);
    o->event_count = (uint64_t)stpg_i64(r, row, 13);
    o->last_sequence = (uint64_t)stpg_i64(r, row, 14);
    o->max_item = (uint64_t)stpg_i64(r, row, 15);
    return SA_STORE_OK;
}

/* Read one session row with statement q (P_SESS_GET or P_SESS_LOCK). */
static int get_with(sa_store *st, enum stpg_q q, const char *id, sa_session *out)
{
    memset(out, 0, sizeof *out);
    int rc;
    PGresult *r = stpg_run(st, q, 1, &id, &rc);
    if (!r) return rc;
    if (PQntuples(r) == 0) {
        snprintf(st->err, sizeof st->err, "no session \"%.200s\"", id);
        rc = SA_STORE_NOTFOUND;
    } else {
        rc = row_to_session(r, 0, out);
        if (rc) snprintf(st->err, sizeof st->err, "read session: out of memory");
    }
    PQclear(r);
    if (rc) sa_session_clear(out);
    return rc;
}

int stpg_session_get(sa_store *st, const char *id, sa_session *out)
{
    memset(out, 0, sizeof *out);
    int rc = stpg_ready(st);
    return rc ? rc : get_with(st, P_SESS_GET, id, out);
}

int stpg_session_lock(sa_store *st, const char *id, sa_session *out)
{
    char now[24];
    const char *v[10] = { id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                          stpg_num(now, st_now_ms()) };
    int rc;
    PGresult *r = stpg_run(st, P_SESS_INSERT, 10, v, &rc);
    if (!r) return rc;
    PQclear(r);
    return get_with(st, P_SESS_LOCK, id, out);
}

int stpg_session_list(sa_store *st, int64_t since, sa_session **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int rc = stpg_ready(st);
    if (rc) return rc;
    char sb[32];
    const char *pv[1] = { stpg_num(sb, since) };
    PGresult *r = since == INT64_MIN ? stpg_run(st, P_SESS_LIST, 0, NULL, &rc)
                                     : stpg_run(st, P_SESS_LIST_SINCE, 1, pv, &rc);
    if (!r) return rc;
    size_t cnt = (size_t)PQntuples(r);
    sa_session *v = cnt ? calloc(cnt, sizeof *v) : NULL;
    if (cnt && !v) rc = SA_STORE_NOMEM;
    for (size_t i = 0; i < cnt && !rc; i++) rc = row_to_session(r, (int)i, &v[i]);
    PQclear(r);
    if (rc) {
        snprintf(st->err, sizeof st->err, "list sessions: out of memory");
        sa_session_list_free(v, cnt);
        return rc;
    }
    *out = v;
    *n = cnt;
    return SA_STORE_OK;
}

int stpg_session_delete(sa_store *st, const char *id)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    if ((rc = stpg_cmd(st, "BEGIN", "begin transaction"))) return rc;
    /* the session row first: it waits for (and then excludes) an appender,
     * which holds that row locked until its COMMIT */
    static const enum stpg_q order[] = { P_SESS_DELETE, P_HITL_DELETE_ALL, P_EV_DELETE };
    bool found = false;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        PGresult *r = stpg_run(st, order[i], 1, &id, &rc);
        if (!r) { stpg_rollback(st); return rc; }
        if (order[i] == P_SESS_DELETE) found = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    if (!found) {
        stpg_rollback(st);
        snprintf(st->err, sizeof st->err, "no session \"%.200s\"", id);
        return SA_STORE_NOTFOUND;
    }
    if ((rc = stpg_cmd(st, "COMMIT", "commit"))) { stpg_rollback(st); return rc; }
    return SA_STORE_OK;
}

int stpg_session_ensure(sa_store *st, const char *id, const sa_session_fields *f, bool *created)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    static const sa_session_fields none;
    const sa_session_fields *g = f ? f : &none;
    char now[24];
    const char *v[10] = { id, g->agent, g->agent_mode, g->permission_mode, g->model, g->variant,
                          g->native_session_id, g->directory, g->title, stpg_num(now, st_now_ms()) };
    if ((rc = stpg_cmd(st, "BEGIN", "begin transaction"))) return rc;
    PGresult *r = stpg_run(st, P_SESS_INSERT, 10, v, &rc);
    if (!r) { stpg_rollback(st); return rc; }
    bool made = !strcmp(PQcmdTuples(r), "1");
    PQclear(r);
    bool any = g->agent || g->agent_mode || g->permission_mode || g->model || g->variant ||
               g->native_session_id || g->directory || g->title;
    if (!made && any) {                  /* nothing to change: no row lock either */
        r = stpg_run(st, P_SESS_UPDATE_FIELDS, 9, v, &rc);
        if (!r) { stpg_rollback(st); return rc; }
        PQclear(r);
    }
    if ((rc = stpg_cmd(st, "COMMIT", "commit"))) { stpg_rollback(st); return rc; }
    if (created) *created = made;
    return SA_STORE_OK;
}
