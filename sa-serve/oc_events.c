/*
 * oc_events.c — the live side of the OpenCode compatibility API:
 * GET /opencode/event (and /global/event) as SSE, and the POST
 * /opencode/session/{id}/message replies that wait for their turn to end.
 *
 * How it works: sse.c hands every stored event line to oc_intake.  While no
 * OpenCode connection is open that returns at once and no state is kept.
 * Otherwise the session's live fold (oc_map.c) is found or built (the first
 * time, from the session's stored history before this event), the event is
 * folded into OpenCode bus events, and each is written to every open event
 * stream as "data: {...}\n\n".  A fold that ends a turn (turn.ended or
 * session.ended) answers that session's waiting prompts with the turn's
 * assistant message {info, parts}.  Streams get server.connected first and
 * server.heartbeat at sa-serve's SSE heartbeat (--heartbeat-ms); a waiting
 * prompt gets a space then (JSON allows white space before the value), so
 * a long turn is not cut by --idle-timeout.
 *
 * Both kinds of connection start their reply at once (200, chunked), so a
 * client that goes away is handled the same way sse.c does: the close
 * callback unlinks it and finishes the detached request, which frees it.
 *
 * Ownership: this file owns the connection list, the live folds and the
 * heartbeat timer (oc_free); requests belong to libevent.
 */
#include "serve.h"
#include "oc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define OC_DEFER_MS 2000
#define OC_SETTLE_MS 30     /* a prompt is answered this long after its streams drained */

typedef struct oc_conn {
    struct oc_conn *next;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    bool global;            /* /global/event: {directory, payload} */
    struct timeval seen;    /* stream: the loop turn `backlog` was measured in */
    size_t backlog;         /* stream: what it had not taken when the loop came back to it */
    bool prompt;            /* a waiting POST .../message, not a stream */
    char *sid;              /* prompt: its session */
    uint64_t after;         /* prompt: a turn ending after this sequence answers it */
    int64_t due;            /* prompt: 0 while its turn runs; then when it is answered (ms),
                             * once every stream drained */
    int64_t until;          /* prompt: answered then even if a stream has not drained */
} oc_conn;

typedef struct oc_live {
    struct oc_live *next;
    oc_fold f;
} oc_live;

static oc_conn *conns;
static oc_live *lives;
static struct event *heartbeat, *deferred;
static unsigned long long ev_counter;
static size_t out_limit = 256u << 10;   /* --client-buffer: a stream that falls this far behind is ended */
#define OC_TURN_CAP 64                  /* one loop turn may queue this many times the limit */
static struct event_base *oc_base;

static void lives_free(void)
{
    while (lives) {
        oc_live *l = lives;
        lives = l->next;
        oc_fold_free(&l->f);
        free(l);
    }
}

static void conn_unlink(oc_conn *c)
{
    for (oc_conn **p = &conns; *p; p = &(*p)->next)
        if (*p == c) { *p = c->next; break; }
    if (!conns) lives_free();      /* nobody watches: keep nothing */
}

static void conn_free(oc_conn *c)
{
    free(c->sid);
    free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    oc_conn *c = arg;
    conn_unlink(c);
    rt_log_request(c->req, 200, "client closed");
    if (evhttp_request_get_connection(c->req) == NULL) evhttp_send_reply_end(c->req);
    conn_free(c);
}

/* End the reply (after body, may be NULL) and forget the connection. */
static void conn_end(oc_conn *c, struct evbuffer *body)
{
    if (c->evcon) evhttp_connection_set_closecb(c->evcon, NULL, NULL);
    conn_unlink(c);
    if (body && evbuffer_get_length(body)) evhttp_send_reply_chunk(c->req, body);
    evhttp_send_reply_end(c->req);
    conn_free(c);
}

static oc_conn *conn_open(struct evhttp_request *req, const char *ctype)
{
    oc_conn *c = calloc(1, sizeof *c);
    if (!c) { evhttp_send_error(req, 500, "out of memory"); return NULL; }
    c->req = req;
    c->evcon = evhttp_request_get_connection(req);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_send_reply_start(req, 200, "OK");
    if (c->evcon) evhttp_connection_set_closecb(c->evcon, on_close, c);
    c->next = conns;
    conns = c;
    return c;
}

