/*
 * main.c — sa-serve: the sa HTTP + SSE server (sandbox-agent v0.1.11 API).
 *
 * One libevent loop: evhttp for requests, an evsignal for SIGCHLD (children
 * are reaped by pid, see children.c), SIGTERM/SIGINT for shutdown, and a
 * heartbeat timer for SSE streams, and a 250 ms timer that takes in what
 * other processes stored (ses_sync: a shell pipeline writing into the same
 * store; cheap while the store's data version stands still).  Start-up: options, fs root, the store
 * (every stored session is loaded), the state dir for control FIFOs, the
 * agent descriptions (--agents-dir, else sa_agent_dir's search; made
 * absolute, since the stages run in the session's directory), bind, then
 * one stdout line "listening on http://HOST:PORT".
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting, end every SSE stream, stop
 * every pipeline (store and normalizer first so a server stop never records
 * a session end, then sa-spawn; SIGKILL the group after the grace), wait for
 * them (bounded), exit 0.
 *
 * Exit status: 0 clean shutdown, 1 system error, 2 usage, 3 cannot bind or
 * listen, 4 database cannot be opened, 5 non-loopback address without
 * --token/--no-token, 6 the agents' sandbox is unavailable (--sandbox none
 * runs them unconfined).
 *
 * Ownership: main owns the srv and frees everything it holds before exit.
 */
#include "toolarge.h"
#include "serve.h"
#include "oc.h"
#include "sa_store.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The synopsis; with full (--help) also what each option does. */
static void usage(FILE *f, bool full)
{
    fprintf(f,
        "usage: sa-serve [--host ADDR] [--port N] [--token T | --no-token] [--db PATH]\n"
        "                [--cors-allow-origin O]... [--cors-allow-method M]... [--cors-allow-header H]...\n"
        "                [--cors-allow-credentials] [--fs-root DIR] [--max-body BYTES]\n"
        "                [--hitl-timeout SECONDS] [--log-level N] [--state-dir DIR]\n"
        "                [--agents-dir DIR] [--kill-grace-ms MS] [--token-file PATH] [--tokens FILE]\n"
        "                [--sandbox auto|bwrap|none] [--allowed-host NAME]... [--max-header-bytes N]\n"
        "                [--idle-timeout SECONDS] [--idle-park SECONDS] [--no-auto-install]\n"
        "       sa-serve --help | --version\n");
    if (!full) return;
    fprintf(f,
        "Serves sa sessions over HTTP + SSE (sandbox-agent v0.1.11 API) and the inspector,\n"
        "a web page for them, at http://HOST:PORT/ui/; see sa-serve(1).\n"
        "  --host ADDR        address to bind (default 127.0.0.1)\n"
        "  --port N           port (default 2468; 0 = any free port)\n"
        "  --token T          require this owner token (wiped from the command line; prefer\n"
        "                     --token-file PATH or $SA_TOKEN); --no-token: no auth\n"
        "  --tokens FILE      tokens with roles, lines ROLE NAME SHA256HEX (re-read on SIGHUP)\n"
        "  --sandbox MODE     how agents are confined: auto (default; bwrap), bwrap, none\n"
        "  --allowed-host H   also accept requests whose Host names H (repeatable)\n"
        "  --max-header-bytes N  request line + headers limit (default 16384; 431 past it)\n"
        "  --idle-timeout S   close a connection idle this long (default 4 heartbeats, >= 60)\n"
        "  --idle-park S      stop an agent idle this long; its session stays open and the next\n"
        "                     message resumes it (default 300; 0 = never)\n"
        "  --no-auto-install  creating a session of an agent that is not installed is 404\n"
        "                     agent_not_installed (default: it is installed first, as POST install)\n"
        "  --db PATH|URL      event store (default $SA_DB or ~/.local/state/sa/sa.db)\n"
        "  --fs-root DIR      root of the /v1/fs API and default agent cwd (default: cwd)\n"
        "  --max-body BYTES   largest request body (default 16777216)\n"
        "  --hitl-timeout S   pending permission/question timeout passed to sa-spawn (default 300)\n"
        "  --log-level N      0 errors, 1 warnings (default), 2 info, 3 debug\n"
        "  --state-dir DIR    control FIFOs (default $XDG_RUNTIME_DIR/sa-serve or beside the db)\n"
        "  --agents-dir DIR   agent descriptions NAME.json (+ NAME.jq), also given to sa-spawn and\n"
        "                     sa-normalize (default $SA_AGENTS_DIR, else ../share/sa/agents)\n"
        "  --kill-grace-ms MS SIGTERM to SIGKILL when stopping a session (default 2000; sa-spawn\n"
        "                     gets --grace-ms of half of it, at least 100)\n"
        "  --store-timeout MS PostgreSQL: longest wait for the server per query (default 2000;\n"
        "                     0 = no limit); then 503 and a reconnect without waiting\n");
}

