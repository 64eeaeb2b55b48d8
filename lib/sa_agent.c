/*
 * sa_agent.c — loading and querying agent descriptions (sa_agent.h says
 * what a description holds).  A description is read whole (bounded by
 * SA_AGENT_DESC_MAX), parsed with cJSON and checked for the members every
 * tool relies on; accessors read the parsed document directly.
 */
#include "sa_agent.h"
#include "sa.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Drop "." and "D/.." from an absolute path in place (for a path that does
 * not exist, so realpath cannot): /a/bin/../x -> /a/x.  The result is
 * never longer than the input. */
static void lex_clean(char *p)
{
    if (p[0] != '/') return;
    char *src = strdup(p), *save = NULL;
    if (!src) return;
    size_t w = 0;
    p[0] = '\0';
    for (char *seg = strtok_r(src, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (!strcmp(seg, ".")) continue;
        if (!strcmp(seg, "..")) {
            char *sl = strrchr(p, '/');
            if (sl) *sl = '\0';
            w = strlen(p);
            continue;
        }
        p[w++] = '/';
        size_t n = strlen(seg);
        memcpy(p + w, seg, n + 1);
        w += n;
    }
    if (!p[0]) { p[0] = '/'; p[1] = '\0'; }
    free(src);
}

size_t sa_agent_dir_candidates(const char *dir_opt, char *out[SA_AGENT_DIRS_MAX])
{
    size_t k = 0;
    const char *env = getenv("SA_AGENTS_DIR");
    if (dir_opt && *dir_opt) { if ((out[k] = strdup(dir_opt))) k++; return k; }
    if (env && *env) { if ((out[k] = strdup(env))) k++; return k; }
    char *exe = sa_exe_dir();
    static const char *const rel[] = { "/../share/sa/agents", "/../sa-normalize/agents",
                                       "/../../../sa-normalize/agents" };
    _Static_assert(sizeof rel / sizeof rel[0] <= SA_AGENT_DIRS_MAX, "SA_AGENT_DIRS_MAX");
    for (size_t i = 0; exe && i < sizeof rel / sizeof rel[0]; i++) {
        size_t n = strlen(exe) + strlen(rel[i]) + 1;
        char *d = malloc(n);
        if (!d) break;
        snprintf(d, n, "%s%s", exe, rel[i]);
        char *r = realpath(d, NULL);        /* shown in messages: no "bin/../" */
        if (r) { free(d); d = r; }
        else lex_clean(d);
        bool dup = false;
        for (size_t j = 0; j < k; j++) dup |= strcmp(out[j], d) == 0;
        if (dup) free(d);
        else out[k++] = d;
    }
    free(exe);
    return k;
}

char *sa_agent_dir(const char *dir_opt)
{
    char *c[SA_AGENT_DIRS_MAX], *found = NULL;
    size_t n = sa_agent_dir_candidates(dir_opt, c);
    bool given = (dir_opt && *dir_opt) || (getenv("SA_AGENTS_DIR") && *getenv("SA_AGENTS_DIR"));
    for (size_t i = 0; i < n; i++) {
        if (!found && (given || is_dir(c[i]))) found = c[i];
        else free(c[i]);
    }
    return found;
}

char *sa_agent_dir_searched(const char *dir_opt, const char *file)
{
    char *c[SA_AGENT_DIRS_MAX];
    size_t n = sa_agent_dir_candidates(dir_opt, c);
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(c[i]) + (file ? strlen(file) + 1 : 0) + 2;
    char *s = malloc(len);
    if (s) {
        size_t off = 0;
        s[0] = '\0';
        for (size_t i = 0; i < n; i++)
            off += (size_t)snprintf(s + off, len - off, "%s%s%s%s", i ? ", " : "", c[i], file ? "/" : "",
                                    file ? file : "");
    }
    for (size_t i = 0; i < n; i++) free(c[i]);
    return s;
}

static char *read_small(const char *path, size_t max, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return NULL; }
    size_t len = 0, cap = 4096;
    char *b = malloc(cap);
    for (;;) {
        if (!b) { close(fd); snprintf(err, errlen, "out of memory"); return NULL; }
        if (len + 1 >= cap) {
            if (cap > max) { free(b); close(fd); snprintf(err, errlen, "%s: larger than %zu bytes", path, max); return NULL; }
            char *nb = realloc(b, cap * 2);
            if (!nb) { free(b); b = NULL; continue; }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + len, cap - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); free(b); close(fd); return NULL; }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    b[len] = '\0';
    return b;
}

