/*
 * test_line.c — cmocka tests for lib/sa_line.c, the bounded line reader:
 * ordinary lines, empty lines, a line of exactly max bytes, overlong lines
 * (reported once, rest skipped), partial reads on a non-blocking pipe, EOF
 * without a final newline, and line numbering.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "sa.h"

/* A pipe with `data` written and the write end closed (if close_w). */
static int pipe_with(const char *data, size_t len, bool close_w, int *wfd)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    if (len) assert_int_equal(write(p[1], data, len), (ssize_t)len);
    if (close_w) close(p[1]);
    else *wfd = p[1];
    return p[0];
}

static void expect_line(sa_line *lr, int want_rc, const char *want)
{
    char *line;
    size_t len;
    int rc = sa_line_next(lr, &line, &len);
    assert_int_equal(rc, want_rc);
    if (want) {
        assert_int_equal(len, strlen(want));
        assert_memory_equal(line, want, len);
        assert_int_equal(line[len], '\0');
    }
}

static void test_simple(void **state)
{
    (void)state;
    const char *d = "one\n\ntwo\n";
    int fd = pipe_with(d, strlen(d), true, NULL);
    sa_line lr;
    sa_line_init(&lr, fd, 100);
    expect_line(&lr, SA_LINE_OK, "one");
    expect_line(&lr, SA_LINE_OK, "");
    expect_line(&lr, SA_LINE_OK, "two");
    assert_int_equal(lr.lineno, 3);
    expect_line(&lr, SA_LINE_EOF, NULL);
    expect_line(&lr, SA_LINE_EOF, NULL);
    sa_line_free(&lr);
    close(fd);
}

static void test_eof_without_newline(void **state)
{
    (void)state;
    int fd = pipe_with("a\nlast", 6, true, NULL);
    sa_line lr;
    sa_line_init(&lr, fd, 100);
    expect_line(&lr, SA_LINE_OK, "a");
    expect_line(&lr, SA_LINE_OK, "last");
    expect_line(&lr, SA_LINE_EOF, NULL);
    assert_int_equal(lr.lineno, 2);
    sa_line_free(&lr);
    close(fd);
}

static void test_exact_max_and_overlong(void **state)
{
    (void)state;
    /* max 8: "12345678" fits, "123456789abc" is too long, then "ok" */
    const char *d = "12345678\n123456789abc\nok\n";
    int fd = pipe_with(d, strlen(d), true, NULL);
    sa_line lr;
    sa_line_init(&lr, fd, 8);
    expect_line(&lr, SA_LINE_OK, "12345678");
    char *line;
    size_t len;
    assert_int_equal(sa_line_next(&lr, &line, &len), SA_LINE_TOOLONG);
    assert_true(len <= 8);
    assert_memory_equal(line, "12345678", len);
    expect_line(&lr, SA_LINE_OK, "ok");
    assert_int_equal(lr.lineno, 3);
    expect_line(&lr, SA_LINE_EOF, NULL);
    sa_line_free(&lr);
    close(fd);
}

static void test_long_lines_many_reads(void **state)
{
    (void)state;
    /* a 1 MiB line through a pipe (several read(2)s, buffer growth), a huge
     * line over the limit, then a short one */
    size_t big = 1 << 20, huge = 3 << 20;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        char *buf = malloc(huge + 1);
        memset(buf, 'x', big);
        buf[big] = '\n';
        (void)sa_write_all(p[1], buf, big + 1);
        memset(buf, 'y', huge);
        buf[huge] = '\n';
        (void)sa_write_all(p[1], buf, huge + 1);
        (void)sa_write_all(p[1], "end\n", 4);
        free(buf);
        _exit(0);
    }
    close(p[1]);
    sa_line lr;
    sa_line_init(&lr, p[0], 2 << 20);
    char *line;
    size_t len;
    assert_int_equal(sa_line_next(&lr, &line, &len), SA_LINE_OK);
    assert_int_equal(len, big);
    assert_int_equal(line[0], 'x');
    assert_int_equal(line[big - 1], 'x');
    assert_int_equal(sa_line_next(&lr, &line, &len), SA_LINE_TOOLONG);
    assert_int_equal(line[0], 'y');
    expect_line(&lr, SA_LINE_OK, "end");
    expect_line(&lr, SA_LINE_EOF, NULL);
    assert_true(lr.cap <= (2u << 20) + 1);      /* never grew past max+1 */
    sa_line_free(&lr);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
}

