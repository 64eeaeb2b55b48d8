/*
 * children.c — starting and reaping sa-serve's child processes.
 *
 * libpipeline is not used here: its SIGCHLD handler reaps any child with
 * waitpid(-1) and would steal the exit statuses the event loop needs.
 * Instead every child is started with fork+exec (so the child can call
 * prctl(PR_SET_PDEATHSIG) and setpgid before exec — posix_spawn cannot set
 * a parent-death signal) and registered in a small table; the SIGCHLD event
 * (libevent evsignal, so the handler runs inside the loop) calls
 * waitpid(pid, WNOHANG) for each registered pid only.
 *
 * Ownership: the table is private; `arg` values are borrowed and must stay
 * valid until their callback has run or ch_forget(arg) was called.
 */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ch_entry { pid_t pid; ch_exit_cb cb; void *arg; } ch_entry;
static ch_entry *tab;
static size_t ntab, captab;

void ch_watch(pid_t pid, ch_exit_cb cb, void *arg)
{
    if (ntab == captab) {
        size_t nc = captab ? captab * 2 : 16;
        ch_entry *n = realloc(tab, nc * sizeof *n);
        if (!n) { sa_warn("out of memory"); return; }
        tab = n;
        captab = nc;
    }
    tab[ntab++] = (ch_entry){pid, cb, arg};
}

void ch_forget(void *arg)
{
    for (size_t i = 0; i < ntab;) {
        if (tab[i].arg == arg) tab[i] = tab[--ntab];
        else i++;
    }
}

void ch_reap(void)
{
    /* A callback may add or remove entries: restart the scan after each one. */
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < ntab; i++) {
            int st;
            pid_t r = waitpid(tab[i].pid, &st, WNOHANG);
            if (r == 0) continue;
            if (r < 0 && errno != ECHILD) continue;
            if (r < 0) st = 0;
            ch_entry e = tab[i];
            tab[i] = tab[--ntab];
            e.cb(e.pid, st, e.arg);
            again = true;
            break;
        }
    }
}

void ch_free(void)
{
    free(tab);
    tab = NULL;
    ntab = captab = 0;
}

pid_t ch_spawn(char *const argv[], int in_fd, int out_fd, pid_t pgid, int deathsig, const char *cwd,
               char *const envp[])
{
    return ch_spawn_err(argv, in_fd, out_fd, -1, pgid, deathsig, cwd, envp);
}

pid_t ch_spawn_err(char *const argv[], int in_fd, int out_fd, int err_fd, pid_t pgid, int deathsig,
                   const char *cwd, char *const envp[])
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid > 0) {
        /* Also from the parent, so the group exists before the next stage
         * joins it (either call may win the race; both are fine). */
        if (setpgid(pid, pgid) < 0 && errno != EACCES && errno != ESRCH)
            sa_debug("setpgid %d: %s", (int)pid, strerror(errno));
        return pid;
    }
    /* child: only async-signal-safe calls until exec */
    if (deathsig) prctl(PR_SET_PDEATHSIG, deathsig);
    if (getppid() != parent) _exit(127);
    setpgid(0, pgid);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (in_fd >= 0 && in_fd != 0) dup2(in_fd, 0);
    if (out_fd >= 0 && out_fd != 1) dup2(out_fd, 1);
    if (err_fd >= 0 && err_fd != 2) dup2(err_fd, 2);
    if (in_fd < 0 || out_fd < 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            if (in_fd < 0) dup2(nul, 0);
            if (out_fd < 0) dup2(nul, 1);
            if (nul > 2) close(nul);
        }
    }
    if (cwd && chdir(cwd) < 0) _exit(126);
    execve(argv[0], argv, envp ? envp : environ);
    _exit(127);
}
