/*
 * sandbox.c — the agent's confinement (--sandbox, sa-spawn(1) SECURITY).
 *
 * sa-spawn does not exec the agent directly but bubblewrap (bwrap), which
 * puts it in new user, PID, IPC and UTS namespaces (the network namespace
 * is kept: agents reach their model API) and builds its mount tree:
 *
 *   /            read-only (the whole host tree, recursively)
 *   /dev /proc   private (a /proc of the new PID namespace: sa's processes,
 *                their command lines and environments are not in it)
 *   /tmp         a private tmpfs
 *   HOME, the XDG dirs and the description's sandbox.write_env dirs,
 *   --sandbox-write dirs, the working directory    writable binds
 *   sa's own directory (the executable's), the agents directory, the
 *   agent cache, the agent's binary   read-only again (they may lie inside
 *                                     a writable bind)
 *   the control file's directory and every --sandbox-hide path
 *                hidden: a directory gets an empty tmpfs, a file /dev/null
 *   what the agent must read inside a hidden path (its MCP file and the
 *   side files named on its command line, the skills root and the skill
 *   directories its links name, the extension,
 *   its binary, sa's own directory, the agents directory, the cache; also
 *   when under the host's /tmp)      read-only again
 *   home, config dirs, working directory inside a hidden path
 *                                    writable again
 *
 * Bind mounts are taken from the host tree whatever their order, so hiding
 * comes after the binds it must cover.  The agent's process group is
 * unchanged (bwrap runs in sa-spawn's new session, the agent inside it), so
 * a signal to the group reaches the agent; bwrap is started ignoring
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT (proc.c) and runs the agent through
 * "sa-spawn --sandbox-exec", which restores their defaults: bwrap outlives
 * the signal and exits with the agent's status, in the shell's encoding
 * (128+N for signal N, decoded by the exited line); SIGKILL ends bwrap and
 * --die-with-parent the agent with it.
 *
 * auto means bwrap when a trial run of it works (probe: the same
 * namespaces around /bin/true, once per process), else an error: a kernel
 * that allows nothing needs an explicit --sandbox none.  An explicit bwrap
 * (what sa-serve passes once it has resolved auto) skips the trial run,
 * except for --sandbox-check: a refusal then shows in the exited line.
 *
 * Ownership: sp_sbx_wrap returns a malloc'd vector of malloc'd strings
 * (sp_strv_free); the probe's result is a static string.
 */
#include "sp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const ns_flags[] = {
    "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--die-with-parent", NULL
};

int sp_sbx_parse(const char *name)
{
    if (!strcmp(name, "auto")) return SP_SBX_AUTO;
    if (!strcmp(name, "bwrap")) return SP_SBX_BWRAP;
    if (!strcmp(name, "none")) return SP_SBX_NONE;
    return -1;
}

const char *sp_sbx_name(int kind)
{
    switch (kind) {
    case SP_SBX_AUTO: return "auto";
    case SP_SBX_BWRAP: return "bwrap";
    case SP_SBX_NONE: return "none";
    default: return "?";
    }
}

/* Run bwrap with the namespaces around true(1); 0 when it exits 0. */
static int probe_bwrap(const char *bwrap, char *why, size_t n)
{
    const char *truebin = access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
    const char *v[32];
    size_t k = 0;
    v[k++] = bwrap;
    for (size_t i = 0; ns_flags[i]; i++) v[k++] = ns_flags[i];
    const char *rest[] = { "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                           "--", truebin, NULL };
    for (size_t i = 0; rest[i]; i++) v[k++] = rest[i];
    v[k] = NULL;
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) < 0) { snprintf(why, n, "pipe: %s", strerror(errno)); return -1; }
    pid_t pid = fork();
    if (pid < 0) { snprintf(why, n, "fork: %s", strerror(errno)); close(ep[0]); close(ep[1]); return -1; }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) { dup2(nul, 0); dup2(nul, 1); }
        dup2(ep[1], 2);
        execv(bwrap, (char *const *)v);
        _exit(127);
    }
    close(ep[1]);
    char msg[512];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof msg - 1 && ((r = read(ep[0], msg + got, sizeof msg - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0) got += (size_t)r;
    close(ep[0]);
    msg[got] = 0;
    while (got && (msg[got - 1] == '\n' || msg[got - 1] == ' ')) msg[--got] = 0;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    snprintf(why, n, "%s", got ? msg : "bwrap failed");
    return -1;
}

int sp_sbx_resolve(int want, bool probe, char **bwrap_path, char *err, size_t n)
{
    *bwrap_path = NULL;
    if (want == SP_SBX_NONE) return SP_SBX_NONE;
    char *b = sa_find_exec("bwrap", false);
    if (!b) {
        snprintf(err, n, "cannot confine the agent: bubblewrap (bwrap) is not on PATH%s",
                 want == SP_SBX_AUTO ? "; --sandbox none runs it unconfined" : "");
        return -1;
    }
    char why[600];
    if ((probe || want == SP_SBX_AUTO) && probe_bwrap(b, why, sizeof why) < 0) {
        snprintf(err, n, "cannot confine the agent: this kernel refuses bwrap's namespaces: %s%s", why,
                 want == SP_SBX_AUTO ? "; --sandbox none runs it unconfined" : "");
        free(b);
        return -1;
    }
    *bwrap_path = b;
    return SP_SBX_BWRAP;
}

int sp_sbx_precheck(const char *path)
{
    if (access(path, X_OK) < 0) return errno;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;                     /* execute-only: let the exec say */
    char b[256];
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n < 2 || b[0] != '#' || b[1] != '!') return 0;
    b[n] = 0;
    char *p = b + 2;
    while (*p == ' ' || *p == '\t') p++;
    char *end = p + strcspn(p, " \t\n");
    *end = 0;
    if (*p == '/' && access(p, X_OK) < 0) return errno;
    return 0;
}

