/*
 * test_serve.c — cmocka tests for sa-serve's pure helpers: the stored-event
 * scanner (sequence, type, native id, raw offset), SSE frames with raw
 * nulled, the turn-terminal set, and auth token extraction (Bearer, Token,
 * Basic in both base64 alphabets) with the constant-time compare.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "serve.h"

static const char ev1[] =
    "{\"event_id\":\"evt_12\",\"sequence\":12,\"time\":\"t\",\"session_id\":\"s\","
    "\"native_session_id\":\"mock-s\",\"synthetic\":false,\"source\":\"agent\",\"type\":\"item.delta\","
    "\"data\":{\"raw\":\"x\",\"s\":\"}\\\"{\"},\"raw\":{\"a\":[1,2,{\"b\":\"]\"}]}}";

static void test_scan(void **st)
{
    (void)st;
    evs_info e;
    assert_true(evs_scan(ev1, strlen(ev1), &e));
    assert_int_equal(e.seq, 12);
    assert_true(evs_type_is(&e, "item.delta"));
    assert_int_equal(e.native_len, 6);
    assert_memory_equal(e.native, "mock-s", 6);
    assert_true(e.has_raw);
    assert_string_equal(ev1 + e.raw_off, ",\"raw\":{\"a\":[1,2,{\"b\":\"]\"}]}}");
}

static void test_scan_bad(void **st)
{
    (void)st;
    evs_info e;
    const char *bad[] = {"", "[]", "{\"sequence\":1}", "{\"type\":\"x\"}", "{\"sequence\":-1,\"type\":\"x\"}",
                         "{\"sequence\":1,\"type\":\"x\"", "{\"sequence\":1,\"type\":\"x\",\"data\":{\"a\":\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(evs_scan(bad[i], strlen(bad[i]), &e));
    /* raw not last: not usable for prefix cutting */
    const char *mid = "{\"sequence\":3,\"raw\":null,\"type\":\"error\"}";
    assert_true(evs_scan(mid, strlen(mid), &e));
    assert_false(e.has_raw);
    assert_null(e.native);
}

/* Escaped quotes and runs of backslashes inside strings do not end them. */
static void test_scan_escapes(void **st)
{
    (void)st;
    const char *ev = "{\"event_id\":\"evt_5\",\"sequence\":5,\"native_session_id\":\"n\\\\\",\"type\":\"item.delta\","
                     "\"data\":{\"d\":\"a\\\"}],\\\\\",\"e\":[\"\\\\\\\"\"]},\"raw\":\"x\\\",\\\"raw\\\":\"}";
    evs_info e;
    assert_true(evs_scan(ev, strlen(ev), &e));
    assert_int_equal(e.seq, 5);
    assert_true(evs_type_is(&e, "item.delta"));
    assert_int_equal(e.native_len, 3);                 /* n\\ */
    assert_true(e.has_raw);
    assert_string_equal(ev + e.raw_off, ",\"raw\":\"x\\\",\\\"raw\\\":\"}");
    const char *open_str = "{\"sequence\":1,\"type\":\"x\",\"data\":{\"a\":\"b\\\"}}";   /* the string never ends */
    assert_false(evs_scan(open_str, strlen(open_str), &e));
}

static void test_frame(void **st)
{
    (void)st;
    evs_info e;
    assert_true(evs_scan(ev1, strlen(ev1), &e));
    struct evbuffer *b = evbuffer_new();
    sse_frame(b, e.seq, ev1, strlen(ev1), e.raw_off, false);
    size_t n = evbuffer_get_length(b);
    char *s = calloc(1, n + 1);
    evbuffer_remove(b, s, n);
    assert_true(strncmp(s, "id: 12\ndata: {\"event_id\":\"evt_12\"", 33) == 0);
    assert_non_null(strstr(s, ",\"raw\":null}\n\n"));
    assert_null(strstr(s, "\"a\":[1,2"));
    cJSON *j = cJSON_Parse(s + strlen("id: 12\ndata: "));
    assert_non_null(j);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "raw")));
    cJSON_Delete(j);
    free(s);
    sse_frame(b, e.seq, ev1, strlen(ev1), e.raw_off, true);
    assert_int_equal(evbuffer_get_length(b), strlen("id: 12\ndata: ") + strlen(ev1) + 2);
    evbuffer_free(b);
}

static void test_terminal(void **st)
{
    (void)st;
    const char *yes[] = {"turn.ended", "session.ended", "error", "agent.unparsed", "permission.requested",
                         "question.requested"};
    const char *no[] = {"turn.started", "item.delta", "permission.resolved", "question.resolved", "errors"};
    for (size_t i = 0; i < 6; i++) assert_true(sse_terminal_type(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < 5; i++) assert_false(sse_terminal_type(no[i], strlen(no[i])));
}

static void expect_token(const char *hdr, const char *want)
{
    char *t = acc_extract_token(hdr);
    if (!want) { assert_null(t); return; }
    assert_non_null(t);
    assert_string_equal(t, want);
    free(t);
}

static void test_tokens(void **st)
{
    (void)st;
    expect_token("Bearer abc", "abc");
    expect_token("bearer   abc  ", "abc");
    expect_token("TOKEN xyz", "xyz");
    expect_token("Basic dXNlcjpwYXNz", "pass");          /* user:pass */
    expect_token("Basic c2VrcmV0", "sekret");            /* no padding, no colon */
    expect_token("Basic Pz8_", "??\?");                  /* URL-safe alphabet */
    expect_token("Basic Pz8/", "??\?");                  /* standard alphabet */
    expect_token("Basic !!!", NULL);
    expect_token("Digest abc", NULL);
    expect_token("abc", NULL);
    expect_token(NULL, NULL);
    assert_true(acc_ct_equal("sekret", "sekret"));
    assert_false(acc_ct_equal("sekret", "sekre"));
    assert_false(acc_ct_equal("sekret", "sekreu"));
    assert_false(acc_ct_equal("", "x"));
    assert_true(acc_ct_equal("", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan), cmocka_unit_test(test_scan_bad), cmocka_unit_test(test_scan_escapes),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_terminal), cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
