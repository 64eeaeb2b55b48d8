/*
 * hitl.c — sp_hitl: the human-in-the-loop bookkeeping of one sa-spawn run.
 * Pending requests live in a short singly linked list (a turn rarely has
 * more than a handful); `always` keys are a small array kept for the whole
 * run.  Deadlines are monotonic milliseconds (0 = no deadline).  Pure
 * logic, no I/O: unit-tested in tests/unit/test_spawn_hitl.c.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) sa_diex(SP_EXIT_SYS, "out of memory");
    return d;
}

static void pending_free(sp_pending *p)
{
    free(p->id);
    free(p->key);
    free(p->link);
    cJSON_Delete(p->data);
    free(p);
}

sp_pending *sp_hitl_find(sp_hitl *h, int kind, const char *id)
{
    if (!id) return NULL;
    for (sp_pending *p = h->list; p; p = p->next)
        if (p->kind == kind && strcmp(p->id, id) == 0) return p;
    return NULL;
}

void sp_hitl_remove(sp_hitl *h, sp_pending *p)
{
    for (sp_pending **pp = &h->list; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            pending_free(p);
            return;
        }
    }
}

sp_pending *sp_hitl_add(sp_hitl *h, int kind, const char *id, const char *key,
                        const char *link, cJSON *data, int64_t deadline)
{
    sp_pending *old = sp_hitl_find(h, kind, id);
    if (old) sp_hitl_remove(h, old);
    sp_pending *p = calloc(1, sizeof *p);
    if (!p) sa_diex(SP_EXIT_SYS, "out of memory");
    p->kind = kind;
    p->id = dup_or_null(id);
    p->key = dup_or_null(key);
    p->link = dup_or_null(link);
    p->data = data;
    p->deadline = deadline;
    sp_pending **pp = &h->list;                 /* keep arrival order */
    while (*pp) pp = &(*pp)->next;
    *pp = p;
    return p;
}

sp_pending *sp_hitl_expired(sp_hitl *h, int64_t now)
{
    sp_pending *best = NULL;
    for (sp_pending *p = h->list; p; p = p->next)
        if (p->deadline && p->deadline <= now && (!best || p->deadline < best->deadline)) best = p;
    return best;
}

int64_t sp_hitl_next_deadline(const sp_hitl *h)
{
    int64_t d = 0;
    for (const sp_pending *p = h->list; p; p = p->next)
        if (p->deadline && (!d || p->deadline < d)) d = p->deadline;
    return d;
}

bool sp_hitl_always_has(const sp_hitl *h, const char *key)
{
    if (!key) return false;
    for (size_t i = 0; i < h->nalways; i++)
        if (strcmp(h->always[i], key) == 0) return true;
    return false;
}

void sp_hitl_always_add(sp_hitl *h, const char *key)
{
    if (!key || sp_hitl_always_has(h, key)) return;
    char **n = realloc(h->always, (h->nalways + 1) * sizeof *n);
    if (!n) sa_diex(SP_EXIT_SYS, "out of memory");
    h->always = n;
    h->always[h->nalways++] = dup_or_null(key);
}

void sp_hitl_clear_pending(sp_hitl *h)
{
    while (h->list) {
        sp_pending *p = h->list;
        h->list = p->next;
        pending_free(p);
    }
}

void sp_hitl_free(sp_hitl *h)
{
    sp_hitl_clear_pending(h);
    for (size_t i = 0; i < h->nalways; i++) free(h->always[i]);
    free(h->always);
    h->always = NULL;
    h->nalways = 0;
}
