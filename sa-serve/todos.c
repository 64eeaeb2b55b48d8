/*
 * todos.c — a session's todo list (extension, additive to v0.1; sa-events(7)
 * TODO LISTS): the list of the latest status item labelled todo.updated
 * ({"type":"json","json":{"todos":[...]}} among its parts, built by
 * sa-normalize from each agent's todo tools and events).  sa-serve keeps it
 * as it keeps usage totals: sse_intake hands it every committed
 * item.completed that may be one (a cheap text test first, so other items
 * are not parsed), and at start sst_load_status reads the stored
 * item.completed events a page at a time (selected by type in the store),
 * keeping the last list.  The same two entry points (ses_status_candidate,
 * ses_status_take) feed the subagent list (subagents.c) from
 * subagent.updated items.  Served in SessionInfo.todos and by
 * GET /v1/sessions/{id}/todos as {"todos": [...]} ([] when none).
 * Ownership: ss->todos is the session's (ses_free deletes it); functions
 * returning cJSON * give the caller a new value.
 */
#include "serve.h"
#include "http.h"
#include "sa_store.h"

#include <string.h>

bool ses_status_candidate(const char *line, size_t len)
{
    return memmem(line, len, "\"todo.updated\"", 14) != NULL || memmem(line, len, "\"subagent.updated\"", 18) != NULL;
}

void ses_status_take(srv_session *ss, const cJSON *event)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(event, "data"), "item");
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "kind"));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
    if (!kind || strcmp(kind, "status") || !cJSON_IsArray(content)) return;
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(content, 0), "label"));
    if (label && !strcmp(label, "subagent.updated")) { ses_subagents_take(ss, item); return; }
    if (!label || strcmp(label, "todo.updated")) return;
    const cJSON *p;
    cJSON_ArrayForEach(p, content) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "type"));
        const cJSON *todos = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "json"), "todos");
        if (t && !strcmp(t, "json") && cJSON_IsArray(todos)) {
            cJSON *dup = cJSON_Duplicate(todos, 1);
            if (!dup) return;
            cJSON_Delete(ss->todos);
            ss->todos = dup;
            return;
        }
    }
}

int sst_load_status(srv_session *ss)
{
    srv *s = ss->srv;
    uint64_t after = 0;
    for (;;) {
        sa_event_list l = {0};
        int rc = sa_store_read_type(s->store, ss->id, "item.completed", after, SRV_PAGE, false, &l);
        if (rc == SA_STORE_NOTFOUND) return 0;
        if (rc != SA_STORE_OK) {
            sa_warnx("reading the todos and subagents of %s: %s", ss->id, sa_store_errmsg(s->store));
            return -1;
        }
        bool more = l.has_more;
        for (size_t i = 0; i < l.n; i++) {
            if (l.v[i].sequence > ss->last_seq) { more = false; break; }
            after = l.v[i].sequence;
            if (!ses_status_candidate(l.v[i].json, l.v[i].len)) continue;
            cJSON *ev = cJSON_ParseWithLength(l.v[i].json, l.v[i].len);
            ses_status_take(ss, ev);
            cJSON_Delete(ev);
        }
        sa_event_list_free(&l);
        if (!more) return 0;
    }
}

cJSON *ses_todos_json(const srv_session *ss)
{
    return ss->todos ? cJSON_Duplicate(ss->todos, 1) : cJSON_CreateArray();
}

void ses_todos_get(srv *s, struct evhttp_request *req, srv_session *ss)
{
    (void)s;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "todos", ses_todos_json(ss));
    http_json(req, 200, o);
}
