/*
 * api.c — `sa api agents ...` and `sa api sessions ...`: one function per
 * v0.1.11 CLI subcommand, each parsing its flags, building the request
 * (path segments and query values percent-encoded, bodies built with cJSON)
 * and ending with cl_finish (pretty JSON on stdout, problems on stderr).
 * The SSE commands print each event's data as one JSON line as it comes;
 * send-message-stream stops after the turn's terminal event and, when the
 * connection drops, goes on from /events/sse with Last-Event-ID.
 *
 * Ownership: request bodies and paths are local and freed before return.
 */
#include "cl.h"
#include "sa.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 8192

/* The positional arguments after the flags: exactly n of them. */
static char **positionals(int argc, char **argv, int n)
{
    return argc - optind == n ? argv + optind : NULL;
}

static int simple(const char *method, const char *path, cJSON *body)
{
    char *b = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (body && !b) sa_diex(CL_ELOCAL, "out of memory");
    cl_resp r;
    int rc = cl_request(method, path, b, b ? strlen(b) : 0, b ? "application/json" : NULL, NULL, &r);
    free(b);
    return cl_finish(method, path, rc, &r);
}

/* "/v1/PREFIX/SEG[/SUFFIX]" with SEG escaped. */
static void seg_path(char *out, size_t size, const char *prefix, const char *seg, const char *suffix)
{
    char *e = cl_esc(seg);
    int n = snprintf(out, size, "/v1/%s/%s%s", prefix, e, suffix ? suffix : "");
    free(e);
    if (n < 0 || (size_t)n >= size) sa_diex(CL_EUSAGE, "argument too long");
}

/* ---- agents ---- */

static const char agents_usage[] =
    "usage: sa api agents list [-e URL]\n"
    "       sa api agents install AGENT [-r|--reinstall] [-e URL]\n"
    "       sa api agents modes AGENT [-e URL]\n"
    "       sa api agents models AGENT [-e URL]\n";

int cl_agent_install_remote(const char *agent, bool reinstall)
{
    char path[PATH_MAX_LEN];
    seg_path(path, sizeof path, "agents", agent, "/install");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddBoolToObject(b, "reinstall", reinstall);
    return simple("POST", path, b);
}

int cl_api_agents(int argc, char **argv)
{
    if (argc < 2) return cl_usage(agents_usage);
    const char *sub = argv[1];
    argc--, argv++;
    static const struct option lo[] = {CL_GLOBAL_LONG, CL_ENDPOINT_LONG, {"reinstall", 0, 0, 'r'},
                                       {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    bool reinstall = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT CL_ENDPOINT_SHORT "rh", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, true)) continue;
        if (c == 'r' && !strcmp(sub, "install")) { reinstall = true; continue; }
        if (c == 'h') { fputs(agents_usage, stdout); return CL_OK; }
        return cl_usage(agents_usage);
    }
    char path[PATH_MAX_LEN];
    char **pos;
    if (!strcmp(sub, "list")) {
        if (!positionals(argc, argv, 0)) return cl_usage(agents_usage);
        return simple("GET", "/v1/agents", NULL);
    }
    if (!(pos = positionals(argc, argv, 1))) return cl_usage(agents_usage);
    if (!strcmp(sub, "install")) return cl_agent_install_remote(pos[0], reinstall);
    if (!strcmp(sub, "modes") || !strcmp(sub, "models")) {
        seg_path(path, sizeof path, "agents", pos[0], !strcmp(sub, "modes") ? "/modes" : "/models");
        return simple("GET", path, NULL);
    }
    sa_warnx("api agents: unknown command: %s", sub);
    return cl_usage(agents_usage);
}

/* ---- sessions ---- */

static const char sessions_usage[] =
    "usage: sa api sessions list\n"
    "       sa api sessions create SID -a AGENT [-g MODE] [-p PERMISSION-MODE] [-m MODEL]\n"
    "                      [-v VARIANT] [-A AGENT-VERSION] [--mcp-config FILE] [--skill PATH]...\n"
    "       sa api sessions send-message SID -m MESSAGE\n"
    "       sa api sessions send-message-stream SID -m MESSAGE [--include-raw]\n"
    "       sa api sessions terminate SID\n"
    "       sa api sessions events|get-messages SID [-o OFFSET] [-l LIMIT] [--include-raw]\n"
    "       sa api sessions events-sse SID [-o OFFSET] [--include-raw]\n"
    "       sa api sessions reply-question SID QID -a '[[\"answer\"]]'\n"
    "       sa api sessions reject-question SID QID\n"
    "       sa api sessions reply-permission SID PID -r once|always|reject\n"
    "Every command also takes -e URL, -t TOKEN, -n.\n";

enum { O_MCP = 256, O_SKILL, O_RAW };

typedef struct sess_opts {
    const char *agent, *mode, *perm, *model, *variant, *agent_version, *mcp, *message;
    const char *offset, *limit, *answers, *reply;
    const char *skills[64];
    int nskills;
    bool raw;
} sess_opts;

