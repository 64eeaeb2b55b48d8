/*
 * input.c — the mock's stdin.  Requests are JSON lines read with the
 * bounded sa_line reader (16 MiB per line).  When stdin is a pipe or FIFO it
 * is made non-blocking so waits can time out (sleep MS, bursts checking for
 * cancel); a terminal or file stays blocking.  Lines that arrive while a
 * turn is busy and are not for it (e.g. the next user message) are kept in
 * a small FIFO list and handed out first by mi_next().
 */
#include "mock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IN_MAX (16u << 20)
#define DEFER_MAX 10000

static bool inited;

static void init(void)
{
    if (inited) return;
    inited = true;
    sa_line_init(&M.in, STDIN_FILENO, IN_MAX);
    struct stat st;
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)) {
        int fl = fcntl(STDIN_FILENO, F_GETFL);
        if (fl >= 0) (void)fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
    }
}

void mi_free(void)
{
    if (inited) sa_line_free(&M.in);
    for (size_t i = 0; i < M.ndeferred; i++) free(M.deferred[i]);
    free(M.deferred);
    M.deferred = NULL;
    M.ndeferred = 0;
}

void mi_defer(char *line)
{
    if (M.ndeferred >= DEFER_MAX) {
        sa_warnx("too many queued requests; dropping one");
        free(line);
        return;
    }
    char **nd = realloc(M.deferred, (M.ndeferred + 1) * sizeof *nd);
    if (!nd) sa_die(1, "out of memory");
    M.deferred = nd;
    M.deferred[M.ndeferred++] = line;
}

int mi_read(int timeout_ms, char **out)
{
    init();
    int64_t deadline = timeout_ms < 0 ? -1 : sa_time_mono_us() / 1000 + timeout_ms;
    for (;;) {
        if (M.in_eof) return -1;
        if (!sa_line_buffered(&M.in)) {
            int wait = -1;
            if (deadline >= 0) {
                int64_t left = deadline - sa_time_mono_us() / 1000;
                wait = left > 0 ? (int)left : 0;
            }
            mo_flush();
            struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
            int r = poll(&p, 1, wait);
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) return 0;
        }
        char *line;
        size_t len;
        int r = sa_line_next(&M.in, &line, &len);
        if (r == SA_LINE_OK) {
            *out = strdup(line);
            if (!*out) sa_die(1, "out of memory");
            return 1;
        }
        if (r == SA_LINE_TOOLONG) { sa_warnx("input line too long; ignored"); continue; }
        if (r == SA_LINE_AGAIN) {
            if (deadline >= 0 && sa_time_mono_us() / 1000 >= deadline) return 0;
            continue;
        }
        if (r == SA_LINE_ERR) sa_warn("reading stdin");
        M.in_eof = true;
        return -1;
    }
}

int mi_next(int timeout_ms, char **line)
{
    if (M.ndeferred > 0) {
        *line = M.deferred[0];
        memmove(M.deferred, M.deferred + 1, (M.ndeferred - 1) * sizeof *M.deferred);
        M.ndeferred--;
        return 1;
    }
    return mi_read(timeout_ms, line);
}

static bool is_cancel(const char *line)
{
    cJSON *j = cJSON_Parse(line);
    cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    bool c = cJSON_IsString(t) && strcmp(t->valuestring, "cancel") == 0;
    cJSON_Delete(j);
    return c;
}

int mi_poll_cancel(void)
{
    char *line;
    int r;
    while ((r = mi_read(0, &line)) == 1) {
        if (is_cancel(line)) { M.cancelled = true; free(line); }
        else mi_defer(line);
    }
    return r;
}
