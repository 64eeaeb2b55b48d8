/*
 * nz_pump.c — the ordered, pipelined stdin → jq → stdout loop (nz_pump.h).
 *
 * Queue entries keep the raw line (it becomes `raw` of every event derived
 * from it).  Invariant: the entries in front of the queue that are not waiting
 * for jq are handled immediately, so every jq answer line belongs to the
 * queue head.  If jq dies, lines it still owed are reported as agent.unparsed
 * and the pump returns 1.  Memory: a buffer grown past KEEP_BYTES by one big
 * line (the readers, the jq write buffer, the output buffer) is given back
 * once that line is used, so a long-running pump holds its largest line's
 * worth only while it is handled.
 */
#include "nz_pump.h"
#include "nz_fast.h"
#include "nz_jq.h"
#include "nz_scan.h"
#include "sa.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

_Static_assert(NZ_JQ_DEPTH == NZ_SCAN_DEPTH, "scanner and depth check agree");

enum { Q_JQ, Q_SA, Q_FAST, Q_DELTA, Q_BAD, Q_LONG, Q_DEEP };
#define KEEP_BYTES ((size_t)256 << 10)   /* output/jq buffers kept; a bigger event is written at once */
#define LINE_KEEP  ((size_t)64 << 10)    /* line reader buffers kept after a longer line */

typedef struct qent {
    char *line; size_t len; int kind;
    cJSON *sa;              /* the parsed sa line (Q_SA) or the conversions (Q_FAST) */
    nz_fast_delta *delta;   /* Q_DELTA: a delta decoded without a tree */
} qent;

typedef struct pump {
    nz_pump_cfg *cfg;
    nz_state *st;
    nz_jq jq;
    qent q[NZ_QUEUE_MAX];
    size_t qhead, qn, qbytes;
    char *jbuf; size_t jlen, joff, jcap;     /* bytes still to write to jq */
    char *obuf; size_t olen, ocap;           /* events not yet written */
    bool out_err;
    sa_line *jo;                             /* jq's output reader (shrunk after a big line) */
    size_t jq_owed;                          /* Q_JQ entries in the queue */
    size_t fast_n, tree_n, jq_n;             /* lines mapped by the fast path (tree_n of them
                                                through a cJSON tree) / by jq */
    int64_t last_flush_us, held_since_us;    /* output batching (see batch_wait) */
    int64_t jq_progress_us;                  /* last answer, or when jq began to owe one */
    sa_line jo_line;                         /* what jo points to */
} pump;

void nz_pump_stop(void) { sa_stop_request(); }

/* ---- helpers ---- */

char *nz_utf8_fix(const char *s, size_t len, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    bool bad = false;
    char *o = NULL;
    size_t ol = 0;
    for (int pass = 0; pass < 2; pass++) {
        i = 0;
        while (i < len) {
            unsigned c = u[i];
            size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            bool ok = n > 0 && i + n <= len;
            for (size_t k = 1; ok && k < n; k++) ok = (u[i + k] & 0xC0) == 0x80;
            if (ok && n == 2 && c < 0xC2) ok = false;
            if (ok && n == 3) {
                unsigned cp = ((c & 0x0F) << 12) | ((u[i + 1] & 0x3F) << 6) | (u[i + 2] & 0x3F);
                if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) ok = false;
            }
            if (ok && n == 4) {
                unsigned cp = ((c & 0x07) << 18) | ((u[i + 1] & 0x3F) << 12) | ((u[i + 2] & 0x3F) << 6) | (u[i + 3] & 0x3F);
                if (cp < 0x10000 || cp > 0x10FFFF) ok = false;
            }
            if (pass == 0) {
                if (!ok) { bad = true; break; }
            } else if (ok) {
                memcpy(o + ol, s + i, n); ol += n;
            } else {
                memcpy(o + ol, "\xEF\xBF\xBD", 3); ol += 3;
            }
            i += ok ? n : 1;
        }
        if (pass == 0) {
            if (!bad) return NULL;
            o = malloc(len * 3 + 1);
            if (!o) return NULL;
        }
    }
    o[ol] = '\0';
    *out_len = ol;
    return o;
}

