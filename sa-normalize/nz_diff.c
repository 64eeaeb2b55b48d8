/*
 * nz_diff.c — sa-normalize --diff-dir DIR --work-tree W: before each
 * turn.ended, a status item session.diff with what that turn changed in W
 * (sa-events(7) SESSION DIFF).  At start nz_diff_init makes DIR's private
 * repository and, the first time, the session's base snapshot
 * (lib/sa_diff.c); each turn end snapshots W, compares it with DIR/turn
 * (the previous turn end's snapshot, or the base) and moves DIR/turn on.
 * The item: a status part {label "session.diff", detail "N files changed,
 * +A -D"}, a json part {"files": [{path, action, additions, deletions}],
 * "truncated": bool} and one file_ref part per file (action write for an
 * added file, patch otherwise; diff = that file's unified diff, null for
 * binary and big files).  A failure (git missing, timeout) is a status
 * item session.diff whose detail says why, with no files.
 * Ownership: nz_diff keeps copies of the two paths; the hook returns a new
 * item that nz_state frees.
 */
#include "nz_diff.h"
#include "nz_int.h"
#include "sa.h"
#include "sa_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nz_diff { char *dir, *work; bool ok; char why[512]; };

nz_diff *nz_diff_init(const char *dir, const char *work)
{
    nz_diff *d = calloc(1, sizeof *d);
    if (!d) sa_diex(1, "out of memory");
    d->dir = strdup(dir);
    d->work = strdup(work);
    if (!d->dir || !d->work) sa_diex(1, "out of memory");
    d->ok = sa_diff_init(dir, work, d->why, sizeof d->why) == 0;
    if (!d->ok) sa_warnx("--diff-dir %s: %s", dir, d->why);
    return d;
}

void nz_diff_free(nz_diff *d)
{
    if (!d) return;
    free(d->dir);
    free(d->work);
    free(d);
}

static cJSON *status_item(const char *detail)
{
    return nz_status_item("session.diff", detail, NULL, NULL);
}

cJSON *nz_diff_turn(void *ctx)
{
    nz_diff *d = ctx;
    char err[512], from[41], to[41];
    if (!d->ok) {
        char msg[600];
        snprintf(msg, sizeof msg, "unavailable: no snapshot of the session's start: %s", d->why);
        return status_item(msg);
    }
    if (sa_diff_read(d->dir, "turn", from) < 0 && sa_diff_read(d->dir, "base", from) < 0)
        return status_item("unavailable: no snapshot of the session's start");
    if (sa_diff_snapshot(d->dir, d->work, "normalize", to, err, sizeof err) < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "unavailable: %s", err);
        return status_item(msg);
    }
    cJSON *doc = sa_diff_files(d->dir, from, to, true, err, sizeof err);
    if (!doc) {
        char msg[600];
        snprintf(msg, sizeof msg, "unavailable: %s", err);
        return status_item(msg);
    }
    if (sa_diff_write(d->dir, "turn", to) < 0) sa_warn("cannot write %s/turn", d->dir);
    cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files"), *f;
    double add = 0, del = 0;
    cJSON *list = cJSON_CreateArray(), *refs = cJSON_CreateArray();
    cJSON_ArrayForEach(f, files) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(f, "additions"), *r = cJSON_GetObjectItemCaseSensitive(f, "deletions");
        if (cJSON_IsNumber(a)) add += a->valuedouble;
        if (cJSON_IsNumber(r)) del += r->valuedouble;
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "path"));
        const char *act = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "action"));
        const cJSON *diff = cJSON_GetObjectItemCaseSensitive(f, "diff");
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddStringToObject(ref, "type", "file_ref");
        cJSON_AddStringToObject(ref, "path", path);
        cJSON_AddStringToObject(ref, "action", !strcmp(act, "added") ? "write" : "patch");
        if (cJSON_IsString(diff)) cJSON_AddStringToObject(ref, "diff", diff->valuestring);
        else cJSON_AddNullToObject(ref, "diff");
        cJSON_AddItemToArray(refs, ref);
        cJSON_DeleteItemFromObjectCaseSensitive(f, "diff");
        cJSON_AddItemToArray(list, cJSON_Duplicate(f, 1));
    }
    char detail[128];
    snprintf(detail, sizeof detail, "%d files changed, +%.0f -%.0f", cJSON_GetArraySize(files), add, del);
    cJSON *item = status_item(detail), *content = cJSON_GetObjectItemCaseSensitive(item, "content");
    cJSON *jp = cJSON_CreateObject(), *j = cJSON_CreateObject();
    cJSON_AddStringToObject(jp, "type", "json");
    cJSON_AddItemToObject(j, "files", list);
    cJSON_AddBoolToObject(j, "truncated", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "truncated")));
    cJSON_AddItemToObject(jp, "json", j);
    cJSON_AddItemToArray(content, jp);
    cJSON *r;
    while ((r = cJSON_DetachItemFromArray(refs, 0))) cJSON_AddItemToArray(content, r);
    cJSON_Delete(refs);
    cJSON_Delete(doc);
    return item;
}
