/*
 * skills.c — a session's skills (create's `skills` member, v0.1.11's
 * {sources: [{type: local|git|github, source, skills?, ref?, subpath?}]}):
 * each source is resolved to a directory, its skills are found, and a
 * per-session skills root is built in the state directory that sa-spawn
 * --skills hands to the agent (see sa-spawn(1) SKILLS).
 *
 * Resolution:
 *   local   source = a directory (absolute, or relative to sa-serve's cwd)
 *   git     source = a URL or path git can clone; cloned once per (source,
 *           ref) into <state>/skills-cache/<hash> (`git clone --no-checkout`
 *           then `git checkout --detach REF`, REF default HEAD; GIT_TERMINAL_PROMPT=0,
 *           at most 120 s per command)
 *   github  source = OWNER/REPO, cloned as https://github.com/OWNER/REPO.git
 * then subpath (relative, no "..") is joined.  Discovery (as v0.1.11): the
 * directory itself when it holds SKILL.md, else skills/(each)/SKILL.md, else
 * (each)/SKILL.md.  A skill's name is SKILL.md's front-matter `name:`, else its
 * directory's name; `skills` keeps only the names listed (each must exist).
 * Any failure (no such directory, a clone or a ref that fails, no SKILL.md,
 * a listed name not found, two skills with one name) is a message for a 400.
 *
 * The root, <state>/skills-<16 hex of the id's FNV-1a hash>/, holds
 * skills/<name> (a symlink to each skill's directory),
 * .claude-plugin/plugin.json (so claude can load the root as a plugin) and
 * request.json (the create body's `skills`, echoed by SessionInfo after a
 * restart).  The user's tree is never written.
 * The clones run synchronously on sa-serve's event loop (bounded by the
 * 120 s limit); a slow remote stalls other requests meanwhile.
 * Ownership: returned strings and cJSON trees are the caller's to free.
 */
#include "serve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SK_MAX_SOURCES 32
#define SK_MAX_SKILLS  128
#define SK_GIT_SECS    120

char *sk_root(const srv *s, const char *sid) { return srv_state_path(s, "skills", sid, ""); }

/* Run argv (stdin /dev/null, stdout discarded) with at most SK_GIT_SECS;
 * 0 when it exited 0, else -1 with the last line of its stderr in err. */
static int run(char *const argv[], char *err, size_t n)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) { snprintf(err, n, "pipe: %s", strerror(errno)); return -1; }
    pid_t pid = fork();
    if (pid < 0) { close(pfd[0]); close(pfd[1]); snprintf(err, n, "fork: %s", strerror(errno)); return -1; }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0); dup2(nul, 1); dup2(pfd[1], 2);
        setenv("GIT_TERMINAL_PROMPT", "0", 1);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    char buf[4096];
    size_t len = 0;
    int64_t end = sa_time_ms() + SK_GIT_SECS * 1000;
    bool timed_out = false;
    for (;;) {
        int64_t left = end - sa_time_ms();
        if (left <= 0) { timed_out = true; break; }
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { timed_out = r == 0; break; }
        char tmp[1024];
        ssize_t k = read(pfd[0], tmp, sizeof tmp);
        if (k <= 0) break;
        for (ssize_t i = 0; i < k; i++) {          /* keep the tail */
            if (len == sizeof buf - 1) { memmove(buf, buf + 1024, len - 1024); len -= 1024; }
            buf[len++] = tmp[i];
        }
    }
    close(pfd[0]);
    if (timed_out) kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    buf[len] = '\0';
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
    char *last = strrchr(buf, '\n');
    snprintf(err, n, "%s%.250s", timed_out ? "timed out after 120 s" : WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
             "git not found" : "", timed_out || (WIFEXITED(st) && WEXITSTATUS(st) == 127) ? "" : last ? last + 1 : buf);
    return -1;
}

static bool is_dir(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISDIR(st.st_mode); }
static bool is_file(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }

