/*
 * agent_amp.c — Amp (@ampcode/cli) in execute mode with stream JSON on both
 * sides, one process per turn (per_turn, see agent.h).  The facts this
 * module relies on, and where each came from, are in
 * tests/fixtures/amp/README; Amp needs an ampcode.com account (its agent
 * loop runs on Amp's servers), so this module is tested against a fake amp
 * (tests/agents/fake_amp.py) and documented fixtures only.
 *
 * Each turn runs
 *   amp [threads continue ID] --execute --stream-json --stream-json-input
 *       --no-ide --no-archive-after-execute
 *       [--dangerously-allow-all] [-m MODE]
 *       [--mcp-config FILE.amp.json | --settings-file FILE.amp-settings.json]
 * in --cwd: "threads continue ID" when a thread id is known (the session_id
 * of an earlier turn's lines, or --resume); --dangerously-allow-all for
 * permission mode bypass (the per-run form of the setting
 * amp.dangerouslyAllowAll, so the user's settings file is never touched);
 * -m with --model unless it is amp-default (amp's own default mode);
 * with --mcp FILE, the session's MCP servers in amp's --mcp-config form
 * (sp_mcp_amp), written once per sa-spawn run beside FILE: amp merges them
 * over the servers of its own settings for this run, the user's settings
 * file unchanged; strict instead runs amp with a settings file of sa's
 * holding only {"amp.mcpServers": ...} (amp has no flag that leaves out
 * just the user's servers, so the user's other settings do not apply to
 * that run either).  The
 * message is one stdin line
 *   {"type":"user","message":{"role":"user","content":[{"type":"text","text":T}]}}
 * (T = --prime text, a blank line and the message, on the first turn) after
 * which stdin is closed: amp then ends its process when the turn is done.
 * Every output line's "session_id" is the thread id (T-<uuid>); a
 * {"type":"result"} line ends the turn.  Amp's stream has no permission or
 * question requests, so there is nothing to answer.  cancel sends SIGINT to
 * amp's process group (as Ctrl-C would), then SIGTERM and SIGKILL after the
 * grace period; the next message continues the thread in a new process.
 * Ownership: argv arrays are the caller's (sp_strv_free); nothing else is
 * kept.
 */
#include "agent.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define AMP_DEFAULT_MODEL "amp-default"

static char **amp_argv(const sp_opts *o, const char *path, const char *resume)
{
    const char *fixed[] = { "--execute", "--stream-json", "--stream-json-input", "--no-ide",
                            "--no-archive-after-execute" };
    size_t nf = sizeof fixed / sizeof fixed[0];
    char **v = calloc(nf + 14, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t k = 0;
    v[k++] = sp_xstrdup(path);
    if (resume && *resume) {
        v[k++] = sp_xstrdup("threads");
        v[k++] = sp_xstrdup("continue");
        v[k++] = sp_xstrdup(resume);
    }
    for (size_t i = 0; i < nf; i++) v[k++] = sp_xstrdup(fixed[i]);
    if (o->perm_mode && strcmp(o->perm_mode, "bypass") == 0) v[k++] = sp_xstrdup("--dangerously-allow-all");
    if (o->model && *o->model && strcmp(o->model, AMP_DEFAULT_MODEL) != 0) {
        v[k++] = sp_xstrdup("-m");
        v[k++] = sp_xstrdup(o->model);
    }
    if (o->mcp) {
        static char *cfg;                 /* written once per run, beside --mcp */
        if (!cfg) {
            cJSON *doc = sp_mcp_amp(o);
            if (o->mcp_strict) {
                cJSON *st = cJSON_CreateObject();
                cJSON_AddItemToObject(st, "amp.mcpServers", doc);
                cfg = sp_mcp_side_file(o, "amp-settings", st);
                cJSON_Delete(st);
            } else {
                cfg = sp_mcp_side_file(o, "amp", doc);
                cJSON_Delete(doc);
            }
        }
        if (cfg) {
            v[k++] = sp_xstrdup(o->mcp_strict ? "--settings-file" : "--mcp-config");
            v[k++] = sp_xstrdup(cfg);
        }
    }
    return v;
}

static void amp_send_message(sp_session *s, int turn, const char *text, const char *prime)
{
    (void)turn;
    char *t = sp_prime_join(prime, text);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "user");
    cJSON *m = cJSON_AddObjectToObject(j, "message");
    cJSON_AddStringToObject(m, "role", "user");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "text");
    cJSON_AddStringToObject(b, "text", t);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(m, "content"), b);
    sp_session_send_json(s, j);
    sp_session_close_input(s);           /* one message per process */
    cJSON_Delete(j);
    free(t);
}

static void amp_on_line(sp_session *s, const char *line, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(j)) { cJSON_Delete(j); return; }     /* e.g. the login prompt's text */
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "session_id"));
    if (sid && *sid) sp_session_native_id(s, sid);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
    if (t && strcmp(t, "result") == 0) sp_session_turn_end(s);
    cJSON_Delete(j);
}

/* Amp's stream never asks (no permission or question requests reach sa),
 * so the session loop has nothing pending to answer; these never run. */
static void amp_permission_reply(sp_session *s, const sp_pending *p, const char *reply)
{
    (void)s; (void)p; (void)reply;
}

static void amp_question_reply(sp_session *s, const sp_pending *q, const sp_pending *linked,
                               const cJSON *answers)
{
    (void)s; (void)q; (void)linked; (void)answers;
}

static void amp_cancel(sp_session *s)
{
    sp_session_interrupt(s, SIGINT);
}

const sp_agent sp_agent_amp = {
    .name = "amp",
    .build_argv = amp_argv,
    .extra_env = NULL,
    .send_message = amp_send_message,
    .on_line = amp_on_line,
    .permission_reply = amp_permission_reply,
    .question_reply = amp_question_reply,
    .cancel = amp_cancel,
    .per_turn = true,
};
