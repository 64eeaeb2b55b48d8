/*
 * fs_upload.c — POST /v1/fs/upload-batch: extract a plain tar body below a
 * directory inside the fs root.
 *
 * Two passes over the archive (tar.c reads it in place, bounded by the body):
 * the first checks every entry — archive well-formed, only regular files and
 * directories, names neither absolute nor containing ".." — so a bad archive
 * is refused before anything is written (403 permission_denied for links and
 * escaping names, 400 for a malformed archive or an unsupported entry type);
 * the second extracts.  Files are opened beneath the root like every other
 * fs write, so an existing symlink inside the tree that points outside is
 * refused too (extraction stops there; what was written before stays).
 * Reply {paths, truncated}: the absolute paths extracted, at most 1024.
 */
#include "fs_int.h"
#include "http.h"
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LISTED 1024

static void deny_entry(fs_req *f, const char *name, const char *why)
{
    char msg[TAR_NAME_MAX + 200], detail[TAR_NAME_MAX + 240];
    snprintf(msg, sizeof msg, "tar entry %s: %s", name, why);
    snprintf(detail, sizeof detail, "permission denied: %s", msg);
    cJSON *ext = cJSON_CreateObject(), *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "message", msg);
    cJSON_AddItemToObject(ext, "details", d);
    http_problem(f->req, HTTP_ERR_PERMISSION_DENIED, 0, detail, ext);
}

/* Pass 1.  true = every entry is acceptable; else a reply was sent. */
static bool check_archive(fs_req *f, const char *base, const char *body, size_t len)
{
    tar_reader *r = malloc(sizeof *r);
    if (!r) { http_problemf(f->req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory"); return false; }
    tar_init(r, body, len);
    tar_entry e;
    int rc;
    bool ok = true;
    while (ok && (rc = tar_next(r, &e)) == 1) {
        const char *why;
        if (e.kind == TAR_SYMLINK) { deny_entry(f, e.name, "symlinks are not extracted"); ok = false; }
        else if (e.kind == TAR_HARDLINK) { deny_entry(f, e.name, "hard links are not extracted"); ok = false; }
        else if (e.kind == TAR_OTHER) {
            http_problemf(f->req, HTTP_ERR_INVALID_REQUEST,
                          "invalid request: tar entry %.1024s: unsupported entry type '%c'",
                          e.name, e.typeflag >= 32 && e.typeflag < 127 ? e.typeflag : '?');
            ok = false;
        } else if (!tar_name_safe(e.name, &why)) { deny_entry(f, e.name, why); ok = false; }
        else {
            char *rel = NULL;
            if (fsp_resolve(f->root.abs, base, e.name, &rel, &why) == FSP_OK && !fs_guard(f, rel, false))
                ok = false;                       /* a protected path: refused before anything is written */
            free(rel);
        }
    }
    if (ok && rc < 0) {
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: invalid tar archive: %s", r->err);
        ok = false;
    }
    free(r);
    return ok;
}

static int write_file(fs_req *f, const char *rel, const tar_entry *e)
{
    const char *slash = strrchr(rel, '/');
    if (slash) {
        char *parent = strndup(rel, (size_t)(slash - rel));
        if (!parent) return -ENOMEM;
        int rc = fsp_mkdirs(&f->root, parent);
        free(parent);
        if (rc < 0) return rc;
    }
    mode_t mode = (e->mode & 0777) ? ((e->mode & 0777) | 0600) : 0644;
    int fd = fsp_open(&f->root, rel, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, mode);
    if (fd < 0) return fd;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) rc = -errno;
    else if (!S_ISREG(st.st_mode)) rc = -EISDIR;
    else if (ftruncate(fd, 0) < 0) rc = -errno;
    else rc = fs_write_all(fd, e->data, (size_t)e->size);
    if (close(fd) < 0 && rc == 0) rc = -errno;
    return rc;
}

void fs_upload_batch(fs_req *f)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(f->req);
    const char *ct = evhttp_find_header(in, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-tar", 17)) {
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST,
                      "invalid request: content-type must be application/x-tar");
        return;
    }
    const char *p = http_query_get(&f->q, "path", NULL);
    char *base = NULL;
    if (!fs_resolve(f, p ? p : ".", &base)) return;
    size_t len;
    char *body = http_body(f->req, f->cfg->max_body, &len);
    if (!body) { free(base); return; }
    tar_reader *r = NULL;
    cJSON *paths = NULL;
    if (!check_archive(f, base, body, len)) goto out;

    int rc = fsp_mkdirs(&f->root, base);
    if (rc < 0) { fs_send_errno(f, rc, base); goto out; }
    r = malloc(sizeof *r);
    paths = cJSON_CreateArray();
    if (!r || !paths) { http_problemf(f->req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory"); goto out; }
    tar_init(r, body, len);
    tar_entry e;
    size_t count = 0;
    bool sent = false;
    while ((rc = tar_next(r, &e)) == 1) {
        char *rel = NULL;
        const char *why;
        if (fsp_resolve(f->root.abs, base, e.name, &rel, &why) != FSP_OK) {
            deny_entry(f, e.name, why);
            sent = true;
            break;
        }
        int err = e.kind == TAR_DIR ? fsp_mkdirs(&f->root, rel) : write_file(f, rel, &e);
        if (err < 0) {
            fs_send_errno(f, err, rel);
            free(rel);
            sent = true;
            break;
        }
        if (count++ < MAX_LISTED) {
            char *abs = fsp_abs(&f->root, rel);
            cJSON_AddItemToArray(paths, cJSON_CreateString(abs ? abs : ""));
            free(abs);
        }
        free(rel);
    }
    if (!sent && rc < 0) {        /* cannot happen after pass 1, but never reply twice or not at all */
        http_problemf(f->req, HTTP_ERR_INVALID_REQUEST, "invalid request: invalid tar archive: %s", r->err);
    } else if (!sent) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "paths", paths);
        cJSON_AddBoolToObject(o, "truncated", count > MAX_LISTED);
        paths = NULL;
        http_json(f->req, 200, o);
    }
out:
    cJSON_Delete(paths);
    free(r);
    free(body);
    free(base);
}
