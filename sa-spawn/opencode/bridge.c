/*
 * bridge.c — sa-opencode-bridge: one `opencode serve` behind sa-spawn's
 * line protocol (sa-opencode-bridge(1)).  OpenCode's native interface is an
 * HTTP server with an SSE event stream; this small program turns it into
 * JSON lines on stdio, so sa-spawn's loop stays one poll(2) over pipes.
 *
 * How it works (one libevent loop):
 *   1. fork/exec `opencode serve --hostname 127.0.0.1 --port 0` in our
 *      process group (sa-spawn signals the group), with a random
 *      OPENCODE_SERVER_PASSWORD (so no other local process can drive it)
 *      and a parent-death signal; read its stdout until "listening on
 *      http://HOST:PORT" (no request is sent earlier: one sent too early
 *      can hang for minutes).
 *   2. GET /event (SSE, HTTP Basic "opencode:<password>"); once it answers
 *      (server.connected), find the session: GET /session/ID for
 *      --session-id (resumed), else POST /session.  Then print
 *      {"bridge":"ready",...} and start reading commands.
 *   3. Every SSE data: JSON of this session, or of no session, is printed
 *      verbatim as one line (events before ready are held, then filtered).
 *      A session created with our session (or one of its children) as
 *      parentID is a child (a subagent: OpenCode's task tool); its events
 *      are printed wrapped, {"bridge":"child","session_id":CHILD,
 *      "event":EVENT}, so nothing downstream mistakes them for ours (at
 *      most CHILDREN_MAX children are followed; later ones are dropped).
 *   4. Commands (stdin, one JSON object per line):
 *        {"type":"prompt","text":T[,"agent":A][,"model":"provider/model"]}
 *                                      → POST /session/ID/prompt_async
 *        {"type":"permission","id":I,"reply":"once|always|reject"}
 *                                      → POST /permission/I/reply
 *        {"type":"question","id":I,"answers":[[...]]|null}
 *                                      → POST /question/I/reply | /reject
 *        {"type":"abort"}              → POST /session/ID/abort
 *   5. An HTTP failure is {"bridge":"http_error","op","status","body",
 *      "error"}; opencode dying is {"bridge":"server_exited","code",
 *      "signal"} and exit 4.  End of stdin stops opencode (SIGTERM, SIGKILL
 *      after 3 s) and exits 0.
 * Exit status: 0 end of input; 1 system error; 2 usage; 3 opencode could
 * not be started or never listened; 4 opencode exited by itself.
 * Ownership: everything lives in the static bridge state `B`; request
 * contexts are freed by their completion callbacks.
 */
#include "sa.h"

#include <cJSON.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_B   (16u << 20)   /* one stdin command, one SSE event */
#define HELD_MAX     2000          /* events held before ready */
#define LISTEN_S     90            /* opencode serve start-up bound */
#define BODY_SHOWN   2000          /* bytes of an error body reported */
#define CHILDREN_MAX 64            /* child sessions (subagents) followed */

enum { EX_OK = 0, EX_SYS = 1, EX_USAGE = 2, EX_START = 3, EX_SERVER = 4 };

static struct {
    struct event_base *base;
    const char *opencode, *resume, *agent, *model;
    pid_t child;
    int child_out;                   /* opencode's stdout */
    sa_line cout, in;
    struct event *ev_cout, *ev_in, *ev_chld, *ev_listen_timer, *ev_kill_timer, *ev_sse_retry;
    char auth[256];                  /* "Basic ..." */
    char host[64];
    int port;
    struct evhttp_connection *cmd, *sse;
    bool listening, connected, ready, stopping, in_eof;
    char *session;                   /* our opencode session id */
    char *kids[CHILDREN_MAX];        /* its child sessions' ids (owned) */
    size_t nkids;
    char *sse_buf;                   /* partial SSE line */
    size_t sse_len, sse_cap;
    char *data;                      /* the event's data lines so far */
    size_t data_len, data_cap;
    char **held;                     /* events before ready */
    size_t nheld;
    int sse_retries;
    int exit_code;
} B;

