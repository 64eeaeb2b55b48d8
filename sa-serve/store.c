/*
 * store.c — sa-serve's own use of the event store (lib/sa_store): opening
 * it, paging through a session's history for polling and SSE catch-up, and
 * appending the daemon's session.ended when a terminated pipeline died
 * before storing one (and the `error` event saying that a session's
 * sa-store failed, once the store takes writes again), and summing a loaded session's stored usage.  sa-serve never appends while the session's sa-store
 * process is alive (the store assigns sequences; one writer per session).
 *
 * Ownership: the sa_store handle belongs to srv (closed in sst_close); event
 * lists are freed here before returning, so callback arguments are only
 * valid during the callback.
 */
#include "serve.h"
#include "sa_store.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sst_open(srv *s)
{
    char err[256] = "";
    sa_store *st = NULL;
    int rc = sa_store_open(s->cfg.db_path, 0, 0, &st, err, sizeof err);
    if (rc != SA_STORE_OK) {
        char shown[512];
        if (err[0]) sa_warnx("cannot open database %s", err);     /* "PATH: why", password hidden */
        else sa_warnx("cannot open database %s: %s", sa_store_display(s->cfg.db_path, shown, sizeof shown),
                      sa_store_rc_name(rc));
        return -1;
    }
    s->store = st;
    /* an event loop must not wait for a stopped server: bound every query */
    if (sa_store_set_call_timeout(st, s->cfg.store_timeout_ms) != SA_STORE_OK)
        sa_warnx("database: going on without a query time limit: %s", sa_store_errmsg(st));
    return 0;
}

void sst_problem(struct evhttp_request *req, srv *s, int rc, const char *what)
{
    char detail[700];
    snprintf(detail, sizeof detail, "stream error: %s%s%s", what ? what : "", what ? ": " : "",
             sa_store_errmsg(s->store));
    if (rc == SA_STORE_UNAVAILABLE) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        http_problem(req, HTTP_ERR_STREAM_ERROR, 503, detail, NULL);
    } else {
        http_problem(req, HTTP_ERR_STREAM_ERROR, 0, detail, NULL);
    }
}

void sst_close(srv *s)
{
    sa_store_close(s->store);
    s->store = NULL;
}

long sst_read(srv *s, const char *id, uint64_t after, size_t limit, bool raw, bool *has_more,
              sst_event_cb cb, void *arg)
{
    sa_event_list l = {0};
    int rc = sa_store_read(s->store, id, after, limit, raw, &l);
    if (rc == SA_STORE_NOTFOUND) {
        if (has_more) *has_more = false;
        return 0;
    }
    if (rc != SA_STORE_OK) {
        sa_warnx("reading events of %s: %s", id, sa_store_errmsg(s->store));
        return -1;
    }
    if (has_more) *has_more = l.has_more;
    long n = 0;
    for (size_t i = 0; i < l.n; i++) {
        n++;
        if (cb && cb(l.v[i].sequence, l.v[i].json, l.v[i].len, l.v[i].raw_off, l.v[i].type, arg))
            break;
    }
    sa_event_list_free(&l);
    return n;
}

/* Append one synthetic daemon event of `type` with `data` (taken) to the
 * session and feed the stored line to the fan-out.  0 or -1. */
static int append_daemon(srv_session *ss, const char *type, cJSON *data)
{
    srv *s = ss->srv;
    char now[40];
    sa_time_rfc3339(now, sizeof now);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "time", now);
    cJSON_AddStringToObject(ev, "session_id", ss->id);
    if (ss->native_id) cJSON_AddStringToObject(ev, "native_session_id", ss->native_id);
    else cJSON_AddNullToObject(ev, "native_session_id");
    cJSON_AddBoolToObject(ev, "synthetic", true);
    cJSON_AddStringToObject(ev, "source", "daemon");
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddItemToObject(ev, "data", data);
    cJSON_AddNullToObject(ev, "raw");
    sa_event_list out = {0};
    int rc = sa_store_append(s->store, ss->id, &ev, 1, &out);
    cJSON_Delete(ev);
    if (rc != SA_STORE_OK) {
        sa_warnx("storing %s for %s: %s", type, ss->id, sa_store_errmsg(s->store));
        return -1;
    }
    for (size_t i = 0; i < out.n; i++) sse_intake(ss, out.v[i].json, out.v[i].len);
    sse_flush(ss);
    sa_event_list_free(&out);
    return 0;
}

