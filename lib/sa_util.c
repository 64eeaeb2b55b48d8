/*
 * sa_util.c — small helpers shared by every command: bounded number
 * parsing, whole-buffer writes, finding executables, the default store and
 * the stop-signal flag (set by a plain handler, read by the main loop).
 */
#include "sa.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool sa_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s) return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (v > max) return false;
    *out = v;
    return true;
}

void sa_reserve(char **buf, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap) return;
    size_t nc = *cap ? *cap : (first ? first : 64);
    while (nc < need) nc *= 2;
    char *nb = realloc(*buf, nc);
    if (!nb) sa_diex(1, "out of memory");
    *buf = nb;
    *cap = nc;
}

uint64_t sa_hash64(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) { h ^= *p; h *= 1099511628211ull; }
    return h;
}

int sa_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

char *sa_exe_dir(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) return NULL;
    *slash = '\0';
    return strdup(path[0] ? path : "/");
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static bool is_exec(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

char *sa_find_exec(const char *name, bool beside_self)
{
    if (!name || !*name) return NULL;
    if (strchr(name, '/')) return is_exec(name) ? strdup(name) : NULL;
    if (beside_self) {
        char *dir = sa_exe_dir();
        if (dir) {
            char *p = join(dir, name);
            free(dir);
            if (p && is_exec(p)) return p;
            free(p);
        }
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char dir[PATH_MAX];
        if (n == 0) { dir[0] = '.'; dir[1] = '\0'; }
        else if (n < sizeof dir) { memcpy(dir, path, n); dir[n] = '\0'; }
        else dir[0] = '\0';
        if (dir[0]) {
            char *p = join(dir, name);
            if (p && is_exec(p)) return p;
            free(p);
        }
        path += n;
        if (*path == ':') path++;
    }
    return NULL;
}

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int r = mkdir(path, 0700);
        *p = '/';
        if (r < 0 && errno != EEXIST) return -1;
    }
    return 0;
}

char *sa_default_db(void)
{
    const char *env = getenv("SA_DB");
    if (env && *env) return strdup(env);
    char buf[PATH_MAX];
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && *xdg) n = snprintf(buf, sizeof buf, "%s/sa/sa.db", xdg);
    else if (home && *home) n = snprintf(buf, sizeof buf, "%s/.local/state/sa/sa.db", home);
    else n = snprintf(buf, sizeof buf, "sa.db");
    if (n < 0 || (size_t)n >= sizeof buf) return NULL;
    if (mkdir_p(buf) < 0) return NULL;
    return strdup(buf);
}

static volatile sig_atomic_t stop_flag;
static int stop_pipe[2] = { -1, -1 };   /* self-pipe: a byte per stop signal */

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
    if (stop_pipe[1] >= 0) {
        int e = errno;
        ssize_t w = write(stop_pipe[1], "s", 1);   /* full pipe: a byte is there already */
        (void)w;
        errno = e;
    }
}

void sa_catch_stop_signals(void)
{
    if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        stop_pipe[0] = stop_pipe[1] = -1;
    struct sigaction sa = { 0 };
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int sa_stop_fd(void)
{
    return stop_pipe[0];
}

void sa_stop_request(void)
{
    on_stop_signal(0);
}

bool sa_stop_requested(void)
{
    return stop_flag != 0;
}

char *sa_strdup_cut(const char *s, size_t max)
{
    if (!s) return NULL;
    size_t l = strlen(s);
    if (l > max) {
        l = max;
        while (l > 0 && ((unsigned char)s[l] & 0xC0) == 0x80) l--;   /* whole UTF-8 characters */
    }
    char *p = malloc(l + 1);
    if (!p) sa_diex(1, "out of memory");
    memcpy(p, s, l);
    p[l] = '\0';
    return p;
}
