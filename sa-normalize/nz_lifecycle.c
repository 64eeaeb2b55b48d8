/*
 * nz_lifecycle.c — sa-spawn lifecycle lines and the pending HITL maps.
 *
 * sa lines (first key "sa") never reach jq; they become synthetic events
 * (/work contracts, stage 2):
 *   turn          → clears the remembered turn usage (nz_state.c); then
 *                   turn.started (unless the agent emits its own), the user
 *                   item (agents whose user messages the normalizer records:
 *                   native id "user_<n>", text = message + attachment list as
 *                   the agent received it), and a new pending assistant item
 *                   for agents without native item starts; pending assistant
 *                   items left over from an earlier turn are closed first.
 *   spawn_failed  → error{spawn_failed} + session.ended{error, daemon}
 *   exited        → non-zero/signal and not requested: error{process_exit} +
 *                   session.ended{error, agent, message, exit_code, stderr};
 *                   otherwise nothing
 *   terminated    → session.ended{terminated, daemon}
 *   permission.resolved / question.resolved → synthetic resolved events
 *                   filled from the pending maps
 *   input_error   → error{input_error}
 *   spawned       → nothing; the running usage totals are forgotten
 *   turn_end      → turn.ended for agents whose description sets
 *                   normalize.turn_end_from_sa (sa-spawn decides their turn
 *                   ends: opencode's session.idle after busy, once); for
 *                   the others nothing (the agent's own lines tell)
 *   cancelled     → nothing
 *   parked, resumed → the agent.parked / agent.resumed status items (nz_park.c)
 *   anything else → agent.unparsed (location "sa")
 * HITL: permission/question requests are remembered until resolved;
 * permission events of question tools, and file-change requests under
 * permission mode acceptEdits, are recorded but not emitted (§1.10.8).
 */
#include "nz_int.h"
#include "nz_canon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool hidden_permission(const nz_state *st, const char *type, const char *action)
{
    if (nz_agent_question_tool(st->fl, action)) return true;
    return !strcmp(type, "permission.requested") && st->perm_mode &&
           !strcmp(st->perm_mode, "acceptEdits") && nz_is_file_change(action);
}

struct link_ctx { const char *qid; };
static bool linked_to(const char *key, void *value, void *ctx)
{
    (void)key;
    const char *l = jstr(value, "link");
    return l && !strcmp(l, ((struct link_ctx *)ctx)->qid);
}

void nz_hitl_event(nz_state *st, const char *type, cJSON *data, bool synthetic, const char *link, nz_raw raw)
{
    if (!strcmp(type, "permission.requested")) {
        const char *id = jstr(data, "permission_id");
        cJSON *w = cJSON_CreateObject();
        cJSON_AddItemToObject(w, "data", cJSON_Duplicate(data, 1));
        if (link) cJSON_AddStringToObject(w, "link", link);
        nz_map_put(st->perms, id, w);
    } else if (!strcmp(type, "permission.resolved")) {
        nz_map_del(st->perms, jstr(data, "permission_id"));
    } else if (!strcmp(type, "question.requested")) {
        nz_map_put(st->questions, jstr(data, "question_id"), cJSON_Duplicate(data, 1));
    } else if (!strcmp(type, "question.resolved")) {
        const char *qid = jstr(data, "question_id");
        nz_map_del(st->questions, qid);
        struct link_ctx lc = { qid };
        nz_map_filter(st->perms, linked_to, &lc);
    }
    if (!strncmp(type, "permission.", 11) && hidden_permission(st, type, jstr(data, "action"))) {
        cJSON_Delete(data);
        return;
    }
    nz_emit(st, type, data, synthetic, raw);
}

