/*
 * sa_event.c — canonical serialization of stored universal events.
 *
 * How it works: the members from time to data are gathered into a temporary
 * cJSON object made of *references* to the caller's items (nothing is
 * copied), printed once, and framed by hand: the event_id/sequence prefix
 * goes in front and ',"raw":<raw>}' behind.  Because we write the raw member
 * ourselves we know exactly where it starts (raw_off).
 */
#include "sa_event.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const middle[] = {
    "time", "session_id", "native_session_id", "synthetic", "source", "type", "data",
};

char *sa_event_serialize(const cJSON *ev, uint64_t seq, const char *fill_native,
                         size_t *len, size_t *raw_off)
{
    cJSON *tmp = cJSON_CreateObject();
    if (!tmp) return NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof middle / sizeof middle[0]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, middle[i]);
        if (i == 2 && fill_native && (!v || cJSON_IsNull(v)))
            ok = cJSON_AddStringToObject(tmp, middle[i], fill_native) != NULL;
        else if (v)
            ok = cJSON_AddItemReferenceToObject(tmp, middle[i], v);
        else
            ok = cJSON_AddNullToObject(tmp, middle[i]) != NULL;
    }
    char *mid = ok ? cJSON_PrintUnformatted(tmp) : NULL;
    cJSON_Delete(tmp);
    if (!mid) return NULL;

    cJSON *raw = cJSON_GetObjectItemCaseSensitive(ev, "raw");
    char *rawtxt = raw ? cJSON_PrintUnformatted(raw) : NULL;
    if (raw && !rawtxt) { free(mid); return NULL; }
    const char *rt = rawtxt ? rawtxt : "null";

    char head[80];
    int hn = snprintf(head, sizeof head, "{\"event_id\":\"evt_%" PRIu64 "\",\"sequence\":%" PRIu64 ",",
                      seq, seq);
    size_t ml = strlen(mid);            /* "{...}" : we take the inside */
    size_t rl = strlen(rt);
    size_t inner = ml >= 2 ? ml - 2 : 0;
    size_t total = (size_t)hn + inner + 7 + rl + 1;
    char *out = malloc(total + 1);
    if (out) {
        char *p = out;
        memcpy(p, head, (size_t)hn); p += hn;
        memcpy(p, mid + 1, inner); p += inner;
        *raw_off = (size_t)(p - out);
        memcpy(p, ",\"raw\":", 7); p += 7;
        memcpy(p, rt, rl); p += rl;
        *p++ = '}';
        *p = '\0';
        *len = (size_t)(p - out);
    }
    free(mid);
    free(rawtxt);
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
