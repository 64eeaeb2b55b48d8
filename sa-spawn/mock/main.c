/*
 * main.c — sa-mock-agent: a scripted agent speaking the mock native
 * protocol (see sa-mock-agent(1)).  It prints {"mock":"session",...} once,
 * then serves JSONL requests from stdin until end of input: every
 * {"type":"user"} request is one turn (cmds.c) closed by
 * {"mock":"turn.ended","turn":N}.  Requests that do not belong to a turn
 * (a stray cancel or reply) are ignored with a note on stderr.
 */
#include "mock.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mock M;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sa-mock-agent [--session S]\n"
        "A scripted stand-in coding agent for sa-spawn: reads JSON requests on stdin,\n"
        "writes its native JSONL events on stdout.  See sa-mock-agent(1).\n"
        "  --session S   session id; the native session id is mock-S (default: default)\n"
        "  --help        this text\n"
        "  --version     print the version\n");
}

void mock_exit(void)
{
    mo_flush();
    mi_free();
    free(M.ob);
    exit(0);
}

static void turn(cJSON *req)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "text"));
    cJSON *t = cJSON_GetObjectItemCaseSensitive(req, "turn");
    M.turn = cJSON_IsNumber(t) ? t->valueint : M.turn + 1;
    M.k++;
    M.cancelled = false;
    snprintf(M.prefix, sizeof M.prefix, "mock_%d", M.k);
    mc_run(text ? text : "");
    mo_str("{\"mock\":\"turn.ended\",\"turn\":");
    mo_int(M.turn);
    mo_raw("}", 1);
    mo_end_line();
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    static const struct option opts[] = {
        { "session", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    M.session = "default";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 's': M.session = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("sa-mock-agent %s\n", SA_VERSION); return 0;
        case ':': sa_warnx("option %s needs an argument", argv[optind - 1]); usage(stderr); return 2;
        default: sa_warnx("unknown option: %s", argv[optind - 1]); usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        sa_warnx("unexpected argument: %s", argv[optind]);
        usage(stderr);
        return 2;
    }

    mo_str("{\"mock\":\"session\",\"session_id\":");
    char sid[512];
    snprintf(sid, sizeof sid, "mock-%s", M.session);
    mo_jstr(sid, strlen(sid));
    mo_raw("}", 1);
    mo_end_line();

    char *line;
    while (mi_next(-1, &line) == 1) {
        cJSON *req = cJSON_Parse(line);
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "type"));
        if (!type) sa_warnx("ignoring a request that is not a JSON object with a type");
        else if (strcmp(type, "user") == 0) turn(req);
        else if (strcmp(type, "cancel") == 0) { /* nothing running: nothing to cancel */ }
        else sa_warnx("ignoring a %s request outside a turn", type);
        cJSON_Delete(req);
        free(line);
    }
    mock_exit();
}
