/*
 * nz_canon.h — canonical universal-event data (sandbox-agent v0.1.11 §2).
 *
 * The jq mapping programs may build objects in any key order and may leave
 * optional fields out.  These functions rebuild `data` (and items and
 * content parts) as NEW cJSON trees with the schema's key order and explicit
 * nulls, so every event sa-normalize writes has one canonical shape.
 * Fields are checked for type; a conversion that cannot be made valid is
 * rejected with a message (the caller turns it into agent.unparsed).
 *
 * Ownership: returned trees are owned by the caller (cJSON_Delete); inputs
 * are only read.  *err points to a static string.
 */
#ifndef NZ_CANON_H
#define NZ_CANON_H

#include <stdbool.h>
#include <cJSON.h>

/* True for the 13 universal event types. */
bool nz_canon_known_type(const char *type);
/* Canonical `data` for `type`, or NULL with *err set. */
cJSON *nz_canon_data(const char *type, const cJSON *data, const char **err);
/* Canonical UniversalItem (item_id may be ""), or NULL with *err. */
cJSON *nz_canon_item(const cJSON *item, const char **err);
/* Canonical content part (unknown part types become {"type":"json","json":part}). */
cJSON *nz_canon_part(const cJSON *part);
/* Canonical StderrOutput {head?, tail?, truncated, total_lines?}; NULL if not an object. */
cJSON *nz_canon_stderr(const cJSON *s);
/* Canonical turn.ended usage {input_tokens, output_tokens, cache_read_tokens,
 * cache_write_tokens, reasoning_tokens, cost_usd}: numbers >= 0 are kept,
 * anything else (absent, null, not a number) becomes null; u may be NULL. */
cJSON *nz_canon_usage(const cJSON *u);
/* acc (a canonical usage object) += u, field by field; a field u has no
 * number for is left as it is (null stays null). */
void nz_usage_add(cJSON *acc, const cJSON *u);
/* True if s is a file-change action (fileChange|file_change|file-change, any case). */
bool nz_is_file_change(const char *s);

#endif
