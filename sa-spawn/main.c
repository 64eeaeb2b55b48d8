/*
 * main.c — sa-spawn: run one coding agent and speak the universal input
 * commands to it (stage 1 of the sa pipeline; see sa-spawn(1)).  This file
 * parses options, reads --prime, checks --cwd and hands over to
 * sp_session_run (session.c).
 */
#include "sp.h"
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIME_MAX (16u << 20)

static const char *agents_dir;

static void usage(FILE *f)
{
    char *dir = sa_agent_dir(agents_dir);
    char *names = sa_agent_names(dir);
    fprintf(f,
        "usage: sa-spawn --agent NAME [options] [< commands]\n"
        "Run a coding agent, feed it universal input commands (JSON lines), and write its\n"
        "native output plus sa-spawn's own {\"sa\":...} lines to stdout.  See sa-spawn(1).\n"
        "  --agent NAME            the agent (required): %s\n"
        "  --session ID            sa session id (default: default)\n"
        "  --cwd DIR               working directory of the agent\n"
        "  --model M               model for the agent\n"
        "  --mode MODE             agent mode, one of the agent's (default build)\n"
        "  --permission-mode M     default|plan|bypass|acceptEdits (default default); an agent\n"
        "                          that does not honour M runs its alias or refuses (exit 2)\n"
        "  --resume ID             native session id to resume\n"
        "  --resumed-at MS         unix ms of the message that woke a parked session: a resumed\n"
        "                          line with the time it took precedes the agent's first line\n"
        "  --control PATH          read commands from PATH (FIFO or file) instead of stdin\n"
        "  --agent-bin PATH        the agent executable\n"
        "  --hitl-timeout SECONDS  reject unanswered requests after this long (default 300, 0 = never)\n"
        "  --prime FILE            text put before the first message (a separate text block)\n"
        "  --env K=V               extra environment for the agent (repeatable)\n"
        "  --grace-ms MS           SIGTERM to SIGKILL grace when stopping the agent (default 2000)\n"
        "  --agents-dir DIR        agent descriptions (NAME.json; default $SA_AGENTS_DIR, else\n"
        "                          share/sa/agents beside the executable)\n"
        "  --mcp FILE              the session's MCP servers (sa's form, sa-spawn(1) MCP)\n"
        "  --skills DIR            the session's skills: DIR/skills/NAME/SKILL.md (sa-spawn(1) SKILLS)\n"
        "  --sandbox auto|bwrap|none  confine the agent (default $SA_SANDBOX, else auto: bwrap, an error when the\n"
        "                          kernel refuses it); none runs it unconfined (sa-spawn(1) SECURITY)\n"
        "  --sandbox-hide PATH     also hide PATH from the agent (repeatable)\n"
        "  --sandbox-write DIR     also let the agent write DIR (repeatable)\n"
        "  --sandbox-check         print what --sandbox runs (bwrap or none) and exit (3: nothing)\n"
        "  --log-level N           0 quiet .. 3 debug (default 1); >= 2 echoes agent stderr\n"
        "  -v, --verbose           same as --log-level 2\n"
        "  --help, --version\n", names ? names : "(none)");
    free(names);
    free(dir);
}

static char *read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    sp_buf b = { 0 };
    char tmp[65536];
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { int e = errno; close(fd); sp_buf_free(&b); errno = e; return NULL; }
        if (r == 0) break;
        if (b.len + (size_t)r > PRIME_MAX) { close(fd); sp_buf_free(&b); errno = EFBIG; return NULL; }
        sp_buf_add(&b, tmp, (size_t)r);
    }
    close(fd);
    sp_buf_add(&b, "", 1);
    return b.p;
}

static bool one_of(const char *v, const char *const *set)
{
    for (; *set; set++) if (strcmp(v, *set) == 0) return true;
    return false;
}

/* Inside the sandbox: bwrap runs "sa-spawn --sandbox-exec AGENT ARGS...",
 * which gives the agent default signal dispositions again (bwrap itself
 * ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT, so a signal to the group
 * reaches the agent and not bwrap, whose death would SIGKILL it) and execs
 * it. */
