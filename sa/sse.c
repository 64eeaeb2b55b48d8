/*
 * sse.c — the SSE frame parser of the sa client (no I/O, no libcurl):
 * bytes in, one callback per event out.
 *
 * Line ends are CRLF, LF or CR alone (all become LF); a blank line ends a
 * frame.  In a frame, "data:" lines are joined with "\n" (one space after
 * the colon is dropped, none is needed), "id:" sets the event id when it is
 * a decimal number, lines starting with ':' (heartbeats) and other fields
 * are ignored, and a frame without data is no event.  The pending frame is
 * limited to CL_SSE_FRAME_MAX bytes.
 *
 * Ownership: the parser owns its buffer (cl_sse_parser_free).
 */
#include "cl.h"
#include "sa.h"

#include <stdlib.h>
#include <string.h>

static void add(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    sa_reserve(buf, cap, *len + n + 1, 256);
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* One frame f[0..n) (LF line ends, no final blank line). */
static void frame(cl_sse_parser *p, char *f, size_t n)
{
    char *data = NULL;
    size_t dlen = 0, dcap = 0;
    uint64_t id = 0;
    bool has_data = false;
    for (char *line = f, *end = f + n; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
        line[ll] = '\0';
        if (line[0] != ':') {
            char *v = strchr(line, ':');
            if (v) {
                *v++ = '\0';
                if (*v == ' ') v++;
            } else {
                v = line + ll;            /* a field name alone: empty value */
            }
            if (!strcmp(line, "data")) {
                if (has_data) add(&data, &dlen, &dcap, "\n", 1);
                add(&data, &dlen, &dcap, v, strlen(v));
                has_data = true;
            } else if (!strcmp(line, "id")) {
                uint64_t x;
                if (sa_parse_u64(v, UINT64_MAX, &x)) id = x;
            }
        }
        line += ll + 1;
    }
    if (has_data && !p->stopped) {
        if (id) p->last_id = id;
        p->events++;
        if (!p->cb(id, data ? data : "", dlen, p->arg)) p->stopped = true;
    }
    free(data);
}

int cl_sse_feed(cl_sse_parser *p, const char *b, size_t n)
{
    for (size_t i = 0; i < n && !p->stopped; i++) {
        char ch = b[i];
        if (ch == '\n' && p->prev_cr) { p->prev_cr = false; continue; }   /* the LF of a CRLF */
        p->prev_cr = ch == '\r';
        if (ch == '\r') ch = '\n';
        if (p->len + 1 > CL_SSE_FRAME_MAX) { p->too_big = true; return -1; }
        add(&p->buf, &p->len, &p->cap, &ch, 1);
        if (ch != '\n') continue;
        if (p->len == 1) { p->len = 0; continue; }           /* a blank line with no frame */
        if (p->buf[p->len - 2] == '\n') {
            frame(p, p->buf, p->len - 1);
            p->len = 0;
        }
    }
    return p->stopped ? -1 : 0;
}

void cl_sse_parser_reset(cl_sse_parser *p)
{
    p->len = 0;
    p->prev_cr = false;
}

void cl_sse_parser_free(cl_sse_parser *p)
{
    free(p->buf);
    p->buf = NULL;
    p->len = p->cap = 0;
}