/* ---- output ---- */

static void out_line(const char *s, size_t n)
{
    if (sa_write_all(STDOUT_FILENO, s, n) < 0 || sa_write_all(STDOUT_FILENO, "\n", 1) < 0) {
        if (errno != EPIPE) sa_warn("writing stdout");
        B.stopping = true;
        B.exit_code = EX_SYS;
        if (B.child > 0) kill(B.child, SIGTERM);
        event_base_loopexit(B.base, NULL);
    }
}

static void out_json(cJSON *j)            /* takes j */
{
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) sa_diex(EX_SYS, "out of memory");
    out_line(s, strlen(s));
    free(s);
}

static cJSON *bline(const char *what)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "bridge", what);
    return j;
}

static void http_error(const char *op, int status, const char *body, size_t len, const char *err)
{
    cJSON *j = bline("http_error");
    cJSON_AddStringToObject(j, "op", op);
    cJSON_AddNumberToObject(j, "status", status);
    char *b = malloc((len > BODY_SHOWN ? BODY_SHOWN : len) + 1);
    if (!b) sa_diex(EX_SYS, "out of memory");
    size_t n = len > BODY_SHOWN ? BODY_SHOWN : len;
    if (n) memcpy(b, body, n);
    b[n] = '\0';
    cJSON_AddStringToObject(j, "body", b);
    free(b);
    cJSON_AddStringToObject(j, "error", err);
    out_json(j);
    sa_warnx("opencode %s: %s", op, err);
}

/* ---- the child ---- */

static void stop_child(void)
{
    if (B.stopping) return;
    B.stopping = true;
    if (B.child > 0) {
        kill(B.child, SIGTERM);
        struct timeval tv = { 3, 0 };
        evtimer_add(B.ev_kill_timer, &tv);
    } else {
        event_base_loopexit(B.base, NULL);
    }
}

static void on_kill_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    if (B.child > 0) kill(B.child, SIGKILL);
}

static void on_sigchld(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p != B.child) continue;
        B.child = 0;
        if (!B.stopping) {
            cJSON *j = bline("server_exited");
            if (WIFEXITED(st)) cJSON_AddNumberToObject(j, "code", WEXITSTATUS(st));
            else cJSON_AddNullToObject(j, "code");
            if (WIFSIGNALED(st)) cJSON_AddNumberToObject(j, "signal", WTERMSIG(st));
            else cJSON_AddNullToObject(j, "signal");
            out_json(j);
            sa_warnx("opencode serve exited by itself");
            B.exit_code = B.listening ? EX_SERVER : EX_START;
        }
        event_base_loopexit(B.base, NULL);
    }
}

