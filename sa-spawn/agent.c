/*
 * agent.c — the registry of agents sa-spawn can run.  To add one, write
 * agent_<name>.c with an sp_agent (see agent.h) and list it here.
 */
#include "agent.h"

#include <string.h>

static const sp_agent *const agents[] = { &sp_agent_mock, &sp_agent_claude };

const sp_agent *sp_agent_find(const char *name)
{
    for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++)
        if (name && strcmp(agents[i]->name, name) == 0) return agents[i];
    return NULL;
}

const char *sp_agent_names(void) { return "mock, claude"; }
