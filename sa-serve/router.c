/*
 * router.c — one evhttp generic callback for every request: CORS first
 * (preflights end there), then the path is split into percent-decoded
 * segments and dispatched.  /v1/health (and the banner at /) are public;
 * every other known /v1 route needs the token when one is configured.
 * Unknown paths get v0.1.11's 404 text/plain banner; a known path with the
 * wrong method gets 405 with Allow.
 *
 * Routes (v0.1.11 plus the additive GET and DELETE /v1/sessions/{id},
 * GET /v1/openapi.json and GET /metrics, metrics.c):
 *   GET  /v1/health                       GET /v1/agents, /v1/agents/{a}/modes|models
 *   POST /v1/agents/{a}/install           GET /v1/sessions
 *   POST|GET|DELETE /v1/sessions/{id}     POST /v1/sessions/{id}/messages[/stream]
 *   POST /v1/sessions/{id}/terminate      GET /v1/sessions/{id}/events[/sse]
 *   GET  /v1/sessions/{id}/todos          GET /v1/sessions/{id}/diff[?format=files]
 *   GET  /v1/sessions/{id}/subagents
 *   POST /v1/sessions/{id}/questions/{q}/reply|reject
 *   POST /v1/sessions/{id}/permissions/{p}/reply
 *   *    /v1/fs/...  (fs.c)
 *   GET  /ui, /ui/, /ui/NAME   (ui.c: the inspector; public, like /v1/health)
 *   *    /opencode/...  (oc_compat.c: the OpenCode-compatible API, under the token)
 *
 * Request log: at --log-level 2 and up every request is logged once its
 * reply is complete (evhttp's on-complete callback): "METHOD URI STATUS
 * TIME ms", TIME from the request's arrival (for an SSE stream: how long it
 * was open; one the client closed is logged by sse.c, "client closed").
 * The arrival time rides in the request's own input headers
 * (LOG_HDR, replacing any a client sent), so nothing is allocated per
 * request and nothing leaks when a client goes away before its reply.
 *
 * Ownership: decoded segments are freed before returning; the request
 * belongs to libevent.
 */
#include "serve.h"
#include "http.h"
#include "fs.h"
#include "oc.h"
#if defined(__has_include)
#if __has_include("openapi.h")
#include "openapi.h"
#define HAVE_OPENAPI 1
#endif
#endif

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/keyvalq_struct.h>

#define MAX_SEG 8

/* The name of the token that made the request being dispatched (NULL
 * without auth): the answerer of a permission or question (turns.c). */
const char *rt_actor;
#define LOG_HDR "X-Sa-Internal-Arrival-Us"

static const char banner[] =
    "This is a Sandbox Agent server (sa-serve " SA_VERSION ", API v1 as sandbox-agent v0.1.11).\n"
    "Available endpoints:\n"
    "  GET  /v1/health\n"
    "  GET  /v1/openapi.json\n"
    "  GET  /v1/agents\n"
    "  GET  /v1/agents/{agent}/modes | /models;  POST /v1/agents/{agent}/install\n"
    "  GET  /v1/sessions;  GET|POST|DELETE /v1/sessions/{id}\n"
    "  POST /v1/sessions/{id}/messages | /messages/stream | /terminate\n"
    "  GET  /v1/sessions/{id}/events | /events/sse\n"
    "  GET  /v1/sessions/{id}/todos | /subagents | /diff[?format=files]\n"
    "  POST /v1/sessions/{id}/questions/{qid}/reply | /reject\n"
    "  POST /v1/sessions/{id}/permissions/{pid}/reply\n"
    "  /v1/fs/entries | file | entry | mkdir | move | stat | upload-batch\n"
    "  GET  /metrics (Prometheus text format)\n"
    "  GET  /ui/  (the inspector)\n"
    "  /opencode/...  (an OpenCode-compatible API: opencode attach URL/opencode)\n";

void rt_not_found(struct evhttp_request *req)
{
    char buf[sizeof banner + 32];
    snprintf(buf, sizeof buf, "404 Not Found\n\n%s", banner);
    http_text(req, 404, buf);
}

