/*
 * sa_diff.c — session diffs with a private git repository (sa_diff.h says
 * what and why).  Each git run: posix_spawnp("git") in the work tree (or
 * DIR), stdin /dev/null, stdout read up to SA_DIFF_OUT_MAX, the first bytes
 * of stderr kept for the error message, killed (SIGKILL) at the deadline.
 * The environment is sa's own minus every inherited GIT_* variable, plus
 * GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE, GIT_OPTIONAL_LOCKS=0 and
 * GIT_TERMINAL_PROMPT=0; every run gets -c core.bigFileThreshold=1m (big
 * files count as binary), core.autocrlf=false, core.fsmonitor=false,
 * core.quotepath=false, gc.auto=0, diff.renames=false, color.ui=false.
 * Ownership: see sa_diff.h; nothing is kept between calls.
 */
#include "sa_diff.h"
#include "sa.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* stdout of a run; with max_nul, the run is stopped (killed) as soon as
 * more NUL-terminated records than that have come, and truncated is set. */
typedef struct run_out { char *p; size_t len, cap; bool truncated; size_t max_nul, nul; } run_out;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *xasprintf(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (!p) sa_diex(1, "out of memory");
    snprintf(p, n, "%s%s", a, b);
    return p;
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) sa_diex(1, "out of memory");
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* environ minus GIT_*, plus the given K=V strings (NULL-terminated). */
static char **git_env(char *const *add)
{
    size_t n = 0, k = 0, na = 0;
    while (environ[n]) n++;
    while (add[na]) na++;
    char **v = calloc(n + na + 1, sizeof *v);
    if (!v) sa_diex(1, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "GIT_", 4)) v[k++] = environ[i];
    for (size_t i = 0; i < na; i++) v[k++] = add[i];
    return v;
}

/* Run git ARGS (after the fixed -c options) with cwd and env; stdout in out. */
static int run_git_ms(const char *cwd, char *const *env_add, const char *const *args, run_out *out,
                      int timeout_ms, char *err, size_t n);

static int run_git(const char *cwd, char *const *env_add, const char *const *args, run_out *out,
                   char *err, size_t n)
{
    return run_git_ms(cwd, env_add, args, out, SA_DIFF_TIMEOUT_MS, err, n);
}

static int run_git_ms(const char *cwd, char *const *env_add, const char *const *args, run_out *out,
                      int timeout_ms, char *err, size_t n)
{
    static const char *const fixed[] = { "git", "-c", "core.bigFileThreshold=" SA_DIFF_BIG, "-c", "core.autocrlf=false",
                                         "-c", "core.fsmonitor=false", "-c", "core.quotepath=false", "-c", "gc.auto=0",
                                         "-c", "diff.renames=false", "-c", "color.ui=false" };
    size_t nf = sizeof fixed / sizeof fixed[0], na = 0;
    while (args[na]) na++;
    const char **argv = calloc(nf + na + 1, sizeof *argv);
    if (!argv) sa_diex(1, "out of memory");
    memcpy(argv, fixed, sizeof fixed);
    memcpy(argv + nf, args, na * sizeof *argv);
    int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        snprintf(err, n, "pipe: %s", strerror(errno));
        free(argv);
        if (po[0] >= 0) { close(po[0]); close(po[1]); }
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    char **envp = git_env(env_add);
    pid_t pid;
    int rc = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    free(argv);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        snprintf(err, n, "cannot run git: %s", strerror(rc));
        close(po[0]);
        close(pe[0]);
        return -1;
    }
    char ebuf[512];
    size_t elen = 0;
    long long end = now_ms() + timeout_ms;
    bool timed_out = false, stop = false;
    struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
    while ((pf[0].fd >= 0 || pf[1].fd >= 0) && !stop) {
        long long left = end - now_ms();
        if (left <= 0) { timed_out = true; break; }
        int r = poll(pf, 2, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            ssize_t k = read(pf[i].fd, buf, sizeof buf);
            if (k <= 0) { close(pf[i].fd); pf[i].fd = -1; continue; }
            if (i == 1) {
                size_t c = (size_t)k < sizeof ebuf - 1 - elen ? (size_t)k : sizeof ebuf - 1 - elen;
                memcpy(ebuf + elen, buf, c);
                elen += c;
            } else if (out) {
                size_t c = (size_t)k;
                if (out->len + c > SA_DIFF_OUT_MAX) { c = SA_DIFF_OUT_MAX - out->len; out->truncated = true; }
                sa_reserve(&out->p, &out->cap, out->len + c + 1, 4096);
                memcpy(out->p + out->len, buf, c);
                out->len += c;
                out->p[out->len] = '\0';
                if (out->max_nul) {
                    for (size_t j = 0; j < c; j++) out->nul += buf[j] == '\0';
                    if (out->nul > out->max_nul) { out->truncated = true; stop = true; }
                }
            }
        }
    }
    for (int i = 0; i < 2; i++) if (pf[i].fd >= 0) close(pf[i].fd);
    if (timed_out || stop) kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    ebuf[elen] = '\0';
    if (stop) return 0;                     /* the caller asked for no more */
    if (timed_out) { snprintf(err, n, "git %s: no answer in %d ms", args[0], timeout_ms); return -1; }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *nl = strchr(ebuf, '\n');
        if (nl) *nl = '\0';
        snprintf(err, n, "git %s failed: %.300s", args[0], elen ? ebuf : "(no message)");
        return -1;
    }
    return 0;
}

