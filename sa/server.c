/*
 * server.c — `sa server` and `sa daemon start|stop|status`.
 *
 * `sa server` turns v0.1.11's server flags into sa-serve's and execs it
 * (found beside sa, else on PATH), so sandbox-agent's TypeScript SDK can
 * spawn `sa server --host H --port P --token T` as it spawns its own
 * binary.  The token goes to sa-serve in $SA_TOKEN, not on its command line
 * (where every local user could read it in /proc).  Arguments after `--`
 * are passed to sa-serve as they are (--db, --fs-root, ...).
 *
 * `sa daemon start` runs the same sa-serve in the background: a new session
 * (setsid), stdin from /dev/null, stdout and stderr appended to the log
 * file, its pid in the pid file, both in the state directory
 * ($XDG_STATE_HOME/sa/daemon, else ~/.local/state/sa/daemon) and named by
 * host and port (sa-serve-HOST-PORT.pid / .log), so daemons on different
 * ports coexist.  start waits (at most 10 s) until /v1/health answers.
 * stop sends SIGTERM, waits up to 5 s, then SIGKILL; it signals only a pid
 * whose /proc/PID/cmdline is an sa-serve.
 *
 * Ownership: argv vectors and paths are local; nothing outlives a call.
 */
#include "cl.h"
#include "sa.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARGV_MAX 256

static const char server_usage[] =
    "usage: sa server [-H HOST] [-p PORT] [-t TOKEN | -n] [-O ORIGIN]... [-M METHOD]...\n"
    "                 [-A HEADER]... [-C] [--no-telemetry] [-- SA-SERVE-ARGS...]\n";
static const char daemon_usage[] =
    "usage: sa daemon start [-H HOST] [-p PORT] [-t TOKEN | -n] [-- SA-SERVE-ARGS...]\n"
    "       sa daemon stop|status [-H HOST] [-p PORT]\n";

typedef struct srv_args {
    const char *host, *port;
    char *argv[ARGV_MAX];
    int argc;
} srv_args;

static void push(srv_args *a, const char *s)
{
    if (a->argc >= ARGV_MAX - 1) sa_diex(CL_EUSAGE, "too many arguments");
    a->argv[a->argc++] = (char *)s;
    a->argv[a->argc] = NULL;
}

enum { O_NOTEL = 256, O_UPGRADE };

/* Parse the server flags (daemon: only -H, -p, -t, -n and `--`) into a
 * sa-serve argv.  Returns CL_OK, or CL_EUSAGE. */
static int parse_server(int argc, char **argv, bool daemon, srv_args *a, const char *usage)
{
    static const struct option lo[] = {
        CL_GLOBAL_LONG, {"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"cors-allow-origin", 1, 0, 'O'},
        {"cors-allow-method", 1, 0, 'M'}, {"cors-allow-header", 1, 0, 'A'},
        {"cors-allow-credentials", 0, 0, 'C'}, {"no-telemetry", 0, 0, O_NOTEL},
        {"upgrade", 0, 0, O_UPGRADE}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    a->host = "127.0.0.1";
    a->port = "2468";
    a->argc = 0;
    push(a, "sa-serve");
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT "H:p:O:M:A:Ch", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, false)) continue;
        switch (c) {
        case 'H': a->host = optarg; break;
        case 'p': a->port = optarg; break;
        case 'O': if (daemon) return cl_usage(usage); push(a, "--cors-allow-origin"); push(a, optarg); break;
        case 'M': if (daemon) return cl_usage(usage); push(a, "--cors-allow-method"); push(a, optarg); break;
        case 'A': if (daemon) return cl_usage(usage); push(a, "--cors-allow-header"); push(a, optarg); break;
        case 'C': if (daemon) return cl_usage(usage); push(a, "--cors-allow-credentials"); break;
        case O_NOTEL: break;              /* sa sends no telemetry */
        case O_UPGRADE: break;            /* daemon start --upgrade: nothing to upgrade */
        case 'h': fputs(usage, stdout); exit(CL_OK);
        default: return cl_usage(usage);
        }
    }
    uint64_t port;
    if (!sa_parse_u64(a->port, 65535, &port)) { sa_warnx("--port: not a port number: %s", a->port); return CL_EUSAGE; }
    push(a, "--host"); push(a, a->host);
    push(a, "--port"); push(a, a->port);
    if (cl_g.no_token) push(a, "--no-token");
    else if (cl_g.token && setenv("SA_TOKEN", cl_g.token, 1) < 0) sa_die(CL_ELOCAL, "setenv");
    /* what getopt left: arguments after `--` (or stray ones) go to sa-serve */
    for (int i = optind; i < argc; i++) push(a, argv[i]);
    return CL_OK;
}

