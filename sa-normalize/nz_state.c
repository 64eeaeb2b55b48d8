/*
 * nz_state.c — the conversion and item rules of sandbox-agent v0.1.11 §1.10.
 *
 * For every conversion: adopt the native session id; dedup session.started
 * and (resumable agents) non-synthetic session.ended; canonicalize data;
 * route items through nz_item_event, HITL events through nz_hitl_event.
 *
 * nz_item_event, in order:
 *  1. agents without native item starts: an assistant item.started that is
 *     not one of our pending ids is dropped (its text is kept as the pending
 *     item's snapshot and its native id aliased to the pending item); an
 *     assistant item.completed takes the front pending id; non-user deltas
 *     go to the front pending item (created lazily when none is open).
 *  2. ids: empty item_id → native map (key "result:<id>" for tool_result
 *     items, so a tool call and its result sharing the native call id stay
 *     two items) or a new itm_N; parent_id not starting with itm_ is mapped
 *     (unknown parents of agents without item starts alias to the pending
 *     assistant item).
 *  3. segments (extension, documented in sa-normalize(1)): when a non-message
 *     item starts while the pending assistant item already holds text, that
 *     item is completed first, so every assistant message is its own item and
 *     its deltas add up to its completed text.
 *  4. started dedup; synthetic item.started before an unseen completed;
 *     synthetic item.delta (text parts joined by "\n") before a non-user
 *     message completed that had no delta.
 *
 *     A tool_call item completes once: a later item.completed of it is
 *     dropped.
 *  5. open calls (extension): a tool_call part whose call_id no tool_result
 *     part has answered is open; when the turn ends (turn.ended) or the
 *     session does (session.ended, the agent's exit), each open call gets a
 *     synthetic failed tool_result item ("no result: ..."), so a client never
 *     waits on a call that cannot finish (codex leaves an interrupted
 *     command's item unfinished).
 *
 * Usage (extension, additive to v0.1): every turn.ended gets data.usage.
 * A conversion of the internal type "turn.usage" {usage, total?, mode?} is
 * not emitted: its usage is added to the current turn's (mode "replace":
 * replaces it); when it carries the agent's running "total" and that equals
 * the previous one, it is a repeat and ignored.  A turn.ended without its
 * own usage takes the remembered one (all fields null when there is none);
 * either way the remembered usage is cleared, and so it is at every
 * turn.started (usage reported between turns — codex repeats the thread's
 * last figures when a thread is resumed — belongs to no turn; the running
 * total is kept, so the next report is not mistaken for a repeat).
 * A turn.ended may also carry "usage_cumulative": fields the agent reports
 * as running totals of its process (Claude's total_cost_usd, codex exec's
 * token counts); each becomes the difference to the previous turn.ended's
 * value (the whole value after a decrease, or when there is no previous
 * one) and replaces that field of the usage.  sa-spawn's "spawned" line (a
 * new agent process) forgets the running totals.
 *
 * Todo lists (extension): the internal conversions todo.list, todo.call and
 * todo.result go to nz_todo.c; each change of the list becomes a status
 * item todo.updated with the whole list (todo_conversion).  Subagents
 * (extension): subagent.start / subagent.end go to nz_subagent.c; an
 * assistant message item with a parent_id (a subagent's) skips rule 1 and
 * is an item of its own.  A conversion whose native_session_id is not
 * ours but a known subagent's id (codex runs a subagent as a thread of its
 * own) is the subagent's: its items get parent_id "subagent:<id>", and only
 * items, deltas, HITL events, errors, usage and subagent conversions are
 * kept (its session and turn events and todo list are not ours).
 */
#include "nz_int.h"
#include "nz_canon.h"
#include "nz_state.h"
#include "sa.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p) sa_diex(1, "out of memory");
    return p;
}

