/*
 * sa_store_config.c — the store's config table (schema v2): server defaults
 * that sa-serve's /v1/config/mcp and /v1/config/skills keep, one JSON text
 * per (kind, scope, name), for both backends (SQLite here through the cached
 * statements; PostgreSQL through stpg_run).  A read-only store opened on a
 * v1 database has no such table: reads then report nothing stored.
 * Ownership: see sa_store.h (get's text and list's object are the caller's).
 */
#include "sa_store_int.h"
#include "sa_store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void done(sqlite3_stmt *s) { sqlite3_reset(s); sqlite3_clear_bindings(s); }

static sqlite3_stmt *bind3(sa_store *st, enum st_stmt q, const char *kind, const char *scope, const char *name)
{
    sqlite3_stmt *s = st_stmt(st, q);
    if (!s) return NULL;
    st_bind_text(s, 1, kind);
    st_bind_text(s, 2, scope);
    if (name) st_bind_text(s, 3, name);
    return s;
}

int sa_store_config_get(sa_store *st, const char *kind, const char *scope, const char *name, char **json)
{
    *json = NULL;
    if (st->pg) return stpg_config_get(st, kind, scope, name, json);
    sqlite3_stmt *s = bind3(st, Q_CFG_GET, kind, scope, name);
    if (!s) return SA_STORE_NOTFOUND;          /* no table (an older read-only store) */
    int rc = sqlite3_step(s), r = SA_STORE_OK;
    if (rc == SQLITE_ROW) { if (!(*json = st_col_dup(s, 0))) r = SA_STORE_NOMEM; }
    else if (rc == SQLITE_DONE) { snprintf(st->err, sizeof st->err, "no %.32s config \"%.200s\"", kind, name); r = SA_STORE_NOTFOUND; }
    else r = st_fail(st, rc, "read config");
    done(s);
    return r;
}

int sa_store_config_put(sa_store *st, const char *kind, const char *scope, const char *name, const char *json)
{
    if (st->pg) return stpg_config_put(st, kind, scope, name, json);
    sqlite3_stmt *s = bind3(st, Q_CFG_PUT, kind, scope, name);
    if (!s) return SA_STORE_ERROR;
    st_bind_text(s, 4, json);
    sqlite3_bind_int64(s, 5, st_now_ms());
    int rc = sqlite3_step(s);
    int r = rc == SQLITE_DONE ? SA_STORE_OK : st_fail(st, rc, "write config");
    done(s);
    return r;
}

int sa_store_config_delete(sa_store *st, const char *kind, const char *scope, const char *name)
{
    if (st->pg) return stpg_config_delete(st, kind, scope, name);
    sqlite3_stmt *s = bind3(st, Q_CFG_DELETE, kind, scope, name);
    if (!s) return SA_STORE_ERROR;
    int rc = sqlite3_step(s);
    int r = rc == SQLITE_DONE ? SA_STORE_OK : st_fail(st, rc, "delete config");
    done(s);
    return r;
}

/* Add name → parsed json (text kept as a string if it does not parse). */
static int add(cJSON *o, const char *name, const char *json)
{
    cJSON *v = json ? cJSON_Parse(json) : NULL;
    if (!v) v = cJSON_CreateString(json ? json : "");
    return v && cJSON_AddItemToObject(o, name, v) ? SA_STORE_OK : SA_STORE_NOMEM;
}

int sa_store_config_list(sa_store *st, const char *kind, const char *scope, cJSON **out)
{
    if (st->pg) return stpg_config_list(st, kind, scope, out);
    if (!(*out = cJSON_CreateObject())) return SA_STORE_NOMEM;
    sqlite3_stmt *s = bind3(st, Q_CFG_LIST, kind, scope, NULL);
    if (!s) return SA_STORE_OK;                /* no table: nothing stored */
    int rc, r = SA_STORE_OK;
    while (!r && (rc = sqlite3_step(s)) == SQLITE_ROW)
        r = add(*out, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
    if (!r && rc != SQLITE_DONE) r = st_fail(st, rc, "list config");
    done(s);
    if (r) { cJSON_Delete(*out); *out = NULL; }
    return r;
}

/* ---- PostgreSQL ---- */

int stpg_config_get(sa_store *st, const char *kind, const char *scope, const char *name, char **json)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    const char *v[3] = { kind, scope, name };
    PGresult *r = stpg_run(st, P_CFG_GET, 3, v, &rc);
    if (!r) return rc;
    if (PQntuples(r) == 0) {
        snprintf(st->err, sizeof st->err, "no %.32s config \"%.200s\"", kind, name);
        rc = SA_STORE_NOTFOUND;
    } else if (!(*json = strdup(PQgetvalue(r, 0, 0)))) {
        rc = SA_STORE_NOMEM;
    }
    PQclear(r);
    return rc;
}

int stpg_config_put(sa_store *st, const char *kind, const char *scope, const char *name, const char *json)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)st_now_ms());
    const char *v[5] = { kind, scope, name, json, now };
    PGresult *r = stpg_run(st, P_CFG_PUT, 5, v, &rc);
    if (r) PQclear(r);
    return rc;
}

int stpg_config_delete(sa_store *st, const char *kind, const char *scope, const char *name)
{
    int rc = stpg_ready(st);
    if (rc) return rc;
    const char *v[3] = { kind, scope, name };
    PGresult *r = stpg_run(st, P_CFG_DELETE, 3, v, &rc);
    if (r) PQclear(r);
    return rc;
}

int stpg_config_list(sa_store *st, const char *kind, const char *scope, cJSON **out)
{
    *out = NULL;
    int rc = stpg_ready(st);
    if (rc) return rc;
    const char *v[2] = { kind, scope };
    PGresult *r = stpg_run(st, P_CFG_LIST, 2, v, &rc);
    if (!r) return rc;
    if (!(*out = cJSON_CreateObject())) rc = SA_STORE_NOMEM;
    for (int i = 0; !rc && i < PQntuples(r); i++) rc = add(*out, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    if (rc) { cJSON_Delete(*out); *out = NULL; }
    return rc;
}
