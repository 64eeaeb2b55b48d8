/*
 * agents_run.c — ag_run (agents_run.h): spawn a command through children.c
 * (its own process group, SIGKILL on shutdown), read its stdout (and
 * stderr, when asked) into an
 * evbuffer as it comes, and finish once both EOF and the exit were seen, or
 * at once on overflow or when the deadline timer fires (the group is then
 * SIGKILLed; children.c reaps it later).
 */
#include "agents_run.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

void ag_run_finish(ag_run *r)
{
    if (!r->active) return;
    r->active = false;
    if (r->ev) { event_free(r->ev); r->ev = NULL; }
    if (r->timer) { event_free(r->timer); r->timer = NULL; }
    if (r->fd >= 0) { close(r->fd); r->fd = -1; }
    if (r->pid > 0 && r->failed) killpg(r->pid, SIGKILL);   /* reaped later by children.c */
    r->done(r);
    if (r->out) { evbuffer_free(r->out); r->out = NULL; }
}

static void run_check(ag_run *r)
{
    if (r->active && r->eof && r->pid <= 0) ag_run_finish(r);
}

static void on_run_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    ag_run *r = arg;
    int n = evbuffer_read(r->out, fd, 65536);
    if (n < 0) r->failed = true;
    if (n <= 0) r->eof = true;
    if (evbuffer_get_length(r->out) > r->max) { r->failed = true; ag_run_finish(r); return; }
    if (r->eof) { event_del(r->ev); run_check(r); }
}

static void on_run_exit(pid_t pid, int status, void *arg)
{
    (void)pid;
    ag_run *r = arg;
    r->pid = 0;
    r->status = status;
    run_check(r);
}

static void on_run_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    ag_run *r = arg;
    r->failed = true;
    ag_run_finish(r);
}

int ag_run_start(srv *s, ag_run *r, const char *path, const cJSON *args, size_t max,
                     unsigned ms, bool with_stderr, void (*done)(ag_run *))
{
    char *argv[34];
    int n = 0;
    argv[n++] = (char *)path;
    const cJSON *a;
    cJSON_ArrayForEach(a, args) if (cJSON_IsString(a) && n < 33) argv[n++] = a->valuestring;
    argv[n] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -1;
    *r = (ag_run){.s = r->s, .agent = r->agent, .fd = -1, .max = max, .done = done};
    r->out = evbuffer_new();
    r->pid = r->out ? ch_spawn_err(argv, -1, fds[1], with_stderr ? fds[1] : -1, 0, SIGKILL, NULL, NULL) : -1;
    close(fds[1]);
    if (r->pid < 0) {
        r->pid = 0;
        close(fds[0]);
        if (r->out) { evbuffer_free(r->out); r->out = NULL; }
        return -1;
    }
    ch_watch(r->pid, on_run_exit, r);
    r->fd = fds[0];
    r->active = true;
    r->ev = event_new(s->base, r->fd, EV_READ | EV_PERSIST, on_run_read, r);
    r->timer = evtimer_new(s->base, on_run_timeout, r);
    event_add(r->ev, NULL);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(r->timer, &tv);
    return 0;
}

