/*
 * nz_map.h — a small string-keyed hash map for sa-normalize's state.
 *
 * Separate chaining with doubling; keys are copied (owned by the map);
 * values are opaque pointers freed with the map's `vfree` (NULL = values are
 * not owned, e.g. sets that store (void *)1).  Used for the native item id →
 * universal item id map, the started/delta-seen sets and the pending HITL
 * maps.  Not thread-safe.
 */
#ifndef NZ_MAP_H
#define NZ_MAP_H

#include <stddef.h>
#include <stdbool.h>

typedef struct nz_map nz_map;
typedef void (*nz_map_free_fn)(void *);

nz_map *nz_map_new(nz_map_free_fn vfree);
void    nz_map_free(nz_map *m);
/* Insert or replace; the old value (if any) is freed with vfree.  false on ENOMEM. */
bool    nz_map_put(nz_map *m, const char *key, void *value);
void   *nz_map_get(const nz_map *m, const char *key);
bool    nz_map_has(const nz_map *m, const char *key);
/* Remove and free the value; true if it was there. */
bool    nz_map_del(nz_map *m, const char *key);
size_t  nz_map_count(const nz_map *m);
/* Call fn for every entry; fn returns true to delete that entry. */
void    nz_map_filter(nz_map *m, bool (*fn)(const char *key, void *value, void *ctx), void *ctx);

#endif
