/*
 * sa_store.c — opening the SQLite store, its versioned schema, errors and
 * the sessions table.  Event appends and reads live in sa_store_events.c.
 *
 * How it works: sa_store_open sets the busy timeout first (so every later
 * step waits for other writers instead of failing), switches the file to WAL
 * with synchronous=NORMAL, and brings the schema to SA_STORE_SCHEMA_VERSION
 * inside one BEGIN IMMEDIATE transaction that re-reads user_version (two
 * processes creating the same file at once both end up with one schema).
 * Statements are prepared once (SQLITE_PREPARE_PERSISTENT), cached in the
 * store and reset right after each use.  A postgresql:// (or postgres://)
 * URL opens the PostgreSQL backend instead (sa_store_pg.c); the public
 * functions below hand such a store over at their top.
 */
#include "sa_store_int.h"
#include "sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Migration k (0-based) brings the schema from version k to k+1. */
static const char *const migrations[] = {
    "CREATE TABLE sessions("
    " id TEXT PRIMARY KEY NOT NULL,"
    " agent TEXT, agent_mode TEXT, permission_mode TEXT, model TEXT, variant TEXT,"
    " native_session_id TEXT, directory TEXT, title TEXT,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " ended_at INTEGER, ended_reason TEXT,"
    " event_count INTEGER NOT NULL DEFAULT 0,"
    " last_sequence INTEGER NOT NULL DEFAULT 0,"
    " max_item INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE events("
    " session_id TEXT NOT NULL, sequence INTEGER NOT NULL, event_id TEXT NOT NULL,"
    " time TEXT NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL, raw_off INTEGER NOT NULL,"
    " PRIMARY KEY(session_id, sequence));"
    "CREATE TABLE hitl_pending("
    " session_id TEXT NOT NULL, kind TEXT NOT NULL, request_id TEXT NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " PRIMARY KEY(session_id, kind, request_id)) WITHOUT ROWID;",
    "CREATE TABLE config("
    " kind TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY(kind, scope, name)) WITHOUT ROWID;",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == SA_STORE_SCHEMA_VERSION,
               "one migration per schema version");

