/*
 * oc_map.c — the fold from sa's universal events to OpenCode's message
 * model (oc.h says where it is used).  One oc_fold per session walks its
 * events in order and keeps the messages as OpenCode shows them:
 *
 *   user message item          → a user message with one text part
 *   assistant message item     → a text part (reasoning content: a
 *                                reasoning part) of the turn's assistant
 *                                message; item.delta → message.part.delta
 *                                (the part's text is set when the item completes)
 *   tool_call item             → a tool part, state running, input = the
 *                                parsed arguments
 *   tool_result item           → the same part (by call_id) completed, or
 *                                error when the item failed
 *   turn.started / turn.ended  → session.status busy / idle + session.idle;
 *                                the assistant message gets time.completed
 *   permission.*, question.*   → permission.asked/replied, question.asked/
 *                                replied/rejected
 *   error, session.ended error → session.error
 * Status, system and unknown items have no OpenCode counterpart: skipped.
 *
 * Ownership: the fold owns msgs and its strings; bus events appended to
 * `out` are new objects owned by that array.
 */
#include "oc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dupn(const char *s) { return s ? strdup(s) : NULL; }

const char *oc_id(const char *sa_id, char buf[OC_ID_MAX])
{
    snprintf(buf, OC_ID_MAX, "%s%.500s", strncmp(sa_id, "ses", 3) ? "ses_" : "", sa_id);
    return buf;
}

int oc_fold_init(oc_fold *f, const char *sid, const char *provider, const char *model, const char *cwd,
                 bool keep_all)
{
    memset(f, 0, sizeof *f);
    f->sid = dupn(sid);
    f->provider = dupn(provider ? provider : "sa");
    f->model = dupn(model ? model : "default");
    f->cwd = dupn(cwd ? cwd : "/");
    f->keep_all = keep_all;
    f->msgs = cJSON_CreateArray();
    if (!f->sid || !f->provider || !f->model || !f->cwd || !f->msgs) { oc_fold_free(f); return -1; }
    return 0;
}

void oc_fold_free(oc_fold *f)
{
    free(f->sid); free(f->provider); free(f->model); free(f->cwd);
    cJSON_Delete(f->msgs);
    memset(f, 0, sizeof *f);
}

int64_t oc_time_ms(const char *iso)
{
    struct tm tm = {0};
    int ms = 0, y, mo, d, h, mi, sec;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
    const char *dot = strchr(iso, '.');
    if (dot) {
        int k = 0;
        for (const char *p = dot + 1; *p >= '0' && *p <= '9' && k < 3; p++, k++) ms = ms * 10 + (*p - '0');
        for (; k < 3; k++) ms *= 10;
    }
    tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d;
    tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = sec;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* itm_12 → "000000000012"; other ids → their hash, so ids stay unique. */
static void item_num(const char *item_id, char out[24])
{
    const char *u = item_id ? strrchr(item_id, '_') : NULL;
    unsigned long long n = 0;
    if (u && u[1]) {
        char *end;
        n = strtoull(u + 1, &end, 10);
        if (*end) u = NULL;
    }
    if (!u) {
        for (const char *p = item_id ? item_id : ""; *p; p++) n = n * 131 + (unsigned char)*p;
        snprintf(out, 24, "h%016llx", n);
        return;
    }
    snprintf(out, 24, "%012llu", n);
}

static void emit(cJSON *out, const char *type, cJSON *props)
{
    if (!out) { cJSON_Delete(props); return; }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddItemToObject(e, "properties", props);
    cJSON_AddItemToArray(out, e);
}

static cJSON *props_sid(const oc_fold *f)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "sessionID", f->sid);
    return p;
}

static void emit_info(oc_fold *f, cJSON *out, const cJSON *entry)
{
    if (!out) return;
    cJSON *p = props_sid(f);
    cJSON_AddItemToObject(p, "info", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(entry, "info"), 1));
    emit(out, "message.updated", p);
}

static void emit_part(oc_fold *f, cJSON *out, const cJSON *part, int64_t ms)
{
    if (!out) return;
    cJSON *p = props_sid(f);
    cJSON_AddItemToObject(p, "part", cJSON_Duplicate(part, 1));
    cJSON_AddNumberToObject(p, "time", (double)ms);
    emit(out, "message.part.updated", p);
}

static cJSON *entry_new(cJSON *info)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "info", info);
    cJSON_AddItemToObject(e, "parts", cJSON_CreateArray());
    return e;
}

