/*
 * oc_compat.c — the routes of the OpenCode-compatible API under /opencode
 * (the subset opencode 1.18's `run --attach` and `attach` call; man
 * sa-opencode-compat(7) lists them and their limits).  router.c checks the
 * token first (OpenCode sends it as HTTP Basic, user "opencode").
 *
 * Sessions are sa sessions: GET /session lists them all, POST /session
 * creates one whose agent is body.model.providerID when that names an sa
 * agent, else $SA_OPENCODE_AGENT, else the mock; a permission rule
 * {permission:"*", action:"allow"} makes it permission mode bypass.  A prompt (POST
 * /session/{id}/message) becomes one sa message and its reply waits for the
 * turn (oc_events.c); prompt_async answers 204 at once.  Permission and
 * question replies go to turns.c with the request as it came: OpenCode's
 * bodies ({reply}, {answers}) are sa's.  Providers are the sa agents, their
 * models the descriptions' models.
 *
 * Ownership: decoded bodies are freed here; replies own their JSON.
 */
#include "serve.h"
#include "http.h"
#include "oc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OC_SID_MAX 128

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void not_found(struct evhttp_request *req, const char *what, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "NotFoundError");
    char msg[300];
    snprintf(msg, sizeof msg, "%s not found: %.200s", what, id);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "message", msg);
    http_json(req, 404, o);
}

cJSON *oc_session_info(const srv_session *ss)
{
    cJSON *o = cJSON_CreateObject();
    char id[OC_ID_MAX];
    cJSON_AddStringToObject(o, "id", oc_id(ss->id, id));
    cJSON_AddStringToObject(o, "slug", ss->id);
    cJSON_AddStringToObject(o, "projectID", "global");
    cJSON_AddStringToObject(o, "directory", pl_session_cwd(ss));
    char title[300];
    snprintf(title, sizeof title, "%s (%s)", ss->title ? ss->title : ss->id, ss->agent ? ss->agent : "?");
    cJSON_AddStringToObject(o, "title", ss->title ? ss->title : title);
    cJSON_AddStringToObject(o, "version", SA_VERSION);
    cJSON *t = cJSON_AddObjectToObject(o, "time");
    cJSON_AddNumberToObject(t, "created", (double)ss->created_ms);
    cJSON_AddNumberToObject(t, "updated", (double)ss->updated_ms);
    return o;
}

/* ---- static answers ---- */

static cJSON *model_obj(const sa_agent_desc *a, const char *id, const char *name)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", id);
    cJSON_AddStringToObject(m, "providerID", a->id);
    cJSON_AddStringToObject(m, "name", name ? name : id);
    cJSON_AddBoolToObject(m, "tool_call", true);
    cJSON_AddBoolToObject(m, "reasoning", false);
    cJSON_AddBoolToObject(m, "attachment", false);
    cJSON_AddBoolToObject(m, "temperature", false);
    cJSON *l = cJSON_AddObjectToObject(m, "limit");
    cJSON_AddNumberToObject(l, "context", 0);
    cJSON_AddNumberToObject(l, "output", 0);
    cJSON *c = cJSON_AddObjectToObject(m, "cost");
    cJSON_AddNumberToObject(c, "input", 0);
    cJSON_AddNumberToObject(c, "output", 0);
    cJSON_AddObjectToObject(m, "options");
    return m;
}

static const char *default_model(const sa_agent_desc *a)
{
    const char *d = sa_agent_str(a, "default_model");
    return d ? d : "default";
}

