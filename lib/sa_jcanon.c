/*
 * sa_jcanon.c — is a JSON text exactly what cJSON would print for it?
 *
 * sa-store prints every event it stores with cJSON (unformatted).  Most
 * lines it reads (sa-normalize's) are printed that way already; for those,
 * the stored text can be cut out of the line itself instead of printed
 * again from the parsed tree (sa_event_split_line).  sa_json_canonical
 * answers whether reprinting would change a byte: one pass, no allocation,
 * an explicit bracket stack (at most SA_JCANON_DEPTH deep).  It accepts
 * only the exact print form: no whitespace; strings with every byte below
 * 0x20, '"' and '\\' escaped the way cJSON escapes them (\" \\ \b \f \n \r
 * \t, else \u00xx in lowercase hex) and nothing else escaped; integers
 * -?(0|[1-9][0-9]{0,8}) (cJSON prints an int-sized integral number with
 * %d; anything else is declined rather than reasoned about); true, false,
 * null.  A text it declines may still be canonical: the caller then prints
 * as before.  It also reports where the top-level object's members start,
 * so the caller can cut them.
 *
 * Ownership: reads the borrowed buffer only.
 */
#include "sa_jcanon.h"

#include <stdbool.h>
#include <string.h>

/* Index after a canonical string starting at s[i] == '"', or 0. */
static size_t canon_string(const unsigned char *s, size_t i, size_t n)
{
    i++;
    for (;;) {
        while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') i++;
        if (i >= n || s[i] < 0x20) return 0;
        if (s[i] == '"') return i + 1;
        if (i + 1 >= n) return 0;
        unsigned char e = s[i + 1];
        if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') { i += 2; continue; }
        if (e != 'u' || i + 5 >= n || s[i + 2] != '0' || s[i + 3] != '0' || (s[i + 4] != '0' && s[i + 4] != '1'))
            return 0;
        unsigned char h = s[i + 5];
        unsigned v = (unsigned)(s[i + 4] - '0') * 16u;
        if (h >= '0' && h <= '9') v += h - '0';
        else if (h >= 'a' && h <= 'f') v += (unsigned)(h - 'a') + 10u;
        else return 0;
        /* \u0000 ends a cJSON string; b f n r t have their short forms */
        if (v == 0 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') return 0;
        i += 6;
    }
}

static size_t canon_number(const unsigned char *s, size_t i, size_t n)
{
    size_t st = i;
    if (i < n && s[i] == '-') i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    if (s[i] == '0') {
        if (s[st] == '-') return 0;                       /* "-0" prints as 0 */
        i++;
    } else {
        size_t d = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') { i++; d++; }
        if (d > 9) return 0;
    }
    if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) return 0;
    return i;
}

bool sa_json_canonical(const char *text, size_t len, sa_jmember *top, size_t max, size_t *ntop)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char stack[SA_JCANON_DEPTH];     /* '{' or '[' */
    size_t depth = 0, i = 0, nt = 0;
    if (ntop) *ntop = 0;
    /* after a value: ',' or the closing bracket; then a key (in an object) or a value */
    for (;;) {
        /* one value at s[i] */
        if (i >= len) return false;
        unsigned char c = s[i];
        if (c == '{' || c == '[') {
            if (depth == SA_JCANON_DEPTH) return false;
            stack[depth++] = c;
            i++;
            if (i < len && s[i] == (c == '{' ? '}' : ']')) { depth--; i++; goto after; }
            if (c == '[') continue;
            goto key;
        }
        if (c == '"') { if (!(i = canon_string(s, i, len))) return false; }
        else if (c == 't') { if (len - i < 4 || memcmp(s + i, "true", 4)) return false; i += 4; }
        else if (c == 'f') { if (len - i < 5 || memcmp(s + i, "false", 5)) return false; i += 5; }
        else if (c == 'n') { if (len - i < 4 || memcmp(s + i, "null", 4)) return false; i += 4; }
        else if (!(i = canon_number(s, i, len))) return false;
    after:
        if (depth == 0) return i == len;
        if (i >= len) return false;
        if (s[i] == ',') {
            i++;
            if (stack[depth - 1] == '[') continue;
            goto key;
        }
        if (s[i] != (stack[depth - 1] == '{' ? '}' : ']')) return false;
        depth--;
        i++;
        goto after;
    key:
        if (i >= len || s[i] != '"') return false;
        if (depth == 1 && top) {
            if (nt == max) return false;
            top[nt].off = i;
        }
        size_t k = canon_string(s, i, len);
        if (!k || k >= len || s[k] != ':') return false;
        if (depth == 1 && top) { top[nt].key_len = k - i; top[nt].val = k + 1; nt++; if (ntop) *ntop = nt; }
        i = k + 1;
    }
}