static void time_obj(cJSON *o, const char *k1, int64_t v1)
{
    cJSON *t = cJSON_AddObjectToObject(o, "time");
    cJSON_AddNumberToObject(t, k1, (double)v1);
}

static cJSON *tokens_zero(void)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "input", 0);
    cJSON_AddNumberToObject(t, "output", 0);
    cJSON_AddNumberToObject(t, "reasoning", 0);
    cJSON *c = cJSON_AddObjectToObject(t, "cache");
    cJSON_AddNumberToObject(c, "read", 0);
    cJSON_AddNumberToObject(c, "write", 0);
    return t;
}

static cJSON *asst_info(const oc_fold *f, const char *id, const char *parent, int64_t ms)
{
    cJSON *i = cJSON_CreateObject();
    cJSON_AddStringToObject(i, "id", id);
    cJSON_AddStringToObject(i, "sessionID", f->sid);
    cJSON_AddStringToObject(i, "role", "assistant");
    if (parent) cJSON_AddStringToObject(i, "parentID", parent);
    cJSON_AddStringToObject(i, "mode", "build");
    cJSON_AddStringToObject(i, "agent", "build");
    cJSON *path = cJSON_AddObjectToObject(i, "path");
    cJSON_AddStringToObject(path, "cwd", f->cwd);
    cJSON_AddStringToObject(path, "root", f->cwd);
    cJSON_AddNumberToObject(i, "cost", 0);
    cJSON_AddItemToObject(i, "tokens", tokens_zero());
    cJSON_AddStringToObject(i, "modelID", f->model);
    cJSON_AddStringToObject(i, "providerID", f->provider);
    time_obj(i, "created", ms);
    return i;
}

static const char *entry_id(const cJSON *entry)
{
    return str_of(cJSON_GetObjectItemCaseSensitive(entry, "info"), "id");
}

static void ensure_asst(oc_fold *f, cJSON *out, const char *num, int64_t ms)
{
    if (f->asst) return;
    char id[64];
    const char *parent = f->user ? entry_id(f->user) : NULL;
    if (parent) snprintf(id, sizeof id, "%sa", parent);
    else snprintf(id, sizeof id, "msg_%sa", num);
    f->asst = entry_new(asst_info(f, id, parent, ms));
    cJSON_AddItemToArray(f->msgs, f->asst);
    emit_info(f, out, f->asst);
}

static cJSON *parts_of(const cJSON *entry) { return cJSON_GetObjectItemCaseSensitive(entry, "parts"); }

static cJSON *find_part(const cJSON *entry, const char *key, const char *val)
{
    cJSON *p;
    if (!entry || !val) return NULL;
    cJSON_ArrayForEach(p, parts_of(entry)) {
        const char *v = str_of(p, key);
        if (v && !strcmp(v, val)) return p;
    }
    return NULL;
}

static cJSON *part_new(const oc_fold *f, const cJSON *entry, const char *id, const char *type)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "id", id);
    cJSON_AddStringToObject(p, "sessionID", f->sid);
    cJSON_AddStringToObject(p, "messageID", entry_id(entry));
    cJSON_AddStringToObject(p, "type", type);
    cJSON_AddItemToArray(parts_of(entry), p);
    return p;
}

static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddStringToObject(o, k, v ? v : "");
}

static void set_num(cJSON *o, const char *k, int64_t v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddNumberToObject(o, k, (double)v);
}

static cJSON *obj_at(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsObject(v) ? v : cJSON_AddObjectToObject(o, k);
}

/* The text of every content part of `type` (text or reasoning), joined. */
static char *content_text(const cJSON *content, const char *type)
{
    size_t n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, content) {
        const char *t = str_of(c, "text");
        if (t && !strcmp(str_of(c, "type") ? str_of(c, "type") : "", type)) n += strlen(t);
    }
    char *s = malloc(n + 1), *w = s;
    if (!s) return NULL;
    cJSON_ArrayForEach(c, content) {
        const char *t = str_of(c, "text");
        if (t && !strcmp(str_of(c, "type") ? str_of(c, "type") : "", type)) { size_t k = strlen(t); memcpy(w, t, k); w += k; }
    }
    *w = 0;
    return s;
}

static const cJSON *content_part(const cJSON *content, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, content) {
        const char *t = str_of(c, "type");
        if (t && !strcmp(t, type)) return c;
    }
    return NULL;
}

