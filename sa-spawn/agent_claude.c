/*
 * agent_claude.c — Claude Code in stream-json mode (see sa-spawn(1) and the
 * captures in tests/fixtures/claude-*).  One process serves many turns:
 *   claude -p --input-format stream-json --output-format stream-json
 *          --verbose --include-partial-messages --permission-prompt-tool stdio
 *          [--model M] [--resume ID] [permission flags]
 * A user message is one line {"type":"user","message":{"role":"user",
 * "content":[text blocks]},"parent_tool_use_id":null,"session_id":""}; a
 * turn ends at a {"type":"result"} line; every line's "session_id" is the
 * native id (used for --resume when the process must be restarted).
 * Permission prompts arrive as control_request can_use_tool and are answered
 * with control_response allow (updatedInput = the request's input) or deny
 * ("Permission denied.").  AskUserQuestion prompts are both a permission
 * (id = request_id) and a question (id = tool_use_id) linked to each other;
 * answers go back as allow with updatedInput = input + {"answers":
 * {"<question text>": "<answer[, answer...]>"}}.  cancel = control_request
 * interrupt.  Other control_request subtypes get an error response so the
 * CLI never waits forever.  Stream events (the bulk) are not parsed.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **claude_argv(const sp_opts *o, const char *path, const char *resume)
{
    const char *fixed[] = { "-p", "--input-format", "stream-json", "--output-format", "stream-json",
                            "--verbose", "--include-partial-messages", "--permission-prompt-tool", "stdio" };
    size_t nf = sizeof fixed / sizeof fixed[0];
    char **v = calloc(nf + 14, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t k = 0;
    v[k++] = sp_xstrdup(path);
    for (size_t i = 0; i < nf; i++) v[k++] = sp_xstrdup(fixed[i]);
    if (o->model && *o->model) { v[k++] = sp_xstrdup("--model"); v[k++] = sp_xstrdup(o->model); }
    if (resume && *resume) { v[k++] = sp_xstrdup("--resume"); v[k++] = sp_xstrdup(resume); }
    if (o->mcp) {
        static char *cfg;                 /* written once per run, beside --mcp */
        if (!cfg) {
            cJSON *doc = sp_mcp_claude(o);
            cfg = sp_mcp_side_file(o, "claude", doc);
            cJSON_Delete(doc);
        }
        if (cfg) { v[k++] = sp_xstrdup("--mcp-config"); v[k++] = sp_xstrdup(cfg); }
        if (o->mcp_strict) v[k++] = sp_xstrdup("--strict-mcp-config");
    }
    if (o->skills) { v[k++] = sp_xstrdup("--plugin-dir"); v[k++] = sp_xstrdup(o->skills); }
    const char *pm = o->perm_mode ? o->perm_mode : "default";
    if (strcmp(pm, "plan") == 0) { v[k++] = sp_xstrdup("--permission-mode"); v[k++] = sp_xstrdup("plan"); }
    else if (strcmp(pm, "acceptEdits") == 0) { v[k++] = sp_xstrdup("--permission-mode"); v[k++] = sp_xstrdup("acceptEdits"); }
    else if (strcmp(pm, "bypass") == 0) v[k++] = sp_xstrdup("--dangerously-skip-permissions");
    return v;
}

static char **claude_env(const sp_opts *o)
{
    if (!o->perm_mode || strcmp(o->perm_mode, "bypass") != 0 || geteuid() != 0) return NULL;
    char **v = calloc(2, sizeof *v);         /* root refuses bypass unless IS_SANDBOX=1 */
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    v[0] = sp_xstrdup("IS_SANDBOX=1");
    return v;
}

static void text_block(cJSON *content, const char *text)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "text");
    cJSON_AddStringToObject(b, "text", text);
    cJSON_AddItemToArray(content, b);
}

