/*
 * fs.h — the /v1/fs/...  endpoints of sandbox-agent v0.1.11 (entries, file
 * GET/PUT, entry DELETE, mkdir, move, stat, upload-batch), confined to one
 * directory tree, the fs root (sa-serve --fs-root).
 *
 * Confinement (an improvement over v0.1.11, which accepts any absolute path):
 *   - relative paths resolve against the session's directory when sessionId
 *     is given (404 session_not_found when the callback says it is unknown),
 *     else against the root;
 *   - absolute paths must lie (lexically) inside the root's real path;
 *   - a path whose `..` leaves the root, and a symlink anywhere in the path
 *     (the last component too, for reads and writes) that leads outside the
 *     root, is refused: 403 permission_denied, detail saying why;
 *   - every open goes through openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS)
 *     from a descriptor of the root, so there is no check-then-use race; on
 *     kernels without openat2 a component-by-component O_NOFOLLOW walk is
 *     used, which refuses every symlink (stricter).
 * Errors: missing file → 400 "path not found: X" (as v0.1.11); other I/O
 * errors → 502 stream_error; bodies over max_body → 413.
 *
 * Ownership: fs_route borrows everything; the string session_dir returns is
 * borrowed and must stay valid until the callback is called again or
 * fs_route returns.  fs_route always sends exactly one reply.
 */
#ifndef SA_FS_H
#define SA_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/http.h>

typedef struct fs_config {
    /* The fs root directory (need not be canonical).  NULL → every fs request
     * is refused with 403 "filesystem API disabled". */
    const char *root;
    /* Largest request body accepted (PUT file, upload-batch, move JSON). */
    size_t max_body;
    /* Session lookup: set *found; return the session's working directory
     * (absolute, or relative to the root) or NULL for "the root".  May be NULL
     * (then any sessionId is "not found"). */
    const char *(*session_dir)(const char *session_id, void *ctx, bool *found);
    void *ctx;
    /* Canonical absolute paths that are never served, whatever the root (the
     * store's files, the state directory), NULL-terminated; may be NULL.  A
     * path equal to or inside one is refused with 403; so is deleting or
     * moving a directory that holds one. */
    const char *const *protect;
} fs_config;

/* Handle one request.  `subpath` is the part of the URI path after "/v1/fs"
 * ("/entries", "/file", ...), without the query string.  Unknown subpaths get
 * the same 404 text/plain as any unknown route; a known subpath with the wrong
 * method gets 405. */
void fs_route(struct evhttp_request *req, const char *subpath, const fs_config *cfg);

#endif