static cJSON *provider_obj(const sa_agent_desc *a)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "id", a->id);
    cJSON_AddStringToObject(p, "name", a->name ? a->name : a->id);
    cJSON_AddStringToObject(p, "source", "custom");
    cJSON_AddArrayToObject(p, "env");
    cJSON_AddObjectToObject(p, "options");
    cJSON *models = cJSON_AddObjectToObject(p, "models");
    const cJSON *m;
    cJSON_ArrayForEach(m, sa_agent_get(a, "models")) {
        const char *id = str_of(m, "id");
        if (id && !cJSON_GetObjectItemCaseSensitive(models, id))
            cJSON_AddItemToObject(models, id, model_obj(a, id, str_of(m, "name")));
    }
    if (!cJSON_GetObjectItemCaseSensitive(models, default_model(a)))
        cJSON_AddItemToObject(models, default_model(a), model_obj(a, default_model(a), NULL));
    return p;
}

static cJSON *providers(const srv *s, cJSON **defaults)
{
    cJSON *all = cJSON_CreateArray();
    *defaults = cJSON_CreateObject();
    for (size_t i = 0; i < s->n_agents; i++) {
        cJSON_AddItemToArray(all, provider_obj(&s->agents[i]));
        cJSON_AddStringToObject(*defaults, s->agents[i].id, default_model(&s->agents[i]));
    }
    return all;
}

static const char *default_agent(const srv *s)
{
    const char *e = getenv("SA_OPENCODE_AGENT");
    return e && *e && ag_find(s, e) ? e : "mock";
}

static void send_providers(srv *s, struct evhttp_request *req, bool config_form)
{
    cJSON *defaults, *all = providers(s, &defaults), *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, config_form ? "providers" : "all", all);
    cJSON_AddItemToObject(o, "default", defaults);
    if (!config_form) {
        cJSON *conn = cJSON_AddArrayToObject(o, "connected");
        for (size_t i = 0; i < s->n_agents; i++)
            if (ag_installed(&s->agents[i])) cJSON_AddItemToArray(conn, cJSON_CreateString(s->agents[i].id));
    }
    http_json(req, 200, o);
}

static cJSON *agent_obj(const char *name, const char *desc)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "name", name);
    cJSON_AddStringToObject(a, "description", desc);
    cJSON_AddStringToObject(a, "mode", "primary");
    cJSON_AddBoolToObject(a, "native", true);
    cJSON_AddArrayToObject(a, "permission");
    cJSON_AddObjectToObject(a, "options");
    return a;
}

static void send_config(srv *s, struct evhttp_request *req)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "$schema", "https://opencode.ai/config.json");
    cJSON_AddStringToObject(o, "share", "disabled");
    cJSON_AddBoolToObject(o, "autoupdate", false);
    char model[300];
    const sa_agent_desc *a = ag_find(s, default_agent(s));
    snprintf(model, sizeof model, "%s/%s", default_agent(s), a ? default_model(a) : "default");
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "username", "sa");
    cJSON_AddObjectToObject(o, "agent");
    cJSON_AddObjectToObject(o, "mode");
    cJSON_AddObjectToObject(o, "command");
    cJSON_AddObjectToObject(o, "provider");
    cJSON_AddArrayToObject(o, "plugin");
    http_json(req, 200, o);
}

static void send_path(srv *s, struct evhttp_request *req)
{
    cJSON *o = cJSON_CreateObject();
    const char *home = getenv("HOME");
    cJSON_AddStringToObject(o, "home", home ? home : "/");
    cJSON_AddStringToObject(o, "state", s->cfg.state_dir);
    cJSON_AddStringToObject(o, "config", s->cfg.state_dir);
    cJSON_AddStringToObject(o, "worktree", s->cfg.fs_root);
    cJSON_AddStringToObject(o, "directory", s->cfg.fs_root);
    http_json(req, 200, o);
}

static cJSON *project_obj(const srv *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", "global");
    cJSON_AddStringToObject(o, "worktree", s->cfg.fs_root);
    cJSON_AddStringToObject(o, "vcs", "git");
    cJSON_AddObjectToObject(o, "time");
    cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(o, "time"), "created", 0);
    cJSON_AddArrayToObject(o, "sandboxes");
    return o;
}