/* The directory a git source is checked out in (caller frees), or NULL. */
static char *clone_source(const srv *s, const char *url, const char *ref, char *err, size_t n)
{
    char cache[PATH_MAX], dir[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/skills-cache", s->cfg.state_dir);
    if (mkdir(cache, 0700) < 0 && errno != EEXIST) { snprintf(err, n, "cannot create %.200s: %s", cache, strerror(errno)); return NULL; }
    char key[1200];                                /* one cache entry per (source, ref) */
    snprintf(key, sizeof key, "%.600s\n%.500s", url, ref ? ref : "HEAD");
    if (snprintf(dir, sizeof dir, "%s/%016llx", cache, (unsigned long long)sa_hash64(key)) >= (int)sizeof dir) {
        snprintf(err, n, "state directory path too long");
        return NULL;
    }
    if (is_dir(dir)) return strdup(dir);                    /* cloned before */
    char tmp[PATH_MAX + 16], e[300];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", dir, (int)getpid());
    (void)srv_remove_tree(tmp);
    char *cl[] = { "git", "clone", "--quiet", "--no-checkout", "--", (char *)url, tmp, NULL };
    if (run(cl, e, sizeof e) < 0) { snprintf(err, n, "git clone %.200s failed: %.150s", url, e); (void)srv_remove_tree(tmp); return NULL; }
    char *co[] = { "git", "-C", tmp, "checkout", "--quiet", "--detach", (char *)(ref ? ref : "HEAD"), NULL };
    if (run(co, e, sizeof e) < 0) {
        snprintf(err, n, "%.200s: ref %.64s: %.100s", url, ref ? ref : "HEAD", e);
        (void)srv_remove_tree(tmp);
        return NULL;
    }
    if (rename(tmp, dir) < 0) { snprintf(err, n, "cannot rename %.200s: %s", tmp, strerror(errno)); (void)srv_remove_tree(tmp); return NULL; }
    return strdup(dir);
}

/* SKILL.md's front-matter `name:` (or NULL) and `description:` (or ""). */
static void front_matter(const char *md, char *name, size_t nn, char *desc, size_t dn)
{
    *name = *desc = '\0';
    FILE *f = fopen(md, "re");
    if (!f) return;
    char line[1024];
    bool in = false;
    for (int i = 0; i < 200 && fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strcmp(line, "---")) { if (in) break; in = true; continue; }
        if (!in) break;
        const char *v;
        if (!strncmp(line, "name:", 5)) { v = line + 5; while (*v == ' ') v++; snprintf(name, nn, "%.*s", (int)nn - 1, v); }
        if (!strncmp(line, "description:", 12)) { v = line + 12; while (*v == ' ') v++; snprintf(desc, dn, "%.*s", (int)dn - 1, v); }
    }
    fclose(f);
    for (char *q = name; *q; q++) if (*q == '"' || *q == '\'') *q = ' ';
}

static bool name_ok(const char *n)
{
    size_t l = strlen(n);
    if (!l || l > 64) return false;
    for (size_t i = 0; i < l; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
              n[i] == '_' || n[i] == '-' || n[i] == '.') || (i == 0 && n[i] == '.'))
            return false;
    return true;
}

