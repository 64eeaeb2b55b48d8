/*
 * park.c — idle agents parked (--idle-park S), and resumed by the next
 * message.
 *
 * Idle: a session whose pipeline runs, with no message owed a turn.ended
 * (park_owed counts the messages sent and the turn.ended events seen), no
 * pending permission or question, and no committed event for S seconds.
 * Each session with a pipeline has one timer (park_ev, allocated when first
 * armed and freed with the pipeline, so a parked session holds none): armed
 * for S s when the pipeline starts idle (create) and when a turn.ended
 * leaves nothing owed; a message disarms it.  When it fires it checks again
 * (events since? the rest of S; HITL pending? S more) and then parks.
 *
 * Parking: the control command {"type":"park","idle_ms":N}.  sa-spawn ends
 * its input there, stops the agent as at end of input and writes a parked
 * line; sa-normalize makes the agent.parked status item of it, sa-store
 * commits it, and the stages exit at their input's end.  So the item is
 * stored by the session's own sa-store, in sequence, before the pipeline
 * is gone: sa-serve never writes while that writer lives, and no store
 * call runs on the event loop.  If the pipeline has not ended after the
 * grace, it is stopped as at shutdown (sa-store and sa-normalize first, so
 * no session.ended is stored: the session stays open either way).
 *
 * Parked: SessionInfo.parked is true for an open session (not ended, no
 * terminate asked) that has no pipeline of this server's: one parked here,
 * and every open session after a restart of sa-serve (its agents were
 * stopped with it).  Both resume alike.
 *
 * Resuming: a message that finds no pipeline starts one (turns.c, as
 * before: native resume or sa-replay priming) and pk_wake notes when it
 * came; sa-spawn gets --resumed-at that time and writes, before the
 * agent's first output line, a resumed line: the agent.resumed status item
 * with resume_ms.  A message that comes while the session is parking is
 * held (park_wait) and sent to the pipeline started when the parking one
 * is gone; its turn stream stays open meanwhile.
 *
 * A parked session keeps its registry entry but no timer and no event ring
 * (freed when the parking pipeline is gone, unless an SSE stream is open).
 *
 * Ownership: the session owns park_ev and park_wait (pk_free; the timer
 * also goes with the pipeline, pk_pipeline_ended).
 */
#include "serve.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PK_STOP_SLACK_MS 3000      /* beyond the grace before a parking pipeline is stopped */

static void on_timer(evutil_socket_t fd, short what, void *arg);

static void arm_ms(srv_session *ss, int64_t ms)
{
    if (!ss->park_ev && !(ss->park_ev = evtimer_new(ss->srv->base, on_timer, ss))) return;
    if (ms < 1) ms = 1;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(ss->park_ev, &tv);
}

static void arm(srv_session *ss)
{
    if (ss->srv->cfg.idle_park && ss->pipe && !ss->parking)
        arm_ms(ss, (int64_t)ss->srv->cfg.idle_park * 1000);
}

static void park(srv_session *ss, int64_t idle_ms)
{
    char cmd[80];
    int n = snprintf(cmd, sizeof cmd, "{\"type\":\"park\",\"idle_ms\":%" PRId64 "}", idle_ms);
    sa_info("session %s: idle %" PRId64 " ms: parking its agent", ss->id, idle_ms);
    ss->parking = true;
    pl_send(ss, cmd, (size_t)n);
    /* sa-spawn stops its agent within about twice its grace */
    arm_ms(ss, (int64_t)ss->srv->cfg.kill_grace_ms * 2 + PK_STOP_SLACK_MS);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    srv_session *ss = arg;
    srv *s = ss->srv;
    if (!ss->pipe || s->stopping || ss->delete_req || ss->terminate_req) return;
    if (ss->parking) {
        sa_warnx("session %s: the parked pipeline did not end; stopping it", ss->id);
        pl_shutdown(ss);
        return;
    }
    if (ss->park_owed) return;                  /* a turn runs: its turn.ended arms again */
    int64_t want = (int64_t)s->cfg.idle_park * 1000, idle = sa_time_ms() - ss->updated_ms;
    if (ss->hitl) { arm(ss); return; }          /* waits for an answer: look again later */
    if (idle < want) { arm_ms(ss, want - idle); return; }
    park(ss, idle);
}

void pk_started(srv_session *ss) { arm(ss); }

void pk_turn_ended(srv_session *ss)
{
    if (ss->park_owed) ss->park_owed--;
    if (!ss->park_owed) arm(ss);
}

void pk_wake(srv_session *ss)
{
    if ((!ss->pipe || ss->parking) && !ss->resume_t0) ss->resume_t0 = sa_time_ms();
}

void pk_send(srv_session *ss, const char *line, size_t len)
{
    if (ss->parking) {
        if (!ss->park_wait && !(ss->park_wait = evbuffer_new())) return;
        evbuffer_add(ss->park_wait, line, len);
        evbuffer_add(ss->park_wait, "\n", 1);
        return;
    }
    ss->park_owed++;
    if (ss->park_ev) evtimer_del(ss->park_ev);
    pl_send(ss, line, len);
}

const char *pk_resumed_arg(srv_session *ss, char *buf, size_t n)
{
    if (!ss->resume_t0) return NULL;
    snprintf(buf, n, "%" PRId64, ss->resume_t0);
    ss->resume_t0 = 0;
    return buf;
}

bool pk_pipeline_ended(srv_session *ss)
{
    srv *s = ss->srv;
    if (ss->park_ev) { event_free(ss->park_ev); ss->park_ev = NULL; }
    bool was_parking = ss->parking;
    ss->park_owed = 0;
    ss->parking = false;
    int64_t t0 = ss->resume_t0;
    ss->resume_t0 = 0;                          /* a failed start does not keep it */
    struct evbuffer *wait = ss->park_wait;
    ss->park_wait = NULL;
    /* a parked session keeps no ring of recent events (about 20 kB and the
     * events' bytes): a stream that opens later catches up from the store */
    if (was_parking && !wait && !ss->clients) sse_ring_free(ss);
    if (!wait) return false;
    bool resumed = false;
    ss->resume_t0 = t0;
    if (!s->stopping && !ss->terminate_req && !ss->delete_req && evbuffer_get_length(wait) &&
        pl_start(ss, false) == 0 && ss->pipe) {
        sa_info("session %s: resumed for the messages that came while it parked", ss->id);
        char *line;
        size_t len;
        while ((line = evbuffer_readln(wait, &len, EVBUFFER_EOL_LF))) {
            pk_send(ss, line, len);
            free(line);
        }
        resumed = true;
    } else {
        ss->resume_t0 = 0;
    }
    evbuffer_free(wait);
    return resumed;
}

bool pk_parked(const srv_session *ss) { return !ss->pipe && !ss->ended && !ss->terminate_req; }

void pk_free(srv_session *ss)
{
    if (ss->park_ev) event_free(ss->park_ev);
    if (ss->park_wait) evbuffer_free(ss->park_wait);
    ss->park_ev = NULL;
    ss->park_wait = NULL;
}
