/*
 * fs.c — the /v1/fs/...  endpoints (routing and all but upload-batch, which
 * is in fs_upload.c); behaviour and confinement rules in fs.h.
 *
 * Every request: open the root (realpath + O_PATH descriptor), look up the
 * session's directory if sessionId is given, resolve each client path to a
 * root-relative path (fsp_resolve, lexical), then do the operation through
 * fs_path's beneath-the-root opens.  Name-level operations (mkdir, unlink,
 * rename, lstat) use the parent directory's descriptor and the last name, so
 * they never follow a final symlink; reads and writes open the full path
 * beneath the root, so a final symlink is followed only while it stays
 * inside.  Response shapes follow sandbox-agent v0.1.11 (FsEntry, FsStat,
 * {path,bytesWritten}, {path}, {from,to}).
 *
 * Protected paths: sa-serve's own files (the store and its state directory,
 * fs_config.protect) are refused (403) whatever the root: every resolved
 * path is checked (fs_guard, with the existing part of the path
 * canonicalized, so a symlink inside the root does not help), deleting or
 * moving a directory that holds one is refused, and the descriptors that
 * reads, writes, stat and listings open are checked again (fs_guard_fd).
 */
#include "fs_int.h"
#include "http.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>

/* ---- shared helpers ---- */

static void deny(fs_req *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void deny(fs_req *f, const char *fmt, ...)
{
    char why[1024], detail[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(detail, sizeof detail, "permission denied: %s", why);
    cJSON *ext = cJSON_CreateObject(), *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "message", why);
    cJSON_AddItemToObject(ext, "details", d);
    http_problem(f->req, HTTP_ERR_PERMISSION_DENIED, 0, detail, ext);
}

static void stream_error(fs_req *f, const char *msg)
{
    char detail[1100];
    snprintf(detail, sizeof detail, "stream error: %s", msg);
    cJSON *ext = cJSON_CreateObject(), *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "message", msg);
    cJSON_AddItemToObject(ext, "details", d);
    http_problem(f->req, HTTP_ERR_STREAM_ERROR, 0, detail, ext);
}

bool fs_resolve(fs_req *f, const char *input, char **rel)
{
    const char *why;
    fsp_status st = fsp_resolve(f->root.abs, f->base_rel, input, rel, &why);
    if (st == FSP_ESCAPE) {
        deny(f, "%s: %s", input, why);
        return false;
    }
    if (st != FSP_OK) {
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: %s", why);
        return false;
    }
    if (!fs_guard(f, *rel, false)) { free(*rel); *rel = NULL; return false; }
    return true;
}

/* ---- protected paths ---- */

/* c is p or lies inside p (both canonical absolute paths). */
static bool under(const char *c, const char *p)
{
    size_t n = strlen(p);
    if (n == 1 && p[0] == '/') return true;
    return !strncmp(c, p, n) && (c[n] == '\0' || c[n] == '/');
}

/* The canonical path of root-relative rel: realpath of its longest existing
 * prefix, then the rest as it is (rel is already clean: no "." or "..").
 * Caller frees; NULL when out of memory. */
static char *canon_rel(fs_req *f, const char *rel)
{
    char *abs = fsp_abs(&f->root, rel);
    if (!abs) return NULL;
    size_t cut = strlen(abs);
    for (;;) {
        char save = abs[cut];
        abs[cut] = '\0';
        char *r = realpath(cut ? abs : "/", NULL);
        abs[cut] = save;
        if (r) {
            const char *rest = abs + cut;
            size_t n = strlen(r) + strlen(rest) + 2;
            char *out = malloc(n);
            if (out) snprintf(out, n, "%s%s%s", r, *rest && *rest != '/' && strcmp(r, "/") ? "/" : "", rest);
            free(r);
            free(abs);
            return out;
        }
        if (cut == 0) return abs;                    /* cannot happen: "/" exists */
        while (cut > 0 && abs[--cut] != '/') {}     /* drop the last component */
    }
}

static bool refuse_protected(fs_req *f, const char *what)
{
    deny(f, "%s: sa-serve's own files (its store and state directory) are not served", what);
    return false;
}