static char *sa_serve_path(void)
{
    char *p = sa_find_exec("sa-serve", true);
    if (!p) sa_warnx("cannot find sa-serve beside sa or on PATH");
    return p;
}

int cl_server(int argc, char **argv)
{
    srv_args a;
    int rc = parse_server(argc, argv, false, &a, server_usage);
    if (rc != CL_OK) return rc;
    char *exe = sa_serve_path();
    if (!exe) return CL_ELOCAL;
    fflush(NULL);
    execv(exe, a.argv);
    sa_warn("exec %s", exe);
    free(exe);
    return CL_ELOCAL;
}

/* ---- daemon ---- */

static int daemon_file(char *out, size_t size, const srv_args *a, const char *ext, bool make_dir)
{
    const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");
    char dir[PATH_MAX];
    if (x && *x) snprintf(dir, sizeof dir, "%s/sa/daemon", x);
    else if (h && *h) snprintf(dir, sizeof dir, "%s/.local/state/sa/daemon", h);
    else { sa_warnx("daemon: neither XDG_STATE_HOME nor HOME is set"); return -1; }
    if (make_dir) {
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/') continue;
            *p = '\0';
            if (mkdir(dir, 0700) < 0 && errno != EEXIST) { sa_warn("mkdir %s", dir); return -1; }
            *p = '/';
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) { sa_warn("mkdir %s", dir); return -1; }
    }
    int n = snprintf(out, size, "%s/sa-serve-%s-%s.%s", dir, a->host, a->port, ext);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The pid in the pid file when that process is an sa-serve; 0 otherwise. */
