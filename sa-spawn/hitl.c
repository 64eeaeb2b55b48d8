/*
 * hitl.c — sp_hitl: the human-in-the-loop bookkeeping of one sa-spawn run.
 * Pending requests live in a short singly linked list (a turn rarely has
 * more than a handful); `always` keys are a small array kept for the whole
 * run.  Replies that came before their request wait in a second list
 * (at most SP_HELD_MAX), and the ids of the last SP_DONE_MAX resolved
 * requests are kept in a ring so a late reply to one is refused, not held.
 * Deadlines are monotonic milliseconds (0 = no deadline).  Pure logic, no
 * I/O: unit-tested in tests/unit/test_spawn.c.
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

static void unlink_free(sp_hitl *h, sp_pending *p)
{
    for (sp_pending **pp = &h->list; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            pending_free(p);
            return;
        }
    }
}

void sp_hitl_remove(sp_hitl *h, sp_pending *p)
{
    if (p->kind == SP_PERM || p->kind == SP_QUESTION) {
        size_t i = h->done_pos++ % SP_DONE_MAX;
        free(h->done[i].id);
        h->done[i].kind = p->kind;
        h->done[i].id = dup_or_null(p->id);
    }
    unlink_free(h, p);
}

bool sp_hitl_was_done(const sp_hitl *h, int kind, const char *id)
{
    if (!id) return false;
    for (size_t i = 0; i < SP_DONE_MAX; i++)
        if (h->done[i].id && h->done[i].kind == kind && strcmp(h->done[i].id, id) == 0) return true;
    return false;
}

/* ---- replies held for requests not seen yet ---- */

static int held_kind(const sp_held *x)
{
    return x->cmd->type == SP_CMD_PERM_REPLY ? SP_PERM : SP_QUESTION;
}

void sp_hitl_held_free(sp_held *x)
{
    if (!x) return;
    sp_cmd_free(x->cmd);
    free(x->cmd);
    free(x->line);
    free(x);
}

bool sp_hitl_hold(sp_hitl *h, sp_cmd *cmd, const char *line, int64_t deadline)
{
    if (h->nheld >= SP_HELD_MAX) return false;
    sp_held *x = calloc(1, sizeof *x);
    if (!x) sa_diex(SP_EXIT_SYS, "out of memory");
    x->cmd = cmd;
    x->line = dup_or_null(line);
    x->deadline = deadline;
    sp_held **pp = &h->held;
    while (*pp) pp = &(*pp)->next;
    *pp = x;
    h->nheld++;
    return true;
}

/* Unlink the first held reply that `match` accepts. */
static sp_held *take_if(sp_hitl *h, bool (*match)(const sp_held *, const void *), const void *arg)
{
    for (sp_held **pp = &h->held; *pp; pp = &(*pp)->next) {
        sp_held *x = *pp;
        if (match(x, arg)) {
            *pp = x->next;
            x->next = NULL;
            h->nheld--;
            return x;
        }
    }
    return NULL;
}

struct kind_id { int kind; const char *id; };
static bool match_id(const sp_held *x, const void *arg)
{
    const struct kind_id *k = arg;
    return held_kind(x) == k->kind && strcmp(x->cmd->id, k->id) == 0;
}
static bool match_expired(const sp_held *x, const void *arg)
{
    return x->deadline && x->deadline <= *(const int64_t *)arg;
}
static bool match_any(const sp_held *x, const void *arg)
{
    (void)x; (void)arg;
    return true;
}

sp_held *sp_hitl_take_held(sp_hitl *h, int kind, const char *id)
{
    if (!id) return NULL;
    struct kind_id k = { kind, id };
    return take_if(h, match_id, &k);
}

sp_held *sp_hitl_take_expired_held(sp_hitl *h, int64_t now) { return take_if(h, match_expired, &now); }
sp_held *sp_hitl_take_any_held(sp_hitl *h) { return take_if(h, match_any, NULL); }

sp_pending *sp_hitl_add(sp_hitl *h, int kind, const char *id, const char *key,
                        const char *link, cJSON *data, int64_t deadline)
{
    sp_pending *old = sp_hitl_find(h, kind, id);
    if (old) unlink_free(h, old);
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
    for (const sp_held *x = h->held; x; x = x->next)
        if (x->deadline && (!d || x->deadline < d)) d = x->deadline;
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
    sp_held *x;
    while ((x = sp_hitl_take_any_held(h)) != NULL) sp_hitl_held_free(x);
    for (size_t i = 0; i < SP_DONE_MAX; i++) { free(h->done[i].id); h->done[i].id = NULL; }
    for (size_t i = 0; i < h->nalways; i++) free(h->always[i]);
    free(h->always);
    h->always = NULL;
    h->nalways = 0;
}
