/*
 * agent_opencode.c — OpenCode through `opencode serve`, behind the bridge
 * executable sa-opencode-bridge (sa-spawn/opencode/bridge.c; the
 * description's "bridge" member names it; it is looked for beside
 * sa-spawn first).  The bridge speaks JSON lines on stdio: it prints
 * {"bridge":"ready","session_id":...} once the server listens and the
 * session exists, then every SSE event of the session verbatim, and takes
 * prompt / permission / question / abort commands (sa-opencode-bridge(1)).
 *
 *   argv       sa-opencode-bridge --opencode <opencode> [--session-id ID]
 *              [--agent NAME] [--model PROVIDER/MODEL]; the native id is
 *              opencode's session id, so a new process continues the same
 *              session (its data directory keeps the history).
 *   env        OPENCODE_ENABLE_QUESTION_TOOL=1 and OPENCODE_CONFIG_CONTENT
 *              with the permission rules of the permission mode, merged
 *              into a caller's own OPENCODE_CONFIG_CONTENT object:
 *                default      bash, edit, webfetch: ask
 *                acceptEdits  edit: allow; bash, webfetch: ask
 *                plan         the plan agent, with edit: deny; bash, webfetch:
 *                             ask also in its own rules (agent.plan.permission)
 *                bypass       everything ("*"), bash, edit, webfetch: allow
 *   message    held until ready, then {"type":"prompt","text":...}.
 *   turn end   session.idle after the session went busy (session.status
 *              busy) for this prompt, or a failed prompt request.
 *   HITL       permission.asked → a permission (id = properties.id, always
 *              key = permission + patterns); question.asked → a question.
 *              Replies: {"type":"permission","id","reply"} (once / always /
 *              reject as they are), {"type":"question","id","answers"} or
 *              answers null for reject.
 *   cancel     {"type":"abort"}.
 * Ownership: the oc_state (module state) owns its held text.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct oc_state {
    bool  ready;
    bool  busy;           /* the session went busy since the last prompt */
    char *held;           /* a message waiting for ready */
} oc_state;

static oc_state *st(sp_session *s) { return sp_session_state(s); }

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char *pm_of(const sp_opts *o) { return o->perm_mode ? o->perm_mode : "default"; }

static char **oc_argv(const sp_opts *o, const char *path, const char *resume)
{
    const char *bname = sa_agent_str(o->desc, "bridge");
    char *bridge = sa_find_exec(bname ? bname : "sa-opencode-bridge", true);
    char **v = calloc(12, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t k = 0;
    v[k++] = bridge ? bridge : sp_xstrdup(bname ? bname : "sa-opencode-bridge");
    v[k++] = sp_xstrdup("--opencode");
    v[k++] = sp_xstrdup(path);
    if (resume && *resume) { v[k++] = sp_xstrdup("--session-id"); v[k++] = sp_xstrdup(resume); }
    const char *agent = !strcmp(pm_of(o), "plan") ? "plan" : o->mode;
    if (agent && *agent && strcmp(agent, "custom") != 0) { v[k++] = sp_xstrdup("--agent"); v[k++] = sp_xstrdup(agent); }
    if (o->model && *o->model) { v[k++] = sp_xstrdup("--model"); v[k++] = sp_xstrdup(o->model); }
    return v;
}

static char **oc_env(const sp_opts *o)
{
    const char *pm = pm_of(o);
    const char *bash = "ask", *edit = "ask", *web = "ask";
    if (!strcmp(pm, "acceptEdits")) edit = "allow";
    else if (!strcmp(pm, "plan")) edit = "deny";
    else if (!strcmp(pm, "bypass")) bash = edit = web = "allow";
    /* the caller's own config content (--env wins over the environment) */
    const char *mine = sp_env_value(o, "OPENCODE_CONFIG_CONTENT");
    cJSON *cfg = mine ? cJSON_Parse(mine) : NULL;
    if (!cJSON_IsObject(cfg)) { cJSON_Delete(cfg); cfg = cJSON_CreateObject(); }
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "permission");
    cJSON *perm = cJSON_AddObjectToObject(cfg, "permission");
    if (!strcmp(pm, "bypass")) cJSON_AddStringToObject(perm, "*", "allow");
    cJSON_AddStringToObject(perm, "bash", bash);
    cJSON_AddStringToObject(perm, "edit", edit);
    cJSON_AddStringToObject(perm, "webfetch", web);
    if (!strcmp(pm, "plan")) {
        /* the plan agent's own rules would let bash run unasked */
        cJSON *agents = cJSON_GetObjectItemCaseSensitive(cfg, "agent");
        if (!cJSON_IsObject(agents)) {
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "agent");
            agents = cJSON_AddObjectToObject(cfg, "agent");
        }
        cJSON *plan = cJSON_GetObjectItemCaseSensitive(agents, "plan");
        if (!cJSON_IsObject(plan)) {
            cJSON_DeleteItemFromObjectCaseSensitive(agents, "plan");
            plan = cJSON_AddObjectToObject(agents, "plan");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(plan, "permission");
        cJSON_AddItemToObject(plan, "permission", cJSON_Duplicate(perm, 1));
    }
    if (o->mcp) {
        /* added to (or, strict, replacing) a caller's own mcp section */
        cJSON *mine_mcp = cJSON_GetObjectItemCaseSensitive(cfg, "mcp"), *m = sp_mcp_opencode(o), *e;
        if (o->mcp_strict || !cJSON_IsObject(mine_mcp)) {
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "mcp");
            cJSON_AddItemToObject(cfg, "mcp", m);
        } else {
            while ((e = m->child) != NULL) {
                cJSON_DetachItemViaPointer(m, e);
                cJSON_DeleteItemFromObjectCaseSensitive(mine_mcp, e->string);
                cJSON_AddItemToObject(mine_mcp, e->string, e);
            }
            cJSON_Delete(m);
        }
    }
    if (o->skills) {                       /* skills.paths += the session's skills */
        cJSON *sk = cJSON_GetObjectItemCaseSensitive(cfg, "skills");
        if (!cJSON_IsObject(sk)) { cJSON_DeleteItemFromObjectCaseSensitive(cfg, "skills"); sk = cJSON_AddObjectToObject(cfg, "skills"); }
        cJSON *paths = cJSON_GetObjectItemCaseSensitive(sk, "paths");
        if (!cJSON_IsArray(paths)) { cJSON_DeleteItemFromObjectCaseSensitive(sk, "paths"); paths = cJSON_AddArrayToObject(sk, "paths"); }
        size_t n = strlen(o->skills) + 8;
        char *d = malloc(n);
        if (!d) sa_diex(SP_EXIT_SYS, "out of memory");
        snprintf(d, n, "%s/skills", o->skills);
        cJSON_AddItemToArray(paths, cJSON_CreateString(d));
        free(d);
    }
    char *text = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    if (!text) sa_diex(SP_EXIT_SYS, "out of memory");
    char **v = calloc(3, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    v[0] = sp_xstrdup("OPENCODE_ENABLE_QUESTION_TOOL=1");
    size_t n = strlen(text) + 32;
    v[1] = malloc(n);
    if (!v[1]) sa_diex(SP_EXIT_SYS, "out of memory");
    snprintf(v[1], n, "OPENCODE_CONFIG_CONTENT=%s", text);
    free(text);
    return v;
}

