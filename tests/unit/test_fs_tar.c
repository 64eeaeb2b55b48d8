/*
 * test_fs_tar.c — unit tests for sa-serve/tar.c with archives crafted in
 * memory: ustar files and directories, prefix names, pax and GNU long
 * names, link entries, truncated archives, lying sizes, bad checksums, and
 * tar_name_safe's rules for escaping names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tar.h"

typedef struct { unsigned char *b; size_t len, cap; } arc;

static void grow(arc *a, size_t n)
{
    if (a->len + n > a->cap) {
        a->cap = (a->len + n) * 2 + 1024;
        a->b = realloc(a->b, a->cap);
        assert_non_null(a->b);
    }
}

static void seal(unsigned char *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
}

/* Append a header (+ data padded to 512).  size_field NULL = octal of len. */
static unsigned char *add(arc *a, const char *name, char type, const void *data, size_t len,
                          const char *prefix, const char *size_field)
{
    grow(a, 512 + len + 512);
    unsigned char *h = a->b + a->len;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    memcpy(h + 100, "0000644", 7);
    if (size_field) memcpy(h + 124, size_field, strlen(size_field));
    else snprintf((char *)h + 124, 12, "%011o", (unsigned)(len & 077777777u));
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    if (prefix) memcpy(h + 345, prefix, strlen(prefix));
    seal(h);
    a->len += 512;
    if (len) {
        memcpy(a->b + a->len, data, len);
        size_t pad = (512 - len % 512) % 512;
        memset(a->b + a->len + len, 0, pad);
        a->len += len + pad;
    }
    return h;
}

static void finish(arc *a)
{
    grow(a, 1024);
    memset(a->b + a->len, 0, 1024);
    a->len += 1024;
}

static void test_basic(void **state)
{
    (void)state;
    arc a = {0};
    add(&a, "dir/", '5', NULL, 0, NULL, NULL);
    add(&a, "dir/hello.txt", '0', "hello\n", 6, NULL, NULL);
    add(&a, "name", '0', "x", 1, "long/prefix", NULL);
    finish(&a);
    tar_reader r;
    tar_entry e;
    tar_init(&r, a.b, a.len);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_DIR);
    assert_string_equal(e.name, "dir/");
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_FILE);
    assert_string_equal(e.name, "dir/hello.txt");
    assert_int_equal(e.size, 6);
    assert_memory_equal(e.data, "hello\n", 6);
    assert_int_equal(e.mode, 0644);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_string_equal(e.name, "long/prefix/name");
    assert_int_equal(tar_next(&r, &e), 0);
    assert_int_equal(tar_next(&r, &e), 0);
    free(a.b);
}

static void test_pax_and_gnu_names(void **state)
{
    (void)state;
    arc a = {0};
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    char rec[400];
    int n = snprintf(rec, sizeof rec, "xxx path=%s\n", longname);
    /* record length counts itself: fix the 3-digit prefix */
    char rec2[400];
    snprintf(rec2, sizeof rec2, "%d path=%s\n", n, longname);
    assert_int_equal((int)strlen(rec2), n);
    add(&a, "PaxHeader", 'x', rec2, (size_t)n, NULL, NULL);
    add(&a, "short", '0', "pp", 2, NULL, NULL);
    add(&a, "././@LongLink", 'L', "gnu/long/name.txt", 18, NULL, NULL);
    add(&a, "trunc", '0', "g", 1, NULL, NULL);
    add(&a, "global", 'g', "6 a=b\n", 6, NULL, NULL);
    add(&a, "plain", '0', "", 0, NULL, NULL);
    finish(&a);
    tar_reader r;
    tar_entry e;
    tar_init(&r, a.b, a.len);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_string_equal(e.name, longname);
    assert_memory_equal(e.data, "pp", 2);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_string_equal(e.name, "gnu/long/name.txt");
    assert_int_equal(tar_next(&r, &e), 1);
    assert_string_equal(e.name, "plain");
    assert_int_equal(e.size, 0);
    assert_int_equal(tar_next(&r, &e), 0);
    free(a.b);
}

static void test_link_kinds(void **state)
{
    (void)state;
    arc a = {0};
    add(&a, "evil", '2', NULL, 0, NULL, NULL);
    add(&a, "hard", '1', NULL, 0, NULL, NULL);
    add(&a, "fifo", '6', NULL, 0, NULL, NULL);
    add(&a, "old", '\0', "z", 1, NULL, NULL);
    add(&a, "olddir/", '\0', NULL, 0, NULL, NULL);
    finish(&a);
    tar_reader r;
    tar_entry e;
    tar_init(&r, a.b, a.len);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_SYMLINK);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_HARDLINK);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_OTHER);
    assert_int_equal(e.typeflag, '6');
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_FILE);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(e.kind, TAR_DIR);
    free(a.b);
}

