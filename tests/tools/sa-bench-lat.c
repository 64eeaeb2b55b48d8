/*
 * sa-bench-lat.c — reads stored events (sa-store's stdout) and, for every
 * item.delta whose text is "t=<monotonic µs>;" (written by sa-bench-agent),
 * records now - t: the latency from the agent's write to sa-store's output.
 * At end of input prints count, p50, p99 and max in milliseconds.
 * Test/benchmark tool only.
 */
#include "sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    if (argc > 1 && !strcmp(argv[1], "--help")) { puts("usage: sa-bench-lat < stored-events"); return 0; }
    if (argc > 1 && !strcmp(argv[1], "--version")) { puts("sa-bench-lat " SA_VERSION); return 0; }
    size_t n = 0, cap = 1024;
    int64_t *lat = malloc(cap * sizeof *lat);
    sa_line lr;
    sa_line_init(&lr, 0, 64 << 20);
    char *line;
    size_t len;
    while (lat && sa_line_next(&lr, &line, &len) > 0) {
        int64_t now = sa_time_mono_us();
        const char *p = strstr(line, "\"delta\":\"t=");
        if (!p) continue;
        long long t = atoll(p + 11);
        if (n == cap) {
            int64_t *nl = realloc(lat, 2 * cap * sizeof *lat);
            if (!nl) break;
            lat = nl;
            cap *= 2;
        }
        lat[n++] = now - t;
    }
    sa_line_free(&lr);
    if (!lat || n == 0) { printf("latency: no samples\n"); free(lat); return 1; }
    qsort(lat, n, sizeof *lat, cmp);
    printf("latency agent-write -> sa-store output: n=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", n,
           lat[n / 2] / 1000.0, lat[(n * 99) / 100] / 1000.0, lat[n - 1] / 1000.0);
    free(lat);
    return 0;
}
