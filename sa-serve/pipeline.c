/*
 * pipeline.c — one stage pipeline per session:
 *     sa-spawn --control FIFO ... | sa-normalize ... | sa-store --db ... --session S
 * started in its own process group (the group id is sa-spawn's pid), with
 * pipe2(O_CLOEXEC) between the stages and sa-store's stdout read by the
 * event loop (sa_line, non-blocking) and handed to sse_intake.
 *
 * Why not libpipeline: pipeline_start exits the program on failure, reads
 * block, and its SIGCHLD handler reaps any child — it would fight the loop.
 * Children are fork+exec'd by children.c with a parent-death signal:
 * SIGTERM for sa-spawn (it then stops its agent's group), SIGKILL for
 * sa-normalize and sa-store (nothing to clean up; a kill -9 of sa-serve
 * must not store a session.ended, so the session stays resumable).
 *
 * Control: sa-serve creates the FIFO in the state dir and keeps it open
 * O_RDWR|O_NONBLOCK (so sa-spawn's open never blocks and writes never
 * SIGPIPE); command lines queue in an evbuffer and are written when the
 * FIFO has room.
 *
 * Restart (pipeline gone, e.g. after sa-serve was restarted): resumable
 * agents with a native id get sa-spawn --resume ID; the others are primed
 * with `sa-replay --format text --max-events 50 --max-chars 12000` output
 * (run first, asynchronously, into a file; sa-spawn --prime FILE).
 * sa-normalize always gets --no-session-started (sa-serve stored the
 * session.started when the session was created) --item-start <max+1>
 * --native-session-id <known>.
 *
 * Stopping: terminate = FIFO "terminate", SIGTERM sa-spawn after 0.5 s (the
 * other stages end at their input's end), SIGKILL the group after the grace; shutdown = SIGKILL normalize+store
 * (so nothing more is stored), SIGTERM sa-spawn, SIGKILL after the grace.
 * sa-spawn gets --grace-ms of half the grace (at least 100 ms), so on our
 * SIGTERM it has time to SIGTERM, then SIGKILL, its agent's own process
 * group before we SIGKILL sa-spawn's.  When every stage is reaped and the
 * output is at EOF the pipeline is finished: committed events we did not
 * see are read from the store, a terminate that stored no session.ended
 * gets one (sst_append_terminated), a sa-store that failed on its own
 * (exit 3 or 4) gets an `error` event (sst_store_failure; when the store
 * refuses that too, the next message retries it first, turns.c), and turn
 * streams end.
 *
 * Agents: sa-spawn gets --agents-dir and sa-normalize --programs of
 * cfg.agents_dir, so every stage reads the descriptions sa-serve serves.
 *
 * Delete: DELETE /v1/sessions/{id} stops the pipeline as a shutdown does;
 * when it is finished the session is removed (ses_delete_finish), so the
 * callbacks that end in finish() must not touch the session afterwards.
 *
 * Ownership: the session owns its srv_pipe; pl_free releases fds, events,
 * the FIFO and the prime file.
 */
#include "serve.h"
#include "sa_store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES (64u << 20)
#define READ_CHUNK     (64u << 10)   /* sa-store's output is read a pipe's worth at a time */
#define LINES_PER_CB   256    /* then the frames go out (sse_flush) and the loop runs once: clients stay live */

struct srv_pipe {
    srv_session *ss;
    pid_t pid[3];                  /* sa-spawn, sa-normalize, sa-store */
    bool alive[3];
    pid_t pgid, replay_pid;
    int ctl_fd, out_fd;
    char *fifo, *prime_file;
    struct evbuffer *ctl_out;
    struct event *ctl_ev, *out_ev, *timer;
    sa_line lr;
    bool started, out_eof, terminating, shutting_down, fresh;
    bool broken;                   /* sa-normalize or sa-store died first: the rest is stopped */
    int stop_step;
    int status[3];                 /* waitpid status of each stage once reaped */
};

typedef struct { char *v[48]; int n; } argv_t;
static void av(argv_t *a, const char *s) { if (a->n < 47 && s) a->v[a->n++] = strdup(s); }
static void av2(argv_t *a, const char *k, const char *v) { if (v) { av(a, k); av(a, v); } }
static void av_free(argv_t *a) { for (int i = 0; i < a->n; i++) free(a->v[i]); a->n = 0; }

bool pl_alive(const srv_session *ss) { return ss->pipe != NULL; }
pid_t pl_pgid(const srv_session *ss) { return ss->pipe ? ss->pipe->pgid : 0; }
int pl_stage_alive(const srv_session *ss, int i) { return ss->pipe && i >= 0 && i < 3 && ss->pipe->alive[i]; }

