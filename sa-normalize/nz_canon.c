/*
 * nz_canon.c — rebuild universal event data in canonical key order.
 *
 * One builder per data shape (session, turn, item, delta, error, permission,
 * question, unparsed).  Each reads the loose input with small typed getters
 * and adds keys in schema order; absent optional fields become explicit null
 * except the few the schema omits (session.ended message/exit_code/stderr,
 * turn_id/metadata, stderr head/tail/total_lines).  turn.ended keeps a
 * "usage" object when the conversion has one (nz_canon_usage: the six
 * fields in order, each a number or null); nz_state adds it otherwise.
 */
#include "nz_canon.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *dup_or_null(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static bool in_list(const char *s, const char *const *list)
{
    if (!s) return false;
    for (; *list; list++) if (strcmp(s, *list) == 0) return true;
    return false;
}

static const char *const EVENT_TYPES[] = {
    "session.started", "session.ended", "turn.started", "turn.ended", "item.started",
    "item.delta", "item.completed", "error", "permission.requested", "permission.resolved",
    "question.requested", "question.resolved", "agent.unparsed", NULL };

bool nz_canon_known_type(const char *type) { return in_list(type, EVENT_TYPES); }

bool nz_is_file_change(const char *s)
{
    return s && (!strcasecmp(s, "filechange") || !strcasecmp(s, "file_change") ||
                 !strcasecmp(s, "file-change"));
}

/* A string field, or the JSON text of a non-string value ("" when absent). */
static cJSON *as_json_string(const cJSON *v)
{
    if (cJSON_IsString(v)) return cJSON_CreateString(v->valuestring);
    if (!v) return cJSON_CreateString("");
    char *t = cJSON_PrintUnformatted(v);
    cJSON *r = cJSON_CreateString(t ? t : "");
    free(t);
    return r;
}

cJSON *nz_canon_part(const cJSON *p)
{
    const char *t = str_of(p, "type");
    cJSON *o = cJSON_CreateObject();
    if (t && !strcmp(t, "text") && str_of(p, "text")) {
        cJSON_AddStringToObject(o, "type", "text");
        cJSON_AddStringToObject(o, "text", str_of(p, "text"));
    } else if (t && !strcmp(t, "json")) {
        cJSON_AddStringToObject(o, "type", "json");
        cJSON_AddItemToObject(o, "json", dup_or_null(p, "json"));
    } else if (t && !strcmp(t, "tool_call")) {
        cJSON_AddStringToObject(o, "type", "tool_call");
        cJSON_AddStringToObject(o, "name", str_of(p, "name") ? str_of(p, "name") : "");
        cJSON_AddItemToObject(o, "arguments",
                              as_json_string(cJSON_GetObjectItemCaseSensitive(p, "arguments")));
        cJSON_AddStringToObject(o, "call_id", str_of(p, "call_id") ? str_of(p, "call_id") : "");
    } else if (t && !strcmp(t, "tool_result")) {
        cJSON_AddStringToObject(o, "type", "tool_result");
        cJSON_AddStringToObject(o, "call_id", str_of(p, "call_id") ? str_of(p, "call_id") : "");
        cJSON_AddItemToObject(o, "output", as_json_string(cJSON_GetObjectItemCaseSensitive(p, "output")));
    } else if (t && !strcmp(t, "file_ref")) {
        static const char *const acts[] = { "read", "write", "patch", NULL };
        const char *a = str_of(p, "action");
        cJSON_AddStringToObject(o, "type", "file_ref");
        cJSON_AddStringToObject(o, "path", str_of(p, "path") ? str_of(p, "path") : "");
        cJSON_AddStringToObject(o, "action", in_list(a, acts) ? a : "read");
        add_str_or_null(o, "diff", str_of(p, "diff"));
    } else if (t && !strcmp(t, "reasoning")) {
        const char *v = str_of(p, "visibility");
        cJSON_AddStringToObject(o, "type", "reasoning");
        cJSON_AddStringToObject(o, "text", str_of(p, "text") ? str_of(p, "text") : "");
        cJSON_AddStringToObject(o, "visibility", v && !strcmp(v, "private") ? "private" : "public");
    } else if (t && !strcmp(t, "image")) {
        cJSON_AddStringToObject(o, "type", "image");
        cJSON_AddStringToObject(o, "path", str_of(p, "path") ? str_of(p, "path") : "");
        add_str_or_null(o, "mime", str_of(p, "mime"));
    } else if (t && !strcmp(t, "status")) {
        cJSON_AddStringToObject(o, "type", "status");
        cJSON_AddStringToObject(o, "label", str_of(p, "label") ? str_of(p, "label") : "");
        add_str_or_null(o, "detail", str_of(p, "detail"));
    } else {
        cJSON_AddStringToObject(o, "type", "json");
        cJSON_AddItemToObject(o, "json", p ? cJSON_Duplicate(p, 1) : cJSON_CreateNull());
    }
    return o;
}