static bool is_terminal_type(const char *t)
{
    static const char *const term[] = {"turn.ended", "session.ended", "error", "agent.unparsed",
                                       "permission.requested", "question.requested"};
    for (size_t i = 0; i < sizeof term / sizeof term[0]; i++)
        if (!strcmp(t, term[i])) return true;
    return false;
}

typedef struct stream_ctx { bool stop_at_terminal; } stream_ctx;

static bool print_event(uint64_t id, const char *data, size_t len, void *arg)
{
    (void)id;
    stream_ctx *s = arg;
    fwrite(data, 1, len, stdout);
    fputc('\n', stdout);
    if (fflush(stdout) != 0) return false;
    if (!s->stop_at_terminal) return true;
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
    bool stop = cJSON_IsString(t) && is_terminal_type(t->valuestring);
    cJSON_Delete(j);
    return !stop;
}

static int create(const char *sid, const sess_opts *o)
{
    if (!o->agent) { sa_warnx("api sessions create: -a/--agent is required"); return cl_usage(sessions_usage); }
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "agent", o->agent);
    if (o->mode) cJSON_AddStringToObject(b, "agentMode", o->mode);
    if (o->perm) cJSON_AddStringToObject(b, "permissionMode", o->perm);
    if (o->model) cJSON_AddStringToObject(b, "model", o->model);
    if (o->variant) cJSON_AddStringToObject(b, "variant", o->variant);
    if (o->agent_version) cJSON_AddStringToObject(b, "agentVersion", o->agent_version);
    if (o->mcp) {
        size_t n;
        char *txt = cl_read_file(o->mcp, 1u << 20, &n);
        if (!txt) { sa_warn("--mcp-config: %s", o->mcp); cJSON_Delete(b); return CL_ELOCAL; }
        cJSON *m = cJSON_ParseWithLength(txt, n);
        free(txt);
        if (!cJSON_IsObject(m)) {
            sa_warnx("--mcp-config: %s: not a JSON object (name -> server config)", o->mcp);
            cJSON_Delete(m);
            cJSON_Delete(b);
            return CL_EUSAGE;
        }
        cJSON_AddItemToObject(b, "mcp", m);
    }
    if (o->nskills) {
        cJSON *src = cJSON_AddArrayToObject(cJSON_AddObjectToObject(b, "skills"), "sources");
        for (int i = 0; i < o->nskills; i++) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "type", "local");
            cJSON_AddStringToObject(s, "source", o->skills[i]);
            cJSON_AddItemToArray(src, s);
        }
    }
    char path[PATH_MAX_LEN];
    seg_path(path, sizeof path, "sessions", sid, NULL);
    return simple("POST", path, b);
}

static int reply_question(const char *path, const char *answers)
{
    if (!answers) { sa_warnx("api sessions reply-question: -a/--answers is required"); return CL_EUSAGE; }
    cJSON *a = cJSON_Parse(answers);
    bool ok = cJSON_IsArray(a);
    const cJSON *row;
    cJSON_ArrayForEach(row, a) {
        const cJSON *x;
        if (!cJSON_IsArray(row)) ok = false;
        else cJSON_ArrayForEach(x, row) if (!cJSON_IsString(x)) ok = false;
    }
    if (!ok) {
        sa_warnx("--answers: not a JSON array of arrays of strings: %s", answers);
        cJSON_Delete(a);
        return CL_EUSAGE;
    }
    cJSON *b = cJSON_CreateObject();
    cJSON_AddItemToObject(b, "answers", a);
    return simple("POST", path, b);
}

