/*
 * sse.c — committed events in, SSE frames out.
 *
 * Intake: every line sa-store prints (the event is durable by then) goes
 * through sse_intake: evscan finds sequence/type/raw offset without a
 * parse; the line is copied into the session's ring (allocated with the
 * first event the session sees, so idle stored sessions hold none; SRV_RING_SLOTS recent
 * events, at most SRV_RING_BYTES, slot buffers reused), HITL, turn.ended
 * and session.ended lines are parsed to keep the pending map, the usage
 * totals and the end state, and
 * the frame is appended to each live client's batch buffer.  sse_flush
 * sends each batch as one chunk.
 *
 * Slow clients: a client is "live" while its connection's output buffer
 * (plus the batch) is under cfg.client_limit.  Above it the client stops
 * receiving live frames; we only remember `sent`, the last sequence it got.
 * Every chunk is written with evhttp_send_reply_chunk_with_cb, so when the
 * output drains we are called back and catch the client up — from the ring
 * when it still holds the next sequence, else from the store in pages —
 * until it reaches the newest sequence and is live again.  Nothing is lost
 * and memory per client stays bounded by the limit plus one page.  A
 * catch-up read the store fails (PostgreSQL not answering within
 * --store-timeout) leaves the client behind; each heartbeat tries again.
 *
 * SSE sockets get TCP_NODELAY (each flush is one chunk; no Nagle wait) and
 * writes of up to the client limit at once.
 *
 * Frames: "id: <seq>\ndata: <json>\n\n"; raw becomes null (by copying the
 * prefix before ',"raw":') unless include_raw.  Heartbeats are comments.
 *
 * Ownership: clients are owned by their session's list and freed when the
 * connection closes (close callback), the stream ends, or at shutdown.
 */
#include "serve.h"
#include "oc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

struct sse_client {
    srv_session *ss;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    sse_client *next, *prev;
    uint64_t sent;                 /* last sequence written to this client */
    bool raw, live, turn_stream, finished;
    bool end_live;                 /* finish as soon as caught up (pipeline gone) */
    struct evbuffer *pend;         /* frames not yet handed to evhttp */
};

static void client_pump(sse_client *c);

bool sse_terminal_type(const char *t, size_t n)
{
    static const char *const term[] = {"turn.ended", "session.ended", "error", "agent.unparsed",
                                       "permission.requested", "question.requested"};
    for (size_t i = 0; i < sizeof term / sizeof term[0]; i++)
        if (strlen(term[i]) == n && !memcmp(term[i], t, n)) return true;
    return false;
}

void sse_frame(struct evbuffer *out, uint64_t seq, const char *line, size_t len, size_t raw_off,
               bool raw)
{
    static const char tail[] = ",\"raw\":null}";
    char head[40], dig[24];
    size_t dn = 0, hn = 0;
    do { dig[dn++] = (char)('0' + seq % 10); seq /= 10; } while (seq);
    memcpy(head, "id: ", 4);
    hn = 4;
    while (dn) head[hn++] = dig[--dn];
    memcpy(head + hn, "\ndata: ", 7);
    hn += 7;
    bool cut = !raw && raw_off > 0 && raw_off < len;
    size_t body = cut ? raw_off : len, need = hn + body + (cut ? sizeof tail - 1 : 0) + 2;
    /* one reserved block per frame (no evbuffer_add per piece) */
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(out, (ev_ssize_t)need, &v, 1) == 1 && v.iov_len >= need) {
        char *o = v.iov_base;
        memcpy(o, head, hn);
        memcpy(o + hn, line, body);
        o += hn + body;
        if (cut) { memcpy(o, tail, sizeof tail - 1); o += sizeof tail - 1; }
        memcpy(o, "\n\n", 2);
        v.iov_len = need;
        if (evbuffer_commit_space(out, &v, 1) == 0) return;
    }
    evbuffer_add(out, head, hn);
    evbuffer_add(out, line, body);
    if (cut) evbuffer_add(out, tail, sizeof tail - 1);
    evbuffer_add(out, "\n\n", 2);
}

/* ---- ring ---- */