static void claude_send_message(sp_session *s, int turn, const char *text, const char *prime)
{
    (void)turn;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "user");
    cJSON *m = cJSON_AddObjectToObject(j, "message");
    cJSON_AddStringToObject(m, "role", "user");
    cJSON *content = cJSON_AddArrayToObject(m, "content");
    if (prime) text_block(content, prime);
    text_block(content, text);
    cJSON_AddNullToObject(j, "parent_tool_use_id");
    cJSON_AddStringToObject(j, "session_id", "");
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

/* {"type":"control_response","response":{"subtype":SUBTYPE,"request_id":ID,KEY:VAL}};
 * takes val. */
static void control_reply(sp_session *s, const char *rid, const char *subtype, const char *key, cJSON *val)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "control_response");
    cJSON *resp = cJSON_AddObjectToObject(j, "response");
    cJSON_AddStringToObject(resp, "subtype", subtype);
    cJSON_AddStringToObject(resp, "request_id", rid);
    cJSON_AddItemToObject(resp, key, val);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

static void control_error(sp_session *s, const char *rid, const char *msg)
{
    control_reply(s, rid, "error", "error", cJSON_CreateString(msg));
}

/* Tools that ask the user a question: the description's question_tools
 * (claude.json; claude.jq maps the same list), or any input with
 * "questions". */
static bool is_question(sp_session *s, const char *tool, const cJSON *input)
{
    const cJSON *e, *names = sa_agent_get(sp_session_opts(s)->desc, "question_tools");
    cJSON_ArrayForEach(e, names)
        if (tool && cJSON_IsString(e) && strcmp(tool, e->valuestring) == 0) return true;
    return cJSON_IsObject(input) && cJSON_GetObjectItemCaseSensitive(input, "questions") != NULL;
}

/* An assistant line's question tool_use blocks are questions the user may
 * answer at once, before claude's can_use_tool request for them arrives. */
static void on_assistant(sp_session *s, cJSON *j)
{
    cJSON *content = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "message"), "content");
    const cJSON *b;
    cJSON_ArrayForEach(b, content) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "type"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "id"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
        cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input");
        if (!type || strcmp(type, "tool_use") != 0 || !id || !is_question(s, name, input)) continue;
        cJSON *data = cJSON_CreateObject();
        if (name) cJSON_AddStringToObject(data, "tool_name", name);
        cJSON_AddItemToObject(data, "input", input ? cJSON_Duplicate(input, 1) : cJSON_CreateObject());
        sp_session_question_early(s, id, data);
    }
}

static void on_control_request(sp_session *s, cJSON *j)
{
    const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "request_id"));
    cJSON *req = cJSON_GetObjectItemCaseSensitive(j, "request");
    const char *sub = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "subtype"));
    if (!rid) return;
    if (!sub || strcmp(sub, "can_use_tool") != 0) {
        control_error(s, rid, "sa-spawn does not support this control request");
        return;
    }
    const char *tool = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "tool_name"));
    const char *tuid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "tool_use_id"));
    cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "request_id", rid);
    if (tool) cJSON_AddStringToObject(data, "tool_name", tool);
    cJSON_AddItemToObject(data, "input", input ? cJSON_Duplicate(input, 1) : cJSON_CreateObject());
    if (is_question(s, tool, input)) {
        const char *qid = tuid ? tuid : rid;
        if (sp_session_question_link(s, qid, rid, data)) return;   /* seen in the tool_use */
        cJSON *qdata = cJSON_Duplicate(data, 1);
        sp_session_question(s, qid, rid, qdata);
        sp_session_permission(s, rid, NULL, qid, data);   /* never cached by "always" */
    } else {
        sp_session_permission(s, rid, tool ? tool : "unknown", NULL, data);
    }
}

#define STREAM_PREFIX "{\"type\":\"stream_event\""