static const char *get_str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

int sa_agent_load(const char *dir, const char *name, sa_agent_desc *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (!name || !*name || strchr(name, '/') || name[0] == '.') {
        snprintf(err, errlen, "no such agent: %.200s", name ? name : "");
        return -1;
    }
    if (!dir) {
        char *where = sa_agent_dir_searched(NULL, NULL);
        snprintf(err, errlen, "no agents directory (looked for %.3000s; set --agents-dir or SA_AGENTS_DIR)",
                 where && *where ? where : "none beside the executable");
        free(where);
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    if (access(path, F_OK) != 0) { snprintf(err, errlen, "no such agent: %.200s (no %.3000s)", name, path); return -1; }
    char *text = read_small(path, SA_AGENT_DESC_MAX, err, errlen);
    if (!text) return -1;
    cJSON *doc = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        snprintf(err, errlen, "%.3000s: not a JSON object", path);
        return -1;
    }
    static const char *const req_str[] = { "id", "name", "protocol", "bin" };
    for (size_t i = 0; i < sizeof req_str / sizeof req_str[0]; i++)
        if (!get_str(doc, req_str[i]) || !*get_str(doc, req_str[i])) {
            snprintf(err, errlen, "%.3000s: missing string \"%s\"", path, req_str[i]);
            cJSON_Delete(doc);
            return -1;
        }
    if (strcmp(get_str(doc, "id"), name) != 0) {
        snprintf(err, errlen, "%.3000s: \"id\" is %.100s, not the file name", path, get_str(doc, "id"));
        cJSON_Delete(doc);
        return -1;
    }
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(doc, "capabilities");
    const cJSON *am = cJSON_GetObjectItemCaseSensitive(doc, "agent_modes");
    const cJSON *pm = cJSON_GetObjectItemCaseSensitive(doc, "permission_modes");
    if (!cJSON_IsObject(caps) || !cJSON_IsArray(am) || !cJSON_IsArray(pm) || cJSON_GetArraySize(am) == 0 ||
        cJSON_GetArraySize(pm) == 0) {
        snprintf(err, errlen, "%.3000s: needs \"capabilities\" (object), \"agent_modes\" and \"permission_modes\" (non-empty arrays)", path);
        cJSON_Delete(doc);
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, am) if (!get_str(e, "id")) {
        snprintf(err, errlen, "%.3000s: every agent_modes entry needs an \"id\"", path);
        cJSON_Delete(doc);
        return -1;
    }
    cJSON_ArrayForEach(e, pm) if (!cJSON_IsString(e)) {
        snprintf(err, errlen, "%.3000s: permission_modes must be strings", path);
        cJSON_Delete(doc);
        return -1;
    }
    d->doc = doc;
    d->id = get_str(doc, "id");
    d->name = get_str(doc, "name");
    d->protocol = get_str(doc, "protocol");
    d->bin = get_str(doc, "bin");
    d->beside_self = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "beside_self"));
    d->native_resume = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "native_resume"));
    const cJSON *ord = cJSON_GetObjectItemCaseSensitive(doc, "order");
    d->order = cJSON_IsNumber(ord) ? ord->valuedouble : 1000;
    d->capabilities = caps;
    d->agent_modes = am;
    d->perm_modes = pm;
    return 0;
}

void sa_agent_free(sa_agent_desc *d)
{
    if (!d) return;
    cJSON_Delete(d->doc);
    memset(d, 0, sizeof *d);
}

static int cmp_desc(const void *a, const void *b)
{
    const sa_agent_desc *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return strcmp(x->id, y->id);
}

size_t sa_agent_load_all(const char *dir, sa_agent_desc **out)
{
    *out = NULL;
    DIR *dp = dir ? opendir(dir) : NULL;
    if (!dp) return 0;
    sa_agent_desc *v = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || de->d_name[0] == '.' || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        char name[256];
        if (l - 5 >= sizeof name) continue;
        memcpy(name, de->d_name, l - 5);
        name[l - 5] = '\0';
        sa_agent_desc d;
        char err[512];
        if (sa_agent_load(dir, name, &d, err, sizeof err) < 0) { sa_warnx("agent description: %s", err); continue; }
        sa_agent_desc *nv = realloc(v, (n + 1) * sizeof *v);
        if (!nv) { sa_agent_free(&d); break; }
        v = nv;
        v[n++] = d;
    }
    closedir(dp);
    if (n) qsort(v, n, sizeof *v, cmp_desc);
    *out = v;
    return n;
}