#define SESS_COLS "id,agent,agent_mode,permission_mode,model,variant,native_session_id," \
                  "directory,title,ended_reason,created_at,updated_at,ended_at,"         \
                  "event_count,last_sequence,max_item"

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE id=?1",
    [Q_SESS_LIST] = "SELECT " SESS_COLS " FROM sessions ORDER BY created_at, id",
    [Q_SESS_LIST_SINCE] = "SELECT " SESS_COLS " FROM sessions WHERE updated_at>=?1 ORDER BY created_at, id",
    [Q_SESS_INSERT] = "INSERT OR IGNORE INTO sessions(id,agent,agent_mode,permission_mode,model,"
                      "variant,native_session_id,directory,title,created_at,updated_at)"
                      " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)",
    [Q_SESS_UPDATE_FIELDS] = "UPDATE sessions SET agent=coalesce(?2,agent),"
                      "agent_mode=coalesce(?3,agent_mode),permission_mode=coalesce(?4,permission_mode),"
                      "model=coalesce(?5,model),variant=coalesce(?6,variant),"
                      "native_session_id=coalesce(?7,native_session_id),"
                      "directory=coalesce(?8,directory),title=coalesce(?9,title) WHERE id=?1",
    [Q_SESS_APPEND] = "UPDATE sessions SET event_count=event_count+?2, last_sequence=?3,"
                      "updated_at=?4, native_session_id=coalesce(?5,native_session_id),"
                      "max_item=max(max_item,?6), ended_at=coalesce(?7,ended_at),"
                      "ended_reason=coalesce(?8,ended_reason), agent=coalesce(agent,?9),"
                      "agent_mode=coalesce(agent_mode,?10),"
                      "permission_mode=coalesce(permission_mode,?11),"
                      "model=coalesce(model,?12), variant=coalesce(variant,?13) WHERE id=?1",
    [Q_EV_INSERT] = "INSERT INTO events(session_id,sequence,event_id,time,type,json,raw_off)"
                    " VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [Q_EV_AFTER] = "SELECT sequence,type,json,raw_off FROM events"
                   " WHERE session_id=?1 AND sequence>?2 ORDER BY sequence LIMIT ?3",
    [Q_EV_TAIL] = "SELECT sequence,type,json,raw_off FROM events"
                  " WHERE session_id=?1 AND sequence<?2 ORDER BY sequence DESC LIMIT ?3",
    [Q_EV_TYPE] = "SELECT sequence,type,json,raw_off FROM events"
                  " WHERE session_id=?1 AND sequence>?2 AND type=?4 ORDER BY sequence LIMIT ?3",
    [Q_HITL_INSERT] = "INSERT OR REPLACE INTO hitl_pending(session_id,kind,request_id,sequence)"
                      " VALUES(?1,?2,?3,?4)",
    [Q_HITL_DELETE] = "DELETE FROM hitl_pending WHERE session_id=?1 AND kind=?2 AND request_id=?3",
    [Q_PENDING] = "SELECT e.sequence,e.type,e.json,e.raw_off FROM hitl_pending h JOIN events e"
                  " ON e.session_id=h.session_id AND e.sequence=h.sequence"
                  " WHERE h.session_id=?1 ORDER BY e.sequence",
    [Q_LASTSEQ] = "SELECT last_sequence FROM sessions WHERE id=?1",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_CFG_GET] = "SELECT json FROM config WHERE kind=?1 AND scope=?2 AND name=?3",
    [Q_CFG_PUT] = "INSERT INTO config(kind,scope,name,json,updated_at) VALUES(?1,?2,?3,?4,?5)"
                  " ON CONFLICT(kind,scope,name) DO UPDATE SET json=excluded.json,updated_at=excluded.updated_at",
    [Q_CFG_DELETE] = "DELETE FROM config WHERE kind=?1 AND scope=?2 AND name=?3",
    [Q_CFG_LIST] = "SELECT name,json FROM config WHERE kind=?1 AND scope=?2 ORDER BY name",
    [Q_SESS_DELETE] = "DELETE FROM sessions WHERE id=?1",
    [Q_EV_DELETE] = "DELETE FROM events WHERE session_id=?1",
    [Q_HITL_DELETE_ALL] = "DELETE FROM hitl_pending WHERE session_id=?1",
};

int64_t st_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *sa_store_rc_name(int rc)
{
    switch (rc) {
    case SA_STORE_OK: return "ok";
    case SA_STORE_NOMEM: return "out of memory";
    case SA_STORE_CANTOPEN: return "cannot open";
    case SA_STORE_READONLY: return "read-only";
    case SA_STORE_SCHEMA: return "schema";
    case SA_STORE_BUSY: return "busy";
    case SA_STORE_FULL: return "full";
    case SA_STORE_NOTFOUND: return "not found";
    case SA_STORE_INVALID: return "invalid";
    case SA_STORE_NOSCHEMA: return "no schema yet";
    case SA_STORE_UNAVAILABLE: return "unavailable";
    default: return "error";
    }
}

const char *sa_store_errmsg(const sa_store *st)
{
    return st ? st->err : "";
}

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return SA_STORE_OK;
    case SQLITE_BUSY: case SQLITE_LOCKED: return SA_STORE_BUSY;
    case SQLITE_FULL: return SA_STORE_FULL;
    case SQLITE_READONLY: case SQLITE_PERM: return SA_STORE_READONLY;
    case SQLITE_CANTOPEN: return SA_STORE_CANTOPEN;
    case SQLITE_NOTADB: case SQLITE_CORRUPT: return SA_STORE_SCHEMA;
    case SQLITE_NOMEM: return SA_STORE_NOMEM;
    default: return SA_STORE_ERROR;
    }
}

int st_fail(sa_store *st, int rc, const char *what)
{
    int r = map_rc(rc);
    const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        snprintf(st->err, sizeof st->err, "%s: database is locked by another process "
                 "(waited more than %d ms)", what, st->busy_ms);
    else if ((rc & 0xff) == SQLITE_FULL)
        snprintf(st->err, sizeof st->err, "%s: database or disk is full", what);
    else
        snprintf(st->err, sizeof st->err, "%s: %s", what, msg);
    return r == SA_STORE_OK ? SA_STORE_ERROR : r;
}

