/*
 * opencode.c — `sa opencode`: the OpenCode TUI on sa sessions, as
 * sandbox-agent v0.1.11's `opencode` command.
 *
 * It makes sure an sa-serve answers on HOST:PORT (else starts one as `sa
 * daemon start` does), creates a session through the OpenCode-compatible
 * API (POST /opencode/session) when asked for one (--session-title,
 * --agent or --yolo), and execs `opencode attach http://HOST:PORT/opencode
 * [--session ID]`.  The token (if any) goes to opencode in
 * $OPENCODE_SERVER_PASSWORD, which opencode sends as HTTP Basic auth (user
 * "opencode"), rather than in --password, where every local user could
 * read it in /proc.  opencode is $SA_OPENCODE_BIN, else the agent
 * description's binary found as sa finds agents (PATH, then the agent
 * cache).
 *
 * Ownership: strings are local or point into argv; the process is replaced.
 */
#include "cl.h"
#include "sa.h"
#include "sa_agent.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char oc_usage[] =
    "usage: sa opencode [-H HOST] [-p PORT] [-t TOKEN | -n] [--session-title TITLE] [--yolo]\n"
    "                   [--agent AGENT] [-- OPENCODE-ARGS...]\n";

enum { O_TITLE = 256, O_YOLO, O_AGENT };

/* opencode's executable (caller frees), or NULL after a diagnostic. */
static char *opencode_bin(void)
{
    const char *e = getenv("SA_OPENCODE_BIN");
    if (e && *e) return strdup(e);
    char *dir = sa_agent_dir(NULL), err[512], *p = NULL;
    sa_agent_desc d;
    if (dir && sa_agent_load(dir, "opencode", &d, err, sizeof err) == 0) {
        p = sa_agent_find(&d, NULL);
        sa_agent_free(&d);
    }
    free(dir);
    if (!p) sa_warnx("opencode: cannot find the opencode CLI (set $SA_OPENCODE_BIN, or `sa install-agent opencode`)");
    return p;
}

/* POST /opencode/session; the new id into id.  CL_OK or an exit status. */
static int create_session(const char *title, const char *agent, bool yolo, char *id, size_t n)
{
    cJSON *b = cJSON_CreateObject();
    if (title) cJSON_AddStringToObject(b, "title", title);
    if (agent) cJSON_AddStringToObject(cJSON_AddObjectToObject(b, "model"), "providerID", agent);
    if (yolo) {   /* OpenCode's own way to allow everything */
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "permission", "*");
        cJSON_AddStringToObject(r, "pattern", "*");
        cJSON_AddStringToObject(r, "action", "allow");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(b, "permission"), r);
    }
    char *body = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    if (!body) sa_diex(CL_ELOCAL, "out of memory");
    cl_resp r;
    int rc = cl_request("POST", "/opencode/session", body, strlen(body), "application/json", NULL, &r);
    free(body);
    if (rc != CL_OK || r.status >= 300) {
        rc = cl_report("POST", "/opencode/session", rc, &r);
        cl_resp_free(&r);
        return rc;
    }
    cJSON *j = r.body ? cJSON_Parse(r.body) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "id");
    rc = cJSON_IsString(v) && strlen(v->valuestring) < n ? CL_OK : CL_EHTTP;
    if (rc == CL_OK) memcpy(id, v->valuestring, strlen(v->valuestring) + 1);
    else sa_warnx("opencode: POST /opencode/session: no session id in the answer");
    cJSON_Delete(j);
    cl_resp_free(&r);
    return rc;
}

int cl_opencode(int argc, char **argv)
{
    static const struct option lo[] = {
        CL_GLOBAL_LONG, {"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"session-title", 1, 0, O_TITLE},
        {"yolo", 0, 0, O_YOLO}, {"agent", 1, 0, O_AGENT}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *host = "127.0.0.1", *port = "2468", *title = NULL, *agent = NULL;
    bool yolo = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT "H:p:h", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, false)) continue;
        switch (c) {
        case 'H': host = optarg; break;
        case 'p': port = optarg; break;
        case O_TITLE: title = optarg; break;
        case O_YOLO: yolo = true; break;
        case O_AGENT: agent = optarg; break;
        case 'h': fputs(oc_usage, stdout); return CL_OK;
        default: return cl_usage(oc_usage);
        }
    }
    uint64_t pn;
    if (!sa_parse_u64(port, 65535, &pn)) { sa_warnx("--port: not a port number: %s", port); return CL_EUSAGE; }
    char *bin = opencode_bin();
    if (!bin) return CL_ELOCAL;
    int rc = cl_daemon_ensure(host, port);
    if (rc != CL_OK) { free(bin); return rc; }
    static char ep[600], url[700];
    snprintf(ep, sizeof ep, strchr(host, ':') ? "http://[%s]:%s" : "http://%s:%s", host, port);
    cl_g.endpoint = ep;
    snprintf(url, sizeof url, "%s/opencode", ep);
    static char sid[600];
    if (title || agent || yolo) {
        rc = create_session(title, agent, yolo, sid, sizeof sid);
        if (rc != CL_OK) { free(bin); return rc; }
    }
    char *av[64];
    int n = 0;
    av[n++] = "opencode";
    av[n++] = "attach";
    av[n++] = url;
    if (*sid) { av[n++] = "--session"; av[n++] = sid; }
    for (int i = optind; i < argc && n < 63; i++) av[n++] = argv[i];
    av[n] = NULL;
    if (!cl_g.no_token && cl_g.token && setenv("OPENCODE_SERVER_PASSWORD", cl_g.token, 1) < 0)
        sa_die(CL_ELOCAL, "setenv");
    if (cl_g.no_token) unsetenv("OPENCODE_SERVER_PASSWORD");
    unsetenv("SA_TOKEN");        /* opencode needs only its password */
    fflush(NULL);
    execv(bin, av);
    sa_warn("exec %s", bin);
    free(bin);
    return CL_ELOCAL;
}
