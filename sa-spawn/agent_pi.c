/*
 * agent_pi.c — the Pi coding agent in RPC mode (JSON lines on stdio; see
 * sa-spawn(1), PI, and the captures in tests/fixtures/pi).  One process
 * serves many turns:
 *   pi --mode rpc -e <agents dir>/pi-extension.ts [--model M]
 *      [--session ID] [--tools read,grep,find,ls,question]   (plan)
 * with SA_PI_PERMISSION_MODE=<mode> in its environment.  Pi has no
 * permission system; sa's extension (the description's "extension" member,
 * beside the description) adds one and a question tool, and asks through
 * Pi's extension UI sub-protocol, so every request is an
 * extension_ui_request line here.
 *
 *   start      {"id":"sa-state","type":"get_state"}: its response's
 *              data.sessionId is the native id (--session on a restart:
 *              pi keeps the history in its session file).
 *   message    {"id":"sa-turn-N","type":"prompt","message":TEXT}; a
 *              response with success false ends the turn at once.
 *   turn end   agent_end.
 *   HITL       select whose title starts "sa:permission " → a permission
 *              (id = the request id, always key = the tool name); input
 *              whose title starts "sa:question " → a question (the
 *              extension's question tool); any other select, confirm,
 *              input or editor (other extensions' dialogs) → a question.
 *              Fire-and-forget requests (notify, setStatus, ...) need no
 *              answer.  Replies are extension_ui_response lines:
 *                permission   {"value":"once"|"always"|"reject"}
 *                sa question  {"value":"<JSON array of answer arrays>"}
 *                select/input/editor  {"value":"<first answer>"}
 *                confirm      {"confirmed": first answer is "Yes"}
 *                rejected     {"cancelled":true}
 *   cancel     every dialog still open is cancelled, then {"type":"abort"}
 *              (a dialog left open would keep pi's tool call waiting).
 * Ownership: the pi_state owns its list of open dialog ids.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI_OPEN_MAX 64            /* dialogs tracked for cancel */

typedef struct pi_state {
    char  *open[PI_OPEN_MAX];     /* ids of dialogs not yet answered */
    size_t nopen;
} pi_state;

static pi_state *st(sp_session *s) { return sp_session_state(s); }

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char *pm_of(const sp_opts *o) { return o->perm_mode ? o->perm_mode : "default"; }

static char **pi_argv(const sp_opts *o, const char *path, const char *resume)
{
    char **v = calloc(16, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t k = 0;
    v[k++] = sp_xstrdup(path);
    v[k++] = sp_xstrdup("--mode");
    v[k++] = sp_xstrdup("rpc");
    if (o->extension) { v[k++] = sp_xstrdup("-e"); v[k++] = sp_xstrdup(o->extension); }
    if (o->model && *o->model) { v[k++] = sp_xstrdup("--model"); v[k++] = sp_xstrdup(o->model); }
    if (resume && *resume) { v[k++] = sp_xstrdup("--session"); v[k++] = sp_xstrdup(resume); }
    if (o->skills) {
        size_t n = strlen(o->skills) + 8;
        char *d = malloc(n);
        if (!d) sa_diex(SP_EXIT_SYS, "out of memory");
        snprintf(d, n, "%s/skills", o->skills);
        v[k++] = sp_xstrdup("--skill");
        v[k++] = d;
    }
    if (!strcmp(pm_of(o), "plan")) {
        char tools[512] = "";
        size_t off = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, sa_agent_get(o->desc, "read_only_tools"))
            if (cJSON_IsString(e) && off < sizeof tools)
                off += (size_t)snprintf(tools + off, sizeof tools - off, "%s%s", off ? "," : "", e->valuestring);
        if (off && off < sizeof tools) { v[k++] = sp_xstrdup("--tools"); v[k++] = sp_xstrdup(tools); }
    }
    return v;
}

static char **pi_env(const sp_opts *o)
{
    char **v = calloc(3, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t n = strlen(pm_of(o)) + 32;
    if (!(v[0] = malloc(n))) sa_diex(SP_EXIT_SYS, "out of memory");
    snprintf(v[0], n, "SA_PI_PERMISSION_MODE=%s", pm_of(o));
    if (o->mcp) {                          /* the extension reads sa's form itself */
        n = strlen(o->mcp_file) + 16;
        if (!(v[1] = malloc(n))) sa_diex(SP_EXIT_SYS, "out of memory");
        snprintf(v[1], n, "SA_PI_MCP=%s", o->mcp_file);
    }
    return v;
}

static void pi_on_start(sp_session *s)
{
    static const char line[] = "{\"id\":\"sa-state\",\"type\":\"get_state\"}\n";
    sp_session_send(s, line, sizeof line - 1);
}

static void pi_send_message(sp_session *s, int turn, const char *text, const char *prime)
{
    char *full = sp_prime_join(prime, text);
    char id[32];
    snprintf(id, sizeof id, "sa-turn-%d", turn);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "type", "prompt");
    cJSON_AddStringToObject(j, "message", full);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
    free(full);
}

static void open_add(sp_session *s, const char *id)
{
    pi_state *p = st(s);
    if (p->nopen < PI_OPEN_MAX) p->open[p->nopen++] = sp_xstrdup(id);
}