static void buf_add(nz_buf *b, const char *s, size_t n)
{
    if (b->over) return;
    if (b->len + n > NZ_SEGMENT_TEXT_MAX) { b->over = true; return; }
    sa_reserve(&b->p, &b->cap, b->len + n + 1, 256);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

nz_state *nz_state_new(const nz_opts *o)
{
    nz_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->agent = xstrdup(o->agent);
    st->session = xstrdup(o->session_id);
    st->nsid = o->native_session_id ? xstrdup(o->native_session_id) : NULL;
    st->perm_mode = o->permission_mode ? xstrdup(o->permission_mode) : NULL;
    st->agent_mode = o->agent_mode ? xstrdup(o->agent_mode) : NULL;
    st->model = o->model ? xstrdup(o->model) : NULL;
    st->variant = o->variant ? xstrdup(o->variant) : NULL;
    st->fl = nz_agent_lookup(o->agent);
    st->metadata = o->metadata ? cJSON_Duplicate(o->metadata, 1) : NULL;
    st->no_ss = o->no_session_started;
    st->session_started = o->no_session_started;
    st->next_item = o->item_start ? o->item_start : 1;
    st->native = nz_map_new(free);
    st->started = nz_map_new(NULL);
    st->deltas = nz_map_new(NULL);
    st->perms = nz_map_new((nz_map_free_fn)cJSON_Delete);
    st->questions = nz_map_new((nz_map_free_fn)cJSON_Delete);
    st->emit = o->emit;
    st->emit_parts = o->emit_parts;
    st->ctx = o->emit_ctx;
    st->before_turn_end = o->before_turn_end;
    st->hook_ctx = o->hook_ctx;
    if (!st->native || !st->started || !st->deltas || !st->perms || !st->questions)
        sa_diex(1, "out of memory");
    return st;
}

static void pending_free(nz_pending *p)
{
    free(p->nid);
    free(p->delta.p);
    free(p->snap.p);
}

void nz_state_free(nz_state *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->npend; i++) pending_free(&st->pend[i]);
    free(st->pend);
    nz_map_free(st->native);
    nz_map_free(st->started);
    nz_map_free(st->deltas);
    nz_map_free(st->perms);
    nz_map_free(st->questions);
    for (size_t i = 0; i < st->nopen; i++) { free(st->open_calls[i]); free(st->open_nids[i]); }
    free(st->open_calls);
    free(st->open_nids);
    cJSON_Delete(st->metadata);
    cJSON_Delete(st->usage);
    cJSON_Delete(st->usage_total);
    cJSON_Delete(st->usage_cum);
    nz_todo_free(st->todo);
    nz_subagent_free(st->subs);
    free(st->agent);
    free(st->session);
    free(st->nsid);
    free(st->perm_mode);
    free(st->agent_mode);
    free(st->model);
    free(st->variant);
    nz_emit_free(st);
    free(st);
}

const char *nz_state_native_session_id(const nz_state *st) { return st->nsid; }
size_t nz_state_pending_assistants(const nz_state *st) { return st->npend; }
size_t nz_state_pending_permissions(const nz_state *st) { return nz_map_count(st->perms); }
size_t nz_state_pending_questions(const nz_state *st) { return nz_map_count(st->questions); }

void nz_state_begin(nz_state *st)
{
    if (st->no_ss) return;
    st->session_started = true;
    cJSON *d = cJSON_CreateObject();
    cJSON *md;
    if (st->metadata) {
        md = cJSON_Duplicate(st->metadata, 1);
    } else {                                 /* sandbox-agent's shape */
        md = cJSON_CreateObject();
        cJSON_AddStringToObject(md, "agent", st->agent);
        cJSON_AddStringToObject(md, "agentMode", st->agent_mode ? st->agent_mode : "build");
        cJSON_AddStringToObject(md, "permissionMode", st->perm_mode ? st->perm_mode : "default");
        cJSON_AddItemToObject(md, "model", st->model ? cJSON_CreateString(st->model) : cJSON_CreateNull());
        cJSON_AddItemToObject(md, "variant", st->variant ? cJSON_CreateString(st->variant) : cJSON_CreateNull());
    }
    cJSON_AddItemToObject(d, "metadata", md);
    nz_emit(st, "session.started", d, true, (nz_raw){ NZ_RAW_NULL, NULL });
}