static size_t conn_out(const oc_conn *c)
{
    struct bufferevent *bev = c->evcon ? evhttp_connection_get_bufferevent(c->evcon) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* One SSE frame of a bus event {type, properties} to one stream. */
static void send_event(oc_conn *c, const cJSON *e, const char *dir)
{
    cJSON *copy = cJSON_Duplicate(e, 1);
    char id[40];
    snprintf(id, sizeof id, "evt_sa%014llu", ++ev_counter);
    cJSON_AddStringToObject(copy, "id", id);
    if (c->global) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "directory", dir ? dir : "global");
        cJSON_AddItemToObject(w, "payload", copy);
        copy = w;
    }
    char *s = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (!s) return;
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add_printf(b, "data: %s\n\n", s);
        evhttp_send_reply_chunk(c->req, b);
        evbuffer_free(b);
    }
    free(s);
}

/* Is the stream too far behind?  What it has not taken is measured the first
 * time it is written to in each turn of the event loop (a turn reads up to
 * 256 lines of a session, which are written out only when the loop comes back
 * to the socket): over --client-buffer then, it is not reading.  Within one
 * turn it may queue up to OC_TURN_CAP times the limit. */
static bool conn_behind(oc_conn *c)
{
    struct timeval now = {0, 0};
    if (oc_base) event_base_gettimeofday_cached(oc_base, &now);
    size_t out = conn_out(c);
    if (now.tv_sec != c->seen.tv_sec || now.tv_usec != c->seen.tv_usec) {
        c->seen = now;
        c->backlog = out;
    }
    return c->backlog > out_limit || out > out_limit * OC_TURN_CAP;
}

/* To every stream; one that has not read what it was sent (conn_behind) is
 * ended instead: the client reconnects and reloads.  May free every live
 * fold (the last connection gone). */
static void broadcast(const cJSON *e, const char *dir)
{
    for (oc_conn *c = conns, *next; c; c = next) {
        next = c->next;
        if (c->prompt) continue;
        if (conn_behind(c)) {
            sa_warnx("an OpenCode event stream fell %zu bytes behind: ended", conn_out(c));
            conn_end(c, NULL);
            continue;
        }
        send_event(c, e, dir);
    }
}

static cJSON *bare_event(const char *type)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddObjectToObject(e, "properties");
    return e;
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    cJSON *e = bare_event("server.heartbeat");
    broadcast(e, NULL);
    cJSON_Delete(e);
    for (oc_conn *c = conns; c; c = c->next) {
        if (!c->prompt) continue;
        struct evbuffer *b = evbuffer_new();
        if (b) { evbuffer_add(b, " ", 1); evhttp_send_reply_chunk(c->req, b); evbuffer_free(b); }
    }
}

static void heartbeat_arm(srv *s)
{
    if (heartbeat) return;
    heartbeat = event_new(s->base, -1, EV_PERSIST, on_heartbeat, NULL);
    struct timeval tv = {(time_t)(s->cfg.heartbeat_ms / 1000), (suseconds_t)(s->cfg.heartbeat_ms % 1000) * 1000};
    if (heartbeat) event_add(heartbeat, &tv);
}

/* ---- folds ---- */

typedef struct fold_arg { oc_fold *f; uint64_t before; } fold_arg;

static int fold_cb(uint64_t seq, const char *json, size_t len, size_t raw_off, const char *type, void *arg)
{
    (void)raw_off; (void)type;
    fold_arg *a = arg;
    if (a->before && seq >= a->before) return 1;
    cJSON *ev = cJSON_ParseWithLength(json, len);
    if (ev) oc_fold_event(a->f, ev, NULL);
    cJSON_Delete(ev);
    return 0;
}

/* Fold the session's stored events (those before `before`, 0 = all). */
static void fold_history(srv *s, srv_session *ss, oc_fold *f, uint64_t before)
{
    fold_arg a = {f, before};
    bool more = false;
    if (sst_read(s, ss->id, 0, 0, false, &more, fold_cb, &a) < 0)
        sa_warnx("session %s: cannot read its events for the OpenCode API", ss->id);
}

static oc_live *live_find(const char *sid)
{
    for (oc_live *l = lives; l; l = l->next)
        if (!strcmp(l->f.sid, sid)) return l;
    return NULL;
}

static oc_live *live_get(srv_session *ss, uint64_t seq)
{
    char id[OC_ID_MAX];
    oc_live *l = live_find(oc_id(ss->id, id));
    if (l) return l;
    if (!(l = calloc(1, sizeof *l))) return NULL;
    if (oc_fold_init(&l->f, id, ss->agent, ss->model, pl_session_cwd(ss), false) < 0) { free(l); return NULL; }
    fold_history(ss->srv, ss, &l->f, seq);
    l->next = lives;
    lives = l;
    return l;
}

