/*
 * nz_fast.c — text deltas mapped in C, without jq (see nz_fast.h).
 *
 * How it works: a line is first matched against the exact prefix its agent
 * prints for a delta (a byte compare, so other lines cost nothing), then
 * parsed with cJSON and checked member by member: an object holding only
 * the keys listed below, each at most once (jq keeps the last of a
 * repeated key, cJSON the first, so repeated keys go to jq), with values of
 * the listed types.  A line with a \u0000 escape goes to jq too (cJSON
 * ends a string there, jq does not).  The conversion is then the one the
 * agent's jq program builds for such a line:
 *
 *   mock    {"mock":"item.delta","native_item_id":S,"delta":S}  (mock.jq)
 *           → {type:item.delta, data:{item_id:"", native_item_id, delta}, synthetic:false}
 *   claude  {"type":"stream_event","event":{"type":"content_block_delta",
 *            "index":any,"delta":{"type":any,"text":S≠""}},"session_id":S?,
 *            "parent_tool_use_id":null?,"uuid":any?}  (claude.jq stream_event)
 *           → {type:item.delta, data:{item_id:"", native_item_id:null, delta:text},
 *              native_session_id: session_id or null}
 *   codex   {"method":M,"params":{"threadId":S?,"turnId":any?,"itemId":S,
 *            "delta":S},"emittedAtMs":any?,"jsonrpc":any?}, M one of
 *           item/agentMessage/delta, item/reasoning/summaryTextDelta,
 *           item/reasoning/textDelta, item/plan/delta  (codex.jq delta)
 *           → {type:item.delta, data:{item_id:"", native_item_id:itemId, delta},
 *              native_session_id: threadId or null}
 *
 * Before that, nz_fast_delta_parse takes the same lines when they are
 * printed exactly as the agents print them (their keys in the agents' own
 * order, no spaces): they are matched byte by byte, their strings decoded
 * in C, and nz_state_delta makes the event with no cJSON tree at all.  Any
 * other order or form goes to nz_fast_convert, then to jq.
 *
 * Ownership: the parsed line is freed here; the returned array is the
 * caller's.  Strings are moved from the parsed line into the result, not
 * copied.  A nz_fast_delta is one block (its strings follow it): free().
 */
#include "nz_fast.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

nz_fast_kind nz_fast_kind_of(const char *program)
{
    static const char dir[] = "# sa-fast-path:";
    for (const char *p = program; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, dir, sizeof dir - 1)) continue;
        const char *n = p + sizeof dir - 1;
        while (*n == ' ' || *n == '\t') n++;
        size_t len = strcspn(n, " \t\r\n");
        if (len == 4 && !strncmp(n, "mock", 4)) return NZ_FAST_MOCK;
        if (len == 6 && !strncmp(n, "claude", 6)) return NZ_FAST_CLAUDE;
        if (len == 5 && !strncmp(n, "codex", 5)) return NZ_FAST_CODEX;
        return NZ_FAST_NONE;
    }
    return NZ_FAST_NONE;
}

/* Every member of o is one of keys[0..n), none twice; out[i] = the member
 * named keys[i] or NULL. */
static bool members(const cJSON *o, const char *const *keys, size_t n, cJSON **out)
{
    if (!cJSON_IsObject(o)) return false;
    for (size_t i = 0; i < n; i++) out[i] = NULL;
    for (cJSON *c = o->child; c; c = c->next) {
        size_t i = 0;
        while (i < n && (!c->string || strcmp(c->string, keys[i]))) i++;
        if (i == n || out[i]) return false;
        out[i] = c;
    }
    return true;
}

static bool is_str(const cJSON *v, const char *want)
{
    return cJSON_IsString(v) && v->valuestring && (!want || !strcmp(v->valuestring, want));
}

/* Move string member v out of its parent, renamed `key`, into o. */
static void move_str(cJSON *parent, cJSON *v, cJSON *o, const char *key)
{
    cJSON_DetachItemViaPointer(parent, v);
    cJSON_AddItemToObject(o, key, v);
}

/* [{"type":"item.delta","data":{"item_id":"",...}}] with data's remaining
 * members added by the caller; the conversion object in *conv. */