static int session_cmd(const char *sub, char **pos, int npos, const sess_opts *o)
{
    char path[PATH_MAX_LEN], p2[PATH_MAX_LEN];
    if (!strcmp(sub, "create")) return create(pos[0], o);
    if (!strcmp(sub, "send-message") || !strcmp(sub, "send-message-stream")) {
        if (!o->message) { sa_warnx("api sessions %s: -m/--message is required", sub); return CL_EUSAGE; }
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "message", o->message);
        if (!strcmp(sub, "send-message")) {
            seg_path(path, sizeof path, "sessions", pos[0], "/messages");
            return simple("POST", path, b);
        }
        char *body = cJSON_PrintUnformatted(b);
        cJSON_Delete(b);
        if (!body) sa_diex(CL_ELOCAL, "out of memory");
        seg_path(path, sizeof path, "sessions", pos[0], "/messages/stream");
        seg_path(p2, sizeof p2, "sessions", pos[0], "/events/sse");
        if (o->raw) { cl_query(path, sizeof path, "include_raw", "true"); cl_query(p2, sizeof p2, "include_raw", "true"); }
        stream_ctx s = {.stop_at_terminal = true};
        int rc = cl_sse("POST", path, body, p2, 0, print_event, &s);
        free(body);
        return rc;
    }
    if (!strcmp(sub, "terminate")) {
        seg_path(path, sizeof path, "sessions", pos[0], "/terminate");
        return simple("POST", path, NULL);
    }
    if (!strcmp(sub, "events") || !strcmp(sub, "get-messages") || !strcmp(sub, "events-sse")) {
        bool sse = !strcmp(sub, "events-sse");
        seg_path(path, sizeof path, "sessions", pos[0], sse ? "/events/sse" : "/events");
        if (o->offset) cl_query(path, sizeof path, "offset", o->offset);
        if (o->limit && !sse) cl_query(path, sizeof path, "limit", o->limit);
        if (o->raw) cl_query(path, sizeof path, "include_raw", "true");
        if (!sse) return simple("GET", path, NULL);
        stream_ctx s = {.stop_at_terminal = false};
        return cl_sse("GET", path, NULL, path, 0, print_event, &s);
    }
    if (npos == 2 && (!strcmp(sub, "reply-question") || !strcmp(sub, "reject-question"))) {
        char *q = cl_esc(pos[1]);
        char suffix[PATH_MAX_LEN];
        snprintf(suffix, sizeof suffix, "/questions/%s/%s", q, !strcmp(sub, "reply-question") ? "reply" : "reject");
        free(q);
        seg_path(path, sizeof path, "sessions", pos[0], suffix);
        if (!strcmp(sub, "reject-question")) return simple("POST", path, NULL);
        return reply_question(path, o->answers);
    }
    if (npos == 2 && !strcmp(sub, "reply-permission")) {
        if (!o->reply) { sa_warnx("api sessions reply-permission: -r/--reply is required"); return CL_EUSAGE; }
        char *q = cl_esc(pos[1]);
        char suffix[PATH_MAX_LEN];
        snprintf(suffix, sizeof suffix, "/permissions/%s/reply", q);
        free(q);
        seg_path(path, sizeof path, "sessions", pos[0], suffix);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "reply", o->reply);
        return simple("POST", path, b);
    }
    sa_warnx("api sessions: unknown command: %s", sub);
    return cl_usage(sessions_usage);
}

int cl_api_sessions(int argc, char **argv)
{
    if (argc < 2) return cl_usage(sessions_usage);
    const char *sub = argv[1];
    argc--, argv++;
    static const struct option lo[] = {
        CL_GLOBAL_LONG, CL_ENDPOINT_LONG,
        {"agent", 1, 0, 'a'}, {"answers", 1, 0, 'a'}, {"agent-mode", 1, 0, 'g'},
        {"permission-mode", 1, 0, 'p'}, {"model", 1, 0, 'm'}, {"message", 1, 0, 'm'},
        {"variant", 1, 0, 'v'}, {"agent-version", 1, 0, 'A'}, {"mcp-config", 1, 0, O_MCP},
        {"skill", 1, 0, O_SKILL}, {"include-raw", 0, 0, O_RAW}, {"offset", 1, 0, 'o'},
        {"limit", 1, 0, 'l'}, {"reply", 1, 0, 'r'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    sess_opts o = {0};
    bool is_create = !strcmp(sub, "create");
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT CL_ENDPOINT_SHORT "a:g:p:m:v:A:o:l:r:h", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, true)) continue;
        switch (c) {
        case 'a': if (is_create) o.agent = optarg; else o.answers = optarg; break;
        case 'g': o.mode = optarg; break;
        case 'p': o.perm = optarg; break;
        case 'm': if (is_create) o.model = optarg; else o.message = optarg; break;
        case 'v': o.variant = optarg; break;
        case 'A': o.agent_version = optarg; break;
        case O_MCP: o.mcp = optarg; break;
        case O_SKILL:
            if (o.nskills == (int)(sizeof o.skills / sizeof o.skills[0])) sa_diex(CL_EUSAGE, "too many --skill");
            o.skills[o.nskills++] = optarg;
            break;
        case O_RAW: o.raw = true; break;
        case 'o': o.offset = optarg; break;
        case 'l': o.limit = optarg; break;
        case 'r': o.reply = optarg; break;
        case 'h': fputs(sessions_usage, stdout); return CL_OK;
        default: return cl_usage(sessions_usage);
        }
    }
    uint64_t x;
    if ((o.offset && !sa_parse_u64(o.offset, UINT64_MAX, &x)) || (o.limit && !sa_parse_u64(o.limit, UINT64_MAX, &x))) {
        sa_warnx("api sessions %s: --offset and --limit take a number", sub);
        return CL_EUSAGE;
    }
    int npos = argc - optind;
    if (!strcmp(sub, "list")) {
        if (npos != 0) return cl_usage(sessions_usage);
        return simple("GET", "/v1/sessions", NULL);
    }
    bool two = !strcmp(sub, "reply-question") || !strcmp(sub, "reject-question") || !strcmp(sub, "reply-permission");
    if (npos != (two ? 2 : 1)) return cl_usage(sessions_usage);
    return session_cmd(sub, argv + optind, npos, &o);
}

int cl_api(int argc, char **argv)
{
    static const char usage[] = "usage: sa api agents|sessions|fs COMMAND ...   (sa api GROUP --help)\n";
    if (argc < 2) return cl_usage(usage);
    if (!strcmp(argv[1], "agents")) return cl_api_agents(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sessions")) return cl_api_sessions(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fs")) return cl_api_fs(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { fputs(usage, stdout); return CL_OK; }
    sa_warnx("api: unknown group: %s", argv[1]);
    return cl_usage(usage);
}
