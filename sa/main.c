/*
 * sa — the client command: sandbox-agent v0.1.11's CLI over sa-serve's
 * HTTP API (api agents|sessions|fs), plus attach, server, daemon,
 * install-agent, credentials and opencode.  See sa(1).
 *
 * main.c parses what comes before the command (the global -t/--token,
 * -n/--no-token, -e/--endpoint, --help, --version), fills cl_g (token from
 * $SA_TOKEN when no flag is given; endpoint from $SA_ENDPOINT, else
 * http://127.0.0.1:2468) and hands the rest of argv to the command's
 * function, which parses its own flags (the global ones again, so they may
 * also follow the command, as in v0.1.11).
 *
 * Ownership: cl_g points into argv or the environment, never freed.
 */
#include "cl.h"
#include "sa.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

cl_opts cl_g;

static const char usage_text[] =
    "usage: sa [-t TOKEN | -n] [-e URL] COMMAND [ARGS...]\n"
    "       sa --help | --version\n"
    "Commands (sa(1) has every flag):\n"
    "  api agents list|install|modes|models ...     the agents API\n"
    "  api sessions list|create|send-message|send-message-stream|terminate|\n"
    "               events|get-messages|events-sse|reply-question|reject-question|\n"
    "               reply-permission ...            the sessions API\n"
    "  api fs entries|read|write|delete|mkdir|stat|move|upload-batch ...   the fs API\n"
    "  attach SID [--auto-reject] [--json] [--until-turn-end]   follow a session, answer it\n"
    "  server [-H HOST] [-p PORT] [-O ORIGIN]... [-M METHOD]... [-A HEADER]... [-C]\n"
    "         [--no-telemetry] [-- SA-SERVE-ARGS...]    run sa-serve in the foreground\n"
    "  daemon start|stop|status [-H HOST] [-p PORT]  sa-serve in the background\n"
    "  install-agent AGENT [-r]                      install an agent's pinned npm package\n"
    "  credentials extract|extract-env ...           find the agents' API keys\n"
    "  opencode [-H HOST] [-p PORT] [--session-title T] [--yolo] [--agent A]\n"
    "                                                the OpenCode TUI on an sa session\n"
    "Global: -t, --token T (default $SA_TOKEN)   -n, --no-token   -e, --endpoint URL\n"
    "        (default $SA_ENDPOINT or " CL_DEFAULT_ENDPOINT ")\n";

static void set_endpoint(const char *e)
{
    static char buf[2048];
    size_t n = strlen(e);
    while (n > 0 && e[n - 1] == '/') n--;
    if (n >= sizeof buf) sa_diex(CL_EUSAGE, "--endpoint: too long");
    memcpy(buf, e, n);
    buf[n] = '\0';
    cl_g.endpoint = buf;
}

bool cl_global_opt(int c, const char *arg, bool with_endpoint)
{
    switch (c) {
    case 't': cl_g.token = arg; cl_g.no_token = false; return true;
    case 'n': cl_g.no_token = true; return true;
    case 'e':
        if (!with_endpoint) return false;
        set_endpoint(arg);
        return true;
    default: return false;
    }
}

int cl_usage(const char *text)
{
    fputs(text, stderr);
    return CL_EUSAGE;
}

typedef struct cmd { const char *name; int (*fn)(int, char **); } cmd;

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    const char *env = getenv("SA_ENDPOINT");
    set_endpoint(env && *env ? env : CL_DEFAULT_ENDPOINT);
    const char *tok = getenv("SA_TOKEN");
    if (tok && *tok) cl_g.token = tok;
    static const struct option lo[] = {
        CL_GLOBAL_LONG, CL_ENDPOINT_LONG, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+" CL_GLOBAL_SHORT CL_ENDPOINT_SHORT "hV", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, true)) continue;
        if (c == 'h') { fputs(usage_text, stdout); return CL_OK; }
        if (c == 'V') { printf("sa %s\n", SA_VERSION); return CL_OK; }
        return cl_usage(usage_text);
    }
    if (optind >= argc) return cl_usage(usage_text);
    static const cmd cmds[] = {
        {"api", cl_api}, {"attach", cl_attach}, {"server", cl_server}, {"daemon", cl_daemon},
        {"install-agent", cl_install_agent}, {"credentials", cl_credentials}, {"opencode", cl_opencode}};
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(name, cmds[i].name)) continue;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) sa_diex(CL_ELOCAL, "curl_global_init failed");
        int rc = cmds[i].fn(argc - optind, argv + optind);
        curl_global_cleanup();
        return rc;
    }
    sa_warnx("unknown command: %s", name);
    return cl_usage(usage_text);
}