void pl_free(srv_pipe *p)
{
    if (!p) return;
    ch_forget(p);
    if (p->ctl_ev) event_free(p->ctl_ev);
    if (p->out_ev) event_free(p->out_ev);
    if (p->timer) event_free(p->timer);
    if (p->ctl_out) evbuffer_free(p->ctl_out);
    if (p->ctl_fd >= 0) close(p->ctl_fd);
    if (p->out_fd >= 0) close(p->out_fd);
    sa_line_free(&p->lr);
    if (p->fifo) { unlink(p->fifo); free(p->fifo); }
    if (p->prime_file) { unlink(p->prime_file); free(p->prime_file); }
    free(p);
}

/* "exit 0", "exit 3", "signal 9" of a waitpid status, or "not run". */
static const char *stage_end(const srv_pipe *p, int i, char *buf, size_t n)
{
    if (p->pid[i] <= 0) snprintf(buf, n, "not run");
    else if (WIFSIGNALED(p->status[i])) snprintf(buf, n, "signal %d", WTERMSIG(p->status[i]));
    else snprintf(buf, n, "exit %d", WEXITSTATUS(p->status[i]));
    return buf;
}

static void finish(srv_pipe *p)
{
    srv_session *ss = p->ss;
    srv *s = ss->srv;
    char a[32], b[32], c[32];
    sa_notice("session %s: pipeline ended (sa-spawn %s, sa-normalize %s, sa-store %s)%s", ss->id,
              stage_end(p, 0, a, sizeof a), stage_end(p, 1, b, sizeof b), stage_end(p, 2, c, sizeof c),
              p->shutting_down ? ", stopped" : p->terminating ? ", terminated" : "");
    /* sa-store failed on its own (disk full, read-only, database lost) */
    int sc = p->pid[2] > 0 && WIFEXITED(p->status[2]) ? WEXITSTATUS(p->status[2]) : 0;
    bool store_failed = !p->shutting_down && (sc == 3 || sc == 4);
    ss->pipe = NULL;
    pl_free(p);
    if (ss->delete_req) { ses_delete_finish(ss); return; }   /* frees ss */
    /* events committed by sa-store that never reached us */
    sa_event_list l = {0};
    if (sa_store_read(s->store, ss->id, ss->last_seq, 0, true, &l) == SA_STORE_OK) {
        for (size_t i = 0; i < l.n; i++) sse_intake(ss, l.v[i].json, l.v[i].len);
        sa_event_list_free(&l);
    }
    if (store_failed) { ss->store_failed = sc; sst_store_failure(ss); }   /* else at the next message */
    if (ss->terminate_req && ss->ended_seq <= ss->terminate_after) sst_append_terminated(ss);
    sse_flush(ss);
    if (!pk_pipeline_ended(ss)) sse_end_turn_streams(ss);
}

static void maybe_finish(srv_pipe *p)
{
    if (p->replay_pid > 0) return;
    if (p->started && (p->alive[0] || p->alive[1] || p->alive[2] || !p->out_eof)) return;
    finish(p);
}

static void on_out(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    srv_pipe *p = arg;
    srv_session *ss = p->ss;
    int i;
    for (i = 0; i < LINES_PER_CB; i++) {
        char *line;
        size_t len;
        int r = sa_line_next(&p->lr, &line, &len);
        if (r == SA_LINE_OK) {
            if (len) { met_commit_seen(ss->srv, line, len); sse_intake(ss, line, len); }
            if (len > READ_CHUNK) sa_line_shrink(&p->lr, READ_CHUNK);   /* a big event's buffer goes back */
            continue;
        }
        if (r == SA_LINE_TOOLONG) { sa_warnx("session %s: overlong line from sa-store dropped", ss->id); continue; }
        if (r == SA_LINE_AGAIN) break;
        if (r == SA_LINE_ERR) sa_warn("session %s: reading sa-store output", ss->id);
        p->out_eof = true;
        event_del(p->out_ev);
        break;
    }
    if (i == LINES_PER_CB && sa_line_buffered(&p->lr)) event_active(p->out_ev, EV_READ, 0);
    sse_flush(ss);
    if (p->out_eof) maybe_finish(p);
}

static void arm(srv_pipe *p, int step, unsigned ms);

