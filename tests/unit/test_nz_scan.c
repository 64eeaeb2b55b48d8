/*
 * test_nz_scan.c — sa-normalize's fast JSON check (nz_scan.h) against cJSON.
 *
 * Every PLAIN verdict must be one cJSON agrees with (parses, nesting within
 * NZ_SCAN_DEPTH, not an sa-spawn line); common agent lines must be PLAIN.
 * A differential run over many mutated lines checks the first rule widely.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "nz_scan.h"
#include "nz_pump.h"

/* What the pump decided before the scanner: 1 = goes to jq, 0 = not. */
static int cjson_plain(const char *s)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(s, &end, 1);
    if (!v) return 0;
    int ok = nz_json_depth(v, NZ_JQ_DEPTH + 1) <= NZ_JQ_DEPTH;
    if (ok && cJSON_IsObject(v) && v->child && v->child->string && !strcmp(v->child->string, "sa") &&
        cJSON_IsString(v->child)) ok = 0;
    cJSON_Delete(v);
    return ok;
}

static void check(const char *s)
{
    nz_scan_result r = nz_scan_line(s, strlen(s));
    if (r == NZ_SCAN_PLAIN && !cjson_plain(s)) fail_msg("scanner accepted what cJSON rejects: %s", s);
}

static void test_common_plain(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{\"mock\":\"item.delta\",\"native_item_id\":\"mock_1_reply\",\"delta\":\"xxxxxxxx\"}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"h\\u00e9\\n\\\"q\\\"\"}]},\"n\":-1.5e+3}",
        "[1, 2.0, -0, 0.5E-2, true, false, null, \"\", {}, [], {\"a\":[{}]}]",
        "\"just a string\"", "42", "null", "{\"sa2\":\"x\"}", "{\"x\":1,\"sa\":\"y\"}",
        "{\"k\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        assert_int_equal(nz_scan_line(ok[i], strlen(ok[i])), NZ_SCAN_PLAIN);
        assert_true(cjson_plain(ok[i]));
    }
}

static void test_slow_cases(void **state)
{
    (void)state;
    static const char *const slow[] = {
        "{\"sa\":\"turn\",\"turn\":1}", "{ \"sa\" : \"exited\"}", "{\"s\\u0061\":\"x\"}",
        "mock: unparsable output", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\x\"}", "{\"a\":\"tab\there\"}", "{} {}", "{", "",
        "[1e]", "[-]", "tru", "nul", "{\"a\":nan}",
        "[1234567890123456789012345678901234567890123456789012345678901234567890]",
    };
    for (size_t i = 0; i < sizeof slow / sizeof *slow; i++)
        if (nz_scan_line(slow[i], strlen(slow[i])) != NZ_SCAN_SLOW) fail_msg("expected SLOW: %s", slow[i]);
}

static void test_depth(void **state)
{
    (void)state;
    char buf[1024];
    for (int d = NZ_SCAN_DEPTH - 1; d <= NZ_SCAN_DEPTH + 1; d++) {
        size_t n = 0;
        for (int i = 0; i < d; i++) buf[n++] = '[';
        for (int i = 0; i < d; i++) buf[n++] = ']';
        buf[n] = '\0';
        assert_int_equal(nz_scan_line(buf, n) == NZ_SCAN_PLAIN, d <= NZ_SCAN_DEPTH);
        assert_int_equal(cjson_plain(buf), d <= NZ_SCAN_DEPTH);
    }
}

/* Mutate seed lines byte by byte; no PLAIN verdict may disagree with cJSON. */
static void test_differential(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"a\":[1,-2.5e3,true,false,null,\"s\\n\\u0041\"],\"b\":{\"c\":{}}}",
        "{\"mock\":\"item.delta\",\"native_item_id\":\"m\",\"delta\":\"x\"}",
        "[0,{\"sa\":\"v\"},\"\\\\\",[[]]]",
    };
    static const char alphabet[] = "{}[],:\"\\ -+.0123456789eEtrufalsn\x01\x7f\xc3\xa9u";
    char buf[256];
    unsigned seed = 12345;
    for (size_t si = 0; si < sizeof seeds / sizeof *seeds; si++) {
        size_t len = strlen(seeds[si]);
        for (int round = 0; round < 20000; round++) {
            memcpy(buf, seeds[si], len + 1);
            int muts = 1 + round % 3;
            size_t n = len;
            for (int m = 0; m < muts; m++) {
                seed = seed * 1103515245u + 12345u;
                size_t pos = (seed >> 8) % n;
                char ch = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
                int op = (seed >> 4) % 3;
                if (op == 0) buf[pos] = ch;
                else if (op == 1 && n > 1) { memmove(buf + pos, buf + pos + 1, n - pos); n--; }
                else if (n + 1 < sizeof buf) { memmove(buf + pos + 1, buf + pos, n - pos + 1); buf[pos] = ch; n++; }
            }
            buf[n] = '\0';
            check(buf);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_plain),
        cmocka_unit_test(test_slow_cases),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