int nz_json_depth(const cJSON *v, int limit)
{
    if (!v || !(cJSON_IsArray(v) || cJSON_IsObject(v))) return 0;
    if (limit <= 0) return 1;
    int max = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, v) {
        int d = nz_json_depth(c, limit - 1);
        if (d > max) max = d;
        if (max >= limit) break;
    }
    return max + 1;
}

static void flush_out(pump *p);

/* writev all of iov (partial writes, EINTR; a full non-blocking pipe is
 * waited for); -1 with errno. */
static int write_iov(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pf = { fd, POLLOUT, 0 };
                (void)poll(&pf, 1, -1);
                continue;
            }
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) { w -= (ssize_t)iov->iov_len; iov++; n--; }
        if (n > 0) { iov->iov_base = (char *)iov->iov_base + w; iov->iov_len -= (size_t)w; }
    }
    return 0;
}

static void emit_cb(void *ctx, const char *line, size_t len)
{
    pump *p = ctx;
    if (len >= KEEP_BYTES) {               /* big: no copy; what is held goes first */
        flush_out(p);
        if (p->out_err) return;
        struct iovec iov[2] = { { (void *)line, len }, { (void *)"\n", 1 } };
        if (write_iov(p->cfg->out_fd, iov, 2) < 0) {
            if (errno != EPIPE) sa_warn("write failed");
            p->out_err = true;
        }
        return;
    }
    if (p->olen + len + 1 > KEEP_BYTES) flush_out(p);   /* a batch never outgrows KEEP_BYTES */
    sa_reserve(&p->obuf, &p->ocap, p->olen + len + 1, 65536);
    memcpy(p->obuf + p->olen, line, len);
    p->olen += len;
    p->obuf[p->olen++] = '\n';
}

/* An event with a big raw line: head + raw + "}\n" in one writev, no copy. */
static void emit_parts_cb(void *ctx, const char *head, size_t hn, const char *raw, size_t rn)
{
    pump *p = ctx;
    flush_out(p);                          /* what is held goes first */
    if (p->out_err) return;
    struct iovec iov[3] = { { (void *)head, hn }, { (void *)raw, rn }, { (void *)"}\n", 2 } };
    if (write_iov(p->cfg->out_fd, iov, 3) < 0) {
        if (errno != EPIPE) sa_warn("write failed");
        p->out_err = true;
    }
}

static void flush_out(pump *p)
{
    p->held_since_us = 0;
    if (!p->olen || p->out_err) { p->olen = 0; return; }
    p->last_flush_us = sa_time_mono_us();
    if (sa_write_all(p->cfg->out_fd, p->obuf, p->olen) < 0) {
        if (errno != EPIPE) sa_warn("write failed");
        p->out_err = true;
    }
    p->olen = 0;
    if (p->ocap > KEEP_BYTES) { free(p->obuf); p->obuf = NULL; p->ocap = 0; }
}

static void jbuf_add(pump *p, const char *s, size_t n)
{
    if (p->joff && p->joff == p->jlen) p->joff = p->jlen = 0;
    if (p->jlen + n + 1 > p->jcap) {
        if (p->joff) {
            memmove(p->jbuf, p->jbuf + p->joff, p->jlen - p->joff);
            p->jlen -= p->joff;
            p->joff = 0;
        }
        sa_reserve(&p->jbuf, &p->jcap, p->jlen + n + 1, 65536);
    }
    memcpy(p->jbuf + p->jlen, s, n);
    p->jlen += n;
    p->jbuf[p->jlen++] = '\n';
}

/* ---- queue ---- */

static qent *qtail_new(pump *p)
{
    qent *e = &p->q[(p->qhead + p->qn) % NZ_QUEUE_MAX];
    p->qn++;
    return e;
}

