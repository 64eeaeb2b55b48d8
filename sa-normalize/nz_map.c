/*
 * nz_map.c — string-keyed hash map (separate chaining, FNV-1a hash).
 *
 * The bucket array doubles when the load factor passes 1.  Keys are strdup'd;
 * values are freed with the map's vfree when replaced, deleted or when the
 * map is freed.
 */
#include "nz_map.h"
#include "sa.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct nz_node {
    struct nz_node *next;
    uint64_t hash;
    void *value;
    char key[];
} nz_node;

struct nz_map {
    nz_node **b;
    size_t nb, count;
    nz_map_free_fn vfree;
};


nz_map *nz_map_new(nz_map_free_fn vfree)
{
    nz_map *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nb = 16;
    m->b = calloc(m->nb, sizeof *m->b);
    if (!m->b) { free(m); return NULL; }
    m->vfree = vfree;
    return m;
}

void nz_map_free(nz_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nb; i++) {
        nz_node *n = m->b[i];
        while (n) {
            nz_node *nx = n->next;
            if (m->vfree) m->vfree(n->value);
            free(n);
            n = nx;
        }
    }
    free(m->b);
    free(m);
}

static nz_node **find(const nz_map *m, const char *key, uint64_t h)
{
    nz_node **pp = &m->b[h & (m->nb - 1)];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0)) pp = &(*pp)->next;
    return pp;
}

static void grow(nz_map *m)
{
    size_t nnb = m->nb * 2;
    nz_node **nb = calloc(nnb, sizeof *nb);
    if (!nb) return;                         /* keep working, just slower */
    for (size_t i = 0; i < m->nb; i++) {
        nz_node *n = m->b[i];
        while (n) {
            nz_node *nx = n->next;
            n->next = nb[n->hash & (nnb - 1)];
            nb[n->hash & (nnb - 1)] = n;
            n = nx;
        }
    }
    free(m->b);
    m->b = nb;
    m->nb = nnb;
}

bool nz_map_put(nz_map *m, const char *key, void *value)
{
    uint64_t h = sa_hash64(key);
    nz_node **pp = find(m, key, h);
    if (*pp) {
        if (m->vfree && (*pp)->value != value) m->vfree((*pp)->value);
        (*pp)->value = value;
        return true;
    }
    size_t kl = strlen(key);
    nz_node *n = malloc(sizeof *n + kl + 1);
    if (!n) return false;
    memcpy(n->key, key, kl + 1);
    n->hash = h;
    n->value = value;
    n->next = NULL;
    *pp = n;
    if (++m->count > m->nb) grow(m);
    return true;
}

void *nz_map_get(const nz_map *m, const char *key)
{
    nz_node **pp = find(m, key, sa_hash64(key));
    return *pp ? (*pp)->value : NULL;
}

bool nz_map_has(const nz_map *m, const char *key)
{
    return *find(m, key, sa_hash64(key)) != NULL;
}

bool nz_map_del(nz_map *m, const char *key)
{
    nz_node **pp = find(m, key, sa_hash64(key));
    nz_node *n = *pp;
    if (!n) return false;
    *pp = n->next;
    if (m->vfree) m->vfree(n->value);
    free(n);
    m->count--;
    return true;
}

size_t nz_map_count(const nz_map *m) { return m->count; }

void nz_map_filter(nz_map *m, bool (*fn)(const char *, void *, void *), void *ctx)
{
    for (size_t i = 0; i < m->nb; i++) {
        nz_node **pp = &m->b[i];
        while (*pp) {
            nz_node *n = *pp;
            if (fn(n->key, n->value, ctx)) {
                *pp = n->next;
                if (m->vfree) m->vfree(n->value);
                free(n);
                m->count--;
            } else {
                pp = &n->next;
            }
        }
    }
}
