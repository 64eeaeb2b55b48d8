/*
 * fuzz_fs_path.c — libFuzzer target: fs path resolution (sa-serve/fs_path.c,
 * fsp_resolve) on arbitrary client paths, the way every /v1/fs endpoint
 * resolves ?path= against the root and a session directory.  The input is
 * split at its first NUL into base (relative to the root) and path.
 * Property checked beyond the sanitizers: an FSP_OK result is relative,
 * has no "." or ".." component and no empty component.  Ownership: the
 * result is freed here.
 */
#include "fs_path.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_rel(const char *rel)
{
    if (rel[0] == '/') abort();
    const char *p = rel;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) abort();
        p += n;
        if (*p == '/') p++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 3 * FSP_PATH_MAX) return 0;
    char *buf = malloc(size + 2);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *base = buf, *input = buf + strlen(buf) + (strlen(buf) < size ? 1 : 0);
    if (input > buf + size) input = buf + size;
    static const char *const roots[] = { "/", "/srv/root", "/tmp/a b" };
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        char *rel = NULL;
        const char *why = NULL;
        fsp_status st = fsp_resolve(roots[i], base, input, &rel, &why);
        if (st == FSP_OK) { if (!rel) abort(); check_rel(rel); }
        else if (!why) abort();
        free(rel);
        rel = NULL;
        st = fsp_resolve(roots[i], "", input, &rel, &why);
        if (st == FSP_OK) check_rel(rel);
        free(rel);
    }
    free(buf);
    return 0;
}