static int spawn_child(char *err, size_t errlen)
{
    unsigned char rnd[24];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd) {
        snprintf(err, errlen, "cannot read /dev/urandom: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    char pw[sizeof rnd * 2 + 1];
    for (size_t i = 0; i < sizeof rnd; i++) snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
    /* the Authorization header: Basic base64("opencode:" pw) */
    char cred[128];
    int cl = snprintf(cred, sizeof cred, "opencode:%s", pw);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = B.auth + snprintf(B.auth, sizeof B.auth, "Basic ");
    for (int i = 0; i < cl; i += 3) {
        unsigned v = (unsigned char)cred[i] << 16;
        if (i + 1 < cl) v |= (unsigned char)cred[i + 1] << 8;
        if (i + 2 < cl) v |= (unsigned char)cred[i + 2];
        *o++ = b64[(v >> 18) & 63];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < cl ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < cl ? b64[v & 63] : '=';
    }
    *o = '\0';
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) { snprintf(err, errlen, "pipe: %s", strerror(errno)); return -1; }
    pid_t pid = fork();
    if (pid < 0) { snprintf(err, errlen, "fork: %s", strerror(errno)); close(p[0]); close(p[1]); return -1; }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1) _exit(127);
        dup2(p[1], STDOUT_FILENO);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) { dup2(nul, STDIN_FILENO); close(nul); }
        setenv("OPENCODE_SERVER_PASSWORD", pw, 1);
        signal(SIGPIPE, SIG_DFL);
        execl(B.opencode, B.opencode, "serve", "--hostname", "127.0.0.1", "--port", "0", (char *)NULL);
        fprintf(stderr, "sa-opencode-bridge: cannot execute %s: %s\n", B.opencode, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    B.child = pid;
    B.child_out = p[0];
    fcntl(B.child_out, F_SETFL, fcntl(B.child_out, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* ---- HTTP ---- */

typedef void (*done_fn)(int status, const char *body, size_t len, void *arg);
typedef struct call { const char *op; done_fn fn; void *arg; bool quiet404; } call;

static void on_done(struct evhttp_request *req, void *arg)
{
    call *c = arg;
    int status = req ? evhttp_request_get_response_code(req) : 0;
    struct evbuffer *in = req ? evhttp_request_get_input_buffer(req) : NULL;
    size_t len = in ? evbuffer_get_length(in) : 0;
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    if (status == 0 && B.stopping) { /* stopping: an answer cut off by design */ }
    else if (status == 0) http_error(c->op, 0, "", 0, "no response (connection failed or closed)");
    else if (status >= 400 && !(c->quiet404 && status == 404)) {
        char e[64];
        snprintf(e, sizeof e, "HTTP %d", status);
        http_error(c->op, status, body, len, e);
    }
    if (c->fn) c->fn(status, body, len, c->arg);
    free(c);
}

static void add_headers(struct evhttp_request *r, bool json)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r);
    char hostport[96];
    snprintf(hostport, sizeof hostport, "%s:%d", B.host, B.port);
    evhttp_add_header(h, "Host", hostport);
    evhttp_add_header(h, "Authorization", B.auth);
    if (json) evhttp_add_header(h, "Content-Type", "application/json");
}

/* method EVHTTP_REQ_*; body taken (NULL = none). */
static void http_call(enum evhttp_cmd_type method, const char *path, cJSON *body, const char *op,
                      done_fn fn, void *arg, bool quiet404)
{
    call *c = calloc(1, sizeof *c);
    if (!c) sa_diex(EX_SYS, "out of memory");
    *c = (call){ op, fn, arg, quiet404 };
    struct evhttp_request *r = evhttp_request_new(on_done, c);
    if (!r) sa_diex(EX_SYS, "out of memory");
    add_headers(r, body != NULL);
    if (body) {
        char *s = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (!s) sa_diex(EX_SYS, "out of memory");
        evbuffer_add(evhttp_request_get_output_buffer(r), s, strlen(s));
        free(s);
    }
    if (evhttp_make_request(B.cmd, r, method, path) < 0) {
        http_error(op, 0, "", 0, "cannot send the request");
        free(c);
    }
}

/* ---- events ---- */

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The session an event belongs to, or NULL (a global event). */
static const char *event_session(const cJSON *ev)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "properties");
    const char *s = jstr(p, "sessionID");
    if (!s) s = jstr(cJSON_GetObjectItemCaseSensitive(p, "part"), "sessionID");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(p, "info");
    if (!s) s = jstr(info, "sessionID");
    const char *t = jstr(ev, "type");
    if (!s && t && !strncmp(t, "session.", 8)) s = jstr(info, "id");
    return s;
}

static bool is_kid(const char *s)
{
    for (size_t i = 0; i < B.nkids; i++) if (!strcmp(B.kids[i], s)) return true;
    return false;
}

/* A session.created / session.updated of a session whose parent is ours or
 * one of our children makes it a child. */
static void maybe_adopt(const cJSON *ev, const char *s)
{
    const char *t = jstr(ev, "type");
    if (!t || (strcmp(t, "session.created") && strcmp(t, "session.updated")) || is_kid(s)) return;
    const char *parent = jstr(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ev, "properties"), "info"),
                              "parentID");
    if (!parent || !((B.session && !strcmp(parent, B.session)) || is_kid(parent)) || B.nkids == CHILDREN_MAX) return;
    if (!(B.kids[B.nkids] = strdup(s))) sa_diex(EX_SYS, "out of memory");
    B.nkids++;
}

