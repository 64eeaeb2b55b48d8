/*
 * agent_codex.c — Codex through `codex app-server`: JSON-RPC over stdio,
 * one JSON object per line, no "jsonrpc" member, requests in both
 * directions.  One process per session serves every turn:
 *
 *   on_start   initialize {clientInfo, capabilities} → (response) the
 *              initialized notification, skills/extraRoots/set {extraRoots:
 *              [<--skills>/skills]} when the session has skills (its response
 *              awaited), then thread/resume {threadId} when
 *              a native id is known (--resume, or the thread of an earlier
 *              process of this run), else thread/start; both carry cwd,
 *              approvalPolicy, sandbox and model.  The thread's id is the
 *              native session id.  A failed resume falls back to a new
 *              thread; a failed start ends the turn.
 *   message    held until the thread is ready, then turn/start {threadId,
 *              input:[{type:text,text}], collaborationMode for agent mode
 *              plan}.  The turn ends at turn/completed (or when a turn/start
 *              fails).
 *   cancel     turn/interrupt {threadId, turnId}.
 *   approvals  item/commandExecution/requestApproval,
 *              item/fileChange/requestApproval, item/permissions/
 *              requestApproval and the legacy execCommandApproval /
 *              applyPatchApproval are permissions whose universal id is
 *              "<turnId or threadId>:<JSON-RPC id>" (the same formula as
 *              codex.jq); once / always / reject answer accept /
 *              acceptForSession / decline (approved / approved_for_session /
 *              denied for the legacy pair).  Under acceptEdits a file change
 *              whose paths all lie inside the working directory is accepted
 *              at once (by "mode"); other file changes are declined by mode.
 *   questions  item/tool/requestUserInput (codex's plan mode) and
 *              mcpServer/elicitation/request are questions with the same id
 *              formula; answers go back per question id / as accepted
 *              content, rejection as empty answers / decline.
 *   others     any other server request (item/tool/call, auth refresh,
 *              attestation) is answered with a JSON-RPC error at once, so the
 *              agent never waits on sa.
 * Every response line is annotated with "sa_method": the method of the
 * request it answers, so codex.jq can map it without state.
 *
 * Permission modes (sa-spawn(1), one meaning across agents):
 *   default      approvalPolicy untrusted, sandbox workspace-write
 *   acceptEdits  same, file changes inside the working directory accepted
 *   plan         approvalPolicy never, sandbox read-only (an approved
 *                command would run outside the sandbox; nothing asks and
 *                writes fail)
 *   bypass       approvalPolicy never, sandbox danger-full-access
 * Ownership: the codex_state (the session's module state) owns its strings
 * and the rpc table; free_state releases them.
 */
#include "agent.h"
#include "rpc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CX_NONE, CX_INIT, CX_THREAD, CX_READY };
enum { TAG_NONE, TAG_INIT, TAG_START, TAG_RESUME, TAG_TURN, TAG_INTERRUPT, TAG_SKILLS };

#define CX_EDITS 16     /* file-change items remembered for acceptEdits */

typedef struct cx_edit { char *item; bool inside; } cx_edit;

typedef struct codex_state {
    sp_rpc rpc;
    int    phase;
    char  *held;          /* message text waiting for the thread */
    char  *turn_id;       /* the running turn, once known */
    cx_edit edits[CX_EDITS];
    size_t  nedit;
    char  *root;          /* realpath of the working directory */
    char  *model;         /* the thread's model (for plan collaboration mode) */
} codex_state;

static codex_state *st(sp_session *s) { return sp_session_state(s); }

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char *pm_of(const sp_opts *o) { return o->perm_mode ? o->perm_mode : "default"; }