/* GET routes whose answer is a constant or nearly: true when handled. */
static bool static_route(srv *s, struct evhttp_request *req, char **seg, int n)
{
    const char *a = n > 1 ? seg[1] : "", *b = n > 2 ? seg[2] : NULL;
    if (n == 2 && !strcmp(a, "path")) { send_path(s, req); return true; }
    if (n == 2 && !strcmp(a, "config")) { send_config(s, req); return true; }
    if (n == 3 && !strcmp(a, "config") && !strcmp(b, "providers")) { send_providers(s, req, true); return true; }
    if (n == 2 && !strcmp(a, "provider")) { send_providers(s, req, false); return true; }
    if (n == 3 && !strcmp(a, "provider") && !strcmp(b, "auth")) { http_json(req, 200, cJSON_CreateObject()); return true; }
    if (n == 2 && !strcmp(a, "agent")) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, agent_obj("build", "the session's sa agent"));
        cJSON_AddItemToArray(arr, agent_obj("plan", "the session's sa agent, planning"));
        http_json(req, 200, arr);
        return true;
    }
    if (n == 3 && !strcmp(a, "project") && !strcmp(b, "current")) { http_json(req, 200, project_obj(s)); return true; }
    if (n == 2 && !strcmp(a, "project")) {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, project_obj(s));
        http_json(req, 200, arr);
        return true;
    }
    if (n == 3 && !strcmp(a, "global") && !strcmp(b, "health")) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "healthy", true);
        cJSON_AddStringToObject(o, "version", SA_VERSION);
        http_json(req, 200, o);
        return true;
    }
    static const char *const empty_arrays[] = {"command", "lsp", "formatter", "skill", NULL};
    for (int i = 0; n == 2 && empty_arrays[i]; i++)
        if (!strcmp(a, empty_arrays[i])) { http_json(req, 200, cJSON_CreateArray()); return true; }
    if (n == 2 && !strcmp(a, "mcp")) { http_json(req, 200, cJSON_CreateObject()); return true; }
    if (n == 2 && !strcmp(a, "vcs")) { http_json(req, 200, cJSON_CreateObject()); return true; }
    return false;
}

/* ---- sessions ---- */

static void list_sessions(srv *s, struct evhttp_request *req)
{
    ses_sync(s);
    cJSON *arr = cJSON_CreateArray();
    for (srv_session *ss = s->sessions; ss; ss = ss->next)
        if (!ss->delete_req) cJSON_AddItemToArray(arr, oc_session_info(ss));
    http_json(req, 200, arr);
}

static void session_status(srv *s, struct evhttp_request *req)
{
    cJSON *o = cJSON_CreateObject();
    for (srv_session *ss = s->sessions; ss; ss = ss->next)
        if (oc_session_busy(ss)) {
            char id[OC_ID_MAX];
            cJSON_AddStringToObject(cJSON_AddObjectToObject(o, oc_id(ss->id, id)), "type", "busy");
        }
    http_json(req, 200, o);
}

static void create_session(srv *s, struct evhttp_request *req)
{
    cJSON *in = http_body_json(req, s->cfg.max_body);
    if (!in) return;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(in, "model");
    const char *prov = str_of(model, "providerID"), *mid = str_of(model, "modelID");
    if (!mid) mid = str_of(model, "id");
    const char *agent = prov && ag_find(s, prov) ? prov : default_agent(s);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "agent", agent);
    if (prov && !strcmp(prov, agent) && mid) cJSON_AddStringToObject(body, "model", mid);
    if (str_of(in, "title")) cJSON_AddStringToObject(body, "title", str_of(in, "title"));
    const cJSON *rule;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(in, "permission")) {
        const char *perm = str_of(rule, "permission"), *act = str_of(rule, "action");
        if (perm && act && !strcmp(perm, "*") && !strcmp(act, "allow")) {   /* allow everything */
            cJSON_AddStringToObject(body, "permissionMode", "bypass");
            break;
        }
    }
    static unsigned counter;
    char id[OC_SID_MAX];
    snprintf(id, sizeof id, "ses_%013llx%05x%04x", (unsigned long long)sa_time_ms(), (unsigned)getpid() & 0xfffff,
             ++counter & 0xffff);
    srv_session *ss = ses_create_from(s, req, id, body);
    if (ss) http_json(req, 200, oc_session_info(ss));
    cJSON_Delete(body);
    cJSON_Delete(in);
}