static void test_truncated(void **state)
{
    (void)state;
    arc a = {0};
    add(&a, "f", '0', "0123456789", 10, NULL, NULL);
    tar_reader r;
    tar_entry e;
    /* data cut short */
    tar_init(&r, a.b, 512 + 5);
    assert_int_equal(tar_next(&r, &e), -1);
    assert_non_null(strstr(r.err, "truncated"));
    assert_int_equal(tar_next(&r, &e), 0);        /* stays finished */
    /* header cut short */
    tar_init(&r, a.b, 300);
    assert_int_equal(tar_next(&r, &e), -1);
    /* no end marker, data without padding: accepted */
    tar_init(&r, a.b, 512 + 10);
    assert_int_equal(tar_next(&r, &e), 1);
    assert_int_equal(tar_next(&r, &e), 0);
    /* empty archive */
    tar_init(&r, a.b, 0);
    assert_int_equal(tar_next(&r, &e), 0);
    free(a.b);
}

static void test_huge_sizes(void **state)
{
    (void)state;
    arc a = {0};
    add(&a, "big", '0', NULL, 0, NULL, "77777777777");
    finish(&a);
    tar_reader r;
    tar_entry e;
    tar_init(&r, a.b, a.len);
    assert_int_equal(tar_next(&r, &e), -1);
    assert_non_null(strstr(r.err, "past the end"));
    free(a.b);

    /* base-256: 2^62 */
    arc b = {0};
    unsigned char *h = add(&b, "big256", '0', NULL, 0, NULL, NULL);
    memset(h + 124, 0, 12);
    h[124] = 0x80;
    h[128] = 0x40;
    seal(h);
    finish(&b);
    tar_init(&r, b.b, b.len);
    assert_int_equal(tar_next(&r, &e), -1);
    /* negative base-256 */
    h[124] = 0xff;
    seal(h);
    tar_init(&r, b.b, b.len);
    assert_int_equal(tar_next(&r, &e), -1);
    assert_non_null(strstr(r.err, "size"));
    free(b.b);

    /* pax size bigger than the data that follows */
    arc c = {0};
    add(&c, "PaxHeader", 'x', "20 size=99999999999\n", 20, NULL, NULL);
    add(&c, "lie", '0', "abc", 3, NULL, NULL);
    finish(&c);
    tar_init(&r, c.b, c.len);
    assert_int_equal(tar_next(&r, &e), -1);
    free(c.b);
}

static void test_bad_headers(void **state)
{
    (void)state;
    arc a = {0};
    unsigned char *h = add(&a, "f", '0', "x", 1, NULL, NULL);
    finish(&a);
    h[0] = 'g';                               /* checksum no longer matches */
    tar_reader r;
    tar_entry e;
    tar_init(&r, a.b, a.len);
    assert_int_equal(tar_next(&r, &e), -1);
    assert_non_null(strstr(r.err, "checksum"));
    free(a.b);

    arc b = {0};
    add(&b, "PaxHeader", 'x', "99 path=x\n", 10, NULL, NULL);   /* length lies */
    add(&b, "f", '0', "x", 1, NULL, NULL);
    finish(&b);
    tar_init(&r, b.b, b.len);
    assert_int_equal(tar_next(&r, &e), -1);
    free(b.b);

    arc c = {0};
    add(&c, "PaxHeader", 'x', "12 path=a\0b\n", 12, NULL, NULL);   /* NUL inside */
    add(&c, "f", '0', "x", 1, NULL, NULL);
    finish(&c);
    tar_init(&r, c.b, c.len);
    assert_int_equal(tar_next(&r, &e), -1);
    free(c.b);

    /* random garbage */
    unsigned char junk[1024];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 7 + 3);
    tar_init(&r, junk, sizeof junk);
    assert_int_equal(tar_next(&r, &e), -1);
}

static void test_name_safe(void **state)
{
    (void)state;
    const char *why;
    assert_true(tar_name_safe("a/b/c.txt", &why));
    assert_true(tar_name_safe("./a", &why));
    assert_true(tar_name_safe("./", &why));
    assert_true(tar_name_safe("a..b/..c", &why));
    assert_false(tar_name_safe("../x", &why));
    assert_non_null(strstr(why, ".."));
    assert_false(tar_name_safe("a/../../x", &why));
    assert_false(tar_name_safe("a/..", &why));
    assert_false(tar_name_safe("/etc/passwd", &why));
    assert_non_null(strstr(why, "absolute"));
    assert_false(tar_name_safe("", &why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_pax_and_gnu_names),
        cmocka_unit_test(test_link_kinds),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_huge_sizes),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_name_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