void nz_state_unparsed(nz_state *st, const char *error, const char *location, nz_raw raw)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "error", error ? error : "unparsed");
    cJSON_AddStringToObject(d, "location", location ? location : "");
    cJSON_AddNullToObject(d, "raw_hash");
    nz_emit(st, "agent.unparsed", d, true, raw);
}

cJSON *nz_make_item(const char *nid, const char *kind, const char *role, const char *text, const char *status)
{
    cJSON *it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "item_id", "");
    if (nid) cJSON_AddStringToObject(it, "native_item_id", nid);
    else cJSON_AddNullToObject(it, "native_item_id");
    cJSON_AddNullToObject(it, "parent_id");
    cJSON_AddStringToObject(it, "kind", kind);
    if (role) cJSON_AddStringToObject(it, "role", role);
    else cJSON_AddNullToObject(it, "role");
    cJSON *c = cJSON_AddArrayToObject(it, "content");
    if (text) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "type", "text");
        cJSON_AddStringToObject(p, "text", text);
        cJSON_AddItemToArray(c, p);
    }
    cJSON_AddStringToObject(it, "status", status);
    return it;
}

/* A completed status item: {type:status, label, detail}, then {type:json,
 * json} when json is given (taken over); parent_id NULL is null. */
cJSON *nz_status_item(const char *label, const char *detail, const char *parent_id, cJSON *json)
{
    cJSON *it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "item_id", "");
    cJSON_AddNullToObject(it, "native_item_id");
    if (parent_id) cJSON_AddStringToObject(it, "parent_id", parent_id);
    else cJSON_AddNullToObject(it, "parent_id");
    cJSON_AddStringToObject(it, "kind", "status");
    cJSON_AddStringToObject(it, "role", "system");
    cJSON *c = cJSON_AddArrayToObject(it, "content"), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "status");
    cJSON_AddStringToObject(p, "label", label);
    cJSON_AddStringToObject(p, "detail", detail);
    cJSON_AddItemToArray(c, p);
    if (json) {
        p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "type", "json");
        cJSON_AddItemToObject(p, "json", json);
        cJSON_AddItemToArray(c, p);
    }
    cJSON_AddStringToObject(it, "status", "completed");
    return it;
}

/* ---- ids ---- */

static const char *new_item_id(nz_state *st, char *buf, size_t n)
{
    snprintf(buf, n, "itm_%" PRIu64, st->next_item++);
    return buf;
}

/* The item id for native key `key`, created (and remembered) if unknown. */
static const char *id_for_native(nz_state *st, const char *key)
{
    const char *id = nz_map_get(st->native, key);
    if (id) return id;
    char b[32];
    new_item_id(st, b, sizeof b);
    if (!nz_map_put(st->native, key, xstrdup(b))) sa_diex(1, "out of memory");
    return nz_map_get(st->native, key);
}

const char *nz_item_id_for_native(nz_state *st, const char *key)
{
    return id_for_native(st, key);
}

static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- pending assistant items ---- */

static ssize_t pending_index(const nz_state *st, const char *nid)
{
    if (!nid) return -1;
    for (size_t i = 0; i < st->npend; i++) if (!strcmp(st->pend[i].nid, nid)) return (ssize_t)i;
    return -1;
}

static void pending_remove(nz_state *st, size_t i)
{
    pending_free(&st->pend[i]);
    memmove(&st->pend[i], &st->pend[i + 1], (st->npend - i - 1) * sizeof *st->pend);
    st->npend--;
}