cJSON *oc_history(srv *s, srv_session *ss)
{
    oc_fold f;
    char id[OC_ID_MAX];
    if (oc_fold_init(&f, oc_id(ss->id, id), ss->agent, ss->model, pl_session_cwd(ss), true) < 0) return NULL;
    fold_history(s, ss, &f, 0);
    cJSON *msgs = f.msgs;
    f.msgs = NULL;
    oc_fold_free(&f);
    return msgs;
}

bool oc_session_busy(const srv_session *ss)
{
    char id[OC_ID_MAX];
    oc_live *l = live_find(oc_id(ss->id, id));
    return l && l->f.busy;
}

static void answer(oc_conn *c, const oc_live *l)
{
    cJSON *r = l ? oc_fold_reply(&l->f, sa_time_ms()) : NULL;
    char *txt = r ? cJSON_PrintUnformatted(r) : NULL;
    cJSON_Delete(r);
    struct evbuffer *b = evbuffer_new();
    if (b) evbuffer_add(b, txt ? txt : "{}", strlen(txt ? txt : "{}"));
    free(txt);
    conn_end(c, b);
    if (b) evbuffer_free(b);
}

static bool any_stream(void)
{
    for (oc_conn *c = conns; c; c = c->next)
        if (!c->prompt) return true;
    return false;
}

static bool streams_drained(void)
{
    for (oc_conn *c = conns; c; c = c->next)
        if (!c->prompt && conn_out(c)) return false;
    return true;
}

/* Arm the timer for the earliest due prompt. */
static void deferred_arm(void)
{
    int64_t next = 0;
    for (oc_conn *c = conns; c; c = c->next)
        if (c->prompt && c->due && (!next || c->due < next)) next = c->due;
    if (!next || !deferred) return;
    int64_t ms = next - sa_time_ms();
    if (ms < 1) ms = 1;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    event_add(deferred, &tv);
}

/* Answer PROMPT in MS (and no later than LIMIT ms from now). */
static void prompt_due(oc_conn *c, int64_t ms, int64_t limit)
{
    int64_t now = sa_time_ms();
    if (!c->due) c->until = now + limit;
    c->due = now + ms;
    deferred_arm();
}

/* The session's turn ended: answer its prompts.  The answer ends `opencode
 * run --attach`, so it must reach the client after the turn's events on
 * its stream: it is sent OC_SETTLE_MS after every stream's output drained.
 * With no stream open the client has not seen the turn's events yet (`run`
 * subscribes and prompts at once, and a quick agent ends its turn before
 * the stream is there): the answer waits for a stream to open (which is
 * then shown the turn, oc_event_open) or OC_DEFER_MS. */
static void answer_prompts(oc_live *l, uint64_t seq)
{
    bool streams = any_stream();
    for (oc_conn *c = conns; c; c = c->next) {
        if (!c->prompt || c->due || strcmp(c->sid, l->f.sid) || seq <= c->after) continue;
        prompt_due(c, streams ? OC_SETTLE_MS : OC_DEFER_MS, OC_DEFER_MS);
    }
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    int64_t now = sa_time_ms();
    bool drained = streams_drained();
    for (oc_conn *c = conns, *next; c; c = next) {
        next = c->next;
        if (!c->prompt || !c->due || c->due > now) continue;
        if (drained || now >= c->until) { answer(c, live_find(c->sid)); continue; }
        c->due = now + OC_SETTLE_MS;            /* a stream still has the turn to write */
    }
    deferred_arm();
}

/* Show a new stream the turn of each waiting prompt so far (a quick agent
 * may have sent part of it before the stream was there); answer those whose
 * turn already ended. */