static void open_del(sp_session *s, const char *id)
{
    pi_state *p = st(s);
    for (size_t i = 0; i < p->nopen; i++)
        if (!strcmp(p->open[i], id)) {
            free(p->open[i]);
            p->open[i] = p->open[--p->nopen];
            return;
        }
}

static void open_clear(pi_state *p)
{
    for (size_t i = 0; i < p->nopen; i++) free(p->open[i]);
    p->nopen = 0;
}

static bool prefixed(const char *s, const char *pre) { return s && !strncmp(s, pre, strlen(pre)); }

/* One extension_ui_request: dialogs become requests, the rest is ignored. */
static void ui_request(sp_session *s, const cJSON *j)
{
    const char *id = jstr(j, "id"), *m = jstr(j, "method"), *title = jstr(j, "title");
    if (!id || !m) return;
    bool select = !strcmp(m, "select"), input = !strcmp(m, "input");
    if (!select && !input && strcmp(m, "confirm") != 0 && strcmp(m, "editor") != 0) return;
    open_add(s, id);
    if (select && prefixed(title, "sa:permission ")) {
        cJSON *d = cJSON_Parse(title + strlen("sa:permission "));
        const char *tool = jstr(d, "tool");
        sp_session_permission(s, id, tool ? tool : "?", NULL, d);
        return;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "method", input && prefixed(title, "sa:question ") ? "sa:question" : m);
    sp_session_question(s, id, NULL, d);
}

static void pi_on_line(sp_session *s, const char *line, size_t len)
{
    /* the bulk (message updates) needs nothing here */
    if (len > 26 && !memcmp(line, "{\"type\":\"message_update\"", 25)) return;
    if (!memmem(line, len, "\"response\"", 10) && !memmem(line, len, "\"agent_end\"", 11) &&
        !memmem(line, len, "\"extension_ui_request\"", 22))
        return;
    cJSON *j = cJSON_ParseWithLength(line, len);
    const char *t = jstr(j, "type");
    if (!t) { cJSON_Delete(j); return; }
    if (!strcmp(t, "response")) {
        const char *cmd = jstr(j, "command"), *id = jstr(j, "id");
        bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "success"));
        const char *sid = jstr(cJSON_GetObjectItemCaseSensitive(j, "data"), "sessionId");
        if (cmd && !strcmp(cmd, "get_state") && ok && sid) sp_session_native_id(s, sid);
        if (cmd && !strcmp(cmd, "prompt") && !ok && prefixed(id, "sa-turn-")) sp_session_turn_end(s);
    } else if (!strcmp(t, "agent_end")) {
        sp_session_turn_end(s);
    } else if (!strcmp(t, "extension_ui_request")) {
        ui_request(s, j);
    }
    cJSON_Delete(j);
}

/* {"type":"extension_ui_response","id":ID, KEY: VAL}; takes val. */
static void ui_reply(sp_session *s, const char *id, const char *key, cJSON *val)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "extension_ui_response");
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddItemToObject(j, key, val);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
    open_del(s, id);
}

static void pi_permission_reply(sp_session *s, const sp_pending *p, const char *reply)
{
    ui_reply(s, p->id, "value", cJSON_CreateString(reply));
}

static void pi_question_reply(sp_session *s, const sp_pending *q, const sp_pending *linked,
                              const cJSON *answers)
{
    (void)linked;
    if (!answers) { ui_reply(s, q->id, "cancelled", cJSON_CreateTrue()); return; }
    const char *m = jstr(q->data, "method");
    const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetArrayItem(answers, 0), 0));
    if (m && !strcmp(m, "sa:question")) {
        char *text = cJSON_PrintUnformatted(answers);
        if (!text) sa_diex(SP_EXIT_SYS, "out of memory");
        ui_reply(s, q->id, "value", cJSON_CreateString(text));
        free(text);
    } else if (m && !strcmp(m, "confirm")) {
        ui_reply(s, q->id, "confirmed", cJSON_CreateBool(first && !strcmp(first, "Yes")));
    } else {
        ui_reply(s, q->id, "value", cJSON_CreateString(first ? first : ""));
    }
}

static void pi_cancel(sp_session *s)
{
    pi_state *p = st(s);
    while (p->nopen) {
        char *id = sp_xstrdup(p->open[0]);
        ui_reply(s, id, "cancelled", cJSON_CreateTrue());
        free(id);
    }
    static const char line[] = "{\"type\":\"abort\"}\n";
    sp_session_send(s, line, sizeof line - 1);
}

static void pi_on_exit(sp_session *s) { open_clear(st(s)); }
static void pi_free(sp_session *s) { if (st(s)) open_clear(st(s)); }

const sp_agent sp_agent_pi = {
    .name = "pi",
    .build_argv = pi_argv,
    .extra_env = pi_env,
    .send_message = pi_send_message,
    .on_line = pi_on_line,
    .permission_reply = pi_permission_reply,
    .question_reply = pi_question_reply,
    .cancel = pi_cancel,
    .state_size = sizeof(pi_state),
    .on_start = pi_on_start,
    .on_exit = pi_on_exit,
    .free_state = pi_free,
};
