/*
 * errcap.c — sp_errcap keeps what the `exited` line reports about the
 * agent's stderr, in bounded memory: the first SP_ERR_HEAD lines, a ring of
 * the last SP_ERR_TAIL lines and a count, each line cut at SP_ERR_LINE
 * bytes (never inside a UTF-8 sequence).  Reported as sandbox-agent's
 * StderrOutput: up to HEAD+TAIL lines -> head = all of them (joined with
 * "\n"), no tail, truncated false; more -> head = first HEAD, tail = last
 * TAIL, truncated true.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

static char *cut(const char *line, size_t len)
{
    if (len > SP_ERR_LINE) {
        len = SP_ERR_LINE;
        while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80) len--;  /* continuation byte */
    }
    if (len > 0 && line[len - 1] == '\r') len--;
    char *s = malloc(len + 1);
    if (!s) sa_diex(SP_EXIT_SYS, "out of memory");
    memcpy(s, line, len);
    s[len] = '\0';
    return s;
}

void sp_errcap_add(sp_errcap *c, const char *line, size_t len)
{
    c->total++;
    char *s = cut(line, len);
    if (c->nhead < SP_ERR_HEAD) { c->head[c->nhead++] = s; return; }
    if (c->ntail < SP_ERR_TAIL) {
        c->tail[(c->tpos + c->ntail) % SP_ERR_TAIL] = s;
        c->ntail++;
        return;
    }
    free(c->tail[c->tpos]);                     /* overwrite the oldest */
    c->tail[c->tpos] = s;
    c->tpos = (c->tpos + 1) % SP_ERR_TAIL;
}

static void join(sp_buf *b, const char *s)
{
    if (b->len) sp_buf_add(b, "\n", 1);
    sp_buf_adds(b, s);
}

cJSON *sp_errcap_json(const sp_errcap *c)
{
    if (c->total == 0) return cJSON_CreateNull();
    bool trunc = c->total > SP_ERR_HEAD + SP_ERR_TAIL;
    sp_buf h = { 0 }, t = { 0 };
    for (size_t i = 0; i < c->nhead; i++) join(&h, c->head[i]);
    for (size_t i = 0; i < c->ntail; i++) join(trunc ? &t : &h, c->tail[(c->tpos + i) % SP_ERR_TAIL]);
    sp_buf_add(&h, "", 1);
    sp_buf_add(&t, "", 1);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "head", h.p);
    if (trunc) cJSON_AddStringToObject(o, "tail", t.p);
    cJSON_AddBoolToObject(o, "truncated", trunc);
    cJSON_AddNumberToObject(o, "total_lines", (double)c->total);
    sp_buf_free(&h);
    sp_buf_free(&t);
    return o;
}

void sp_errcap_clear(sp_errcap *c)
{
    for (size_t i = 0; i < c->nhead; i++) free(c->head[i]);
    for (size_t i = 0; i < c->ntail; i++) free(c->tail[(c->tpos + i) % SP_ERR_TAIL]);
    memset(c, 0, sizeof *c);
}
