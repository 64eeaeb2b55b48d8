/*
 * sa-normalize — stage 2 of sa: an agent's native JSONL (as written by
 * sa-spawn) on stdin → universal events (sandbox-agent v0.1.11 schema,
 * without event_id/sequence) on stdout, one per line, in input order.
 *
 * main.c parses the flags, finds the agent's jq mapping program
 * (NAME.jq), has jq check it (while the co-process starts), and hands over to nz_pump (the loop),
 * nz_state (the normalization rules), nz_jq (the co-process) and nz_fast
 * (text deltas in C, for programs with a "# sa-fast-path:" line).
 * Exit: 0 EOF, 1 system error, 2 usage, 3 mapping program missing/rejected.
 */
#include "nz_fast.h"
#include "nz_jq.h"
#include "nz_pump.h"
#include "nz_state.h"
#include "sa_agent.h"
#include "sa.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nz_diff.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sa-normalize --agent NAME --session ID [options] < native.jsonl\n"
        "  Turn an agent's native JSONL (sa-spawn output) into universal events.\n"
        "  --agent NAME              agent whose mapping program NAME.jq is used\n"
        "  --session ID              session id written into every event\n"
        "  --native-session-id ID    the agent's own session id, if already known\n"
        "  --item-start N            first itm_N number (default 1)\n"
        "  --no-session-started      do not emit session.started (session has one)\n"
        "  --metadata JSON           data.metadata of the session.started event (default:\n"
        "                            {agent, agentMode, permissionMode, model, variant})\n"
        "  --agent-mode M, --model M, --variant V   fields of that default metadata\n"
        "  --permission-mode MODE    permission mode (acceptEdits hides file-change requests)\n"
        "  --programs DIR            directory of NAME.jq programs\n"
        "  --mcp FILE                the session's MCP servers (sa's form): MCP tool names\n"
        "  --diff-dir DIR --work-tree W  before each turn.ended, a session.diff item with\n"
        "                            what the turn changed in W (DIR: sa's private snapshots)\n"
        "  --jq PATH                 jq to run (default: jq on PATH)\n"
        "  --no-fast-path            every line goes to jq (no C fast path for text deltas)\n"
        "  --line-timeout MS         longest the mapping program may take on one line\n"
        "                            (default 10000; 0: no limit): then that line becomes an\n"
        "                            agent.unparsed error and jq is restarted for the rest\n"
        "  -q, --quiet / -v, --verbose   diagnostics level\n"
        "  -h, --help                this help;  -V, --version  print version\n");
}