static void qpop(pump *p)
{
    qent *e = &p->q[p->qhead];
    p->qbytes -= e->len;
    if (e->kind == Q_JQ) p->jq_owed--;
    free(e->line);
    cJSON_Delete(e->sa);
    free(e->delta);
    memset(e, 0, sizeof *e);
    p->qhead = (p->qhead + 1) % NZ_QUEUE_MAX;
    p->qn--;
}

static const char *loc(pump *p, char *buf, size_t n, const char *what)
{
    snprintf(buf, n, "%s.%s", p->cfg->agent, what);
    return buf;
}

/* Handle queue entries that do not wait for jq, while they are at the head. */
static void run_head(pump *p)
{
    char lb[160];
    while (p->qn && p->q[p->qhead].kind != Q_JQ) {
        qent *e = &p->q[p->qhead];
        nz_raw raw = { NZ_RAW_STRING, e->line };
        switch (e->kind) {
        case Q_SA:
            nz_state_sa_line(p->st, e->sa, (nz_raw){ NZ_RAW_JSON, e->line });
            break;
        case Q_FAST:
            nz_state_conversions(p->st, e->sa, (nz_raw){ NZ_RAW_JSON, e->line });
            break;
        case Q_DELTA:
            nz_state_delta(p->st, e->delta->nsid, e->delta->nid, e->delta->delta, (nz_raw){ NZ_RAW_JSON, e->line });
            break;
        case Q_BAD:
            nz_state_unparsed(p->st, "line is not JSON", loc(p, lb, sizeof lb, "stdout"), raw);
            break;
        case Q_LONG:
            nz_state_unparsed(p->st, "line too long (truncated in raw)", loc(p, lb, sizeof lb, "stdout"), raw);
            break;
        default:
            nz_state_unparsed(p->st, "JSON nested too deeply", loc(p, lb, sizeof lb, "stdout"), raw);
            break;
        }
        qpop(p);
    }
}

/* A byte below 0x20 other than tab (blank line ends were trimmed). */
static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t') return true;
    return false;
}

int nz_line_canon(char **line, size_t *len)
{
    if (!has_control(*line, *len)) return 0;
    cJSON *v = cJSON_ParseWithOpts(*line, NULL, 1);
    char *canon = v ? cJSON_PrintUnformatted(v) : NULL;
    cJSON_Delete(v);
    if (!canon) return -1;
    free(*line);
    *line = canon;
    *len = strlen(canon);
    return 1;
}

static void take_line(pump *p, char *line, size_t len, bool toolong)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = '\0';
    if (len == 0 && !toolong) return;                 /* blank lines carry nothing */
    size_t fl;
    char *fixed = nz_utf8_fix(line, len, &fl);
    char *copy = fixed;
    if (!copy) {
        copy = malloc(len + 1);
        if (!copy) sa_diex(1, "out of memory");
        memcpy(copy, line, len + 1);
        fl = len;
    }
    qent *e = qtail_new(p);
    e->line = copy;
    e->len = fl;
    e->sa = NULL;
    e->delta = NULL;
    p->qbytes += fl;
    if (toolong) { e->kind = Q_LONG; return; }
    size_t before = fl;
    int canon = nz_line_canon(&copy, &fl);   /* raw control characters escaped */
    if (canon < 0) { e->kind = Q_BAD; return; }
    if (canon > 0) { e->line = copy; e->len = fl; p->qbytes = p->qbytes - before + fl; }
    if (nz_scan_line(copy, fl) == NZ_SCAN_PLAIN) {     /* the common case: no parse */
        if (p->cfg->fast && (e->delta = nz_fast_delta_parse(p->cfg->fast, copy, fl))) {   /* a delta: no jq, no tree */
            e->kind = Q_DELTA;
            p->fast_n++;
            return;
        }
        if (p->cfg->fast && (e->sa = nz_fast_convert(p->cfg->fast, copy, fl))) {   /* a delta: no jq */
            e->kind = Q_FAST;
            p->fast_n++;
            p->tree_n++;
            return;
        }
        p->jq_n++;
        e->kind = Q_JQ;
        if (!p->jq_owed++) p->jq_progress_us = sa_time_mono_us();
        jbuf_add(p, copy, fl);
        return;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(copy, &end, 1);
    if (!v) { e->kind = Q_BAD; return; }
    if (nz_json_depth(v, NZ_JQ_DEPTH + 1) > NZ_JQ_DEPTH) { e->kind = Q_DEEP; cJSON_Delete(v); return; }
    if (cJSON_IsObject(v) && v->child && v->child->string && !strcmp(v->child->string, "sa") &&
        cJSON_IsString(v->child)) {
        e->kind = Q_SA;
        e->sa = v;
        return;
    }
    cJSON_Delete(v);
    p->jq_n++;
    e->kind = Q_JQ;
    if (!p->jq_owed++) p->jq_progress_us = sa_time_mono_us();
    jbuf_add(p, copy, fl);
}