void rt_method_not_allowed(struct evhttp_request *req, const char *allow)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
    http_text(req, 405, "405 Method Not Allowed\n");
}

void rt_unprocessable(struct evhttp_request *req, const char *fmt, ...)
{
    char msg[512], detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(detail, sizeof detail, "invalid request: %s", msg);
    http_problem(req, HTTP_ERR_INVALID_REQUEST, 422, detail, NULL);
}

static int method_of(struct evhttp_request *req)
{
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: return M_GET;
    case EVHTTP_REQ_HEAD: return M_GET;
    case EVHTTP_REQ_POST: return M_POST;
    case EVHTTP_REQ_PUT: return M_PUT;
    case EVHTTP_REQ_DELETE: return M_DELETE;
    case EVHTTP_REQ_OPTIONS: return M_OPTIONS;
    case EVHTTP_REQ_PATCH: return M_PATCH;
    default: return M_OTHER;
    }
}

static void session_not_found(struct evhttp_request *req, const char *id)
{
    char detail[600];
    snprintf(detail, sizeof detail, "session not found: %.500s", id);
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "sessionId", id);
    http_problem(req, HTTP_ERR_SESSION_NOT_FOUND, 0, detail, ext);
}

static void sse_route(srv *s, struct evhttp_request *req, srv_session *ss)
{
    (void)s;
    struct evkeyvalq q;
    http_query(req, &q);
    uint64_t after = 0, v;
    const char *off = http_query_get(&q, "offset", NULL);
    if (off && !sa_parse_u64(off, UINT64_MAX, &after)) {
        evhttp_clear_headers(&q);
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: offset must be a non-negative integer");
        return;
    }
    bool raw = http_query_bool(&q, "include_raw", "includeRaw");
    evhttp_clear_headers(&q);
    const char *last = evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
    if (last && sa_parse_u64(last, UINT64_MAX, &v) && v > after) after = v;
    sse_open(ss, req, after, raw, false);
}

static void sessions_route(srv *s, struct evhttp_request *req, char **seg, int n, int m)
{
    if (n == 2) {
        if (m != M_GET) { rt_method_not_allowed(req, "GET"); return; }
        ses_list(s, req);
        return;
    }
    const char *id = seg[2];
    const char *allow = NULL;
    enum { R_NONE, R_CREATE, R_INFO, R_DELETE, R_MSG, R_STREAM, R_TERM, R_EVENTS, R_SSE, R_QREPLY, R_QREJECT, R_PREPLY, R_TODOS, R_SUBAGENTS, R_DIFF } r = R_NONE;
    if (n == 3) {
        allow = "GET, POST, DELETE";
        r = m == M_POST ? R_CREATE : m == M_GET ? R_INFO : m == M_DELETE ? R_DELETE : R_NONE;
    }
    else if (n == 4 && !strcmp(seg[3], "messages")) { allow = "POST"; r = m == M_POST ? R_MSG : R_NONE; }
    else if (n == 4 && !strcmp(seg[3], "terminate")) { allow = "POST"; r = m == M_POST ? R_TERM : R_NONE; }
    else if (n == 4 && !strcmp(seg[3], "events")) { allow = "GET"; r = m == M_GET ? R_EVENTS : R_NONE; }
    else if (n == 4 && !strcmp(seg[3], "todos")) { allow = "GET"; r = m == M_GET ? R_TODOS : R_NONE; }
    else if (n == 4 && !strcmp(seg[3], "subagents")) { allow = "GET"; r = m == M_GET ? R_SUBAGENTS : R_NONE; }
    else if (n == 4 && !strcmp(seg[3], "diff")) { allow = "GET"; r = m == M_GET ? R_DIFF : R_NONE; }
    else if (n == 5 && !strcmp(seg[3], "messages") && !strcmp(seg[4], "stream")) { allow = "POST"; r = m == M_POST ? R_STREAM : R_NONE; }
    else if (n == 5 && !strcmp(seg[3], "events") && !strcmp(seg[4], "sse")) { allow = "GET"; r = m == M_GET ? R_SSE : R_NONE; }
    else if (n == 6 && !strcmp(seg[3], "questions") && !strcmp(seg[5], "reply")) { allow = "POST"; r = m == M_POST ? R_QREPLY : R_NONE; }
    else if (n == 6 && !strcmp(seg[3], "questions") && !strcmp(seg[5], "reject")) { allow = "POST"; r = m == M_POST ? R_QREJECT : R_NONE; }
    else if (n == 6 && !strcmp(seg[3], "permissions") && !strcmp(seg[5], "reply")) { allow = "POST"; r = m == M_POST ? R_PREPLY : R_NONE; }
    if (!allow) { rt_not_found(req); return; }
    if (r == R_NONE) { rt_method_not_allowed(req, allow); return; }
    if (r == R_CREATE) { ses_create(s, req, id); return; }
    /* A session without a pipeline of ours may be written by another
     * process (a shell pipeline on the same store): answer with what it
     * stored up to now; so for an id not known yet.  One cheap data-version
     * query when nothing changed. */
    srv_session *ss = ses_find(s, id);
    if (!ss || !ss->pipe) { ses_sync(s); ss = ses_find(s, id); }
    if (!ss) { session_not_found(req, id); return; }
    switch (r) {
    case R_INFO: http_json(req, 200, ses_info(ss)); break;
    case R_DELETE: ses_delete(s, req, ss); break;
    case R_MSG: turn_message(s, req, ss, false); break;
    case R_STREAM: turn_message(s, req, ss, true); break;
    case R_TERM: turn_terminate(s, req, ss); break;
    case R_EVENTS: ses_events(s, req, ss); break;
    case R_SSE: sse_route(s, req, ss); break;
    case R_QREPLY: turn_question(s, req, ss, seg[4], false); break;
    case R_QREJECT: turn_question(s, req, ss, seg[4], true); break;
    case R_PREPLY: turn_permission_reply(s, req, ss, seg[4]); break;
    case R_TODOS: ses_todos_get(s, req, ss); break;
    case R_SUBAGENTS: ses_subagents_get(s, req, ss); break;
    case R_DIFF: ses_diff_get(s, req, ss); break;
    default: rt_not_found(req); break;
    }
}

