/*
 * test_ui.c — unit tests for the pure parts of sa-serve/ui.c: the embedded
 * file table (what the Makefile generated from sa-serve/ui/), content types
 * by extension, and If-None-Match matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "ui.h"

static void test_index_embedded_whole(void **state)
{
    (void)state;
    const ui_file *f = ui_find("index.html");
    assert_non_null(f);
    assert_true(f->len > 100);
    assert_memory_equal(f->data, "<!doctype html>", 15);
    assert_int_equal(f->data[f->len], 0);          /* the NUL after the bytes */
    assert_null(ui_find("nope.html"));
    assert_null(ui_find("../index.html"));
}

static void test_every_file_has_a_quoted_etag(void **state)
{
    (void)state;
    assert_true(ui_n_files >= 5);
    for (size_t i = 0; i < ui_n_files; i++) {
        size_t n = strlen(ui_files[i].etag);
        assert_true(n > 2 && ui_files[i].etag[0] == '"' && ui_files[i].etag[n - 1] == '"');
        for (size_t j = 0; j < i; j++) assert_string_not_equal(ui_files[i].name, ui_files[j].name);
    }
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(ui_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(ui_content_type("app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(ui_content_type("app.CSS"), "text/css; charset=utf-8");
    assert_string_equal(ui_content_type("x.png"), "image/png");
    assert_string_equal(ui_content_type("README"), "application/octet-stream");
    assert_string_equal(ui_content_type("a.tar.gz"), "application/octet-stream");
}

static void test_if_none_match(void **state)
{
    (void)state;
    const char *e = "\"12-34\"";
    assert_true(ui_etag_matches("\"12-34\"", e));
    assert_true(ui_etag_matches("\"x\", W/\"12-34\"", e));
    assert_true(ui_etag_matches(" * ", e));
    assert_false(ui_etag_matches("\"12-3\"", e));
    assert_false(ui_etag_matches("\"12-345\"", e));
    assert_false(ui_etag_matches("12-34", e));
    assert_false(ui_etag_matches("", e));
    assert_false(ui_etag_matches(NULL, e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_embedded_whole),
        cmocka_unit_test(test_every_file_has_a_quoted_etag),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_if_none_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
