/*
 * fs_path.c — confined path resolution for the fs endpoints; see fs_path.h.
 *
 * fsp_resolve splits paths on '/', keeps a stack of components and checks
 * that ".." never pops below the root (relative paths) and that absolute
 * paths start with the root's components.  fsp_open uses openat2 with
 * RESOLVE_BENEATH when the kernel has it (probe: openat2 on "/" once; ENOSYS,
 * EPERM from a seccomp filter or E2BIG mean "no"), else a component walk
 * with openat(O_NOFOLLOW) that refuses every symlink.  fsp_remove_tree
 * descends with openat(O_NOFOLLOW|O_DIRECTORY) so a directory swapped for a
 * symlink mid-walk is an error, not a way out.
 */
#include "fs_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- pure lexical resolution ---- */

/* Room for root + base + input components (each string < FSP_PATH_MAX). */
#define MAX_COMPS (3 * FSP_PATH_MAX / 2 + 4)
typedef struct { const char *p[MAX_COMPS]; size_t l[MAX_COMPS]; size_t n; bool overflow; } comps;

/* Push the components of s; ".." pops down to `floor` (pops below it set
 * *escaped, or are ignored for absolute paths when floor == 0 && !strict). */
static void push_path(comps *c, const char *s, size_t floor, bool strict, bool *escaped)
{
    while (*s) {
        while (*s == '/') s++;
        if (!*s) break;
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 1 && s[0] == '.') {
            /* skip */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (c->n > floor) c->n--;
            else if (strict) *escaped = true;
        } else if (c->n < MAX_COMPS) {
            c->p[c->n] = s;
            c->l[c->n] = len;
            c->n++;
        } else {
            c->overflow = true;
        }
        s += len;
    }
}

fsp_status fsp_resolve(const char *root_abs, const char *base_rel, const char *input,
                       char **rel_out, const char **why)
{
    static comps root, full;   /* large: keep off the stack; event loop is single-threaded */
    *rel_out = NULL;
    *why = NULL;
    if (!input) input = "";
    if (!root_abs || root_abs[0] != '/') { *why = "the fs root is not an absolute path"; return FSP_INVALID; }
    if (strlen(input) >= FSP_PATH_MAX || (base_rel && strlen(base_rel) >= FSP_PATH_MAX)) {
        *why = "path too long";
        return FSP_INVALID;
    }
    root.n = 0;
    root.overflow = false;
    bool esc = false;
    push_path(&root, root_abs, 0, false, &esc);
    full.n = 0;
    full.overflow = false;
    if (input[0] == '/') {
        push_path(&full, input, 0, false, &esc);
        if (full.n < root.n) goto outside;
        for (size_t i = 0; i < root.n; i++)
            if (full.l[i] != root.l[i] || memcmp(full.p[i], root.p[i], root.l[i])) goto outside;
    } else {
        full = root;
        if (base_rel && *base_rel) {
            if (base_rel[0] == '/') { *why = "base directory must be relative to the fs root"; return FSP_INVALID; }
            push_path(&full, base_rel, root.n, true, &esc);
            if (esc) { *why = "the session directory is outside the fs root"; return FSP_ESCAPE; }
        }
        push_path(&full, input, root.n, true, &esc);
        if (esc) { *why = "'..' leads outside the fs root"; return FSP_ESCAPE; }
    }
    if (full.overflow) { *why = "path too long"; return FSP_INVALID; }
    size_t need = 1;
    for (size_t i = root.n; i < full.n; i++) need += full.l[i] + 1;
    char *out = malloc(need);
    if (!out) { *why = "out of memory"; return FSP_INVALID; }
    size_t o = 0;
    for (size_t i = root.n; i < full.n; i++) {
        if (o) out[o++] = '/';
        memcpy(out + o, full.p[i], full.l[i]);
        o += full.l[i];
    }
    out[o] = '\0';
    *rel_out = out;
    return FSP_OK;
outside:
    *why = "absolute path is outside the fs root";
    return FSP_ESCAPE;
}

/* ---- root ---- */

int fsp_root_open(fsp_root *r, const char *root)
{
    r->fd = -1;
    r->abs = realpath(root, NULL);
    if (!r->abs) return -errno;
    r->fd = open(r->abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->fd < 0) {
        int e = errno;
        free(r->abs);
        r->abs = NULL;
        return -e;
    }
    return 0;
}

void fsp_root_close(fsp_root *r)
{
    if (r->fd >= 0) close(r->fd);
    free(r->abs);
    r->fd = -1;
    r->abs = NULL;
}

char *fsp_abs(const fsp_root *r, const char *rel)
{
    size_t a = strlen(r->abs), b = strlen(rel);
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, r->abs, a);
    size_t o = a;
    if (b) {
        if (!(a == 1 && r->abs[0] == '/')) s[o++] = '/';
        memcpy(s + o, rel, b);
        o += b;
    }
    s[o] = '\0';
    return s;
}

/* ---- opening ---- */

