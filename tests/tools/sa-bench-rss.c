/*
 * sa-bench-rss.c — run a command in its own process group and report the
 * peak resident set size (VmHWM) of every process in that group, by name.
 *
 *   sa-bench-rss [-i MS] -- CMD [ARG...]
 *
 * It samples /proc every MS milliseconds (default 5); VmHWM is itself a
 * peak, so a sample shortly before a process exits is enough.  Processes of
 * the same name keep the largest figure.  Exit status: the command's.
 * Test/benchmark tool only.
 */
#include "sa.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXN 64
static struct { char name[32]; long kb; } peak[MAXN];
static int npeak;

static void note(const char *name, long kb)
{
    for (int i = 0; i < npeak; i++)
        if (!strcmp(peak[i].name, name)) { if (kb > peak[i].kb) peak[i].kb = kb; return; }
    if (npeak < MAXN) {
        snprintf(peak[npeak].name, sizeof peak[npeak].name, "%s", name);
        peak[npeak++].kb = kb;
    }
}

static void sample(pid_t pgid)
{
    DIR *d = opendir("/proc");
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *rp = strrchr(buf, ')');
        if (!rp) continue;
        char state; int ppid, pgrp;
        if (sscanf(rp + 2, "%c %d %d", &state, &ppid, &pgrp) != 3 || pgrp != pgid) continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        f = fopen(path, "r");
        if (!f) continue;
        char name[64] = "?";
        long hwm = -1;
        while (fgets(buf, sizeof buf, f)) {
            if (!strncmp(buf, "Name:", 5)) sscanf(buf + 5, "%63s", name);
            else if (!strncmp(buf, "VmHWM:", 6)) hwm = atol(buf + 6);
        }
        fclose(f);
        if (hwm >= 0) note(name, hwm);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    long ms = 5;
    int i = 1;
    if (i < argc && !strcmp(argv[i], "--help")) { puts("usage: sa-bench-rss [-i MS] -- CMD [ARG...]"); return 0; }
    if (i < argc && !strcmp(argv[i], "--version")) { puts("sa-bench-rss " SA_VERSION); return 0; }
    if (i + 1 < argc && !strcmp(argv[i], "-i")) { ms = atol(argv[i + 1]); i += 2; }
    if (i < argc && !strcmp(argv[i], "--")) i++;
    if (i >= argc) sa_diex(2, "usage: sa-bench-rss [-i MS] -- CMD [ARG...]");
    pid_t pid = fork();
    if (pid < 0) sa_die(1, "fork");
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[i], argv + i);
        sa_die(127, "exec %s", argv[i]);
    }
    setpgid(pid, pid);
    int status = 0;
    for (;;) {
        sample(pid);
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        struct timespec ts = { 0, ms * 1000000L };
        nanosleep(&ts, NULL);
    }
    for (int k = 0; k < npeak; k++)
        printf("peak RSS %-16s %6ld kB\n", peak[k].name, peak[k].kb);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
