/*
 * evscan.c — a small scanner for one stored event line (the canonical
 * one-line JSON sa-store prints).  It walks only the top-level members and
 * skips values without building a tree (strings by memchr), to find what the fan-out needs per
 * event: the sequence, the type, the native session id and where the
 * ',"raw":' member starts (so raw can be replaced by null by copying a
 * prefix).  No allocation; pointers in evs_info point into the input.
 *
 * Ownership: borrows the input; the result is valid while the input is.
 */
#include "serve.h"

#include <string.h>

static size_t ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    return i;
}

/* s[i] == '"': index just past the closing quote, or n+1 on error.  The
 * next '"' is found with memchr; it closes the string unless an odd run of
 * backslashes precedes it. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n;) {
        const char *q = memchr(s + i, '"', n - i);
        if (!q) return n + 1;
        size_t j = (size_t)(q - s), b = 0;
        while (j - b > i && s[j - b - 1] == '\\') b++;
        if (!(b & 1)) return j + 1;
        i = j + 1;
    }
    return n + 1;
}

/* Index just past the value starting at s[i], or n+1 on error. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (i >= n) return n + 1;
    if (s[i] == '"') return skip_string(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        /* 1: a string starts, 2: opens, 3: closes; everything else is skipped */
        static const unsigned char cls[256] = { ['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3 };
        int depth = 0;
        while (i < n) {
            while (i < n && !cls[(unsigned char)s[i]]) i++;
            if (i >= n) break;
            unsigned char k = cls[(unsigned char)s[i]];
            if (k == 1) { i = skip_string(s, i, n); if (i > n) return n + 1; continue; }
            if (k == 2) depth++;
            else if (--depth == 0) return i + 1;
            i++;
        }
        return n + 1;
    }
    size_t st = i;
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n') i++;
    return i > st ? i : n + 1;
}

bool evs_scan(const char *s, size_t n, evs_info *out)
{
    memset(out, 0, sizeof *out);
    size_t i = ws(s, 0, n);
    if (i >= n || s[i] != '{') return false;
    i++;
    bool have_seq = false, have_type = false, last_raw = false;
    for (;;) {
        size_t member = i;                   /* position of ',' before the key, or after '{' */
        i = ws(s, i, n);
        if (i >= n) return false;
        if (s[i] == '}') break;
        if (s[i] == ',') { member = i; i = ws(s, i + 1, n); }
        if (i >= n || s[i] != '"') return false;
        size_t ks = i + 1, ke = skip_string(s, i, n);
        if (ke > n) return false;
        size_t klen = ke - 1 - ks;
        i = ws(s, ke, n);
        if (i >= n || s[i] != ':') return false;
        i = ws(s, i + 1, n);
        size_t vs = i, ve = skip_value(s, i, n);
        if (ve > n) return false;
        const char *k = s + ks;
        last_raw = false;
        if (klen == 8 && !memcmp(k, "sequence", 8)) {
            uint64_t v = 0;
            for (size_t j = vs; j < ve; j++) {
                if (s[j] < '0' || s[j] > '9' || v > UINT64_MAX / 10 - 1) return false;
                v = v * 10 + (uint64_t)(s[j] - '0');
            }
            out->seq = v;
            have_seq = true;
        } else if (klen == 4 && !memcmp(k, "type", 4) && s[vs] == '"') {
            out->type = s + vs + 1;
            out->type_len = ve - vs - 2;
            have_type = true;
        } else if (klen == 17 && !memcmp(k, "native_session_id", 17) && s[vs] == '"') {
            out->native = s + vs + 1;
            out->native_len = ve - vs - 2;
        } else if (klen == 3 && !memcmp(k, "raw", 3) && s[member] == ',') {
            out->raw_off = member;
            last_raw = true;
        }
        i = ve;
    }
    out->has_raw = last_raw;          /* usable only when raw is the last member */
    return have_seq && have_type && out->seq > 0;
}

bool evs_type_is(const evs_info *e, const char *type)
{
    size_t n = strlen(type);
    return e->type_len == n && memcmp(e->type, type, n) == 0;
}