static char **codex_argv(const sp_opts *o, const char *path, const char *resume)
{
    (void)o; (void)resume;
    char **v = calloc(3, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    v[0] = sp_xstrdup(path);
    v[1] = sp_xstrdup("app-server");
    return v;
}

/* ---- handshake ---- */

static void thread_params(sp_session *s, cJSON *p)
{
    const sp_opts *o = sp_session_opts(s);
    const char *pm = pm_of(o);
    char cwd[PATH_MAX];
    const char *dir = o->cwd ? o->cwd : getcwd(cwd, sizeof cwd);
    if (dir) cJSON_AddStringToObject(p, "cwd", dir);
    bool bypass = strcmp(pm, "bypass") == 0;
    /* plan: never + read-only, because an approved command under untrusted
     * runs outside the sandbox (seen with 0.169.0) */
    bool plan = strcmp(pm, "plan") == 0;
    cJSON_AddStringToObject(p, "approvalPolicy", bypass || plan ? "never" : "untrusted");
    cJSON_AddStringToObject(p, "sandbox", bypass ? "danger-full-access"
                                          : strcmp(pm, "plan") == 0 ? "read-only" : "workspace-write");
    if (o->model && *o->model) cJSON_AddStringToObject(p, "model", o->model);
    if (o->mcp) {
        /* strict: the whole table is replaced; else each server is added to
         * the user's own (config overrides by dotted key) */
        cJSON *cfg = cJSON_AddObjectToObject(p, "config"), *m = sp_mcp_codex(o);
        if (o->mcp_strict) cJSON_AddItemToObject(cfg, "mcp_servers", m);
        else {
            cJSON *e;
            while ((e = m->child) != NULL) {
                char key[128];
                snprintf(key, sizeof key, "mcp_servers.%s", e->string);
                cJSON_DetachItemViaPointer(m, e);
                cJSON_AddItemToObject(cfg, key, e);
            }
            cJSON_Delete(m);
        }
    }
}

static void open_thread(sp_session *s, bool allow_resume)
{
    codex_state *c = st(s);
    const char *native = sp_session_native(s);
    if (!native) native = sp_session_opts(s)->resume;
    cJSON *p = cJSON_CreateObject();
    bool resume = allow_resume && native && *native;
    if (resume) cJSON_AddStringToObject(p, "threadId", native);
    thread_params(s, p);
    sp_rpc_send(&c->rpc, s, resume ? "thread/resume" : "thread/start", p, resume ? TAG_RESUME : TAG_START);
    c->phase = CX_THREAD;
}

static void codex_on_start(sp_session *s)
{
    codex_state *c = st(s);
    sp_rpc_clear(&c->rpc);
    c->phase = CX_INIT;
    free(c->turn_id);
    c->turn_id = NULL;
    if (!c->root) {
        const char *d = sp_session_opts(s)->cwd;
        char *r = realpath(d ? d : ".", NULL);
        c->root = r ? r : sp_xstrdup(d ? d : ".");
    }
    cJSON *p = cJSON_CreateObject();
    cJSON *ci = cJSON_AddObjectToObject(p, "clientInfo");
    cJSON_AddStringToObject(ci, "name", "sa");
    cJSON_AddStringToObject(ci, "title", "sa");
    cJSON_AddStringToObject(ci, "version", SA_VERSION);
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(p, "capabilities"), "experimentalApi", true);
    sp_rpc_send(&c->rpc, s, "initialize", p, TAG_INIT);
}

static void codex_on_exit(sp_session *s)
{
    codex_state *c = st(s);
    sp_rpc_clear(&c->rpc);
    c->phase = CX_NONE;
    free(c->turn_id);
    c->turn_id = NULL;
    free(c->held);          /* the turn it belonged to is over */
    c->held = NULL;
}

static void codex_free(sp_session *s)
{
    codex_state *c = st(s);
    if (!c) return;
    sp_rpc_clear(&c->rpc);
    free(c->held);
    free(c->turn_id);
    free(c->root);
    free(c->model);
    for (size_t i = 0; i < c->nedit; i++) free(c->edits[i].item);
}

/* ---- turns ---- */

