/*
 * nz_emit.c — write one universal envelope (nz_emit, declared in nz_int.h).
 *
 * The envelope is assembled by hand into the state's reusable line buffer
 * in canonical key order: time, session_id, native_session_id, synthetic,
 * source, type, data, raw.  Strings are escaped exactly as cJSON prints them
 * (short escapes for \" \\ \b \f \n \r \t, \u00xx for other control
 * characters, everything else verbatim), `data` is printed by cJSON straight
 * into the line buffer (no per-event allocation once the buffer has grown;
 * a buffer grown past LINE_KEEP by one big event is given back after it),
 * and a JSON raw line is copied verbatim (one of 256 KiB or more is handed
 * to opts.emit_parts beside the rest instead, when set; one that would make
 * the line longer than NZ_EVENT_MAX is replaced by {"sa_raw_omitted": BYTES},
 * so the store keeps the event) — so the bytes are the same
 * as printing a cJSON envelope, at a fraction of the cost.  The time is read
 * per event (ms precision); the "YYYY-MM-DDTHH:MM:SS." part is formatted
 * only when the second changes.
 *
 * Turn order: a session.ended during a turn is preceded by a synthetic
 * turn.ended, and the agent's own later turn.ended for it is dropped.
 *
 * nz_emit_delta writes an item.delta from its three strings, the same bytes
 * as nz_emit of the {item_id, native_item_id, delta} object.
 *
 * Ownership: nz_emit takes ownership of `data`; the buffers belong to the
 * state (freed by nz_state_free via nz_emit_free).
 */
#include "nz_int.h"
#include "nz_canon.h"
#include "sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void grow(nz_buf *b, size_t need)
{
    if (b->len + need <= b->cap) return;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + need) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) sa_diex(1, "out of memory");
    b->p = np;
    b->cap = nc;
}

