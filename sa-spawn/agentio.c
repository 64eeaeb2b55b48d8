/*
 * agentio.c — the agent process as seen by the session loop: start it
 * (spawned / spawn_failed lines), read its stdout (passed through verbatim,
 * then shown to the agent module's on_line) and stderr (captured for the
 * exited line, echoed to our stderr as "sa-spawn: agent: ..." at log level
 * info or above), write its stdin without blocking (and close it once
 * written when the module asked, sp_session_close_input), notice its exit
 * (pidfd, or waitpid polling where pidfds do not exist) and stop its whole
 * process group: close stdin, SIGTERM, SIGKILL after the grace period.
 */
#include "session.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Write p[0..n) to stdout, waiting while the pipe is full. */
static void out_write(sp_session *s, const char *p, size_t n)
{
    size_t off = 0;
    while (!s->out_broken && off < n) {
        ssize_t w = write(STDOUT_FILENO, p + off, n - off);
        if (w > 0) { off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = { .fd = STDOUT_FILENO, .events = POLLOUT };
            (void)poll(&pf, 1, 1000);
            continue;
        }
        if (errno != EPIPE) sa_warn("writing stdout");
        s->out_broken = true;
    }
}

void sp_out_flush(sp_session *s)
{
    if (!s->out_broken) out_write(s, s->out.p, s->out.len);
    s->out.len = 0;
}

int sp_agent_start(sp_session *s)
{
    const char *resume = s->native ? s->native : s->o->resume;
    char **argv = s->ag->build_argv(s->o, s->agent_path, resume);
    char **extra = s->ag->extra_env ? s->ag->extra_env(s->o) : NULL;
    size_t ne = 0;
    while (extra && extra[ne]) ne++;
    const char **all = calloc(s->o->n_env + ne + 1, sizeof *all);
    if (!all) sa_diex(SP_EXIT_SYS, "out of memory");
    /* --env overrides the inherited environment; the module's own entries
     * come last and win: a module that uses a variable the caller may also
     * give (opencode's OPENCODE_CONFIG_CONTENT) merges the caller's value
     * into its own, and sa's settings (pi's permission mode) are not undone */
    for (size_t i = 0; i < s->o->n_env; i++) all[i] = s->o->env[i];
    for (size_t i = 0; i < ne; i++) all[s->o->n_env + i] = extra[i];
    char **envp = sp_env_build(all, ne + s->o->n_env);
    free(all);
    char err[512];
    char **run = argv;
    int rc = 0, e;
    if (s->o->sandbox == SP_SBX_BWRAP && (e = sp_sbx_precheck(argv[0])) != 0) {
        /* bwrap itself would start: say here what the exec inside would */
        const char *base = strrchr(argv[0], '/');
        snprintf(err, sizeof err, "cannot execute %s: %s", base ? base + 1 : argv[0], strerror(e));
        rc = -1;
    } else {
        if (s->o->sandbox == SP_SBX_BWRAP) run = sp_sbx_wrap(s->o, s->o->bwrap, argv, s->o->cwd);
        rc = sp_proc_start(&s->proc, run, envp, s->o->cwd, run != argv, err, sizeof err);
    }
    if (run != argv) sp_strv_free(run);
    sp_strv_free(envp);
    sp_strv_free(extra);
    if (rc < 0) {
        cJSON *j = sp_line_new("spawn_failed");
        cJSON_AddStringToObject(j, "agent", s->o->agent);
        cJSON_AddStringToObject(j, "error", err);
        sp_emit(&s->out, j);
        sa_warnx("%s", err);
        sp_strv_free(argv);
        return -1;
    }
    cJSON *j = sp_line_new("spawned");
    cJSON_AddStringToObject(j, "agent", s->o->agent);
    cJSON_AddNumberToObject(j, "pid", s->proc.pid);
    cJSON_AddStringToObject(j, "sandbox", sp_sbx_name(s->o->sandbox));
    cJSON *a = cJSON_AddArrayToObject(j, "argv");
    for (size_t i = 0; argv[i]; i++) cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
    char t[40];
    sa_time_rfc3339(t, sizeof t);
    cJSON_AddStringToObject(j, "time", t);
    sp_emit(&s->out, j);
    sp_strv_free(argv);
    s->running = true;
    s->stopping = false;
    s->close_in = false;
    s->out_eof = s->err_eof = false;
    sa_line_init(&s->aout, s->proc.out, SP_AGENT_LINE_MAX);
    sa_line_init(&s->aerr, s->proc.err, SP_ERR_LINE_MAX);
    sa_info("started %s (pid %d)", s->o->agent, (int)s->proc.pid);
    if (s->ag->on_start) s->ag->on_start(s);
    return 0;
}