static void turn_start(sp_session *s, const char *text)
{
    codex_state *c = st(s);
    const sp_opts *o = sp_session_opts(s);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "threadId", sp_session_native(s));
    cJSON *in = cJSON_AddArrayToObject(p, "input");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", "text");
    cJSON_AddStringToObject(t, "text", text);
    cJSON_AddItemToObject(t, "text_elements", cJSON_CreateArray());
    cJSON_AddItemToArray(in, t);
    if (o->mode && strcmp(o->mode, "plan") == 0) {
        cJSON *cm = cJSON_AddObjectToObject(p, "collaborationMode");
        cJSON_AddStringToObject(cm, "mode", "plan");
        cJSON *set = cJSON_AddObjectToObject(cm, "settings");
        cJSON_AddStringToObject(set, "model", o->model && *o->model ? o->model : c->model ? c->model : "");
        cJSON_AddNullToObject(set, "reasoning_effort");
        cJSON_AddNullToObject(set, "developer_instructions");
    }
    sp_rpc_send(&c->rpc, s, "turn/start", p, TAG_TURN);
}

static void codex_send_message(sp_session *s, int turn, const char *text, const char *prime)
{
    (void)turn;
    codex_state *c = st(s);
    char *full = sp_prime_join(prime, text);
    if (c->phase == CX_READY && sp_session_native(s)) { turn_start(s, full); free(full); return; }
    free(c->held);
    c->held = full;
}

static void codex_cancel(sp_session *s)
{
    codex_state *c = st(s);
    if (c->held) {                       /* not yet handed to codex */
        free(c->held);
        c->held = NULL;
        sp_session_turn_end(s);
        return;
    }
    if (!c->turn_id || !sp_session_native(s)) return;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "threadId", sp_session_native(s));
    cJSON_AddStringToObject(p, "turnId", c->turn_id);
    sp_rpc_send(&c->rpc, s, "turn/interrupt", p, TAG_INTERRUPT);
}

/* ---- output ---- */

static char *codex_annotate(sp_session *s, const char *line, size_t len, size_t *outlen)
{
    /* responses are rare and short-ish; only they are rewritten */
    if (len < 2 || line[len - 1] != '}' || !memmem(line, len, "\"id\"", 4)) return NULL;
    if (memmem(line, len, "\"method\"", 8) && !memmem(line, len, "\"result\"", 8) &&
        !memmem(line, len, "\"error\"", 7))
        return NULL;
    cJSON *j = cJSON_ParseWithLength(line, len);
    const char *m = sp_rpc_kind(j) == SP_RPC_RESPONSE
        ? sp_rpc_method(&st(s)->rpc, cJSON_GetObjectItemCaseSensitive(j, "id"), NULL) : NULL;
    char *out = NULL;
    if (m) {
        cJSON *ms = cJSON_CreateString(m);
        char *q = cJSON_PrintUnformatted(ms);
        cJSON_Delete(ms);
        size_t n = len + strlen(q) + 16;
        out = malloc(n);
        if (!out || !q) sa_diex(SP_EXIT_SYS, "out of memory");
        int w = snprintf(out, n, "%.*s,\"sa_method\":%s}", (int)(len - 1), line, q);
        *outlen = (size_t)w;
        free(q);
    }
    cJSON_Delete(j);
    return out;
}