void sa_agent_free_all(sa_agent_desc *v, size_t n)
{
    for (size_t i = 0; i < n; i++) sa_agent_free(&v[i]);
    free(v);
}

char *sa_agent_names(const char *dir)
{
    sa_agent_desc *v;
    size_t n = sa_agent_load_all(dir, &v);
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(v[i].id) + 2;
    char *s = malloc(len < 8 ? 8 : len);
    if (!s) { sa_agent_free_all(v, n); return NULL; }
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(s, ", ");
        strcat(s, v[i].id);
    }
    if (n == 0) strcpy(s, "(none)");
    sa_agent_free_all(v, n);
    return s;
}

const cJSON *sa_agent_get(const sa_agent_desc *d, const char *path)
{
    const cJSON *o = d ? d->doc : NULL;
    char key[128];
    while (o && path && *path) {
        const char *dot = strchr(path, '.');
        size_t l = dot ? (size_t)(dot - path) : strlen(path);
        if (l >= sizeof key) return NULL;
        memcpy(key, path, l);
        key[l] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path = dot ? dot + 1 : NULL;
    }
    return o;
}

bool sa_agent_flag(const sa_agent_desc *d, const char *path, bool def)
{
    const cJSON *v = sa_agent_get(d, path);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

const char *sa_agent_str(const sa_agent_desc *d, const char *key)
{
    return cJSON_GetStringValue(sa_agent_get(d, key));
}

bool sa_agent_has_mode(const sa_agent_desc *d, const char *mode)
{
    const cJSON *e;
    if (mode && *mode && sa_agent_flag(d, "any_agent_mode", false)) {
        /* any name the agent may define itself (opencode's agents) */
        size_t n = strspn(mode, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
        return n == strlen(mode) && n <= 100;
    }
    cJSON_ArrayForEach(e, d->agent_modes) {
        const char *id = get_str(e, "id");
        if (id && mode && strcmp(id, mode) == 0) return true;
    }
    return false;
}

const char *sa_agent_perm_mode(const sa_agent_desc *d, const char *pm)
{
    if (!pm) return NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, d->perm_modes)
        if (strcmp(e->valuestring, pm) == 0) return e->valuestring;
    const char *alias = get_str(cJSON_GetObjectItemCaseSensitive(d->doc, "permission_mode_aliases"), pm);
    if (alias) {
        cJSON_ArrayForEach(e, d->perm_modes)
            if (strcmp(e->valuestring, alias) == 0) return e->valuestring;
    }
    return NULL;
}

void sa_agent_join(const cJSON *arr, const char *key, char *buf, size_t size)
{
    size_t off = 0;
    if (size) buf[0] = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        const char *s = key ? get_str(e, key) : cJSON_GetStringValue(e);
        if (!s) continue;
        int w = snprintf(buf + off, off < size ? size - off : 0, "%s%s", off ? "|" : "", s);
        if (w < 0 || off + (size_t)w >= size) break;
        off += (size_t)w;
    }
}

/* A credentials file counts when it is readable and holds more than an
 * empty JSON object: agents create "{}" files on any run (pi's auth.json). */
static bool file_has_content(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n{}", buf[i])) return true;
    return false;
}

bool sa_agent_credentials(const sa_agent_desc *d)
{
    const cJSON *c = sa_agent_get(d, "credentials");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "env");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(c, "files");
    if (cJSON_GetArraySize(env) == 0 && cJSON_GetArraySize(files) == 0) return true;
    const cJSON *e;
    cJSON_ArrayForEach(e, env) {
        const char *v = cJSON_IsString(e) ? getenv(e->valuestring) : NULL;
        if (v && *v) return true;
    }
    const char *home = getenv("HOME");
    cJSON_ArrayForEach(e, files) {
        if (!cJSON_IsString(e) || !home) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", home, e->valuestring);
        if (file_has_content(p)) return true;
    }
    return false;
}
