/*
 * agent.h — the per-agent part of sa-spawn: a wire-protocol module behind a
 * small vtable.  What sa knows about an agent that is not wire protocol
 * (executable, modes, flags) is its description file (lib/sa_agent.h),
 * whose "protocol" member names the module here.  Adding an agent = its
 * NAME.json + NAME.jq, and, when no existing module speaks its protocol, one
 * agent_<proto>.c defining an sp_agent plus one line in agent.c.
 *
 * The session loop owns processes, turns and HITL bookkeeping; a module
 * knows its command line and wire format, and may keep per-session state
 * (state_size bytes, zeroed, from sp_session_state; released by
 * free_state).  Agents that speak a long-lived protocol over stdio with
 * requests in both directions (codex app-server JSON-RPC) use on_start for
 * their handshake, hold a turn's message until the handshake is done, and
 * correlate their own requests with the responses (sp_rpc in rpc.c);
 * annotate lets them add to a native line what sa-normalize needs (the
 * method a JSON-RPC response answers).  Agents whose native interface is
 * HTTP (opencode serve) are meant to sit behind a small bridge executable
 * that speaks this same line protocol on stdio, so the loop never needs
 * sockets of its own.  Agents that run one process per turn (amp --execute)
 * set per_turn: the loop starts no process at session start, starts one for
 * each turn (with the native id as resume after the first), and hands a
 * turn's message only to a fresh process; such a module closes the agent's
 * stdin after the message (sp_session_close_input) and stops a turn by
 * ending its process (sp_session_interrupt).
 * Ownership: argv/env arrays returned by build_argv are freed by the caller
 * with sp_strv_free; annotate returns a malloc'd line the caller frees;
 * every other call borrows its arguments.
 */
#ifndef SA_SPAWN_AGENT_H
#define SA_SPAWN_AGENT_H

#include "sp.h"

struct sp_agent {
    const char *name;         /* the protocol name descriptions use */
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
    /* Optional hooks (NULL = none). */
    size_t state_size;                        /* per-session state, zeroed */
    void (*on_start)(sp_session *s);          /* each process, after spawned */
    void (*on_exit)(sp_session *s);           /* each process, once it is gone */
    void (*free_state)(sp_session *s);        /* at the end of the run */
    /* A replacement for one native stdout line (malloc'd, *outlen set), or
     * NULL to pass the line on verbatim.  Called before on_line. */
    char *(*annotate)(sp_session *s, const char *line, size_t len, size_t *outlen);
    /* One process per turn (see the top of this file); false = one process
     * for the whole session, started at once and restarted when needed. */
    bool per_turn;
};

/* Replies for agents whose native input is JSON lines naming the request
 * by id (the mock, sa-opencode-bridge): {"type":"permission","id","reply"}
 * and {"type":"question","id","answers"} (answers null = rejected). */
void sp_agent_line_permission_reply(sp_session *s, const sp_pending *p, const char *reply);
void sp_agent_line_question_reply(sp_session *s, const sp_pending *q, const sp_pending *linked,
                                  const cJSON *answers);

/* The module for a description's "protocol", or NULL. */
const sp_agent *sp_agent_find(const char *protocol);
const char *sp_agent_protocols(void);      /* "mock, claude, codex, opencode, amp, pi" */

extern const sp_agent sp_agent_mock;
extern const sp_agent sp_agent_claude;
extern const sp_agent sp_agent_codex;
extern const sp_agent sp_agent_opencode;
extern const sp_agent sp_agent_amp;
extern const sp_agent sp_agent_pi;

#endif
