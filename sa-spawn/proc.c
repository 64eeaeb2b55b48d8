/*
 * proc.c — starting and stopping the agent process.
 *
 * We use posix_spawn(3) rather than libpipeline: glibc's posix_spawn reports
 * an exec failure as an errno to the parent (needed for the spawn_failed
 * line), does not install a process-wide SIGCHLD handler that reaps our
 * child behind our back, never exits the program on failure, and
 * waitpid(WNOHANG) plus a pidfd let the poll loop bound every wait.
 * The child gets POSIX_SPAWN_SETSID (its own session, hence its own process
 * group whose id is its pid, and no controlling terminal), default signal
 * dispositions and an empty signal mask, and pipes on fds 0, 1 and 2; our
 * ends are O_CLOEXEC and non-blocking.  sp_proc owns its fds.
 */
#include "sp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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
                  char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = p->pidfd = -1;
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
    if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
        for (int i = 0; i < 2; i++) { xclose(&pin[i]); xclose(&pout[i]); xclose(&perr[i]); }
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    sigset_t def, mask;
    sigemptyset(&def);
    int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&def, sigs[i]);
    sigemptyset(&mask);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setsigmask(&at, &mask);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &at, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
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

void sp_strv_free(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}
