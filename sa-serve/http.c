/*
 * http.c — response helpers for sa-serve on libevent's evhttp: JSON bodies,
 * problem-details errors shaped exactly like sandbox-agent v0.1.11's
 * (reference §1.3), query strings, and request bodies under a size limit.
 *
 * How it works: one static table maps each http_err to its snake name (the
 * tail of the type URN), title and status.  A problem body is built as
 * {type,title,status,detail} followed by the members of an optional
 * extension object moved (not copied) to the top level, printed compactly
 * and sent as application/json (v0.1.11 does not use
 * application/problem+json).  Queries are parsed by hand so that a bare
 * flag such as "?recursive" is accepted (evhttp_parse_query_str rejects the
 * whole string then).
 *
 * Ownership: see http.h — cJSON arguments are consumed; the evkeyvalq owns
 * the strings it holds; http_body's buffer belongs to the caller.
 */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

static const struct {
    const char *name, *title;
    int status;
} err_table[] = {
    [HTTP_ERR_INVALID_REQUEST]        = {"invalid_request", "Invalid Request", 400},
    [HTTP_ERR_UNSUPPORTED_AGENT]      = {"unsupported_agent", "Unsupported Agent", 400},
    [HTTP_ERR_AGENT_NOT_INSTALLED]    = {"agent_not_installed", "Agent Not Installed", 404},
    [HTTP_ERR_INSTALL_FAILED]         = {"install_failed", "Install Failed", 500},
    [HTTP_ERR_AGENT_PROCESS_EXITED]   = {"agent_process_exited", "Agent Process Exited", 500},
    [HTTP_ERR_TOKEN_INVALID]          = {"token_invalid", "Token Invalid", 401},
    [HTTP_ERR_PERMISSION_DENIED]      = {"permission_denied", "Permission Denied", 403},
    [HTTP_ERR_SESSION_NOT_FOUND]      = {"session_not_found", "Session Not Found", 404},
    [HTTP_ERR_SESSION_ALREADY_EXISTS] = {"session_already_exists", "Session Already Exists", 409},
    [HTTP_ERR_MODE_NOT_SUPPORTED]     = {"mode_not_supported", "Mode Not Supported", 400},
    [HTTP_ERR_STREAM_ERROR]           = {"stream_error", "Stream Error", 502},
    [HTTP_ERR_TIMEOUT]                = {"timeout", "Timeout", 504},
    [HTTP_ERR_PAYLOAD_TOO_LARGE]      = {"payload_too_large", "Payload Too Large", 413},
};
#define N_ERRS (sizeof err_table / sizeof err_table[0])

static unsigned err_index(http_err err)
{
    unsigned i = (unsigned)err;
    return i < N_ERRS ? i : (unsigned)HTTP_ERR_STREAM_ERROR;
}

const char *http_err_name(http_err err)  { return err_table[err_index(err)].name; }
const char *http_err_title(http_err err) { return err_table[err_index(err)].title; }
int http_err_status(http_err err)        { return err_table[err_index(err)].status; }

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "Unknown";
    }
}

cJSON *http_problem_body(http_err err, int status_override, const char *detail, cJSON *ext)
{
    char type[96];
    int status = status_override ? status_override : http_err_status(err);
    snprintf(type, sizeof type, "urn:sandbox-agent:error:%s", http_err_name(err));
    cJSON *o = cJSON_CreateObject();
    if (!o) { cJSON_Delete(ext); return NULL; }
    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddStringToObject(o, "title", http_err_title(err));
    cJSON_AddNumberToObject(o, "status", status);
    if (detail) cJSON_AddStringToObject(o, "detail", detail);
    if (cJSON_IsObject(ext)) {
        cJSON *c;
        while ((c = ext->child) != NULL) {
            cJSON_DetachItemViaPointer(ext, c);
            const char *k = c->string ? c->string : "";
            if (!strcmp(k, "type") || !strcmp(k, "title") || !strcmp(k, "status") ||
                !strcmp(k, "detail") || cJSON_GetObjectItemCaseSensitive(o, k)) {
                cJSON_Delete(c);
                continue;
            }
            /* cJSON duplicates the key before freeing the item's old one. */
            cJSON_AddItemToObject(o, k, c);
        }
    }
    cJSON_Delete(ext);
    return o;
}

static void send_buf(struct evhttp_request *req, int status, const char *ctype,
                     const char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_remove_header(h, "Content-Type");
    evhttp_add_header(h, "Content-Type", ctype);
    struct evbuffer *b = evbuffer_new();
    if (b && len) evbuffer_add(b, body, len);
    evhttp_send_reply(req, status, http_reason(status), b);
    if (b) evbuffer_free(b);
}

