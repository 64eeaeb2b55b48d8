/*
 * metrics.c — GET /metrics: sa-serve's state in the Prometheus text format
 * (version 0.0.4), behind the same token as the API.
 *
 * How it works: everything but the latency histogram is computed when
 * scraped, by one walk over the session registry (gauges): sessions active
 * (a stage pipeline runs) and stored, events stored per agent (the sum of
 * each session's last sequence: sequences have no gaps), SSE clients,
 * the SSE streams not live and the longest output queue of one stream
 * (what --client-buffer bounds), pending permissions and questions, processes per stage (sa-spawn runs as
 * long as its agent does, so stage="spawn" is the agent process count),
 * token usage and cost per agent (the sessions' turn.ended totals).  The
 * commit latency histogram is kept as events arrive: for every event line
 * a pipeline's sa-store prints (it prints only committed events),
 * met_commit_seen observes now − the event's `time` (set by sa-normalize
 * when it made the event), i.e. how long an event took from being made to
 * being durable and in sa-serve's hands.  Per-agent rows are gathered in a
 * small array (one row per distinct agent name, linear: agents are few).
 *
 * Ownership: the histogram lives in srv (met_hist, no allocation); the
 * scrape's text buffer and rows are freed before met_route returns.
 */
#include "serve.h"
#include "http.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const double met_buckets[MET_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25, 0.5, 1, 2.5, 5, 10};

/* "2026-12-01T17:51:03.674Z" → ms since the epoch; -1 if not that shape.
 * The seconds of the last "YYYY-MM-DDTHH:MM:SS" parsed are remembered: a
 * burst's events share them, so strptime/timegm run about once a second. */
static int64_t iso_ms(const char *t, size_t n)
{
    static char last[19];
    static int64_t last_s = -1;
    if (n < 20) return -1;
    int64_t secs;
    const char *end;
    if (last_s >= 0 && !memcmp(t, last, sizeof last)) {
        secs = last_s;
        end = t + sizeof last;
    } else {
        struct tm tm = {0};
        char buf[32];
        size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
        memcpy(buf, t, k);
        buf[k] = '\0';
        const char *e = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!e) return -1;
        secs = (int64_t)timegm(&tm);
        end = t + (e - buf);
        if (e - buf == (ptrdiff_t)sizeof last) { memcpy(last, t, sizeof last); last_s = secs; }
    }
    const char *stop = t + n;
    int64_t ms = 0;
    if (end < stop && *end == '.') {
        int digits = 0;
        for (end++; end < stop && *end >= '0' && *end <= '9'; end++)
            if (digits < 3) { ms = ms * 10 + (*end - '0'); digits++; }
        while (digits++ < 3) ms *= 10;
    }
    if (end >= stop || *end != 'Z') return -1;
    return secs * 1000 + ms;
}

void met_commit_seen(srv *s, const char *line, size_t len)
{
    size_t look = len < 512 ? len : 512;      /* time follows event_id and sequence */
    const char *p = memmem(line, look, "\"time\":\"", 8);
    if (!p) return;
    p += 8;
    const char *q = memchr(p, '"', (size_t)(line + len - p));
    int64_t t = q ? iso_ms(p, (size_t)(q - p)) : -1;
    if (t < 0) return;
    double d = (double)(sa_time_ms() - t) / 1000.0;
    if (d < 0) d = 0;
    met_hist *h = &s->commit_hist;
    for (int i = 0; i < MET_BUCKETS; i++)
        if (d <= met_buckets[i]) h->le[i]++;
    h->count++;
    h->sum += d;
}

typedef struct { const char *agent; double events; double use[SRV_USAGE_N]; unsigned have; } agent_row;

static agent_row *row_for(agent_row **rows, size_t *n, size_t *cap, const char *agent)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*rows)[i].agent, agent)) return &(*rows)[i];
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        agent_row *r = realloc(*rows, nc * sizeof *r);
        if (!r) return NULL;
        *rows = r;
        *cap = nc;
    }
    agent_row *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    r->agent = agent;
    return r;
}

/* A label value: agent names are identifiers, but escape \ " and newline anyway. */
static void label(struct evbuffer *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') evbuffer_add_printf(b, "\\%c", *v);
        else if (*v == '\n') evbuffer_add(b, "\\n", 2);
        else evbuffer_add(b, v, 1);
    }
}

static void head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
    head(b, name, "gauge", help);
    evbuffer_add_printf(b, "%s %.17g\n", name, v);
}

static const char *const usage_names[SRV_USAGE_N] = {"input", "output", "cache_read", "cache_write",
                                                     "reasoning", NULL};