/* A text or reasoning part for one message item (started or completed). */
static void text_item(oc_fold *f, cJSON *out, const cJSON *item, const char *num, bool done, int64_t ms)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
    char *text = content_text(content, "text"), *reason = content_text(content, "reasoning");
    if (!text || !reason) goto out;
    bool reasoning = !*text && (*reason || content_part(content, "reasoning"));
    char id[64];
    snprintf(id, sizeof id, "prt_%s", num);
    cJSON *p = find_part(f->asst, "id", id);
    if (!p) {
        p = part_new(f, f->asst, id, reasoning ? "reasoning" : "text");
        set_str(p, "text", "");
        time_obj(p, "start", ms);
    }
    if (done) {
        set_str(p, "type", reasoning ? "reasoning" : "text");
        set_str(p, "text", reasoning ? reason : text);
        set_num(obj_at(p, "time"), "end", ms);
    }
    emit_part(f, out, p, ms);
out:
    free(text);
    free(reason);
}

static cJSON *tool_input(const char *args)
{
    cJSON *in = args ? cJSON_Parse(args) : NULL;
    if (cJSON_IsObject(in)) return in;
    cJSON_Delete(in);
    in = cJSON_CreateObject();
    if (args && *args) cJSON_AddStringToObject(in, "arguments", args);
    return in;
}

/* The tool part of call `call` in the turn's assistant message; made
 * (running, empty input, id from num) when there is none yet. */
static cJSON *tool_part(oc_fold *f, const char *call, const char *num, int64_t ms)
{
    cJSON *p = find_part(f->asst, "callID", call);
    if (p) return p;
    char id[64];
    snprintf(id, sizeof id, "prt_%s", num);
    p = part_new(f, f->asst, id, "tool");
    set_str(p, "callID", call ? call : id);
    set_str(p, "tool", "tool");
    cJSON *st = cJSON_AddObjectToObject(p, "state");
    cJSON_AddStringToObject(st, "status", "running");
    cJSON_AddItemToObject(st, "input", cJSON_CreateObject());
    time_obj(st, "start", ms);
    return p;
}

static void tool_call_item(oc_fold *f, cJSON *out, const cJSON *item, const char *num, int64_t ms)
{
    const cJSON *tc = content_part(cJSON_GetObjectItemCaseSensitive(item, "content"), "tool_call");
    if (!tc) return;
    cJSON *p = tool_part(f, str_of(tc, "call_id"), num, ms);
    set_str(p, "tool", str_of(tc, "name") ? str_of(tc, "name") : "tool");
    cJSON *st = obj_at(p, "state");
    cJSON_DeleteItemFromObjectCaseSensitive(st, "input");
    cJSON_AddItemToObject(st, "input", tool_input(str_of(tc, "arguments")));
    emit_part(f, out, p, ms);
}

static void tool_result_item(oc_fold *f, cJSON *out, const cJSON *item, const char *num, bool done, int64_t ms)
{
    const cJSON *tr = content_part(cJSON_GetObjectItemCaseSensitive(item, "content"), "tool_result");
    if (!tr || !done) return;
    const char *output = str_of(tr, "output");
    cJSON *p = tool_part(f, str_of(tr, "call_id"), num, ms);
    cJSON *st = obj_at(p, "state");
    bool failed = str_of(item, "status") && !strcmp(str_of(item, "status"), "failed");
    set_str(st, "status", failed ? "error" : "completed");
    if (failed) set_str(st, "error", output);
    else {
        set_str(st, "output", output);
        set_str(st, "title", str_of(p, "tool"));
        if (!cJSON_GetObjectItemCaseSensitive(st, "metadata")) cJSON_AddObjectToObject(st, "metadata");
    }
    set_num(obj_at(st, "time"), "end", ms);
    emit_part(f, out, p, ms);
}