static void ring_put(srv_session *ss, uint64_t seq, const char *line, size_t len, size_t raw_off)
{
    if (!ss->ring && !(ss->ring = calloc(SRV_RING_SLOTS, sizeof *ss->ring))) return;
    ring_slot *sl = &ss->ring[seq % SRV_RING_SLOTS];
    sl->seq = 0;
    if (len > SRV_RING_BYTES / 16 || ss->ring_bytes - sl->cap + len > SRV_RING_BYTES) {
        ss->ring_bytes -= sl->cap;
        free(sl->buf);
        sl->buf = NULL;
        sl->cap = 0;
        return;
    }
    if (sl->cap < len || sl->cap > 4 * len + 4096) {
        size_t ncap = len < 256 ? 256 : len;
        char *nb = realloc(sl->buf, ncap);
        if (!nb) return;
        ss->ring_bytes = ss->ring_bytes - sl->cap + ncap;
        sl->buf = nb;
        sl->cap = ncap;
    }
    memcpy(sl->buf, line, len);
    sl->len = len;
    sl->raw_off = raw_off;
    sl->seq = seq;
}

static const ring_slot *ring_get(const srv_session *ss, uint64_t seq)
{
    if (!ss->ring) return NULL;
    const ring_slot *sl = &ss->ring[seq % SRV_RING_SLOTS];
    return sl->seq == seq ? sl : NULL;
}

void sse_ring_free(srv_session *ss)
{
    if (ss->ring)
        for (int i = 0; i < SRV_RING_SLOTS; i++) free(ss->ring[i].buf);
    free(ss->ring);
    ss->ring = NULL;
    ss->ring_bytes = 0;
}

/* ---- clients ---- */

static size_t client_out(const sse_client *c)
{
    size_t n = evbuffer_get_length(c->pend);
    if (c->evcon) {
        struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
        if (bev) n += evbuffer_get_length(bufferevent_get_output(bev));
    }
    return n;
}

static void on_drain(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    sse_client *c = arg;
    if (!c->live && !c->finished) client_pump(c);
}