bool fs_guard(fs_req *f, const char *rel, bool whole_tree)
{
    if (!f->cfg->protect || !*f->cfg->protect) return true;
    char *c = canon_rel(f, rel);
    if (!c) { stream_error(f, "out of memory"); return false; }
    bool ok = true;
    for (const char *const *p = f->cfg->protect; *p && ok; p++)
        if (under(c, *p) || (whole_tree && under(*p, c))) ok = false;
    if (!ok) {
        char *abs = fsp_abs(&f->root, rel);
        refuse_protected(f, abs ? abs : rel);
        free(abs);
    }
    free(c);
    return ok;
}

bool fs_guard_fd(fs_req *f, int fd)
{
    if (!f->cfg->protect || !*f->cfg->protect) return true;
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n < 0) return true;                      /* no /proc: fs_guard's check stands */
    real[n] = '\0';
    for (const char *const *p = f->cfg->protect; *p; p++)
        if (under(real, *p)) return refuse_protected(f, real);
    return true;
}

void fs_send_errno(fs_req *f, int e, const char *rel)
{
    char *abs = fsp_abs(&f->root, rel);
    const char *p = abs ? abs : rel;
    switch (-e) {
    case ENOENT:
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: path not found: %s", p);
        break;
    case ENOTDIR:
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: not a directory: %s", p);
        break;
    case EISDIR:
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: path is a directory: %s", p);
        break;
    case EEXIST:
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: destination already exists: %s", p);
        break;
    case ENAMETOOLONG:
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: name too long: %s", p);
        break;
    case EXDEV:
        deny(f, "%s: a symlink leads outside the fs root", p);
        break;
    case ELOOP:
        deny(f, "%s: symlink not followed%s", p,
             fsp_have_openat2() ? " (loop or magic link)" : " (openat2 unavailable: no symlinks allowed)");
        break;
    case EACCES: case EPERM: case EROFS:
        deny(f, "%s: %s", p, strerror(-e));
        break;
    default: {
        char msg[1100];
        snprintf(msg, sizeof msg, "%s: %s", p, strerror(-e));
        stream_error(f, msg);
    }
    }
    free(abs);
}

int fs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* chrono's to_rfc3339 form: "2025-01-01T00:00:00.123+00:00" (0/3/6/9 digits). */
static void rfc3339(const struct timespec *ts, char *buf, size_t size)
{
    struct tm tm;
    time_t t = ts->tv_sec;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    long ns = ts->tv_nsec;
    if (ns == 0) snprintf(buf + n, size - n, "+00:00");
    else if (ns % 1000000 == 0) snprintf(buf + n, size - n, ".%03ld+00:00", ns / 1000000);
    else if (ns % 1000 == 0) snprintf(buf + n, size - n, ".%06ld+00:00", ns / 1000);
    else snprintf(buf + n, size - n, ".%09ld+00:00", ns);
}

static void add_stat(cJSON *o, const struct stat *st)
{
    char t[64];
    cJSON_AddStringToObject(o, "entryType", S_ISDIR(st->st_mode) ? "directory" : "file");
    cJSON_AddNumberToObject(o, "size", (double)st->st_size);
    rfc3339(&st->st_mtim, t, sizeof t);
    cJSON_AddStringToObject(o, "modified", t);
}

static cJSON *path_obj(const char *key, const char *val)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, key, val ? val : "");
    return o;
}

/* Required `path` query parameter, resolved; false = reply sent. */
static bool query_path(fs_req *f, const char *dflt, char **rel)
{
    const char *p = http_query_get(&f->q, "path", NULL);
    if (!p) p = dflt;
    if (!p) {
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: missing query parameter: path");
        return false;
    }
    return fs_resolve(f, p, rel);
}

/* ---- endpoints ---- */

typedef struct { char *name; struct stat st; } dent;

static int dent_cmp(const void *a, const void *b)
{
    return strcmp(((const dent *)a)->name, ((const dent *)b)->name);
}