sqlite3_stmt *st_stmt(sa_store *st, enum st_stmt q)
{
    if (!st->q[q]) {
        int rc = sqlite3_prepare_v3(st->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &st->q[q], NULL);
        if (rc != SQLITE_OK) {
            st_fail(st, rc, "prepare");
            st->q[q] = NULL;
            return NULL;
        }
    }
    return st->q[q];
}

static int step_once(sa_store *st, enum st_stmt q, const char *what)
{
    sqlite3_stmt *s = st_stmt(st, q);
    if (!s) return SA_STORE_ERROR;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return st_fail(st, rc, what);
    return SA_STORE_OK;
}

int st_begin(sa_store *st)
{
    int r = SA_STORE_ERROR;
    for (int attempt = 0; attempt < 3; attempt++) {
        r = step_once(st, Q_BEGIN, "begin transaction");
        if (r != SA_STORE_BUSY) break;
    }
    return r;
}

int st_commit(sa_store *st)
{
    int r = step_once(st, Q_COMMIT, "commit");
    if (r != SA_STORE_OK) st_rollback(st);
    return r;
}

void st_rollback(sa_store *st)
{
    if (sqlite3_get_autocommit(st->db)) return;    /* nothing open */
    sqlite3_stmt *s = st_stmt(st, Q_ROLLBACK);
    if (s) { sqlite3_step(s); sqlite3_reset(s); }
}

int st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

char *st_col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

/* ---- open / schema ---- */

static int pragma_int(sa_store *st, const char *q, int64_t *out)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(st->db, q, -1, &s, NULL);
    if (rc != SQLITE_OK) return st_fail(st, rc, q);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return st_fail(st, rc, q);
    return SA_STORE_OK;
}

static int exec(sa_store *st, const char *q, const char *what)
{
    int rc = sqlite3_exec(st->db, q, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SA_STORE_OK : st_fail(st, rc, what);
}

static int set_wal(sa_store *st)
{
    for (int attempt = 0; ; attempt++) {
        sqlite3_stmt *s;
        int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
        if (rc != SQLITE_OK) return st_fail(st, rc, "set WAL mode");
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) return SA_STORE_OK;
        if ((rc & 0xff) != SQLITE_BUSY || attempt >= 50) return st_fail(st, rc, "set WAL mode");
        sqlite3_sleep(20);
    }
}

static int migrate(sa_store *st)
{
    int64_t v = 0;
    int r = pragma_int(st, "PRAGMA user_version", &v);
    if (r) return r;
    if (v > SA_STORE_SCHEMA_VERSION) {
        snprintf(st->err, sizeof st->err, "database schema version %lld is newer than this "
                 "program's (%d)", (long long)v, SA_STORE_SCHEMA_VERSION);
        return SA_STORE_SCHEMA;
    }
    if (v == SA_STORE_SCHEMA_VERSION) return SA_STORE_OK;
    if ((st->flags & SA_STORE_RDONLY) && v >= SA_STORE_SCHEMA_READ_MIN) return SA_STORE_OK;
    if (st->flags & SA_STORE_RDONLY) {
        snprintf(st->err, sizeof st->err, v == 0 ? "not an sa database (no schema)"
                 : "database schema is older than this program's; open it once with sa-store");
        return v == 0 ? SA_STORE_NOSCHEMA : SA_STORE_SCHEMA;
    }
    if ((r = st_begin(st))) return r;
    if ((r = pragma_int(st, "PRAGMA user_version", &v))) goto fail;  /* re-read under the lock */
    for (; v < SA_STORE_SCHEMA_VERSION; v++) {
        if ((r = exec(st, migrations[v], "migrate schema"))) goto fail;
        char q[64];
        snprintf(q, sizeof q, "PRAGMA user_version=%lld", (long long)v + 1);
        if ((r = exec(st, q, "set schema version"))) goto fail;
    }
    if ((r = st_commit(st))) {
        if (r != SA_STORE_READONLY && r != SA_STORE_BUSY && r != SA_STORE_FULL) r = SA_STORE_SCHEMA;
        return r;
    }
    return SA_STORE_OK;
fail:
    st_rollback(st);
    if (r == SA_STORE_ERROR) r = SA_STORE_SCHEMA;
    return r;
}