static cJSON *delta_conv(cJSON **conv, cJSON **data)
{
    cJSON *arr = cJSON_CreateArray(), *c = cJSON_CreateObject(), *d = cJSON_CreateObject();
    if (!arr || !c || !d) { cJSON_Delete(arr); cJSON_Delete(c); cJSON_Delete(d); return NULL; }
    cJSON_AddItemToArray(arr, c);
    cJSON_AddStringToObject(c, "type", "item.delta");
    cJSON_AddItemToObject(c, "data", d);
    cJSON_AddStringToObject(d, "item_id", "");
    *conv = c;
    *data = d;
    return arr;
}

static cJSON *mock_delta(cJSON *v)
{
    static const char *const k[] = { "mock", "native_item_id", "delta" };
    cJSON *m[3];
    if (!members(v, k, 3, m) || !is_str(m[0], "item.delta") || !is_str(m[1], NULL) || !is_str(m[2], NULL))
        return NULL;
    cJSON *c, *d, *arr = delta_conv(&c, &d);
    if (!arr) return NULL;
    move_str(v, m[1], d, "native_item_id");
    move_str(v, m[2], d, "delta");
    cJSON_AddFalseToObject(c, "synthetic");
    return arr;
}

static cJSON *claude_delta(cJSON *v)
{
    static const char *const k[] = { "type", "event", "session_id", "parent_tool_use_id", "uuid" };
    static const char *const ek[] = { "type", "index", "delta" };
    static const char *const dk[] = { "type", "text" };
    cJSON *m[5], *e[3], *dl[2];
    if (!members(v, k, 5, m) || !is_str(m[0], "stream_event") || (m[2] && !is_str(m[2], NULL)) ||
        (m[3] && !cJSON_IsNull(m[3])))
        return NULL;
    if (!members(m[1], ek, 3, e) || !is_str(e[0], "content_block_delta") || !members(e[2], dk, 2, dl) ||
        !is_str(dl[1], NULL) || !dl[1]->valuestring[0])
        return NULL;
    cJSON *c, *d, *arr = delta_conv(&c, &d);
    if (!arr) return NULL;
    cJSON_AddNullToObject(d, "native_item_id");
    move_str(e[2], dl[1], d, "delta");
    if (m[2]) move_str(v, m[2], c, "native_session_id");
    else cJSON_AddNullToObject(c, "native_session_id");
    return arr;
}

static cJSON *codex_delta(cJSON *v)
{
    static const char *const k[] = { "method", "params", "emittedAtMs", "jsonrpc" };
    static const char *const pk[] = { "threadId", "turnId", "itemId", "delta" };
    static const char *const methods[] = { "item/agentMessage/delta", "item/reasoning/summaryTextDelta",
                                           "item/reasoning/textDelta", "item/plan/delta" };
    cJSON *m[4], *p[4];
    if (!members(v, k, 4, m) || !is_str(m[0], NULL) || !members(m[1], pk, 4, p) ||
        (p[0] && !is_str(p[0], NULL)) || !is_str(p[2], NULL) || !is_str(p[3], NULL))
        return NULL;
    bool known = false;
    for (size_t i = 0; i < sizeof methods / sizeof *methods && !known; i++)
        known = !strcmp(m[0]->valuestring, methods[i]);
    if (!known) return NULL;
    cJSON *c, *d, *arr = delta_conv(&c, &d);
    if (!arr) return NULL;
    move_str(m[1], p[2], d, "native_item_id");
    move_str(m[1], p[3], d, "delta");
    if (p[0]) move_str(m[1], p[0], c, "native_session_id");
    else cJSON_AddNullToObject(c, "native_session_id");
    return arr;
}

/* ---- the lines exactly as the agents print them: no tree at all ---- */

typedef struct tk { const char *s; size_t i, n; char *o; } tk;   /* o: where decoded strings go */

static bool lit(tk *t, const char *l)
{
    size_t k = strlen(l);
    if (t->n - t->i < k || memcmp(t->s + t->i, l, k)) return false;
    t->i += k;
    return true;
}

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A JSON string, decoded to t->o (NUL-terminated); *out points at it.
 * Declines \u0000 and surrogate escapes (nz_scan lets none of the latter
 * through; cJSON and jq read a lone one differently). */