static void deliver(const char *text, size_t len)
{
    cJSON *ev = cJSON_ParseWithLength(text, len);
    if (!ev) { out_line(text, len); return; }       /* not JSON: pass it on (unparsed downstream) */
    const char *s = event_session(ev);
    if (!s || (B.session && !strcmp(s, B.session))) { cJSON_Delete(ev); out_line(text, len); return; }
    maybe_adopt(ev, s);
    if (!is_kid(s)) { cJSON_Delete(ev); return; }
    cJSON *j = bline("child");
    cJSON_AddStringToObject(j, "session_id", s);
    cJSON_AddItemToObject(j, "event", ev);          /* j takes ev */
    out_json(j);
}

static void on_event_data(const char *text, size_t len);

static void session_ready(bool resumed)
{
    B.ready = true;
    cJSON *j = bline("ready");
    cJSON_AddStringToObject(j, "session_id", B.session);
    char url[96];
    snprintf(url, sizeof url, "http://%s:%d", B.host, B.port);
    cJSON_AddStringToObject(j, "url", url);
    cJSON_AddBoolToObject(j, "resumed", resumed);
    out_json(j);
    for (size_t i = 0; i < B.nheld; i++) { deliver(B.held[i], strlen(B.held[i])); free(B.held[i]); }
    free(B.held);
    B.held = NULL;
    B.nheld = 0;
    event_add(B.ev_in, NULL);
}

static void on_created(int status, const char *body, size_t len, void *arg)
{
    (void)arg;
    cJSON *j = status == 200 ? cJSON_ParseWithLength(body, len) : NULL;
    const char *id = jstr(j, "id");
    if (!id) {
        cJSON_Delete(j);
        sa_warnx("cannot create an opencode session");
        B.exit_code = EX_SERVER;
        stop_child();
        return;
    }
    B.session = strdup(id);
    cJSON_Delete(j);
    session_ready(false);
}

static void create_session(void)
{
    http_call(EVHTTP_REQ_POST, "/session", cJSON_CreateObject(), "session", on_created, NULL, false);
}

static void on_resume_check(int status, const char *body, size_t len, void *arg)
{
    (void)body; (void)len; (void)arg;
    if (status == 200) { session_ready(true); return; }
    cJSON *j = bline("resume_failed");
    cJSON_AddStringToObject(j, "session_id", B.session);
    cJSON_AddNumberToObject(j, "status", status);
    out_json(j);
    free(B.session);
    B.session = NULL;
    create_session();
}

static void on_connected(void)
{
    if (B.connected) return;
    B.connected = true;
    if (B.resume) {
        B.session = strdup(B.resume);
        char path[512];
        snprintf(path, sizeof path, "/session/%.400s", B.resume);
        http_call(EVHTTP_REQ_GET, path, NULL, "session", on_resume_check, NULL, true);
    } else {
        create_session();
    }
}