static bool queue_full(const pump *p)
{
    return p->qn >= NZ_QUEUE_MAX || p->qbytes >= NZ_QUEUE_BYTES;
}

static size_t jq_waiting(const pump *p) { return p->jq_owed; }

/* Output batching.  Events go out before every poll, except while a burst
 * is under way: when jq still owes answers for lines already read, we
 * flushed less than NZ_BATCH_US ago, and what we hold is younger than
 * NZ_BATCH_US and smaller than NZ_BATCH_BYTES, the events wait (at most
 * NZ_BATCH_US) for the answers about to come, so sa-store gets — and
 * commits — them in larger groups.  The first event after a quiet spell,
 * and any event when jq owes nothing, is written at once.  Returns how
 * long poll may wait in µs: -1 = flush now (and block). */
static int64_t batch_wait(pump *p, bool in_eof)
{
    if (!p->olen) return -1;
    int64_t now = sa_time_mono_us();
    if (!p->held_since_us) p->held_since_us = now;
    if (in_eof || !p->jq_owed || p->olen >= NZ_BATCH_BYTES || now - p->last_flush_us >= NZ_BATCH_US ||
        now - p->held_since_us >= NZ_BATCH_US)
        return -1;
    int64_t a = NZ_BATCH_US - (now - p->last_flush_us), b = NZ_BATCH_US - (now - p->held_since_us);
    return a < b ? a : b;
}

static void jq_answer(pump *p, char *line, bool toolong)
{
    char lb[160];
    if (!p->qn || p->q[p->qhead].kind != Q_JQ) {
        sa_warnx("jq printed a line nobody asked for; ignored");
        return;
    }
    qent *e = &p->q[p->qhead];
    nz_raw raw = { NZ_RAW_JSON, e->line };
    cJSON *arr = toolong ? NULL : cJSON_Parse(line);
    sa_line_shrink(p->jo, LINE_KEEP);        /* line is not used after this */
    if (!arr) nz_state_unparsed(p->st, toolong ? "mapping output too long" : "mapping output is not JSON",
                                loc(p, lb, sizeof lb, "jq"), raw);
    else nz_state_conversions(p->st, arr, raw);
    cJSON_Delete(arr);
    qpop(p);
    p->jq_progress_us = sa_time_mono_us();
    run_head(p);
}

/* jq is gone: report what it owed, handle the rest in order. */
static void jq_lost(pump *p)
{
    char lb[160];
    while (p->qn) {
        qent *e = &p->q[p->qhead];
        if (e->kind == Q_JQ) {
            nz_state_unparsed(p->st, "mapping program (jq) exited before answering",
                              loc(p, lb, sizeof lb, "jq"), (nz_raw){ NZ_RAW_JSON, e->line });
            qpop(p);
        }
        run_head(p);
    }
}

/* jq has owed the head line an answer for longer than --line-timeout: the
 * line becomes an agent.unparsed error, jq is killed and started afresh
 * (the program keeps no state between lines), and the lines it had been
 * given after that one are given to the new jq.  -1 when no new jq starts. */
