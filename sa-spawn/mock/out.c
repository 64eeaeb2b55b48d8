/*
 * out.c — the mock's stdout: one growing buffer, JSON string escaping, and
 * write(2) in large chunks.  Outside a burst every completed line is
 * written at once (the contract says "flush every line"); during a burst
 * (mo_batching) lines accumulate up to OUT_HIGH bytes so 100k+ lines/s are
 * cheap.  A write error (reader gone) ends the mock with status 0: nobody
 * is left to talk to.
 */
#include "mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_HIGH (256 * 1024)

bool mo_batching;

static void reserve(size_t n)
{
    if (M.olen + n <= M.ocap) return;
    size_t cap = M.ocap ? M.ocap : 65536;
    while (cap < M.olen + n) cap *= 2;
    char *nb = realloc(M.ob, cap);
    if (!nb) sa_die(1, "out of memory");
    M.ob = nb;
    M.ocap = cap;
}

void mo_raw(const char *s, size_t n)
{
    reserve(n);
    memcpy(M.ob + M.olen, s, n);
    M.olen += n;
}

void mo_str(const char *s) { mo_raw(s, strlen(s)); }

void mo_jstr(const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    reserve(n * 6 + 2);
    char *o = M.ob + M.olen;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':  *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        default:
            if (c < 0x20) {
                *o++ = '\\'; *o++ = 'u'; *o++ = '0'; *o++ = '0';
                *o++ = hex[c >> 4]; *o++ = hex[c & 15];
            } else {
                *o++ = (char)c;
            }
        }
    }
    *o++ = '"';
    M.olen = (size_t)(o - M.ob);
}

void mo_int(long long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%lld", v);
    mo_raw(b, (size_t)n);
}

void mo_flush(void)
{
    if (M.olen == 0) return;
    if (sa_write_all(STDOUT_FILENO, M.ob, M.olen) < 0) {
        mi_free();
        free(M.ob);
        exit(0);
    }
    M.olen = 0;
}

void mo_maybe_flush(void)
{
    if (M.olen >= OUT_HIGH) mo_flush();
}

void mo_end_line(void)
{
    mo_raw("\n", 1);
    if (mo_batching) mo_maybe_flush();
    else mo_flush();
}