static void on_event_data(const char *text, size_t len)
{
    if (!B.connected) on_connected();             /* server.connected: the stream is live */
    if (B.ready) { deliver(text, len); return; }
    if (B.nheld == HELD_MAX) return;
    char **nh = realloc(B.held, (B.nheld + 1) * sizeof *nh);
    char *copy = malloc(len + 1);
    if (!nh || !copy) sa_diex(EX_SYS, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    B.held = nh;
    B.held[B.nheld++] = copy;
}

/* One SSE line (without '\n'). */
static void sse_line(char *l, size_t n)
{
    if (n && l[n - 1] == '\r') l[--n] = '\0';
    if (n == 0) {                                     /* end of an event */
        if (B.data_len) on_event_data(B.data, B.data_len);
        B.data_len = 0;
        return;
    }
    if (n >= 5 && !strncmp(l, "data:", 5)) {
        size_t off = n > 5 && l[5] == ' ' ? 6 : 5;
        size_t add = n - off + (B.data_len ? 1 : 0);
        if (B.data_len + add > LINE_MAX_B) { B.data_len = 0; sa_warnx("an SSE event larger than %u bytes dropped", LINE_MAX_B); return; }
        sa_reserve(&B.data, &B.data_cap, B.data_len + add + 1, 4096);
        if (B.data_len) B.data[B.data_len++] = '\n';
        memcpy(B.data + B.data_len, l + off, n - off);
        B.data_len += n - off;
        B.data[B.data_len] = '\0';
    }                                                 /* id:, event:, comments: not needed */
}

static void on_sse_chunk(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n;
    while ((n = evbuffer_get_length(in)) > 0) {
        size_t take = n > 65536 ? 65536 : n;
        if (B.sse_len + take > LINE_MAX_B + 16) B.sse_len = 0;  /* a line past the bound is dropped */
        sa_reserve(&B.sse_buf, &B.sse_cap, B.sse_len + take + 1, 65536);
        evbuffer_remove(in, B.sse_buf + B.sse_len, take);
        B.sse_len += take;
        size_t start = 0;
        for (size_t i = B.sse_len - take; i < B.sse_len; i++)
            if (B.sse_buf[i] == '\n') {
                B.sse_buf[i] = '\0';
                sse_line(B.sse_buf + start, i - start);
                start = i + 1;
            }
        memmove(B.sse_buf, B.sse_buf + start, B.sse_len - start);
        B.sse_len -= start;
    }
}

static void subscribe(void);

static void on_sse_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    subscribe();
}

static void on_sse_end(struct evhttp_request *req, void *arg)
{
    (void)arg;
    if (B.stopping || B.child <= 0) return;
    int status = req ? evhttp_request_get_response_code(req) : 0;
    char e[96];
    snprintf(e, sizeof e, "the event stream ended (HTTP %d); reconnecting", status);
    http_error("event", status, "", 0, e);
    if (++B.sse_retries > 5) { B.exit_code = EX_SERVER; stop_child(); return; }
    B.sse_len = B.data_len = 0;
    struct timeval tv = { 0, 300 * 1000 };
    evtimer_add(B.ev_sse_retry, &tv);
}

static void subscribe(void)
{
    struct evhttp_request *r = evhttp_request_new(on_sse_end, NULL);
    if (!r) sa_diex(EX_SYS, "out of memory");
    evhttp_request_set_chunked_cb(r, on_sse_chunk);
    add_headers(r, false);
    evhttp_add_header(evhttp_request_get_output_headers(r), "Accept", "text/event-stream");
    if (evhttp_make_request(B.sse, r, EVHTTP_REQ_GET, "/event") < 0) {
        http_error("event", 0, "", 0, "cannot subscribe to /event");
        B.exit_code = EX_SERVER;
        stop_child();
    }
}

/* ---- commands ---- */

static void prompt(const cJSON *c)
{
    const char *text = jstr(c, "text");
    if (!text) return;
    cJSON *b = cJSON_CreateObject();
    cJSON *parts = cJSON_AddArrayToObject(b, "parts");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "text");
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddItemToArray(parts, p);
    const char *agent = jstr(c, "agent") ? jstr(c, "agent") : B.agent;
    if (agent && *agent) cJSON_AddStringToObject(b, "agent", agent);
    const char *model = jstr(c, "model") ? jstr(c, "model") : B.model;
    const char *slash = model ? strchr(model, '/') : NULL;
    if (slash && slash != model && slash[1]) {
        cJSON *m = cJSON_AddObjectToObject(b, "model");
        char prov[256];
        snprintf(prov, sizeof prov, "%.*s", (int)(slash - model), model);
        cJSON_AddStringToObject(m, "providerID", prov);
        cJSON_AddStringToObject(m, "modelID", slash + 1);
    }
    char path[512];
    snprintf(path, sizeof path, "/session/%.400s/prompt_async", B.session);
    http_call(EVHTTP_REQ_POST, path, b, "prompt", NULL, NULL, false);
}

