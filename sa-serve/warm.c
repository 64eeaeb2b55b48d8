/*
 * warm.c — after start, read every stored session's history (ses_ready:
 * usage, todos, subagents, MCP servers, skills, pending requests) in the
 * background, WARM_BATCH sessions per loop tick, so that the first
 * GET /v1/sessions or /metrics scrape finds them read instead of doing
 * 100,000 sessions' queries itself, and requests left pending by an earlier
 * run are resolved soon after start rather than at the session's first use.
 *
 * How: a timer of WARM_TICK_MS reads at most WARM_BATCH sessions not yet
 * read, from a cursor into the session list (s->warm_next, in creation
 * order); a deleted session moves the cursor on (ses_delete), so it never
 * dangles.  At the list's end the timer stops for good (sessions made later
 * are read at create, or at first use when another process stored them).
 * Between ticks the loop serves requests as usual, so start-up (time to
 * listen) is unchanged.
 *
 * Ownership: s->warm is the srv's; ses_warm_stop frees it.
 */
#include "serve.h"

#define WARM_BATCH 128
#define WARM_TICK_MS 1

static void on_warm(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    srv *s = arg;
    size_t done = 0;
    srv_session *ss = s->warm_next;
    for (; ss && done < WARM_BATCH && !s->stopping; ss = ss->next) {
        if (ss->hydrated || ss->delete_req) continue;
        ses_ready(ss);
        done++;
    }
    s->warm_next = ss;
    if (!ss || s->stopping) ses_warm_stop(s);
}

void ses_warm_start(srv *s)
{
    if (!(s->warm_next = s->sessions)) return;
    s->warm = event_new(s->base, -1, EV_PERSIST, on_warm, s);
    struct timeval tv = {0, WARM_TICK_MS * 1000};
    if (s->warm) event_add(s->warm, &tv);
}

void ses_warm_stop(srv *s)
{
    if (!s->warm) return;
    event_free(s->warm);
    s->warm = NULL;
    s->warm_next = NULL;
}
