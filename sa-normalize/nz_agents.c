/*
 * nz_agents.c — sa-normalize's behaviour flags per agent, read from the
 * agent's description (NAME.json beside NAME.jq, member "normalize"; see
 * lib/sa_agent.h).  The programs directory is the one main.c was given
 * (nz_agent_set_dir), else sa_agent_dir's default.  An agent added by
 * dropping in only a NAME.jq gets the "default" row: it is trusted to start
 * its own items and to echo the user's message, gets a synthetic
 * turn.started per message, and is not treated as resumable.
 * Ownership: rows are kept for the life of the process (a handful).
 */
#include "nz_state.h"
#include "sa_agent.h"

#include <stdlib.h>
#include <string.h>

static const nz_agent_flags DEFAULT_ROW = { "default", true, false, false, false, false, NULL };
#define MAX_ROWS 16
static nz_agent_flags rows[MAX_ROWS];
static size_t nrows;
static char *dir_set;

void nz_agent_set_dir(const char *dir)
{
    free(dir_set);
    dir_set = dir ? strdup(dir) : NULL;
}

const nz_agent_flags *nz_agent_lookup(const char *name)
{
    if (!name) return &DEFAULT_ROW;
    for (size_t i = 0; i < nrows; i++)
        if (!strcmp(rows[i].name, name)) return &rows[i];
    if (nrows == MAX_ROWS) return &DEFAULT_ROW;
    char *dir = sa_agent_dir(dir_set);
    sa_agent_desc d;
    char err[512];
    int rc = sa_agent_load(dir, name, &d, err, sizeof err);
    free(dir);
    if (rc < 0) return &DEFAULT_ROW;
    char *n = strdup(name);
    if (!n) { sa_agent_free(&d); return &DEFAULT_ROW; }
    rows[nrows] = (nz_agent_flags){
        .name = n,
        .item_started = sa_agent_flag(&d, "normalize.item_started", DEFAULT_ROW.item_started),
        .native_turn_started = sa_agent_flag(&d, "normalize.native_turn_started", DEFAULT_ROW.native_turn_started),
        .synth_user = sa_agent_flag(&d, "normalize.synth_user", DEFAULT_ROW.synth_user),
        .resumable = sa_agent_flag(&d, "normalize.resumable", DEFAULT_ROW.resumable),
        .turn_end_from_sa = sa_agent_flag(&d, "normalize.turn_end_from_sa", DEFAULT_ROW.turn_end_from_sa),
        .question_tools = cJSON_Duplicate(sa_agent_get(&d, "question_tools"), 1),
    };
    sa_agent_free(&d);
    return &rows[nrows++];
}

bool nz_agent_question_tool(const nz_agent_flags *fl, const char *tool)
{
    const cJSON *e;
    if (!fl || !tool) return false;
    cJSON_ArrayForEach(e, fl->question_tools)
        if (cJSON_IsString(e) && !strcmp(e->valuestring, tool)) return true;
    return false;
}