static void on_response(sp_session *s, const cJSON *j)
{
    codex_state *c = st(s);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    int tag = TAG_NONE;
    if (!sp_rpc_method(&c->rpc, id, &tag)) return;
    sp_rpc_done(&c->rpc, id);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
    bool failed = cJSON_GetObjectItemCaseSensitive(j, "error") != NULL;
    switch (tag) {
    case TAG_INIT:
        if (failed) { sa_warnx("codex: initialize failed"); sp_session_turn_end(s); return; }
        sp_rpc_notify(s, "initialized", NULL);
        if (sp_session_opts(s)->skills) {          /* the session's skills, before the thread */
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s/skills", sp_session_opts(s)->skills);
            cJSON *p = cJSON_CreateObject(), *roots = cJSON_AddArrayToObject(p, "extraRoots");
            cJSON_AddItemToArray(roots, cJSON_CreateString(dir));
            sp_rpc_send(&c->rpc, s, "skills/extraRoots/set", p, TAG_SKILLS);
            break;
        }
        open_thread(s, true);
        break;
    case TAG_SKILLS:
        if (failed) sa_warnx("codex: skills/extraRoots/set failed; the session's skills are not offered");
        open_thread(s, true);
        break;
    case TAG_RESUME:
    case TAG_START: {
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(res, "thread");
        const char *tid = jstr(th, "id");
        if (!tid) tid = jstr(res, "threadId");
        if (failed || !tid) {
            if (tag == TAG_RESUME) { sa_warnx("codex: thread/resume failed; starting a new thread"); open_thread(s, false); return; }
            sa_warnx("codex: thread/start failed");
            free(c->held);
            c->held = NULL;
            sp_session_turn_end(s);
            return;
        }
        sp_session_native_id(s, tid);
        const char *model = jstr(res, "model");
        if (model) { free(c->model); c->model = sp_xstrdup(model); }
        c->phase = CX_READY;
        if (c->held) { char *t = c->held; c->held = NULL; turn_start(s, t); free(t); }
        break;
    }
    case TAG_TURN:
        if (failed) { sp_session_turn_end(s); return; }
        const char *turn = jstr(cJSON_GetObjectItemCaseSensitive(res, "turn"), "id");
        if (turn && !c->turn_id) c->turn_id = sp_xstrdup(turn);
        break;
    default:
        break;
    }
}

/* The universal id of a request: "<turnId or threadId>:<JSON-RPC id>". */
static void request_uid(const cJSON *j, char *buf, size_t size)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "params");
    const char *scope = jstr(p, "turnId");
    if (!scope) scope = jstr(p, "threadId");
    if (!scope) scope = jstr(p, "conversationId");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (cJSON_IsString(id)) snprintf(buf, size, "%s:%s", scope ? scope : "", id->valuestring);
    else snprintf(buf, size, "%s:%.0f", scope ? scope : "", cJSON_IsNumber(id) ? id->valuedouble : -1.0);
}

static bool path_inside(const char *root, const char *path)
{
    if (!path || !*path) return false;
    char buf[PATH_MAX];
    if (path[0] != '/') { snprintf(buf, sizeof buf, "%s/%s", root, path); path = buf; }
    /* resolve what exists of it: the file may not exist yet, its directory must */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) return false;
    const char *base = slash + 1;
    if (!strcmp(base, "..") || !strcmp(base, ".")) return false;
    *slash = '\0';
    char *real = realpath(*dir ? dir : "/", NULL);
    if (!real) return false;
    size_t rl = strlen(root);
    bool ok = strncmp(real, root, rl) == 0 && (real[rl] == '\0' || real[rl] == '/');
    free(real);
    return ok;
}

/* item/started of a fileChange item: remember whether it stays inside. */
static void note_edit(sp_session *s, const cJSON *item)
{
    codex_state *c = st(s);
    const char *iid = jstr(item, "id");
    if (!iid) return;
    bool inside = true;
    const cJSON *ch, *changes = cJSON_GetObjectItemCaseSensitive(item, "changes");
    int n = 0;
    cJSON_ArrayForEach(ch, changes) {
        n++;
        if (!path_inside(c->root, jstr(ch, "path"))) inside = false;
        const char *mv = jstr(cJSON_GetObjectItemCaseSensitive(ch, "kind"), "move_path");
        if (mv && !path_inside(c->root, mv)) inside = false;
    }
    if (n == 0) inside = false;
    if (c->nedit == CX_EDITS) {
        free(c->edits[0].item);
        memmove(c->edits, c->edits + 1, (CX_EDITS - 1) * sizeof c->edits[0]);
        c->nedit--;
    }
    c->edits[c->nedit++] = (cx_edit){ sp_xstrdup(iid), inside };
}