/* Why a database file cannot be opened (or its -wal/-shm beside it made),
 * from the file system itself: SQLite says "unable to open database file"
 * for every such case.  Writes "WHY" into buf and returns true when a cause
 * was found. */
static bool open_cause(const char *path, bool rdonly, char *buf, size_t n)
{
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) { snprintf(buf, n, "it is a directory"); return true; }
        if (access(path, rdonly ? R_OK : R_OK | W_OK) != 0) {
            snprintf(buf, n, "cannot %s it: %s", rdonly ? "read" : "write", strerror(errno));
            return true;
        }
    } else if (errno != ENOENT && errno != ENOTDIR) {
        snprintf(buf, n, "%s", strerror(errno));
        return true;
    } else if (rdonly && errno == ENOENT) {
        snprintf(buf, n, "%s (a writer such as sa-store creates it)", strerror(ENOENT));
        return true;
    }
    /* the directory: the file (or, in WAL mode, its -wal and -shm) goes there */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &sb) != 0) {
        snprintf(buf, n, "directory %.400s: %s", dir, strerror(errno));
        return true;
    }
    if (!S_ISDIR(sb.st_mode)) { snprintf(buf, n, "%.400s is not a directory", dir); return true; }
    if (!rdonly && access(dir, W_OK | X_OK) != 0) {
        snprintf(buf, n, "cannot create files in directory %.400s: %s", dir, strerror(errno));
        return true;
    }
    return false;
}

int sa_store_open(const char *path, unsigned flags, int busy_ms, sa_store **out,
                  char *err, size_t errsz)
{
    *out = NULL;
    sa_store *st = calloc(1, sizeof *st);
    if (!st) {
        if (errsz) snprintf(err, errsz, "%s: out of memory", path);
        return SA_STORE_NOMEM;
    }
    st->flags = flags;
    st->busy_ms = busy_ms > 0 ? busy_ms : SA_STORE_BUSY_MS;
    if (sa_store_is_url(path)) {
        int pr = stpg_open(st, path);
        if (pr == SA_STORE_OK) { *out = st; return SA_STORE_OK; }
        if (errsz) {
            char shown[512];
            snprintf(err, errsz, "%s: %s", sa_store_display(path, shown, sizeof shown),
                     st->err[0] ? st->err : sa_store_rc_name(pr));
        }
        sa_store_close(st);
        return pr;
    }
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (!(flags & SA_STORE_RDONLY)) oflags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
    int r = SA_STORE_OK;
    if (rc != SQLITE_OK) {
        r = st_fail(st, rc, "open");
        if (r == SA_STORE_ERROR) r = SA_STORE_CANTOPEN;
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, st->busy_ms);
    if (!(flags & SA_STORE_RDONLY) && sqlite3_db_readonly(st->db, "main") == 1) {
        snprintf(st->err, sizeof st->err, "database is read-only");
        r = SA_STORE_READONLY;
        goto fail;
    }
    int64_t dummy;
    /* A first read tells "not a database" apart from everything else. */
    if ((r = pragma_int(st, "PRAGMA schema_version", &dummy))) goto fail;
    if (!(flags & SA_STORE_RDONLY)) {
        if ((r = set_wal(st))) goto fail;
        if ((r = exec(st, "PRAGMA synchronous=NORMAL", "set synchronous"))) goto fail;
    } else if ((r = exec(st, "PRAGMA query_only=1", "set query_only"))) {
        goto fail;
    }
    if ((r = migrate(st))) goto fail;
    *out = st;
    return SA_STORE_OK;
fail:
    if (r == SA_STORE_CANTOPEN || r == SA_STORE_READONLY) {
        char why[sizeof st->err];
        int sys = st->db ? sqlite3_system_errno(st->db) : 0;
        if (open_cause(path, flags & SA_STORE_RDONLY, why, sizeof why))
            snprintf(st->err, sizeof st->err, r == SA_STORE_READONLY ? "database is read-only (%.400s)" : "%.400s",
                     why);
        else if (sys > 0)
            snprintf(st->err + strlen(st->err), sizeof st->err - strlen(st->err), " (%s)", strerror(sys));
    }
    if (errsz) snprintf(err, errsz, "%s: %s", path, st->err[0] ? st->err : sa_store_rc_name(r));
    sa_store_close(st);
    return r;
}

