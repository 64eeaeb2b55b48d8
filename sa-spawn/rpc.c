/*
 * rpc.c — sp_rpc: the JSON-RPC requests sa-spawn has sent to an agent and
 * not yet seen answered.  A JSON-RPC response names only the id it answers;
 * the table maps that id back to the method (and a caller's tag) so the
 * agent module knows what the result is, and so the line can be annotated
 * with "sa_method" for sa-normalize.  Ids count up from 1 per process
 * (sp_rpc_clear when the process is gone).  The table is small (a handful
 * of calls in flight) and searched linearly.
 * Ownership: the table owns its method strings; sp_rpc_send takes params.
 */
#include "rpc.h"

#include <stdlib.h>
#include <string.h>

int64_t sp_rpc_send(sp_rpc *r, sp_session *s, const char *method, cJSON *params, int tag)
{
    int64_t id = ++r->next;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 8;
        sp_rpc_call *nv = realloc(r->v, nc * sizeof *nv);
        if (!nv) sa_diex(SP_EXIT_SYS, "out of memory");
        r->v = nv;
        r->cap = nc;
    }
    char *m = strdup(method);
    if (!m) sa_diex(SP_EXIT_SYS, "out of memory");
    r->v[r->n++] = (sp_rpc_call){ .id = id, .method = m, .tag = tag };
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)id);
    cJSON_AddStringToObject(j, "method", method);
    cJSON_AddItemToObject(j, "params", params ? params : cJSON_CreateObject());
    sp_session_send_json(s, j);
    cJSON_Delete(j);
    return id;
}

void sp_rpc_notify(sp_session *s, const char *method, cJSON *params)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "method", method);
    if (params) cJSON_AddItemToObject(j, "params", params);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

void sp_rpc_reply(sp_session *s, const cJSON *id, cJSON *result)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "id", cJSON_Duplicate(id, 1));
    cJSON_AddItemToObject(j, "result", result ? result : cJSON_CreateObject());
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

void sp_rpc_reply_error(sp_session *s, const cJSON *id, int code, const char *message)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "id", cJSON_Duplicate(id, 1));
    cJSON *e = cJSON_AddObjectToObject(j, "error");
    cJSON_AddNumberToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

static sp_rpc_call *find(const sp_rpc *r, const cJSON *id)
{
    if (!cJSON_IsNumber(id)) return NULL;
    for (size_t i = 0; i < r->n; i++)
        if ((double)r->v[i].id == id->valuedouble) return &r->v[i];
    return NULL;
}

const char *sp_rpc_method(const sp_rpc *r, const cJSON *id, int *tag)
{
    sp_rpc_call *c = find(r, id);
    if (c && tag) *tag = c->tag;
    return c ? c->method : NULL;
}

void sp_rpc_done(sp_rpc *r, const cJSON *id)
{
    sp_rpc_call *c = find(r, id);
    if (!c) return;
    free(c->method);
    *c = r->v[--r->n];
}

void sp_rpc_clear(sp_rpc *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->v[i].method);
    free(r->v);
    memset(r, 0, sizeof *r);
}

int sp_rpc_kind(const cJSON *j)
{
    if (!cJSON_IsObject(j)) return SP_RPC_OTHER;
    bool has_id = cJSON_GetObjectItemCaseSensitive(j, "id") != NULL;
    bool has_method = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "method"));
    if (has_method) return has_id ? SP_RPC_REQUEST : SP_RPC_NOTIFICATION;
    if (has_id && (cJSON_GetObjectItemCaseSensitive(j, "result") || cJSON_GetObjectItemCaseSensitive(j, "error")))
        return SP_RPC_RESPONSE;
    return SP_RPC_OTHER;
}