static int sandbox_exec(char **argv)
{
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
    execv(argv[0], argv);
    sa_warn("cannot execute %s", argv[0]);
    return 127;
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    if (argc >= 3 && !strcmp(argv[1], "--sandbox-exec")) return sandbox_exec(argv + 2);
    enum { O_AGENT = 256, O_SESSION, O_CWD, O_MODEL, O_MODE, O_PERM, O_RESUME, O_CONTROL,
           O_BIN, O_HITL, O_PRIME, O_ENV, O_GRACE, O_LOG, O_HELP, O_VERSION, O_ADIR, O_MCP, O_SKILLS,
           O_SBX, O_HIDE, O_SBXCHECK, O_SBXWRITE, O_RESUMED };
    static const struct option lo[] = {
        { "agent", required_argument, NULL, O_AGENT },
        { "session", required_argument, NULL, O_SESSION },
        { "cwd", required_argument, NULL, O_CWD },
        { "model", required_argument, NULL, O_MODEL },
        { "mode", required_argument, NULL, O_MODE },
        { "permission-mode", required_argument, NULL, O_PERM },
        { "resume", required_argument, NULL, O_RESUME },
        { "resumed-at", required_argument, NULL, O_RESUMED },
        { "control", required_argument, NULL, O_CONTROL },
        { "agent-bin", required_argument, NULL, O_BIN },
        { "hitl-timeout", required_argument, NULL, O_HITL },
        { "prime", required_argument, NULL, O_PRIME },
        { "env", required_argument, NULL, O_ENV },
        { "grace-ms", required_argument, NULL, O_GRACE },
        { "agents-dir", required_argument, NULL, O_ADIR },
        { "mcp", required_argument, NULL, O_MCP },
        { "skills", required_argument, NULL, O_SKILLS },
        { "sandbox", required_argument, NULL, O_SBX },
        { "sandbox-hide", required_argument, NULL, O_HIDE },
        { "sandbox-check", no_argument, NULL, O_SBXCHECK },
        { "sandbox-write", required_argument, NULL, O_SBXWRITE },
        { "log-level", required_argument, NULL, O_LOG },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, O_HELP },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 },
    };
    static const char *const perms[] = { "default", "plan", "bypass", "acceptEdits", NULL };
    sp_opts o = { .session = "default", .mode = "build", .perm_mode = "default",
                  .hitl_timeout = 300, .grace_ms = 2000 };
    const char *prime_path = NULL, *mcp_path = NULL;
    const char **env = calloc((size_t)argc + 1, sizeof *env);
    if (!env) sa_diex(SP_EXIT_SYS, "out of memory");
    o.env = env;
    const char **hide = calloc((size_t)argc + 1, sizeof *hide);
    if (!hide) sa_diex(SP_EXIT_SYS, "out of memory");
    o.hide = hide;
    const char **wr = calloc((size_t)argc + 1, sizeof *wr);
    if (!wr) sa_diex(SP_EXIT_SYS, "out of memory");
    o.write = wr;
    int sbx_want = SP_SBX_AUTO;
    const char *sbx_env = getenv("SA_SANDBOX");     /* the default of --sandbox */
    if (sbx_env && *sbx_env && (sbx_want = sp_sbx_parse(sbx_env)) < 0) {
        sa_warnx("$SA_SANDBOX must be auto, bwrap or none, not %s", sbx_env);
        free(env); free(hide); free(wr);
        return SP_EXIT_USAGE;
    }
    bool sbx_check = false;
    uint64_t v;
    int c;