sa_store *sa_store_open_cmd(const char *db, unsigned flags, int busy_ms, int fail_status,
                           char **path)
{
    char *p = db ? strdup(db) : sa_default_db();
    if (!p) sa_diex(fail_status, "cannot determine the database path (set --db or $SA_DB)");
    sa_store *st;
    char err[1024];
    if (sa_store_open(p, flags, busy_ms, &st, err, sizeof err)) {
        free(p);
        sa_diex(fail_status, "open database %s", err);
    }
    *path = p;
    return st;
}

void sa_store_close(sa_store *st)
{
    if (!st) return;
    if (st->pg) { stpg_close(st); free(st); return; }
    st_ckpt_stop(st);
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(st->q[i]);
    sqlite3_close(st->db);
    free(st);
}

int sa_store_set_max_pages(sa_store *st, uint64_t pages)
{
    if (st->pg) {
        snprintf(st->err, sizeof st->err, "a page limit applies to SQLite files only");
        return SA_STORE_INVALID;
    }
    char q[64];
    snprintf(q, sizeof q, "PRAGMA max_page_count=%llu", (unsigned long long)pages);
    int64_t got;
    return pragma_int(st, q, &got);
}

/* ---- sessions ---- */

void sa_session_clear(sa_session *s)
{
    if (!s) return;
    free(s->id); free(s->agent); free(s->agent_mode); free(s->permission_mode);
    free(s->model); free(s->variant); free(s->native_session_id); free(s->directory);
    free(s->title); free(s->ended_reason);
    memset(s, 0, sizeof *s);
}

void sa_session_list_free(sa_session *v, size_t n)
{
    for (size_t i = 0; i < n; i++) sa_session_clear(&v[i]);
    free(v);
}

static void row_to_session(sqlite3_stmt *s, sa_session *o)
{
    char **strs[] = { &o->id, &o->agent, &o->agent_mode, &o->permission_mode, &o->model,
                      &o->variant, &o->native_session_id, &o->directory, &o->title,
                      &o->ended_reason };
    for (int i = 0; i < 10; i++) *strs[i] = st_col_dup(s, i);
    o->created_at = sqlite3_column_int64(s, 10);
    o->updated_at = sqlite3_column_int64(s, 11);
    o->ended_at = sqlite3_column_type(s, 12) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 12);
    o->event_count = (uint64_t)sqlite3_column_int64(s, 13);
    o->last_sequence = (uint64_t)sqlite3_column_int64(s, 14);
    o->max_item = (uint64_t)sqlite3_column_int64(s, 15);
}

int sa_store_session_get(sa_store *st, const char *id, sa_session *out)
{
    if (st->pg) return stpg_session_get(st, id, out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = st_stmt(st, Q_SESS_GET);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    int r = SA_STORE_OK;
    if (rc == SQLITE_ROW) {
        row_to_session(s, out);
        if (!out->id) r = SA_STORE_NOMEM;
    } else if (rc == SQLITE_DONE) {
        snprintf(st->err, sizeof st->err, "no session \"%.200s\"", id);
        r = SA_STORE_NOTFOUND;
    } else {
        r = st_fail(st, rc, "read session");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (r) sa_session_clear(out);
    return r;
}

int sa_store_session_list(sa_store *st, sa_session **out, size_t *n)
{
    return sa_store_session_list_since(st, INT64_MIN, out, n);
}

int sa_store_session_list_since(sa_store *st, int64_t since, sa_session **out, size_t *n)
{
    if (st->pg) return stpg_session_list(st, since, out, n);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = st_stmt(st, since == INT64_MIN ? Q_SESS_LIST : Q_SESS_LIST_SINCE);
    if (!s) return SA_STORE_ERROR;
    if (since != INT64_MIN) sqlite3_bind_int64(s, 1, since);
    sa_session *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc, r = SA_STORE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            sa_session *nv = realloc(v, nc * sizeof *nv);
            if (!nv) { r = SA_STORE_NOMEM; break; }
            v = nv;
            cap = nc;
        }
        memset(&v[cnt], 0, sizeof v[cnt]);
        row_to_session(s, &v[cnt++]);
    }
    if (!r && rc != SQLITE_DONE) r = st_fail(st, rc, "list sessions");
    sqlite3_reset(s);
    if (r) { sa_session_list_free(v, cnt); return r; }
    *out = v;
    *n = cnt;
    return SA_STORE_OK;
}

