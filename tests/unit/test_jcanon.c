/*
 * test_jcanon.c — lib/sa_jcanon.c (is a text cJSON's print form?) and
 * sa_event_split_line (the stored text cut out of a line) against cJSON, and
 * sa_store_prepare_delta (an item.delta prepared from its text) against the
 * parse + schema check + sa_store_prepare_line it stands for.
 *
 * Rule checked everywhere: whenever sa_json_canonical accepts a text,
 * printing its parse gives the same bytes, and sa_event_split_line's parts
 * equal sa_event_split's of the parse.  Hand-picked texts on each side of
 * every rule, then a differential run over many mutated lines.
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

#include "sa_event.h"
#include "sa_jcanon.h"
#include "sa_schema.h"
#include "sa_store.h"

static bool canon(const char *s) { return sa_json_canonical(s, strlen(s), NULL, 0, NULL); }

/* If accepted, the print of the parse must be the text itself. */
static void check_print(const char *s, size_t n)
{
    if (!sa_json_canonical(s, n, NULL, 0, NULL)) return;
    cJSON *v = cJSON_ParseWithLength(s, n);
    if (!v) fail_msg("accepted what cJSON cannot parse: %.*s", (int)n, s);
    char *p = cJSON_PrintUnformatted(v);
    if (strlen(p) != n || memcmp(p, s, n)) fail_msg("accepted %.*s but cJSON prints %s", (int)n, s, p);
    free(p);
    cJSON_Delete(v);
}

/* If the line is cut, the parts must be split's of its parse. */
static void check_split(const char *s, size_t n)
{
    sa_event_parts a, b;
    int r = sa_event_split_line(s, n, &a);
    assert_true(r >= 0);
    if (r == 1) return;
    cJSON *v = cJSON_ParseWithLength(s, n);
    assert_non_null(v);
    assert_int_equal(sa_event_split(v, &b), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.text, b.text, a.len);
    assert_int_equal(a.pre_len, b.pre_len);
    assert_int_equal(a.raw_off, b.raw_off);
    assert_int_equal(!a.native_json, !b.native_json);
    if (a.native_json) assert_string_equal(a.native_json, b.native_json);
    sa_event_parts_clear(&a);
    sa_event_parts_clear(&b);
    cJSON_Delete(v);
}

static void test_accepts_print_form(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "{}", "[]", "null", "true", "false", "0", "-1", "123456789", "\"\"", "\"a\\\"b\\\\c\"",
        "\"\\b\\f\\n\\r\\t\"", "\"\\u0001\\u001f\"", "\"\x7f\"", "\"\xc3\xa9\xe2\x80\xa8\"", "\"/\"",
        "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "{\"a\":1,\"a\":2}", "[[[]],{}]",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (!canon(yes[i])) fail_msg("expected print form: %s", yes[i]);
        check_print(yes[i], strlen(yes[i]));
    }
}