static pid_t running_pid(const char *pidfile)
{
    FILE *f = fopen(pidfile, "r");
    if (!f) return 0;
    long pid = 0;
    int ok = fscanf(f, "%ld", &pid);
    fclose(f);
    if (ok != 1 || pid <= 1 || kill((pid_t)pid, 0) < 0) return 0;
    char p[64], cmd[4096];
    snprintf(p, sizeof p, "/proc/%ld/cmdline", pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, cmd, sizeof cmd - 1);
    close(fd);
    if (n <= 0) return 0;
    cmd[n] = '\0';
    const char *base = strrchr(cmd, '/');
    base = base ? base + 1 : cmd;
    return strcmp(base, "sa-serve") ? 0 : (pid_t)pid;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static bool healthy(const srv_args *a)
{
    char ep[600];
    snprintf(ep, sizeof ep, strchr(a->host, ':') ? "http://[%s]:%s" : "http://%s:%s", a->host, a->port);
    const char *saved = cl_g.endpoint;
    cl_g.endpoint = ep;
    cl_resp r;
    int rc = cl_request("GET", "/v1/health", NULL, 0, NULL, NULL, &r);
    cl_g.endpoint = saved;
    bool ok = rc == CL_OK && r.status == 200;
    cl_resp_free(&r);
    return ok;
}

static void show_log_tail(const char *log)
{
    size_t n;
    char *t = cl_read_file(log, CL_BODY_MAX, &n);
    if (!t) return;
    size_t from = n > 2000 ? n - 2000 : 0;
    fprintf(stderr, "%s (last lines):\n%s", log, t + from);
    free(t);
}

static int daemon_start(const srv_args *a, const char *pidfile, const char *log)
{
    pid_t old = running_pid(pidfile);
    if (old) { printf("sa-serve already running (pid %ld) on http://%s:%s\n", (long)old, a->host, a->port); return CL_OK; }
    char *exe = sa_serve_path();
    if (!exe) return CL_ELOCAL;
    int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (lfd < 0) { sa_warn("%s", log); free(exe); return CL_ELOCAL; }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { sa_warn("fork"); close(lfd); free(exe); return CL_ELOCAL; }
    if (pid == 0) {
        setsid();
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        dup2(lfd, 1);
        dup2(lfd, 2);
        close_range(3, ~0u, 0);           /* the daemon keeps none of our descriptors */
        execv(exe, a->argv);
        fprintf(stderr, "sa: exec %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    close(lfd);
    free(exe);
    FILE *f = fopen(pidfile, "w");
    if (!f || fprintf(f, "%ld\n", (long)pid) < 0 || fclose(f) != 0) {
        sa_warn("%s", pidfile);
        kill(pid, SIGTERM);
        return CL_ELOCAL;
    }
    for (int i = 0; i < 200; i++) {             /* 10 s */
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            sa_warnx("daemon: sa-serve exited at start (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            show_log_tail(log);
            unlink(pidfile);
            return CL_ELOCAL;
        }
        if (healthy(a)) {
            printf("sa-serve running (pid %ld) on http://%s:%s; log: %s\n", (long)pid, a->host, a->port, log);
            return CL_OK;
        }
        sleep_ms(50);
    }
    sa_warnx("daemon: sa-serve (pid %ld) did not answer /v1/health within 10 s; see %s", (long)pid, log);
    return CL_ECONN;
}

static int daemon_stop(const srv_args *a, const char *pidfile)
{
    pid_t pid = running_pid(pidfile);
    if (!pid) { unlink(pidfile); printf("sa-serve not running on %s:%s\n", a->host, a->port); return CL_ENONE; }
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && kill(pid, 0) == 0; i++) {   /* 5 s */
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
        sleep_ms(50);
    }
    if (kill(pid, 0) == 0) kill(pid, SIGKILL);
    unlink(pidfile);
    printf("sa-serve stopped (pid %ld)\n", (long)pid);
    return CL_OK;
}

int cl_daemon(int argc, char **argv)
{
    if (argc < 2) return cl_usage(daemon_usage);
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) { fputs(daemon_usage, stdout); return CL_OK; }
    srv_args a;
    int rc = parse_server(argc - 1, argv + 1, true, &a, daemon_usage);
    if (rc != CL_OK) return rc;
    char pidfile[PATH_MAX], log[PATH_MAX];
    if (daemon_file(pidfile, sizeof pidfile, &a, "pid", true) < 0 ||
        daemon_file(log, sizeof log, &a, "log", false) < 0)
        return CL_ELOCAL;
    if (!strcmp(sub, "start")) return daemon_start(&a, pidfile, log);
    if (!strcmp(sub, "stop")) return daemon_stop(&a, pidfile);
    if (!strcmp(sub, "status")) {
        pid_t pid = running_pid(pidfile);
        if (!pid) { printf("sa-serve not running on %s:%s\n", a.host, a.port); return CL_ENONE; }
        printf("sa-serve running (pid %ld) on http://%s:%s%s; log: %s\n", (long)pid, a.host, a.port,
               healthy(&a) ? "" : " (not answering /v1/health)", log);
        return CL_OK;
    }
    sa_warnx("daemon: unknown command: %s", sub);
    return cl_usage(daemon_usage);
}

int cl_daemon_ensure(const char *host, const char *port)
{
    char *av[] = {"start", "-H", (char *)host, "-p", (char *)port, NULL};
    srv_args a;
    int rc = parse_server(5, av, true, &a, daemon_usage);
    if (rc != CL_OK) return rc;
    if (healthy(&a)) return CL_OK;
    char pidfile[PATH_MAX], log[PATH_MAX];
    if (daemon_file(pidfile, sizeof pidfile, &a, "pid", true) < 0 ||
        daemon_file(log, sizeof log, &a, "log", false) < 0)
        return CL_ELOCAL;
    return daemon_start(&a, pidfile, log);
}