static void on_child(pid_t pid, int status, void *arg)
{
    srv_pipe *p = arg;
    static const char *const names[] = {"sa-spawn", "sa-normalize", "sa-store"};
    for (int i = 0; i < 3; i++) {
        if (p->pid[i] != pid) continue;
        p->alive[i] = false;
        p->status[i] = status;
        if (status != 0 && !p->terminating && !p->shutting_down)
            sa_info("session %s: %s exited with status 0x%x", p->ss->id, names[i], (unsigned)status);
        /* A later stage gone while sa-spawn runs: nothing it sends can be
         * stored any more, and an idle sa-spawn would wait for input for
         * ever (fault.bats).  sa-spawn is stopped as at terminate (SIGTERM:
         * it stops its agent), SIGKILL for all after the grace; sa-store,
         * when it is the survivor, commits what it has and ends on EOF.
         * The session then has no pipeline: its next message resumes it. */
        if ((i == 1 || i == 2) && p->alive[0] && !p->terminating && !p->shutting_down && !p->broken) {
            p->broken = true;
            sa_warnx("session %s: %s ended before sa-spawn; stopping the pipeline", p->ss->id, names[i]);
            kill(p->pid[0], SIGTERM);
            arm(p, 2, p->ss->srv->cfg.kill_grace_ms);
        }
    }
    maybe_finish(p);
}

static void ctl_flush(srv_pipe *p)
{
    while (evbuffer_get_length(p->ctl_out) > 0) {
        int n = evbuffer_write(p->ctl_out, p->ctl_fd);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(p->ctl_ev, NULL);
        } else {
            sa_warn("session %s: writing the control FIFO", p->ss->id);
            evbuffer_drain(p->ctl_out, evbuffer_get_length(p->ctl_out));
        }
        break;
    }
}

static void on_ctl(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    ctl_flush(arg);
}

void pl_send(srv_session *ss, const char *line, size_t len)
{
    srv_pipe *p = ss->pipe;
    if (!p) return;
    evbuffer_add(p->ctl_out, line, len);
    evbuffer_add(p->ctl_out, "\n", 1);
    ctl_flush(p);
}

#define PL_HIDE_MAX 24

static const char *session_cwd(const srv_session *ss)
{
    struct stat st;
    if (ss->directory && ss->directory[0] == '/' && stat(ss->directory, &st) == 0 && S_ISDIR(st.st_mode))
        return ss->directory;
    return ss->srv->cfg.fs_root;
}

const char *pl_session_cwd(const srv_session *ss) { return session_cwd(ss); }

unsigned pl_spawn_grace_ms(unsigned kill_grace_ms)
{
    unsigned g = kill_grace_ms / 2;
    return g < 100 ? 100 : g;
}

