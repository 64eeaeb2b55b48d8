/*
 * nz_agents.c — the per-agent behaviour table (sandbox-agent v0.1.11 §3.1
 * capability flags that change normalization).  An agent added by dropping
 * a NAME.jq file gets the "default" row: it is trusted to start its own
 * items and to echo the user's message, gets a synthetic turn.started per
 * message, and is not treated as resumable.
 */
#include "nz_state.h"

#include <string.h>

static const nz_agent_flags TABLE[] = {
    /* name       item_started native_turn synth_user resumable */
    { "mock",     true,  false, false, false },
    { "claude",   false, false, true,  true  },
    { "amp",      false, false, true,  true  },
    { "codex",    true,  true,  false, true  },
    { "opencode", true,  true,  false, true  },
    { "pi",       true,  false, false, true  },
};
static const nz_agent_flags DEFAULT_ROW = { "default", true, false, false, false };

const nz_agent_flags *nz_agent_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (name && strcmp(TABLE[i].name, name) == 0) return &TABLE[i];
    return &DEFAULT_ROW;
}