void nz_pending_push(nz_state *st, nz_raw raw)
{
    if (st->npend == st->cappend) {
        size_t nc = st->cappend ? st->cappend * 2 : 4;
        nz_pending *np = realloc(st->pend, nc * sizeof *np);
        if (!np) sa_diex(1, "out of memory");
        st->pend = np;
        st->cappend = nc;
    }
    char nid[512];
    snprintf(nid, sizeof nid, "%s_pending_assistant_%" PRIu64, st->session, ++st->pending_n);
    nz_pending *p = &st->pend[st->npend++];
    memset(p, 0, sizeof *p);
    p->nid = xstrdup(nid);
    nz_item_event(st, "item.started", nz_make_item(nid, "message", "assistant", NULL, "in_progress"), true, raw);
}

static nz_pending *pending_front(nz_state *st, nz_raw raw)
{
    if (st->npend == 0) nz_pending_push(st, raw);
    return &st->pend[0];
}

static bool pending_has_text(const nz_pending *p)
{
    return p->has_delta || p->snap.len > 0;
}

/* Complete the front pending item with the text it holds. */
static void close_front(nz_state *st, nz_raw raw)
{
    nz_pending *p = &st->pend[0];
    const char *text = p->has_delta && !p->delta.over ? p->delta.p : p->snap.len ? p->snap.p : NULL;
    bool any = pending_has_text(p);
    cJSON *it = nz_make_item(p->nid, "message", "assistant", any ? (text ? text : "") : NULL,
                             any ? "completed" : "failed");
    nz_item_event(st, "item.completed", it, true, raw);   /* pops it (native id is pending) */
}

void nz_close_pending(nz_state *st, nz_raw raw)
{
    while (st->npend) close_front(st, raw);
    nz_close_open_calls(st, raw);
}

/* ---- open calls ---- */

static ssize_t open_index(const nz_state *st, const char *call)
{
    for (size_t i = 0; i < st->nopen; i++)
        if (!strcmp(st->open_calls[i], call)) return (ssize_t)i;
    return -1;
}

static void open_remove(nz_state *st, size_t i)
{
    free(st->open_calls[i]);
    free(st->open_nids[i]);
    size_t rest = st->nopen - i - 1;
    memmove(st->open_calls + i, st->open_calls + i + 1, rest * sizeof *st->open_calls);
    memmove(st->open_nids + i, st->open_nids + i + 1, rest * sizeof *st->open_nids);
    st->nopen--;
}

/* Note the tool_call and tool_result parts of an item being emitted. */
static void track_calls(nz_state *st, const cJSON *item)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, "content"), *p;
    const char *nid = jstr(item, "native_item_id");
    cJSON_ArrayForEach(p, c) {
        const char *t = jstr(p, "type"), *call = jstr(p, "call_id");
        if (!t || !call || !*call) continue;
        ssize_t i = open_index(st, call);
        if (!strcmp(t, "tool_call") && i < 0) {
            if (st->nopen == st->capopen) {
                size_t nc = st->capopen ? st->capopen * 2 : 8;
                char **nv = realloc(st->open_calls, nc * sizeof *nv);
                if (!nv) sa_diex(1, "out of memory");
                st->open_calls = nv;
                nv = realloc(st->open_nids, nc * sizeof *nv);
                if (!nv) sa_diex(1, "out of memory");
                st->open_nids = nv;
                st->capopen = nc;
            }
            st->open_calls[st->nopen] = xstrdup(call);
            st->open_nids[st->nopen++] = nid ? xstrdup(nid) : NULL;
        } else if (!strcmp(t, "tool_result") && i >= 0) {
            open_remove(st, (size_t)i);
        }
    }
}