static inline void put(nz_buf *b, const char *s, size_t n)
{
    grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define PUTLIT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* A JSON string, escaped the way cJSON prints it. */
static void put_string(nz_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    grow(b, n * 6 + 2);                          /* worst case: every byte \u00xx */
    char *o = b->p + b->len;
    *o++ = '"';
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        unsigned char c = *u;
        if (c >= 32 && c != '"' && c != '\\') { *o++ = (char)c; continue; }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

#define LINE_KEEP ((size_t)256 << 10)

/* `data` printed by cJSON straight after the line so far (the line buffer
 * grows until the print fits). */
static void put_json(nz_buf *b, const cJSON *v)
{
    for (size_t room = 4096;; room *= 2) {
        if (room > (size_t)1 << 30) sa_diex(1, "event too large to print");
        if (b->cap - b->len < room) grow(b, room);
        size_t avail = b->cap - b->len;
        if (avail > INT32_MAX) avail = INT32_MAX;
        if (cJSON_PrintPreallocated((cJSON *)v, b->p + b->len, (int)avail, 0)) break;
        if (room < avail) room = avail;
    }
    b->len += strlen(b->p + b->len);
}

static void put_time(nz_state *st, nz_buf *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!st->tcached || ts.tv_sec != st->tsec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(st->tprefix, sizeof st->tprefix, "%04d-%02d-%02dT%02d:%02d:%02d.",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        st->tplen = strlen(st->tprefix);
        st->tsec = ts.tv_sec;
        st->tcached = true;
    }
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000L);
    char t[5] = { (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z', '"' };
    put(b, st->tprefix, st->tplen);
    put(b, t, sizeof t);
}

/* The envelope up to and with "data": (line_end finishes and emits it). */
static nz_buf *line_begin(nz_state *st, const char *type, bool synthetic)
{
    nz_buf *b = &st->line;
    b->len = 0;
    PUTLIT(b, "{\"time\":\"");
    put_time(st, b);
    PUTLIT(b, ",\"session_id\":");
    put_string(b, st->session);
    PUTLIT(b, ",\"native_session_id\":");
    if (st->nsid) put_string(b, st->nsid);
    else PUTLIT(b, "null");
    if (synthetic) PUTLIT(b, ",\"synthetic\":true,\"source\":\"daemon\",\"type\":");
    else PUTLIT(b, ",\"synthetic\":false,\"source\":\"agent\",\"type\":");
    put_string(b, type);
    PUTLIT(b, ",\"data\":");
    return b;
}

static void line_end(nz_state *st, nz_buf *b, nz_raw raw)
{
    PUTLIT(b, ",\"raw\":");
    size_t rn = raw.kind != NZ_RAW_NULL && raw.text ? strlen(raw.text) : 0;
    if (rn && b->len + rn + 2 > NZ_EVENT_MAX) {     /* the store would skip the whole event */
        char m[64];
        int n = snprintf(m, sizeof m, "{\"sa_raw_omitted\":%zu}", rn);
        put(b, m, (size_t)n);
    } else if (rn >= LINE_KEEP && raw.kind == NZ_RAW_JSON && st->emit_parts) {   /* not copied */
        st->emit_parts(st->ctx, b->p, b->len, raw.text, rn);
        if (b->cap > LINE_KEEP) { free(b->p); b->p = NULL; b->cap = b->len = 0; }
        return;
    } else if (raw.kind == NZ_RAW_JSON && raw.text) put(b, raw.text, rn);
    else if (raw.kind == NZ_RAW_STRING && raw.text) put_string(b, raw.text);
    else PUTLIT(b, "null");
    put(b, "}", 2);                      /* NUL-terminated, like a printed string */
    b->len--;
    st->emit(st->ctx, b->p, b->len);
    if (b->cap > LINE_KEEP) { free(b->p); b->p = NULL; b->cap = b->len = 0; }
}

static void emit_line(nz_state *st, const char *type, cJSON *data, bool synthetic, nz_raw raw)
{
    if (st->before_turn_end && !st->in_hook && !strcmp(type, "turn.ended")) {
        st->in_hook = true;                 /* the turn's session.diff item first */
        cJSON *item = st->before_turn_end(st->hook_ctx);
        if (item) nz_item_event(st, "item.completed", item, true, (nz_raw){ NZ_RAW_NULL, NULL });
        st->in_hook = false;
    }
    nz_buf *b = line_begin(st, type, synthetic);
    if (data) put_json(b, data);
    else PUTLIT(b, "{}");
    cJSON_Delete(data);
    line_end(st, b, raw);
}

void nz_emit_delta(nz_state *st, const char *item_id, const char *nid, const char *delta, bool synthetic,
                   nz_raw raw)
{
    nz_buf *b = line_begin(st, "item.delta", synthetic);
    PUTLIT(b, "{\"item_id\":");       /* as cJSON prints {item_id, native_item_id, delta} */
    put_string(b, item_id);
    PUTLIT(b, ",\"native_item_id\":");
    if (nid) put_string(b, nid);
    else PUTLIT(b, "null");
    PUTLIT(b, ",\"delta\":");
    put_string(b, delta);
    put(b, "}", 1);
    line_end(st, b, raw);
}

/* Turn order around session.ended: a session that ends during a turn ends
 * the turn first (a synthetic turn.ended with the turn's usage so far), so
 * nothing of the turn follows session.ended; the agent's own turn.ended for
 * that turn, if it still comes (the mock's `end`), is dropped. */
void nz_emit(nz_state *st, const char *type, cJSON *data, bool synthetic, nz_raw raw)
{
    if (!strcmp(type, "turn.started")) {
        st->turn_open = true;
        st->turn_closed = false;
    } else if (!strcmp(type, "turn.ended")) {
        if (st->turn_closed) { st->turn_closed = false; cJSON_Delete(data); return; }
        st->turn_open = false;
    } else if (!strcmp(type, "session.ended") && st->turn_open) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "phase", "ended");
        cJSON_AddItemToObject(d, "usage", st->usage ? st->usage : nz_canon_usage(NULL));
        st->usage = NULL;
        emit_line(st, "turn.ended", d, true, raw);
        st->turn_open = false;
        st->turn_closed = true;
    }
    emit_line(st, type, data, synthetic, raw);
}

void nz_emit_free(nz_state *st)
{
    free(st->line.p);
    free(st->dbuf);
}
