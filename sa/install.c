/*
 * install.c — `sa install-agent AGENT [-r]`: install the agent's pinned npm
 * package into the agent cache, locally (no server; as v0.1.11's
 * install-agent).  sa-serve's POST /v1/agents/{agent}/install runs this
 * command as a child process, so both install the same way.
 *
 * The pin is the agent description's "npm": {"package", "version"}
 * (sa-normalize/agents/NAME.json).  The layout is the one
 * tests/agents/install.sh uses and lib/sa_agent_find.c searches:
 * CACHE/ID-VERSION is an npm prefix, the executable is
 * CACHE/ID-VERSION/node_modules/.bin/BIN, CACHE is $SA_AGENT_CACHE, else
 * $XDG_CACHE_HOME/sa-agents, else ~/.cache/sa-agents.  npm installs into a
 * temporary sibling (CACHE/.ID-VERSION.tmp.PID) that is renamed into place
 * once the executable is there, under an flock on CACHE/.ID-VERSION.lock
 * (install.sh's lock too), so a half-finished install is never used.
 * Without -r an agent that is already found (beside sa, on PATH or in the
 * cache) is reused and npm is not run.
 *
 * Overrides (for tests and offline mirrors): $SA_NPM names the npm command;
 * $SA_AGENT_NPM_SPEC replaces "PACKAGE@VERSION" as npm's install argument
 * (a tarball made by npm pack, a directory, another version); the cache
 * directory keeps the pinned version's name.
 *
 * Output: the executable's path on stdout; npm's output and notes on stderr.
 * Ownership: all strings are local and freed before return.
 */
#include "cl.h"
#include "sa.h"
#include "sa_agent.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char install_usage[] =
    "usage: sa install-agent AGENT [-r|--reinstall] [--agents-dir DIR]\n";