void nz_close_open_calls(nz_state *st, nz_raw raw)
{
    while (st->nopen) {
        char *call = xstrdup(st->open_calls[0]);
        /* the result item is the one the call's own result would be (same
         * native id), so a late real result updates it */
        char *nid = xstrdup(st->open_nids[0] ? st->open_nids[0] : call);
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "item_id", "");
        cJSON_AddStringToObject(it, "native_item_id", nid);
        cJSON_AddNullToObject(it, "parent_id");
        cJSON_AddStringToObject(it, "kind", "tool_result");
        cJSON_AddStringToObject(it, "role", "tool");
        cJSON *content = cJSON_AddArrayToObject(it, "content");
        cJSON *part = cJSON_CreateObject();
        cJSON_AddStringToObject(part, "type", "tool_result");
        cJSON_AddStringToObject(part, "call_id", call);
        cJSON_AddStringToObject(part, "output", "no result: the turn ended before the tool call finished");
        cJSON_AddItemToArray(content, part);
        cJSON_AddStringToObject(it, "status", "failed");
        size_t before = st->nopen;
        nz_item_event(st, "item.completed", it, true, raw);     /* answers (removes) it */
        if (st->nopen == before) open_remove(st, 0);            /* cannot happen; never loop */
        free(call);
        free(nid);
    }
}

/* ---- items ---- */

static void add_text_parts(nz_buf *b, const cJSON *item)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, "content"), *p;
    cJSON_ArrayForEach(p, c) {
        const char *t = jstr(p, "type"), *x = jstr(p, "text");
        if (t && !strcmp(t, "text") && x) {
            if (b->len) buf_add(b, "\n", 1);
            buf_add(b, x, strlen(x));
        }
    }
}

static char *joined_text(const cJSON *item)
{
    nz_buf b = { 0 };
    add_text_parts(&b, item);
    return b.p;                     /* NULL when no text */
}

void nz_item_event(nz_state *st, const char *type, cJSON *item, bool synthetic, nz_raw raw)
{
    bool started_ev = !strcmp(type, "item.started");
    const char *kind = jstr(item, "kind"), *role = jstr(item, "role");
    /* a subagent's message (it has a parent) is its own item, never the pending one */
    bool asst_msg = !strcmp(kind, "message") && role && !strcmp(role, "assistant") && !jstr(item, "parent_id");
    char idbuf[32];

    /* rule 2: pending assistant items */
    if (!st->fl->item_started && asst_msg) {
        const char *nid = jstr(item, "native_item_id");
        ssize_t pi = pending_index(st, nid);
        if (started_ev && pi < 0) {
            nz_pending *p = pending_front(st, raw);
            const char *pid = nz_map_get(st->native, p->nid);
            if (nid && pid && !nz_map_has(st->native, nid))
                nz_map_put(st->native, nid, xstrdup(pid));
            add_text_parts(&p->snap, item);
            cJSON_Delete(item);
            return;
        }
        if (!started_ev) {
            if (pi < 0) { pending_front(st, raw); pi = 0; }
            set_str(item, "native_item_id", st->pend[pi].nid);
            set_str(item, "item_id", "");
            pending_remove(st, (size_t)pi);
        }
    }

    /* rule 3: ids */
    const char *nid = jstr(item, "native_item_id");
    if (!jstr(item, "item_id") || !*jstr(item, "item_id")) {
        const char *id;
        if (!nid) id = new_item_id(st, idbuf, sizeof idbuf);
        else if (!strcmp(kind, "tool_result")) {
            size_t n = strlen(nid) + 8;
            char *key = malloc(n);
            if (!key) sa_diex(1, "out of memory");
            snprintf(key, n, "result:%s", nid);
            id = id_for_native(st, key);
            free(key);
        } else id = id_for_native(st, nid);
        set_str(item, "item_id", id);
    }
    const char *parent = jstr(item, "parent_id");
    if (parent && strncmp(parent, "itm_", 4) != 0) {
        const char *pid = nz_map_get(st->native, parent);
        if (!pid && !st->fl->item_started && st->npend) {
            const char *front = nz_map_get(st->native, st->pend[0].nid);
            if (front) { nz_map_put(st->native, parent, xstrdup(front)); pid = nz_map_get(st->native, parent); }
        }
        if (!pid) pid = id_for_native(st, parent);
        set_str(item, "parent_id", pid);
    }
    const char *id = jstr(item, "item_id");
    char *idc = xstrdup(id);

    /* segments: a new non-message item closes an assistant message that holds text */
    if (!st->fl->item_started && strcmp(kind, "message") != 0 && st->npend &&
        !nz_map_has(st->started, idc) && pending_has_text(&st->pend[0]))
        close_front(st, raw);

    if (started_ev) {
        if (nz_map_has(st->started, idc)) { cJSON_Delete(item); free(idc); return; }  /* rule 6 */
        nz_map_put(st->started, idc, (void *)1);
        track_calls(st, item);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddItemToObject(d, "item", item);
        nz_emit(st, "item.started", d, synthetic, raw);
        free(idc);
        return;
    }
    if (!nz_map_has(st->started, idc)) {                                  /* rule 4 */
        nz_map_put(st->started, idc, (void *)1);
        cJSON *copy = cJSON_Duplicate(item, 1);
        set_str(copy, "status", "in_progress");
        cJSON *d = cJSON_CreateObject();
        cJSON_AddItemToObject(d, "item", copy);
        nz_emit(st, "item.started", d, true, raw);
    }
    if (!strcmp(kind, "message") && !(role && !strcmp(role, "user")) && !nz_map_has(st->deltas, idc)) {
        char *text = joined_text(item);                                     /* rule 5 */
        if (text && *text) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "item_id", idc);
            if (jstr(item, "native_item_id")) cJSON_AddStringToObject(d, "native_item_id", jstr(item, "native_item_id"));
            else cJSON_AddNullToObject(d, "native_item_id");
            cJSON_AddStringToObject(d, "delta", text);
            nz_emit(st, "item.delta", d, true, raw);
        }
        free(text);
    }
    nz_map_del(st->deltas, idc);
    /* a tool call completes once: its arguments do not change (opencode
     * repeats the running part, and the mapping cannot know which update
     * was the first) */
    bool call = !strcmp(kind, "tool_call");
    if (call && nz_map_get(st->started, idc) == (void *)2) { cJSON_Delete(item); free(idc); return; }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "item", item);
    track_calls(st, item);
    nz_emit(st, "item.completed", d, synthetic, raw);
    if (call) nz_map_put(st->started, idc, (void *)2);
    free(idc);
}