void sp_agent_flush_in(sp_session *s)
{
    while (s->ain.len > 0 && s->proc.in >= 0) {
        ssize_t w = write(s->proc.in, s->ain.p, s->ain.len);
        if (w > 0) { sp_buf_consume(&s->ain, (size_t)w); continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        sa_info("agent stdin closed: %s", strerror(errno));
        sp_proc_close_in(&s->proc);
        s->ain.len = 0;
    }
    if (s->close_in && s->ain.len == 0 && s->proc.in >= 0) sp_proc_close_in(&s->proc);
}

/* Read what is ready on the agent's stdout (at most `budget` lines) and
 * stderr.  *more = complete lines are still buffered. */
static void read_out(sp_session *s, int budget, bool *more)
{
    char *line;
    size_t len;
    for (int n = 0; !s->out_eof && n < budget; n++) {
        int r = sa_line_next(&s->aout, &line, &len);
        if (r == SA_LINE_AGAIN) break;
        if (r == SA_LINE_EOF || r == SA_LINE_ERR) {
            if (r == SA_LINE_ERR) sa_warn("reading agent stdout");
            s->out_eof = true;
            break;
        }
        if (r == SA_LINE_TOOLONG) sa_warnx("agent line longer than %u bytes cut", SP_AGENT_LINE_MAX);
        if (!s->resume_told && s->o->resumed_at) sp_session_resumed(s);
        char *alt = NULL;
        size_t alen = 0;
        if (r == SA_LINE_OK && s->ag->annotate) alt = s->ag->annotate(s, line, len, &alen);
        if (alt) { line = alt; len = alen; }
        if (len >= SP_OUT_HIGH) {        /* big: written from where it is, not copied */
            sp_out_flush(s);
            out_write(s, line, len);
            out_write(s, "\n", 1);
        } else {
            sp_buf_add(&s->out, line, len);
            sp_buf_add(&s->out, "\n", 1);
        }
        if (r == SA_LINE_OK) s->ag->on_line(s, line, len);
        free(alt);
        if (len >= SP_OUT_HIGH) sa_line_shrink(&s->aout, SP_OUT_HIGH);   /* its buffer is given back */
        if (s->out.len >= SP_OUT_HIGH) sp_out_flush(s);
    }
    if (more) *more = !s->out_eof && sa_line_buffered(&s->aout);
}

static void read_err(sp_session *s)
{
    char *line;
    size_t len;
    for (int n = 0; !s->err_eof && n < 10000; n++) {
        int r = sa_line_next(&s->aerr, &line, &len);
        if (r == SA_LINE_AGAIN) break;
        if (r == SA_LINE_EOF || r == SA_LINE_ERR) { s->err_eof = true; break; }
        sp_errcap_add(&s->cap, line, len);
        sa_info("agent: %.*s", (int)(len > 1500 ? 1500 : len), line);
    }
}

void sp_agent_pump(sp_session *s, short out_ev, short err_ev, bool *more)
{
    if (more) *more = false;
    if (!s->running) return;
    if (out_ev) read_out(s, 4096, more);
    if (err_ev) read_err(s);
}

static void gone(sp_session *s)
{
    /* everything the process wrote before it died (stops at EAGAIN when a
     * grandchild still holds the pipe open) */
    read_out(s, 1 << 30, NULL);
    read_err(s);
    if (!s->out_eof && s->aout.len > s->aout.start) {   /* a final line without '\n' */
        s->aout.eof = true;
        read_out(s, 1, NULL);
    }
    int st = s->proc.status;
    bool requested = s->stopping;
    sp_session_drop_pending(s, "exit");  /* before exited: nothing can answer them now */
    if (s->emit_terminated) {
        sp_emit(&s->out, sp_line_new("terminated"));
        s->emit_terminated = false;
    }
    cJSON *j = sp_line_new("exited");
    cJSON_AddStringToObject(j, "agent", s->o->agent);
    cJSON_AddNumberToObject(j, "pid", s->proc.pid);
    cJSON_AddStringToObject(j, "sandbox", sp_sbx_name(s->o->sandbox));
    /* under bwrap a signal death arrives as status 128+N (bwrap's own
     * SIGKILL as itself) */
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1, sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    if (s->o->sandbox == SP_SBX_BWRAP && code > 128 && code < 128 + 65) { sig = code - 128; code = -1; }
    if (code >= 0) cJSON_AddNumberToObject(j, "code", code);
    else cJSON_AddNullToObject(j, "code");
    if (sig) cJSON_AddNumberToObject(j, "signal", sig);
    else cJSON_AddNullToObject(j, "signal");
    cJSON_AddBoolToObject(j, "requested", requested);
    cJSON_AddItemToObject(j, "stderr", sp_errcap_json(&s->cap));
    sp_emit(&s->out, j);
    sa_info("%s (pid %d) exited", s->o->agent, (int)s->proc.pid);
    s->last_failed = !requested && !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sp_proc_close(&s->proc);
    sa_line_free(&s->aout);
    sa_line_free(&s->aerr);
    sp_errcap_clear(&s->cap);
    sp_buf_free(&s->ain);
    s->running = false;
    s->in_turn = false;                  /* a turn cut short has no turn_end */
    if (s->ag->on_exit) s->ag->on_exit(s);
}

void sp_agent_check_exit(sp_session *s)
{
    if (s->running && sp_proc_reap(&s->proc)) gone(s);
}

static bool wait_exit(sp_session *s, int ms);

void sp_agent_await_exit(sp_session *s)
{
    if (!s->running) return;
    sp_agent_flush_in(s);
    if (wait_exit(s, s->o->grace_ms)) gone(s);
    else sp_agent_stop(s, false);
}

void sp_agent_interrupt(sp_session *s, int sig)
{
    if (!s->running) return;
    s->stopping = true;
    sa_info("interrupting %s (process group %d, signal %d)", s->o->agent, (int)s->proc.pid, sig);
    sp_proc_kill(&s->proc, sig);
    /* gone by itself: a "graceful" stop finds it reaped and only ends what is
     * left of its group; else SIGTERM, then SIGKILL */
    sp_agent_stop(s, wait_exit(s, s->o->grace_ms));
}

/* Serve the agent's output until its leader exits or ms pass. */
static bool wait_exit(sp_session *s, int ms)
{
    int64_t end = sa_time_mono_us() / 1000 + ms;
    while (!sp_proc_reap(&s->proc)) {
        int64_t left = end - sa_time_mono_us() / 1000;
        if (left <= 0) return false;
        struct pollfd p[3];
        int n = 0;
        if (!s->out_eof) p[n++] = (struct pollfd){ .fd = s->proc.out, .events = POLLIN };
        if (!s->err_eof) p[n++] = (struct pollfd){ .fd = s->proc.err, .events = POLLIN };
        if (s->proc.pidfd >= 0) p[n++] = (struct pollfd){ .fd = s->proc.pidfd, .events = POLLIN };
        int wait = s->proc.pidfd >= 0 ? (int)left : (left < 20 ? (int)left : 20);
        if (poll(p, (nfds_t)n, wait) < 0 && errno != EINTR) return false;
        bool more;
        read_out(s, 4096, &more);
        read_err(s);
        sp_out_flush(s);
        if (s->out_eof && s->err_eof && s->proc.pidfd < 0) {
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    return true;
}

void sp_agent_stop(sp_session *s, bool graceful)
{
    if (!s->running) {
        if (s->emit_terminated) { sp_emit(&s->out, sp_line_new("terminated")); s->emit_terminated = false; }
        return;
    }
    s->stopping = true;
    int grace = s->o->grace_ms;
    if (graceful) sp_agent_flush_in(s);
    s->ain.len = 0;
    sp_proc_close_in(&s->proc);
    bool ok = graceful && wait_exit(s, grace);
    if (!ok) {
        sa_info("stopping %s (process group %d)", s->o->agent, (int)s->proc.pid);
        sp_proc_kill(&s->proc, SIGTERM);
        ok = wait_exit(s, grace);
    }
    if (!ok) {
        sp_proc_kill(&s->proc, SIGKILL);
        ok = wait_exit(s, 5000);
        if (!ok) {                                  /* cannot happen short of a stuck kernel */
            int st;
            while (waitpid(s->proc.pid, &st, 0) < 0 && errno == EINTR) {}
            s->proc.exited = true;
            s->proc.status = st;
        }
    }
    /* the leader is gone; make sure the rest of its group goes too */
    if (sp_proc_group_alive(&s->proc)) {
        sp_proc_kill(&s->proc, SIGTERM);
        int64_t end = sa_time_mono_us() / 1000 + grace;
        while (sp_proc_group_alive(&s->proc) && sa_time_mono_us() / 1000 < end) {
            struct timespec ts = { 0, 20 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        if (sp_proc_group_alive(&s->proc)) sp_proc_kill(&s->proc, SIGKILL);
    }
    gone(s);
}