enum { O_HOST = 256, O_PORT, O_TOKEN, O_NOTOKEN, O_DB, O_CORS_O, O_CORS_M, O_CORS_H, O_CORS_C, O_FSROOT,
       O_MAXBODY, O_HITL, O_LOG, O_STATE, O_HB, O_CLIMIT, O_GRACE, O_ADIR, O_HELP, O_VERSION,
       O_TOKFILE, O_TOKENS, O_SBX, O_AHOST, O_MAXHDR, O_IDLE, O_STIMEOUT, O_PARK, O_NOAUTO };

static bool is_loopback(const char *h)
{
    if (!strcmp(h, "localhost") || !strcmp(h, "::1")) return true;
    struct in_addr a;
    return inet_pton(AF_INET, h, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static unsigned u_opt(const char *name, const char *v, uint64_t max)
{
    uint64_t x;
    if (!sa_parse_u64(v, max, &x)) {
        sa_warnx("%s: not a number in range: %s", name, v);
        usage(stderr, false);
        exit(2);
    }
    return (unsigned)x;
}

static void add_list(const char **v, int *n, const char *s)
{
    if (*n >= SRV_MAX_LIST) sa_diex(2, "too many CORS values (max %d)", SRV_MAX_LIST);
    v[(*n)++] = s;
}

/* Remove FIFOs / prime files left by sa-serve processes that no longer run. */
static void clean_state_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid;
        if (sscanf(e->d_name, "ctl-%d-", &pid) != 1 && sscanf(e->d_name, "prime-%d-", &pid) != 1) continue;
        if (pid <= 0 || (kill(pid, 0) == 0 || errno == EPERM)) continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p) unlink(p);
    }
    closedir(d);
}

/* A PostgreSQL URL has no directory to put the state beside: use
 * $XDG_STATE_HOME/sa (else ~/.local/state/sa), creating its parents. */
static void url_state_dir(char *p, size_t n)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(p, n, "%s/sa/sa-serve.state", xdg);
    else if (home && *home) snprintf(p, n, "%s/.local/state/sa/sa-serve.state", home);
    else { snprintf(p, n, "sa-serve.state"); return; }
    for (char *q = strchr(p + 1, '/'); q; q = strchr(q + 1, '/')) {
        *q = '\0';
        (void)mkdir(p, 0700);       /* errors show at the final mkdir */
        *q = '/';
    }
}

/* sa-serve's environment (SA_DB already removed from it) plus SA_DB=<url>,
 * for the stages that open the store (owned by srv: the array and the SA_DB
 * string). */
static char **store_env(const char *url)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **e = calloc(n + 2, sizeof *e);
    size_t len = strlen(url) + 7;
    char *db = malloc(len);
    if (!e || !db) sa_diex(1, "out of memory");
    snprintf(db, len, "SA_DB=%s", url);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) e[k++] = environ[i];
    e[k++] = db;
    e[k] = NULL;
    return e;
}

/* One sa-serve per SQLite database: two would both restart and feed the
 * same sessions.  An flock on "<db>.serve-lock", held (close-on-exec) for
 * the life of the process, so it goes away with us, even on kill -9. */
static int lock_db(const char *db)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s.serve-lock", db) >= (int)sizeof path) {
        sa_warnx("database path too long: %s", db);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) { sa_warn("cannot open %s", path); return -1; }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) sa_warnx("database %s is already served by another sa-serve", db);
        else sa_warn("cannot lock %s", path);
        close(fd);
        return -1;
    }
    return fd;                 /* kept open until exit */
}

static char *default_state_dir(const char *db)
{
    char p[PATH_MAX];
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (rt && *rt) snprintf(p, sizeof p, "%s/sa-serve", rt);
    else if (sa_store_is_url(db)) url_state_dir(p, sizeof p);
    else {
        const char *slash = strrchr(db, '/');
        if (slash) snprintf(p, sizeof p, "%.*s/sa-serve.state", (int)(slash - db), db);
        else snprintf(p, sizeof p, "sa-serve.state");
    }
    return strdup(p);
}