static void replay_ready(oc_conn *stream)
{
    for (oc_conn *c = conns, *next; c; c = next) {
        next = c->next;
        if (!c->prompt) continue;
        oc_live *l = live_find(c->sid);
        cJSON *msg, *part;
        cJSON *msgs = l ? l->f.msgs : NULL;
        cJSON_ArrayForEach(msg, msgs) {
            cJSON *e = cJSON_CreateObject(), *p;
            cJSON_AddStringToObject(e, "type", "message.updated");
            p = cJSON_AddObjectToObject(e, "properties");
            cJSON_AddStringToObject(p, "sessionID", c->sid);
            cJSON_AddItemToObject(p, "info", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(msg, "info"), 1));
            send_event(stream, e, NULL);
            cJSON_Delete(e);
            cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(msg, "parts")) {
                e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "type", "message.part.updated");
                p = cJSON_AddObjectToObject(e, "properties");
                cJSON_AddStringToObject(p, "sessionID", c->sid);
                cJSON_AddItemToObject(p, "part", cJSON_Duplicate(part, 1));
                send_event(stream, e, NULL);
                cJSON_Delete(e);
            }
        }
        if (!c->due) continue;                 /* its turn goes on: live events follow */
        cJSON *e = cJSON_CreateObject(), *p;
        cJSON_AddStringToObject(e, "type", "session.status");
        p = cJSON_AddObjectToObject(e, "properties");
        cJSON_AddStringToObject(p, "sessionID", c->sid);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "status"), "type", "idle");
        send_event(stream, e, NULL);
        cJSON_Delete(e);
        prompt_due(c, OC_SETTLE_MS, OC_DEFER_MS);
    }
}

void oc_intake(srv_session *ss, const char *line, size_t len)
{
    if (!conns) return;
    cJSON *ev = cJSON_ParseWithLength(line, len);
    const cJSON *seqj = cJSON_GetObjectItemCaseSensitive(ev, "sequence");
    if (!cJSON_IsNumber(seqj)) { cJSON_Delete(ev); return; }
    uint64_t seq = (uint64_t)seqj->valuedouble;
    oc_live *l = live_get(ss, seq);
    cJSON *out = cJSON_CreateArray();
    if (l && out && seq > l->f.seq) {
        oc_fold_event(&l->f, ev, out);
        const cJSON *e;
        const char *dir = cJSON_GetArraySize(out) ? pl_session_cwd(ss) : NULL;   /* a stat: once */
        bool done = l->f.turn_done;
        if (done) sa_debug("opencode: session %s: turn done at %" PRIu64, ss->id, seq);
        cJSON_ArrayForEach(e, out) broadcast(e, dir);
        char id[OC_ID_MAX];
        if (done && (l = live_find(oc_id(ss->id, id)))) answer_prompts(l, seq);   /* broadcast may have freed it */
    }
    cJSON_Delete(out);
    cJSON_Delete(ev);
}

void oc_event_open(srv *s, struct evhttp_request *req, bool global)
{
    out_limit = s->cfg.client_limit;
    oc_conn *c = conn_open(req, "text/event-stream");
    if (!c) return;
    c->global = global;
    oc_base = s->base;
    /* frames leave as they are made, in writes of up to the limit (not
     * libevent's 16 KiB), so a client that reads keeps up with a burst */
    struct bufferevent *bev = c->evcon ? evhttp_connection_get_bufferevent(c->evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* best effort */
    }
    if (bev) (void)bufferevent_set_max_single_write(bev, (ev_ssize_t)out_limit);
    heartbeat_arm(s);
    if (!deferred) deferred = event_new(s->base, -1, 0, on_deferred, NULL);
    cJSON *e = bare_event("server.connected");
    send_event(c, e, NULL);
    cJSON_Delete(e);
    replay_ready(c);
}

void oc_prompt_wait(srv *s, struct evhttp_request *req, srv_session *ss, uint64_t after)
{
    heartbeat_arm(s);
    if (!deferred) deferred = event_new(s->base, -1, 0, on_deferred, NULL);
    char id[OC_ID_MAX];
    char *sid = strdup(oc_id(ss->id, id));
    oc_conn *c = sid ? conn_open(req, "application/json") : NULL;
    if (!c) { free(sid); if (!sid) evhttp_send_error(req, 500, "out of memory"); return; }
    c->prompt = true;
    c->sid = sid;
    c->after = after;
    sa_debug("opencode: session %s: a prompt waits for a turn after %" PRIu64, ss->id, after);
}

void oc_shutdown(bool send_end)
{
    while (conns) {
        oc_conn *c = conns;
        if (send_end) { conn_end(c, NULL); continue; }
        if (c->evcon) evhttp_connection_set_closecb(c->evcon, NULL, NULL);
        conns = c->next;
        conn_free(c);
    }
    lives_free();
}

void oc_free(void)
{
    oc_shutdown(false);
    if (heartbeat) event_free(heartbeat);
    if (deferred) event_free(deferred);
    heartbeat = deferred = NULL;
}
