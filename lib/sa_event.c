/*
 * sa_event.c — canonical serialization of stored universal events.
 *
 * How it works: sa_event_split gathers time and session_id, then synthetic
 * to data, into temporary cJSON objects made of *references* to the
 * caller's items (nothing is copied), prints them and raw, and keeps the
 * text without event_id, sequence and native_session_id (the store fills
 * those in when it numbers the event, sa_event_join).  Because we write the
 * raw member ourselves we know exactly where it starts (raw_off).
 * sa_event_serialize is split + join.  sa_event_split_line gets the same
 * parts without printing, cut out of a line that is already in print form
 * (sa_json_canonical) with the envelope's keys in their order.  Memory: the split buffer is sized
 * from an upper bound of the printed length (print_bound), so a big event
 * is printed once into one block of about its size; sa_event_join_take
 * grows the split text in place (realloc) instead of copying it.
 */
#include "sa_event.h"
#include "sa_jcanon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* '{"event_id":"evt_SEQ","sequence":SEQ,' into head (>= 64 bytes); its length. */
static size_t ids_head(char *head, uint64_t seq)
{
    char d[24];
    size_t n = sa_event_u64(d, seq), k = 0;
    memcpy(head, "{\"event_id\":\"evt_", 17); k = 17;
    memcpy(head + k, d, n); k += n;
    memcpy(head + k, "\",\"sequence\":", 13); k += 13;
    memcpy(head + k, d, n); k += n;
    head[k++] = ',';
    return k;
}

size_t sa_event_u64(char *out, uint64_t v)
{
    char r[24];
    size_t n = 0;
    do { r[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t i = 0; i < n; i++) out[i] = r[n - 1 - i];
    out[n] = '\0';
    return n;
}

/* A temporary object of references to the members `keys` of ev (nothing
 * is copied; missing ones become null); NULL on allocation failure. */
static cJSON *member_refs(const cJSON *ev, const char *const *keys, size_t n)
{
    cJSON *tmp = cJSON_CreateObject();
    if (!tmp) return NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, keys[i]);
        ok = v ? cJSON_AddItemReferenceToObject(tmp, keys[i], v)
               : cJSON_AddNullToObject(tmp, keys[i]) != NULL;
    }
    if (!ok) { cJSON_Delete(tmp); return NULL; }
    return tmp;
}

void sa_event_parts_clear(sa_event_parts *p)
{
    free(p->text);
    free(p->native_json);
    memset(p, 0, sizeof *p);
}

char *sa_event_json_string(const char *s)
{
    cJSON *v = cJSON_CreateString(s);
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    cJSON_Delete(v);
    return t;
}

/* Print v into buf[off..cap) (NUL-terminated); length, or -1 when it does not fit. */
static long print_at(const cJSON *v, char *buf, size_t off, size_t cap)
{
    if (cap - off > INT32_MAX || !cJSON_PrintPreallocated((cJSON *)v, buf + off, (int)(cap - off), 0))
        return -1;
    return (long)strlen(buf + off);
}

/* The text of a split event, built in one buffer with no intermediate copies:
 * '{' A-inner (',' from B's '{') B-inner ',"raw":' raw '}'. */
static char *split_text(const cJSON *a, const cJSON *b, const cJSON *raw, size_t cap, sa_event_parts *out)
{
    char *buf = malloc(cap);
    if (!buf) return NULL;
    long n = print_at(a, buf, 0, cap);                       /* "{A}" */
    if (n < 2) goto small;
    size_t pos = (size_t)n - 1;                              /* at A's '}' */
    out->pre_len = pos - 1;
    n = print_at(b, buf, pos, cap);                          /* "{B}" over A's '}' */
    if (n < 2) goto small;
    buf[pos] = ',';
    pos += (size_t)n - 1;                                    /* at B's '}' */
    out->raw_off = pos - 1;
    if (cap - pos < 16) goto small;
    memcpy(buf + pos, ",\"raw\":", 7);
    pos += 7;
    if (raw) {
        n = print_at(raw, buf, pos, cap);
        if (n < 0) goto small;
        pos += (size_t)n;
    } else {
        memcpy(buf + pos, "null", 4);
        pos += 4;
    }
    if (cap - pos < 2) goto small;
    buf[pos++] = '}';
    buf[pos] = '\0';
    memmove(buf, buf + 1, pos);                              /* drop A's '{' */
    out->len = pos - 1;
    if (cap - pos > 64) {                                    /* give the slack back */
        char *nb = realloc(buf, pos);
        if (nb) buf = nb;
    }
    return buf;
small:
    free(buf);
    errno = ENOSPC;
    return NULL;
}