static void test_declines_other_forms(void **state)
{
    (void)state;
    static const char *const no[] = {
        "{ }", " {}", "{} ", "{\"a\": 1}", "[1, 2]", "\"\\/\"", "\"\\u00e9\"", "\"\\u001F\"", "\"\\u0008\"",
        "\"\\u000a\"", "\"\\u0000\"", "\"\\u0020\"", "-0", "01", "1.0", "1e5", "1234567890", "\"tab\there\"",
        "tru", "nul", "{\"a\":1,}", "[1,]", "{\"a\"}", "{\"a\":}", "", "[", "{} {}", "\"open",
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (canon(no[i])) fail_msg("expected to decline: %s", no[i]);
}

static void test_depth_bound(void **state)
{
    (void)state;
    char buf[2 * SA_JCANON_DEPTH + 8];
    for (int d = SA_JCANON_DEPTH; d <= SA_JCANON_DEPTH + 1; d++) {
        size_t n = 0;
        for (int i = 0; i < d; i++) buf[n++] = '[';
        for (int i = 0; i < d; i++) buf[n++] = ']';
        assert_int_equal(sa_json_canonical(buf, n, NULL, 0, NULL), d <= SA_JCANON_DEPTH);
    }
}

static void test_top_members(void **state)
{
    (void)state;
    const char *s = "{\"a\":1,\"bc\":{\"x\":2},\"d\":[3]}";
    sa_jmember m[4];
    size_t n = 0;
    assert_true(sa_json_canonical(s, strlen(s), m, 4, &n));
    assert_int_equal(n, 3);
    assert_int_equal(m[1].off, 7);
    assert_int_equal(m[1].key_len, 4);
    assert_int_equal(m[1].val, 12);
    assert_false(sa_json_canonical(s, strlen(s), m, 2, &n));   /* more members than room */
}

static const char *const events[] = {
    "{\"time\":\"2026-01-01T00:00:00.000Z\",\"session_id\":\"s1\",\"native_session_id\":null,\"synthetic\":false,"
    "\"source\":\"agent\",\"type\":\"item.delta\",\"data\":{\"item_id\":\"itm_2\",\"native_item_id\":\"m\","
    "\"delta\":\"ab\\n\"},\"raw\":{\"mock\":\"item.delta\",\"native_item_id\":\"m\",\"delta\":\"ab\\n\"}}",
    "{\"time\":\"2026-01-01T00:00:00.000Z\",\"session_id\":\"s1\",\"native_session_id\":\"n-\\\"1\",\"synthetic\":true,"
    "\"source\":\"daemon\",\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\",\"usage\":{\"input_tokens\":12}},\"raw\":null}",
    "{\"time\":\"t\",\"session_id\":\"s1\",\"native_session_id\":\"n\",\"synthetic\":false,\"source\":\"agent\","
    "\"type\":\"agent.unparsed\",\"data\":{},\"raw\":\"not json \\u0001\"}",
};

static void test_split_line_equals_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        sa_event_parts a;
        assert_int_equal(sa_event_split_line(events[i], strlen(events[i]), &a), 0);   /* all cut */
        sa_event_parts_clear(&a);
        check_split(events[i], strlen(events[i]));
    }
    static const char *const other[] = {    /* not cut: key order, extra or missing key, spacing */
        "{\"session_id\":\"s1\",\"time\":\"t\",\"native_session_id\":null,\"synthetic\":false,\"source\":\"agent\","
        "\"type\":\"error\",\"data\":{},\"raw\":null}",
        "{\"time\":\"t\",\"session_id\":\"s1\",\"native_session_id\":null,\"synthetic\":false,\"source\":\"agent\","
        "\"type\":\"error\",\"data\":{},\"raw\":null,\"x\":1}",
        "{\"time\":\"t\",\"session_id\":\"s1\",\"synthetic\":false,\"source\":\"agent\",\"type\":\"error\",\"data\":{},\"raw\":null}",
        "{\"time\": \"t\",\"session_id\":\"s1\",\"native_session_id\":null,\"synthetic\":false,\"source\":\"agent\","
        "\"type\":\"error\",\"data\":{},\"raw\":null}",
        "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"t\",\"session_id\":\"s1\",\"native_session_id\":null,"
        "\"synthetic\":false,\"source\":\"agent\",\"type\":\"error\",\"data\":{},\"raw\":null}",
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        sa_event_parts a;
        assert_int_equal(sa_event_split_line(other[i], strlen(other[i]), &a), 1);
        assert_null(a.text);
    }
}

/* `muts` random edits of buf[0..n) (replace, delete or insert a byte of
 * alphabet); the new length.  *seed is an LCG state. */
static size_t mutate(char *buf, size_t n, size_t cap, int muts, unsigned *seed, const char *alphabet)
{
    size_t na = strlen(alphabet);
    for (int k = 0; k < muts; k++) {
        *seed = *seed * 1103515245u + 12345u;
        size_t pos = (*seed >> 8) % n;
        char ch = alphabet[(*seed >> 20) % na];
        int op = (*seed >> 4) % 3;
        if (op == 0) buf[pos] = ch;
        else if (op == 1 && n > 1) { memmove(buf + pos, buf + pos + 1, n - pos); n--; }
        else if (n + 1 < cap) { memmove(buf + pos + 1, buf + pos, n - pos + 1); buf[pos] = ch; n++; }
    }
    buf[n] = '\0';
    return n;
}

/* Every seed mutated `rounds` times (1 to muts_mod edits each), each
 * mutant given to fn; the sum of what fn returned. */