/* GIT_DIR / GIT_WORK_TREE / GIT_INDEX_FILE strings for dir (+ work, index). */
typedef struct genv { char *v[6]; } genv;

static void genv_make(genv *g, const char *dir, const char *work, const char *name)
{
    memset(g, 0, sizeof *g);
    char *gd = path_in(dir, "git");
    g->v[0] = xasprintf("GIT_DIR=", gd);
    free(gd);
    size_t k = 1;
    if (work) g->v[k++] = xasprintf("GIT_WORK_TREE=", work);
    if (name) {
        char *ix = path_in(dir, "index.");
        char *ixn = xasprintf(ix, name);
        g->v[k++] = xasprintf("GIT_INDEX_FILE=", ixn);
        free(ix);
        free(ixn);
    }
    g->v[k++] = strdup("GIT_OPTIONAL_LOCKS=0");
    g->v[k++] = strdup("GIT_TERMINAL_PROMPT=0");
}

static void genv_free(genv *g) { for (size_t i = 0; i < 6; i++) free(g->v[i]); }

int sa_diff_read(const char *dir, const char *which, char tree[41])
{
    char *p = path_in(dir, which);
    FILE *f = fopen(p, "re");
    free(p);
    if (!f) return -1;
    char b[64] = "";
    bool ok = fgets(b, sizeof b, f) != NULL;
    fclose(f);
    size_t l = strspn(b, "0123456789abcdef");
    if (!ok || l != 40) return -1;
    memcpy(tree, b, 40);
    tree[40] = '\0';
    return 0;
}

int sa_diff_write(const char *dir, const char *which, const char *tree)
{
    char *p = path_in(dir, which), *tmp = xasprintf(p, ".tmp");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = -1;
    if (fd >= 0) {
        char b[48];
        int l = snprintf(b, sizeof b, "%s\n", tree);
        if (sa_write_all(fd, b, (size_t)l) == 0 && close(fd) == 0) rc = rename(tmp, p);
        else close(fd);
    }
    if (rc < 0) unlink(tmp);
    free(tmp);
    free(p);
    return rc;
}

/* ":(exclude)REL" for DIR's parent (sa's state directory) when it lies
 * inside WORK, else NULL. */
static char *state_exclude(const char *dir, const char *work)
{
    char *d = realpath(dir, NULL), *w = realpath(work, NULL), *r = NULL;
    if (d && w) {
        char *sl = strrchr(d, '/');
        if (sl && sl != d) *sl = '\0';
        size_t wl = strlen(w);
        if (!strncmp(d, w, wl) && d[wl] == '/' && d[wl + 1]) r = xasprintf(":(exclude)", d + wl + 1);
    }
    free(d);
    free(w);
    return r;
}

int sa_diff_snapshot(const char *dir, const char *work, const char *name, char tree[41], char *err, size_t n)
{
    genv g;
    genv_make(&g, dir, work, name);
    char *ex = state_exclude(dir, work);
    /* how many files would be taken: at most SA_DIFF_MAX_FILES */
    const char *ls[] = { "ls-files", "-z", "--others", "--exclude-standard", "--", ".", ex, NULL };
    run_out o = { .max_nul = SA_DIFF_MAX_FILES };
    int rc = run_git_ms(work, g.v, ls, &o, SA_DIFF_WALK_MS, err, n);
    if (rc == 0) {
        if (o.truncated) {
            snprintf(err, n, "more than %d files that are not ignored in %s: no snapshot", SA_DIFF_MAX_FILES, work);
            rc = -1;
        }
    }
    free(o.p);
    o = (run_out){ 0 };
    const char *add[] = { "add", "-A", "--ignore-errors", "--", ".", ex, NULL };
    static const char *const wt[] = { "write-tree", NULL };
    if (rc == 0) rc = run_git(work, g.v, add, NULL, err, n);
    free(ex);
    if (rc == 0) rc = run_git(work, g.v, wt, &o, err, n);
    genv_free(&g);
    if (rc == 0 && (!o.p || strspn(o.p, "0123456789abcdef") != 40)) {
        snprintf(err, n, "git write-tree gave no tree");
        rc = -1;
    }
    if (rc == 0) { memcpy(tree, o.p, 40); tree[40] = '\0'; }
    free(o.p);
    return rc;
}