static void permission_resolved(nz_state *st, const cJSON *line, nz_raw raw)
{
    const char *pid = jstr(line, "permission_id"), *reply = jstr(line, "reply"), *by = jstr(line, "by");
    if (!pid) { nz_state_unparsed(st, "permission.resolved without permission_id", "sa", raw); return; }
    const char *status = "reject";
    if (by && !strcmp(by, "always")) status = "accept_for_session";
    else if (reply && !strcmp(reply, "once")) status = "accept";
    else if (reply && !strcmp(reply, "always")) status = "accept_for_session";
    cJSON *w = nz_map_get(st->perms, pid);
    const cJSON *pd = w ? cJSON_GetObjectItemCaseSensitive(w, "data") : NULL;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "permission_id", pid);
    cJSON_AddStringToObject(d, "action", pd && jstr(pd, "action") ? jstr(pd, "action") : "unknown");
    cJSON_AddStringToObject(d, "status", status);
    const cJSON *md = pd ? cJSON_GetObjectItemCaseSensitive(pd, "metadata") : NULL;
    cJSON *m = md ? cJSON_Duplicate(md, 1) : cJSON_CreateNull();
    const char *actor = jstr(line, "actor");      /* the token that answered (sa-serve) */
    if (actor) {
        if (!cJSON_IsObject(m)) { cJSON_Delete(m); m = cJSON_CreateObject(); }
        cJSON_DeleteItemFromObjectCaseSensitive(m, "answeredBy");
        cJSON_AddStringToObject(m, "answeredBy", actor);
    }
    cJSON_AddItemToObject(d, "metadata", m);
    nz_hitl_event(st, "permission.resolved", d, true, NULL, raw);
}

static void question_resolved(nz_state *st, const cJSON *line, nz_raw raw)
{
    const char *qid = jstr(line, "question_id"), *status = jstr(line, "status");
    if (!qid) { nz_state_unparsed(st, "question.resolved without question_id", "sa", raw); return; }
    const cJSON *q = nz_map_get(st->questions, qid);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "question_id", qid);
    cJSON_AddStringToObject(d, "prompt", q && jstr(q, "prompt") ? jstr(q, "prompt") : "");
    const cJSON *opts = q ? cJSON_GetObjectItemCaseSensitive(q, "options") : NULL;
    cJSON_AddItemToObject(d, "options", opts ? cJSON_Duplicate(opts, 1) : cJSON_CreateArray());
    bool rejected = status && !strcmp(status, "rejected");
    const char *resp = rejected ? NULL : jstr(line, "response");
    if (resp) cJSON_AddStringToObject(d, "response", resp);
    else cJSON_AddNullToObject(d, "response");
    cJSON_AddStringToObject(d, "status", rejected ? "rejected" : "answered");
    const char *actor = jstr(line, "actor");      /* the token that answered (sa-serve) */
    if (actor) cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "metadata"), "answeredBy", actor);
    nz_hitl_event(st, "question.resolved", d, true, NULL, raw);
}

static void error_event(nz_state *st, const char *msg, const char *code, cJSON *details, nz_raw raw)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "message", msg);
    cJSON_AddStringToObject(d, "code", code);
    cJSON_AddItemToObject(d, "details", details ? details : cJSON_CreateNull());
    nz_emit(st, "error", d, true, raw);
}

static void session_ended(nz_state *st, const char *reason, const char *by, const char *msg,
                          const cJSON *exit_code, const cJSON *stderr_obj, nz_raw raw)
{
    nz_close_pending(st, raw);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "reason", reason);
    cJSON_AddStringToObject(d, "terminated_by", by);
    if (!strcmp(reason, "error")) {
        if (msg) cJSON_AddStringToObject(d, "message", msg);
        if (cJSON_IsNumber(exit_code)) cJSON_AddNumberToObject(d, "exit_code", exit_code->valuedouble);
        cJSON *se = nz_canon_stderr(stderr_obj);
        if (se) cJSON_AddItemToObject(d, "stderr", se);
    }
    nz_emit(st, "session.ended", d, true, raw);
}

static void exited(nz_state *st, const cJSON *line, nz_raw raw)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(line, "code");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(line, "signal");
    const cJSON *se = cJSON_GetObjectItemCaseSensitive(line, "stderr");
    bool requested = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(line, "requested"));
    bool bad_sig = sig && !cJSON_IsNull(sig);
    bool bad_code = cJSON_IsNumber(code) && code->valuedouble != 0;
    if (requested || (!bad_sig && !bad_code)) return;
    char msg[256];
    const char *agent = jstr(line, "agent") ? jstr(line, "agent") : st->agent;
    if (bad_code) snprintf(msg, sizeof msg, "%.64s exited with status %d", agent, (int)code->valuedouble);
    else if (cJSON_IsNumber(sig)) snprintf(msg, sizeof msg, "%.64s killed by signal %d", agent, (int)sig->valuedouble);
    else snprintf(msg, sizeof msg, "%.64s killed by signal %.32s", agent, jstr(line, "signal") ? jstr(line, "signal") : "?");
    cJSON *det = cJSON_CreateObject();
    cJSON_AddItemToObject(det, "exit_code", cJSON_IsNumber(code) ? cJSON_CreateNumber(code->valuedouble) : cJSON_CreateNull());
    cJSON_AddItemToObject(det, "signal", bad_sig ? cJSON_Duplicate(sig, 1) : cJSON_CreateNull());
    cJSON *cse = nz_canon_stderr(se);
    cJSON_AddItemToObject(det, "stderr", cse ? cse : cJSON_CreateNull());
    nz_close_pending(st, raw);
    error_event(st, msg, "process_exit", det, raw);
    session_ended(st, "error", "agent", msg, bad_code ? code : NULL, se, raw);
}

