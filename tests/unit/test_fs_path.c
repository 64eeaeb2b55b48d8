/*
 * test_fs_path.c — unit tests for sa-serve/fs_path.c: lexical resolution
 * against the fs root (.., absolute paths, session bases), and the
 * beneath-the-root opens on a real temporary tree with symlinks pointing
 * outside (final component, middle component, absolute and relative
 * targets), with openat2 and with the O_NOFOLLOW fallback walk; mkdir -p
 * through a symlink; recursive removal that must not follow symlinks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs_path.h"

static void expect_ok(const char *root, const char *base, const char *in, const char *want)
{
    char *rel = NULL;
    const char *why = NULL;
    fsp_status st = fsp_resolve(root, base, in, &rel, &why);
    if (st != FSP_OK) fail_msg("resolve(%s, %s, %s): %s", root, base, in, why);
    assert_string_equal(rel, want);
    free(rel);
}

static void expect_status(const char *root, const char *base, const char *in, fsp_status want)
{
    char *rel = NULL;
    const char *why = NULL;
    assert_int_equal(fsp_resolve(root, base, in, &rel, &why), want);
    assert_null(rel);
    assert_non_null(why);
}

static void test_resolve(void **state)
{
    (void)state;
    expect_ok("/srv/root", "", "a/b", "a/b");
    expect_ok("/srv/root", "", "./a//b/./", "a/b");
    expect_ok("/srv/root", "", "", "");
    expect_ok("/srv/root", "", ".", "");
    expect_ok("/srv/root", "", "a/../b", "b");
    expect_ok("/srv/root", "", "/srv/root", "");
    expect_ok("/srv/root", "", "/srv/root/x/y", "x/y");
    expect_ok("/srv/root", "", "/srv/root/x/../y", "y");
    expect_ok("/srv/root", "s1", "f", "s1/f");
    expect_ok("/srv/root", "s1", "../s2/f", "s2/f");
    expect_ok("/srv/root", "s1", "/srv/root/z", "z");      /* absolute ignores the base */
    expect_ok("/", "", "/etc/passwd", "etc/passwd");
    expect_status("/srv/root", "", "..", FSP_ESCAPE);
    expect_status("/srv/root", "", "../root/x", FSP_ESCAPE);
    expect_status("/srv/root", "", "a/../../x", FSP_ESCAPE);
    expect_status("/srv/root", "s1", "../../x", FSP_ESCAPE);
    expect_status("/srv/root", "", "/etc/passwd", FSP_ESCAPE);
    expect_status("/srv/root", "", "/srv/rootx/f", FSP_ESCAPE);
    expect_status("/srv/root", "", "/srv/root/../other", FSP_ESCAPE);
    expect_status("/srv/root", "", "/srv", FSP_ESCAPE);
    expect_status("/srv/root", "..", "x", FSP_ESCAPE);
    expect_status("/srv/root", "/abs", "x", FSP_INVALID);
    expect_status("relative", "", "x", FSP_INVALID);
    char *big = malloc(FSP_PATH_MAX + 10);
    memset(big, 'a', FSP_PATH_MAX + 9);
    big[FSP_PATH_MAX + 9] = '\0';
    expect_status("/srv/root", "", big, FSP_INVALID);
    /* many tiny components stay bounded */
    for (size_t i = 0; i + 1 < FSP_PATH_MAX; i += 2) { big[i] = 'a'; big[i + 1] = '/'; }
    big[FSP_PATH_MAX - 1] = '\0';
    char *rel;
    const char *why;
    assert_int_equal(fsp_resolve("/srv/root", "", big, &rel, &why), FSP_OK);
    free(rel);
    free(big);
}

/* A temporary tree:
 *   T/outside/secret            (outside the root)
 *   T/root/dir/file             "inside"
 *   T/root/to_etc      -> /etc                 absolute, outside
 *   T/root/to_out      -> ../outside           relative, outside
 *   T/root/to_secret   -> ../outside/secret
 *   T/root/to_dir      -> dir                  inside
 *   T/root/abs_in      -> <T>/root/dir         absolute but inside
 */
static char tmpl[64];

static void mk(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpl, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void ln(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpl, rel);
    assert_int_equal(symlink(target, p), 0);
}

static void md(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpl, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpl, "/tmp/sa-fsp-XXXXXX");
    if (!mkdtemp(tmpl)) return -1;
    md("outside");
    mk("outside/secret", "secret");
    md("root");
    md("root/dir");
    mk("root/dir/file", "inside");
    ln("/etc", "root/to_etc");
    ln("../outside", "root/to_out");
    ln("../outside/secret", "root/to_secret");
    ln("dir", "root/to_dir");
    char abs[512];
    snprintf(abs, sizeof abs, "%s/root/dir", tmpl);
    ln(abs, "root/abs_in");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    return system(cmd) == 0 ? 0 : -1;
}

static void open_root(fsp_root *r)
{
    char p[512];
    snprintf(p, sizeof p, "%s/root", tmpl);
    assert_int_equal(fsp_root_open(r, p), 0);
}

