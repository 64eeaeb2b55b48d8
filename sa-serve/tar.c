/*
 * tar.c — bounded in-memory tar reader; see tar.h.
 *
 * The archive is a sequence of 512-byte headers, each followed by its data
 * rounded up to 512 bytes; a zero block (or the end of the buffer on a
 * block boundary) ends it.  tar_next validates one header (checksum, numeric
 * fields), folds pax 'x' / GNU 'L' name records into the next real entry,
 * and checks that the data it announces is really in the buffer.
 */
#include "tar.h"

#include <stdio.h>
#include <string.h>

#define BLOCK 512

void tar_init(tar_reader *r, const void *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
}

static int fail(tar_reader *r, const char *why)
{
    snprintf(r->err, sizeof r->err, "%s (at byte %zu)", why, r->off);
    r->done = true;
    return -1;
}

/* Octal (space/NUL padded) or GNU base-256 numeric field. */
static bool parse_num(const unsigned char *f, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80) return false;          /* negative or too wide */
        for (size_t i = 1; i < n; i++) {
            if (v >> 55) return false;
            v = (v << 8) | f[i];
        }
        *out = v;
        return true;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ') i++;
    bool any = false;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60) return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
        any = true;
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0') return false;
    *out = any ? v : 0;
    return true;
}

static bool checksum_ok(const unsigned char *h)
{
    uint64_t want;
    if (!parse_num(h + 148, 8, &want)) return false;
    uint64_t u = 0;
    int64_t s = 0;
    for (size_t i = 0; i < BLOCK; i++) {
        unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
        u += c;
        s += (signed char)c;
    }
    return want == u || (int64_t)want == s;
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* Copy a fixed-width, maybe unterminated field. */
static size_t field(char *dst, const unsigned char *src, size_t n)
{
    size_t l = 0;
    while (l < n && src[l]) l++;
    memcpy(dst, src, l);
    dst[l] = '\0';
    return l;
}

/* pax records: "<len> <key>=<value>\n", len counting the whole record. */
static int parse_pax(tar_reader *r, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] == '\0') break;                  /* padding */
        size_t len = 0, j = i;
        while (j < n && p[j] >= '0' && p[j] <= '9' && j - i < 12) len = len * 10 + (size_t)(p[j++] - '0');
        if (j >= n || p[j] != ' ' || len <= j - i + 1 || len > n - i) return fail(r, "bad pax record");
        const unsigned char *rec = p + j + 1, *end = p + i + len;
        if (end[-1] != '\n') return fail(r, "bad pax record");
        const unsigned char *eq = memchr(rec, '=', (size_t)(end - rec));
        if (!eq) return fail(r, "bad pax record");
        size_t klen = (size_t)(eq - rec), vlen = (size_t)(end - 1 - (eq + 1));
        const unsigned char *val = eq + 1;
        if (klen == 4 && !memcmp(rec, "path", 4)) {
            if (vlen > TAR_NAME_MAX) return fail(r, "pax path too long");
            if (memchr(val, '\0', vlen)) return fail(r, "pax path contains NUL");
            memcpy(r->pending, val, vlen);
            r->pending[vlen] = '\0';
            r->have_pending = true;
        } else if (klen == 4 && !memcmp(rec, "size", 4)) {
            uint64_t v = 0;
            if (vlen == 0 || vlen > 19) return fail(r, "bad pax size");
            for (size_t k = 0; k < vlen; k++) {
                if (val[k] < '0' || val[k] > '9') return fail(r, "bad pax size");
                v = v * 10 + (uint64_t)(val[k] - '0');
            }
            r->pax_size = v;
            r->have_pax_size = true;
        }
        i += len;
    }
    return 0;
}

int tar_next(tar_reader *r, tar_entry *e)
{
    for (;;) {
        if (r->done) return 0;
        size_t left = r->len - r->off;
        if (left == 0) { r->done = true; return 0; }
        const unsigned char *h = r->buf + r->off;
        if (left < BLOCK) {
            if (all_zero(h, left)) { r->done = true; return 0; }
            return fail(r, "truncated archive: partial header");
        }
        if (all_zero(h, BLOCK)) { r->done = true; return 0; }
        if (!checksum_ok(h)) return fail(r, "bad header checksum");

        uint64_t size = 0, mode = 0;
        if (!parse_num(h + 124, 12, &size)) return fail(r, "bad size field");
        if (!parse_num(h + 100, 8, &mode)) mode = 0644;
        char type = (char)h[156];
        if (r->have_pax_size && type != 'x' && type != 'g') size = r->pax_size;
        left -= BLOCK;
        if (size > left) return fail(r, "truncated archive: entry data runs past the end");
        const unsigned char *data = h + BLOCK;
        size_t padded = (size_t)size + ((BLOCK - (size_t)size % BLOCK) % BLOCK);
        size_t advance = BLOCK + (padded <= left ? padded : (size_t)size);

        if (type == 'x' || type == 'g' || type == 'L' || type == 'K' || type == 'V') {
            int rc = 0;
            if (type == 'x') {
                rc = parse_pax(r, data, (size_t)size);
            } else if (type == 'L') {
                if (size > TAR_NAME_MAX + 1) return fail(r, "GNU long name too long");
                size_t l = 0;
                while (l < size && data[l]) l++;
                if (l > TAR_NAME_MAX) return fail(r, "GNU long name too long");
                memcpy(r->pending, data, l);
                r->pending[l] = '\0';
                r->have_pending = true;
            }
            if (rc < 0) return rc;
            r->off += advance;
            continue;
        }

        if (r->have_pending) {
            memcpy(r->name, r->pending, sizeof r->name);
        } else {
            char nm[101], px[156];
            size_t nl = field(nm, h, 100);
            size_t pl = 0;
            if (!memcmp(h + 257, "ustar\0", 6)) pl = field(px, h + 345, 155);
            if (pl) snprintf(r->name, sizeof r->name, "%s/%s", px, nm);
            else memcpy(r->name, nm, nl + 1);
        }
        r->have_pending = false;
        r->have_pax_size = false;
        r->off += advance;

        e->typeflag = type;
        e->name = r->name;
        e->size = size;
        e->mode = (unsigned)(mode & 07777);
        e->data = data;
        switch (type) {
        case '0': case '\0': case '7': {
            size_t nl = strlen(r->name);
            e->kind = (nl && r->name[nl - 1] == '/') ? TAR_DIR : TAR_FILE;
            break;
        }
        case '5': e->kind = TAR_DIR; break;
        case '1': e->kind = TAR_HARDLINK; break;
        case '2': e->kind = TAR_SYMLINK; break;
        default:  e->kind = TAR_OTHER; break;
        }
        if (e->kind == TAR_DIR) e->size = 0;
        return 1;
    }
}

bool tar_name_safe(const char *name, const char **why)
{
    if (!name || !*name) { *why = "empty entry name"; return false; }
    if (name[0] == '/') { *why = "absolute entry name"; return false; }
    const char *s = name;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 2 && s[0] == '.' && s[1] == '.') { *why = "entry name contains '..'"; return false; }
        s += len;
        while (*s == '/') s++;
    }
    return true;
}