static void turn(nz_state *st, const cJSON *line, nz_raw raw)
{
    nz_close_pending(st, raw);
    cJSON_Delete(st->usage);            /* usage reported before the turn is no turn's */
    st->usage = NULL;
    if (!st->fl->native_turn_started) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "phase", "started");
        nz_emit(st, "turn.started", d, true, raw);
    }
    if (st->fl->synth_user) {
        const char *msg = jstr(line, "message");
        size_t n = strlen(msg ? msg : "") + 1;
        const cJSON *atts = cJSON_GetObjectItemCaseSensitive(line, "attachments"), *a;
        cJSON_ArrayForEach(a, atts) if (jstr(a, "path")) n += strlen(jstr(a, "path")) + 4;
        char *text = malloc(n + 32);
        if (!text) return;
        size_t len = (size_t)snprintf(text, n + 32, "%s", msg ? msg : "");
        bool first = true;
        cJSON_ArrayForEach(a, atts) {
            if (!jstr(a, "path")) continue;
            if (first) { len += (size_t)snprintf(text + len, n + 32 - len, "\n\nAttachments:\n"); first = false; }
            len += (size_t)snprintf(text + len, n + 32 - len, "- %s\n", jstr(a, "path"));
        }
        char nid[32];
        snprintf(nid, sizeof nid, "user_%llu", (unsigned long long)++st->user_n);
        nz_item_event(st, "item.started", nz_make_item(nid, "message", "user", text, "in_progress"), true, raw);
        nz_item_event(st, "item.completed", nz_make_item(nid, "message", "user", text, "completed"), true, raw);
        free(text);
    }
    if (!st->fl->item_started) nz_pending_push(st, raw);
}

void nz_state_sa_line(nz_state *st, const cJSON *line, nz_raw raw)
{
    const char *sa = jstr(line, "sa");
    if (!sa) { nz_state_unparsed(st, "sa line without a string \"sa\" key", "sa", raw); return; }
    if (!strcmp(sa, "turn")) turn(st, line, raw);
    else if (!strcmp(sa, "spawn_failed")) {
        const char *e = jstr(line, "error") ? jstr(line, "error") : "agent could not be started";
        nz_close_pending(st, raw);
        error_event(st, e, "spawn_failed", NULL, raw);
        session_ended(st, "error", "daemon", e, NULL, NULL, raw);
    } else if (!strcmp(sa, "exited")) exited(st, line, raw);
    else if (!strcmp(sa, "terminated")) session_ended(st, "terminated", "daemon", NULL, NULL, NULL, raw);
    else if (!strcmp(sa, "permission.resolved")) permission_resolved(st, line, raw);
    else if (!strcmp(sa, "question.resolved")) question_resolved(st, line, raw);
    else if (!strcmp(sa, "input_error")) {
        cJSON *det = cJSON_CreateObject();
        const char *l = jstr(line, "line");
        if (l) cJSON_AddStringToObject(det, "line", l);
        else cJSON_AddNullToObject(det, "line");
        error_event(st, jstr(line, "error") ? jstr(line, "error") : "bad input command", "input_error", det, raw);
    } else if (!strcmp(sa, "spawned")) {
        nz_usage_forget_totals(st);         /* a new process counts from zero */
    } else if (!strcmp(sa, "turn_end") && st->fl->turn_end_from_sa) {
        cJSON *convs = cJSON_CreateArray();
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", "turn.ended");
        cJSON_AddBoolToObject(c, "synthetic", true);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "data"), "phase", "ended");
        cJSON_AddItemToArray(convs, c);
        nz_state_conversions(st, convs, raw);
        cJSON_Delete(convs);
    } else if (!strcmp(sa, "parked") || !strcmp(sa, "resumed")) {
        nz_park_line(st, sa, line, raw);
    } else if (!strcmp(sa, "turn_end") || !strcmp(sa, "cancelled")) {
        /* informational: nothing to emit */
    } else {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown sa line \"%.64s\"", sa);
        nz_state_unparsed(st, msg, "sa", raw);
    }
}