/* An upper bound of the unformatted printed length of v (with key, if any):
 * strings counted with their escapes, numbers as 32 bytes. */
static size_t str_bound(const char *s)
{
    size_t n = 2;
    if (!s) return 8;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += *p >= 32 && *p != '"' && *p != '\\' ? 1 : *p < 32 ? 6 : 2;
    return n;
}

static size_t print_bound(const cJSON *v, int depth)
{
    size_t n = (v->string ? str_bound(v->string) + 1 : 0) + 1;   /* key ':' and ',' */
    if (depth > 200) return (size_t)1 << 40;                      /* let the loop decide */
    if (cJSON_IsString(v) || cJSON_IsRaw(v)) n += cJSON_IsRaw(v) ? (v->valuestring ? strlen(v->valuestring) : 0) + 4
                                                                 : str_bound(v->valuestring);
    else if (cJSON_IsNumber(v)) n += 32;
    else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        n += 2;
        for (const cJSON *c = v->child; c; c = c->next) n += print_bound(c, depth + 1);
    } else n += 6;
    return n;
}

int sa_event_split(const cJSON *ev, sa_event_parts *out)
{
    static const char *const pre[] = { "time", "session_id" };
    static const char *const post[] = { "synthetic", "source", "type", "data" };
    memset(out, 0, sizeof *out);
    cJSON *a = member_refs(ev, pre, 2), *b = a ? member_refs(ev, post, 4) : NULL;
    cJSON *raw = cJSON_GetObjectItemCaseSensitive(ev, "raw");
    cJSON *nat = cJSON_GetObjectItemCaseSensitive(ev, "native_session_id");
    bool has_nat = nat && !cJSON_IsNull(nat);
    char *natj = has_nat && b ? cJSON_PrintUnformatted(nat) : NULL;
    char *t = NULL;
    if (a && b && (!has_nat || natj)) {
        size_t cap0 = 64 + print_bound(a, 0) + print_bound(b, 0) + (raw ? print_bound(raw, 0) : 8);
        if (cap0 < 1024) cap0 = 1024;
        for (size_t cap = cap0; !t && cap <= ((size_t)1 << 34); cap *= 2) {
            errno = 0;
            t = split_text(a, b, raw, cap, out);
            if (!t && errno != ENOSPC) break;
        }
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    if (!t) {
        free(natj);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->text = t;
    out->native_json = natj;
    return 0;
}

bool sa_event_line_scan(const char *line, size_t len, sa_jmember m[8])
{
    static const char *const keys[8] = { "\"time\"", "\"session_id\"", "\"native_session_id\"",
                                         "\"synthetic\"", "\"source\"", "\"type\"", "\"data\"", "\"raw\"" };
    size_t n;
    if (!len || line[0] != '{' || !sa_json_canonical(line, len, m, 8, &n) || n != 8) return false;
    for (size_t i = 0; i < 8; i++)
        if (m[i].key_len != strlen(keys[i]) || memcmp(line + m[i].off, keys[i], m[i].key_len)) return false;
    return true;
}

int sa_event_split_cut(const char *line, size_t len, const sa_jmember m[8], sa_event_parts *out)
{
    memset(out, 0, sizeof *out);
    size_t pre = m[2].off - 2;                 /* '"time":..,"session_id":..' without '{' and ',' */
    size_t rest = m[3].off - 1;                /* ',"synthetic":..' to the end */
    size_t nat_len = m[3].off - 1 - m[2].val;
    bool nat = !(nat_len == 4 && !memcmp(line + m[2].val, "null", 4));
    char *t = malloc(pre + (len - rest) + 1), *nj = nat ? malloc(nat_len + 1) : NULL;
    if (!t || (nat && !nj)) { free(t); free(nj); return -1; }
    memcpy(t, line + 1, pre);
    memcpy(t + pre, line + rest, len - rest);
    t[pre + len - rest] = '\0';
    if (nj) { memcpy(nj, line + m[2].val, nat_len); nj[nat_len] = '\0'; }
    out->text = t;
    out->len = pre + len - rest;
    out->pre_len = pre;
    out->raw_off = pre + (m[7].off - 1 - rest);
    out->native_json = nj;
    return 0;
}

int sa_event_split_line(const char *line, size_t len, sa_event_parts *out)
{
    sa_jmember m[8];
    memset(out, 0, sizeof *out);
    if (!sa_event_line_scan(line, len, m)) return 1;
    return sa_event_split_cut(line, len, m, out);
}

char *sa_event_join(const sa_event_parts *p, uint64_t seq, const char *fill_native_json,
                    size_t *len, size_t *raw_off)
{
    static const char nk[] = ",\"native_session_id\":";
    char head[80];
    int hn = (int)ids_head(head, seq);
    const char *nat = p->native_json ? p->native_json : fill_native_json ? fill_native_json : "null";
    size_t nl = strlen(nat);
    size_t total = (size_t)hn + p->pre_len + sizeof nk - 1 + nl + (p->len - p->pre_len);
    char *out = malloc(total + 1);
    if (!out) return NULL;
    char *q = out;
    memcpy(q, head, (size_t)hn); q += hn;
    memcpy(q, p->text, p->pre_len); q += p->pre_len;
    memcpy(q, nk, sizeof nk - 1); q += sizeof nk - 1;
    memcpy(q, nat, nl); q += nl;
    size_t rest_at = (size_t)(q - out);
    memcpy(q, p->text + p->pre_len, p->len - p->pre_len); q += p->len - p->pre_len;
    *q = '\0';
    *len = (size_t)(q - out);
    *raw_off = rest_at + (p->raw_off - p->pre_len);
    return out;
}

char *sa_event_join_take(sa_event_parts *p, uint64_t seq, const char *fill_native_json,
                         size_t *len, size_t *raw_off)
{
    static const char nk[] = ",\"native_session_id\":";
    char head[80];
    int hn = (int)ids_head(head, seq);
    const char *nat = p->native_json ? p->native_json : fill_native_json ? fill_native_json : "null";
    size_t nl = strlen(nat), post = p->len - p->pre_len;
    size_t shift = (size_t)hn + sizeof nk - 1 + nl;       /* bytes inserted before the rest */
    size_t total = p->len + shift;
    char *out = realloc(p->text, total + 1);
    if (!out) return NULL;
    p->text = NULL;
    memmove(out + total - post, out + p->pre_len, post);   /* the rest, to its final place */
    out[total] = '\0';
    memmove(out + hn, out, p->pre_len);                    /* time and session_id */
    memcpy(out, head, (size_t)hn);
    char *q = out + hn + p->pre_len;
    memcpy(q, nk, sizeof nk - 1);
    memcpy(q + sizeof nk - 1, nat, nl);
    *len = total;
    *raw_off = (total - post) + (p->raw_off - p->pre_len);
    return out;
}

char *sa_event_serialize(const cJSON *ev, uint64_t seq, const char *fill_native,
                         size_t *len, size_t *raw_off)
{
    sa_event_parts p;
    if (sa_event_split(ev, &p) < 0) return NULL;
    char *fill = fill_native && !p.native_json ? sa_event_json_string(fill_native) : NULL;
    char *out = (!fill_native || p.native_json || fill) ? sa_event_join(&p, seq, fill, len, raw_off) : NULL;
    free(fill);
    sa_event_parts_clear(&p);
    return out;
}

char *sa_event_without_raw(const char *json, size_t len, size_t raw_off, size_t *outlen)
{
    static const char tail[] = ",\"raw\":null}";
    if (raw_off > len || raw_off + 7 > len || memcmp(json + raw_off, ",\"raw\":", 7) != 0)
        return NULL;
    size_t n = raw_off + sizeof tail - 1;
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, json, raw_off);
    memcpy(out + raw_off, tail, sizeof tail);
    *outlen = n;
    return out;
}

static uint64_t itm_num(const cJSON *v)
{
    if (!cJSON_IsString(v) || strncmp(v->valuestring, "itm_", 4) != 0) return 0;
    const char *p = v->valuestring + 4;
    if (!*p) return 0;
    uint64_t n = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10) return 0;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    return n;
}

uint64_t sa_event_max_item(const cJSON *ev)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    if (!cJSON_IsObject(d)) return 0;
    uint64_t m = itm_num(cJSON_GetObjectItemCaseSensitive(d, "item_id"));
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(d, "item");
    if (cJSON_IsObject(item)) {
        uint64_t a = itm_num(cJSON_GetObjectItemCaseSensitive(item, "item_id"));
        uint64_t b = itm_num(cJSON_GetObjectItemCaseSensitive(item, "parent_id"));
        if (a > m) m = a;
        if (b > m) m = b;
    }
    return m;
}
