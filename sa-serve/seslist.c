/*
 * seslist.c — GET /v1/sessions: every session's SessionInfo, newest first,
 * as {"sessions":[...]} (sandbox-agent v0.1.11 has no paging, so neither
 * has this).
 *
 * How: the ids are copied and sorted by creation time at the request; the
 * reply is then written SL_BATCH SessionInfos at a time.  A small list goes
 * out in one reply.  A longer one is a chunked reply: each batch is one
 * chunk, and the next batch is made only when the previous one has left the
 * connection's output buffer (evhttp_send_reply_chunk_with_cb), so the
 * server holds one batch of JSON per listing client (not the whole list:
 * 40 MB at 100,000 sessions) and the event loop serves other requests
 * between batches (reading a session's totals the first time costs a few
 * store queries each).  A session deleted while the list is being written
 * is left out; one created meanwhile is not in it.
 *
 * Ownership: a listing (sl_list) owns its id copies and buffer; it is
 * freed when the last chunk is sent or when the client goes away (close
 * callback).
 */
#include "serve.h"
#include "http.h"

#include <stdlib.h>
#include <string.h>

#define SL_BATCH 256

typedef struct sl_list {
    srv *s;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    char **ids;
    size_t n, next;
    bool any;                      /* a SessionInfo has been printed */
    struct evbuffer *buf;
} sl_list;

static int by_created_desc(const void *a, const void *b)
{
    const srv_session *x = *(srv_session *const *)a, *y = *(srv_session *const *)b;
    return x->created_ms < y->created_ms ? 1 : x->created_ms > y->created_ms ? -1 : 0;
}

static void sl_free(sl_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->ids[i]);
    free(l->ids);
    if (l->buf) evbuffer_free(l->buf);
    free(l);
}

/* Print the next batch into l->buf; the closing "]}" after the last. */
static void sl_fill(sl_list *l)
{
    size_t end = l->next + SL_BATCH < l->n ? l->next + SL_BATCH : l->n;
    for (; l->next < end; l->next++) {
        srv_session *ss = ses_find(l->s, l->ids[l->next]);   /* NULL: deleted meanwhile */
        cJSON *o = ss ? ses_info(ss) : NULL;
        char *t = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!t) continue;
        if (l->any) evbuffer_add(l->buf, ",", 1);
        l->any = true;
        evbuffer_add(l->buf, t, strlen(t));
        free(t);
    }
    if (l->next == l->n) evbuffer_add(l->buf, "]}", 2);
}

static void sl_on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    sl_list *l = arg;
    /* the request was detached from the dying connection: ending it frees it */
    if (evhttp_request_get_connection(l->req) == NULL) evhttp_send_reply_end(l->req);
    sl_free(l);
}

static void sl_on_drain(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    sl_list *l = arg;
    if (l->next == l->n) {                     /* the "]}" chunk is out */
        evhttp_connection_set_closecb(l->evcon, NULL, NULL);
        evhttp_send_reply_end(l->req);
        sl_free(l);
        return;
    }
    sl_fill(l);
    evhttp_send_reply_chunk_with_cb(l->req, l->buf, sl_on_drain, l);
}

void ses_list(srv *s, struct evhttp_request *req)
{
    ses_sync(s);
    sl_list *l = calloc(1, sizeof *l);
    srv_session **v = calloc(s->n_sessions + 1, sizeof *v);
    if (!l || !v || !(l->ids = calloc(s->n_sessions + 1, sizeof *l->ids)) || !(l->buf = evbuffer_new())) {
        free(v);
        if (l) sl_free(l);
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory");
        return;
    }
    size_t n = 0;
    for (srv_session *ss = s->sessions; ss; ss = ss->next)
        if (!ss->delete_req) v[n++] = ss;
    /* reverse first so equal timestamps list the newest first after the sort */
    for (size_t i = 0; i < n / 2; i++) { srv_session *t = v[i]; v[i] = v[n - 1 - i]; v[n - 1 - i] = t; }
    if (n > 1) qsort(v, n, sizeof *v, by_created_desc);
    for (size_t i = 0; i < n; i++) {
        if (!(l->ids[i] = strdup(v[i]->id))) break;
        l->n = i + 1;
    }
    free(v);
    if (l->n < n) {
        sl_free(l);
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory");
        return;
    }
    l->s = s;
    l->req = req;
    l->evcon = evhttp_request_get_connection(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer_add(l->buf, "{\"sessions\":[", 13);
    if (l->n <= SL_BATCH || evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || !l->evcon) {
        while (l->next < l->n) sl_fill(l);
        if (!l->n) evbuffer_add(l->buf, "]}", 2);   /* sl_fill adds it after the last */
        evhttp_send_reply(req, 200, "OK", l->buf);
        sl_free(l);
        return;
    }
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(l->evcon, sl_on_close, l);
    sl_fill(l);
    evhttp_send_reply_chunk_with_cb(req, l->buf, sl_on_drain, l);
}
