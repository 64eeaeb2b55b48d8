/*
 * diff.c — what a session changed in its working directory since it
 * started (extension; sa-events(7) SESSION DIFF): GET
 * /v1/sessions/{id}/diff answers the unified diff (text/plain), and
 * ?format=files {"files":[{path, action, additions, deletions}],
 * "truncated": bool}.  The snapshots are sa's own (lib/sa_diff.c): a
 * private git repository in <state dir>/diff-<16 hex digits of the id's
 * FNV-1a hash>, the session directory its work tree.  The base snapshot
 * is taken by the session's first sa-normalize when it starts
 * (--diff-dir, which also writes each turn's session.diff item), so
 * sa-serve's loop never waits for it; until it exists this endpoint
 * answers 502.  A request snapshots the directory again (its own index)
 * and compares it with the base.
 * The git runs are synchronous on sa-serve's loop, each bounded by
 * SA_DIFF_TIMEOUT_MS (lib/sa_diff.h), so a request on a huge tree holds
 * the loop at most that long per run.
 * DELETE /v1/sessions/{id} removes the directory (diff_remove).
 * Ownership: diff_dir's string is the caller's.
 */
#include "serve.h"
#include "http.h"
#include "sa_diff.h"

#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

char *diff_dir(const srv *s, const char *sid) { return srv_state_path(s, "diff", sid, ""); }

void diff_remove(const srv *s, const char *sid)
{
    char *dir = diff_dir(s, sid);
    if (dir) (void)srv_remove_tree(dir);
    free(dir);
}

void ses_diff_get(srv *s, struct evhttp_request *req, srv_session *ss)
{
    struct evkeyvalq q;
    http_query(req, &q);
    const char *fmt = evhttp_find_header(&q, "format");
    bool files = fmt && !strcmp(fmt, "files");
    if (fmt && !files && strcmp(fmt, "unified")) {
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: format must be unified or files");
        evhttp_clear_headers(&q);
        return;
    }
    evhttp_clear_headers(&q);
    char *dir = diff_dir(s, ss->id), base[41], now[41], err[512];
    if (!dir) { http_problemf(req, HTTP_ERR_STREAM_ERROR, "out of memory"); return; }
    if (sa_diff_read(dir, "base", base) < 0) {
        http_problemf(req, HTTP_ERR_STREAM_ERROR,
                      "diff unavailable: no snapshot of the session's start (not taken yet, or it failed: "
                      "see the session's session.diff items)");
        free(dir);
        return;
    }
    if (sa_diff_snapshot(dir, pl_session_cwd(ss), "serve", now, err, sizeof err) < 0) {
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "diff unavailable: %s", err);
        free(dir);
        return;
    }
    if (files) {
        cJSON *doc = sa_diff_files(dir, base, now, false, err, sizeof err);
        if (doc) http_json(req, 200, doc);
        else http_problemf(req, HTTP_ERR_STREAM_ERROR, "diff unavailable: %s", err);
    } else {
        size_t len = 0;
        char *text = sa_diff_unified(dir, base, now, &len, NULL, err, sizeof err);
        if (text) http_text(req, 200, text);
        else http_problemf(req, HTTP_ERR_STREAM_ERROR, "diff unavailable: %s", err);
        free(text);
    }
    free(dir);
}