void http_json(struct evhttp_request *req, int status, cJSON *body)
{
    if (!status) status = 200;
    char *s = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!s) {
        http_text(req, 500, "out of memory\n");
        return;
    }
    send_buf(req, status, "application/json", s, strlen(s));
    free(s);
}

void http_problem(struct evhttp_request *req, http_err err, int status_override,
                  const char *detail, cJSON *ext)
{
    cJSON *o = http_problem_body(err, status_override, detail, ext);
    http_json(req, status_override ? status_override : http_err_status(err), o);
}

void http_problemf(struct evhttp_request *req, http_err err, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    http_problem(req, err, 0, detail, NULL);
}

void http_no_content(struct evhttp_request *req)
{
    evhttp_send_reply(req, 204, "No Content", NULL);
}

void http_text(struct evhttp_request *req, int status, const char *text)
{
    if (!status) status = 200;
    send_buf(req, status, "text/plain; charset=utf-8", text ? text : "", text ? strlen(text) : 0);
}

/* ---- queries ---- */

static bool value_ok(const char *s, size_t len)
{
    if (strlen(s) != len) return false;             /* embedded NUL */
    for (size_t i = 0; i < len; i++)
        if ((s[i] == '\r' || s[i] == '\n')) return false;
    return true;
}

void http_query_parse(const char *qs, struct evkeyvalq *q)
{
    if (!qs) return;
    char *copy = strdup(qs);
    if (!copy) return;
    char *save = NULL;
    for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        const char *rawv = "";
        if (eq) { *eq = '\0'; rawv = eq + 1; }
        size_t klen = 0, vlen = 0;
        char *k = evhttp_uridecode(pair, 1, &klen);
        char *v = evhttp_uridecode(rawv, 1, &vlen);
        if (k && v && klen > 0 && value_ok(k, klen) && value_ok(v, vlen))
            evhttp_add_header(q, k, v);
        free(k);
        free(v);
    }
    free(copy);
}

void http_query(struct evhttp_request *req, struct evkeyvalq *q)
{
    q->tqh_first = NULL;             /* TAILQ_INIT, spelled out: sys/queue.h is not included */
    q->tqh_last = &q->tqh_first;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    http_query_parse(u ? evhttp_uri_get_query(u) : NULL, q);
}

const char *http_query_get(struct evkeyvalq *q, const char *name, const char *alias)
{
    const char *v = name ? evhttp_find_header(q, name) : NULL;
    if (!v && alias) v = evhttp_find_header(q, alias);
    return v;
}

bool http_query_bool(struct evkeyvalq *q, const char *name, const char *alias)
{
    const char *v = http_query_get(q, name, alias);
    if (!v) return false;
    return !*v || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes");
}

/* ---- bodies ---- */

char *http_body(struct evhttp_request *req, size_t max_body, size_t *len_out)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = in ? evbuffer_get_length(in) : 0;
    if (len > max_body) {
        char detail[128];
        snprintf(detail, sizeof detail, "payload too large: body exceeds %zu bytes", max_body);
        http_problem(req, HTTP_ERR_PAYLOAD_TOO_LARGE, 0, detail, NULL);
        return NULL;
    }
    char *buf = malloc(len + 1);
    if (!buf) {
        http_problem(req, HTTP_ERR_STREAM_ERROR, 500, "stream error: out of memory", NULL);
        return NULL;
    }
    if (len && evbuffer_copyout(in, buf, len) != (ev_ssize_t)len) {
        free(buf);
        http_problem(req, HTTP_ERR_STREAM_ERROR, 0, "stream error: cannot read request body", NULL);
        return NULL;
    }
    buf[len] = '\0';
    if (len_out) *len_out = len;
    return buf;
}

/* application/json or application/<x>+json, any case, parameters ignored. */
static bool is_json_type(const char *ct)
{
    if (!ct) return false;
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, "; \t");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0) return true;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

cJSON *http_body_json(struct evhttp_request *req, size_t max_body)
{
    /* As v0.1.11 (axum's Json extractor): a JSON body must say so, else 415. */
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!is_json_type(ct)) {
        http_problem(req, HTTP_ERR_INVALID_REQUEST, 415,
                     "invalid request: expected a request body with Content-Type: application/json", NULL);
        return NULL;
    }
    size_t len = 0;
    char *body = http_body(req, max_body, &len);
    if (!body) return NULL;
    cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
    free(body);
    if (!j) {
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: %s",
                      len ? "body is not valid JSON" : "request body is empty");
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: body must be a JSON object");
        return NULL;
    }
    return j;
}