static void check_opens(bool fallback)
{
    fsp_force_fallback(fallback);
    fsp_root r;
    open_root(&r);
    int fd = fsp_open(&r, "dir/file", O_RDONLY, 0);
    assert_true(fd >= 0);
    close(fd);
    fd = fsp_open(&r, "", O_RDONLY | O_DIRECTORY, 0);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fsp_open(&r, "nope", O_RDONLY, 0), -ENOENT);
    assert_int_equal(fsp_open(&r, "dir/file/x", O_RDONLY, 0), -ENOTDIR);

    /* escaping symlinks: final component and middle component */
    int e1 = fsp_open(&r, "to_secret", O_RDONLY, 0);
    int e2 = fsp_open(&r, "to_out/secret", O_RDONLY, 0);
    int e3 = fsp_open(&r, "to_etc/passwd", O_RDONLY, 0);
    int e4 = fsp_open(&r, "to_etc", O_PATH, 0);
    int e5 = fsp_open(&r, "to_secret", O_WRONLY | O_CREAT, 0644);
    int e6 = fsp_open(&r, "to_out/new", O_WRONLY | O_CREAT, 0644);
    int bad[] = {e1, e2, e3, e4, e5, e6};
    for (size_t i = 0; i < 6; i++) {
        if (bad[i] >= 0) fail_msg("escape %zu opened (fallback=%d)", i, fallback);
        assert_true(bad[i] == -EXDEV || bad[i] == -ELOOP);
    }
    char p[512];
    snprintf(p, sizeof p, "%s/outside/new", tmpl);
    assert_int_equal(access(p, F_OK), -1);

    /* symlinks that stay inside: followed with openat2, refused without */
    fd = fsp_open(&r, "to_dir/file", O_RDONLY, 0);
    if (fallback) assert_int_equal(fd, -ELOOP);
    else { assert_true(fd >= 0); close(fd); }
    /* absolute symlink, even to the inside, is refused */
    fd = fsp_open(&r, "abs_in/file", O_RDONLY, 0);
    assert_true(fd == -EXDEV || fd == -ELOOP);

    /* parent + name */
    const char *name;
    fd = fsp_open_parent(&r, "dir/file", &name);
    assert_true(fd >= 0);
    assert_string_equal(name, "file");
    struct stat st;
    assert_int_equal(fstatat(fd, name, &st, 0), 0);
    close(fd);
    fd = fsp_open_parent(&r, "top", &name);
    assert_true(fd >= 0);
    assert_string_equal(name, "top");
    close(fd);
    assert_int_equal(fsp_open_parent(&r, "", &name), -EINVAL);
    fd = fsp_open_parent(&r, "to_out/secret", &name);
    assert_true(fd == -EXDEV || fd == -ELOOP);

    /* mkdir -p: fine inside, refused through an escaping link */
    assert_int_equal(fsp_mkdirs(&r, "m/n/o"), 0);
    assert_int_equal(fsp_mkdirs(&r, "m/n/o"), 0);
    int rc = fsp_mkdirs(&r, "to_out/x/y");
    assert_true(rc == -EXDEV || rc == -ELOOP);
    snprintf(p, sizeof p, "%s/outside/x", tmpl);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(fsp_mkdirs(&r, "dir/file/sub"), -ENOTDIR);

    char *abs = fsp_abs(&r, "a/b");
    assert_non_null(abs);
    assert_memory_equal(abs, r.abs, strlen(r.abs));
    assert_true(strlen(abs) > 4 && !strcmp(abs + strlen(abs) - 4, "/a/b"));
    free(abs);
    fsp_root_close(&r);
    fsp_force_fallback(false);
}

static void test_open_openat2(void **state)
{
    (void)state;
    if (!fsp_have_openat2()) skip();
    check_opens(false);
}

static void test_open_fallback(void **state)
{
    (void)state;
    check_opens(true);
}

static void test_remove_tree(void **state)
{
    (void)state;
    /* T/root/rm/{a/b/c, link -> ../../outside, f}; removing rm must keep outside/secret */
    md("root/rm");
    md("root/rm/a");
    md("root/rm/a/b");
    mk("root/rm/a/b/c", "c");
    mk("root/rm/f", "f");
    ln("../../outside", "root/rm/link");
    ln("../../outside/secret", "root/rm/a/slink");
    fsp_root r;
    open_root(&r);
    const char *name;
    int dfd = fsp_open_parent(&r, "rm", &name);
    assert_true(dfd >= 0);
    assert_int_equal(fsp_remove_tree(dfd, name), 0);
    close(dfd);
    char p[512];
    snprintf(p, sizeof p, "%s/root/rm", tmpl);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/outside/secret", tmpl);
    assert_int_equal(access(p, F_OK), 0);
    /* removing a symlink removes the link, not its target */
    dfd = fsp_open_parent(&r, "to_out", &name);
    assert_int_equal(fsp_remove_tree(dfd, name), 0);
    close(dfd);
    snprintf(p, sizeof p, "%s/outside", tmpl);
    assert_int_equal(access(p, F_OK), 0);
    ln("../outside", "root/to_out");
    fsp_root_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test_setup_teardown(test_open_openat2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_tree, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