int sa_diff_init(const char *dir, const char *work, char *err, size_t n)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) { snprintf(err, n, "mkdir %s: %s", dir, strerror(errno)); return -1; }
    char *gd = path_in(dir, "git");
    struct stat sb;
    int rc = 0;
    if (stat(gd, &sb) < 0) {
        const char *const init[] = { "init", "-q", "--bare", gd, NULL };
        rc = run_git(dir, (char *[]){ NULL }, init, NULL, err, n);
    }
    free(gd);
    char tree[41];
    if (rc == 0 && sa_diff_read(dir, "base", tree) < 0) {
        rc = sa_diff_snapshot(dir, work, "spawn", tree, err, n);
        if (rc == 0 && (sa_diff_write(dir, "turn", tree) < 0 || sa_diff_write(dir, "base", tree) < 0)) {
            snprintf(err, n, "cannot write %s/base: %s", dir, strerror(errno));
            rc = -1;
        }
    }
    return rc;
}

/* Split a NUL-separated git output into fields. */
static size_t fields(char *p, size_t len, char **f, size_t max)
{
    size_t k = 0, i = 0;
    while (i < len && k < max) {
        f[k++] = p + i;
        i += strlen(p + i) + 1;
    }
    return k;
}

char *sa_diff_unified(const char *dir, const char *from, const char *to, size_t *len, bool *truncated,
                      char *err, size_t n)
{
    genv g;
    genv_make(&g, dir, NULL, NULL);
    const char *const args[] = { "diff-tree", "-r", "-p", "--no-renames", "--no-color", "--no-ext-diff",
                                 from, to, NULL };
    run_out o = { 0 };
    int rc = run_git(dir, g.v, args, &o, err, n);
    genv_free(&g);
    if (rc < 0) { free(o.p); return NULL; }
    if (!o.p) { o.p = strdup(""); if (!o.p) sa_diex(1, "out of memory"); }
    *len = o.len;
    if (truncated) *truncated = o.truncated;
    return o.p;
}

static const char *action_of(char c)
{
    return c == 'A' ? "added" : c == 'D' ? "deleted" : "modified";
}

cJSON *sa_diff_files(const char *dir, const char *from, const char *to, bool with_diffs, char *err, size_t n)
{
    genv g;
    genv_make(&g, dir, NULL, NULL);
    const char *const ns[] = { "diff-tree", "-r", "-z", "--no-renames", "--name-status", from, to, NULL };
    const char *const nu[] = { "diff-tree", "-r", "-z", "--no-renames", "--numstat", from, to, NULL };
    run_out a = { 0 }, b = { 0 };
    int rc = run_git(dir, g.v, ns, &a, err, n);
    if (rc == 0) rc = run_git(dir, g.v, nu, &b, err, n);
    genv_free(&g);
    char *uni = NULL;
    size_t ulen = 0;
    bool utrunc = false;
    if (rc == 0 && with_diffs && !(uni = sa_diff_unified(dir, from, to, &ulen, &utrunc, err, n))) rc = -1;
    if (rc < 0) { free(a.p); free(b.p); return NULL; }
    size_t maxf = 2 * SA_DIFF_FILES + 2;
    char **fa = calloc(maxf, sizeof *fa), **fb = calloc(maxf, sizeof *fb);
    if (!fa || !fb) sa_diex(1, "out of memory");
    size_t na = a.p ? fields(a.p, a.len, fa, maxf) : 0, nb = b.p ? fields(b.p, b.len, fb, maxf / 2 + 1) : 0;
    cJSON *doc = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(doc, "files");
    /* the unified diff's per-file sections, in the same (path) order */
    char *sec = uni, *uend = uni ? uni + ulen : NULL;
    size_t count = 0;
    for (size_t i = 0; i + 1 < na && count < SA_DIFF_FILES; i += 2, count++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", fa[i + 1]);
        cJSON_AddStringToObject(f, "action", action_of(fa[i][0]));
        /* numstat -z: "ADD\tDEL\tPATH" per file ("-\t-" for binary) */
        const char *ns_line = count < nb ? fb[count] : NULL;
        long ad = -1, de = -1;
        if (ns_line && ns_line[0] != '-') {
            char *e;
            ad = strtol(ns_line, &e, 10);
            if (*e == '\t') de = strtol(e + 1, NULL, 10);
        }
        if (ad >= 0 && de >= 0) {
            cJSON_AddNumberToObject(f, "additions", (double)ad);
            cJSON_AddNumberToObject(f, "deletions", (double)de);
        } else {
            cJSON_AddNullToObject(f, "additions");
            cJSON_AddNullToObject(f, "deletions");
        }
        if (with_diffs) {
            char *next = NULL;
            if (sec && sec < uend) {
                next = strstr(sec + 1, "\ndiff --git ");
                next = next ? next + 1 : uend;
            }
            if (sec && next && ad >= 0) {
                char save = *next;
                *next = '\0';
                cJSON_AddStringToObject(f, "diff", sec);
                *next = save;
            } else {
                cJSON_AddNullToObject(f, "diff");
            }
            sec = next;
        }
        cJSON_AddItemToArray(files, f);
    }
    cJSON_AddBoolToObject(doc, "truncated", a.truncated || b.truncated || utrunc || na / 2 > SA_DIFF_FILES);
    free(fa);
    free(fb);
    free(a.p);
    free(b.p);
    free(uni);
    return doc;
}