static void do_entries(fs_req *f)
{
    char *rel;
    if (!query_path(f, ".", &rel)) return;
    int fd = fsp_open(&f->root, rel, O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0 && !fs_guard_fd(f, fd)) { close(fd); free(rel); return; }
    if (fd < 0) {
        if (fd == -ENOTDIR) {
            char *abs = fsp_abs(&f->root, rel);
            http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: path is not a directory: %s", abs);
            free(abs);
        } else {
            fs_send_errno(f, fd, rel);
        }
        free(rel);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); fs_send_errno(f, -errno, rel); free(rel); return; }
    dent *v = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    struct dirent *de;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  /* vanished */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            dent *nv = realloc(v, nc * sizeof *nv);
            if (!nv) { err = -ENOMEM; break; }
            v = nv;
            cap = nc;
        }
        v[n].name = strdup(de->d_name);
        if (!v[n].name) { err = -ENOMEM; break; }
        v[n++].st = st;
    }
    if (!err && errno) err = -errno;
    closedir(d);
    if (err) {
        fs_send_errno(f, err, rel);
    } else {
        qsort(v, n, sizeof *v, dent_cmp);
        char *dir = fsp_abs(&f->root, rel);
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n && dir; i++) {
            cJSON *o = cJSON_CreateObject();
            size_t pl = strlen(dir) + strlen(v[i].name) + 2;
            char *p = malloc(pl);
            if (p) snprintf(p, pl, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", v[i].name);
            cJSON_AddStringToObject(o, "name", v[i].name);
            cJSON_AddStringToObject(o, "path", p ? p : "");
            add_stat(o, &v[i].st);
            cJSON_AddItemToArray(arr, o);
            free(p);
        }
        free(dir);
        http_json(f->req, 200, arr);
    }
    for (size_t i = 0; i < n; i++) free(v[i].name);
    free(v);
    free(rel);
}

static void do_stat(fs_req *f)
{
    char *rel;
    if (!query_path(f, NULL, &rel)) return;
    int fd = fsp_open(&f->root, rel, O_PATH, 0);
    struct stat st;
    if (fd >= 0 && !fs_guard_fd(f, fd)) {
        /* refused */
    } else if (fd < 0 || fstat(fd, &st) < 0) {
        fs_send_errno(f, fd < 0 ? fd : -errno, rel);
    } else {
        char *abs = fsp_abs(&f->root, rel);
        cJSON *o = path_obj("path", abs);
        add_stat(o, &st);
        free(abs);
        http_json(f->req, 200, o);
    }
    if (fd >= 0) close(fd);
    free(rel);
}

