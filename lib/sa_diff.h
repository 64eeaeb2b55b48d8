/*
 * sa_diff.h — what a session changed in its working directory, computed by
 * sa itself (sa-events(7) SESSION DIFF): git(1) with a private repository
 * DIR/git (GIT_DIR) and the session directory as its work tree, so the
 * user's files and the user's own .git are only read.  Snapshots are trees
 * written from a private index (.git directories and ignored files are
 * skipped, as git does); a comparison of two trees is a list of files
 * {path, action added|modified|deleted, additions, deletions, diff}.
 *
 * Limits: every git run is killed after SA_DIFF_TIMEOUT_MS; its output is
 * read up to SA_DIFF_OUT_MAX bytes (more: the result is marked truncated);
 * files over SA_DIFF_BIG are treated as binary (listed, additions and
 * deletions null, not diffed: git's core.bigFileThreshold); at most
 * SA_DIFF_FILES files are listed; a tree with more than SA_DIFF_MAX_FILES
 * files that are not ignored, or whose walk takes over SA_DIFF_WALK_MS,
 * gets no snapshot (an error).  sa's state
 * directory (DIR's parent) is left out when it lies inside the tree.  The
 * snapshot keeps a compressed copy of the tree's files in DIR/git.
 *
 * Files in DIR: git (the repository), base (the tree at session start),
 * turn (the tree at the last turn end); index.NAME per caller, so two
 * processes never share an index.
 * Ownership: returned cJSON values and strings are the caller's.
 */
#ifndef SA_DIFF_H
#define SA_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>

#define SA_DIFF_TIMEOUT_MS 20000
#define SA_DIFF_OUT_MAX    (8u << 20)
#define SA_DIFF_BIG        "1m"
#define SA_DIFF_FILES      1000
#define SA_DIFF_MAX_FILES  20000
#define SA_DIFF_WALK_MS    5000

/* Create DIR/git if needed and, when DIR/base does not exist yet, snapshot
 * WORK into it (and into DIR/turn).  0 ok, -1 with err. */
int sa_diff_init(const char *dir, const char *work, char *err, size_t n);
/* Snapshot WORK now (index DIR/index.NAME): the tree id in tree[41]. */
int sa_diff_snapshot(const char *dir, const char *work, const char *name, char tree[41], char *err, size_t n);
/* Read DIR/WHICH ("base" or "turn") into tree[41]; -1 when missing. */
int sa_diff_read(const char *dir, const char *which, char tree[41]);
/* Write tree into DIR/WHICH (atomically). */
int sa_diff_write(const char *dir, const char *which, const char *tree);
/* The files that differ from tree FROM to tree TO: {"files":[{path, action,
 * additions, deletions[, diff]}], "truncated": bool}; with_diffs adds each
 * file's unified diff (null for binary and big files).  NULL with err. */
cJSON *sa_diff_files(const char *dir, const char *from, const char *to, bool with_diffs, char *err, size_t n);
/* The unified diff from FROM to TO (NUL-terminated, *len set); NULL with err. */
char *sa_diff_unified(const char *dir, const char *from, const char *to, size_t *len, bool *truncated,
                      char *err, size_t n);

#endif