static void claude_on_line(sp_session *s, const char *line, size_t len)
{
    if (len >= sizeof STREAM_PREFIX - 1 && memcmp(line, STREAM_PREFIX, sizeof STREAM_PREFIX - 1) == 0)
        return;
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(j)) { cJSON_Delete(j); return; }
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "session_id"));
    if (sid && *sid) sp_session_native_id(s, sid);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
    if (!t) { cJSON_Delete(j); return; }
    if (strcmp(t, "result") == 0) {
        sp_session_turn_end(s);
    } else if (strcmp(t, "assistant") == 0) {
        on_assistant(s, j);
    } else if (strcmp(t, "control_request") == 0) {
        on_control_request(s, j);
    } else if (strcmp(t, "control_cancel_request") == 0) {
        const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "request_id"));
        if (rid) sp_session_withdraw(s, rid);
    }
    cJSON_Delete(j);
}

/* Takes r. */
static void control_success(sp_session *s, const char *rid, cJSON *r)
{
    control_reply(s, rid, "success", "response", r);
}

static void allow(sp_session *s, const char *rid, cJSON *updated_input /* taken */)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "behavior", "allow");
    cJSON_AddItemToObject(r, "updatedInput", updated_input);
    control_success(s, rid, r);
}

static void deny(sp_session *s, const char *rid)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "behavior", "deny");
    cJSON_AddStringToObject(r, "message", "Permission denied.");
    control_success(s, rid, r);
}

static cJSON *input_of(const sp_pending *p)
{
    cJSON *in = cJSON_GetObjectItemCaseSensitive(p->data, "input");
    return in ? cJSON_Duplicate(in, 1) : cJSON_CreateObject();
}

static void claude_permission_reply(sp_session *s, const sp_pending *p, const char *reply)
{
    if (strcmp(reply, "reject") == 0) deny(s, p->id);
    else allow(s, p->id, input_of(p));
}

static void claude_question_reply(sp_session *s, const sp_pending *q, const sp_pending *linked,
                                  const cJSON *answers)
{
    const sp_pending *src = linked ? linked : q;
    const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src->data, "request_id"));
    if (!rid) return;                    /* no control request to answer */
    if (!answers) { deny(s, rid); return; }
    cJSON *in = input_of(src);
    if (!cJSON_IsObject(in)) { cJSON_Delete(in); in = cJSON_CreateObject(); }
    cJSON *qs = cJSON_GetObjectItemCaseSensitive(in, "questions");
    cJSON *map = cJSON_CreateObject();
    int n = cJSON_GetArraySize(answers);
    for (int i = 0; i < n; i++) {
        cJSON *row = cJSON_GetArrayItem(answers, i);
        const char *qtext = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(qs, i), "question"));
        char key[16];
        if (!qtext) { snprintf(key, sizeof key, "%d", i); qtext = key; }
        sp_buf b = { 0 };
        const cJSON *v;
        cJSON_ArrayForEach(v, row) {
            if (b.len) sp_buf_adds(&b, ", ");
            sp_buf_adds(&b, v->valuestring);
        }
        sp_buf_add(&b, "", 1);
        cJSON_DeleteItemFromObjectCaseSensitive(map, qtext);
        cJSON_AddStringToObject(map, qtext, b.p);
        sp_buf_free(&b);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(in, "answers");
    cJSON_AddItemToObject(in, "answers", map);
    allow(s, rid, in);
}

static void claude_cancel(sp_session *s)
{
    static unsigned n;
    char id[32];
    snprintf(id, sizeof id, "sa_interrupt_%u", ++n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "control_request");
    cJSON_AddStringToObject(j, "request_id", id);
    cJSON *r = cJSON_AddObjectToObject(j, "request");
    cJSON_AddStringToObject(r, "subtype", "interrupt");
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

const sp_agent sp_agent_claude = {
    .name = "claude",
    .build_argv = claude_argv,
    .extra_env = claude_env,
    .send_message = claude_send_message,
    .on_line = claude_on_line,
    .permission_reply = claude_permission_reply,
    .question_reply = claude_question_reply,
    .cancel = claude_cancel,
};