/* The text of a prompt's parts; file parts become attachments (file:// urls). */
static char *prompt_text(const cJSON *parts, cJSON *att)
{
    size_t n = 1;
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) {
        const char *t = str_of(p, "text");
        if (t && str_of(p, "type") && !strcmp(str_of(p, "type"), "text")) n += strlen(t) + 1;
    }
    char *s = malloc(n), *w = s;
    if (!s) return NULL;
    cJSON_ArrayForEach(p, parts) {
        const char *t = str_of(p, "text"), *type = str_of(p, "type"), *url = str_of(p, "url");
        if (t && type && !strcmp(type, "text")) {
            if (w != s) *w++ = '\n';
            size_t k = strlen(t);
            memcpy(w, t, k);
            w += k;
        } else if (type && !strcmp(type, "file") && url && !strncmp(url, "file://", 7)) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "path", url + 7);
            if (str_of(p, "mime")) cJSON_AddStringToObject(a, "mime", str_of(p, "mime"));
            if (str_of(p, "filename")) cJSON_AddStringToObject(a, "filename", str_of(p, "filename"));
            cJSON_AddItemToArray(att, a);
        }
    }
    *w = 0;
    return s;
}

static void prompt(srv *s, struct evhttp_request *req, srv_session *ss, bool wait)
{
    cJSON *in = http_body_json(req, s->cfg.max_body);
    if (!in) return;
    cJSON *att = cJSON_CreateArray();
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(in, "parts");
    char *text = cJSON_IsArray(parts) ? prompt_text(parts, att) : NULL;
    if (!cJSON_IsArray(parts)) rt_unprocessable(req, "parts: expected an array");
    else if (!text) http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory");
    else {
        uint64_t after = ss->last_seq;
        if (turn_send(req, ss, text, cJSON_GetArraySize(att) ? att : NULL)) {
            if (wait) oc_prompt_wait(s, req, ss, after);
            else http_no_content(req);
        }
    }
    free(text);
    cJSON_Delete(att);
    cJSON_Delete(in);
}

static void send_bool(struct evhttp_request *req, bool v) { http_json(req, 200, cJSON_CreateBool(v)); }

/* An OpenCode session id: the sa id itself, or "ses_" + it (oc_id). */
static srv_session *find_session(srv *s, const char *id)
{
    srv_session *ss = ses_find(s, id);
    if (!ss || !ss->pipe) { ses_sync(s); ss = ses_find(s, id); }
    if (!ss && !strncmp(id, "ses_", 4) && strncmp(id + 4, "ses", 3)) ss = ses_find(s, id + 4);
    return ss;
}