static void do_file_get(fs_req *f)
{
    char *rel;
    if (!query_path(f, NULL, &rel)) return;
    int fd = fsp_open(&f->root, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    struct stat st;
    if (fd >= 0 && !fs_guard_fd(f, fd)) { close(fd); free(rel); return; }
    if (fd < 0 || fstat(fd, &st) < 0) {
        fs_send_errno(f, fd < 0 ? fd : -errno, rel);
        if (fd >= 0) close(fd);
        free(rel);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        char *abs = fsp_abs(&f->root, rel);
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: path is not a file: %s", abs);
        free(abs);
        close(fd);
        free(rel);
        return;
    }
    struct evbuffer *b = evbuffer_new();
    int ok = b != NULL;
    if (ok && st.st_size > 0) ok = evbuffer_add_file(b, fd, 0, st.st_size) == 0;  /* takes fd */
    else close(fd);
    if (!ok) {
        if (b) evbuffer_free(b);
        stream_error(f, "cannot read file");
        free(rel);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(f->req);
    evhttp_add_header(h, "Content-Type", "application/octet-stream");
    evhttp_send_reply(f->req, 200, "OK", b);
    evbuffer_free(b);
    free(rel);
}

/* Create rel's parent directories (PUT, move). */
static int mkparents(fs_req *f, const char *rel)
{
    const char *slash = strrchr(rel, '/');
    if (!slash) return 0;
    char *parent = strndup(rel, (size_t)(slash - rel));
    if (!parent) return -ENOMEM;
    int rc = fsp_mkdirs(&f->root, parent);
    free(parent);
    return rc;
}

static void do_file_put(fs_req *f)
{
    char *rel;
    size_t len;
    if (!query_path(f, NULL, &rel)) return;
    char *body = http_body(f->req, f->cfg->max_body, &len);
    if (!body) { free(rel); return; }
    int rc = mkparents(f, rel), fd = -1;
    if (rc == 0) {
        fd = fsp_open(&f->root, rel, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, 0644);
        if (fd < 0) rc = fd;
    }
    if (rc == 0 && !fs_guard_fd(f, fd)) { close(fd); free(body); free(rel); return; }
    struct stat st;
    if (rc == 0 && fstat(fd, &st) < 0) rc = -errno;
    if (rc == 0 && !S_ISREG(st.st_mode)) rc = -EISDIR;   /* only regular files are written */
    if (rc == 0 && ftruncate(fd, 0) < 0) rc = -errno;
    if (rc == 0) rc = fs_write_all(fd, body, len);
    if (fd >= 0 && close(fd) < 0 && rc == 0) rc = -errno;
    free(body);
    if (rc < 0) {
        fs_send_errno(f, rc, rel);
    } else {
        char *abs = fsp_abs(&f->root, rel);
        cJSON *o = path_obj("path", abs);
        cJSON_AddNumberToObject(o, "bytesWritten", (double)len);
        free(abs);
        http_json(f->req, 200, o);
    }
    free(rel);
}


/* {path} for a finished delete/mkdir (rc 0), or the errno problem (rc < 0). */
static void reply_path(fs_req *f, int rc, const char *rel)
{
    if (rc < 0) {
        fs_send_errno(f, rc, rel);
        return;
    }
    char *abs = fsp_abs(&f->root, rel);
    http_json(f->req, 200, path_obj("path", abs));
    free(abs);
}
static void do_delete(fs_req *f)
{
    char *rel;
    if (!query_path(f, NULL, &rel)) return;
    if (!*rel) { deny(f, "refusing to delete the fs root"); free(rel); return; }
    if (!fs_guard(f, rel, true)) { free(rel); return; }
    bool recursive = http_query_bool(&f->q, "recursive", NULL);
    const char *name;
    int rc, dfd = fsp_open_parent(&f->root, rel, &name);
    struct stat st;
    if (dfd < 0) rc = dfd;
    else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) rc = -errno;
    else if (!S_ISDIR(st.st_mode)) rc = unlinkat(dfd, name, 0) == 0 ? 0 : -errno;
    else if (recursive) rc = fsp_remove_tree(dfd, name);
    else rc = unlinkat(dfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
    if (dfd >= 0) close(dfd);
    reply_path(f, rc, rel);
    free(rel);
}

static void do_mkdir(fs_req *f)
{
    char *rel;
    if (!query_path(f, NULL, &rel)) return;
    int rc = fsp_mkdirs(&f->root, rel);
    reply_path(f, rc, rel);
    free(rel);
}

static void do_move(fs_req *f)
{
    cJSON *j = http_body_json(f->req, f->cfg->max_body);
    if (!j) return;
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(j, "from");
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(j, "to");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(j, "overwrite");
    if (!cJSON_IsString(jf) || !cJSON_IsString(jt) || (jo && !cJSON_IsBool(jo) && !cJSON_IsNull(jo))) {
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST,
                      "invalid request: body must be {\"from\": string, \"to\": string, \"overwrite\"?: bool}");
        cJSON_Delete(j);
        return;
    }
    bool overwrite = cJSON_IsTrue(jo);
    char *from = NULL, *to = NULL;
    if (!fs_resolve(f, jf->valuestring, &from) || !fs_resolve(f, jt->valuestring, &to)) goto out;
    if (!*from || !*to) { deny(f, "refusing to move the fs root or onto it"); goto out; }
    if (!fs_guard(f, from, true) || !fs_guard(f, to, true)) goto out;
    const char *fname, *tname;
    int rc, ffd = fsp_open_parent(&f->root, from, &fname), tfd = -1;
    struct stat st;
    const char *errpath = from;
    if (ffd < 0) rc = ffd;
    else if (fstatat(ffd, fname, &st, AT_SYMLINK_NOFOLLOW) < 0) rc = -errno;
    else {
        errpath = to;
        rc = mkparents(f, to);
        if (rc == 0) rc = tfd = fsp_open_parent(&f->root, to, &tname);
        if (rc >= 0)
            rc = renameat2(ffd, fname, tfd, tname, overwrite ? 0 : RENAME_NOREPLACE) == 0 ? 0 : -errno;
        if (rc == -EINVAL && !overwrite) {   /* filesystem without RENAME_NOREPLACE */
            rc = fstatat(tfd, tname, &st, AT_SYMLINK_NOFOLLOW) == 0 ? -EEXIST
                 : renameat(ffd, fname, tfd, tname) == 0 ? 0 : -errno;
        }
    }
    if (ffd >= 0) close(ffd);
    if (tfd >= 0) close(tfd);
    if (rc < 0) {
        fs_send_errno(f, rc, errpath);
    } else {
        char *a = fsp_abs(&f->root, from), *b = fsp_abs(&f->root, to);
        cJSON *o = path_obj("from", a);
        cJSON_AddStringToObject(o, "to", b ? b : "");
        free(a);
        free(b);
        http_json(f->req, 200, o);
    }
out:
    free(from);
    free(to);
    cJSON_Delete(j);
}

/* ---- routing ---- */

static const struct {
    const char *path;
    enum evhttp_cmd_type method;
    void (*fn)(fs_req *);
} routes[] = {
    {"/entries", EVHTTP_REQ_GET, do_entries},
    {"/file", EVHTTP_REQ_GET, do_file_get},
    {"/file", EVHTTP_REQ_PUT, do_file_put},
    {"/entry", EVHTTP_REQ_DELETE, do_delete},
    {"/mkdir", EVHTTP_REQ_POST, do_mkdir},
    {"/move", EVHTTP_REQ_POST, do_move},
    {"/stat", EVHTTP_REQ_GET, do_stat},
    {"/upload-batch", EVHTTP_REQ_POST, fs_upload_batch},
};

/* Session directory → base relative to the root; false = reply sent. */
static bool session_base(fs_req *f, const char *sid)
{
    bool found = false;
    const char *dir = f->cfg->session_dir ? f->cfg->session_dir(sid, f->cfg->ctx, &found) : NULL;
    if (!found) {
        char detail[600];
        snprintf(detail, sizeof detail, "session not found: %.500s", sid);
        cJSON *ext = cJSON_CreateObject();
        cJSON_AddStringToObject(ext, "sessionId", sid);
        http_problem(f->req, HTTP_ERR_SESSION_NOT_FOUND, 0, detail, ext);
        return false;
    }
    if (!dir || !*dir) return true;
    char *real = dir[0] == '/' ? realpath(dir, NULL) : NULL;
    const char *why;
    char *rel = NULL;
    fsp_status st = fsp_resolve(f->root.abs, "", real ? real : dir, &rel, &why);
    free(real);
    if (st != FSP_OK) {
        deny(f, "the session's directory %s is outside the fs root", dir);
        return false;
    }
    free(f->base_rel);
    f->base_rel = rel;
    return true;
}

void fs_route(struct evhttp_request *req, const char *subpath, const fs_config *cfg)
{
    size_t i, n = sizeof routes / sizeof routes[0];
    bool path_known = false;
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    for (i = 0; i < n; i++) {
        if (strcmp(routes[i].path, subpath)) continue;
        path_known = true;
        if (routes[i].method == m) break;
    }
    if (i == n) {
        if (path_known) http_text(req, 405, "405 Method Not Allowed\n");
        else http_text(req, 404, "404 Not Found\n");
        return;
    }
    fs_req f;
    memset(&f, 0, sizeof f);
    f.req = req;
    f.cfg = cfg;
    f.root.fd = -1;
    http_query(req, &f.q);
    if (!cfg->root) {
        deny(&f, "filesystem API disabled (sa-serve was started without --fs-root)");
        goto done;
    }
    int rc = fsp_root_open(&f.root, cfg->root);
    if (rc < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "cannot open the fs root %.400s: %s", cfg->root, strerror(-rc));
        stream_error(&f, msg);
        goto done;
    }
    f.base_rel = strdup("");
    if (!f.base_rel) { stream_error(&f, "out of memory"); goto done; }
    const char *sid = http_query_get(&f.q, "sessionId", "session_id");
    if (sid && !session_base(&f, sid)) goto done;
    routes[i].fn(&f);
done:
    evhttp_clear_headers(&f.q);
    fsp_root_close(&f.root);
    free(f.base_rel);
}