static bool str(tk *t, const char **out)
{
    if (t->i >= t->n || t->s[t->i] != '"') return false;
    char *o = t->o;
    *out = o;
    for (t->i++; t->i < t->n; t->i++) {
        unsigned char c = (unsigned char)t->s[t->i];
        if (c == '"') { *o++ = '\0'; t->o = o; t->i++; return true; }
        if (c < 0x20) return false;
        if (c != '\\') { *o++ = (char)c; continue; }
        if (++t->i >= t->n) return false;
        switch (t->s[t->i]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            if (t->n - t->i < 5) return false;
            unsigned cp = 0;
            for (int k = 1; k <= 4; k++) {
                int h = hexv(t->s[t->i + (size_t)k]);
                if (h < 0) return false;
                cp = cp * 16 + (unsigned)h;
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
            if (cp < 0x80) *o++ = (char)cp;
            else if (cp < 0x800) { *o++ = (char)(0xC0 | (cp >> 6)); *o++ = (char)(0x80 | (cp & 0x3F)); }
            else { *o++ = (char)(0xE0 | (cp >> 12)); *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F)); }
            t->i += 4;
            break;
        }
        default: return false;
        }
    }
    return false;
}

/* A value skipped: a string, or a number of digits (claude's index, codex's emittedAtMs). */
static bool skip_scalar(tk *t)
{
    const char *x;
    if (t->i < t->n && t->s[t->i] == '"') { char *o = t->o; bool ok = str(t, &x); t->o = o; return ok; }
    size_t st = t->i;
    while (t->i < t->n && t->s[t->i] >= '0' && t->s[t->i] <= '9') t->i++;
    return t->i > st;
}

nz_fast_delta *nz_fast_delta_parse(nz_fast_kind k, const char *line, size_t len)
{
    if (!k) return NULL;
    nz_fast_delta *d = malloc(sizeof *d + len + 1);   /* decoded strings are never longer */
    if (!d) return NULL;
    memset(d, 0, sizeof *d);
    tk t = { line, 0, len, (char *)(d + 1) };
    const char *x;
    bool ok = false;
    if (k == NZ_FAST_MOCK) {
        ok = lit(&t, "{\"mock\":\"item.delta\",\"native_item_id\":") && str(&t, &d->nid) &&
             lit(&t, ",\"delta\":") && str(&t, &d->delta) && lit(&t, "}");
    } else if (k == NZ_FAST_CLAUDE) {
        ok = lit(&t, "{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":") &&
             skip_scalar(&t) && lit(&t, ",\"delta\":{\"type\":") && skip_scalar(&t) && lit(&t, ",\"text\":") &&
             str(&t, &d->delta) && d->delta[0] && lit(&t, "}},\"session_id\":") && str(&t, &d->nsid) &&
             lit(&t, ",\"parent_tool_use_id\":null,\"uuid\":") && skip_scalar(&t) && lit(&t, "}");
    } else if (k == NZ_FAST_CODEX) {
        ok = lit(&t, "{\"method\":\"") &&
             (lit(&t, "item/agentMessage/delta\"") || lit(&t, "item/reasoning/summaryTextDelta\"") ||
              lit(&t, "item/reasoning/textDelta\"") || lit(&t, "item/plan/delta\"")) &&
             lit(&t, ",\"params\":{\"threadId\":") && str(&t, &d->nsid) && lit(&t, ",\"turnId\":") &&
             skip_scalar(&t) && lit(&t, ",\"itemId\":") && str(&t, &d->nid) && lit(&t, ",\"delta\":") &&
             str(&t, &d->delta) && lit(&t, "}") && (lit(&t, "}") || (lit(&t, ",\"emittedAtMs\":") && skip_scalar(&t) && lit(&t, "}")));
    }
    (void)x;
    if (!ok || t.i != len) { free(d); return NULL; }
    return d;
}

cJSON *nz_fast_convert(nz_fast_kind k, const char *line, size_t len)
{
    static const char mock_p[] = "{\"mock\":\"item.delta\"";
    static const char claude_p[] = "{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\"";
    static const char codex_p[] = "{\"method\":\"item/";
    const char *pre = k == NZ_FAST_MOCK ? mock_p : k == NZ_FAST_CLAUDE ? claude_p : k == NZ_FAST_CODEX ? codex_p : NULL;
    if (!pre || len < strlen(pre) || memcmp(line, pre, strlen(pre))) return NULL;
    for (const char *q = line; (q = memchr(q, '\\', len - (size_t)(q - line))); q += 2)
        if ((size_t)(q - line) + 1 >= len || (q[1] == 'u' && !strncmp(q + 2, "0000", 4))) return NULL;
    cJSON *v = cJSON_ParseWithLength(line, len);
    if (!v) return NULL;
    cJSON *out = k == NZ_FAST_MOCK ? mock_delta(v) : k == NZ_FAST_CLAUDE ? claude_delta(v) : codex_delta(v);
    cJSON_Delete(v);
    return out;
}
