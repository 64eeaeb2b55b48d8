/*
 * nz_scan.c — no-allocation JSON check for lines that only go to jq.
 *
 * nz_scan_line walks a line once with an explicit bracket counter (no
 * recursion, no allocation) and answers NZ_SCAN_PLAIN (valid JSON, nesting
 * at most NZ_SCAN_DEPTH, not an sa-spawn line) or NZ_SCAN_SLOW.  It accepts
 * only a strict subset of what cJSON accepts — RFC 8259 JSON with numbers
 * of at most 63 characters, no raw control characters in strings, \u
 * escapes outside the surrogate range, nothing after the value but
 * space/tab/CR/LF — so a PLAIN answer always agrees with cJSON.  Everything
 * else (sa lines, bad or unusual JSON, deep nesting) is NZ_SCAN_SLOW and the
 * caller decides with cJSON as before, so verdicts never change.
 *
 * Ownership: reads the borrowed buffer only.
 */
#include "nz_scan.h"

#include <stdbool.h>
#include <string.h>

static inline bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static inline bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* String starting after the opening quote; returns the index after the
 * closing quote, or 0 when the string is not on the fast path. */
static size_t scan_string(const unsigned char *s, size_t i, size_t n)
{
    for (;;) {
        while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20) i++;
        if (i >= n || s[i] < 0x20) return 0;
        if (s[i] == '"') return i + 1;
        if (++i >= n) return 0;                     /* backslash */
        unsigned char e = s[i];
        if (e == 'u') {
            if (i + 4 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) || !is_hex(s[i + 4]))
                return 0;
            unsigned c0 = s[i + 1] | 0x20;
            if (c0 == 'd' && (s[i + 2] >= '8' || (s[i + 2] | 0x20) >= 'a')) return 0;   /* surrogates */
            i += 5;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
            i++;
        } else {
            return 0;
        }
    }
}

/* Number per RFC 8259; returns the index after it or 0. */
static size_t scan_number(const unsigned char *s, size_t i, size_t n)
{
    size_t st = i;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return 0;
    if (s[i] == '0') i++;
    else if (s[i] >= '1' && s[i] <= '9') while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    else return 0;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i - st > 63 ? 0 : i;
}

nz_scan_result nz_scan_line(const char *line, size_t n)
{
    const unsigned char *s = (const unsigned char *)line;
    /* stack of open containers as bits: 1 = object, 0 = array */
    unsigned char stack[(NZ_SCAN_DEPTH + 7) / 8];
    int depth = 0;
    size_t i = 0;
    while (i < n && is_ws(s[i])) i++;
    if (i < n && s[i] == '{') {                   /* sa-spawn line? first key "sa" with a string */
        size_t k = i + 1;
        while (k < n && is_ws(s[k])) k++;
        if (k + 4 <= n && !memcmp(s + k, "\"sa\"", 4)) return NZ_SCAN_SLOW;
        if (k < n && s[k] == '"') {
            size_t e = k + 1;
            while (e < n && s[e] != '"') if (s[e++] == '\\') return NZ_SCAN_SLOW;  /* escaped key */
        }
    }

    for (;;) {
        /* expect a value */
        while (i < n && is_ws(s[i])) i++;
        if (i >= n) return NZ_SCAN_SLOW;
        unsigned char c = s[i];
        if (c == '{' || c == '[') {
            if (depth >= NZ_SCAN_DEPTH) return NZ_SCAN_SLOW;
            if (c == '{') stack[depth / 8] |= (unsigned char)(1u << (depth % 8));
            else stack[depth / 8] &= (unsigned char)~(1u << (depth % 8));
            depth++;
            i++;
            while (i < n && is_ws(s[i])) i++;
            if (i < n && s[i] == (c == '{' ? '}' : ']')) { depth--; i++; goto after_value; }
            if (c == '{') goto object_key;
            continue;
        } else if (c == '"') {
            if (!(i = scan_string(s, i + 1, n))) return NZ_SCAN_SLOW;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (!(i = scan_number(s, i, n))) return NZ_SCAN_SLOW;
        } else if (n - i >= 4 && !memcmp(s + i, "true", 4)) {
            i += 4;
        } else if (n - i >= 5 && !memcmp(s + i, "false", 5)) {
            i += 5;
        } else if (n - i >= 4 && !memcmp(s + i, "null", 4)) {
            i += 4;
        } else {
            return NZ_SCAN_SLOW;
        }
    after_value:
        while (i < n && is_ws(s[i])) i++;
        if (depth == 0) return i == n ? NZ_SCAN_PLAIN : NZ_SCAN_SLOW;
        if (i >= n) return NZ_SCAN_SLOW;
        bool obj = stack[(depth - 1) / 8] & (1u << ((depth - 1) % 8));
        if (s[i] == ',') {
            i++;
            if (!obj) continue;
        } else if (s[i] == (obj ? '}' : ']')) {
            depth--;
            i++;
            goto after_value;
        } else {
            return NZ_SCAN_SLOW;
        }
    object_key:
        while (i < n && is_ws(s[i])) i++;
        if (i >= n || s[i] != '"') return NZ_SCAN_SLOW;
        if (!(i = scan_string(s, i + 1, n))) return NZ_SCAN_SLOW;
        while (i < n && is_ws(s[i])) i++;
        if (i >= n || s[i] != ':') return NZ_SCAN_SLOW;
        i++;
    }
}