static int spawn_stages(srv_pipe *p)
{
    srv_session *ss = p->ss;
    srv *s = ss->srv;
    const sa_agent_desc *ag = ag_find(s, ss->agent);
    char num[32];
    argv_t a = {0}, b = {0}, c = {0};

    av(&a, s->exe_spawn);
    av2(&a, "--agent", ss->agent);
    av2(&a, "--session", ss->id);
    av2(&a, "--control", p->fifo);
    snprintf(num, sizeof num, "%u", s->cfg.hitl_timeout);
    av2(&a, "--hitl-timeout", num);
    av2(&a, "--mode", ss->agent_mode);
    av2(&a, "--permission-mode", ss->permission_mode);
    av2(&a, "--model", ss->model);
    if (!p->fresh && ag && ag->native_resume && ss->native_id) av2(&a, "--resume", ss->native_id);
    char t0[32];
    av2(&a, "--resumed-at", p->fresh ? NULL : pk_resumed_arg(ss, t0, sizeof t0));   /* park.c */
    av2(&a, "--prime", p->prime_file);
    av2(&a, "--agents-dir", s->cfg.agents_dir);
    char *mcp = ss->mcp ? mcp_path(s, ss->id) : NULL;
    av2(&a, "--mcp", mcp);
    free(mcp);
    char *skroot = ss->skills ? sk_root(s, ss->id) : NULL;
    av2(&a, "--skills", skroot);
    free(skroot);
    snprintf(num, sizeof num, "%u", pl_spawn_grace_ms(s->cfg.kill_grace_ms));
    av2(&a, "--grace-ms", num);
    av2(&a, "--sandbox", s->sandbox);          /* resolved at start (secure.c) */
    for (char **h = s->protect; h && *h; h++) av2(&a, "--sandbox-hide", *h);   /* state dir, store */
    {   /* the other sessions' directories (those known now; at most
         * PL_HIDE_MAX, sa-spawn takes 32 hides in all) */
        const char *mine = session_cwd(ss), *seen[PL_HIDE_MAX];
        size_t nh = 0;
        for (srv_session *o = s->sessions; o && nh < PL_HIDE_MAX; o = o->next) {
            const char *d = session_cwd(o);
            bool dup = o == ss || !strcmp(d, mine);
            for (size_t i = 0; i < nh && !dup; i++) dup = !strcmp(seen[i], d);
            if (dup) continue;
            seen[nh++] = d;
            av2(&a, "--sandbox-hide", d);
        }
    }

    av(&b, s->exe_normalize);
    av2(&b, "--agent", ss->agent);
    av2(&b, "--session", ss->id);
    av2(&b, "--permission-mode", ss->permission_mode);
    av2(&b, "--programs", s->cfg.agents_dir);
    mcp = ss->mcp ? mcp_path(s, ss->id) : NULL;
    av2(&b, "--mcp", mcp);
    free(mcp);
    char *dd = diff_dir(s, ss->id);            /* the turns' session.diff items (diff.c) */
    av2(&b, "--diff-dir", dd);
    av2(&b, "--work-tree", dd ? session_cwd(ss) : NULL);
    free(dd);
    /* session.started is stored by sa-serve before create answers
     * (sst_append_started), so sa-normalize never emits one */
    {
        uint64_t max_item = 0;
        if (!p->fresh) {
            sa_session row = {0};
            if (sa_store_session_get(s->store, ss->id, &row) == SA_STORE_OK) max_item = row.max_item;
            sa_session_clear(&row);
        }
        av(&b, "--no-session-started");
        snprintf(num, sizeof num, "%llu", (unsigned long long)max_item + 1);
        av2(&b, "--item-start", num);
        av2(&b, "--native-session-id", ss->native_id);
    }

    av(&c, s->exe_store);
    if (!s->store_env) av2(&c, "--db", s->cfg.db_path);   /* a URL goes by SA_DB */
    av2(&c, "--session", ss->id);
    av2(&c, "--agent", ss->agent);
    av2(&c, "--agent-mode", ss->agent_mode);
    av2(&c, "--permission-mode", ss->permission_mode);
    av2(&c, "--model", ss->model);
    av2(&c, "--variant", ss->variant);

    int ab[2] = {-1, -1}, bc[2] = {-1, -1}, co[2] = {-1, -1};
    int rc = -1;
    if (pipe2(ab, O_CLOEXEC) < 0 || pipe2(bc, O_CLOEXEC) < 0 || pipe2(co, O_CLOEXEC) < 0) {
        sa_warn("session %s: pipe", ss->id);
        goto out;
    }
    p->pid[0] = ch_spawn(a.v, -1, ab[1], 0, SIGTERM, session_cwd(ss), NULL);
    if (p->pid[0] < 0) { sa_warn("session %s: fork", ss->id); goto out; }
    p->pgid = p->pid[0];
    p->alive[0] = true;
    ch_watch(p->pid[0], on_child, p);
    p->pid[1] = ch_spawn(b.v, ab[0], bc[1], p->pgid, SIGKILL, NULL, NULL);
    if (p->pid[1] > 0) { p->alive[1] = true; ch_watch(p->pid[1], on_child, p); }
    p->pid[2] = ch_spawn(c.v, bc[0], co[1], p->pgid, SIGKILL, NULL, s->store_env);
    if (p->pid[2] > 0) { p->alive[2] = true; ch_watch(p->pid[2], on_child, p); }
    if (p->pid[1] < 0 || p->pid[2] < 0) {
        sa_warn("session %s: fork", ss->id);
        killpg(p->pgid, SIGKILL);
        goto out;
    }
    p->out_fd = co[0];
    co[0] = -1;
    fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
    sa_line_init(&p->lr, p->out_fd, LINE_MAX_BYTES);
    sa_line_set_chunk(&p->lr, READ_CHUNK);   /* a burst is read a pipe's worth at a time */
    p->out_ev = event_new(s->base, p->out_fd, EV_READ | EV_PERSIST, on_out, p);
    event_add(p->out_ev, NULL);
    rc = 0;
    sa_notice("session %s: pipeline started (agent %s, group %d)", ss->id, ss->agent, (int)p->pgid);
out:
    p->started = true;
    if (rc < 0) p->out_eof = true;
    for (int i = 0; i < 2; i++) {
        if (ab[i] >= 0) close(ab[i]);
        if (bc[i] >= 0) close(bc[i]);
        if (co[i] >= 0) close(co[i]);
    }
    av_free(&a); av_free(&b); av_free(&c);
    return rc;
}