static void user_item(oc_fold *f, cJSON *out, const cJSON *item, const char *num, bool done, int64_t ms)
{
    char id[64];
    snprintf(id, sizeof id, "msg_%s", num);
    if (!f->user || strcmp(entry_id(f->user), id)) {
        cJSON *i = cJSON_CreateObject();
        cJSON_AddStringToObject(i, "id", id);
        cJSON_AddStringToObject(i, "sessionID", f->sid);
        cJSON_AddStringToObject(i, "role", "user");
        time_obj(i, "created", ms);
        cJSON_AddStringToObject(i, "agent", "build");
        cJSON *m = cJSON_AddObjectToObject(i, "model");
        cJSON_AddStringToObject(m, "providerID", f->provider);
        cJSON_AddStringToObject(m, "modelID", f->model);
        f->user = entry_new(i);
        f->asst = NULL;
        cJSON_AddItemToArray(f->msgs, f->user);
        emit_info(f, out, f->user);
    }
    char *text = content_text(cJSON_GetObjectItemCaseSensitive(item, "content"), "text");
    if (!text) return;
    char pid[64];
    snprintf(pid, sizeof pid, "prt_%s", num);
    cJSON *p = find_part(f->user, "id", pid);
    if (!p) p = part_new(f, f->user, pid, "text");
    set_str(p, "text", text);
    free(text);
    if (done) emit_part(f, out, p, ms);
}

static void item_event(oc_fold *f, cJSON *out, const cJSON *data, bool done, int64_t ms)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, "item");
    const char *kind = str_of(item, "kind"), *role = str_of(item, "role");
    if (!kind) return;
    char num[24];
    item_num(str_of(item, "item_id"), num);
    if (!strcmp(kind, "message") && role && !strcmp(role, "user")) { user_item(f, out, item, num, done, ms); return; }
    bool msg = !strcmp(kind, "message") && role && !strcmp(role, "assistant");
    if (!msg && strcmp(kind, "tool_call") && strcmp(kind, "tool_result")) return;
    ensure_asst(f, out, num, ms);
    if (msg) text_item(f, out, item, num, done, ms);
    else if (!strcmp(kind, "tool_call")) tool_call_item(f, out, item, num, ms);
    else tool_result_item(f, out, item, num, done, ms);
}

/* A delta is passed on, not added to the part's text: item.completed
 * brings the whole text (adding each delta would copy the text once per
 * delta, quadratic in a long reply). */
static void delta_event(oc_fold *f, cJSON *out, const cJSON *data)
{
    char num[24], id[64];
    item_num(str_of(data, "item_id"), num);
    snprintf(id, sizeof id, "prt_%s", num);
    const cJSON *p = find_part(f->asst, "id", id);
    const char *d = str_of(data, "delta");
    if (!p || !d || !out) return;
    cJSON *pr = props_sid(f);
    cJSON_AddStringToObject(pr, "messageID", str_of(p, "messageID"));
    cJSON_AddStringToObject(pr, "partID", id);
    cJSON_AddStringToObject(pr, "field", "text");
    cJSON_AddStringToObject(pr, "delta", d);
    emit(out, "message.part.delta", pr);
}

static void status(oc_fold *f, cJSON *out, bool busy)
{
    f->busy = busy;
    cJSON *p = props_sid(f);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "status"), "type", busy ? "busy" : "idle");
    emit(out, "session.status", p);
    if (!busy) emit(out, "session.idle", props_sid(f));
}

static void turn_end(oc_fold *f, cJSON *out, int64_t ms)
{
    if (f->asst) {
        cJSON *info = cJSON_GetObjectItemCaseSensitive(f->asst, "info");
        set_num(obj_at(info, "time"), "completed", ms);
        set_str(info, "finish", "stop");
        emit_info(f, out, f->asst);
    }
    if (f->busy || f->asst || f->user) status(f, out, false);
    f->turn_done = true;
}

static void session_error(oc_fold *f, cJSON *out, const char *msg)
{
    cJSON *p = props_sid(f);
    cJSON *e = cJSON_AddObjectToObject(p, "error");
    cJSON_AddStringToObject(e, "name", "UnknownError");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "data"), "message", msg ? msg : "error");
    emit(out, "session.error", p);
}

cJSON *oc_permission_of(const char *sid, const cJSON *data)
{
    const char *action = str_of(data, "action");
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(data, "metadata");
    const char *perm = !action ? "permission" : !strcmp(action, "command_execution") ? "bash"
                     : !strcmp(action, "file_change") ? "edit" : action;
    const char *pat = str_of(md, "command") ? str_of(md, "command") : str_of(md, "path");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "id", str_of(data, "permission_id") ? str_of(data, "permission_id") : "");
    cJSON_AddStringToObject(p, "sessionID", sid);
    cJSON_AddStringToObject(p, "permission", perm);
    cJSON *pats = cJSON_AddArrayToObject(p, "patterns");
    cJSON_AddItemToArray(pats, cJSON_CreateString(pat ? pat : "*"));
    cJSON_AddItemToObject(p, "metadata", cJSON_IsObject(md) ? cJSON_Duplicate(md, 1) : cJSON_CreateObject());
    cJSON_AddArrayToObject(p, "always");
    return p;
}

