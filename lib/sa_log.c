/*
 * sa_log.c — diagnostics in the form "prog: what failed: why" on stderr,
 * in the spirit of err(3).  Each message is written with one write(2) so
 * lines from the stages of a pipeline never interleave mid-line.
 */
#include "sa.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "sa";
static int level = 1;

void sa_log_init(const char *argv0)
{
    if (argv0 && *argv0) {
        const char *slash = strrchr(argv0, '/');
        prog = slash ? slash + 1 : argv0;
    }
    const char *env = getenv("SA_LOG_LEVEL");
    if (env && *env >= '0' && *env <= '3' && env[1] == '\0')
        level = *env - '0';
}

const char *sa_prog(void) { return prog; }
void sa_log_set_level(int l) { level = l; }
int sa_log_level(void) { return level; }

static void emit(int errnum, const char *fmt, va_list ap)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "%s: ", prog);
    if (n < 0) return;
    size_t off = (size_t)n;
    int m = vsnprintf(buf + off, sizeof buf - off, fmt, ap);
    if (m > 0) off += (size_t)m < sizeof buf - off ? (size_t)m : sizeof buf - off - 1;
    if (errnum && off < sizeof buf - 1) {
        m = snprintf(buf + off, sizeof buf - off, ": %s", strerror(errnum));
        if (m > 0) off += (size_t)m < sizeof buf - off ? (size_t)m : sizeof buf - off - 1;
    }
    if (off >= sizeof buf - 1) off = sizeof buf - 2;
    buf[off++] = '\n';
    (void)sa_write_all(STDERR_FILENO, buf, off);
}

void sa_warn(const char *fmt, ...)
{
    int e = errno;
    va_list ap; va_start(ap, fmt); emit(e, fmt, ap); va_end(ap);
    errno = e;
}

void sa_warnx(const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt); emit(0, fmt, ap); va_end(ap);
}

void sa_notice(const char *fmt, ...)
{
    if (level < 1) return;
    va_list ap; va_start(ap, fmt); emit(0, fmt, ap); va_end(ap);
}

void sa_info(const char *fmt, ...)
{
    if (level < 2) return;
    va_list ap; va_start(ap, fmt); emit(0, fmt, ap); va_end(ap);
}

void sa_debug(const char *fmt, ...)
{
    if (level < 3) return;
    va_list ap; va_start(ap, fmt); emit(0, fmt, ap); va_end(ap);
}

void sa_die(int code, const char *fmt, ...)
{
    int e = errno;
    va_list ap; va_start(ap, fmt); emit(e, fmt, ap); va_end(ap);
    exit(code);
}

void sa_diex(int code, const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt); emit(0, fmt, ap); va_end(ap);
    exit(code);
}
