/*
 * agent.c — the wire-protocol modules sa-spawn has, by the name an agent
 * description's "protocol" member uses.  To add one, write agent_<name>.c
 * with an sp_agent (see agent.h) and list it here.
 */
#include "agent.h"

#include <string.h>

static const sp_agent *const agents[] = { &sp_agent_mock, &sp_agent_claude, &sp_agent_codex, &sp_agent_opencode };

const sp_agent *sp_agent_find(const char *protocol)
{
    for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++)
        if (protocol && strcmp(agents[i]->name, protocol) == 0) return agents[i];
    return NULL;
}

const char *sp_agent_protocols(void) { return "mock, claude, codex, opencode"; }