static void delta_event(nz_state *st, cJSON *d, bool synthetic, nz_raw raw)
{
    const char *nid = jstr(d, "native_item_id");
    if (!st->fl->item_started && !(nid && !strncmp(nid, "user_", 5))) {
        nz_pending *p = pending_front(st, raw);
        set_str(d, "native_item_id", p->nid);
        set_str(d, "item_id", "");
        const char *t = jstr(d, "delta");
        buf_add(&p->delta, t, strlen(t));
        p->has_delta = true;
        nid = p->nid;
    }
    if (!*jstr(d, "item_id")) {
        char b[32];
        set_str(d, "item_id", nid ? id_for_native(st, nid) : new_item_id(st, b, sizeof b));
    }
    nz_map_put(st->deltas, jstr(d, "item_id"), (void *)1);
    nz_emit(st, "item.delta", d, synthetic, raw);
}

void nz_state_delta(nz_state *st, const char *nsid, const char *nid, const char *delta, nz_raw raw)
{
    /* what one_conversion and delta_event do for the conversion
     * {type: item.delta, data: {item_id: "", native_item_id: nid, delta},
     * native_session_id: nsid}, without the trees (a subagent's delta is
     * kept as it is, so the subagent check changes nothing here) */
    if (nsid && *nsid && !st->nsid) st->nsid = xstrdup(nsid);
    if (!st->fl->item_started && !(nid && !strncmp(nid, "user_", 5))) {
        nz_pending *p = pending_front(st, raw);
        buf_add(&p->delta, delta, strlen(delta));
        p->has_delta = true;
        nid = p->nid;
    }
    char b[32];
    const char *id = nid ? id_for_native(st, nid) : new_item_id(st, b, sizeof b);
    nz_map_put(st->deltas, id, (void *)1);
    nz_emit_delta(st, id, nid, delta, false, raw);
}