static const char *fs_session_dir(const char *session_id, void *ctx, bool *found)
{
    srv_session *ss = ses_find(ctx, session_id);
    *found = ss != NULL;
    return ss ? ss->directory : NULL;
}

static void token_invalid(struct evhttp_request *req)
{
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(ext, "details"), "message", "missing or invalid token");
    http_problem(req, HTTP_ERR_TOKEN_INVALID, 0, "token invalid", ext);
}

static const char *method_name(enum evhttp_cmd_type c)
{
    switch (c) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_PATCH: return "PATCH";
    default: return "OTHER";
    }
}

void rt_log_request(struct evhttp_request *req, int code, const char *note)
{
    const char *t = evhttp_find_header(evhttp_request_get_input_headers(req), LOG_HDR);
    if (!t) return;                                /* not armed (log level below 2) */
    uint64_t start = 0;
    double ms = t && sa_parse_u64(t, UINT64_MAX, &start) ? (double)(sa_time_mono_us() - (int64_t)start) / 1000.0 : -1;
    sa_info("%s %.300s %d %.1f ms%s%s", method_name(evhttp_request_get_command(req)), evhttp_request_get_uri(req),
            code ? code : evhttp_request_get_response_code(req), ms, note ? ", " : "", note ? note : "");
}

static void on_request_done(struct evhttp_request *req, void *arg)
{
    (void)arg;
    rt_log_request(req, 0, NULL);
}

static void log_arm(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    char v[32];
    while (evhttp_remove_header(h, LOG_HDR) == 0) {}
    snprintf(v, sizeof v, "%lld", (long long)sa_time_mono_us());
    evhttp_add_header(h, LOG_HDR, v);
    evhttp_request_set_on_complete_cb(req, on_request_done, NULL);
}

