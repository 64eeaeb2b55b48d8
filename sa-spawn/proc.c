/*
 * proc.c — starting and stopping the agent process.
 *
 * We fork and exec ourselves rather than use libpipeline (which installs a
 * process-wide SIGCHLD handler that reaps our child behind our back and
 * exits the program on failure) or posix_spawn (which cannot set a parent
 * death signal): the child sets PR_SET_PDEATHSIG to SIGKILL, so an agent
 * never outlives a sa-spawn that was killed without a word, then makes its
 * own session (hence its own process group whose id is its pid, and no
 * controlling terminal), resets signal dispositions and mask, and puts
 * pipes on fds 0, 1 and 2; an exec failure comes back as an errno through
 * a close-on-exec pipe (for the spawn_failed line).  waitpid(WNOHANG) plus
 * a pidfd let the poll loop bound every wait.  Our ends are O_CLOEXEC and
 * non-blocking.  sp_proc owns its fds.
 */
#include "sp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void xclose(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

int sp_proc_start(sp_proc *p, char *const argv[], char *const envp[], const char *cwd,
                  bool ignore_sigs, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = p->pidfd = -1;
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
    if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
        for (int i = 0; i < 2; i++) { xclose(&pin[i]); xclose(&pout[i]); xclose(&perr[i]); }
        return -1;
    }
    /* fork + exec rather than posix_spawn, for one thing posix_spawn cannot
     * do: PR_SET_PDEATHSIG, so the agent is killed when sa-spawn dies
     * without a word (SIGKILL, OOM), never left running on its own.  An
     * exec failure comes back as an errno through a close-on-exec pipe. */
    int ep[2] = { -1, -1 };
    if (pipe2(ep, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
        for (int i = 0; i < 2; i++) { xclose(&pin[i]); xclose(&pout[i]); xclose(&perr[i]); }
        return -1;
    }
    /* orphans of the agent's group come to us, not to init, so they can be
     * reaped at once when the group is stopped (sp_proc_group_alive) */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        int e;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) _exit(127);
        sigset_t none;
        sigemptyset(&none);
        int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
        if (ignore_sigs) {           /* bwrap: the agent inside gets them (sandbox.c) */
            int ig[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
            for (size_t i = 0; i < sizeof ig / sizeof ig[0]; i++) signal(ig[i], SIG_IGN);
        }
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (setsid() < 0 || dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0 ||
            (cwd && chdir(cwd) < 0)) {
            e = errno;
        } else {
            execve(argv[0], argv, envp ? envp : environ);
            e = errno;
        }
        (void)!write(ep[1], &e, sizeof e);
        _exit(127);
    }
    int rc = pid < 0 ? errno : 0;
    xclose(&ep[1]);
    if (pid > 0) {
        int e;
        ssize_t k;
        do k = read(ep[0], &e, sizeof e); while (k < 0 && errno == EINTR);
        if (k == (ssize_t)sizeof e) {            /* the exec failed: reap the child */
            rc = e;
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        }
    }
    xclose(&ep[0]);
    xclose(&pin[0]);
    xclose(&pout[1]);
    xclose(&perr[1]);
    if (rc != 0) {
        const char *base = strrchr(argv[0], '/');
        snprintf(err, errlen, "cannot execute %s: %s", base ? base + 1 : argv[0], strerror(rc));
        xclose(&pin[1]);
        xclose(&pout[0]);
        xclose(&perr[0]);
        return -1;
    }
    p->pid = pid;
    p->in = pin[1];
    p->out = pout[0];
    p->err = perr[0];
    int fds[] = { p->in, p->out, p->err };
    for (int i = 0; i < 3; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        if (fl >= 0) (void)fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
    }
#ifdef SYS_pidfd_open
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (p->pidfd >= 0) (void)fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
#endif
    return 0;
}

bool sp_proc_reap(sp_proc *p)
{
    if (p->pid <= 0) return true;
    if (p->exited) return true;
    int st;
    pid_t r;
    do r = waitpid(p->pid, &st, WNOHANG); while (r < 0 && errno == EINTR);
    if (r == p->pid) {
        p->exited = true;
        p->status = st;
        return true;
    }
    if (r < 0 && errno == ECHILD) {               /* should not happen: we are the parent */
        p->exited = true;
        p->status = 0;
        return true;
    }
    return false;
}

void sp_proc_kill(sp_proc *p, int sig)
{
    if (p->pid > 0) (void)kill(-p->pid, sig);
}

bool sp_proc_group_alive(const sp_proc *p)
{
    /* the leader is reaped when this is asked: what is left of the group
     * and ended (bwrap's inner process, an agent's orphaned helper) was
     * reparented to us (child subreaper) and is a zombie, which kill(2)
     * still finds: reap it first */
    if (p->exited) while (waitpid(-1, NULL, WNOHANG) > 0) {}
    return p->pid > 0 && kill(-p->pid, 0) == 0;
}

void sp_proc_close_in(sp_proc *p) { xclose(&p->in); }

void sp_proc_close(sp_proc *p)
{
    xclose(&p->in);
    xclose(&p->out);
    xclose(&p->err);
    xclose(&p->pidfd);
}

static bool key_in(const char *kv, const char *const *extra, size_t n)
{
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
    for (size_t i = 0; i < n; i++)
        if (strncmp(extra[i], kv, kl) == 0 && extra[i][kl] == '=') return true;
    return false;
}

char **sp_env_build(const char *const *extra, size_t n)
{
    size_t ne = 0;
    while (environ && environ[ne]) ne++;
    char **v = calloc(ne + n + 1, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (!key_in(environ[i], extra, n) && !(v[k++] = strdup(environ[i]))) sa_diex(SP_EXIT_SYS, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (key_in(extra[i], extra + i + 1, n - i - 1)) continue;   /* a later one wins */
        if (!(v[k++] = strdup(extra[i]))) sa_diex(SP_EXIT_SYS, "out of memory");
    }
    v[k] = NULL;
    return v;
}

const char *sp_env_value(const sp_opts *o, const char *var)
{
    size_t l = strlen(var);
    const char *v = NULL;
    for (size_t i = 0; i < o->n_env; i++)
        if (!strncmp(o->env[i], var, l) && o->env[i][l] == '=') v = o->env[i] + l + 1;
    return v ? v : getenv(var);
}

void sp_strv_free(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}