cJSON *oc_question_of(const char *sid, const cJSON *data)
{
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "id", str_of(data, "question_id") ? str_of(data, "question_id") : "");
    cJSON_AddStringToObject(q, "sessionID", sid);
    cJSON *one = cJSON_CreateObject();
    cJSON_AddStringToObject(one, "question", str_of(data, "prompt") ? str_of(data, "prompt") : "");
    cJSON_AddStringToObject(one, "header", "");
    cJSON *opts = cJSON_AddArrayToObject(one, "options"), *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(data, "options")) {
        if (!cJSON_IsString(o)) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "label", o->valuestring);
        cJSON_AddStringToObject(x, "description", "");
        cJSON_AddItemToArray(opts, x);
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "questions"), one);
    return q;
}

static void hitl_resolved(oc_fold *f, cJSON *out, const cJSON *data, bool question)
{
    const char *st = str_of(data, "status") ? str_of(data, "status") : "";
    cJSON *p = props_sid(f);
    cJSON_AddStringToObject(p, "requestID", str_of(data, question ? "question_id" : "permission_id") ?
                            str_of(data, question ? "question_id" : "permission_id") : "");
    if (!question) {
        cJSON_AddStringToObject(p, "reply", !strcmp(st, "accept") ? "once" :
                                !strcmp(st, "accept_for_session") ? "always" : "reject");
        emit(out, "permission.replied", p);
        return;
    }
    if (strcmp(st, "answered")) { emit(out, "question.rejected", p); return; }
    cJSON *row = cJSON_CreateArray();
    const char *r = str_of(data, "response");
    if (r) cJSON_AddItemToArray(row, cJSON_CreateString(r));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "answers"), row);
    emit(out, "question.replied", p);
}

void oc_fold_event(oc_fold *f, const cJSON *ev, cJSON *out)
{
    const char *type = str_of(ev, "type");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "sequence");
    if (!type) return;
    if (cJSON_IsNumber(seq)) f->seq = (uint64_t)seq->valuedouble;
    int64_t ms = oc_time_ms(str_of(ev, "time"));
    f->turn_done = false;
    if (!strcmp(type, "turn.started")) {
        if (!f->keep_all) {   /* the live fold keeps only the turn at hand */
            cJSON_Delete(f->msgs);
            f->msgs = cJSON_CreateArray();
        }
        f->user = f->asst = NULL;
        status(f, out, true);
    } else if (!strcmp(type, "item.started")) item_event(f, out, data, false, ms);
    else if (!strcmp(type, "item.completed")) item_event(f, out, data, true, ms);
    else if (!strcmp(type, "item.delta")) delta_event(f, out, data);
    else if (!strcmp(type, "turn.ended")) turn_end(f, out, ms);
    else if (!strcmp(type, "permission.requested")) {
        cJSON *p = oc_permission_of(f->sid, data);
        emit(out, "permission.asked", p);
    } else if (!strcmp(type, "question.requested")) emit(out, "question.asked", oc_question_of(f->sid, data));
    else if (!strcmp(type, "permission.resolved")) hitl_resolved(f, out, data, false);
    else if (!strcmp(type, "question.resolved")) hitl_resolved(f, out, data, true);
    else if (!strcmp(type, "error")) session_error(f, out, str_of(data, "message"));
    else if (!strcmp(type, "session.ended")) {
        const char *reason = str_of(data, "reason");
        if (reason && !strcmp(reason, "error"))
            session_error(f, out, str_of(data, "message") ? str_of(data, "message") : "the agent ended the session");
        turn_end(f, out, ms);
    }
}

cJSON *oc_fold_reply(const oc_fold *f, int64_t now_ms)
{
    if (f->asst) return cJSON_Duplicate(f->asst, 1);
    char id[64];
    snprintf(id, sizeof id, "msg_%012llua", (unsigned long long)f->seq);
    const char *parent = f->user ? entry_id(f->user) : NULL;
    cJSON *info = asst_info(f, id, parent, now_ms);
    set_num(obj_at(info, "time"), "completed", now_ms);
    set_str(info, "finish", "stop");
    return entry_new(info);
}