static int jq_restart(pump *p)
{
    char lb[160], why[160];
    nz_jq_kill(&p->jq);
    (void)nz_jq_finish(&p->jq);
    sa_warnx("mapping program took longer than %u ms on a line; jq restarted", p->cfg->line_timeout_ms);
    snprintf(why, sizeof why, "mapping program (jq) took longer than %u ms on this line",
             p->cfg->line_timeout_ms);
    qent *e = &p->q[p->qhead];
    nz_state_unparsed(p->st, why, loc(p, lb, sizeof lb, "jq"), (nz_raw){ NZ_RAW_JSON, e->line });
    qpop(p);
    run_head(p);
    sa_line_free(&p->jo_line);
    p->joff = p->jlen = 0;
    if (nz_jq_start(&p->jq, p->cfg->jq, p->cfg->composed, p->cfg->agent, p->cfg->session) < 0) {
        sa_warn("cannot start jq again");
        return -1;
    }
    sa_line_init(&p->jo_line, p->jq.out_fd, NZ_LINE_MAX * 4);
    for (size_t i = 0; i < p->qn; i++) {
        qent *q = &p->q[(p->qhead + i) % NZ_QUEUE_MAX];
        if (q->kind == Q_JQ) jbuf_add(p, q->line, q->len);
    }
    p->jq_progress_us = sa_time_mono_us();
    return 0;
}

/* µs until the head line's time limit (INT64_MAX when none runs). */
static int64_t jq_time_left(const pump *p)
{
    if (!p->cfg->line_timeout_ms || !p->jq_owed) return INT64_MAX;
    int64_t left = p->jq_progress_us + (int64_t)p->cfg->line_timeout_ms * 1000 - sa_time_mono_us();
    return left < 0 ? 0 : left;
}