static int openat2_state = -1;   /* -1 unknown, 0 no, 1 yes */
static bool forced_fallback;

void fsp_force_fallback(bool on) { forced_fallback = on; }

static long sys_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve;
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

bool fsp_have_openat2(void)
{
    if (forced_fallback) return false;
    if (openat2_state < 0) {
        const char *env = getenv("SA_FS_NO_OPENAT2");
        if (env && *env && strcmp(env, "0")) {
            openat2_state = 0;
        } else {
            long fd = sys_openat2(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0,
                                  RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
            /* "/" is not beneath the cwd: a working openat2 says EXDEV. */
            if (fd >= 0) close((int)fd);
            openat2_state = (fd >= 0 || errno == EXDEV) ? 1 : 0;
        }
    }
    return openat2_state == 1;
}

/* Fallback: walk component by component, never following a symlink. */
static int walk_open(int rootfd, const char *rel, int flags, mode_t mode)
{
    char buf[FSP_PATH_MAX];
    if (strlen(rel) >= sizeof buf) return -ENAMETOOLONG;
    strcpy(buf, rel);
    int cur = dup(rootfd);
    if (cur < 0) return -errno;
    char *s = buf;
    if (!*s) {
        int fd = openat(cur, ".", flags | O_CLOEXEC, mode);
        int e = errno;
        close(cur);
        return fd >= 0 ? fd : -e;
    }
    for (;;) {
        char *slash = strchr(s, '/');
        if (slash) *slash = '\0';
        int fd;
        if (slash) {
            fd = openat(cur, s, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        } else {
            fd = openat(cur, s, flags | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd >= 0 && (flags & O_PATH)) {
                struct stat st;
                if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) { close(fd); fd = -1; errno = ELOOP; }
            }
        }
        int e = errno;
        if (fd < 0 && (e == ENOTDIR || e == ELOOP)) {
            struct stat st;
            if (fstatat(cur, s, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) e = ELOOP;
        }
        close(cur);
        if (fd < 0) return -e;
        if (!slash) return fd;
        cur = fd;
        s = slash + 1;
    }
}

int fsp_open(const fsp_root *r, const char *rel, int flags, mode_t mode)
{
    if (fsp_have_openat2()) {
        for (int tries = 0; tries < 8; tries++) {
            long fd = sys_openat2(r->fd, *rel ? rel : ".", flags, mode,
                                  RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
            if (fd >= 0) return (int)fd;
            if (errno != EAGAIN && errno != EINTR) return -errno;
        }
        return -EAGAIN;
    }
    return walk_open(r->fd, rel, flags, mode);
}

int fsp_open_parent(const fsp_root *r, const char *rel, const char **name)
{
    const char *slash = strrchr(rel, '/');
    if (!*rel) return -EINVAL;
    if (!slash) {
        *name = rel;
        return fsp_open(r, "", O_PATH | O_DIRECTORY, 0);
    }
    size_t n = (size_t)(slash - rel);
    char *parent = strndup(rel, n);
    if (!parent) return -ENOMEM;
    int fd = fsp_open(r, parent, O_PATH | O_DIRECTORY, 0);
    free(parent);
    *name = slash + 1;
    return fd;
}

int fsp_mkdirs(const fsp_root *r, const char *rel)
{
    char buf[FSP_PATH_MAX];
    if (strlen(rel) >= sizeof buf) return -ENAMETOOLONG;
    strcpy(buf, rel);
    if (!*buf) return 0;
    char *s = buf;
    for (;;) {
        char *slash = strchr(s, '/');
        if (slash) *slash = '\0';
        const char *name;
        int dfd = fsp_open_parent(r, buf, &name);
        if (dfd < 0) return dfd;
        int rc = mkdirat(dfd, name, 0755) == 0 ? 0 : -errno;
        if (rc == -EEXIST) {
            struct stat st;
            /* Follows a final symlink only through fsp_open, i.e. beneath. */
            int fd = fsp_open(r, buf, O_PATH | O_DIRECTORY, 0);
            if (fd >= 0) { close(fd); rc = 0; }
            else if (fd == -ENOTDIR && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISLNK(st.st_mode)) rc = -ELOOP;
            else rc = fd;
        }
        close(dfd);
        if (rc < 0) return rc;
        if (!slash) return 0;
        *slash = '/';
        s = slash + 1;
    }
}

static int remove_tree_depth(int pfd, const char *name, int depth)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(pfd, name, 0) == 0 ? 0 : -errno;
    if (depth > 256) return -ELOOP;
    int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    DIR *d = fdopendir(fd);
    if (!d) { int e = errno; close(fd); return -e; }
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) { if (errno) rc = -errno; break; }
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        rc = remove_tree_depth(dirfd(d), de->d_name, depth + 1);
        if (rc < 0) break;
    }
    closedir(d);
    if (rc < 0) return rc;
    return unlinkat(pfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

int fsp_remove_tree(int dirfd, const char *name)
{
    return remove_tree_depth(dirfd, name, 0);
}