cJSON *nz_canon_item(const cJSON *it, const char **err)
{
    static const char *const kinds[] = { "message", "tool_call", "tool_result", "system",
                                         "status", "unknown", NULL };
    static const char *const roles[] = { "user", "assistant", "system", "tool", NULL };
    static const char *const stats[] = { "in_progress", "completed", "failed", NULL };
    if (!cJSON_IsObject(it)) { *err = "item is not an object"; return NULL; }
    const char *kind = str_of(it, "kind"), *role = str_of(it, "role"), *st = str_of(it, "status");
    if (!in_list(kind, kinds)) { *err = "item.kind missing or invalid"; return NULL; }
    if (role && !in_list(role, roles)) { *err = "item.role invalid"; return NULL; }
    if (st && !in_list(st, stats)) { *err = "item.status invalid"; return NULL; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "item_id", str_of(it, "item_id") ? str_of(it, "item_id") : "");
    add_str_or_null(o, "native_item_id", str_of(it, "native_item_id"));
    add_str_or_null(o, "parent_id", str_of(it, "parent_id"));
    cJSON_AddStringToObject(o, "kind", kind);
    add_str_or_null(o, "role", role);
    cJSON *content = cJSON_AddArrayToObject(o, "content");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "content"), *p;
    if (cJSON_IsArray(c)) cJSON_ArrayForEach(p, c) cJSON_AddItemToArray(content, nz_canon_part(p));
    cJSON_AddStringToObject(o, "status", st ? st : "in_progress");
    return o;
}

cJSON *nz_canon_stderr(const cJSON *s)
{
    if (!cJSON_IsObject(s)) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (str_of(s, "head")) cJSON_AddStringToObject(o, "head", str_of(s, "head"));
    if (str_of(s, "tail")) cJSON_AddStringToObject(o, "tail", str_of(s, "tail"));
    cJSON_AddBoolToObject(o, "truncated",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "truncated")));
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(s, "total_lines");
    if (cJSON_IsNumber(tl)) cJSON_AddNumberToObject(o, "total_lines", tl->valuedouble);
    return o;
}

static cJSON *canon_session_ended(const cJSON *d, const char **err)
{
    static const char *const reasons[] = { "completed", "error", "terminated", NULL };
    static const char *const by[] = { "agent", "daemon", NULL };
    const char *r = str_of(d, "reason"), *t = str_of(d, "terminated_by");
    if (!in_list(r, reasons)) { *err = "session.ended reason invalid"; return NULL; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "reason", r);
    cJSON_AddStringToObject(o, "terminated_by", in_list(t, by) ? t : "agent");
    if (!strcmp(r, "error")) {
        if (str_of(d, "message")) cJSON_AddStringToObject(o, "message", str_of(d, "message"));
        const cJSON *ec = cJSON_GetObjectItemCaseSensitive(d, "exit_code");
        if (cJSON_IsNumber(ec)) cJSON_AddNumberToObject(o, "exit_code", ec->valuedouble);
        cJSON *se = nz_canon_stderr(cJSON_GetObjectItemCaseSensitive(d, "stderr"));
        if (se) cJSON_AddItemToObject(o, "stderr", se);
    }
    return o;
}

static const char *const USAGE_KEYS[] = { "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "cost_usd", NULL };

cJSON *nz_canon_usage(const cJSON *u)
{
    cJSON *o = cJSON_CreateObject();
    for (const char *const *k = USAGE_KEYS; *k; k++) {
        const cJSON *v = cJSON_IsObject(u) ? cJSON_GetObjectItemCaseSensitive(u, *k) : NULL;
        if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e300)
            cJSON_AddNumberToObject(o, *k, v->valuedouble);
        else
            cJSON_AddNullToObject(o, *k);
    }
    return o;
}

void nz_usage_add(cJSON *acc, const cJSON *u)
{
    for (const char *const *k = USAGE_KEYS; *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, *k);
        if (!cJSON_IsNumber(v)) continue;
        cJSON *a = cJSON_GetObjectItemCaseSensitive(acc, *k);
        double sum = (cJSON_IsNumber(a) ? a->valuedouble : 0) + v->valuedouble;
        cJSON_ReplaceItemInObjectCaseSensitive(acc, *k, cJSON_CreateNumber(sum));
    }
}

