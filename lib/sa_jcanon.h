/*
 * sa_jcanon.h — whether a JSON text is byte for byte what cJSON prints
 * (unformatted) for the value it parses to (see sa_jcanon.c).
 *
 * Ownership: nothing is kept or allocated.
 */
#ifndef SA_JCANON_H
#define SA_JCANON_H

#include <stdbool.h>
#include <stddef.h>

#define SA_JCANON_DEPTH 512

/* A member of the top-level object: its key starts at off ('"'), is
 * key_len bytes with the quotes, and its value starts at val. */
typedef struct sa_jmember { size_t off, key_len, val; } sa_jmember;

/* True when text[0..len) is one JSON value in cJSON's print form (a
 * conservative check: false may also mean "not sure").  When top is not
 * NULL and the value is an object, its members go to top[0..*ntop) (false
 * when there are more than max). */
bool sa_json_canonical(const char *text, size_t len, sa_jmember *top, size_t max, size_t *ntop);

#endif
