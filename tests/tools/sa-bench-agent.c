/*
 * sa-bench-agent.c — a paced stand-in agent for latency benchmarks.
 *
 * It speaks the mock agent's native protocol (see sa-mock-agent(1)) so that
 * `sa-spawn --agent mock --agent-bin sa-bench-agent` drives it.  A message
 * "lat COUNT INTERVAL_US" makes it emit one assistant item whose COUNT deltas
 * each carry the monotonic time (microseconds) at which the line was written,
 * INTERVAL_US apart; sa-bench-lat at the end of the pipeline subtracts that
 * from the time it reads the stored event.  Any other message gets a one-line
 * reply.  Exits at end of input.  Test/benchmark tool only.
 */
#include "sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>

static void out(const char *s)
{
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static void reply(int turn, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "{\"mock\":\"item.started\",\"item\":{\"native_item_id\":\"bench_%d_reply\","
             "\"kind\":\"message\",\"role\":\"assistant\",\"content\":[],\"status\":\"in_progress\"}}", turn);
    out(buf);
    snprintf(buf, sizeof buf, "{\"mock\":\"item.delta\",\"native_item_id\":\"bench_%d_reply\",\"delta\":\"%s\"}", turn, text);
    out(buf);
    snprintf(buf, sizeof buf, "{\"mock\":\"item.completed\",\"item\":{\"native_item_id\":\"bench_%d_reply\","
             "\"kind\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"%s\"}],"
             "\"status\":\"completed\"}}", turn, text);
    out(buf);
}

static void paced(int turn, long count, long interval_us)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"mock\":\"item.started\",\"item\":{\"native_item_id\":\"bench_%d_reply\","
             "\"kind\":\"message\",\"role\":\"assistant\",\"content\":[],\"status\":\"in_progress\"}}", turn);
    out(buf);
    for (long i = 0; i < count; i++) {
        struct timespec ts = { interval_us / 1000000, (interval_us % 1000000) * 1000 };
        nanosleep(&ts, NULL);
        snprintf(buf, sizeof buf, "{\"mock\":\"item.delta\",\"native_item_id\":\"bench_%d_reply\",\"delta\":\"t=%lld;\"}",
                 turn, (long long)sa_time_mono_us());
        out(buf);
    }
    snprintf(buf, sizeof buf, "{\"mock\":\"item.completed\",\"item\":{\"native_item_id\":\"bench_%d_reply\","
             "\"kind\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"(latency run)\"}],"
             "\"status\":\"completed\"}}", turn);
    out(buf);
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    const char *session = "bench";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) { puts("usage: sa-bench-agent [--session S]"); return 0; }
        if (!strcmp(argv[i], "--version")) { puts("sa-bench-agent " SA_VERSION); return 0; }
        if (!strcmp(argv[i], "--session") && i + 1 < argc) session = argv[++i];
    }
    char buf[256];
    snprintf(buf, sizeof buf, "{\"mock\":\"session\",\"session_id\":\"mock-%s\"}", session);
    out(buf);
    sa_line lr;
    sa_line_init(&lr, 0, 1 << 20);
    char *line;
    size_t len;
    int r;
    while ((r = sa_line_next(&lr, &line, &len)) > 0) {
        cJSON *j = cJSON_Parse(line);
        cJSON *type = cJSON_GetObjectItem(j, "type");
        cJSON *text = cJSON_GetObjectItem(j, "text");
        cJSON *turn = cJSON_GetObjectItem(j, "turn");
        if (cJSON_IsString(type) && !strcmp(type->valuestring, "user") && cJSON_IsString(text)) {
            int t = cJSON_IsNumber(turn) ? turn->valueint : 1;
            long count, interval;
            if (sscanf(text->valuestring, "lat %ld %ld", &count, &interval) == 2 && count > 0 && interval >= 0)
                paced(t, count, interval);
            else
                reply(t, "ok");
            snprintf(buf, sizeof buf, "{\"mock\":\"turn.ended\",\"turn\":%d}", t);
            out(buf);
        }
        cJSON_Delete(j);
    }
    sa_line_free(&lr);
    return 0;
}