int nz_pump_run(nz_pump_cfg *cfg)
{
    pump *p = calloc(1, sizeof *p);
    if (!p) sa_diex(1, "out of memory");
    p->cfg = cfg;
    cfg->opts.emit = emit_cb;
    cfg->opts.emit_parts = emit_parts_cb;
    cfg->opts.emit_ctx = p;
    p->st = nz_state_new(&cfg->opts);
    if (!p->st) sa_diex(1, "out of memory");
    if (nz_jq_start(&p->jq, cfg->jq, cfg->composed, cfg->agent, cfg->session) < 0)
        sa_die(1, "cannot start jq");
    if (cfg->check) {                    /* compiled by the check meanwhile */
        int crc = nz_jq_check_wait(cfg->check);
        cfg->check = NULL;
        if (crc != 0) {
            cfg->rejected = crc;
            nz_jq_finish(&p->jq);
            nz_state_free(p->st);
            free(p);
            return crc == 2 || crc == 3 ? 3 : 1;
        }
    }
    nz_state_begin(p->st);

    int in_flags = fcntl(cfg->in_fd, F_GETFL);
    fcntl(cfg->in_fd, F_SETFL, in_flags | O_NONBLOCK);
    sa_line in;
    sa_line_init(&in, cfg->in_fd, NZ_LINE_MAX);
    sa_line_set_chunk(&in, LINE_KEEP);        /* a burst is read a pipe's worth at a time */
    sa_line_init(&p->jo_line, p->jq.out_fd, NZ_LINE_MAX * 4);
    p->jo = &p->jo_line;
    sa_line *jop = p->jo;
    bool in_eof = false, jq_eof = false, failed = false;

    for (;;) {
        if (sa_stop_requested() && !in_eof) in_eof = true;
        /* stdin: take every complete line while there is room */
        while (!in_eof && !queue_full(p)) {
            char *line; size_t len;
            int r = sa_line_next(&in, &line, &len);
            if (r == SA_LINE_OK || r == SA_LINE_TOOLONG) {
                take_line(p, line, len, r == SA_LINE_TOOLONG);   /* copies the line */
                sa_line_shrink(&in, LINE_KEEP);
                continue;
            }
            if (r == SA_LINE_EOF) in_eof = true;
            else if (r == SA_LINE_ERR) { sa_warn("read stdin"); in_eof = true; }
            break;
        }
        run_head(p);
        /* jq stdin */
        if (p->jq.in_fd >= 0 && p->joff < p->jlen) {
            ssize_t w = write(p->jq.in_fd, p->jbuf + p->joff, p->jlen - p->joff);
            if (w > 0) p->joff += (size_t)w;
            if (p->joff == p->jlen && p->jcap > KEEP_BYTES) {
                free(p->jbuf); p->jbuf = NULL; p->jcap = p->jlen = p->joff = 0;
            }
            else if (w < 0 && errno != EAGAIN && errno != EINTR) { nz_jq_close_input(&p->jq); }
        }
        if (in_eof && p->jq.in_fd >= 0 && p->joff >= p->jlen) nz_jq_close_input(&p->jq);
        /* jq stdout */
        while (!jq_eof) {
            char *line; size_t len;
            int r = sa_line_next(jop, &line, &len);
            if (r == SA_LINE_OK || r == SA_LINE_TOOLONG) { jq_answer(p, line, r == SA_LINE_TOOLONG); continue; }
            if (r == SA_LINE_EOF || r == SA_LINE_ERR) jq_eof = true;
            break;
        }
        if (jq_eof && jq_waiting(p)) {
            sa_warnx("jq exited with %zu line(s) unanswered", jq_waiting(p));
            jq_lost(p);
            failed = true;
            flush_out(p);
            break;
        }
        if (!jq_eof && jq_time_left(p) == 0) {
            if (jq_restart(p) < 0) { jq_eof = true; jq_lost(p); failed = true; flush_out(p); break; }
            continue;
        }
        int64_t wait_us = batch_wait(p, in_eof);
        if (wait_us < 0) flush_out(p);
        if (p->out_err) { failed = true; break; }
        if (in_eof && p->qn == 0 && (jq_eof || p->jq.in_fd < 0)) {
            flush_out(p);
            if (!jq_eof) {           /* drain jq's end of stream */
                char *line; size_t len;
                int fl = fcntl(p->jq.out_fd, F_GETFL);
                fcntl(p->jq.out_fd, F_SETFL, fl & ~O_NONBLOCK);
                int r;
                while ((r = sa_line_next(jop, &line, &len)) == SA_LINE_OK || r == SA_LINE_TOOLONG)
                    sa_warnx("jq printed a line nobody asked for; ignored");
            }
            break;
        }
        struct pollfd pf[4];
        int n = 0;
        if (sa_stop_fd() >= 0 && !in_eof) pf[n++] = (struct pollfd){ sa_stop_fd(), POLLIN, 0 };
        if (!in_eof && !queue_full(p)) pf[n++] = (struct pollfd){ cfg->in_fd, POLLIN, 0 };
        if (p->jq.in_fd >= 0 && p->joff < p->jlen) pf[n++] = (struct pollfd){ p->jq.in_fd, POLLOUT, 0 };
        if (!jq_eof) pf[n++] = (struct pollfd){ p->jq.out_fd, POLLIN, 0 };
        if (n == 0) { flush_out(p); continue; }
        int64_t left = jq_time_left(p);
        if (left != INT64_MAX && (wait_us < 0 || left < wait_us)) wait_us = left;
        struct timespec to = { (time_t)(wait_us / 1000000), (long)(wait_us % 1000000) * 1000 };
        if (ppoll(pf, (nfds_t)n, wait_us < 0 ? NULL : &to, NULL) < 0 && errno != EINTR) { sa_warn("poll"); failed = true; break; }
    }

    fcntl(cfg->in_fd, F_SETFL, in_flags);
    sa_line_free(&in);
    sa_line_free(&p->jo_line);
    int rc = nz_jq_finish(&p->jq);
    if (rc != 0 && !failed && !sa_stop_requested()) { sa_warnx("jq exited with status %d", rc); failed = true; }
    while (p->qn) qpop(p);
    if (cfg->fast)
        sa_info("%zu line(s) mapped by the fast path (%zu of them through a tree), %zu by jq", p->fast_n,
                p->tree_n, p->jq_n);
    nz_state_free(p->st);
    free(p->jbuf);
    free(p->obuf);
    free(p);
    return failed ? 1 : 0;
}
