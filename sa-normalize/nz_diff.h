/*
 * nz_diff.h — the turn's session.diff item for sa-normalize --diff-dir
 * (nz_diff.c).  Ownership: nz_diff_init's value is freed with nz_diff_free;
 * nz_diff_turn returns a new canonical item (the caller frees it).
 */
#ifndef NZ_DIFF_H
#define NZ_DIFF_H

#include <cJSON.h>

typedef struct nz_diff nz_diff;

nz_diff *nz_diff_init(const char *dir, const char *work);
void nz_diff_free(nz_diff *d);
/* The hook nz_opts.before_turn_end takes (ctx = the nz_diff). */
cJSON *nz_diff_turn(void *ctx);

#endif
