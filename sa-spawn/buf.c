/*
 * buf.c — sp_buf, a growable byte buffer (output queued for stdout or for
 * the agent's stdin).  Consumed bytes are dropped from the front lazily.
 * Out of memory is fatal (exit 1): sa-spawn cannot continue meaningfully.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

void sp_buf_add(sp_buf *b, const void *s, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) sa_diex(SP_EXIT_SYS, "out of memory");
        b->p = np;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
}

void sp_buf_adds(sp_buf *b, const char *s) { sp_buf_add(b, s, strlen(s)); }

void sp_buf_consume(sp_buf *b, size_t n)
{
    if (n >= b->len) { b->len = 0; return; }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void sp_buf_free(sp_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

bool sp_buf_add_json_line(sp_buf *b, const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s) return false;
    sp_buf_adds(b, s);
    sp_buf_add(b, "\n", 1);
    free(s);
    return true;
}

char *sp_xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) sa_diex(SP_EXIT_SYS, "out of memory");
    return d;
}