int sst_append_started(srv_session *ss)
{
    cJSON *data = cJSON_CreateObject(), *m = cJSON_AddObjectToObject(data, "metadata");
    cJSON_AddStringToObject(m, "agent", ss->agent);
    cJSON_AddStringToObject(m, "agentMode", ss->agent_mode);
    cJSON_AddStringToObject(m, "permissionMode", ss->permission_mode);
    if (ss->model) cJSON_AddStringToObject(m, "model", ss->model); else cJSON_AddNullToObject(m, "model");
    if (ss->variant) cJSON_AddStringToObject(m, "variant", ss->variant); else cJSON_AddNullToObject(m, "variant");
    cJSON_AddStringToObject(m, "sandbox", ss->srv->sandbox);    /* what the agent runs in */
    return append_daemon(ss, "session.started", data);
}

int sst_append_terminated(srv_session *ss)
{
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "reason", "terminated");
    cJSON_AddStringToObject(data, "terminated_by", "daemon");
    return append_daemon(ss, "session.ended", data);
}

int sst_reject_stale(srv_session *ss, const char *requested_json, size_t len)
{
    cJSON *ev = cJSON_ParseWithLength(requested_json, len);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(ev, "data");
    int rc = -1;
    if (type && cJSON_IsObject(data)) {
        bool q = strcmp(type, "question.requested") == 0;
        cJSON_ReplaceItemInObjectCaseSensitive(data, "status", cJSON_CreateString(q ? "rejected" : "reject"));
        if (q) cJSON_ReplaceItemInObjectCaseSensitive(data, "response", cJSON_CreateNull());
        rc = append_daemon(ss, q ? "question.resolved" : "permission.resolved", data);
        data = NULL;
    }
    cJSON_Delete(data);
    cJSON_Delete(ev);
    return rc;
}

int sst_store_failure(srv_session *ss)
{
    if (!ss->store_failed) return 0;
    char msg[200];
    snprintf(msg, sizeof msg, "the event store could not be written (sa-store exited with status %d); "
             "events of the agent after sequence %llu were not stored", ss->store_failed,
             (unsigned long long)ss->last_seq);
    cJSON *data = cJSON_CreateObject(), *d;
    cJSON_AddStringToObject(data, "message", msg);
    cJSON_AddStringToObject(data, "code", "store_failed");
    d = cJSON_AddObjectToObject(data, "details");
    cJSON_AddNumberToObject(d, "exitCode", ss->store_failed);
    cJSON_AddNumberToObject(d, "afterSequence", (double)ss->last_seq);
    if (append_daemon(ss, "error", data) < 0) return -1;
    ss->store_failed = 0;
    return 0;
}

int sst_load_usage(srv_session *ss)
{
    srv *s = ss->srv;
    uint64_t after = 0;
    for (;;) {
        sa_event_list l = {0};
        int rc = sa_store_read_type(s->store, ss->id, "turn.ended", after, SRV_PAGE, false, &l);
        if (rc == SA_STORE_NOTFOUND) return 0;
        if (rc != SA_STORE_OK) {
            sa_warnx("reading the usage of %s: %s", ss->id, sa_store_errmsg(s->store));
            return -1;
        }
        bool more = l.has_more;
        for (size_t i = 0; i < l.n; i++) {
            if (l.v[i].sequence > ss->last_seq) { more = false; break; }
            cJSON *ev = cJSON_ParseWithLength(l.v[i].json, l.v[i].len);
            ses_usage_add(ss, ev);
            cJSON_Delete(ev);
            after = l.v[i].sequence;
        }
        sa_event_list_free(&l);
        if (!more) return 0;
    }
}
