/*
 * nz_subagent.c — subagents (extension, additive to v0.1; sa-events(7)
 * SUBAGENTS and sa-normalize(1) "Internal conversions").
 *
 * Mapping programs report subagents with two internal conversion types,
 * never emitted themselves:
 *   subagent.start {id, call_id?, name?, description?}
 *                  a subagent started by the tool call whose native id is
 *                  call_id (claude's Agent tool_use id, codex's collab call
 *                  id, opencode's task tool call id);
 *   subagent.end   {id, status?}
 *                  it finished: status completed (the default), failed
 *                  (failed, error, errored) or cancelled (killed, stopped,
 *                  cancelled, canceled, interrupted, aborted); any other word
 *                  is failed and kept as native_status.
 * Each becomes a status item labelled subagent.updated whose parent_id is
 * the starting tool call's item, with parts
 *   {"type":"status","label":"subagent.updated","detail":"<name>: <description> (<status>)"}
 *   {"type":"json","json":{"subagent":{id, name, description, status,
 *                                      parent_item_id[, native_status]}}}
 * status running at start.  An end for an id that never started (claude
 * also ends background shell tasks this way) is dropped; a start of a
 * running subagent only updates its name and description, and an end
 * repeating the last status gives nothing (opencode repeats its task tool
 * part).  A start also makes "subagent:<id>" an alias of the starting call's
 * item, so a mapping program can give a subagent's items the parent_id
 * "subagent:<id>" when it does not know the call (opencode's child
 * sessions).
 *
 * Bounds: NZ_SUB_MAX subagents per session (later starts are dropped),
 * strings cut to NZ_SUB_TEXT bytes at a character boundary.
 * Ownership: the table (st->subs) owns its strings and is freed by
 * nz_subagent_free; conversion data is borrowed.
 */
#include "nz_int.h"
#include "sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NZ_SUB_MAX  256
#define NZ_SUB_TEXT 1024

typedef struct sub { char *id, *name, *description, *parent; const char *status; } sub;

struct nz_subs {
    sub v[NZ_SUB_MAX];
    size_t n;
};

static void set_cut(char **dst, const char *s)
{
    if (!s) return;
    free(*dst);
    *dst = sa_strdup_cut(s, NZ_SUB_TEXT);
}

bool nz_subagent_type(const char *type)
{
    return !strcmp(type, "subagent.start") || !strcmp(type, "subagent.end");
}

void nz_subagent_free(nz_subs *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].id);
        free(t->v[i].name);
        free(t->v[i].description);
        free(t->v[i].parent);
    }
    free(t);
}

static sub *find(nz_subs *t, const char *id)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (!strcmp(t->v[i].id, id)) return &t->v[i];
    return NULL;
}

bool nz_subagent_known(const nz_state *st, const char *id)
{
    return find(st->subs, id) != NULL;
}

/* The universal status word for an agent's; *native set when it is not one we know. */
static const char *end_status(const char *s, bool *native)
{
    static const char *const failed[] = { "failed", "error", "errored", NULL };
    static const char *const cancelled[] = { "killed", "stopped", "cancelled", "canceled", "interrupted",
                                             "aborted", NULL };
    *native = false;
    if (!s || !strcmp(s, "completed") || !strcmp(s, "complete") || !strcmp(s, "done")) return "completed";
    for (int i = 0; failed[i]; i++) if (!strcmp(s, failed[i])) return "failed";
    for (int i = 0; cancelled[i]; i++) if (!strcmp(s, cancelled[i])) return "cancelled";
    *native = true;
    return "failed";
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static void emit_item(nz_state *st, const sub *a, const char *status, const char *native_status, nz_raw raw)
{
    char detail[2 * NZ_SUB_TEXT + 64];
    snprintf(detail, sizeof detail, "%s%s%s (%s)", a->name ? a->name : "subagent",
             a->description ? ": " : "", a->description ? a->description : "", status);
    cJSON *json = cJSON_CreateObject(), *j = cJSON_AddObjectToObject(json, "subagent");
    cJSON_AddStringToObject(j, "id", a->id);
    add_str(j, "name", a->name);
    add_str(j, "description", a->description);
    cJSON_AddStringToObject(j, "status", status);
    add_str(j, "parent_item_id", a->parent);
    if (native_status) cJSON_AddStringToObject(j, "native_status", native_status);
    cJSON *item = nz_status_item("subagent.updated", detail, a->parent, json);
    nz_item_event(st, "item.completed", item, false, raw);
}

void nz_subagent_conversion(nz_state *st, const char *type, const cJSON *d, nz_raw raw)
{
    const char *id = str(d, "id");
    if (!id || !*id) {
        nz_state_unparsed(st, "bad subagent conversion: data.id is not a non-empty string", st->agent, raw);
        return;
    }
    if (!st->subs) {
        st->subs = calloc(1, sizeof *st->subs);
        if (!st->subs) sa_diex(1, "out of memory");
    }
    nz_subs *t = st->subs;
    sub *a = find(t, id);
    if (!strcmp(type, "subagent.start")) {
        if (!a) {
            if (t->n == NZ_SUB_MAX) return;
            a = &t->v[t->n++];
            memset(a, 0, sizeof *a);
            a->id = sa_strdup_cut(id, NZ_SUB_TEXT);
        }
        set_cut(&a->name, str(d, "name"));
        set_cut(&a->description, str(d, "description"));
        const char *call = str(d, "call_id");
        if (call && *call) {
            set_cut(&a->parent, nz_item_id_for_native(st, call));
            char alias[NZ_SUB_ALIAS_MAX];
            snprintf(alias, sizeof alias, "subagent:%s", a->id);
            if (!nz_map_has(st->native, alias) && !nz_map_put(st->native, alias, sa_strdup_cut(a->parent, NZ_SUB_TEXT)))
                sa_diex(1, "out of memory");
        }
        if (a->status && !strcmp(a->status, "running")) return;
        a->status = "running";
        emit_item(st, a, "running", NULL, raw);
        return;
    }
    if (!a) return;                               /* not a subagent we saw start */
    bool native;
    const char *s = str(d, "status");
    const char *status = end_status(s, &native);
    if (a->status && !strcmp(a->status, status)) return;
    a->status = status;
    emit_item(st, a, status, native ? s : NULL, raw);
}