/* The canonical paths the fs API must never serve: the state directory and,
 * for an SQLite store, the database file with its -wal, -shm, -journal and
 * .serve-lock siblings (as named beside the canonical database path, so
 * files not created yet are covered too).  NULL-terminated, malloc'd. */
static char **protected_paths(const srv_config *c)
{
    char **v = calloc(8, sizeof *v);
    if (!v) sa_diex(1, "out of memory");
    size_t n = 0;
    char rp[PATH_MAX];
    if (realpath(c->state_dir, rp)) v[n++] = strdup(rp);
    if (!sa_store_is_url(c->db_path) && realpath(c->db_path, rp)) {
        static const char *const sfx[] = { "", "-wal", "-shm", "-journal", ".serve-lock" };
        for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
            size_t len = strlen(rp) + strlen(sfx[i]) + 1;
            if ((v[n] = malloc(len))) snprintf(v[n++], len, "%s%s", rp, sfx[i]);
        }
    }
    for (size_t i = 0; i < n; i++) if (!v[i]) sa_diex(1, "out of memory");
    return v;
}

static char *find_stage(const char *name)
{
    char *p = sa_find_exec(name, true);
    if (!p) {
        sa_warnx("cannot find %s beside sa-serve or on PATH; sessions will fail", name);
        p = strdup(name);
    }
    return p;
}

/* ---- shutdown ---- */
static struct event *stop_timer;
static int64_t stop_deadline;

static void on_stop_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    srv *s = arg;
    bool busy = false;
    for (srv_session *ss = s->sessions; ss; ss = ss->next) busy |= ss->pipe != NULL;
    if (busy && sa_time_mono_us() < stop_deadline) return;
    struct timeval tv = {0, 100000};            /* let the last bytes go out */
    event_base_loopexit(s->base, &tv);
    event_del(stop_timer);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    srv *s = arg;
    if (sig == SIGCHLD) { ch_reap(); return; }
    if (sig == SIGHUP) { sec_tokens_reload(s); return; }
    if (s->stopping) return;
    sa_info("signal %d: shutting down", (int)sig);
    s->stopping = true;
    if (s->heartbeat) event_del(s->heartbeat);
    if (s->sync) event_del(s->sync);
    ses_warm_stop(s);
    for (srv_session *ss = s->sessions; ss; ss = ss->next) {
        sse_close_all(ss, true);
        pl_shutdown(ss);
    }
    ag_shutdown(s);
    oc_shutdown(true);
    stop_deadline = sa_time_mono_us() + (int64_t)(s->cfg.kill_grace_ms + 1500) * 1000;
    stop_timer = event_new(s->base, -1, EV_PERSIST, on_stop_tick, s);
    struct timeval tv = {0, 20000};
    event_add(stop_timer, &tv);
}

/* Every SYNC_MS: what other processes stored (ses_sync). */
#define SYNC_MS 250
static void on_sync(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    ses_sync(arg);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    sse_heartbeat(arg);
}

/* A numeric address is bound here, not by libevent's resolver (which asks
 * the kernel for the host's addresses over netlink first): a listening
 * non-blocking socket, -1 when HOST is a name (libevent resolves it), -2 on
 * a failure (errno says why). */