static int edit_inside(sp_session *s, const char *item)
{
    codex_state *c = st(s);
    for (size_t i = 0; item && i < c->nedit; i++)
        if (!strcmp(c->edits[i].item, item)) return c->edits[i].inside;
    return -1;
}

static void on_request(sp_session *s, const cJSON *j)
{
    const char *m = jstr(j, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "params");
    char uid[600];
    request_uid(j, uid, sizeof uid);
    bool perm = !strcmp(m, "item/commandExecution/requestApproval") || !strcmp(m, "item/fileChange/requestApproval") ||
                !strcmp(m, "item/permissions/requestApproval") || !strcmp(m, "execCommandApproval") ||
                !strcmp(m, "applyPatchApproval");
    bool question = !strcmp(m, "item/tool/requestUserInput") || !strcmp(m, "mcpServer/elicitation/request");
    if (!perm && !question) {
        char msg[300];
        snprintf(msg, sizeof msg, "sa does not serve %.200s", m);
        sp_rpc_reply_error(s, cJSON_GetObjectItemCaseSensitive(j, "id"), -32601, msg);
        return;
    }
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemToObject(data, "rpc_id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "id"), 1));
    cJSON_AddStringToObject(data, "method", m);
    cJSON_AddItemToObject(data, "params", p ? cJSON_Duplicate(p, 1) : cJSON_CreateNull());
    if (question) { sp_session_question(s, uid, NULL, data); return; }
    bool file = !strcmp(m, "item/fileChange/requestApproval") || !strcmp(m, "applyPatchApproval");
    char key[600];
    const char *cmd = jstr(p, "command");
    snprintf(key, sizeof key, "%s:%.500s", file ? "fileChange" : m, cmd && !file ? cmd : "");
    sp_session_permission(s, uid, key, NULL, data);
    if (file && !strcmp(pm_of(sp_session_opts(s)), "acceptEdits")) {
        int in = edit_inside(s, jstr(p, "itemId"));
        sp_session_auto_resolve(s, uid, in == 1 ? "once" : "reject", "mode");
    }
}

/* Whether a notification is about another thread than ours (a subagent's). */
static bool other_thread(sp_session *s, const cJSON *p)
{
    const char *t = jstr(p, "threadId"), *ours = sp_session_native(s);
    return t && ours && strcmp(t, ours) != 0;
}

static void on_notification(sp_session *s, const cJSON *j)
{
    codex_state *c = st(s);
    const char *m = jstr(j, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "params");
    if (other_thread(s, p)) {
        /* a subagent's thread (multi_agent: codex streams its items to us
         * too): its turns are not ours */
    } else if (!strcmp(m, "turn/started")) {
        const char *t = jstr(cJSON_GetObjectItemCaseSensitive(p, "turn"), "id");
        if (t) { free(c->turn_id); c->turn_id = sp_xstrdup(t); }
    } else if (!strcmp(m, "turn/completed")) {
        free(c->turn_id);
        c->turn_id = NULL;
        sp_session_turn_end(s);
    } else if (!strcmp(m, "item/started")) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(p, "item");
        if (jstr(item, "type") && !strcmp(jstr(item, "type"), "fileChange")) note_edit(s, item);
    } else if (!strcmp(m, "thread/started")) {
        const char *t = jstr(cJSON_GetObjectItemCaseSensitive(p, "thread"), "id");
        if (t && !sp_session_native(s)) sp_session_native_id(s, t);
    }
}

static void codex_on_line(sp_session *s, const char *line, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    switch (sp_rpc_kind(j)) {
    case SP_RPC_RESPONSE: on_response(s, j); break;
    case SP_RPC_REQUEST: on_request(s, j); break;
    case SP_RPC_NOTIFICATION: on_notification(s, j); break;
    default: break;
    }
    cJSON_Delete(j);
}