static void send_prompt(sp_session *s, const char *text)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "prompt");
    cJSON_AddStringToObject(j, "text", text);
    st(s)->busy = false;
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

static void oc_send_message(sp_session *s, int turn, const char *text, const char *prime)
{
    (void)turn;
    oc_state *c = st(s);
    char *full = sp_prime_join(prime, text);
    if (c->ready) { send_prompt(s, full); free(full); return; }
    free(c->held);
    c->held = full;
}

#define HAS(lit) (memmem(line, len, lit, sizeof lit - 1) != NULL)

static void oc_on_line(sp_session *s, const char *line, size_t len)
{
    oc_state *c = st(s);
    /* the bulk (part updates and deltas) needs nothing here */
    bool bridge = len > 10 && !memcmp(line, "{\"bridge\":", 10);
    if (!bridge && !HAS("\"permission.asked\"") && !HAS("\"question.asked\"") && !HAS("\"session.idle\"") &&
        !HAS("\"session.status\""))
        return;
    cJSON *j = cJSON_ParseWithLength(line, len);
    const char *b = jstr(j, "bridge");
    /* a child session's (subagent's) event: its permissions and questions
     * are ours to answer, its busy/idle are not our turn's */
    bool child = b && !strcmp(b, "child");
    const cJSON *ev = child ? cJSON_GetObjectItemCaseSensitive(j, "event") : j;
    if (child) b = NULL;
    const char *t = jstr(ev, "type");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ev, "properties");
    if (b && !strcmp(b, "ready")) {
        const char *sid = jstr(j, "session_id");
        if (sid) sp_session_native_id(s, sid);
        c->ready = true;
        if (c->held) { char *h = c->held; c->held = NULL; send_prompt(s, h); free(h); }
    } else if (b && !strcmp(b, "http_error")) {
        const char *op = jstr(j, "op");
        if (op && !strcmp(op, "prompt")) sp_session_turn_end(s);
    } else if (!child && t && !strcmp(t, "session.status")) {
        const char *k = jstr(cJSON_GetObjectItemCaseSensitive(p, "status"), "type");
        if (k && (!strcmp(k, "busy") || !strcmp(k, "retry"))) c->busy = true;
    } else if (!child && t && !strcmp(t, "session.idle")) {
        if (c->busy) { c->busy = false; sp_session_turn_end(s); }
    } else if (t && !strcmp(t, "permission.asked")) {
        const char *id = jstr(p, "id"), *perm = jstr(p, "permission");
        if (id) {
            char key[600];
            int off = snprintf(key, sizeof key, "%s", perm ? perm : "?");
            const cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "patterns"))
                if (cJSON_IsString(e) && off < (int)sizeof key)
                    off += snprintf(key + off, sizeof key - (size_t)off, ":%s", e->valuestring);
            sp_session_permission(s, id, key, NULL, NULL);
        }
    } else if (t && !strcmp(t, "question.asked")) {
        const char *id = jstr(p, "id");
        if (id) sp_session_question(s, id, NULL, NULL);
    }
    cJSON_Delete(j);
}

static void oc_cancel(sp_session *s)
{
    oc_state *c = st(s);
    if (c->held) { free(c->held); c->held = NULL; sp_session_turn_end(s); return; }
    static const char line[] = "{\"type\":\"abort\"}\n";
    sp_session_send(s, line, sizeof line - 1);
}

static void oc_on_exit(sp_session *s)
{
    oc_state *c = st(s);
    c->ready = c->busy = false;
    free(c->held);
    c->held = NULL;
}

static void oc_free(sp_session *s)
{
    oc_state *c = st(s);
    if (c) free(c->held);
}

const sp_agent sp_agent_opencode = {
    .name = "opencode",
    .build_argv = oc_argv,
    .extra_env = oc_env,
    .send_message = oc_send_message,
    .on_line = oc_on_line,
    .permission_reply = sp_agent_line_permission_reply,
    .question_reply = sp_agent_line_question_reply,
    .cancel = oc_cancel,
    .state_size = sizeof(oc_state),
    .on_exit = oc_on_exit,
    .free_state = oc_free,
};