static void test_partial_nonblocking(void **state)
{
    (void)state;
    int wfd;
    int fd = pipe_with("par", 3, false, &wfd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    sa_line lr;
    sa_line_init(&lr, fd, 100);
    expect_line(&lr, SA_LINE_AGAIN, NULL);
    assert_false(sa_line_buffered(&lr));
    assert_int_equal(write(wfd, "tial\nnext\nx", 11), 11);
    expect_line(&lr, SA_LINE_OK, "partial");
    assert_true(sa_line_buffered(&lr));         /* "next\n" is already here */
    expect_line(&lr, SA_LINE_OK, "next");
    assert_false(sa_line_buffered(&lr));
    expect_line(&lr, SA_LINE_AGAIN, NULL);
    close(wfd);
    expect_line(&lr, SA_LINE_OK, "x");
    expect_line(&lr, SA_LINE_EOF, NULL);
    sa_line_free(&lr);
    close(fd);
}

static void test_overlong_at_eof(void **state)
{
    (void)state;
    int fd = pipe_with("abcdefghijklmnop", 16, true, NULL);
    sa_line lr;
    sa_line_init(&lr, fd, 4);
    char *line;
    size_t len;
    assert_int_equal(sa_line_next(&lr, &line, &len), SA_LINE_TOOLONG);
    expect_line(&lr, SA_LINE_EOF, NULL);
    sa_line_free(&lr);
    close(fd);
}

/* After a long line the buffer can be given back; unread bytes survive it. */
static void test_shrink_keeps_unread(void **state)
{
    (void)state;
    size_t big = 100000;
    char *data = malloc(big + 64);
    assert_non_null(data);
    memset(data, 'x', big);
    data[big] = '\n';
    memcpy(data + big + 1, "next\nlast", 9);
    int wfd;
    int fd = pipe_with("", 0, false, &wfd);
    /* write the long line and the start of the rest in one go, so they share the buffer */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd);
        ssize_t w = write(wfd, data, big + 10);
        _exit(w == (ssize_t)(big + 10) ? 0 : 1);
    }
    close(wfd);
    sa_line lr;
    sa_line_init(&lr, fd, 1 << 20);
    char *line;
    size_t len;
    assert_int_equal(sa_line_next(&lr, &line, &len), SA_LINE_OK);
    assert_int_equal(len, big);
    size_t grown = lr.cap;
    assert_true(grown > big);
    sa_line_shrink(&lr, 4096);
    assert_true(lr.cap <= 4096);
    expect_line(&lr, SA_LINE_OK, "next");
    expect_line(&lr, SA_LINE_OK, "last");
    expect_line(&lr, SA_LINE_EOF, NULL);
    /* a buffer already small is left alone */
    size_t cap = lr.cap;
    sa_line_shrink(&lr, 8192);
    assert_int_equal(lr.cap, cap);
    sa_line_free(&lr);
    close(fd);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(data);
}

/* With a chunk, a pipe's worth of short lines comes in one read: the
 * buffer starts at the chunk size, lines are returned as without one, and
 * a shrink keeps the chunk. */
static void test_chunk(void **state)
{
    (void)state;
    char data[40000];
    size_t n = 0;
    for (int i = 0; n + 16 < sizeof data; i++) n += (size_t)snprintf(data + n, sizeof data - n, "line %05d\n", i);
    int fd = pipe_with(data, n, true, NULL);
    sa_line lr;
    sa_line_init(&lr, fd, 1u << 20);
    sa_line_set_chunk(&lr, 65536);
    expect_line(&lr, SA_LINE_OK, "line 00000");
    assert_int_equal(lr.cap, 65536);
    assert_int_equal(lr.len, n);              /* everything written was read at once */
    expect_line(&lr, SA_LINE_OK, "line 00001");
    char want[16];
    for (int i = 2; i < 100; i++) { snprintf(want, sizeof want, "line %05d", i); expect_line(&lr, SA_LINE_OK, want); }
    sa_line_shrink(&lr, 4096);
    assert_int_equal(lr.cap, 65536);          /* never below the chunk */
    expect_line(&lr, SA_LINE_OK, "line 00100");
    sa_line_free(&lr);
    close(fd);
}

static void test_read_error(void **state)
{
    (void)state;
    sa_line lr;
    sa_line_init(&lr, -1, 10);
    expect_line(&lr, SA_LINE_ERR, NULL);
    sa_line_free(&lr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_eof_without_newline),
        cmocka_unit_test(test_exact_max_and_overlong),
        cmocka_unit_test(test_long_lines_many_reads),
        cmocka_unit_test(test_partial_nonblocking),
        cmocka_unit_test(test_overlong_at_eof),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_shrink_keeps_unread),
        cmocka_unit_test(test_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
