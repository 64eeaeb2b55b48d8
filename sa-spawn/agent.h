/*
 * agent.h — the per-agent part of sa-spawn, as a small vtable.  Adding an
 * agent (codex, opencode, pi) = one agent_<name>.c defining an sp_agent and
 * one line in agent.c.  The session loop owns processes, turns and HITL
 * bookkeeping; an agent only knows its command line and its wire format.
 * Ownership: argv/env arrays returned by build_argv are freed by the caller
 * with sp_strv_free; every other call borrows its arguments.
 */
#ifndef SA_SPAWN_AGENT_H
#define SA_SPAWN_AGENT_H

#include "sp.h"

struct sp_agent {
    const char *name;
    const char *bin;          /* default executable name */
    bool beside_self;         /* look beside sa-spawn's own executable first */
    /* argv for a new process (argv[0] = path); resume = native id or NULL. */
    char **(*build_argv)(const sp_opts *o, const char *path, const char *resume);
    /* Extra K=V environment entries (NULL-terminated, malloc'd) or NULL. */
    char **(*extra_env)(const sp_opts *o);
    /* Write one user message (turn n) to the agent; prime = text to put
     * first (first message only) or NULL. */
    void (*send_message)(sp_session *s, int turn, const char *text, const char *prime);
    /* Look at one native stdout line and report what it means. */
    void (*on_line)(sp_session *s, const char *line, size_t len);
    /* Answer a permission: reply = once|always|reject. */
    void (*permission_reply)(sp_session *s, const sp_pending *p, const char *reply);
    /* Answer a question: answers = array of arrays, or NULL = reject. */
    void (*question_reply)(sp_session *s, const sp_pending *q, const sp_pending *linked,
                           const cJSON *answers);
    void (*cancel)(sp_session *s);
};

const sp_agent *sp_agent_find(const char *name);
const char *sp_agent_names(void);          /* "mock, claude" */

extern const sp_agent sp_agent_mock;
extern const sp_agent sp_agent_claude;

#endif