void rt_handle(struct evhttp_request *req, void *arg)
{
    srv *s = arg;
    if (sa_log_level() >= 2) log_arm(req);
    if (s->stopping) { evhttp_send_error(req, 503, "shutting down"); return; }
    if (!acc_browser_guard(s, req)) return;
    if (acc_cors(s, req)) return;
    int m = method_of(req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path || !*path) path = "/";
    char *seg[MAX_SEG];
    int n = 0;
    bool too_many = false;
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == MAX_SEG) { too_many = true; break; }
        char *raw = strndup(p, len);
        seg[n] = raw ? evhttp_uridecode(raw, 0, NULL) : NULL;
        free(raw);
        if (!seg[n]) { too_many = true; break; }
        n++;
        p += len;
    }
    if (too_many) { rt_not_found(req); goto out; }
    if (n == 0) {
        if (m == M_GET) http_text(req, 200, banner);
        else rt_method_not_allowed(req, "GET");
        goto out;
    }
    if (n == 1 && !strcmp(seg[0], "metrics")) {
        if (!acc_auth_ok(s, req)) { token_invalid(req); goto out; }
        if (m != M_GET) { rt_method_not_allowed(req, "GET"); goto out; }
        met_route(s, req);
        goto out;
    }
    if (!strcmp(seg[0], "ui") && !strncmp(path, "/ui", 3) && (!path[3] || path[3] == '/')) {
        ui_route(s, req, path, m);
        goto out;
    }
    if (!strcmp(seg[0], "opencode")) {   /* oc_compat.c; v0.1.11 keeps it under the token */
        int rc = acc_auth(s, req, m == M_GET ? SEC_VIEWER : SEC_MEMBER, &rt_actor);
        if (rc == 401) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Basic realm=\"sa\"");
            token_invalid(req);
        } else if (rc == 403) http_problem(req, HTTP_ERR_PERMISSION_DENIED, 403, "permission denied", NULL);
        else oc_route(s, req, seg, n, m);
        goto out;
    }
    if (strcmp(seg[0], "v1") || n < 2) { rt_not_found(req); goto out; }
    const char *top = seg[1];
    if (!strcmp(top, "health") && n == 2) {
        if (m != M_GET) { rt_method_not_allowed(req, "GET"); goto out; }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "ok");
        cJSON_AddStringToObject(o, "sandbox", s->sandbox);     /* additive: what agents run in */
        http_json(req, 200, o);
        goto out;
    }
    bool known = !strcmp(top, "agents") || !strcmp(top, "sessions") || !strcmp(top, "fs") ||
                 (!strcmp(top, "openapi.json") && n == 2) ||
                 (!strcmp(top, "config") && n == 3 && (!strcmp(seg[2], "mcp") || !strcmp(seg[2], "skills")));
    if (!known) { rt_not_found(req); goto out; }
    {
        int need = sec_required_role(m, seg, n), rc = acc_auth(s, req, need, &rt_actor);
        if (rc == 401) { token_invalid(req); goto out; }
        if (rc == 403) {
            char d[200];
            snprintf(d, sizeof d, "permission denied: this needs the %s role", sec_role_name(need));
            http_problem(req, HTTP_ERR_PERMISSION_DENIED, 403, d, NULL);
            goto out;
        }
    }
    if (!strcmp(top, "openapi.json")) {
        if (m != M_GET) { rt_method_not_allowed(req, "GET"); goto out; }
#ifdef HAVE_OPENAPI
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        struct evbuffer *b = evbuffer_new();
        evbuffer_add_reference(b, openapi_json(), strlen(openapi_json()), NULL, NULL);
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
#else
        rt_not_found(req);
#endif
        goto out;
    }
    if (!strcmp(top, "config")) { cfg_route(s, req, seg[2], m); goto out; }
    if (!strcmp(top, "agents")) { ag_route(s, req, seg, n, m); goto out; }
    if (!strcmp(top, "sessions")) { sessions_route(s, req, seg, n, m); goto out; }
    /* fs: hand over the raw sub-path after "/v1/fs" */
    const char *sub = strstr(path, "/fs");
    sub = sub ? sub + 3 : "";
    fs_config fc = {.root = s->cfg.fs_root, .max_body = s->cfg.max_body, .session_dir = fs_session_dir, .ctx = s,
                    .protect = (const char *const *)s->protect};
    fs_route(req, sub, &fc);
out:
    rt_actor = NULL;
    for (int i = 0; i < n; i++) free(seg[i]);
}