/* Add the skill in dir (holding SKILL.md) to out: {name, description, path, source}. */
static int add_skill(cJSON *out, const char *dir, const char *source, char *err, size_t n)
{
    char md[PATH_MAX + 16], name[128], desc[512];
    snprintf(md, sizeof md, "%s/SKILL.md", dir);
    front_matter(md, name, sizeof name, desc, sizeof desc);
    char *t = name;
    while (*t == ' ') t++;
    for (char *e = t + strlen(t); e > t && e[-1] == ' '; ) *--e = '\0';
    const char *nm = *t ? t : strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    if (!name_ok(nm)) { snprintf(err, n, "skill in %s: name %.64s is not usable (letters, digits, _ - .)", dir, nm); return -1; }
    const cJSON *e;
    cJSON_ArrayForEach(e, out)
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name")), nm)) {
            snprintf(err, n, "two skills are named %s", nm);
            return -1;
        }
    if (cJSON_GetArraySize(out) >= SK_MAX_SKILLS) { snprintf(err, n, "more than %d skills", SK_MAX_SKILLS); return -1; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", nm);
    cJSON_AddStringToObject(o, "description", desc);
    cJSON_AddStringToObject(o, "path", dir);
    cJSON_AddStringToObject(o, "source", source);
    cJSON_AddItemToArray(out, o);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The skills under base/(each)/SKILL.md, in name order; count added, -1 on error. */
static int scan(cJSON *found, const char *base, const char *source, char *err, size_t n)
{
    DIR *d = opendir(base);
    if (!d) return 0;
    char *names[SK_MAX_SKILLS];
    size_t k = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < SK_MAX_SKILLS) {
        if (e->d_name[0] == '.') continue;
        char md[PATH_MAX];
        snprintf(md, sizeof md, "%s/%s/SKILL.md", base, e->d_name);
        if (is_file(md)) names[k++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, k, sizeof *names, cmp_str);
    int rc = (int)k;
    for (size_t i = 0; i < k; i++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/%s", base, names[i]);
        if (rc >= 0 && add_skill(found, dir, source, err, n) < 0) rc = -1;
        free(names[i]);
    }
    return rc;
}

static int one_source(const srv *s, const cJSON *src, int idx, cJSON *out, char *err, size_t n)
{
    static const char *const known[] = { "type", "source", "skills", "ref", "subpath", NULL };
    char where[64];
    snprintf(where, sizeof where, "skills.sources[%d]", idx);
    if (!cJSON_IsObject(src)) { snprintf(err, n, "%s: invalid type, expected an object", where); return -1; }
    const cJSON *e;
    cJSON_ArrayForEach(e, src) {
        bool ok = false;
        for (const char *const *k = known; *k; k++) if (!strcmp(e->string, *k)) ok = true;
        if (!ok) { snprintf(err, n, "%s: unknown member %.64s", where, e->string); return -1; }
    }
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, "type"));
    const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, "source"));
    const cJSON *refj = cJSON_GetObjectItemCaseSensitive(src, "ref"), *subj = cJSON_GetObjectItemCaseSensitive(src, "subpath");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(src, "skills");
    if (!source || !*source) { snprintf(err, n, "%s: source must be a non-empty string", where); return -1; }
    if ((refj && !cJSON_IsNull(refj) && !cJSON_IsString(refj)) || (subj && !cJSON_IsNull(subj) && !cJSON_IsString(subj))) {
        snprintf(err, n, "%s: ref and subpath must be strings", where);
        return -1;
    }
    if (want && !cJSON_IsNull(want) && !cJSON_IsArray(want)) { snprintf(err, n, "%s: skills must be an array of names", where); return -1; }
    cJSON_ArrayForEach(e, want) if (!cJSON_IsString(e)) { snprintf(err, n, "%s: skills must be an array of names", where); return -1; }
    const char *ref = cJSON_GetStringValue(refj), *sub = cJSON_GetStringValue(subj);
    if (ref && (*ref == '-' || strpbrk(ref, " \t\n"))) { snprintf(err, n, "%s: ref %.64s is not a git ref", where, ref); return -1; }
    if (sub && (*sub == '/' || strstr(sub, ".."))) { snprintf(err, n, "%s: subpath must be relative, without ..", where); return -1; }
    char *dir = NULL;
    if (type && !strcmp(type, "local")) {
        if (ref) { snprintf(err, n, "%s: a local source has no ref", where); return -1; }
        dir = realpath(source, NULL);
        if (!dir || !is_dir(dir)) { snprintf(err, n, "%s: %s is not a directory", where, source); free(dir); return -1; }
    } else if (type && (!strcmp(type, "git") || !strcmp(type, "github"))) {
        char url[600];
        if (!strcmp(type, "github")) {
            const char *sl = strchr(source, '/');
            if (!sl || sl == source || !sl[1] || strchr(sl + 1, '/') || strpbrk(source, " :@")) {
                snprintf(err, n, "%s: a github source is OWNER/REPO", where);
                return -1;
            }
            snprintf(url, sizeof url, "https://github.com/%s.git", source);
        } else {
            if (*source == '-') { snprintf(err, n, "%s: source %.64s is not a git URL", where, source); return -1; }
            snprintf(url, sizeof url, "%s", source);
        }
        char e2[400];
        if (!(dir = clone_source(s, url, ref, e2, sizeof e2))) { snprintf(err, n, "%s: %s", where, e2); return -1; }
    } else {
        snprintf(err, n, "%s: type must be local, git or github", where);
        return -1;
    }
    if (sub) {
        char joined[PATH_MAX];
        snprintf(joined, sizeof joined, "%s/%s", dir, sub);
        free(dir);
        if (!is_dir(joined)) { snprintf(err, n, "%s: subpath %s is not a directory", where, sub); return -1; }
        dir = strdup(joined);
    }
    cJSON *found = cJSON_CreateArray();
    char md[PATH_MAX], base[PATH_MAX];
    snprintf(md, sizeof md, "%s/SKILL.md", dir);
    snprintf(base, sizeof base, "%s/skills", dir);
    int rc;
    if (is_file(md)) rc = add_skill(found, dir, source, err, n) < 0 ? -1 : 1;
    else if ((rc = scan(found, base, source, err, n)) == 0) rc = scan(found, dir, source, err, n);
    if (rc == 0) snprintf(err, n, "%s: no SKILL.md in %s, %s/*/ or %s/*/", where, source, "skills", source);
    free(dir);
    if (rc <= 0) { cJSON_Delete(found); return -1; }
    cJSON *it;
    cJSON_ArrayForEach(e, want) {                              /* each listed name must be there */
        bool hit = false;
        cJSON_ArrayForEach(it, found) if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name")), e->valuestring)) hit = true;
        if (!hit) { snprintf(err, n, "%s: no skill named %.64s in %s", where, e->valuestring, source); cJSON_Delete(found); return -1; }
    }
    while ((it = found->child) != NULL) {
        cJSON_DetachItemViaPointer(found, it);
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
        bool keep = !cJSON_IsArray(want) || cJSON_GetArraySize(want) == 0;
        cJSON_ArrayForEach(e, want) if (!strcmp(e->valuestring, nm)) keep = true;
        const cJSON *o;
        cJSON_ArrayForEach(o, out)
            if (keep && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name")), nm)) {
                snprintf(err, n, "two skills are named %s", nm);
                cJSON_Delete(it);
                cJSON_Delete(found);
                return -1;
            }
        if (keep) cJSON_AddItemToArray(out, it); else cJSON_Delete(it);
    }
    cJSON_Delete(found);
    return 0;
}