/* An internal turn.usage conversion: remember the turn's usage (see top). */
static void turn_usage(nz_state *st, const cJSON *d, nz_raw raw)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(d, "usage");
    if (!cJSON_IsObject(u)) {
        nz_state_unparsed(st, "bad turn.usage conversion: data.usage is not an object", st->agent, raw);
        return;
    }
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(d, "total");
    if (cJSON_IsObject(total) && st->usage_total && cJSON_Compare(total, st->usage_total, true)) return;
    const char *mode = jstr(d, "mode");
    if ((mode && !strcmp(mode, "replace")) || !st->usage) {
        cJSON_Delete(st->usage);
        st->usage = nz_canon_usage(u);
    } else {
        nz_usage_add(st->usage, u);
    }
    if (cJSON_IsObject(total)) {
        cJSON_Delete(st->usage_total);
        st->usage_total = cJSON_Duplicate(total, 1);
    }
}

/* usage[k] = cum[k] - the previous cum[k] (see top); cum is remembered. */
static void usage_cumulative(nz_state *st, cJSON *usage, const cJSON *cum_in)
{
    cJSON *cum = nz_canon_usage(cum_in);
    for (cJSON *v = cum->child; v; v = v->next) {
        if (!cJSON_IsNumber(v)) continue;
        const cJSON *prev = st->usage_cum ? cJSON_GetObjectItemCaseSensitive(st->usage_cum, v->string) : NULL;
        double d = cJSON_IsNumber(prev) && v->valuedouble >= prev->valuedouble
                   ? v->valuedouble - prev->valuedouble : v->valuedouble;
        if (!strcmp(v->string, "cost_usd")) d = round(d * 1e10) / 1e10;   /* no float dust */
        cJSON_ReplaceItemInObjectCaseSensitive(usage, v->string, cJSON_CreateNumber(d));
    }
    cJSON_Delete(st->usage_cum);
    st->usage_cum = cum;
}

void nz_usage_forget_totals(nz_state *st)
{
    cJSON_Delete(st->usage_total);
    cJSON_Delete(st->usage_cum);
    st->usage_total = st->usage_cum = NULL;
}

/* An internal todo conversion (nz_todo.c): when the list changed, a status
 * item todo.updated {"todos": [...]} with "<completed>/<total> completed". */
static void todo_conversion(nz_state *st, const char *type, const cJSON *d, nz_raw raw)
{
    if (!st->todo) st->todo = nz_todo_new();
    cJSON *list = nz_todo_apply(st->todo, type, d);
    if (!list) return;
    int n = cJSON_GetArraySize(list), done = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "status")), "completed")) done++;
    char detail[64];
    snprintf(detail, sizeof detail, "%d/%d completed", done, n);
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "todos", list);
    cJSON *item = nz_status_item("todo.updated", detail, NULL, json);
    nz_item_event(st, "item.completed", item, false, raw);
}

