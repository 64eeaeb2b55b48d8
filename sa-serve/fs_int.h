/*
 * fs_int.h — internals shared by fs.c (routing, simple endpoints) and
 * fs_upload.c (upload-batch).  Not for use outside the fs module.
 *
 * Ownership: an fs_req owns its root descriptor, base path and parsed query;
 * fs_route creates and frees it around one handler call.
 */
#ifndef SA_FS_INT_H
#define SA_FS_INT_H

#include <stdbool.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "fs.h"
#include "fs_path.h"

typedef struct fs_req {
    struct evhttp_request *req;
    const fs_config *cfg;
    fsp_root root;
    char *base_rel;            /* session directory relative to the root ("" = root) */
    struct evkeyvalq q;
} fs_req;

/* Resolve a client path against the request's base.  On failure a 403/400
 * has been sent and false is returned; on success *rel is malloc'd. */
bool fs_resolve(fs_req *f, const char *input, char **rel);
/* The protected paths (fs_config.protect): false, after a 403, when rel
 * (symlinks in the existing part resolved) is or lies inside one, or, with
 * whole_tree, holds one. */
bool fs_guard(fs_req *f, const char *rel, bool whole_tree);
/* The same for an opened descriptor (its real path from /proc/self/fd), so a
 * symlink changed after fs_guard cannot reach a protected file. */
bool fs_guard_fd(fs_req *f, int fd);
/* Send the problem for a negative errno from an operation on rel. */
void fs_send_errno(fs_req *f, int neg_errno, const char *rel);
/* Write all of buf to fd; 0 or -errno. */
int  fs_write_all(int fd, const void *buf, size_t len);

void fs_upload_batch(fs_req *f);

#endif