cJSON *sk_resolve(const srv *s, const cJSON *skills, char *err, size_t n)
{
    if (!cJSON_IsObject(skills)) { snprintf(err, n, "skills: invalid type, expected an object"); return NULL; }
    const cJSON *e;
    cJSON_ArrayForEach(e, skills)
        if (strcmp(e->string, "sources") != 0) { snprintf(err, n, "skills: unknown member %.64s", e->string); return NULL; }
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(skills, "sources");
    if (src && !cJSON_IsNull(src) && !cJSON_IsArray(src)) { snprintf(err, n, "skills.sources must be an array"); return NULL; }
    if (cJSON_GetArraySize(src) > SK_MAX_SOURCES) { snprintf(err, n, "skills: at most %d sources", SK_MAX_SOURCES); return NULL; }
    cJSON *out = cJSON_CreateArray();
    int i = 0;
    cJSON_ArrayForEach(e, src)
        if (one_source(s, e, i++, out, err, n) < 0) { cJSON_Delete(out); return NULL; }
    return out;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int rc = sa_write_all(fd, text, strlen(text));
    close(fd);
    return rc;
}

int sk_build_root(const srv *s, const char *sid, const cJSON *resolved, const cJSON *request, char *err, size_t n)
{
    char *root = sk_root(s, sid);
    if (!root) { snprintf(err, n, "out of memory"); return -1; }
    char p[PATH_MAX];
    (void)srv_remove_tree(root);
    int rc = -1;
    snprintf(p, sizeof p, "%s/skills", root);
    if (mkdir(root, 0700) < 0 || mkdir(p, 0700) < 0) { snprintf(err, n, "cannot create %s: %s", p, strerror(errno)); goto out; }
    snprintf(p, sizeof p, "%s/.claude-plugin", root);
    if (mkdir(p, 0700) < 0) { snprintf(err, n, "cannot create %s: %s", p, strerror(errno)); goto out; }
    snprintf(p, sizeof p, "%s/.claude-plugin/plugin.json", root);
    if (write_text(p, "{\"name\":\"sa-session-skills\",\"version\":\"1.0.0\","
                      "\"description\":\"The skills sa added for this session\"}\n") < 0) {
        snprintf(err, n, "cannot write %s: %s", p, strerror(errno));
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, resolved) {
        snprintf(p, sizeof p, "%s/skills/%s", root, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name")));
        if (symlink(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "path")), p) < 0) {
            snprintf(err, n, "cannot link %s: %s", p, strerror(errno));
            goto out;
        }
    }
    char *text = cJSON_PrintUnformatted(request);
    snprintf(p, sizeof p, "%s/request.json", root);
    if (!text || write_text(p, text) < 0) { free(text); snprintf(err, n, "cannot write %s", p); goto out; }
    free(text);
    rc = 0;
out:
    if (rc < 0) (void)srv_remove_tree(root);
    free(root);
    return rc;
}

cJSON *sk_load_request(const srv *s, const char *sid)
{
    char *root = sk_root(s, sid);
    if (!root) return NULL;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/request.json", root);
    free(root);
    FILE *f = fopen(p, "re");
    if (!f) return NULL;
    char *buf = malloc(1u << 20);
    size_t len = buf ? fread(buf, 1, (1u << 20) - 1, f) : 0;
    fclose(f);
    cJSON *j = buf ? cJSON_ParseWithLength(buf, len) : NULL;
    free(buf);
    return j;
}

void sk_remove(const srv *s, const char *sid)
{
    char *root = sk_root(s, sid);
    if (root) (void)srv_remove_tree(root);
    free(root);
}
