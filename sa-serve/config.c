/*
 * config.c — server defaults for new sessions (the shape of sandbox-agent
 * 0.2's config endpoints), kept in the store's config table:
 *   GET|PUT|DELETE /v1/config/mcp?directory=D&mcpName=N      (alias mcp_name)
 *   GET|PUT|DELETE /v1/config/skills?directory=D&skillName=N (alias skill_name)
 * PUT takes one McpServerConfig (validated as session create's mcp members
 * are) or one SkillsConfig {sources: [...]} (resolved as create's skills are,
 * so a bad source is a 400 now rather than at every create); 204.  GET gives
 * the stored JSON (404 session_not_found with sessionId "mcp:N" /
 * "skills:N", as 0.2 answers); DELETE is 204 also when nothing was there.
 * A missing or blank directory or name is 400.
 *
 * D is a directory path; it is compared after realpath (when it exists)
 * with the working directory of a session being created (its `directory`
 * when that is an existing absolute directory, else the fs root):
 * cfg_apply_mcp merges the defaults of that directory under the session's
 * own servers (the session's entry wins by name), cfg_apply_skills resolves
 * the default skills and adds those whose names the session does not give
 * itself.  A default that no longer resolves is skipped with a warning.
 * Ownership: functions returning cJSON * give the caller a new tree.
 */
#include "serve.h"
#include "http.h"
#include "sa_store.h"

#include <event2/keyvalq_struct.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The scope for a directory: its realpath when it exists, else the path
 * without trailing slashes.  Caller frees. */
static char *scope_of(const char *dir)
{
    char *r = realpath(dir, NULL);
    if (r) return r;
    char *c = strdup(dir);
    if (!c) return NULL;
    for (size_t l = strlen(c); l > 1 && c[l - 1] == '/'; l--) c[l - 1] = '\0';
    return c;
}

char *cfg_session_scope(const srv *s, const char *directory)
{
    char *d = directory && directory[0] == '/' ? realpath(directory, NULL) : NULL;
    if (d) return d;
    return scope_of(s->cfg.fs_root);
}

static void missing(struct evhttp_request *req, const char *field)
{
    http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: missing required '%s' query parameter", field);
}

void cfg_route(srv *s, struct evhttp_request *req, const char *kind, int m)
{
    bool mcp = !strcmp(kind, "mcp");
    struct evkeyvalq q;
    http_query(req, &q);
    const char *dir = http_query_get(&q, "directory", NULL);
    const char *name = mcp ? http_query_get(&q, "mcpName", "mcp_name") : http_query_get(&q, "skillName", "skill_name");
    char *scope = NULL, *text = NULL;
    cJSON *body = NULL;
    if (m != M_GET && m != M_PUT && m != M_DELETE) { rt_method_not_allowed(req, "GET, PUT, DELETE"); goto out; }
    if (!dir || !*dir) { missing(req, "directory"); goto out; }
    if (!name || !*name) { missing(req, mcp ? "mcpName" : "skillName"); goto out; }
    if (!(scope = scope_of(dir))) { http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory"); goto out; }
    int rc;
    if (m == M_GET) {
        rc = sa_store_config_get(s->store, kind, scope, name, &text);
        if (rc == SA_STORE_NOTFOUND) {
            char sid[300], detail[400];
            snprintf(sid, sizeof sid, "%s:%.200s", kind, name);
            snprintf(detail, sizeof detail, "session not found: %s", sid);
            cJSON *ext = cJSON_CreateObject();
            cJSON_AddStringToObject(ext, "sessionId", sid);
            http_problem(req, HTTP_ERR_SESSION_NOT_FOUND, 0, detail, ext);
        } else if (rc) {
            http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: %s", sa_store_errmsg(s->store));
        } else {
            cJSON *v = cJSON_Parse(text);
            if (v) http_json(req, 200, v);
            else http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: stored config is not JSON");
        }
        goto out;
    }
    if (m == M_DELETE) {
        if ((rc = sa_store_config_delete(s->store, kind, scope, name)))
            http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: %s", sa_store_errmsg(s->store));
        else http_no_content(req);
        goto out;
    }
    if (!(body = http_body_json(req, s->cfg.max_body))) goto out;
    char err[600];
    cJSON *check = NULL;
    if (mcp) {
        cJSON *one = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(one, name, body);
        check = mcp_normalize(one, false, err, sizeof err);
        cJSON_Delete(one);
    } else {
        check = sk_resolve(s, body, err, sizeof err);
    }
    if (!check) { http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: %s", err); goto out; }
    cJSON_Delete(check);
    text = cJSON_PrintUnformatted(body);
    if (!text || (rc = sa_store_config_put(s->store, kind, scope, name, text)))
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: cannot store the config: %s", sa_store_errmsg(s->store));
    else http_no_content(req);
out:
    free(scope);
    free(text);
    cJSON_Delete(body);
    evhttp_clear_headers(&q);
}

cJSON *cfg_apply_mcp(const srv *s, const char *scope, const cJSON *mine, bool strict, char *err, size_t n)
{
    cJSON *all = NULL;
    if (sa_store_config_list(s->store, "mcp", scope, &all) != SA_STORE_OK) {
        sa_warnx("server MCP defaults for %s: %s", scope, sa_store_errmsg(s->store));
        all = cJSON_CreateObject();
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, mine) {                 /* the session's own entry wins by name */
        cJSON_DeleteItemFromObjectCaseSensitive(all, e->string);
        cJSON_AddItemToObject(all, e->string, cJSON_Duplicate(e, 1));
    }
    cJSON *norm = cJSON_GetArraySize(all) ? mcp_normalize(all, strict, err, n) : NULL;
    if (!norm && cJSON_GetArraySize(all)) {
        cJSON_Delete(all);
        return NULL;
    }
    cJSON_Delete(all);
    if (!norm) { norm = cJSON_CreateObject(); cJSON_AddBoolToObject(norm, "strict", strict); cJSON_AddObjectToObject(norm, "servers"); }
    return norm;
}

cJSON *cfg_apply_skills(const srv *s, const char *scope, cJSON *resolved)
{
    cJSON *all = NULL;
    if (sa_store_config_list(s->store, "skills", scope, &all) != SA_STORE_OK) {
        sa_warnx("server skills defaults for %s: %s", scope, sa_store_errmsg(s->store));
        return resolved;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, all) {
        char err[600];
        cJSON *r = sk_resolve(s, e, err, sizeof err);
        if (!r) { sa_warnx("server default skills %s for %s skipped: %s", e->string, scope, err); continue; }
        if (!resolved) resolved = cJSON_CreateArray();
        cJSON *it;
        while ((it = r->child) != NULL) {
            cJSON_DetachItemViaPointer(r, it);
            const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
            bool taken = false;
            const cJSON *o;
            cJSON_ArrayForEach(o, resolved)
                if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name")), nm)) taken = true;
            if (taken) cJSON_Delete(it); else cJSON_AddItemToArray(resolved, it);
        }
        cJSON_Delete(r);
    }
    cJSON_Delete(all);
    return resolved;
}