static int mutations(const char *const *seeds, size_t ns, int rounds, int muts_mod, unsigned seed,
                     const char *alphabet, int (*fn)(const char *s, size_t n))
{
    char buf[512];
    int sum = 0;
    for (size_t si = 0; si < ns; si++) {
        size_t len = strlen(seeds[si]);
        for (int round = 0; round < rounds; round++) {
            memcpy(buf, seeds[si], len + 1);
            sum += fn(buf, mutate(buf, len, sizeof buf, 1 + round % muts_mod, &seed, alphabet));
        }
    }
    return sum;
}

/* check_print and check_split of one text; 1 if it is in print form. */
static int print_and_split(const char *s, size_t n)
{
    check_print(s, n);
    check_split(s, n);
    return sa_json_canonical(s, n, NULL, 0, NULL);
}

/* Mutate seeds byte by byte: every accepted text prints as itself, every
 * cut line has split's parts. */
static void test_differential(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[],:\"\\ -+.0123456789eEtrufalsnb\x01\x7f\xc3\xa9u";
    int accepted = mutations(events, sizeof events / sizeof *events, 20000, 3, 4242, alphabet, print_and_split);
    assert_true(accepted > 1000);      /* the run does test accepted texts */
}

/* If sa_store_prepare_delta takes the line, the full path must take it too
 * with the same facts and text.  1 if it took it, else 0. */
static int check_delta(const char *s, size_t n)
{
    sa_jmember m[8];
    if (!sa_event_line_scan(s, n, m)) return 0;
    sa_store_prepared a, b;
    int r = sa_store_prepare_delta(s, n, m, "s1", &a);
    assert_true(r >= 0);
    if (r == 1) { assert_null(a.parts.text); return 0; }
    char err[256];
    cJSON *v = cJSON_ParseWithLength(s, n);
    if (!v || !sa_schema_check_event(v, SA_SCHEMA_NO_IDS, err, sizeof err))
        fail_msg("delta path took a line the schema rejects (%s): %.*s", v ? err : "not JSON", (int)n, s);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "session_id")->valuestring, "s1");
    assert_int_equal(sa_store_prepare_line(v, s, n, m, &b), 0);
    assert_string_equal(a.type, b.type);
    assert_string_equal(a.session_id, b.session_id);
    assert_string_equal(a.time, b.time);
    assert_int_equal(!a.native, !b.native);
    if (a.native) assert_string_equal(a.native, b.native);
    assert_int_equal(a.max_item, b.max_item);
    assert_int_equal(a.hitl, b.hitl);
    assert_int_equal(a.parts.len, b.parts.len);
    assert_memory_equal(a.parts.text, b.parts.text, a.parts.len);
    assert_int_equal(a.parts.raw_off, b.parts.raw_off);
    sa_store_prepared_clear(&a);
    sa_store_prepared_clear(&b);
    cJSON_Delete(v);
    return 1;
}

static void test_delta_path(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"time\":\"2026-01-01T00:00:00.000Z\",\"session_id\":\"s1\",\"native_session_id\":\"n1\",\"synthetic\":false,"
        "\"source\":\"agent\",\"type\":\"item.delta\",\"data\":{\"item_id\":\"itm_12\",\"native_item_id\":\"m\","
        "\"delta\":\"ab\\n\"},\"raw\":{\"mock\":\"item.delta\",\"delta\":\"ab\\n\"}}",
        "{\"time\":\"2026-01-01T00:00:00Z\",\"session_id\":\"s1\",\"native_session_id\":null,\"synthetic\":true,"
        "\"source\":\"daemon\",\"type\":\"item.delta\",\"data\":{\"item_id\":\"x\",\"native_item_id\":null,"
        "\"delta\":\"\"},\"raw\":null}",
    };
    static const char alphabet[] = "{}[],:\"\\ -+.0123456789eEtrufalsnbZT\x01\xc3\xa9u";
    int took, seeds_took = 0;
    for (size_t si = 0; si < sizeof seeds / sizeof *seeds; si++) seeds_took += check_delta(seeds[si], strlen(seeds[si]));
    assert_int_equal(seeds_took, 2);
    took = mutations(seeds, sizeof seeds / sizeof *seeds, 30000, 2, 777, alphabet, check_delta);
    assert_true(took > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_print_form),
        cmocka_unit_test(test_declines_other_forms),
        cmocka_unit_test(test_depth_bound),
        cmocka_unit_test(test_top_members),
        cmocka_unit_test(test_split_line_equals_split),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_delta_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