static void session_routes(srv *s, struct evhttp_request *req, char **seg, int n, int m)
{
    if (n == 2) {
        if (m == M_GET) list_sessions(s, req);
        else if (m == M_POST) create_session(s, req);
        else rt_method_not_allowed(req, "GET, POST");
        return;
    }
    if (n == 3 && !strcmp(seg[2], "status")) {
        if (m == M_GET) session_status(s, req);
        else rt_method_not_allowed(req, "GET");
        return;
    }
    srv_session *ss = find_session(s, seg[2]);
    if (!ss) { not_found(req, "session", seg[2]); return; }
    const char *act = n > 3 ? seg[3] : "";
    if (n == 3) {
        if (m == M_GET) http_json(req, 200, oc_session_info(ss));
        else if (m == M_PATCH) http_json(req, 200, oc_session_info(ss));   /* title changes are not kept */
        else if (m == M_DELETE) turn_terminate(s, req, ss);
        else rt_method_not_allowed(req, "GET, PATCH, DELETE");
        return;
    }
    if (n == 4 && !strcmp(act, "message")) {
        if (m == M_GET) {
            cJSON *h = oc_history(s, ss);
            if (h) http_json(req, 200, h);
            else http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory");
        } else if (m == M_POST) prompt(s, req, ss, true);
        else rt_method_not_allowed(req, "GET, POST");
        return;
    }
    if (n == 4 && m != M_POST && m != M_GET) { rt_method_not_allowed(req, "GET, POST"); return; }
    if (n == 4 && !strcmp(act, "prompt_async") && m == M_POST) { prompt(s, req, ss, false); return; }
    if (n == 4 && !strcmp(act, "abort") && m == M_POST) { send_bool(req, turn_simple(ss, "cancel")); return; }
    if (n == 4 && m == M_GET && (!strcmp(act, "todo") || !strcmp(act, "diff") || !strcmp(act, "children"))) {
        http_json(req, 200, cJSON_CreateArray());
        return;
    }
    rt_not_found(req);
}

static srv_session *hitl_owner(srv *s, bool question, const char *id)
{
    for (srv_session *ss = s->sessions; ss; ss = ss->next) {
        ses_ready(ss);
        if (ses_hitl_has(ss, question, id)) return ss;
    }
    return NULL;
}

/* POST /permission/{id}/reply, /question/{id}/reply|reject. */
static void hitl_route(srv *s, struct evhttp_request *req, char **seg, int n, int m)
{
    bool question = !strcmp(seg[1], "question");
    if (n == 2) {   /* the pending ids (their details are in the event stream) */
        if (m != M_GET) { rt_method_not_allowed(req, "GET"); return; }
        cJSON *arr = cJSON_CreateArray();
        for (srv_session *ss = s->sessions; ss; ss = ss->next)
            for (srv_hitl *h = ss->hitl; h; h = h->next) {
                if (h->question != question) continue;
                cJSON *o = cJSON_CreateObject();
                char id[OC_ID_MAX];
                cJSON_AddStringToObject(o, "id", h->id);
                cJSON_AddStringToObject(o, "sessionID", oc_id(ss->id, id));
                cJSON_AddItemToArray(arr, o);
            }
        http_json(req, 200, arr);
        return;
    }
    bool reply = !strcmp(seg[3], "reply"), reject = question && !strcmp(seg[3], "reject");
    if (n != 4 || (!reply && !reject)) { rt_not_found(req); return; }
    if (m != M_POST) { rt_method_not_allowed(req, "POST"); return; }
    srv_session *ss = hitl_owner(s, question, seg[2]);
    if (!ss) { not_found(req, question ? "question" : "permission", seg[2]); return; }
    if (question) turn_question(s, req, ss, seg[2], reject);
    else turn_permission_reply(s, req, ss, seg[2]);
}

void oc_route(srv *s, struct evhttp_request *req, char **seg, int n, int m)
{
    if (n >= 2 && !strcmp(seg[1], "session")) { session_routes(s, req, seg, n, m); return; }
    if (n >= 2 && (!strcmp(seg[1], "permission") || !strcmp(seg[1], "question"))) {
        hitl_route(s, req, seg, n, m);
        return;
    }
    bool ev = n == 2 && !strcmp(seg[1], "event"), gev = n == 3 && !strcmp(seg[1], "global") && !strcmp(seg[2], "event");
    if (ev || gev) {
        if (m == M_GET) oc_event_open(s, req, gev);
        else rt_method_not_allowed(req, "GET");
        return;
    }
    if (m == M_GET && static_route(s, req, seg, n)) return;
    rt_not_found(req);
}