#define USAGE(...) do { sa_warnx(__VA_ARGS__); usage(stderr); free(env); free(hide); free(wr); return SP_EXIT_USAGE; } while (0)
    opterr = 0;                                   /* our own "prog: ..." diagnostics */
    while ((c = getopt_long(argc, argv, ":v", lo, NULL)) != -1) {
        switch (c) {
        case O_AGENT: o.agent = optarg; break;
        case O_SESSION: o.session = optarg; break;
        case O_CWD: o.cwd = optarg; break;
        case O_MODEL: o.model = optarg; break;
        case O_MODE: o.mode = optarg; break;
        case O_PERM:
            if (!one_of(optarg, perms)) USAGE("--permission-mode must be default, plan, bypass or acceptEdits");
            o.perm_mode = optarg; break;
        case O_RESUME: o.resume = optarg; break;
        case O_RESUMED:
            if (!sa_parse_u64(optarg, (uint64_t)1 << 50, &v) || v == 0)
                USAGE("--resumed-at: not a positive number of unix milliseconds: %s", optarg);
            o.resumed_at = (int64_t)v; break;
        case O_CONTROL: o.control = optarg; break;
        case O_BIN: o.agent_bin = optarg; break;
        case O_HITL:
            if (!sa_parse_u64(optarg, 31536000, &o.hitl_timeout)) USAGE("--hitl-timeout: not a number of seconds: %s", optarg);
            break;
        case O_PRIME: prime_path = optarg; break;
        case O_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=') USAGE("--env wants K=V, got: %s", optarg);
            env[o.n_env++] = optarg; break;
        case O_GRACE:
            if (!sa_parse_u64(optarg, 600000, &v)) USAGE("--grace-ms: not a number: %s", optarg);
            o.grace_ms = (int)v; break;
        case O_ADIR: agents_dir = optarg; break;
        case O_MCP: mcp_path = optarg; break;
        case O_SKILLS: o.skills = optarg; break;
        case O_SBX:
            if ((sbx_want = sp_sbx_parse(optarg)) < 0) USAGE("--sandbox must be auto, bwrap or none");
            break;
        case O_HIDE:
            if (optarg[0] != '/') USAGE("--sandbox-hide wants an absolute path, got: %s", optarg);
            if (o.n_hide >= SP_SBX_HIDE_MAX) USAGE("--sandbox-hide: at most %d paths", SP_SBX_HIDE_MAX);
            hide[o.n_hide++] = optarg; break;
        case O_SBXCHECK: sbx_check = true; break;
        case O_SBXWRITE:
            if (optarg[0] != '/') USAGE("--sandbox-write wants an absolute path, got: %s", optarg);
            if (o.n_write >= SP_SBX_HIDE_MAX) USAGE("--sandbox-write: at most %d directories", SP_SBX_HIDE_MAX);
            wr[o.n_write++] = optarg; break;
        case O_LOG:
            if (!sa_parse_u64(optarg, 3, &v)) USAGE("--log-level must be 0..3");
            sa_log_set_level((int)v); break;
        case 'v': sa_log_set_level(2); break;
        case O_HELP: usage(stdout); free(env); free(hide); free(wr); return 0;
        case O_VERSION: printf("sa-spawn %s\n", SA_VERSION); free(env); free(hide); free(wr); return 0;
        case ':': USAGE("option %s needs an argument", argv[optind - 1]);
        default: USAGE("unknown option: %s", argv[optind - 1]);
        }
    }
    if (optind < argc) USAGE("unexpected argument: %s", argv[optind]);
    if (sbx_check) {                 /* what --sandbox would run, on stdout */
        char serr[1000], *bw = NULL;
        int k = sp_sbx_resolve(sbx_want, true, &bw, serr, sizeof serr);
        free(bw);
        free(env); free(hide); free(wr);
        if (k < 0) { sa_warnx("%s", serr); return SP_EXIT_SPAWN; }
        printf("%s\n", sp_sbx_name(k));
        return 0;
    }
    char *dir = sa_agent_dir(agents_dir);
    sa_agent_desc desc;
    char derr[1024];
    if (!o.agent || sa_agent_load(dir, o.agent, &desc, derr, sizeof derr) < 0) {
        char *names = sa_agent_names(dir);
        if (!o.agent) sa_warnx("--agent is required (%s)", names ? names : "(none)");
        else sa_warnx("unknown agent: %s (known: %s): %s", o.agent, names ? names : "(none)", derr);
        free(names);
        free(dir);
        usage(stderr);
        free(env); free(hide); free(wr);
        return SP_EXIT_USAGE;
    }
    o.desc = &desc;
    char *ext = NULL;
    const char *ext_name = sa_agent_str(&desc, "extension");
    if (ext_name) {
        size_t n = strlen(dir) + strlen(ext_name) + 2;
        if (!(ext = malloc(n))) sa_diex(SP_EXIT_SYS, "out of memory");
        snprintf(ext, n, "%s/%s", dir, ext_name);
        char *canon = realpath(ext, NULL);     /* a path a person can read in argv */
        if (canon) { free(ext); ext = canon; }
        o.extension = ext;
    }
    o.agents_dir = dir;
