/*
 * nz_fast.h — the C fast path for the native lines an agent sends by the
 * thousand (text deltas): their conversions are built in C instead of by
 * the jq mapping program, so the line costs no jq round trip.
 *
 * A mapping program opts in with a directive line of its own,
 * "# sa-fast-path: NAME" (NAME: mock, claude or codex), which says "the
 * lines fast path NAME accepts, this program maps exactly as it does".
 * The fast path accepts only lines of the exact shape it knows (every key
 * known and present at most once, every value of the expected type; see
 * nz_fast.c) and gives the same conversions array jq would print for them;
 * everything else goes to jq as before.  tests/bats/normalize_fast.bats
 * checks the output with and without the fast path on every fixture.
 *
 * Ownership: nz_fast_convert returns a new cJSON array (caller frees).
 */
#ifndef NZ_FAST_H
#define NZ_FAST_H

#include <stddef.h>
#include <cJSON.h>

typedef enum { NZ_FAST_NONE = 0, NZ_FAST_MOCK, NZ_FAST_CLAUDE, NZ_FAST_CODEX } nz_fast_kind;

/* The fast path a mapping program's text asks for (its "# sa-fast-path:"
 * line), NZ_FAST_NONE when none or an unknown name. */
nz_fast_kind nz_fast_kind_of(const char *program);
/* The conversions of one native line (valid JSON, NUL-terminated at len,
 * as nz_scan passed it), or NULL when the line is not one the fast path
 * knows exactly (it then goes to jq). */
cJSON *nz_fast_convert(nz_fast_kind k, const char *line, size_t len);

/* A delta line printed exactly as the agent prints it, decoded without a
 * tree: the arguments of nz_state_delta (nsid/nid NULL: none/null).  NULL
 * when the line is not such a line (then try nz_fast_convert).  One block:
 * free() it. */
typedef struct nz_fast_delta { const char *nsid, *nid, *delta; } nz_fast_delta;
nz_fast_delta *nz_fast_delta_parse(nz_fast_kind k, const char *line, size_t len);

#endif