static void on_replay(pid_t pid, int status, void *arg)
{
    (void)pid;
    srv_pipe *p = arg;
    p->replay_pid = 0;
    if (status != 0) sa_warnx("session %s: sa-replay failed (status 0x%x); starting unprimed",
                              p->ss->id, (unsigned)status);
    if (p->terminating || p->shutting_down) { p->started = true; p->out_eof = true; maybe_finish(p); return; }
    if (spawn_stages(p) < 0) maybe_finish(p);
}

int pl_start(srv_session *ss, bool fresh)
{
    srv *s = ss->srv;
    if (ss->pipe) return 0;
    srv_pipe *p = calloc(1, sizeof *p);
    if (!p) return -1;
    p->ss = ss;
    p->ctl_fd = p->out_fd = -1;
    p->fresh = fresh;
    unsigned n = ++s->fifo_counter;
    char path[4096];
    snprintf(path, sizeof path, "%s/ctl-%d-%u", s->cfg.state_dir, (int)getpid(), n);
    unlink(path);
    if (mkfifo(path, 0600) < 0) { sa_warn("mkfifo %s", path); free(p); return -1; }
    p->fifo = strdup(path);
    p->ctl_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    p->ctl_out = evbuffer_new();
    if (p->ctl_fd < 0 || !p->fifo || !p->ctl_out) { sa_warn("open %s", path); pl_free(p); return -1; }
    p->ctl_ev = event_new(s->base, p->ctl_fd, EV_WRITE, on_ctl, p);
    ss->pipe = p;
    const sa_agent_desc *ag = ag_find(s, ss->agent);
    bool resume = ag && ag->native_resume && ss->native_id;
    if (!fresh && !resume && ss->last_seq > 0) {
        snprintf(path, sizeof path, "%s/prime-%d-%u.txt", s->cfg.state_dir, (int)getpid(), n);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            p->prime_file = strdup(path);
            char *argv[] = {s->exe_replay, "--session", ss->id, "--format", "text", "--max-events", "50",
                            "--max-chars", "12000", "--db", s->cfg.db_path, NULL};
            if (s->store_env) argv[9] = NULL;   /* a URL goes by SA_DB */
            p->replay_pid = ch_spawn(argv, -1, fd, 0, SIGKILL, NULL, s->store_env);
            close(fd);
            if (p->replay_pid > 0) {
                ch_watch(p->replay_pid, on_replay, p);
                return 0;
            }
            p->replay_pid = 0;
            sa_warn("session %s: cannot run sa-replay", ss->id);
        }
    }
    if (spawn_stages(p) < 0) {
        maybe_finish(p);
        return -1;
    }
    return 0;
}

static void kill_alive(srv_pipe *p, int sig, int from)
{
    for (int i = from; i < 3; i++)
        if (p->alive[i]) kill(p->pid[i], sig);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    srv_pipe *p = arg;
    srv *s = p->ss->srv;
    if (p->stop_step == 1) {                 /* terminate: sa-spawn had its chance */
        /* only sa-spawn: sa-normalize and sa-store end at their input's
         * end, after storing what it held (TERMing all three at once let
         * sa-store go first and sa-normalize fail writing to it) */
        if (p->alive[0]) kill(p->pid[0], SIGTERM);
        p->stop_step = 2;
        struct timeval tv = {s->cfg.kill_grace_ms / 1000, (s->cfg.kill_grace_ms % 1000) * 1000};
        evtimer_add(p->timer, &tv);
        return;
    }
    if (p->pgid > 0) killpg(p->pgid, SIGKILL);
    kill_alive(p, SIGKILL, 0);
}

static void arm(srv_pipe *p, int step, unsigned ms)
{
    if (!p->timer) p->timer = evtimer_new(p->ss->srv->base, on_timer, p);
    p->stop_step = step;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(p->timer, &tv);
}

void pl_terminate(srv_session *ss)
{
    srv_pipe *p = ss->pipe;
    if (!p || p->terminating) return;
    p->terminating = true;
    if (p->replay_pid > 0) { kill(p->replay_pid, SIGKILL); return; }
    static const char cmd[] = "{\"type\":\"terminate\"}";
    pl_send(ss, cmd, sizeof cmd - 1);
    arm(p, 1, 500);
}

void pl_shutdown(srv_session *ss)
{
    srv_pipe *p = ss->pipe;
    if (!p || p->shutting_down) return;
    p->shutting_down = true;
    if (p->replay_pid > 0) { kill(p->replay_pid, SIGKILL); return; }
    kill_alive(p, SIGKILL, 1);               /* nothing more gets stored */
    if (p->alive[0]) kill(p->pid[0], SIGTERM);
    arm(p, 2, ss->srv->cfg.kill_grace_ms);
}
