/*
 * test_sa_sse.c — unit tests for sa/sse.c, the sa client's SSE frame
 * parser: id and data fields, multi-line data, CRLF / CR / LF line ends,
 * frames split across reads at every byte, heartbeat comments, frames
 * without data, a stop requested by the callback, the frame size limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"

typedef struct got { char data[8][64]; uint64_t id[8]; int n, stop_after; } got;

static bool on_ev(uint64_t id, const char *data, size_t len, void *arg)
{
    got *g = arg;
    if (g->n < 8) {
        snprintf(g->data[g->n], sizeof g->data[0], "%.*s", (int)len, data);
        g->id[g->n] = id;
    }
    g->n++;
    return !(g->stop_after && g->n >= g->stop_after);
}

static void feed_all(const char *in, got *g, size_t chunk)
{
    cl_sse_parser p = {.cb = on_ev, .arg = g};
    size_t n = strlen(in);
    for (size_t i = 0; i < n; i += chunk) cl_sse_feed(&p, in + i, i + chunk > n ? n - i : chunk);
    cl_sse_parser_free(&p);
}

static void test_id_and_data_make_one_event(void **s)
{
    (void)s;
    got g = {0};
    feed_all("id: 7\ndata: {\"a\":1}\n\n", &g, 1000);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.id[0], 7);
    assert_string_equal(g.data[0], "{\"a\":1}");
}

static void test_data_lines_join_with_newline_and_need_no_space(void **s)
{
    (void)s;
    got g = {0};
    feed_all("data:one\ndata: two\n\n", &g, 1000);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.data[0], "one\ntwo");
}

static void test_crlf_and_cr_line_ends_are_lf(void **s)
{
    (void)s;
    got g = {0};
    feed_all("id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\r", &g, 1000);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.data[0], "a");
    assert_string_equal(g.data[1], "b");
    assert_int_equal(g.id[1], 2);
}

static void test_split_at_every_byte_gives_the_same_events(void **s)
{
    (void)s;
    got g = {0};
    feed_all(": connected\r\n\r\nid: 3\r\ndata: x\r\n\r\nid: 4\ndata: y\n\n", &g, 1);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.data[0], "x");
    assert_string_equal(g.data[1], "y");
    assert_int_equal(g.id[1], 4);
}

static void test_comments_and_frames_without_data_are_no_events(void **s)
{
    (void)s;
    got g = {0};
    feed_all(": heartbeat\n\nid: 9\n\nevent: x\nretry: 5\n\n", &g, 1000);
    assert_int_equal(g.n, 0);
}

static void test_last_id_is_kept_and_a_bad_id_is_zero(void **s)
{
    (void)s;
    got g = {0};
    cl_sse_parser p = {.cb = on_ev, .arg = &g, .last_id = 5};
    cl_sse_feed(&p, "id: x\ndata: a\n\n", 15);
    assert_int_equal(g.id[0], 0);
    assert_int_equal(p.last_id, 5);
    cl_sse_feed(&p, "id: 12\ndata: b\n\n", 16);
    assert_int_equal(p.last_id, 12);
    assert_int_equal(p.events, 2);
    cl_sse_parser_free(&p);
}

static void test_callback_false_stops_the_stream(void **s)
{
    (void)s;
    got g = {.stop_after = 1};
    cl_sse_parser p = {.cb = on_ev, .arg = &g};
    const char *in = "data: a\n\ndata: b\n\n";
    assert_int_equal(cl_sse_feed(&p, in, strlen(in)), -1);
    assert_int_equal(g.n, 1);
    assert_true(p.stopped);
    cl_sse_parser_free(&p);
}

static void test_reset_drops_a_partial_frame(void **s)
{
    (void)s;
    got g = {0};
    cl_sse_parser p = {.cb = on_ev, .arg = &g};
    cl_sse_feed(&p, "data: half", 10);
    cl_sse_parser_reset(&p);
    cl_sse_feed(&p, "data: whole\n\n", 13);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.data[0], "whole");
    cl_sse_parser_free(&p);
}

static void test_a_frame_over_the_limit_fails(void **s)
{
    (void)s;
    got g = {0};
    cl_sse_parser p = {.cb = on_ev, .arg = &g};
    size_t n = CL_SSE_FRAME_MAX + 16;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    memcpy(big, "data: ", 6);
    assert_int_equal(cl_sse_feed(&p, big, n), -1);
    assert_true(p.too_big);
    assert_int_equal(g.n, 0);
    free(big);
    cl_sse_parser_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_and_data_make_one_event),
        cmocka_unit_test(test_data_lines_join_with_newline_and_need_no_space),
        cmocka_unit_test(test_crlf_and_cr_line_ends_are_lf),
        cmocka_unit_test(test_split_at_every_byte_gives_the_same_events),
        cmocka_unit_test(test_comments_and_frames_without_data_are_no_events),
        cmocka_unit_test(test_last_id_is_kept_and_a_bad_id_is_zero),
        cmocka_unit_test(test_callback_false_stops_the_stream),
        cmocka_unit_test(test_reset_drops_a_partial_frame),
        cmocka_unit_test(test_a_frame_over_the_limit_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
