/*
 * sa_line.c — a bounded line reader for pipes, FIFOs and files.
 *
 * The buffer starts small and doubles up to max+1 bytes; it never grows
 * beyond that, so a peer that never sends '\n' cannot make us allocate
 * without bound.  Consumed bytes are compacted lazily (only when the buffer
 * would otherwise have to grow).  sa_line_shrink gives a buffer grown by
 * one long line back (a long-running reader need not keep its largest
 * line's worth of memory).  The reader owns its buffer; the caller owns
 * the fd.
 */
#include "sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sa_line_init(sa_line *lr, int fd, size_t max)
{
    memset(lr, 0, sizeof *lr);
    lr->fd = fd;
    lr->max = max ? max : 1;
}

void sa_line_set_chunk(sa_line *lr, size_t chunk)
{
    lr->chunk = chunk;
}

void sa_line_free(sa_line *lr)
{
    free(lr->buf);
    lr->buf = NULL;
    lr->cap = lr->len = lr->start = 0;
}

bool sa_line_buffered(const sa_line *lr)
{
    return lr->len > lr->start && memchr(lr->buf + lr->start, '\n', lr->len - lr->start) != NULL;
}

void sa_line_shrink(sa_line *lr, size_t keep)
{
    if (keep < 4096) keep = 4096;
    if (keep < lr->chunk) keep = lr->chunk;
    size_t pending = lr->len - lr->start;
    if (lr->cap <= keep || pending > keep) return;
    memmove(lr->buf, lr->buf + lr->start, pending);
    lr->len = pending;
    lr->start = 0;
    char *nb = realloc(lr->buf, keep + 1);
    if (!nb) return;                     /* still valid, just larger */
    lr->buf = nb;
    lr->cap = keep;
}

/* Make room for at least one more byte to read; false if full at max. */
static bool make_room(sa_line *lr)
{
    if (lr->start > 0 && (lr->len == lr->cap || lr->start > lr->cap / 2)) {
        memmove(lr->buf, lr->buf + lr->start, lr->len - lr->start);
        lr->len -= lr->start;
        lr->start = 0;
    }
    if (lr->len < lr->cap) return true;
    size_t limit = lr->max + 1;
    if (lr->cap >= limit) return false;
    size_t ncap = lr->cap ? lr->cap * 2 : lr->chunk > 4096 ? lr->chunk : 4096;
    if (ncap > limit) ncap = limit;
    char *nb = realloc(lr->buf, ncap + 1);   /* +1 for the NUL we add */
    if (!nb) return false;
    lr->buf = nb;
    lr->cap = ncap;
    return true;
}

int sa_line_next(sa_line *lr, char **line, size_t *len)
{
    for (;;) {
        char *base = lr->buf + lr->start;
        size_t avail = lr->len - lr->start;
        char *nl = avail ? memchr(base, '\n', avail) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - base);
            lr->start += n + 1;
            if (lr->skipping) {          /* tail of an overlong line */
                lr->skipping = false;
                continue;
            }
            *nl = '\0';
            *line = base;
            *len = n;
            lr->lineno++;
            return n > lr->max ? SA_LINE_TOOLONG : SA_LINE_OK;
        }
        if (avail > lr->max) {           /* no newline within max bytes */
            if (!lr->skipping) {
                base[lr->max] = '\0';
                *line = base;
                *len = lr->max;
                lr->start = lr->len;     /* drop what we have */
                lr->skipping = true;
                lr->lineno++;
                return SA_LINE_TOOLONG;
            }
            lr->start = lr->len;
            continue;
        }
        if (lr->eof) {
            if (avail == 0 || lr->skipping) { lr->start = lr->len; return SA_LINE_EOF; }
            base[avail] = '\0';
            lr->start = lr->len;
            *line = base;
            *len = avail;
            lr->lineno++;
            return SA_LINE_OK;
        }
        if (!make_room(lr)) {
            if (lr->cap >= lr->max + 1) {  /* full: treat as overlong */
                lr->start = lr->len;
                continue;
            }
            return SA_LINE_ERR;
        }
        ssize_t r = read(lr->fd, lr->buf + lr->len, lr->cap - lr->len);
        if (r > 0) { lr->len += (size_t)r; continue; }
        if (r == 0) { lr->eof = true; continue; }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return SA_LINE_AGAIN;
        return SA_LINE_ERR;
    }
}
