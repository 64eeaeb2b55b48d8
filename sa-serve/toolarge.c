/*
 * toolarge.c — libevent's own 413 (a body over --max-body, refused before
 * any handler runs) sent as problem details like every other error.
 *
 * Why this way: libevent 2.1.12 refuses such a request inside the
 * connection (evhttp_connection_fail_ → evhttp_send_error with its fixed
 * HTML page) and has no hook for it: evhttp_set_newreqcb and
 * evhttp_set_errorcb are 2.2 additions, and the request header callback can
 * only be set on a request object we never see before its body is read.
 * What 2.1.12 does offer is evhttp_set_bevcb: we make each connection's
 * bufferevent ourselves, so we can watch its output evbuffer.
 *
 * How it works: an evbuffer callback on each connection's output notices
 * the one status line only libevent writes, "HTTP/1.x 413 Request Entity
 * Too Large" (sa's own 413 says "Payload Too Large"), remembers where it
 * starts and, once the headers and the Content-Length bytes of the HTML
 * page have been added (all within one synchronous evhttp_send, before any
 * byte is written to the socket), replaces that response with the problem
 * body (urn:sandbox-agent:error:payload_too_large, Connection: close, as
 * libevent closes after it).  One pending rewrite at a time is enough for
 * that reason, so the state is one static struct.  Responses written by sa's
 * handlers go through untouched; the bufferevent is the plain socket one
 * evhttp would make (SSE flow control sees the same output buffer).
 *
 * Ownership: the bufferevent belongs to evhttp's connection (freed with it,
 * and the callback with its evbuffer); tl_cfg is borrowed for the process.
 */
#include "toolarge.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

static const char STATUS_TAIL[] = " 413 Request Entity Too Large\r\n";

static struct {
    struct evbuffer *buf;     /* the output holding libevent's 413, or NULL */
    size_t start;             /* where its status line begins */
    char version[9];          /* "HTTP/1.1" */
    bool busy;                /* we are changing buf: ignore our own callbacks */
} pend;
static size_t tl_max_body;

/* The complete response at pend.start, once all of it is there: its length, else 0. */
static size_t response_len(struct evbuffer *b)
{
    size_t have = evbuffer_get_length(b) - pend.start;
    struct evbuffer_ptr p;
    if (evbuffer_ptr_set(b, &p, pend.start, EVBUFFER_PTR_SET) < 0) return 0;
    struct evbuffer_ptr end = evbuffer_search(b, "\r\n\r\n", 4, &p);
    if (end.pos < 0) return 0;
    size_t head = (size_t)end.pos + 4 - pend.start;
    if (head > 4096) return 0;
    char h[4097];
    if (evbuffer_copyout_from(b, &p, h, head) != (ev_ssize_t)head) return 0;
    h[head] = '\0';
    const char *cl = strcasestr(h, "\r\nContent-Length:");
    size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
    return have >= head + body ? head + body : 0;
}

static void rewrite(struct evbuffer *b, size_t len)
{
    char detail[128];
    snprintf(detail, sizeof detail, "payload too large: body exceeds %zu bytes", tl_max_body);
    cJSON *o = http_problem_body(HTTP_ERR_PAYLOAD_TOO_LARGE, 0, detail, NULL);
    char *json = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!json) return;                   /* out of memory: libevent's page stays */
    struct evbuffer *keep = evbuffer_new();
    if (!keep) { free(json); return; }
    pend.busy = true;
    evbuffer_remove_buffer(b, keep, pend.start);    /* what was queued before it */
    evbuffer_drain(b, len);
    evbuffer_prepend_buffer(b, keep);
    evbuffer_add_printf(b, "%s 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                        pend.version, strlen(json), json);
    pend.busy = false;
    evbuffer_free(keep);
    free(json);
}

static void on_output(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
    (void)arg;
    if (pend.busy) return;
    if (pend.buf == b) {
        if (info->n_deleted) { pend.buf = NULL; return; }     /* never during one send */
        size_t len = response_len(b);
        if (len) { pend.buf = NULL; rewrite(b, len); }
        return;
    }
    /* a status line is added by one evbuffer_add_printf */
    size_t n = info->n_added;
    if (n != 8 + sizeof STATUS_TAIL - 1) return;
    char line[64];
    struct evbuffer_ptr p;
    if (evbuffer_ptr_set(b, &p, info->orig_size - info->n_deleted, EVBUFFER_PTR_SET) < 0) return;
    if (evbuffer_copyout_from(b, &p, line, n) != (ev_ssize_t)n) return;
    if (strncmp(line, "HTTP/1.", 7) || memcmp(line + 8, STATUS_TAIL, sizeof STATUS_TAIL - 1)) return;
    pend.buf = b;
    pend.start = info->orig_size - info->n_deleted;
    memcpy(pend.version, line, 8);
    pend.version[8] = '\0';
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    (void)arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev) evbuffer_add_cb(bufferevent_get_output(bev), on_output, NULL);
    return bev;
}

void tl_install(struct evhttp *http, size_t max_body)
{
    tl_max_body = max_body;
    evhttp_set_bevcb(http, make_bev, NULL);
}