#undef USAGE
#define USAGE(...) do { sa_warnx(__VA_ARGS__); usage(stderr); free(env); free(hide); free(wr); free(ext); free(dir); sa_agent_free(&desc); return SP_EXIT_USAGE; } while (0)
    if (!sp_agent_find(desc.protocol))
        USAGE("agent %s: sa-spawn has no \"%s\" protocol module (it has: %s)", o.agent, desc.protocol,
              sp_agent_protocols());
    if (!sa_agent_has_mode(&desc, o.mode)) {
        char m[256];
        sa_agent_join(desc.agent_modes, "id", m, sizeof m);
        USAGE("--mode %s: agent %s has modes %s", o.mode, o.agent, m);
    }
    const char *pm = sa_agent_perm_mode(&desc, o.perm_mode);
    if (!pm) {
        char m[256];
        sa_agent_join(desc.perm_modes, NULL, m, sizeof m);
        USAGE("--permission-mode %s: agent %s honours %s", o.perm_mode, o.agent, m);
    }
    o.perm_mode = pm;
    if (!*o.session) USAGE("--session must not be empty");
    if (mcp_path) {
        char merr[1200];
        if (sp_mcp_load(&o, mcp_path, merr, sizeof merr) < 0) USAGE("%s", merr);
    }
    if (o.skills) {
        char sk[4200];
        struct stat sst;
        snprintf(sk, sizeof sk, "%s/skills", o.skills);
        if (stat(sk, &sst) < 0 || !S_ISDIR(sst.st_mode)) USAGE("--skills %s: no skills/ directory in it", o.skills);
    }
    char err[1200] = "";
    char *bwrap = NULL;
    int sbx = sp_sbx_resolve(sbx_want, false, &bwrap, err, sizeof err);
    if (sbx >= 0) {
        o.sandbox = sbx;
        o.bwrap = bwrap;
        sa_info("sandbox: %s%s", sp_sbx_name(sbx), sbx == SP_SBX_NONE ? " (the agent runs unconfined)" : "");
    }
    struct stat st;
    if (!*err && o.cwd && (stat(o.cwd, &st) < 0 || !S_ISDIR(st.st_mode))) {
        int e = errno;
        snprintf(err, sizeof err, "cannot use %s as working directory: %s", o.cwd,
                 S_ISDIR(st.st_mode) || e ? strerror(e) : "not a directory");
    } else if (!*err && ext && access(ext, R_OK) < 0) {
        /* the agent's own half of sa (pi's permission gate): never run without it */
        snprintf(err, sizeof err, "cannot read %s's extension %s: %s", o.agent, ext, strerror(errno));
    }
    char *cwd_abs = NULL;
    if (!*err && o.cwd && (cwd_abs = realpath(o.cwd, NULL))) o.cwd = cwd_abs;   /* agents get it absolute */
    if (*err) {
        cJSON *j = sp_line_new("spawn_failed");
        cJSON_AddStringToObject(j, "agent", o.agent);
        cJSON_AddStringToObject(j, "error", err);
        sp_buf b = { 0 };
        sp_emit(&b, j);
        (void)sa_write_all(STDOUT_FILENO, b.p, b.len);
        sp_buf_free(&b);
        sa_warnx("%s", err);
        sp_mcp_free();
        free(env); free(hide); free(wr);
        free(ext);
        free(dir);
        free(bwrap);
        sa_agent_free(&desc);
        return SP_EXIT_SPAWN;
    }
    if (prime_path && !(o.prime = read_file(prime_path))) {
        sa_warn("cannot read --prime file %s", prime_path);
        sp_mcp_free();
        free(cwd_abs);
        free(env); free(hide); free(wr);
        free(ext);
        free(dir);
        free(bwrap);
        sa_agent_free(&desc);
        return SP_EXIT_SYS;
    }
    int code = sp_session_run(&o);
    sp_mcp_free();
    free(cwd_abs);
    free(o.prime);
    free(env); free(hide); free(wr);
    free(ext);
    free(dir);
    free(bwrap);
    sa_agent_free(&desc);
    return code;
}