static void one_conversion(nz_state *st, const cJSON *c, nz_raw raw)
{
    const char *type = jstr(c, "type");
    if (!cJSON_IsObject(c) || !type) {
        nz_state_unparsed(st, "mapping produced a conversion without a type", st->agent, raw);
        return;
    }
    const char *nsid = jstr(c, "native_session_id");
    if (nsid && *nsid && !st->nsid) st->nsid = xstrdup(nsid);
    /* another native session that is one of our subagents (codex's child
     * thread): its items nest under the call that started it, and its own
     * session and turn life cycle and todo list are not ours */
    char sub_parent[NZ_SUB_ALIAS_MAX];
    sub_parent[0] = '\0';
    if (nsid && st->nsid && strcmp(nsid, st->nsid) && nz_subagent_known(st, nsid)) {
        static const char *const keep[] = { "item.started", "item.completed", "item.delta", "error", "turn.usage",
                                            "subagent.start", "subagent.end", NULL };
        bool kept = !strncmp(type, "permission.", 11) || !strncmp(type, "question.", 9);
        for (int i = 0; keep[i] && !kept; i++) kept = !strcmp(type, keep[i]);
        if (!kept) return;
        snprintf(sub_parent, sizeof sub_parent, "subagent:%s", nsid);
    }
    bool synthetic = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "synthetic"));
    if (!strcmp(type, "turn.usage")) {
        turn_usage(st, cJSON_GetObjectItemCaseSensitive(c, "data"), raw);
        return;
    }
    if (nz_todo_type(type)) {
        todo_conversion(st, type, cJSON_GetObjectItemCaseSensitive(c, "data"), raw);
        return;
    }
    if (nz_subagent_type(type)) {
        nz_subagent_conversion(st, type, cJSON_GetObjectItemCaseSensitive(c, "data"), raw);
        return;
    }
    const char *err = NULL;
    cJSON *data = nz_canon_data(type, cJSON_GetObjectItemCaseSensitive(c, "data"), &err);
    if (!data) {
        char msg[256];
        snprintf(msg, sizeof msg, "bad %.64s conversion: %s", type, err);
        nz_state_unparsed(st, msg, st->agent, raw);
        return;
    }
    if (!strcmp(type, "session.started")) {
        if (st->session_started) { cJSON_Delete(data); return; }
        st->session_started = true;
        nz_emit(st, type, data, synthetic, raw);
    } else if (!strcmp(type, "session.ended")) {
        if (!synthetic && st->fl->resumable) { cJSON_Delete(data); return; }
        nz_close_pending(st, raw);
        nz_emit(st, type, data, synthetic, raw);
    } else if (!strcmp(type, "item.started") || !strcmp(type, "item.completed")) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(data, "item");
        cJSON_Delete(data);
        if (*sub_parent && !jstr(item, "parent_id")) set_str(item, "parent_id", sub_parent);
        nz_item_event(st, type, item, synthetic, raw);
    } else if (!strcmp(type, "item.delta")) {
        delta_event(st, data, synthetic, raw);
    } else if (!strncmp(type, "permission.", 11) || !strncmp(type, "question.", 9)) {
        nz_hitl_event(st, type, data, synthetic, jstr(c, "link"), raw);
    } else if (!strcmp(type, "turn.started")) {
        cJSON_Delete(st->usage);
        st->usage = NULL;
        nz_emit(st, type, data, synthetic, raw);
    } else if (!strcmp(type, "turn.ended")) {
        nz_close_open_calls(st, raw);
        if (!cJSON_GetObjectItemCaseSensitive(data, "usage"))
            cJSON_AddItemToObject(data, "usage", st->usage ? st->usage : nz_canon_usage(NULL));
        else
            cJSON_Delete(st->usage);
        st->usage = NULL;
        const cJSON *cum = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "data"),
                                                            "usage_cumulative");
        if (cJSON_IsObject(cum))
            usage_cumulative(st, cJSON_GetObjectItemCaseSensitive(data, "usage"), cum);
        nz_emit(st, type, data, synthetic, raw);
    } else {
        nz_emit(st, type, data, synthetic || !strcmp(type, "agent.unparsed"), raw);
    }
}

void nz_state_conversions(nz_state *st, const cJSON *convs, nz_raw raw)
{
    if (!cJSON_IsArray(convs)) {
        nz_state_unparsed(st, "mapping output is not an array", st->agent, raw);
        return;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, convs) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(c, "__error");
        if (e) {
            char msg[512];
            char *t = cJSON_IsString(e) ? NULL : cJSON_PrintUnformatted(e);
            snprintf(msg, sizeof msg, "mapping program error: %.400s", t ? t : e->valuestring);
            free(t);
            nz_state_unparsed(st, msg, st->agent, raw);
            continue;
        }
        one_conversion(st, c, raw);
    }
}