/* ---- building bwrap's command line ---- */

typedef struct sbx_argv { char **v; size_t n, cap; } sbx_argv;

static void add(sbx_argv *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        char **nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) sa_diex(SP_EXIT_SYS, "out of memory");
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = sp_xstrdup(s);
    a->v[a->n] = NULL;
}

static void add3(sbx_argv *a, const char *op, const char *src, const char *dst)
{
    add(a, op);
    add(a, src);
    add(a, dst);
}

/* Whether p is dir or below it (both absolute, no trailing slash but "/"). */
static bool under(const char *p, const char *dir)
{
    size_t l = strlen(dir);
    if (l == 1 && dir[0] == '/') return true;
    return strncmp(p, dir, l) == 0 && (p[l] == 0 || p[l] == '/');
}

/* An absolute, canonical copy of an existing path, or NULL. */
static char *canon(const char *p)
{
    if (!p || !*p) return NULL;
    return realpath(p, NULL);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The writable directories, canonical, to bind again after the hiding. */
#define SBX_RW_MAX (8 + SP_SBX_HIDE_MAX)
typedef struct sbx_rw { char *p[SBX_RW_MAX]; size_t n; } sbx_rw;

static void bind_rw(sbx_argv *a, sbx_rw *rw, const char *path)
{
    char *c = canon(path);
    if (c && strcmp(c, "/") != 0 && rw->n < SBX_RW_MAX) {
        add3(a, "--bind", c, c);
        rw->p[rw->n++] = c;
        return;
    }
    free(c);
}

static void bind_ro(sbx_argv *a, const char *path)
{
    char *c = canon(path);
    if (c && strcmp(c, "/") != 0) add3(a, "--ro-bind", c, c);
    free(c);
}

typedef struct sbx_hidden { char *p[SP_SBX_HIDE_MAX + 1]; size_t n; } sbx_hidden;

static bool in_hidden(const sbx_hidden *h, const char *p)
{
    for (size_t i = 0; i < h->n; i++) if (under(p, h->p[i])) return true;
    return false;
}

/* Read-only again when inside a hidden path or the host's /tmp (which the
 * private /tmp covers): at its canonical path and, for a symlink, a symlink
 * to it at the path as given (an agent found through a link in a PATH
 * directory; a link stays a link, since node resolves modules from the
 * target). */
static void rebind_needed(sbx_argv *a, const sbx_hidden *h, const sbx_rw *rw, const char *path)
{
    char *c = canon(path);
    if (!c) return;
    for (size_t i = 0; i < rw->n; i++)            /* in a writable bind and not hidden: visible */
        if (under(c, rw->p[i]) && !in_hidden(h, c)) { free(c); return; }
    if (in_hidden(h, c) || under(c, "/tmp")) add3(a, "--ro-bind", c, c);
    if (path[0] == '/' && strcmp(path, c) != 0 && (in_hidden(h, path) || under(path, "/tmp")))
        add3(a, "--symlink", c, path);
    free(c);
}

char **sp_sbx_wrap(const sp_opts *o, const char *bwrap, char *const argv[], const char *cwd)
{
    sbx_argv a = { 0 };
    add(&a, bwrap);
    for (size_t i = 0; ns_flags[i]; i++) add(&a, ns_flags[i]);
    add3(&a, "--ro-bind", "/", "/");
    add(&a, "--dev"); add(&a, "/dev");
    add(&a, "--proc"); add(&a, "/proc");
    add(&a, "--tmpfs"); add(&a, "/tmp");
    /* sa's installation (the parent of its bin dir: a prefix, or a
     * checkout; for a checkout's other builds, build/VARIANT/bin, the
     * checkout) stays visible read-only where the private /tmp would hide
     * it; before the writable binds, so those inside it stay writable */
    char *prefix = sa_exe_dir();
    char *ps = prefix ? strrchr(prefix, '/') : NULL;
    if (ps && ps != prefix) {
        *ps = 0;
        char *pv = strrchr(prefix, '/');              /* .../build/VARIANT ? */
        if (pv && pv != prefix) {
            *pv = 0;
            char *pb = strrchr(prefix, '/');
            if (!(pb && pb != prefix && !strcmp(pb, "/build"))) *pv = '/';
            else *pb = 0;
        }
        if (under(prefix, "/tmp")) add3(&a, "--ro-bind", prefix, prefix);
    }
    free(prefix);

    /* writable: home, config dirs, the working directory */
    sbx_rw rw = { .n = 0 };
    const char *home = sp_env_value(o, "HOME");
    if (home && home[0] == '/') bind_rw(&a, &rw, home);
    static const char *const xdg[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", NULL };
    for (size_t i = 0; xdg[i]; i++) {
        const char *v = sp_env_value(o, xdg[i]);
        if (v && v[0] == '/') bind_rw(&a, &rw, v);
    }
    const cJSON *we = sa_agent_get(o->desc, "sandbox.write_env"), *e;
    cJSON_ArrayForEach(e, we) {
        const char *v = cJSON_IsString(e) ? sp_env_value(o, e->valuestring) : NULL;
        if (v && v[0] == '/') bind_rw(&a, &rw, v);
    }
    for (size_t i = 0; i < o->n_write; i++) bind_rw(&a, &rw, o->write[i]);
    char here[PATH_MAX];
    const char *wd = cwd ? cwd : getcwd(here, sizeof here);
    if (wd) bind_rw(&a, &rw, wd);

    /* sa's own files, the agent cache and the agent's binary: read-only */
    char *self = sa_exe_dir(), *cache = sa_agent_cache_dir();
    if (cache && !is_dir(cache)) { free(cache); cache = NULL; }
    if (self) bind_ro(&a, self);
    if (o->agents_dir) bind_ro(&a, o->agents_dir);
    if (cache) bind_ro(&a, cache);
    char *bin = canon(argv[0]);
    if (bin) {
        char *slash = strrchr(bin, '/');
        bool in_rw = false;              /* a fake agent in a writable dir keeps it writable */
        if (slash && slash != bin) *slash = 0;
        for (size_t i = 0; i < rw.n; i++) in_rw |= under(bin, rw.p[i]);
        if (slash && slash != bin && !in_rw) bind_ro(&a, bin);
    }
    free(bin);

    /* hidden: the control file's directory, --sandbox-hide paths */
    sbx_hidden h = { .n = 0 };
    if (o->control) {
        char *c = canon(o->control);
        if (c) {
            char *slash = strrchr(c, '/');
            if (slash && slash != c) { *slash = 0; h.p[h.n++] = c; } else free(c);
        }
    }
    for (size_t i = 0; i < o->n_hide && h.n < SP_SBX_HIDE_MAX; i++) {
        char *c = canon(o->hide[i]);
        if (c && strcmp(c, "/") != 0) h.p[h.n++] = c; else free(c);
    }
    for (size_t i = 0; i < h.n; i++) {
        if (is_dir(h.p[i])) { add(&a, "--tmpfs"); add(&a, h.p[i]); }
        else add3(&a, "--ro-bind", "/dev/null", h.p[i]);
    }
    /* what the agent must still read there; its working directory */
    rebind_needed(&a, &h, &rw, o->mcp_file);
    rebind_needed(&a, &h, &rw, o->skills);
    if (o->skills) {                  /* skills/<name> link to each skill's directory */
        char sd[PATH_MAX];
        snprintf(sd, sizeof sd, "%s/skills", o->skills);
        DIR *d = opendir(sd);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char p[PATH_MAX];
            char *t = snprintf(p, sizeof p, "%s/%s", sd, e->d_name) < (int)sizeof p ? canon(p) : NULL;
            if (t) rebind_needed(&a, &h, &rw, t);       /* the target: the link itself is there */
            free(t);
        }
        if (d) closedir(d);
    }
    rebind_needed(&a, &h, &rw, o->extension);
    if (self) rebind_needed(&a, &h, &rw, self);
    if (o->agents_dir) rebind_needed(&a, &h, &rw, o->agents_dir);
    if (cache) rebind_needed(&a, &h, &rw, cache);
    free(self);
    free(cache);
    for (size_t i = 0; argv[i]; i++)      /* argv[0]: the agent's binary */
        if (argv[i][0] == '/' && strlen(argv[i]) < PATH_MAX) rebind_needed(&a, &h, &rw, argv[i]);
    /* home, config dirs, the working directory inside a hidden path: writable again */
    for (size_t i = 0; i < rw.n; i++) {
        if (in_hidden(&h, rw.p[i])) add3(&a, "--bind", rw.p[i], rw.p[i]);
        free(rw.p[i]);
    }
    for (size_t i = 0; i < h.n; i++) free(h.p[i]);
    if (wd) { add(&a, "--chdir"); add(&a, wd); }
    add(&a, "--");
    char self_exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (k > 0) {                     /* sa-spawn --sandbox-exec: signals back to default */
        self_exe[k] = 0;
        add(&a, self_exe);
        add(&a, "--sandbox-exec");
    }
    for (size_t i = 0; argv[i]; i++) add(&a, argv[i]);
    return a.v;
}
