/*
 * sa-bench-sse.c — a minimal SSE client for the server benchmark: connects
 * to 127.0.0.1:PORT, GETs PATH, and reads `id: N` / `data: ...` frames until
 * a frame whose data contains STOP (default "\"type\":\"turn.ended\"") or
 * until TIMEOUT seconds pass.  Prints the count of frames, the first and last
 * id, how many ids were missing or out of order, and the rate between the
 * first and last frame.  Written in C so the client is not what limits the
 * measured rate.  Chunked transfer encoding is not decoded: chunk-size lines
 * do not start with "id:" or "data:", so they are simply skipped.
 *
 *   sa-bench-sse PORT PATH [STOP] [TIMEOUT]
 * Test/benchmark tool only.
 */
#include "sa.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    if (argc > 1 && !strcmp(argv[1], "--help")) { puts("usage: sa-bench-sse PORT PATH [STOP] [TIMEOUT]"); return 0; }
    if (argc > 1 && !strcmp(argv[1], "--version")) { puts("sa-bench-sse " SA_VERSION); return 0; }
    if (argc < 3) sa_diex(2, "usage: sa-bench-sse PORT PATH [STOP] [TIMEOUT]");
    const char *stop = argc > 3 ? argv[3] : "\"type\":\"turn.ended\"";
    int timeout_s = argc > 4 ? atoi(argv[4]) : 120;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) sa_die(1, "connect");
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n", argv[2]);
    if (n < 0 || (size_t)n >= sizeof req || sa_write_all(fd, req, (size_t)n) < 0) sa_die(1, "send");
    sa_line lr;
    sa_line_init(&lr, fd, 64 << 20);
    char *line;
    size_t len;
    long frames = 0, gaps = 0;
    unsigned long long first = 0, last = 0;
    int64_t t0 = 0, t1 = 0, deadline = sa_time_mono_us() + (int64_t)timeout_s * 1000000;
    int r;
    bool done = false;
    while (!done) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (!sa_line_buffered(&lr)) {
            int64_t left = (deadline - sa_time_mono_us()) / 1000;
            if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        }
        r = sa_line_next(&lr, &line, &len);
        if (r <= 0) break;
        if (!strncmp(line, "id:", 3)) {
            unsigned long long id = strtoull(line + 3, NULL, 10);
            if (frames == 0) { first = id; t0 = sa_time_mono_us(); }
            else if (id != last + 1) gaps++;
            last = id;
            frames++;
            t1 = sa_time_mono_us();
        } else if (!strncmp(line, "data:", 5) && strstr(line, stop)) {
            done = true;
        }
    }
    sa_line_free(&lr);
    close(fd);
    double secs = (t1 - t0) / 1e6;
    printf("sse: %ld frames, ids %llu..%llu, %ld gaps, %.3f s, %.0f events/s\n", frames, first, last, gaps,
           secs, secs > 0 ? frames / secs : 0.0);
    return done ? 0 : 1;
}
