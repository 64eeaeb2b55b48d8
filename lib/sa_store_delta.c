/*
 * sa_store_delta.c — sa_store_prepare_delta: an item.delta line prepared
 * for the store without parsing it (the event a burst is made of).
 *
 * How it works: the line has passed sa_event_line_scan (cJSON's print
 * form, the eight envelope members in order, so every string in it is
 * escaped the canonical way and holds no NUL).  What sa_schema_check_event
 * (SA_SCHEMA_NO_IDS) checks for an item.delta is then checked on the text:
 * type "item.delta"; synthetic true or false; source "agent" or "daemon"
 * (and "daemon" when synthetic); time an RFC 3339 date-time;
 * native_session_id a string or null; data exactly
 * {"item_id":S,"native_item_id":S|null,"delta":S} in that order with a
 * non-empty item_id.  Strings holding a backslash (whose value differs
 * from their text) are left to the parse, as is every line that fails a
 * check, so the error messages stay the schema's.  The facts the store
 * needs (session id, time, native id, highest itm_N) are copied from the
 * text, the stored text is cut (sa_event_split_cut).
 *
 * Ownership: the prepared event's strings are new (sa_store_prepared_clear).
 */
#include "sa_store.h"
#include "sa_schema.h"

#include <stdlib.h>
#include <string.h>

/* The value at [a, b) as a string without escapes: its content in *s, *n. */
static bool plain_str(const char *line, size_t a, size_t b, const char **s, size_t *n)
{
    if (b < a + 2 || line[a] != '"' || line[b - 1] != '"' || memchr(line + a + 1, '\\', b - a - 2)) return false;
    *s = line + a + 1;
    *n = b - a - 2;
    return true;
}

static bool is_lit(const char *line, size_t a, size_t b, const char *lit)
{
    size_t n = strlen(lit);
    return b - a == n && !memcmp(line + a, lit, n);
}

/* End (index after the closing quote) of the canonical string at s[i] == '"'. */
static size_t str_end(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\') { i++; continue; }
        if (s[i] == '"') return i + 1;
    }
    return 0;
}

static bool expect(const char *s, size_t *i, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n - *i < k || memcmp(s + *i, lit, k)) return false;
    *i += k;
    return true;
}

static char *dupn(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) { memcpy(c, s, n); c[n] = '\0'; }
    return c;
}

int sa_store_prepare_delta(const char *line, size_t len, const sa_jmember m[8], const char *session,
                           sa_store_prepared *p)
{
    memset(p, 0, sizeof *p);
    /* value ends: member i's value runs to the ',' before member i+1 (raw: to the final '}') */
    size_t end[8];
    for (int i = 0; i < 7; i++) end[i] = m[i + 1].off - 1;
    end[7] = len - 1;
    if (!is_lit(line, m[5].val, end[5], "\"item.delta\"")) return 1;
    bool synthetic = is_lit(line, m[3].val, end[3], "true");
    if (!synthetic && !is_lit(line, m[3].val, end[3], "false")) return 1;
    if (!is_lit(line, m[4].val, end[4], "\"daemon\"") && (synthetic || !is_lit(line, m[4].val, end[4], "\"agent\"")))
        return 1;
    const char *t, *sid, *nat = NULL;
    size_t tn, sn, nn = 0;
    if (!plain_str(line, m[0].val, end[0], &t, &tn) || tn >= 64) return 1;
    char tb[64];
    memcpy(tb, t, tn);
    tb[tn] = '\0';
    if (!sa_schema_is_rfc3339(tb)) return 1;
    if (!plain_str(line, m[1].val, end[1], &sid, &sn) || strlen(session) != sn || memcmp(sid, session, sn))
        return 1;
    if (!is_lit(line, m[2].val, end[2], "null") && !plain_str(line, m[2].val, end[2], &nat, &nn)) return 1;
    /* data: {"item_id":S,"native_item_id":S|null,"delta":S} */
    size_t i = m[6].val, e = end[6], a;
    if (!expect(line, &i, e, "{\"item_id\":")) return 1;
    a = i;
    if (i >= e || line[i] != '"' || !(i = str_end(line, i, e))) return 1;
    const char *id;
    size_t idn;
    if (!plain_str(line, a, i, &id, &idn) || idn == 0) return 1;
    if (!expect(line, &i, e, ",\"native_item_id\":")) return 1;
    if (!expect(line, &i, e, "null")) {
        if (i >= e || line[i] != '"' || !(i = str_end(line, i, e))) return 1;
    }
    if (!expect(line, &i, e, ",\"delta\":") || i >= e || line[i] != '"' || !(i = str_end(line, i, e)) ||
        !expect(line, &i, e, "}") || i != e)
        return 1;
    uint64_t item = 0;
    if (idn > 4 && !memcmp(id, "itm_", 4)) {
        for (size_t k = 4; k < idn; k++) {
            if (id[k] < '0' || id[k] > '9' || item > (UINT64_MAX - 9) / 10) { item = 0; break; }
            item = item * 10 + (uint64_t)(id[k] - '0');
        }
    }
    memcpy(p->type, "item.delta", sizeof "item.delta");
    p->max_item = item;
    p->session_id = dupn(sid, sn);
    p->time = dupn(t, tn);
    p->native = nat ? dupn(nat, nn) : NULL;
    if (!p->session_id || !p->time || (nat && !p->native) || sa_event_split_cut(line, len, m, &p->parts) < 0) {
        sa_store_prepared_clear(p);
        return -1;
    }
    return 0;
}