/* snprintf into a path buffer; false when it does not fit. */
static bool pathf(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool is_exec_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static int mkdirs(const char *path)
{
    char d[PATH_MAX];
    if (snprintf(d, sizeof d, "%s", path) >= (int)sizeof d) { errno = ENAMETOOLONG; return -1; }
    for (char *p = d + 1;; p++) {
        if (*p && *p != '/') continue;
        char was = *p;
        *p = '\0';
        if (mkdir(d, 0755) < 0 && errno != EEXIST) return -1;
        if (!was) return 0;
        *p = was;
    }
}

/* Take the lock (at most 600 s of waiting for another installer). */
static int take_lock(const char *lock)
{
    int fd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    for (int i = 0; i < 6000; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        if (errno != EWOULDBLOCK) break;
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    close(fd);
    return -1;
}

/* npm install --prefix DIR SPEC, its stdout to our stderr.  Exit status or -1. */
static int run_npm(const char *npm, const char *dir, const char *spec)
{
    char *argv[] = {(char *)npm, "install", "--prefix", (char *)dir, "--no-audit", "--no-fund",
                    "--no-save", "--loglevel=error", (char *)spec, NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        dup2(2, 1);
        execvp(npm, argv);
        fprintf(stderr, "sa: exec %s: %s\n", npm, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int install(const sa_agent_desc *d, bool reinstall)
{
    const cJSON *npm = sa_agent_get(d, "npm");
    const cJSON *pkg = cJSON_GetObjectItemCaseSensitive(npm, "package");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(npm, "version");
    if (!reinstall || !cJSON_IsString(pkg)) {
        int where;
        char *p = sa_agent_find(d, &where);
        if (p) {
            fprintf(stderr, "sa: install-agent: %s: already installed (%s): %s\n", d->id, sa_agent_where_name(where), p);
            printf("%s\n", p);
            free(p);
            return CL_OK;
        }
    }
    if (!cJSON_IsString(pkg) || !cJSON_IsString(ver)) {
        sa_warnx("install-agent: %s: its description names no npm package to install", d->id);
        return CL_ELOCAL;
    }
    char *cache = sa_agent_cache_dir();
    if (!cache) { sa_warnx("install-agent: no agent cache directory (HOME is not set)"); return CL_ELOCAL; }
    char dir[PATH_MAX], tmp[PATH_MAX], lock[PATH_MAX], exe[PATH_MAX], spec[1024];
    int rc = CL_ELOCAL, lfd = -1;
    if (!pathf(dir, sizeof dir, "%s/%s-%s", cache, d->id, ver->valuestring) ||
        !pathf(tmp, sizeof tmp, "%s/.%s-%s.tmp.%ld", cache, d->id, ver->valuestring, (long)getpid()) ||
        !pathf(lock, sizeof lock, "%s/.%s-%s.lock", cache, d->id, ver->valuestring) ||
        !pathf(exe, sizeof exe, "%s/node_modules/.bin/%s", dir, d->bin)) {
        sa_warnx("install-agent: path too long under %s", cache);
        goto out;
    }
    if (mkdirs(cache) < 0) { sa_warn("install-agent: mkdir %s", cache); goto out; }
    if ((lfd = take_lock(lock)) < 0) { sa_warn("install-agent: cannot lock %s", lock); goto out; }
    if (!reinstall && is_exec_file(exe)) {      /* another installer finished while we waited */
        printf("%s\n", exe);
        rc = CL_OK;
        goto out;
    }
    const char *env_spec = getenv("SA_AGENT_NPM_SPEC"), *env_npm = getenv("SA_NPM");
    if (env_spec && *env_spec) snprintf(spec, sizeof spec, "%s", env_spec);
    else snprintf(spec, sizeof spec, "%s@%s", pkg->valuestring, ver->valuestring);
    const char *npm_cmd = env_npm && *env_npm ? env_npm : "npm";
    remove_tree(tmp);
    if (mkdirs(tmp) < 0) { sa_warn("install-agent: mkdir %s", tmp); goto out; }
    fprintf(stderr, "sa: install-agent: installing %s into %s (npm)\n", spec, dir);
    int st = run_npm(npm_cmd, tmp, spec);
    char texe[PATH_MAX];
    if (!pathf(texe, sizeof texe, "%s/node_modules/.bin/%s", tmp, d->bin)) texe[0] = '\0';
    if (st != 0) {
        sa_warnx("install-agent: %s: npm install %s failed (%s %d)", d->id, spec, st < 0 ? "error" : "exit status", st);
    } else if (!is_exec_file(texe)) {
        sa_warnx("install-agent: %s: %s installed but has no executable node_modules/.bin/%s", d->id, spec, d->bin);
    } else if (remove_tree(dir) < 0 || rename(tmp, dir) < 0) {
        sa_warn("install-agent: cannot move %s to %s", tmp, dir);
    } else {
        printf("%s\n", exe);
        rc = CL_OK;
    }
    remove_tree(tmp);
out:
    if (lfd >= 0) close(lfd);
    free(cache);
    return rc;
}

int cl_install_agent(int argc, char **argv)
{
    static const struct option lo[] = {CL_GLOBAL_LONG, {"reinstall", 0, 0, 'r'}, {"agents-dir", 1, 0, 'D'},
                                       {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    bool reinstall = false;
    const char *adir = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT "rh", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, false)) continue;   /* accepted, unused: no server involved */
        if (c == 'r') reinstall = true;
        else if (c == 'D') adir = optarg;
        else if (c == 'h') { fputs(install_usage, stdout); return CL_OK; }
        else return cl_usage(install_usage);
    }
    if (argc - optind != 1) return cl_usage(install_usage);
    const char *name = argv[optind];
    char *dir = sa_agent_dir(adir);
    if (!dir) {
        char *where = sa_agent_dir_searched(adir, NULL);
        sa_warnx("install-agent: no agent descriptions (searched %s)", where ? where : "?");
        free(where);
        return CL_ELOCAL;
    }
    sa_agent_desc d;
    char err[512];
    int rc;
    if (sa_agent_load(dir, name, &d, err, sizeof err) < 0) {
        char *names = sa_agent_names(dir);
        sa_warnx("install-agent: %s: %s (agents: %s)", name, err, names ? names : "?");
        free(names);
        rc = CL_EUSAGE;
    } else {
        rc = install(&d, reinstall);
        sa_agent_free(&d);
    }
    free(dir);
    return rc;
}
