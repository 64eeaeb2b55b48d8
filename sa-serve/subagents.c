/*
 * subagents.c — a session's subagents (extension, additive to v0.1;
 * sa-events(7) SUBAGENTS): one entry per subagent id, from the
 * subagent.updated status items sa-normalize makes of each agent's subagent
 * events (claude's Agent tool, ...), the latest state winning.  The items
 * arrive through todos.c's ses_status_take (live, and from the store at
 * start).  Served as SessionInfo.subagents and by
 * GET /v1/sessions/{id}/subagents as {"subagents": [{id, name, description,
 * parentItemId, status}]}, in order of first appearance.
 * Bounds: SRV_SUBAGENTS_MAX entries per session (later ids are ignored).
 * Ownership: ss->subagents is the session's (ses_free deletes it); the item
 * is borrowed; functions returning cJSON * give the caller a new value.
 */
#include "serve.h"
#include "http.h"

#include <string.h>

#define SRV_SUBAGENTS_MAX 256

static void put_str(cJSON *o, const char *k, const cJSON *src, const char *sk)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, sk));
    cJSON *n = v ? cJSON_CreateString(v) : cJSON_CreateNull();
    if (!cJSON_ReplaceItemInObjectCaseSensitive(o, k, n)) cJSON_AddItemToObject(o, k, n);
}

void ses_subagents_take(srv_session *ss, const cJSON *item)
{
    const cJSON *p, *sub = NULL;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(item, "content")) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "type"));
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "json"), "subagent");
        if (t && !strcmp(t, "json") && cJSON_IsObject(j)) { sub = j; break; }
    }
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sub, "id"));
    if (!id || !*id) return;
    if (!ss->subagents && !(ss->subagents = cJSON_CreateArray())) return;
    cJSON *e = NULL, *x;
    cJSON_ArrayForEach(x, ss->subagents) {
        const char *xid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id"));
        if (xid && !strcmp(xid, id)) { e = x; break; }
    }
    if (!e) {
        if (cJSON_GetArraySize(ss->subagents) >= SRV_SUBAGENTS_MAX) return;
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", id);
        cJSON_AddItemToArray(ss->subagents, e);
    }
    put_str(e, "name", sub, "name");
    put_str(e, "description", sub, "description");
    put_str(e, "parentItemId", sub, "parent_item_id");
    put_str(e, "status", sub, "status");
}

cJSON *ses_subagents_json(const srv_session *ss)
{
    return ss->subagents ? cJSON_Duplicate(ss->subagents, 1) : cJSON_CreateArray();
}

void ses_subagents_get(srv *s, struct evhttp_request *req, srv_session *ss)
{
    (void)s;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "subagents", ses_subagents_json(ss));
    http_json(req, 200, o);
}
