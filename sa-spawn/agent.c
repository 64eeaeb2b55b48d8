/*
 * agent.c — the wire-protocol modules sa-spawn has, by the name an agent
 * description's "protocol" member uses.  To add one, write agent_<name>.c
 * with an sp_agent (see agent.h) and list it here.  Also the reply lines
 * shared by the modules whose agents take {"type","id",...} requests.
 */
#include "agent.h"

#include <string.h>

static const sp_agent *const agents[] = { &sp_agent_mock, &sp_agent_claude, &sp_agent_codex, &sp_agent_opencode,
                                        &sp_agent_pi, &sp_agent_amp };

const sp_agent *sp_agent_find(const char *protocol)
{
    for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++)
        if (protocol && strcmp(agents[i]->name, protocol) == 0) return agents[i];
    return NULL;
}

const char *sp_agent_protocols(void) { return "mock, claude, codex, opencode, amp, pi"; }

void sp_agent_line_permission_reply(sp_session *s, const sp_pending *p, const char *reply)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "permission");
    cJSON_AddStringToObject(j, "id", p->id);
    cJSON_AddStringToObject(j, "reply", reply);
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}

void sp_agent_line_question_reply(sp_session *s, const sp_pending *q, const sp_pending *linked,
                                  const cJSON *answers)
{
    (void)linked;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "question");
    cJSON_AddStringToObject(j, "id", q->id);
    cJSON_AddItemToObject(j, "answers", answers ? cJSON_Duplicate(answers, 1) : cJSON_CreateNull());
    sp_session_send_json(s, j);
    cJSON_Delete(j);
}
