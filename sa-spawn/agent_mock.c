/*
 * agent_mock.c — sa-spawn's side of the mock native protocol
 * (sa-mock-agent(1)): one long-lived `sa-mock-agent --session S`; requests
 * {"type":"user"|"permission"|"question"|"cancel"} on its stdin; on its
 * stdout {"mock":"session"} gives the native id, {"mock":"turn.ended"} ends
 * a turn and {"mock":"permission.requested"|"question.requested"} open HITL
 * requests.  The bulk of a burst ({"mock":"item.delta"...}) is recognised by
 * its prefix and never parsed.  --prime text travels as an extra "prime"
 * member of the first user request (the mock ignores it).
 */
#include "agent.h"

#include <stdlib.h>
#include <string.h>

static char **mock_argv(const sp_opts *o, const char *path, const char *resume)
{
    (void)resume;
    char **v = calloc(4, sizeof *v);
    if (!v) sa_diex(SP_EXIT_SYS, "out of memory");
    v[0] = sp_xstrdup(path);
    v[1] = sp_xstrdup("--session");
    v[2] = sp_xstrdup(o->session);
    return v;
}

static void mock_send_message(sp_session *s, int turn, const char *text, const char *prime)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "user");
    cJSON_AddNumberToObject(j, "turn", turn);
    cJSON_AddStringToObject(j, "text", text);
    if (prime) cJSON_AddStringToObject(j, "prime", prime);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

#define DELTA_PREFIX "{\"mock\":\"item.delta\""

static void mock_on_line(sp_session *s, const char *line, size_t len)
{
    if (len >= sizeof DELTA_PREFIX - 1 && memcmp(line, DELTA_PREFIX, sizeof DELTA_PREFIX - 1) == 0)
        return;                                  /* the hot path: nothing to do */
    cJSON *j = cJSON_ParseWithLength(line, len);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mock"));
    if (!t) { cJSON_Delete(j); return; }
    if (strcmp(t, "session") == 0) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "session_id"));
        if (id) sp_session_native_id(s, id);
    } else if (strcmp(t, "turn.ended") == 0) {
        sp_session_turn_end(s);
    } else if (strcmp(t, "permission.requested") == 0) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "permission_id"));
        const char *action = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "action"));
        if (id) sp_session_permission(s, id, action, NULL, NULL);
    } else if (strcmp(t, "question.requested") == 0) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "question_id"));
        if (id) sp_session_question(s, id, NULL, NULL);
    }
    cJSON_Delete(j);
}

static void mock_cancel(sp_session *s)
{
    static const char line[] = "{\"type\":\"cancel\"}\n";
    sp_session_send(s, line, sizeof line - 1);
}

const sp_agent sp_agent_mock = {
    .name = "mock",
    .build_argv = mock_argv,
    .extra_env = NULL,
    .send_message = mock_send_message,
    .on_line = mock_on_line,
    .permission_reply = sp_agent_line_permission_reply,
    .question_reply = sp_agent_line_question_reply,
    .cancel = mock_cancel,
};