static bool safe_id(const char *id)
{
    if (!id || !*id || strlen(id) > 200) return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

static void command(const char *line, size_t len)
{
    cJSON *c = cJSON_ParseWithLength(line, len);
    const char *t = jstr(c, "type"), *id = jstr(c, "id");
    char path[512];
    if (!t) {
        if (len) sa_warnx("input: not a command: %.200s", line);
    } else if (!strcmp(t, "prompt")) {
        prompt(c);
    } else if (!strcmp(t, "permission") && safe_id(id)) {
        const char *reply = jstr(c, "reply");
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "reply", reply && (!strcmp(reply, "once") || !strcmp(reply, "always")) ? reply : "reject");
        snprintf(path, sizeof path, "/permission/%s/reply", id);
        http_call(EVHTTP_REQ_POST, path, b, "permission", NULL, NULL, false);
    } else if (!strcmp(t, "question") && safe_id(id)) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "answers");
        if (cJSON_IsArray(a)) {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddItemToObject(b, "answers", cJSON_Duplicate(a, 1));
            snprintf(path, sizeof path, "/question/%s/reply", id);
            http_call(EVHTTP_REQ_POST, path, b, "question", NULL, NULL, false);
        } else {
            snprintf(path, sizeof path, "/question/%s/reject", id);
            http_call(EVHTTP_REQ_POST, path, cJSON_CreateObject(), "question", NULL, NULL, false);
        }
    } else if (!strcmp(t, "abort")) {
        snprintf(path, sizeof path, "/session/%.400s/abort", B.session);
        http_call(EVHTTP_REQ_POST, path, cJSON_CreateObject(), "abort", NULL, NULL, false);
    } else {
        sa_warnx("input: unknown or malformed command: %.200s", line);
    }
    cJSON_Delete(c);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    char *line;
    size_t len;
    for (int n = 0; n < 256; n++) {
        int r = sa_line_next(&B.in, &line, &len);
        if (r == SA_LINE_AGAIN) return;
        if (r == SA_LINE_EOF || r == SA_LINE_ERR) {
            event_del(B.ev_in);
            B.in_eof = true;
            stop_child();
            return;
        }
        if (r == SA_LINE_TOOLONG) { sa_warnx("input: line too long"); continue; }
        command(line, len);
    }
}

/* ---- opencode's stdout ---- */

static void on_listen_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    if (B.listening) return;
    char e[96];
    snprintf(e, sizeof e, "opencode serve did not say where it listens within %d s", LISTEN_S);
    http_error("listen", 0, "", 0, e);
    B.exit_code = EX_START;
    stop_child();
}

static void listening(const char *url)
{
    /* url: http://HOST:PORT... */
    const char *h = url + 7, *colon = strchr(h, ':');
    if (!colon || colon - h >= (long)sizeof B.host) return;
    snprintf(B.host, sizeof B.host, "%.*s", (int)(colon - h), h);
    B.port = atoi(colon + 1);
    if (B.port <= 0 || B.port > 65535) return;
    B.listening = true;
    B.cmd = evhttp_connection_base_new(B.base, NULL, B.host, (unsigned short)B.port);
    B.sse = evhttp_connection_base_new(B.base, NULL, B.host, (unsigned short)B.port);
    if (!B.cmd || !B.sse) sa_diex(EX_SYS, "out of memory");
    evhttp_connection_set_timeout(B.cmd, 120);
    evhttp_connection_set_timeout(B.sse, 7 * 24 * 3600);   /* a quiet stream is fine */
    subscribe();
}

static void on_child_out(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    char *line;
    size_t len;
    for (;;) {
        int r = sa_line_next(&B.cout, &line, &len);
        if (r == SA_LINE_AGAIN) return;
        if (r == SA_LINE_EOF || r == SA_LINE_ERR) { event_del(B.ev_cout); return; }
        const char *u = B.listening ? NULL : strstr(line, "listening on http://");
        if (u) { listening(u + 13); continue; }
        cJSON *j = bline("stdout");
        cJSON_AddStringToObject(j, "line", line);
        out_json(j);
    }
}

