/*
 * fs_path.h — confined path resolution for the fs endpoints (prefix fsp_).
 *
 * Two layers:
 *   1. fsp_resolve (pure, no system calls): turns a request path into a
 *      clean path relative to the fs root — no empty, "." or ".."
 *      components — or says why it cannot (it leaves the root).  ".." is
 *      resolved lexically.
 *   2. fsp_open & co.: open such a relative path beneath a descriptor of the
 *      root.  With openat2(2) (checked once at run time) the kernel enforces
 *      RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS, so symlinks may be followed
 *      only while they stay inside the root (absolute symlink targets are
 *      refused too).  Without openat2 the path is walked one component at a
 *      time with openat(O_NOFOLLOW) and every symlink is refused.  Either way
 *      the check and the use are the same system call: no TOCTOU window.
 *
 * Errors are negative errno values: -EXDEV = a symlink or ".." led outside
 * the root; -ELOOP = a symlink that may not be followed; others as open(2).
 *
 * Ownership: fsp_resolve's *rel_out and fsp_abs's result are malloc'd, the
 * caller frees; an fsp_root owns its descriptor and path (fsp_root_close);
 * returned descriptors belong to the caller.
 */
#ifndef SA_FS_PATH_H
#define SA_FS_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#define FSP_PATH_MAX 4096

typedef enum { FSP_OK = 0, FSP_ESCAPE, FSP_INVALID } fsp_status;

/* root_abs: the root's canonical absolute path ("/" allowed).  base_rel: the
 * directory relative paths start from, relative to the root ("" = root).
 * input: the client's path; absolute paths must lie inside root_abs.
 * On FSP_OK *rel_out = "a/b/c" ("" for the root itself).  *why is a static
 * explanation on failure. */
fsp_status fsp_resolve(const char *root_abs, const char *base_rel, const char *input,
                       char **rel_out, const char **why);

typedef struct fsp_root {
    int   fd;      /* O_PATH|O_DIRECTORY descriptor of the root */
    char *abs;     /* its canonical absolute path */
} fsp_root;

/* Open the root (realpath + open).  0 or -errno. */
int  fsp_root_open(fsp_root *r, const char *root);
void fsp_root_close(fsp_root *r);

/* True when openat2 with RESOLVE_BENEATH works here (probed once).
 * fsp_force_fallback(true) disables it (tests); so does SA_FS_NO_OPENAT2=1. */
bool fsp_have_openat2(void);
void fsp_force_fallback(bool on);

/* Open rel beneath the root with open(2) flags (O_CLOEXEC is added).
 * Returns a descriptor or -errno. */
int fsp_open(const fsp_root *r, const char *rel, int flags, mode_t mode);
/* Open rel's parent directory (O_PATH) and point *name at rel's last
 * component (inside rel).  rel must not be "" (the root has no parent here):
 * then -EINVAL. */
int fsp_open_parent(const fsp_root *r, const char *rel, const char **name);
/* mkdir -p rel beneath the root (mode 0755).  0 or -errno (-ENOTDIR when a
 * component exists and is not a directory). */
int fsp_mkdirs(const fsp_root *r, const char *rel);
/* Remove name in dirfd and, if it is a directory, everything below it,
 * never following symlinks (they are removed as links).  0 or -errno. */
int fsp_remove_tree(int dirfd, const char *name);
/* root_abs joined with rel. */
char *fsp_abs(const fsp_root *r, const char *rel);

#endif