void met_route(srv *s, struct evhttp_request *req)
{
    double active = 0, stored = 0, clients = 0, perms = 0, questions = 0, stage[3] = {0};
    size_t queue_max = 0, behind = 0;
    agent_row *rows = NULL;
    size_t nrows = 0, cap = 0;
    for (srv_session *ss = s->sessions; ss; ss = ss->next) {
        if (ss->delete_req) continue;
        ses_ready(ss);          /* the first scrape reads every session's totals once */
        stored++;
        if (pl_alive(ss)) active++;
        for (int i = 0; i < 3; i++) stage[i] += pl_stage_alive(ss, i);
        clients += (double)sse_client_count(ss);
        size_t q = sse_client_queue_max(ss, &behind);
        if (q > queue_max) queue_max = q;
        for (const srv_hitl *h = ss->hitl; h; h = h->next) {
            if (h->question) questions++;
            else perms++;
        }
        agent_row *r = row_for(&rows, &nrows, &cap, ss->agent ? ss->agent : "");
        if (!r) continue;
        r->events += (double)ss->last_seq;
        for (int k = 0; k < SRV_USAGE_N; k++) r->use[k] += ss->usage.v[k];
        r->have |= ss->usage.have;
    }
    struct evbuffer *b = evbuffer_new();
    if (!b) { free(rows); http_text(req, 500, "out of memory\n"); return; }
    gauge(b, "sa_sessions_active", "Sessions whose stage pipeline is running.", active);
    gauge(b, "sa_sessions_stored", "Sessions in the store (known to this server).", stored);
    head(b, "sa_events_stored", "gauge", "Events stored, per agent.");
    for (size_t i = 0; i < nrows; i++) {
        evbuffer_add(b, "sa_events_stored{agent=\"", 24);
        label(b, rows[i].agent);
        evbuffer_add_printf(b, "\"} %.17g\n", rows[i].events);
    }
    gauge(b, "sa_sse_clients", "Open SSE streams (events/sse and messages/stream).", clients);
    gauge(b, "sa_sse_clients_behind", "SSE streams not live: over --client-buffer or catching up from the store.",
          (double)behind);
    gauge(b, "sa_sse_client_queue_bytes_max",
          "The longest output queue sa-serve holds for one SSE stream, in bytes.", (double)queue_max);
    gauge(b, "sa_pending_permissions", "Permission requests waiting for a reply.", perms);
    gauge(b, "sa_pending_questions", "Questions waiting for a reply or rejection.", questions);
    gauge(b, "sa_agent_processes", "Agents running (their sa-spawn stage is alive).", stage[0]);
    head(b, "sa_stage_processes", "gauge", "Stage processes running, per stage.");
    static const char *const stage_names[3] = {"spawn", "normalize", "store"};
    for (int i = 0; i < 3; i++)
        evbuffer_add_printf(b, "sa_stage_processes{stage=\"%s\"} %.17g\n", stage_names[i], stage[i]);
    head(b, "sa_tokens", "gauge", "Tokens the agents reported in turn.ended usage, per agent and kind.");
    for (size_t i = 0; i < nrows; i++)
        for (int k = 0; usage_names[k]; k++) {
            if (!(rows[i].have & (1u << k))) continue;
            evbuffer_add(b, "sa_tokens{agent=\"", 17);
            label(b, rows[i].agent);
            evbuffer_add_printf(b, "\",kind=\"%s\"} %.17g\n", usage_names[k], rows[i].use[k]);
        }
    head(b, "sa_cost_usd", "gauge", "Cost the agents reported in turn.ended usage, per agent.");
    for (size_t i = 0; i < nrows; i++) {
        if (!(rows[i].have & (1u << (SRV_USAGE_N - 1)))) continue;
        evbuffer_add(b, "sa_cost_usd{agent=\"", 19);
        label(b, rows[i].agent);
        evbuffer_add_printf(b, "\"} %.17g\n", rows[i].use[SRV_USAGE_N - 1]);
    }
    const met_hist *h = &s->commit_hist;
    head(b, "sa_event_commit_latency_seconds", "histogram",
         "From an event's time (made by sa-normalize) to sa-serve reading it committed from sa-store.");
    for (int i = 0; i < MET_BUCKETS; i++)
        evbuffer_add_printf(b, "sa_event_commit_latency_seconds_bucket{le=\"%g\"} %llu\n", met_buckets[i],
                            (unsigned long long)h->le[i]);
    evbuffer_add_printf(b, "sa_event_commit_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                           "sa_event_commit_latency_seconds_sum %.6f\n"
                           "sa_event_commit_latency_seconds_count %llu\n",
                        (unsigned long long)h->count, h->sum, (unsigned long long)h->count);
    free(rows);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}