static cJSON *canon_turn(const char *phase, const cJSON *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phase", phase);
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(d, "turn_id");
    if (cJSON_IsString(tid)) cJSON_AddStringToObject(o, "turn_id", tid->valuestring);
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(d, "metadata");
    if (md && !cJSON_IsNull(md)) cJSON_AddItemToObject(o, "metadata", cJSON_Duplicate(md, 1));
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(d, "usage");
    if (!strcmp(phase, "ended") && cJSON_IsObject(u)) cJSON_AddItemToObject(o, "usage", nz_canon_usage(u));
    return o;
}

static cJSON *canon_permission(const cJSON *d, bool requested, const char **err)
{
    static const char *const st[] = { "requested", "accept", "accept_for_session", "reject", NULL };
    const char *id = str_of(d, "permission_id"), *s = str_of(d, "status");
    if (!id) { *err = "permission_id missing"; return NULL; }
    if (s && !in_list(s, st)) { *err = "permission status invalid"; return NULL; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "permission_id", id);
    cJSON_AddStringToObject(o, "action", str_of(d, "action") ? str_of(d, "action") : "unknown");
    cJSON_AddStringToObject(o, "status", s ? s : requested ? "requested" : "accept");
    cJSON_AddItemToObject(o, "metadata", dup_or_null(d, "metadata"));
    return o;
}

static cJSON *canon_question(const cJSON *d, bool requested, const char **err)
{
    static const char *const st[] = { "requested", "answered", "rejected", NULL };
    const char *id = str_of(d, "question_id"), *s = str_of(d, "status");
    if (!id) { *err = "question_id missing"; return NULL; }
    if (s && !in_list(s, st)) { *err = "question status invalid"; return NULL; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "question_id", id);
    cJSON_AddStringToObject(o, "prompt", str_of(d, "prompt") ? str_of(d, "prompt") : "");
    cJSON *opts = cJSON_AddArrayToObject(o, "options");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(d, "options"), *v;
    if (cJSON_IsArray(src))
        cJSON_ArrayForEach(v, src) if (cJSON_IsString(v)) cJSON_AddItemToArray(opts, cJSON_CreateString(v->valuestring));
    add_str_or_null(o, "response", str_of(d, "response"));
    cJSON_AddStringToObject(o, "status", s ? s : requested ? "requested" : "answered");
    return o;
}

cJSON *nz_canon_data(const char *type, const cJSON *d, const char **err)
{
    *err = NULL;
    if (!nz_canon_known_type(type)) { *err = "unknown event type"; return NULL; }
    if (d && !cJSON_IsObject(d)) { *err = "data is not an object"; return NULL; }
    cJSON *o = NULL;
    if (!strcmp(type, "session.started")) {
        o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "metadata", dup_or_null(d, "metadata"));
    } else if (!strcmp(type, "session.ended")) {
        o = canon_session_ended(d, err);
    } else if (!strcmp(type, "turn.started")) {
        o = canon_turn("started", d);
    } else if (!strcmp(type, "turn.ended")) {
        o = canon_turn("ended", d);
    } else if (!strcmp(type, "item.started") || !strcmp(type, "item.completed")) {
        cJSON *it = nz_canon_item(cJSON_GetObjectItemCaseSensitive(d, "item"), err);
        if (it) { o = cJSON_CreateObject(); cJSON_AddItemToObject(o, "item", it); }
    } else if (!strcmp(type, "item.delta")) {
        const char *delta = str_of(d, "delta");
        if (!delta) { *err = "item.delta without delta string"; return NULL; }
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "item_id", str_of(d, "item_id") ? str_of(d, "item_id") : "");
        add_str_or_null(o, "native_item_id", str_of(d, "native_item_id"));
        cJSON_AddStringToObject(o, "delta", delta);
    } else if (!strcmp(type, "error")) {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "message", str_of(d, "message") ? str_of(d, "message") : "error");
        add_str_or_null(o, "code", str_of(d, "code"));
        cJSON_AddItemToObject(o, "details", dup_or_null(d, "details"));
    } else if (!strcmp(type, "permission.requested") || !strcmp(type, "permission.resolved")) {
        o = canon_permission(d, !strcmp(type, "permission.requested"), err);
    } else if (!strcmp(type, "question.requested") || !strcmp(type, "question.resolved")) {
        o = canon_question(d, !strcmp(type, "question.requested"), err);
    } else { /* agent.unparsed */
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", str_of(d, "error") ? str_of(d, "error") : "unparsed");
        cJSON_AddStringToObject(o, "location", str_of(d, "location") ? str_of(d, "location") : "");
        cJSON_AddNullToObject(o, "raw_hash");
    }
    return o;
}
