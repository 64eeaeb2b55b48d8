/*
 * test_store_pg.c — cmocka tests for the pure parts of the PostgreSQL
 * store backend: recognising postgresql:// URLs (sa_store_is_url) and
 * hiding passwords in the form printed in messages (sa_store_display):
 * user:password@, password= parameters (any case, percent-encoded keys),
 * truncation that never reveals more than the full form, plain paths
 * untouched.  No server is needed (store_pg*.bats test against one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sa_store.h"

static const char *show(const char *in)
{
    static char buf[512];
    return sa_store_display(in, buf, sizeof buf);
}

static void test_is_url(void **state)
{
    (void)state;
    assert_true(sa_store_is_url("postgresql://host/db"));
    assert_true(sa_store_is_url("postgres://"));
    assert_false(sa_store_is_url("postgresql:/x"));
    assert_false(sa_store_is_url("/var/lib/sa.db"));
    assert_false(sa_store_is_url("host=x password=y"));
    assert_false(sa_store_is_url(""));
    assert_false(sa_store_is_url(NULL));
}

static void test_plain_paths_unchanged(void **state)
{
    (void)state;
    assert_string_equal(show("/tmp/a:b@c/sa.db"), "/tmp/a:b@c/sa.db");
    assert_string_equal(show("sa.db"), "sa.db");
    assert_string_equal(show("postgresql://host/db"), "postgresql://host/db");
    assert_string_equal(show("postgresql://user@host:5432/db?sslmode=require"),
                        "postgresql://user@host:5432/db?sslmode=require");
    assert_string_equal(show("postgresql://postgres@/sa?host=/tmp/d"), "postgresql://postgres@/sa?host=/tmp/d");
}

static void test_userinfo_password(void **state)
{
    (void)state;
    assert_string_equal(show("postgresql://u:secret@db.example:5433/sa"), "postgresql://u:***@db.example:5433/sa");
    assert_string_equal(show("postgres://u:@h/sa"), "postgres://u:***@h/sa");
    /* an unencoded '@' in the password: everything up to the last '@' is hidden */
    assert_string_equal(show("postgresql://u:p@ss@h/sa"), "postgresql://u:***@h/sa");
    /* a '/' in the password (not valid, but must not leak) */
    assert_string_equal(show("postgresql://u:pa/ss@h/sa"), "postgresql://u:***@h/sa");
    assert_null(strstr(show("postgresql://u:pa/ss@h/sa?x=1"), "pa/ss"));
}

static void test_query_password(void **state)
{
    (void)state;
    assert_string_equal(show("postgresql:///sa?host=/tmp/d&password=zz&user=u"),
                        "postgresql:///sa?host=/tmp/d&password=***&user=u");
    assert_string_equal(show("postgresql:///sa?PassWord=zz"), "postgresql:///sa?PassWord=***");
    assert_string_equal(show("postgresql:///sa?pass%77ord=zz"), "postgresql:///sa?pass%77ord=***");
    assert_string_equal(show("postgresql://a:b@h/sa?password=c"), "postgresql://a:***@h/sa?password=***");
    assert_string_equal(show("postgresql:///sa?passwordx=1&xpassword=2"),
                        "postgresql:///sa?passwordx=1&xpassword=2");
}

static void test_truncation(void **state)
{
    (void)state;
    char small[20];
    const char *url = "postgresql://u:topsecret@host/db";
    sa_store_display(url, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_null(strstr(small, "top"));
    assert_memory_equal(small, "postgresql://u:***@", 19);
    char one[1] = { 'x' };
    sa_store_display(url, one, 1);
    assert_int_equal(one[0], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_url),
        cmocka_unit_test(test_plain_paths_unchanged),
        cmocka_unit_test(test_userinfo_password),
        cmocka_unit_test(test_query_password),
        cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
