/*
 * sa_schema.h — validation of one universal event (sandbox-agent v0.1.11
 * schema, see sa-events(7)) held as a cJSON tree.
 *
 * The checker walks the envelope, the type-specific `data`, UniversalItem and
 * its content parts, and stops at the first problem, describing it with a
 * JSON path: "data.item.content[2].call_id: expected string".  It checks
 * types, enums, required keys, explicit-null fields, fields that must be
 * omitted (never null) when absent, and rejects unknown or duplicate keys.
 *
 * Ownership: nothing is allocated or kept; the caller owns the tree and the
 * error buffer.
 */
#ifndef SA_SCHEMA_H
#define SA_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

enum {
    /* event_id and sequence may both be absent (sa-normalize output); if
     * present they are checked as usual. */
    SA_SCHEMA_NO_IDS    = 1u << 0,
    /* Keys must appear in canonical order (envelope order of sa-events(7);
     * content parts with "type" first, then the order listed there). */
    SA_SCHEMA_KEY_ORDER = 1u << 1,
};

/* Number of event types, and their names in schema order. */
#define SA_SCHEMA_NTYPES 13
extern const char *const sa_schema_types[SA_SCHEMA_NTYPES];

/* True when `ev` is a valid universal event.  Otherwise false, with a
 * message "<path>: <problem>" in err (always NUL-terminated when errsz>0). */
bool sa_schema_check_event(const cJSON *ev, unsigned flags, char *err, size_t errsz);

/* Checks one UniversalItem; `path` prefixes the message ("item"). */
bool sa_schema_check_item(const cJSON *item, const char *path, unsigned flags,
                          char *err, size_t errsz);

/* True when `type` is one of the 13 event type names. */
bool sa_schema_is_type(const char *type);

/* Check an RFC 3339 date-time ("2026-02-01T10:00:00.1Z", offsets allowed). */
bool sa_schema_is_rfc3339(const char *s);

#endif