static int listen_numeric(const char *host, unsigned port)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        len = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        len = sizeof *a6;
    } else return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) return -2;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   /* as libevent: accepted sockets inherit */
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -2;
    }
    return fd;
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    static srv S;
    srv *s = &S;
    srv_config *c = &s->cfg;
    c->host = "127.0.0.1";
    c->port = 2468;
    c->max_body = 16u << 20;
    c->hitl_timeout = 300;
    c->heartbeat_ms = 15000;
    c->client_limit = 256u << 10;
    c->kill_grace_ms = 2000;
    c->store_timeout_ms = 2000;
    c->idle_park = 300;
    const char *db = NULL, *fsroot = NULL, *state = NULL, *agents_dir = NULL, *token_file = NULL;
    char *token_arg = NULL;
    bool token_given = false;
    c->max_headers = 16384;
    c->idle_timeout = 0;                       /* 0: from the heartbeat (below) */
    static const struct option opts[] = {
        {"host", 1, 0, O_HOST}, {"port", 1, 0, O_PORT}, {"token", 1, 0, O_TOKEN},
        {"no-token", 0, 0, O_NOTOKEN}, {"db", 1, 0, O_DB}, {"cors-allow-origin", 1, 0, O_CORS_O},
        {"cors-allow-method", 1, 0, O_CORS_M}, {"cors-allow-header", 1, 0, O_CORS_H},
        {"cors-allow-credentials", 0, 0, O_CORS_C}, {"fs-root", 1, 0, O_FSROOT},
        {"max-body", 1, 0, O_MAXBODY}, {"hitl-timeout", 1, 0, O_HITL}, {"log-level", 1, 0, O_LOG},
        {"state-dir", 1, 0, O_STATE}, {"heartbeat-ms", 1, 0, O_HB}, {"client-buffer", 1, 0, O_CLIMIT},
        {"kill-grace-ms", 1, 0, O_GRACE}, {"agents-dir", 1, 0, O_ADIR},
        {"token-file", 1, 0, O_TOKFILE}, {"tokens", 1, 0, O_TOKENS}, {"sandbox", 1, 0, O_SBX},
        {"allowed-host", 1, 0, O_AHOST}, {"max-header-bytes", 1, 0, O_MAXHDR}, {"idle-timeout", 1, 0, O_IDLE},
        {"store-timeout", 1, 0, O_STIMEOUT},
        {"idle-park", 1, 0, O_PARK}, {"no-auto-install", 0, 0, O_NOAUTO},
        {"help", 0, 0, O_HELP}, {"version", 0, 0, O_VERSION}, {0, 0, 0, 0}};
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case O_HOST: c->host = optarg; break;
        case O_PORT: c->port = u_opt("--port", optarg, 65535); break;
        case O_TOKEN: token_arg = optarg; token_given = true; break;
        case O_TOKFILE: token_file = optarg; token_given = true; break;
        case O_TOKENS: c->tokens_file = optarg; break;
        case O_SBX: c->sandbox_want = optarg; break;
        case O_AHOST: add_list(c->allowed_hosts, &c->n_allowed_hosts, optarg); break;
        case O_MAXHDR: c->max_headers = u_opt("--max-header-bytes", optarg, 1u << 24); break;
        case O_IDLE: c->idle_timeout = u_opt("--idle-timeout", optarg, 86400); break;
        case O_STIMEOUT: c->store_timeout_ms = u_opt("--store-timeout", optarg, 3600000); break;
        case O_PARK: {
            uint64_t v;
            if (!sa_parse_u64(optarg, 31536000, &v)) {
                sa_warnx("--idle-park: not a number of seconds (0 to 31536000): %s", optarg);
                usage(stderr, false);
                return 2;
            }
            c->idle_park = (unsigned)v;
            break;
        }
        case O_NOTOKEN: c->no_token = true; break;
        case O_NOAUTO: c->no_auto_install = true; break;
        case O_DB: db = optarg; break;
        case O_CORS_O: add_list(c->cors_origins, &c->n_origins, optarg); break;
        case O_CORS_M: add_list(c->cors_methods, &c->n_methods, optarg); break;
        case O_CORS_H: add_list(c->cors_headers, &c->n_headers, optarg); break;
        case O_CORS_C: c->cors_credentials = true; break;
        case O_FSROOT: fsroot = optarg; break;
        case O_MAXBODY: c->max_body = u_opt("--max-body", optarg, 1u << 30); break;
        case O_HITL: c->hitl_timeout = u_opt("--hitl-timeout", optarg, 86400 * 365); break;
        case O_LOG: sa_log_set_level((int)u_opt("--log-level", optarg, 3)); break;
        case O_STATE: state = optarg; break;
        case O_HB: c->heartbeat_ms = u_opt("--heartbeat-ms", optarg, 3600000); break;
        case O_CLIMIT: c->client_limit = u_opt("--client-buffer", optarg, 1u << 30); break;
        case O_GRACE: c->kill_grace_ms = u_opt("--kill-grace-ms", optarg, 600000); break;
        case O_ADIR: agents_dir = optarg; break;
        case O_HELP: usage(stdout, true); return 0;
        case O_VERSION: printf("sa-serve %s\n", SA_VERSION); return 0;
        default:
            sa_warnx("unknown or incomplete option: %s", argv[optind - 1]);
            usage(stderr, false);
            return 2;
        }
    }
    if (optind < argc) { sa_warnx("unexpected argument: %s", argv[optind]); usage(stderr, false); return 2; }
    if (token_given && c->no_token) { sa_warnx("--token/--token-file and --no-token exclude each other"); return 2; }
    if (token_arg && token_file) { sa_warnx("--token and --token-file exclude each other"); return 2; }
    if (c->no_token && c->tokens_file) { sa_warnx("--tokens and --no-token exclude each other"); return 2; }
    const char *hb = getenv("SA_SERVE_HEARTBEAT_MS");
    if (hb) c->heartbeat_ms = u_opt("SA_SERVE_HEARTBEAT_MS", hb, 3600000);
    if (c->heartbeat_ms < 10) c->heartbeat_ms = 10;
    /* The single token: --token (wiped from our command line at once),
     * --token-file, else $SA_TOKEN.  No child (least of all an agent) may
     * see it: the initial environment block is overwritten too. */
    char tok[4097] = "";
    if (token_arg) {
        snprintf(tok, sizeof tok, "%s", token_arg);
        sec_wipe_arg(token_arg);
        sa_warnx("warning: a --token on the command line can be seen by other local users; "
                 "prefer --token-file PATH or $SA_TOKEN");
    } else if (token_file) {
        if (sec_read_token_file(token_file, tok, sizeof tok) < 0) {
            sa_warn("cannot read --token-file %s", token_file);
            return 2;
        }
    } else if (!c->no_token) {
        const char *env = getenv("SA_TOKEN");
        if (env && *env) snprintf(tok, sizeof tok, "%s", env);
    }
    sec_scrub_environ();
    {
        char terr[1400];
        if (sec_tokens_init(s, *tok ? tok : NULL, terr, sizeof terr) < 0) { sa_warnx("--tokens %s", terr); return 2; }
        volatile char *w = tok;
        for (size_t i = 0; i < sizeof tok; i++) w[i] = 0;
    }
    if (!is_loopback(c->host) && !s->auth && !c->no_token) {
        sa_warnx("refusing to listen on %s without --token, --token-file, --tokens or --no-token", c->host);
        return 5;
    }
    signal(SIGPIPE, SIG_IGN);

    char rp[PATH_MAX];
    if (!realpath(fsroot ? fsroot : ".", rp)) sa_die(2, "--fs-root %s", fsroot ? fsroot : ".");
    c->fs_root = strdup(rp);
    c->db_path = db ? strdup(db) : sa_default_db();
    if (!c->db_path) sa_diex(4, "cannot determine the database path");
    unsetenv("SA_DB");
    if (sa_store_is_url(c->db_path)) s->store_env = store_env(c->db_path);
    if (sst_open(s) < 0) { free(c->db_path); free(c->fs_root); return 4; }
    if (!s->store_env && lock_db(c->db_path) < 0) { free(c->db_path); free(c->fs_root); return 4; }
    c->state_dir = state ? strdup(state) : default_state_dir(c->db_path);
    if (mkdir(c->state_dir, 0700) < 0 && errno != EEXIST) sa_die(1, "cannot create state dir %s", c->state_dir);
    {   /* absolute: the stages run in the session's directory and open files in it */
        char *abs = realpath(c->state_dir, NULL);
        if (abs) { free(c->state_dir); c->state_dir = abs; }
    }
    clean_state_dir(c->state_dir);
    s->protect = protected_paths(c);
    c->agents_dir = sa_agent_dir(agents_dir);
    if (c->agents_dir && realpath(c->agents_dir, rp)) { free(c->agents_dir); c->agents_dir = strdup(rp); }
    else if (agents_dir) sa_die(2, "--agents-dir %s", agents_dir);
    ag_load(s);
    s->exe_spawn = find_stage("sa-spawn");
    s->exe_normalize = find_stage("sa-normalize");
    s->exe_store = find_stage("sa-store");
    s->exe_replay = find_stage("sa-replay");
    {
        char serr[1000];
        if (sec_sandbox_init(s, serr, sizeof serr) < 0) { sa_warnx("%s", serr); return 6; }
        if (!strcmp(s->sandbox, "none")) sa_warnx("warning: --sandbox none: agents run unconfined, with sa-serve's rights");
        else sa_notice("agents run confined: sandbox %s", s->sandbox);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    s->base = event_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    if (!s->http) sa_diex(1, "cannot create the event loop");
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_HEAD |
                                        EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(s->http, (ev_ssize_t)c->max_body);
    tl_install(s->http, c->max_body);    /* its 413 as problem details */
    /* libevent's own cut (an HTML 413) well above ours (a 431 problem, access.c) */
    evhttp_set_max_headers_size(s->http, (ev_ssize_t)c->max_headers * 4);
    unsigned idle = c->heartbeat_ms * 4 / 1000;
    if (!c->idle_timeout) c->idle_timeout = idle < 60 ? 60 : idle;
    if (c->idle_timeout * 1000 <= c->heartbeat_ms)   /* an SSE stream must outlive its heartbeat */
        sa_warnx("warning: --idle-timeout %u s is not above the SSE heartbeat (%u ms): quiet streams will close",
                 c->idle_timeout, c->heartbeat_ms);
    evhttp_set_timeout(s->http, (int)c->idle_timeout);
    evhttp_set_gencb(s->http, rt_handle, s);
    int lfd = listen_numeric(c->host, c->port);
    struct evhttp_bound_socket *bs = lfd >= 0 ? evhttp_accept_socket_with_handle(s->http, lfd)
                                   : lfd == -1 ? evhttp_bind_socket_with_handle(s->http, c->host, (ev_uint16_t)c->port)
                                   : NULL;
    if (!bs) {
        sa_warn("cannot listen on %s:%u", c->host, c->port);
        return 3;
    }
    struct sockaddr_storage sa;
    socklen_t slen = sizeof sa;
    unsigned port = c->port;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &slen) == 0)
        port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                              : ((struct sockaddr_in *)&sa)->sin_port);
    if (ses_load_all(s) < 0) return 4;
    ses_warm_start(s);

    s->sigchld = evsignal_new(s->base, SIGCHLD, on_signal, s);
    s->sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
    s->sigint = evsignal_new(s->base, SIGINT, on_signal, s);
    event_add(s->sigchld, NULL);
    event_add(s->sigterm, NULL);
    event_add(s->sigint, NULL);
    s->sighup = evsignal_new(s->base, SIGHUP, on_signal, s);
    event_add(s->sighup, NULL);
    s->sync = event_new(s->base, -1, EV_PERSIST, on_sync, s);
    struct timeval sytv = {0, SYNC_MS * 1000};
    event_add(s->sync, &sytv);
    s->heartbeat = event_new(s->base, -1, EV_PERSIST, on_heartbeat, s);
    struct timeval hbtv = {c->heartbeat_ms / 1000, (c->heartbeat_ms % 1000) * 1000};
    event_add(s->heartbeat, &hbtv);

    bool v6 = strchr(c->host, ':') != NULL;
    printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", c->host, v6 ? "]" : "", port);
    fflush(stdout);
    char shown[512];      /* a URL's password is never printed */
    sa_info("%u sessions loaded from %s", s->n_sessions, sa_store_display(c->db_path, shown, sizeof shown));

    int rc = event_base_dispatch(s->base) < 0 ? 1 : 0;

    for (srv_session *ss = s->sessions; ss; ss = ss->next) {
        sse_close_all(ss, false);
        if (pl_pgid(ss) > 0) killpg(pl_pgid(ss), SIGKILL);
    }
    oc_free();
    evhttp_free(s->http);
    ses_free_all(s);
    ag_free(s);
    ch_free();
    if (stop_timer) event_free(stop_timer);
    event_free(s->sigchld); event_free(s->sigterm); event_free(s->sigint); event_free(s->heartbeat);
    event_free(s->sighup);
    sec_free(s);
    if (s->sync) event_free(s->sync);
    ses_warm_stop(s);
    event_base_free(s->base);
    sst_close(s);
    free(s->exe_spawn); free(s->exe_normalize); free(s->exe_store); free(s->exe_replay);
    if (s->store_env) {
        for (char **e = s->store_env; *e; e++)
            if (!strncmp(*e, "SA_DB=", 6)) free(*e);
        free(s->store_env);
    }
    for (char **p = s->protect; p && *p; p++) free(*p);
    free(s->protect);
    free(c->db_path); free(c->fs_root); free(c->state_dir); free(c->agents_dir);
    return rc;
}