/* ---- answers ---- */

static const cJSON *req_id(const sp_pending *p) { return cJSON_GetObjectItemCaseSensitive(p->data, "rpc_id"); }
static const char *req_method(const sp_pending *p) { return jstr(p->data, "method"); }
static const cJSON *req_params(const sp_pending *p) { return cJSON_GetObjectItemCaseSensitive(p->data, "params"); }

static void codex_permission_reply(sp_session *s, const sp_pending *p, const char *reply)
{
    const char *m = req_method(p);
    if (!m) return;
    bool rej = !strcmp(reply, "reject"), always = !strcmp(reply, "always");
    cJSON *r = cJSON_CreateObject();
    if (!strcmp(m, "execCommandApproval") || !strcmp(m, "applyPatchApproval")) {
        cJSON_AddStringToObject(r, "decision", rej ? "denied" : always ? "approved_for_session" : "approved");
    } else if (!strcmp(m, "item/permissions/requestApproval")) {
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(req_params(p), "permissions");
        cJSON_AddItemToObject(r, "permissions", !rej && want ? cJSON_Duplicate(want, 1) : cJSON_CreateObject());
        cJSON_AddStringToObject(r, "scope", always ? "session" : "turn");
    } else {
        cJSON_AddStringToObject(r, "decision", rej ? "decline" : always ? "acceptForSession" : "accept");
    }
    sp_rpc_reply(s, req_id(p), r);
}

static void codex_question_reply(sp_session *s, const sp_pending *q, const sp_pending *linked,
                                 const cJSON *answers)
{
    (void)linked;
    const char *m = req_method(q);
    if (!m) return;
    cJSON *r = cJSON_CreateObject();
    if (!strcmp(m, "mcpServer/elicitation/request")) {
        cJSON_AddStringToObject(r, "action", answers ? "accept" : "decline");
        if (answers) {
            /* the first answer of each row, under the requested schema's
             * property names in order (form mode) */
            cJSON *content = cJSON_AddObjectToObject(r, "content");
            const cJSON *props = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(req_params(q), "requestedSchema"), "properties");
            const cJSON *prop = props ? props->child : NULL;
            for (int i = 0; prop && i < cJSON_GetArraySize(answers); i++, prop = prop->next) {
                const char *v = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetArrayItem(answers, i), 0));
                if (v && prop->string) cJSON_AddStringToObject(content, prop->string, v);
            }
        }
    } else {
        cJSON *map = cJSON_AddObjectToObject(r, "answers");
        const cJSON *qs = cJSON_GetObjectItemCaseSensitive(req_params(q), "questions");
        int i = 0;
        const cJSON *qq;
        cJSON_ArrayForEach(qq, qs) {
            const char *qid = jstr(qq, "id");
            if (!qid) { i++; continue; }
            cJSON *a = cJSON_CreateObject();
            cJSON *list = cJSON_AddArrayToObject(a, "answers");
            const cJSON *row = answers ? cJSON_GetArrayItem(answers, i) : NULL, *v;
            cJSON_ArrayForEach(v, row) if (cJSON_IsString(v)) cJSON_AddItemToArray(list, cJSON_CreateString(v->valuestring));
            cJSON_AddItemToObject(map, qid, a);
            i++;
        }
    }
    sp_rpc_reply(s, req_id(q), r);
}

const sp_agent sp_agent_codex = {
    .name = "codex",
    .build_argv = codex_argv,
    .extra_env = NULL,
    .send_message = codex_send_message,
    .on_line = codex_on_line,
    .permission_reply = codex_permission_reply,
    .question_reply = codex_question_reply,
    .cancel = codex_cancel,
    .state_size = sizeof(codex_state),
    .on_start = codex_on_start,
    .on_exit = codex_on_exit,
    .free_state = codex_free,
    .annotate = codex_annotate,
};