/* ---- main ---- */

static void on_term(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    stop_child();
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sa-opencode-bridge --opencode PATH [--session-id ID] [--agent NAME] [--model PROVIDER/MODEL]\n"
               "Run `opencode serve` and speak sa's line protocol to it on stdin/stdout.\n"
               "See sa-opencode-bridge(1).\n");
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    static const struct option lo[] = {
        { "opencode", required_argument, NULL, 'o' }, { "session-id", required_argument, NULL, 's' },
        { "agent", required_argument, NULL, 'a' }, { "model", required_argument, NULL, 'm' },
        { "log-level", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 } };
    int c;
    uint64_t v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (c) {
        case 'o': B.opencode = optarg; break;
        case 's': B.resume = *optarg ? optarg : NULL; break;
        case 'a': B.agent = optarg; break;
        case 'm': B.model = optarg; break;
        case 'l':
            if (!sa_parse_u64(optarg, 3, &v)) { sa_warnx("--log-level must be 0..3"); return EX_USAGE; }
            sa_log_set_level((int)v); break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("sa-opencode-bridge %s\n", SA_VERSION); return EX_OK;
        case ':': sa_warnx("option %s needs an argument", argv[optind - 1]); usage(stderr); return EX_USAGE;
        default: sa_warnx("unknown option: %s", argv[optind - 1]); usage(stderr); return EX_USAGE;
        }
    }
    if (optind < argc) { sa_warnx("unexpected argument: %s", argv[optind]); usage(stderr); return EX_USAGE; }
    if (!B.opencode) { sa_warnx("--opencode is required"); usage(stderr); return EX_USAGE; }
    signal(SIGPIPE, SIG_IGN);
    B.base = event_base_new();
    if (!B.base) sa_diex(EX_SYS, "cannot create the event loop");
    B.ev_chld = evsignal_new(B.base, SIGCHLD, on_sigchld, NULL);
    evsignal_add(B.ev_chld, NULL);
    char err[512];
    if (spawn_child(err, sizeof err) < 0) {
        http_error("listen", 0, "", 0, err);
        return EX_START;
    }
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    sa_line_init(&B.in, STDIN_FILENO, LINE_MAX_B);
    sa_line_init(&B.cout, B.child_out, 64u << 10);
    B.ev_in = event_new(B.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, NULL);
    B.ev_cout = event_new(B.base, B.child_out, EV_READ | EV_PERSIST, on_child_out, NULL);
    B.ev_listen_timer = evtimer_new(B.base, on_listen_timeout, NULL);
    B.ev_kill_timer = evtimer_new(B.base, on_kill_timer, NULL);
    B.ev_sse_retry = evtimer_new(B.base, on_sse_retry, NULL);
    event_add(B.ev_cout, NULL);
    struct timeval tv = { LISTEN_S, 0 };
    evtimer_add(B.ev_listen_timer, &tv);
    /* SIGTERM/SIGINT: stop opencode like end of input */
    struct event *ev_term = evsignal_new(B.base, SIGTERM, on_term, NULL);
    evsignal_add(ev_term, NULL);
    event_base_dispatch(B.base);
    if (B.child > 0) { kill(B.child, SIGKILL); waitpid(B.child, NULL, 0); }
    int code = B.exit_code;
    if (B.cmd) evhttp_connection_free(B.cmd);
    if (B.sse) evhttp_connection_free(B.sse);
    event_free(ev_term);
    event_free(B.ev_in);
    event_free(B.ev_cout);
    event_free(B.ev_chld);
    event_free(B.ev_listen_timer);
    event_free(B.ev_kill_timer);
    event_free(B.ev_sse_retry);
    event_base_free(B.base);
    sa_line_free(&B.in);
    sa_line_free(&B.cout);
    close(B.child_out);
    for (size_t i = 0; i < B.nheld; i++) free(B.held[i]);
    free(B.held);
    free(B.session);
    for (size_t i = 0; i < B.nkids; i++) free(B.kids[i]);
    free(B.sse_buf);
    free(B.data);
    return code;
}
