/*
 * sa-bench-start.c — start a server N times and time each start to its
 * first 200 answer; then report the idle memory of the last one, mapping by
 * mapping (which library costs what in RSS and PSS).
 *
 *   sa-bench-start [-n RUNS] [-p PATH] [-w MS] -- CMD [ARG...]
 *
 * CMD must print "listening on http://HOST:PORT" on its stdout (sa-serve
 * --port 0 does).  Each run: fork+exec CMD in its own process group, read
 * that line, connect to HOST:PORT and send "GET PATH" (default /v1/health)
 * until the status line says 200; the time is from just before fork() to the
 * status line.  After the last run it waits MS milliseconds (default 300),
 * prints VmRSS/RssAnon/RssFile and PSS, then the RSS and PSS of each mapped
 * file (and of the anonymous heap and stack), largest first.  Every server is
 * stopped with SIGTERM (SIGKILL after 2 s) and reaped.  Last, the same
 * number of fork+exec+exit of true(1), what any process start costs here.
 * Prints figures only;
 * exit status 0, or 1 when a start failed (no line, no 200 within 10 s).
 * Test/benchmark tool only.
 */
#include "sa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXRUNS 1000
#define MAXMAP 64

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void stop(pid_t pid)
{
    kill(-pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(10000);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* One GET; 1 when the status line says 200, 0 otherwise. */
static int get200(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        char req[512];
        int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
        if (write(fd, req, (size_t)n) == n) {
            char buf[64];
            size_t got = 0;
            ssize_t r;
            while (got < 12 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)r;
            buf[got] = 0;
            ok = got >= 12 && !strncmp(buf + 9, "200", 3);
        }
    }
    close(fd);
    return ok;
}

/* Start CMD, return its pid and port (0 on failure). */
static pid_t start(char **cmd, int *port)
{
    int p[2];
    if (pipe(p) < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    close(p[1]);
    char line[512];
    size_t n = 0;
    *port = 0;
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    double t0 = now_ms();
    while (n < sizeof line - 1 && now_ms() - t0 < 10000) {
        if (poll(&pf, 1, 100) <= 0) continue;
        ssize_t r = read(p[0], line + n, sizeof line - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        line[n] = 0;
        char *nl = strchr(line, '\n');
        if (!nl) continue;
        *nl = 0;
        char *c = strstr(line, "listening on http://");
        char *colon = c ? strrchr(c, ':') : NULL;
        if (colon) *port = atoi(colon + 1);
        break;
    }
    close(p[0]);
    return pid;
}

struct mapping { char name[256]; long rss, pss; };

static void memory(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    char l[512];
    long rss = -1, anon = -1, file = -1, pss = -1;
    while (f && fgets(l, sizeof l, f)) {
        sscanf(l, "VmRSS: %ld", &rss);
        sscanf(l, "RssAnon: %ld", &anon);
        sscanf(l, "RssFile: %ld", &file);
    }
    if (f) fclose(f);
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    f = fopen(path, "r");
    static struct mapping m[MAXMAP];
    int nm = 0, cur = -1;
    while (f && fgets(l, sizeof l, f)) {
        unsigned long lo, hi;
        long v;
        char name[256] = "";
        if (sscanf(l, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi, name) >= 2 && strchr(l, '-') < strchr(l, ' ')) {
            if (!name[0]) snprintf(name, sizeof name, "[anonymous]");
            const char *base = strrchr(name, '/');
            base = base ? base + 1 : name;
            cur = -1;
            for (int i = 0; i < nm; i++) if (!strcmp(m[i].name, base)) cur = i;
            if (cur < 0 && nm < MAXMAP) { cur = nm++; snprintf(m[cur].name, sizeof m[cur].name, "%s", base); }
        } else if (cur >= 0 && sscanf(l, "Rss: %ld", &v) == 1) m[cur].rss += v;
        else if (cur >= 0 && sscanf(l, "Pss: %ld", &v) == 1) m[cur].pss += v;
    }
    if (f) fclose(f);
    long tp = 0;
    for (int i = 0; i < nm; i++) tp += m[i].pss;
    pss = tp;
    printf("idle RSS: %ld kB (anonymous %ld kB, file-backed %ld kB; PSS %ld kB)\n", rss, anon, file, pss);
    for (int i = 0; i < nm; i++)          /* largest RSS first; few entries */
        for (int j = i + 1; j < nm; j++)
            if (m[j].rss > m[i].rss) { struct mapping t = m[i]; m[i] = m[j]; m[j] = t; }
    for (int i = 0; i < nm; i++)
        if (m[i].rss > 0) printf("  %-28s RSS %5ld kB  PSS %5ld kB\n", m[i].name, m[i].rss, m[i].pss);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int runs = 20, wait_ms = 300, opt;
    const char *path = "/v1/health";
    while ((opt = getopt(argc, argv, "n:p:w:")) != -1) {
        if (opt == 'n') runs = atoi(optarg);
        else if (opt == 'p') path = optarg;
        else if (opt == 'w') wait_ms = atoi(optarg);
        else { fprintf(stderr, "usage: sa-bench-start [-n RUNS] [-p PATH] [-w MS] -- CMD [ARG...]\n"); return 2; }
    }
    if (optind >= argc || runs < 1 || runs > MAXRUNS) {
        fprintf(stderr, "usage: sa-bench-start [-n RUNS] [-p PATH] [-w MS] -- CMD [ARG...]\n");
        return 2;
    }
    static double t[MAXRUNS];
    for (int i = 0; i < runs; i++) {
        int port;
        double t0 = now_ms();
        pid_t pid = start(argv + optind, &port);
        int ok = 0;
        while (pid > 0 && port > 0 && !(ok = get200(port, path)) && now_ms() - t0 < 10000) usleep(200);
        t[i] = now_ms() - t0;
        if (!ok) {
            fprintf(stderr, "sa-bench-start: run %d: no 200 from %s\n", i + 1, path);
            if (pid > 0) stop(pid);
            return 1;
        }
        if (i == runs - 1) {
            usleep((useconds_t)wait_ms * 1000);
            memory(pid);
        }
        stop(pid);
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    printf("start to first 200: median %.2f ms (min %.2f, max %.2f; %d starts; fork+exec to status line, in C)\n",
           t[runs / 2], t[0], t[runs - 1], runs);
    /* What the machine charges for any process: fork, exec of true(1), exit. */
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        pid_t pid = fork();
        if (pid == 0) { execlp("true", "true", (char *)NULL); _exit(127); }
        if (pid > 0) waitpid(pid, NULL, 0);
        t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    printf("  baseline, fork+exec+exit of true(1): median %.2f ms (min %.2f)\n", t[runs / 2], t[0]);
    return 0;
}
