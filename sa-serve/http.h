/*
 * http.h — HTTP response helpers for sa-serve (libevent evhttp): JSON bodies,
 * problem-details errors exactly as sandbox-agent v0.1.11 sends them, query
 * strings, request bodies with a size limit.
 *
 * Ownership: functions taking `cJSON *` take ownership and free it.  Strings
 * returned from http_query_get are owned by the evkeyvalq passed in.
 */
#ifndef SA_HTTP_H
#define SA_HTTP_H

#include <stddef.h>
#include <stdbool.h>
#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* The v0.1.11 error types (reference §1.3).  type URN = urn:sandbox-agent:error:<name>. */
typedef enum {
    HTTP_ERR_INVALID_REQUEST,        /* 400 "Invalid Request"   detail "invalid request: {msg}" */
    HTTP_ERR_UNSUPPORTED_AGENT,      /* 400 */
    HTTP_ERR_AGENT_NOT_INSTALLED,    /* 404 */
    HTTP_ERR_INSTALL_FAILED,         /* 500 */
    HTTP_ERR_AGENT_PROCESS_EXITED,   /* 500 */
    HTTP_ERR_TOKEN_INVALID,          /* 401 */
    HTTP_ERR_PERMISSION_DENIED,      /* 403 */
    HTTP_ERR_SESSION_NOT_FOUND,      /* 404 */
    HTTP_ERR_SESSION_ALREADY_EXISTS, /* 409 */
    HTTP_ERR_MODE_NOT_SUPPORTED,     /* 400 */
    HTTP_ERR_STREAM_ERROR,           /* 502 */
    HTTP_ERR_TIMEOUT,                /* 504 */
    HTTP_ERR_PAYLOAD_TOO_LARGE,      /* 413 (sa addition: "urn:sandbox-agent:error:payload_too_large") */
} http_err;

/* Send a problem-details body (Content-Type application/json) built from the
 * error table: {type,title,status,detail, ...ext}.  `detail` is the whole
 * Display string (e.g. "session not found: s1"); `ext` (owned, may be NULL)
 * is an object whose members are flattened into the top level (agent,
 * sessionId, details).  `status_override` 0 = the table's status. */
void http_problem(struct evhttp_request *req, http_err err, int status_override,
                  const char *detail, cJSON *ext);
/* Shorthand: http_problem with a printf-formatted detail and no ext. */
void http_problemf(struct evhttp_request *req, http_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Send `body` (owned) as application/json with status (200 if 0). */
void http_json(struct evhttp_request *req, int status, cJSON *body);
/* Send an empty 204. */
void http_no_content(struct evhttp_request *req);
/* Send text/plain. */
void http_text(struct evhttp_request *req, int status, const char *text);

/* Parse the request's query string into `q` (caller clears with evhttp_clear_headers). */
void http_query(struct evhttp_request *req, struct evkeyvalq *q);
/* First value of `name` or of its alias (either may be NULL). */
const char *http_query_get(struct evkeyvalq *q, const char *name, const char *alias);
/* Query flag true/1/yes (and present-without-value) → true. */
bool http_query_bool(struct evkeyvalq *q, const char *name, const char *alias);

/* Copy the request body into a NUL-terminated malloc'd buffer (caller frees);
 * NULL if it exceeds max_body (and then a 413 problem has been sent). */
char *http_body(struct evhttp_request *req, size_t max_body, size_t *len_out);
/* Parse the body as a JSON object; on failure sends 400 invalid_request (or 413)
 * and returns NULL.  Caller owns the result. */
cJSON *http_body_json(struct evhttp_request *req, size_t max_body);

/* ---- pure pieces (no request needed; used by the above and by unit tests;
 * added by E, additive only) ---- */
/* "invalid_request", ... (the snake name in the type URN). */
const char *http_err_name(http_err err);
/* "Invalid Request", ... */
const char *http_err_title(http_err err);
/* The table's HTTP status (400, 404, ...). */
int http_err_status(http_err err);
/* Standard reason phrase for a status ("Not Found"); "Unknown" if not known. */
const char *http_reason(int status);
/* Build the problem-details object (caller owns); takes ownership of ext.
 * Members of ext named type/title/status/detail are dropped. */
cJSON *http_problem_body(http_err err, int status_override, const char *detail, cJSON *ext);
/* Parse a raw query string ("a=1&b&c=x%20y", '+' = space) into q.  Unlike
 * evhttp_parse_query_str it accepts keys without '=' (value "") and skips
 * only the malformed pairs: empty keys and values that decode to a string
 * with an embedded NUL or a bare CR/LF are dropped. */
void http_query_parse(const char *qs, struct evkeyvalq *q);

#endif