static bool valid_agent(const char *a)
{
    if (!*a || strlen(a) > 64) return false;
    for (const char *p = a; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.') || (*p == '.' && p == a))
            return false;
    return true;
}

static char *program_path(const char *dir, const char *agent)
{
    size_t n = strlen(dir) + strlen(agent) + 8;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s.jq", dir, agent);
    return p;
}

/* --programs, else $SA_AGENTS_DIR, else the first of the directories beside
 * the executable (sa_agent_dir_candidates) that holds AGENT.jq.  NULL when
 * none does; then `searched` says which files were tried and why each
 * failed ("P (No such file or directory), ..."). */
static char *find_program(const char *dir_opt, const char *agent, char *searched, size_t n)
{
    char *c[SA_AGENT_DIRS_MAX], *found = NULL;
    size_t k = sa_agent_dir_candidates(dir_opt, c), off = 0;
    searched[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        char *p = found ? NULL : program_path(c[i], agent);
        if (p && access(p, R_OK) == 0) found = p;
        else if (p) {
            int w = snprintf(searched + off, n - off, "%s%s (%s)", off ? ", " : "", p, strerror(errno));
            if (w > 0) off = (size_t)w >= n - off ? n - 1 : off + (size_t)w;
            free(p);
        }
        free(c[i]);
    }
    if (!k) snprintf(searched, n, "no agents directory beside the executable");
    return found;
}

/* The server names of an --mcp file (sa's form, sa-spawn(1) MCP) as a JSON
 * array text (caller frees), or NULL after a diagnostic. */
static char *mcp_server_names(const char *path)
{
    char *text = nz_jq_read_file(path, 1u << 20);
    if (!text) { sa_warn("cannot read --mcp file %s", path); return NULL; }
    cJSON *doc = cJSON_Parse(text);
    free(text);
    cJSON *servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    if (!cJSON_IsObject(servers)) {
        sa_warnx("--mcp file %s: not sa's MCP form ({\"strict\":..,\"servers\":{..}})", path);
        cJSON_Delete(doc);
        return NULL;
    }
    cJSON *names = cJSON_CreateArray(), *e;
    cJSON_ArrayForEach(e, servers) cJSON_AddItemToArray(names, cJSON_CreateString(e->string));
    char *out = cJSON_PrintUnformatted(names);
    cJSON_Delete(names);
    cJSON_Delete(doc);
    if (!out) sa_diex(1, "out of memory");
    return out;
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    enum { O_AGENT = 256, O_SESSION, O_NSID, O_ITEM, O_NOSS, O_META, O_PERM, O_PROGS, O_JQ, O_AMODE, O_MODEL, O_VARIANT, O_MCP, O_DIFF, O_WORK, O_TIMEOUT, O_NOFAST };
    static const struct option opts[] = {
        { "agent", required_argument, 0, O_AGENT }, { "session", required_argument, 0, O_SESSION },
        { "native-session-id", required_argument, 0, O_NSID }, { "item-start", required_argument, 0, O_ITEM },
        { "no-session-started", no_argument, 0, O_NOSS }, { "metadata", required_argument, 0, O_META },
        { "permission-mode", required_argument, 0, O_PERM }, { "programs", required_argument, 0, O_PROGS },
        { "jq", required_argument, 0, O_JQ }, { "agent-mode", required_argument, 0, O_AMODE },
        { "model", required_argument, 0, O_MODEL }, { "variant", required_argument, 0, O_VARIANT },
        { "mcp", required_argument, 0, O_MCP },
        { "line-timeout", required_argument, 0, O_TIMEOUT },
        { "no-fast-path", no_argument, 0, O_NOFAST },
        { "diff-dir", required_argument, 0, O_DIFF }, { "work-tree", required_argument, 0, O_WORK },
        { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, 'V' }, { "quiet", no_argument, 0, 'q' },
        { "verbose", no_argument, 0, 'v' }, { 0, 0, 0, 0 } };
    const char *agent = NULL, *session = NULL, *nsid = NULL, *meta = NULL, *perm = NULL;
    const char *progs = NULL, *jq_opt = NULL, *amode = NULL, *model = NULL, *variant = NULL, *mcp = NULL;
    const char *diff_dir = NULL, *work_tree = NULL;
    uint64_t item_start = 1, line_timeout = NZ_LINE_TIMEOUT_MS;
    bool no_ss = false, no_fast = false;
    int c;
    while ((c = getopt_long(argc, argv, "hVqv", opts, NULL)) != -1) {
        switch (c) {
        case O_AGENT: agent = optarg; break;
        case O_SESSION: session = optarg; break;
        case O_NSID: nsid = optarg; break;
        case O_ITEM:
            if (!sa_parse_u64(optarg, UINT64_MAX / 2, &item_start) || item_start == 0) {
                sa_warnx("--item-start: not a positive number: %s", optarg);
                usage(stderr);
                return 2;
            }
            break;
        case O_TIMEOUT:
            if (!sa_parse_u64(optarg, 86400000, &line_timeout)) {
                sa_warnx("--line-timeout: not a number of milliseconds (0 to 86400000): %s", optarg);
                usage(stderr);
                return 2;
            }
            break;
        case O_NOSS: no_ss = true; break;
        case O_NOFAST: no_fast = true; break;
        case O_META: meta = optarg; break;
        case O_PERM: perm = optarg; break;
        case O_PROGS: progs = optarg; break;
        case O_JQ: jq_opt = optarg; break;
        case O_AMODE: amode = optarg; break;
        case O_MODEL: model = optarg; break;
        case O_VARIANT: variant = optarg; break;
        case O_MCP: mcp = optarg; break;
        case O_DIFF: diff_dir = optarg; break;
        case O_WORK: work_tree = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("sa-normalize %s\n", SA_VERSION); return 0;
        case 'q': sa_log_set_level(0); break;
        case 'v': sa_log_set_level(sa_log_level() + 1); break;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || !agent || !session || !*session) {
        if (optind < argc) sa_warnx("unexpected argument: %s", argv[optind]);
        else sa_warnx("--agent and --session are required");
        usage(stderr);
        return 2;
    }
    if (!valid_agent(agent)) { sa_warnx("--agent: invalid agent name: %s", agent); return 2; }
    if (!diff_dir != !work_tree) { sa_warnx("--diff-dir and --work-tree go together"); usage(stderr); return 2; }
    cJSON *metadata = NULL;
    if (meta && !(metadata = cJSON_Parse(meta))) { sa_warnx("--metadata: not JSON: %s", meta); return 2; }

    /* --mcp: the session's MCP server names, for programs that must tell an
     * MCP tool from another by its name (opencode's <server>_<tool>) */
    char *mcp_names = NULL;
    if (mcp && !(mcp_names = mcp_server_names(mcp))) { cJSON_Delete(metadata); return 2; }

    char *jq = sa_find_exec(jq_opt ? jq_opt : "jq", false);
    if (!jq) { cJSON_Delete(metadata); sa_diex(1, "cannot find jq%s%s", jq_opt ? " at " : " on PATH", jq_opt ? jq_opt : ""); }
    char searched[2048];
    char *path = find_program(progs, agent, searched, sizeof searched);
    char *text = path ? nz_jq_read_file(path, 1u << 20) : NULL;
    if (!text) {
        if (path) sa_warn("no mapping program for agent %s: %s", agent, path);
        else {
            const char *env = getenv("SA_AGENTS_DIR");
            sa_warnx("no mapping program for agent %s: looked for %s%s", agent, searched,
                     progs ? "" : env && *env ? " (the directory in $SA_AGENTS_DIR)"
                                              : "; set --programs or $SA_AGENTS_DIR");
        }
        free(path); free(jq); cJSON_Delete(metadata);
        return 3;
    }
    /* The program sees its agent's description as `agent_desc` (null when
     * the agent has none), so lists such as question tools are kept once. */
    char *pdir = progs ? strdup(progs) : NULL;
    if (!pdir && path) {
        pdir = strdup(path);
        char *sl = pdir ? strrchr(pdir, '/') : NULL;
        if (sl) *sl = '\0';
    }
    nz_agent_set_dir(pdir);
    sa_agent_desc desc;
    char derr[512];
    char *dj = NULL, *dflt_model = NULL, *dflt_nsid = NULL;
    if (sa_agent_load(pdir, agent, &desc, derr, sizeof derr) == 0) {
        dj = cJSON_PrintUnformatted(desc.doc);
        /* what sa-serve puts in session.started, also without its flags */
        const char *dm = sa_agent_str(&desc, "default_model");
        if (!model && dm) model = dflt_model = strdup(dm);
        if (!nsid) nsid = dflt_nsid = sa_agent_native_id(&desc, session);
        sa_agent_free(&desc);
    }
    free(pdir);
    nz_fast_kind fast = no_fast ? NZ_FAST_NONE : nz_fast_kind_of(text);   /* its "# sa-fast-path:" line */
    size_t tn = strlen(text) + (dj ? strlen(dj) : 4) + (mcp_names ? strlen(mcp_names) : 2) + 64;
    char *full = malloc(tn);
    if (!full) sa_diex(1, "out of memory");
    snprintf(full, tn, "def agent_desc: %s;\ndef mcp_servers: %s;\n%s", dj ? dj : "null",
             mcp_names ? mcp_names : "[]", text);
    free(dj);
    free(mcp_names);
    free(text);
    char *composed = nz_jq_compose(full);
    free(full);
    if (!composed) sa_diex(1, "out of memory");
    signal(SIGPIPE, SIG_IGN);
    nz_jq_check_t *check = nz_jq_check_start(jq, composed, agent, session);
    if (!check) sa_diex(1, "out of memory");

    sa_catch_stop_signals();     /* a flag and a self-pipe the pump polls */

    nz_diff *diff = diff_dir ? nz_diff_init(diff_dir, work_tree) : NULL;
    nz_pump_cfg cfg = {
        .in_fd = 0, .out_fd = 1, .jq = jq, .composed = composed, .agent = agent, .session = session,
        .opts = { .agent = agent, .session_id = session, .native_session_id = nsid,
                  .item_start = item_start, .permission_mode = perm, .metadata = metadata,
                  .no_session_started = no_ss, .agent_mode = amode, .model = model,
                  .variant = variant, .before_turn_end = diff ? nz_diff_turn : NULL, .hook_ctx = diff },
        .check = check, .line_timeout_ms = (unsigned)line_timeout, .fast = (int)fast,
    };
    int rc = nz_pump_run(&cfg);
    nz_diff_free(diff);
    if (cfg.rejected == NZ_JQ_NOSTART) sa_warnx("cannot start jq %s to check the mapping program %s", jq, path);
    else if (cfg.rejected) sa_warnx("jq rejected the mapping program %s (status %d)", path, cfg.rejected);
    free(path);
    free(jq);
    free(composed);
    free(dflt_model);
    free(dflt_nsid);
    cJSON_Delete(metadata);
    return rc;
}