static int bind_fields(sqlite3_stmt *s, const char *id, const sa_session_fields *f)
{
    static const sa_session_fields none;
    if (!f) f = &none;
    const char *vals[] = { id, f->agent, f->agent_mode, f->permission_mode, f->model,
                           f->variant, f->native_session_id, f->directory, f->title };
    for (int i = 0; i < 9; i++)
        if (st_bind_text(s, i + 1, vals[i]) != SQLITE_OK) return SQLITE_NOMEM;
    return SQLITE_OK;
}

int sa_store_session_ensure(sa_store *st, const char *id, const sa_session_fields *f,
                            bool *created)
{
    if (st->pg) return stpg_session_ensure(st, id, f, created);
    int r = st_begin(st);
    if (r) return r;
    sqlite3_stmt *s = st_stmt(st, Q_SESS_INSERT);
    if (!s) { st_rollback(st); return SA_STORE_ERROR; }
    bind_fields(s, id, f);
    sqlite3_bind_int64(s, 10, st_now_ms());
    int rc = sqlite3_step(s);
    bool made = sqlite3_changes(st->db) > 0;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) { r = st_fail(st, rc, "create session"); st_rollback(st); return r; }
    if (!made && f) {
        s = st_stmt(st, Q_SESS_UPDATE_FIELDS);
        if (!s) { st_rollback(st); return SA_STORE_ERROR; }
        bind_fields(s, id, f);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) { r = st_fail(st, rc, "update session"); st_rollback(st); return r; }
    }
    if ((r = st_commit(st))) return r;
    if (created) *created = made;
    return SA_STORE_OK;
}

int sa_store_session_delete(sa_store *st, const char *id)
{
    if (st->pg) return stpg_session_delete(st, id);
    int r = st_begin(st);
    if (r) return r;
    static const enum st_stmt order[] = { Q_HITL_DELETE_ALL, Q_EV_DELETE, Q_SESS_DELETE };
    bool found = false;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        sqlite3_stmt *s = st_stmt(st, order[i]);
        if (!s) { st_rollback(st); return SA_STORE_ERROR; }
        st_bind_text(s, 1, id);
        int rc = sqlite3_step(s);
        if (order[i] == Q_SESS_DELETE) found = sqlite3_changes(st->db) > 0;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) { r = st_fail(st, rc, "delete session"); st_rollback(st); return r; }
    }
    if (!found) {
        st_rollback(st);
        snprintf(st->err, sizeof st->err, "no session \"%.200s\"", id);
        return SA_STORE_NOTFOUND;
    }
    return st_commit(st);
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

cJSON *sa_session_to_json(const sa_session *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "sessionId", cJSON_CreateString(s->id ? s->id : ""));
    cJSON_AddItemToObject(o, "agent", cJSON_CreateString(s->agent ? s->agent : "unknown"));
    cJSON_AddItemToObject(o, "agentMode", cJSON_CreateString(s->agent_mode ? s->agent_mode : "build"));
    cJSON_AddItemToObject(o, "permissionMode",
                          cJSON_CreateString(s->permission_mode ? s->permission_mode : "default"));
    cJSON_AddItemToObject(o, "model", str_or_null(s->model));
    cJSON_AddItemToObject(o, "variant", str_or_null(s->variant));
    cJSON_AddItemToObject(o, "nativeSessionId", str_or_null(s->native_session_id));
    cJSON_AddBoolToObject(o, "ended", s->ended_at != 0);
    cJSON_AddNumberToObject(o, "eventCount", (double)s->event_count);
    cJSON_AddNumberToObject(o, "createdAt", (double)s->created_at);
    cJSON_AddNumberToObject(o, "updatedAt", (double)s->updated_at);
    cJSON_AddItemToObject(o, "directory", str_or_null(s->directory));
    cJSON_AddItemToObject(o, "title", str_or_null(s->title));
    return o;
}