static void client_unlink(sse_client *c)
{
    srv_session *ss = c->ss;
    if (c->prev) c->prev->next = c->next;
    else ss->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

static void client_free(sse_client *c)
{
    evbuffer_free(c->pend);
    free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    sse_client *c = arg;
    client_unlink(c);
    rt_log_request(c->req, 200, "client closed");    /* libevent rewrites the code of a dropped request */
    /* The request was detached from the dying connection (reply not done):
     * finishing it now frees it.  */
    if (evhttp_request_get_connection(c->req) == NULL) evhttp_send_reply_end(c->req);
    client_free(c);
}

/* Send the batch; end the stream if it is finished. */
static void client_flush(sse_client *c)
{
    if (evbuffer_get_length(c->pend) > 0)
        evhttp_send_reply_chunk_with_cb(c->req, c->pend, on_drain, c);
    if (c->finished) {
        evhttp_connection_set_closecb(c->evcon, NULL, NULL);
        client_unlink(c);
        evhttp_send_reply_end(c->req);
        client_free(c);
    }
}

static int page_cb(uint64_t seq, const char *json, size_t len, size_t raw_off, const char *type,
                   void *arg)
{
    sse_client *c = arg;
    (void)raw_off;
    if (seq <= c->sent) return 0;
    sse_frame(c->pend, seq, json, len, 0, true);    /* the store already nulled raw */
    c->sent = seq;
    if (c->turn_stream && sse_terminal_type(type, strlen(type))) {
        c->finished = true;
        return 1;
    }
    return client_out(c) >= c->ss->srv->cfg.client_limit;
}

/* Catch up from ring/store until live, finished, or over the limit. */
static void client_pump(sse_client *c)
{
    srv_session *ss = c->ss;
    size_t limit = ss->srv->cfg.client_limit;
    while (!c->live && !c->finished && client_out(c) < limit) {
        uint64_t want = c->sent + 1;
        if (want > ss->last_seq) { c->live = true; c->finished = c->end_live; break; }
        const ring_slot *sl = ring_get(ss, want);
        if (sl) {
            for (; sl && !c->finished && client_out(c) < limit; sl = ring_get(ss, ++want)) {
                sse_frame(c->pend, sl->seq, sl->buf, sl->len, sl->raw_off, c->raw);
                c->sent = sl->seq;
                if (c->turn_stream) {
                    evs_info e;
                    if (evs_scan(sl->buf, sl->len, &e) && sse_terminal_type(e.type, e.type_len))
                        c->finished = true;
                }
            }
            continue;
        }
        long n = sst_read(ss->srv, ss->id, c->sent, SRV_PAGE, c->raw, NULL, page_cb, c);
        if (n < 0) {               /* the store failed: stay behind; the heartbeat tries again */
            static const char note[] = ": catching up: the store does not answer\n\n";   /* keeps it open too */
            evbuffer_add(c->pend, note, sizeof note - 1);
            break;
        }
        if (n == 0) { c->live = true; c->finished = c->end_live; break; }
    }
    client_flush(c);
}

sse_client *sse_open(srv_session *ss, struct evhttp_request *req, uint64_t after, bool raw,
                     bool turn_stream)
{
    sse_client *c = calloc(1, sizeof *c);
    if (!c || !(c->pend = evbuffer_new())) {
        free(c);
        evhttp_send_error(req, 500, "out of memory");
        return NULL;
    }
    c->ss = ss;
    c->req = req;
    c->evcon = evhttp_request_get_connection(req);
    /* Frames are small and sent as soon as they exist: without NODELAY a
     * frame written while the previous one is unacknowledged would wait for
     * the client's delayed ACK (~40 ms). */
    struct bufferevent *bev = c->evcon ? evhttp_connection_get_bufferevent(c->evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* best effort */
    }
    /* a burst leaves in big writes: up to the client limit per write(2),
     * not libevent's default of 16 KiB */
    if (bev) (void)bufferevent_set_max_single_write(bev, (ev_ssize_t)ss->srv->cfg.client_limit);
    c->sent = after;
    c->raw = raw;
    c->turn_stream = turn_stream;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_add_header(h, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(c->evcon, on_close, c);
    c->next = ss->clients;
    if (ss->clients) ss->clients->prev = c;
    ss->clients = c;
    evbuffer_add(c->pend, ": connected\n\n", 13);
    client_pump(c);
    return c;
}

/* ---- intake ---- */

static char *json_str_dup(const char *body, size_t n)
{
    if (!memchr(body, '\\', n)) return strndup(body, n);
    char *q = malloc(n + 3);
    if (!q) return NULL;
    q[0] = '"';
    memcpy(q + 1, body, n);
    q[n + 1] = '"';
    q[n + 2] = '\0';
    cJSON *j = cJSON_Parse(q);
    free(q);
    char *r = cJSON_IsString(j) ? strdup(j->valuestring) : NULL;
    cJSON_Delete(j);
    return r;
}

static void intake_state(srv_session *ss, const evs_info *e, const char *line, size_t len)
{
    bool perm = e->type_len > 11 && !memcmp(e->type, "permission.", 11);
    bool ques = e->type_len > 9 && !memcmp(e->type, "question.", 9);
    bool ended = evs_type_is(e, "session.ended"), turn = evs_type_is(e, "turn.ended");
    bool todo = evs_type_is(e, "item.completed") && ses_status_candidate(line, len);
    if (!perm && !ques && !ended && !turn && !todo) return;
    cJSON *j = cJSON_ParseWithLength(line, len);
    cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    if (todo) {
        ses_status_take(ss, j);
    } else if (turn) {
        ses_usage_add(ss, j);
        pk_turn_ended(ss);
    } else if (perm || ques) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(data, perm ? "permission_id" : "question_id");
        bool requested = evs_type_is(e, perm ? "permission.requested" : "question.requested");
        if (cJSON_IsString(id)) ses_hitl_set(ss, ques, id->valuestring, requested);
    } else {
        cJSON *reason = cJSON_GetObjectItemCaseSensitive(data, "reason");
        cJSON *by = cJSON_GetObjectItemCaseSensitive(data, "terminated_by");
        cJSON *code = cJSON_GetObjectItemCaseSensitive(data, "exit_code");
        cJSON *err = cJSON_GetObjectItemCaseSensitive(data, "stderr");
        ss->ended = true;
        ss->ended_seq = e->seq;
        ss->ended_by_daemon = cJSON_IsString(by) && !strcmp(by->valuestring, "daemon");
        ss->ended_error = cJSON_IsString(reason) && !strcmp(reason->valuestring, "error");
        ss->exit_code = cJSON_IsNumber(code) ? code->valueint : -1;
        free(ss->ended_stderr);
        ss->ended_stderr = err && !cJSON_IsNull(err) ? cJSON_PrintUnformatted(err) : NULL;
    }
    cJSON_Delete(j);
}

void sse_intake(srv_session *ss, const char *line, size_t len)
{
    ses_ready(ss);                 /* its totals are read before this event adds to them */
    evs_info e;
    if (!evs_scan(line, len, &e)) {
        sa_warnx("session %s: unreadable line from sa-store (%zu bytes)", ss->id, len);
        return;
    }
    if (e.seq <= ss->last_seq) return;              /* already known */
    if (e.seq != ss->last_seq + 1)
        sa_debug("session %s: sequence jumps from %" PRIu64 " to %" PRIu64, ss->id, ss->last_seq, e.seq);
    ss->last_seq = e.seq;
    ss->updated_ms = sa_time_ms();
    size_t raw_off = e.has_raw ? e.raw_off : 0;
    ring_put(ss, e.seq, line, len, raw_off);
    if (e.native && (!ss->native_id || strlen(ss->native_id) != e.native_len ||
                     memcmp(ss->native_id, e.native, e.native_len))) {
        char *n = json_str_dup(e.native, e.native_len);
        if (n) { free(ss->native_id); ss->native_id = n; }
    }
    intake_state(ss, &e, line, len);
    bool terminal = sse_terminal_type(e.type, e.type_len);
    size_t limit = ss->srv->cfg.client_limit;
    for (sse_client *c = ss->clients; c; c = c->next) {
        if (c->finished || !c->live || e.seq <= c->sent) continue;
        if (e.seq != c->sent + 1 || client_out(c) >= limit) { c->live = false; continue; }
        sse_frame(c->pend, e.seq, line, len, raw_off, c->raw);
        c->sent = e.seq;
        if (c->turn_stream && terminal) c->finished = true;
    }
    oc_intake(ss, line, len);      /* the OpenCode API's streams (oc_events.c) */
}

size_t sse_client_count(const srv_session *ss)
{
    size_t n = 0;
    for (const sse_client *c = ss->clients; c; c = c->next) n++;
    return n;
}

size_t sse_client_queue_max(const srv_session *ss, size_t *catching_up)
{
    size_t max = 0;
    for (const sse_client *c = ss->clients; c; c = c->next) {
        size_t n = client_out(c);
        if (n > max) max = n;
        if (!c->live && !c->finished && catching_up) (*catching_up)++;
    }
    return max;
}

void sse_flush(srv_session *ss)
{
    size_t limit = ss->srv->cfg.client_limit;
    for (sse_client *c = ss->clients, *next; c; c = next) {
        next = c->next;
        if (!c->live && !c->finished && client_out(c) < limit) client_pump(c);
        else client_flush(c);
    }
}

void sse_end_turn_streams(srv_session *ss)
{
    for (sse_client *c = ss->clients, *next; c; c = next) {
        next = c->next;
        if (!c->turn_stream) continue;
        /* deliver whatever is stored first, then end */
        c->end_live = true;
        if (c->live) c->finished = true;
        if (c->live) client_flush(c);
        else client_pump(c);
    }
}

void sse_close_all(srv_session *ss, bool send_end)
{
    while (ss->clients) {
        sse_client *c = ss->clients;
        client_unlink(c);
        evhttp_connection_set_closecb(c->evcon, NULL, NULL);
        if (send_end) {
            if (evbuffer_get_length(c->pend)) evhttp_send_reply_chunk(c->req, c->pend);
            evhttp_send_reply_end(c->req);
        }
        client_free(c);
    }
}

void sse_heartbeat(srv *s)
{
    size_t limit = s->cfg.client_limit;
    for (srv_session *ss = s->sessions; ss; ss = ss->next)
        for (sse_client *c = ss->clients, *next; c; c = next) {
            next = c->next;
            if (c->finished || client_out(c) >= limit) continue;
            if (!c->live) { client_pump(c); continue; }    /* a catch-up the store failed */
            evbuffer_add(c->pend, ": ping\n\n", 8);
            evhttp_send_reply_chunk_with_cb(c->req, c->pend, on_drain, c);
        }
}
