/*
 * sp.h — internals of sa-spawn, stage 1 of the sa pipeline: run one
 * coding agent, feed it universal input commands, pass its native stdout
 * through and add sa-spawn's own {"sa":...} lines (see sa-spawn(1)).
 *
 * Modules (prefix sp_):
 *   buf.c      sp_buf: a growable byte buffer.
 *   errcap.c   sp_errcap: bounded head/tail capture of the agent's stderr.
 *   hitl.c     sp_hitl: pending permission/question requests, the
 *              "always" cache, HITL deadlines.
 *   input.c    sp_cmd_parse: one universal input command line -> sp_cmd.
 *   proc.c     sp_proc: start the agent (posix_spawn, own session and
 *              process group, pipes), stop its group, reap it.
 *   emit.c     sp_emit_*: sa-spawn's own output lines.
 *   session.c  sp_session_run: the poll(2) loop and turn state machine.
 *   agent.c    sp_agent_find: the wire-protocol modules; agent_mock.c,
 *              agent_claude.c, agent_codex.c, agent_opencode.c,
 *              agent_amp.c and agent_pi.c implement the sp_agent vtable (agent.h).
 *   rpc.c      sp_rpc: JSON-RPC request ids and the methods they await.
 *   sandbox.c  sp_sbx_*: --sandbox, the agent's confinement (bwrap).
 *   mcp.c      sp_mcp_*: --mcp (the session's MCP servers) and their shape
 *              for each agent.
 * Ownership: every struct owns the strings and cJSON trees it points to and
 * frees them in its _free or _clear function; functions that take a
 * `char *` or `cJSON *` by value to store it say "takes" in their comment,
 * everything else borrows.
 */
#ifndef SA_SPAWN_H
#define SA_SPAWN_H

#include "sa.h"
#include "sa_agent.h"
#include <cJSON.h>
#include <sys/types.h>

/* ---- options (main.c fills, everything else reads) ---- */
typedef struct sp_opts {
    const char *agent;        /* the agent's id (its description's file name) */
    const sa_agent_desc *desc; /* its description (main.c owns it) */
    const char *session;      /* sa session id */
    const char *cwd;          /* NULL = inherit */
    const char *model;
    const char *mode;         /* build | plan */
    const char *perm_mode;    /* default | plan | bypass | acceptEdits: the mode the
                                 agent runs (after the description's aliases) */
    const char *resume;       /* native session id to resume, or NULL */
    int64_t     resumed_at;   /* --resumed-at: unix ms of the message that woke a parked
                                 session (its agent's first line gets a resumed line), or 0 */
    const char *control;      /* NULL = stdin */
    const char *agent_bin;    /* NULL = search */
    uint64_t    hitl_timeout; /* seconds; 0 = never */
    char       *prime;        /* --prime FILE contents (owned), or NULL */
    const char **env;         /* --env K=V, n_env entries (borrowed argv strings) */
    size_t      n_env;
    int         grace_ms;     /* SIGTERM -> SIGKILL grace */
    const char *extension;    /* the description's "extension" file, resolved
                                 in the agents directory (main.c owns it), or NULL */
    const cJSON *mcp;         /* --mcp: the servers map of sa's MCP form (mcp.c owns it), or NULL */
    bool        mcp_strict;   /* ... and its "strict": only these servers */
    const char *mcp_file;     /* ... the file's path */
    const char *skills;       /* --skills: the session's skills root (DIR/skills/<name>), or NULL */
    const char *agents_dir;   /* the agents directory in use (main.c owns it), or NULL */
    int         sandbox;      /* SP_SBX_BWRAP or SP_SBX_NONE once resolved */
    const char *bwrap;        /* bwrap's path when sandbox is SP_SBX_BWRAP (main.c owns it) */
    const char **hide;        /* --sandbox-hide PATH, n_hide entries (borrowed argv strings) */
    size_t      n_hide;
    const char **write;       /* --sandbox-write DIR, n_write entries (borrowed argv strings) */
    size_t      n_write;
} sp_opts;

/* ---- buf.c ---- */
typedef struct sp_buf { char *p; size_t len, cap; } sp_buf;
void sp_buf_add(sp_buf *b, const void *s, size_t n);
void sp_buf_adds(sp_buf *b, const char *s);
void sp_buf_consume(sp_buf *b, size_t n);      /* drop n bytes from the front */
void sp_buf_free(sp_buf *b);
/* strdup that exits with status 1 ("out of memory") on failure. */
char *sp_xstrdup(const char *s);
/* Append cJSON_PrintUnformatted(j) + "\n"; false on failure. */
bool sp_buf_add_json_line(sp_buf *b, const cJSON *j);

/* ---- errcap.c ---- */
#define SP_ERR_HEAD 20
#define SP_ERR_TAIL 50
#define SP_ERR_LINE 500
typedef struct sp_errcap {
    char  *head[SP_ERR_HEAD];
    char  *tail[SP_ERR_TAIL];   /* ring buffer */
    size_t nhead, ntail, tpos;
    uint64_t total;
} sp_errcap;
void sp_errcap_add(sp_errcap *c, const char *line, size_t len);
/* {"head":..,"tail":..,"truncated":..,"total_lines":N}, or JSON null when
 * no line was seen.  Caller owns the result. */
cJSON *sp_errcap_json(const sp_errcap *c);
void sp_errcap_clear(sp_errcap *c);

/* ---- hitl.c ---- */
/* SP_EARLY: a question answered before the agent's control request for it
 * arrived (data = {"answers": [[...]] | null}); used once, when it arrives. */
enum { SP_PERM = 1, SP_QUESTION = 2, SP_EARLY = 3 };
typedef struct sp_pending {
    int    kind;
    char  *id;         /* universal id (= native id) */
    char  *key;        /* "always" cache key (permissions), or NULL */
    char  *link;       /* id of the linked request of the other kind, or NULL */
    cJSON *data;       /* agent-specific details (owned) */
    int64_t deadline;  /* monotonic ms; 0 = none */
    bool   await_link; /* question whose answer needs a control request not yet seen */
    struct sp_pending *next;
} sp_pending;
/* A permission or question reply that arrived before its request (a control
 * file or pipe is read ahead of the agent): held until the request appears,
 * at most SP_HELD_MAX of them, each until its deadline. */
#define SP_HELD_MAX 64
/* Ids of the last SP_DONE_MAX resolved requests: a reply to one of them is
 * refused at once instead of being held. */
#define SP_DONE_MAX 256
typedef struct sp_held {
    struct sp_cmd *cmd;  /* the reply (owned): SP_CMD_PERM_REPLY, _Q_REPLY or _Q_REJECT */
    char   *line;        /* its input line (owned), for the input_error if unused */
    int64_t deadline;    /* monotonic ms; 0 = none */
    struct sp_held *next;
} sp_held;
typedef struct sp_hitl {
    sp_pending *list;
    char **always;     /* cached keys */
    size_t nalways;
    sp_held *held;     /* in arrival order */
    size_t nheld;
    struct { int kind; char *id; } done[SP_DONE_MAX];   /* ring */
    size_t done_pos;
} sp_hitl;
/* Takes data.  Replaces an entry with the same kind and id. */
sp_pending *sp_hitl_add(sp_hitl *h, int kind, const char *id, const char *key,
                        const char *link, cJSON *data, int64_t deadline);
sp_pending *sp_hitl_find(sp_hitl *h, int kind, const char *id);
/* Remove (and free) p; a permission or question id is remembered as done. */
void sp_hitl_remove(sp_hitl *h, sp_pending *p);
/* Whether a request of this kind and id was resolved recently (done ring). */
bool sp_hitl_was_done(const sp_hitl *h, int kind, const char *id);
/* Hold a reply (takes cmd, a malloc'd sp_cmd, and copies line).  False when
 * SP_HELD_MAX replies are held already (cmd is then not taken). */
bool sp_hitl_hold(sp_hitl *h, struct sp_cmd *cmd, const char *line, int64_t deadline);
/* The held reply for a request of kind SP_PERM or SP_QUESTION with this id,
 * unlinked from the list (caller frees it with sp_hitl_held_free), or NULL. */
sp_held *sp_hitl_take_held(sp_hitl *h, int kind, const char *id);
/* The first held reply whose deadline is <= now (unlinked), or NULL. */
sp_held *sp_hitl_take_expired_held(sp_hitl *h, int64_t now_ms);
/* The first held reply (unlinked), or NULL. */
sp_held *sp_hitl_take_any_held(sp_hitl *h);
void sp_hitl_held_free(sp_held *x);
/* The entry with the earliest deadline <= now, or NULL. */
sp_pending *sp_hitl_expired(sp_hitl *h, int64_t now_ms);
/* Earliest deadline of a request or a held reply, or 0 if none. */
int64_t sp_hitl_next_deadline(const sp_hitl *h);
bool sp_hitl_always_has(const sp_hitl *h, const char *key);
void sp_hitl_always_add(sp_hitl *h, const char *key);
void sp_hitl_clear_pending(sp_hitl *h);
void sp_hitl_free(sp_hitl *h);

/* ---- input.c ---- */
enum { SP_CMD_MESSAGE = 1, SP_CMD_PERM_REPLY, SP_CMD_Q_REPLY, SP_CMD_Q_REJECT,
       SP_CMD_CANCEL, SP_CMD_TERMINATE, SP_CMD_PARK };
typedef struct sp_cmd {
    int    type;
    cJSON *json;          /* the parsed line (owned); fields below point into it */
    const char *message;  /* message */
    cJSON *attachments;   /* message: array or NULL */
    const char *id;       /* permission_id / question_id */
    const char *reply;    /* once | always | reject */
    const char *actor;    /* replies: who answered (sa-serve's token name), or NULL */
    cJSON *answers;       /* question.reply: array of arrays of strings */
    int64_t idle_ms;      /* park: how long the session was idle (-1 = not given) */
} sp_cmd;
/* Parse one input line.  0 ok; -1 with a message in err. */
int  sp_cmd_parse(const char *line, sp_cmd *cmd, char *err, size_t errlen);
void sp_cmd_free(sp_cmd *cmd);
/* The prompt text for agents that take attachments as text (sandbox-agent
 * rule): message + "\n\nAttachments:\n" + "- PATH\n" per attachment.
 * Caller frees. */
char *sp_prompt_text(const char *message, const cJSON *attachments);
/* The text of a first message for agents that take the --prime text inline:
 * prime + "\n\n" + text, or a copy of text when prime is NULL.  Caller frees. */
char *sp_prime_join(const char *prime, const char *text);

/* ---- proc.c ---- */
typedef struct sp_proc {
    pid_t pid;          /* 0 = none */
    int   in, out, err; /* our ends; -1 when closed */
    int   pidfd;        /* -1 if pidfd_open is unavailable */
    bool  exited;
    int   status;       /* waitpid status once exited */
} sp_proc;
/* Start argv[0] (a path) with envp in cwd (NULL = ours), in a new session
 * (so its own process group).  0 ok; -1 with err set ("cannot execute X: why"). */
int  sp_proc_start(sp_proc *p, char *const argv[], char *const envp[], const char *cwd,
                   bool ignore_sigs, char *err, size_t errlen);
/* Reap without blocking; true once the leader has exited. */
bool sp_proc_reap(sp_proc *p);
/* Signal the whole group. */
void sp_proc_kill(sp_proc *p, int sig);
bool sp_proc_group_alive(const sp_proc *p);
void sp_proc_close_in(sp_proc *p);
void sp_proc_close(sp_proc *p);     /* close every fd we hold */

/* Build envp: environ minus keys overridden by extra (K=V strings), plus
 * extra.  Returns a NULL-terminated malloc'd array of malloc'd strings. */
char **sp_env_build(const char *const *extra, size_t n);
void sp_strv_free(char **v);
/* What the agent will see for VAR from outside: the last --env VAR=...,
 * else sa-spawn's own environment, else NULL.  Borrowed. */
const char *sp_env_value(const sp_opts *o, const char *var);

/* ---- sandbox.c ---- */
enum { SP_SBX_AUTO = 1, SP_SBX_BWRAP, SP_SBX_NONE };
#define SP_SBX_HIDE_MAX 32
/* --sandbox NAME -> SP_SBX_*, or -1. */
int  sp_sbx_parse(const char *name);
const char *sp_sbx_name(int kind);
/* Decide what runs: SP_SBX_NONE when asked; else bwrap when a trial run of
 * it works (auto, or probe) or it is on PATH (bwrap) (*bwrap_path = its
 * path, caller frees); -1 with err otherwise. */
int  sp_sbx_resolve(int want, bool probe, char **bwrap_path, char *err, size_t n);
/* bwrap's command line around argv (agent argv[0] a path) for o and cwd
 * (NULL = ours).  Caller frees with sp_strv_free. */
char **sp_sbx_wrap(const sp_opts *o, const char *bwrap, char *const argv[], const char *cwd);
/* 0 when PATH can be executed (and its #! interpreter exists), else the
 * errno execve would give. */
int  sp_sbx_precheck(const char *path);

/* ---- mcp.c ---- */
/* Read --mcp PATH into o->mcp / mcp_strict / mcp_file.  0 ok; -1 with err. */
int    sp_mcp_load(sp_opts *o, const char *path, char *err, size_t n);
void   sp_mcp_free(void);
/* Each agent's form of o->mcp (enabled servers only); caller frees. */
cJSON *sp_mcp_claude(const sp_opts *o);     /* {"mcpServers": {...}} */
cJSON *sp_mcp_codex(const sp_opts *o);      /* the mcp_servers table */
cJSON *sp_mcp_opencode(const sp_opts *o);   /* opencode's "mcp" section */
cJSON *sp_mcp_amp(const sp_opts *o);        /* amp's --mcp-config servers map */
/* Write doc to MCPFILE.AGENT.json (0600); its path (caller frees) or NULL. */
char  *sp_mcp_side_file(const sp_opts *o, const char *agent, const cJSON *doc);

/* ---- session.c / emit.c ---- */
typedef struct sp_session sp_session;
typedef struct sp_agent sp_agent;

/* What agents report from their output (called from agent on_line). */
void sp_session_native_id(sp_session *s, const char *id);
void sp_session_turn_end(sp_session *s);
/* A permission request: key = always-cache key (NULL = never cached).
 * Takes data.  link = linked question id or NULL. */
void sp_session_permission(sp_session *s, const char *id, const char *key,
                           const char *link, cJSON *data);
/* A question request.  Takes data.  link = linked permission id or NULL. */
void sp_session_question(sp_session *s, const char *id, const char *link, cJSON *data);
/* A question seen in the agent's output before its control request (claude's
 * AskUserQuestion tool_use): answerable at once; the answer is held until
 * sp_session_question_link names the request.  Takes data. */
void sp_session_question_early(sp_session *s, const char *id, cJSON *data);
/* The control request `perm_id` for question `qid` arrived.  Returns true when
 * the question was already answered (the agent has been replied to and no
 * permission is pending); false: register the permission as usual. */
bool sp_session_question_link(sp_session *s, const char *qid, const char *perm_id, cJSON *perm_data);
/* The agent withdrew a request (claude control_cancel_request). */
void sp_session_withdraw(sp_session *s, const char *id);
/* Bytes for the agent's stdin. */
void sp_session_send(sp_session *s, const char *bytes, size_t n);
void sp_session_send_json(sp_session *s, const cJSON *j);
/* Close the agent's stdin once the bytes queued for it are written (an agent
 * that reads one message and runs until end of input: amp). */
void sp_session_close_input(sp_session *s);
/* End the agent process now: signal its group with sig, wait up to the
 * grace period for it to exit, then stop it as at terminate (SIGTERM,
 * SIGKILL after the grace period).  Its exited line says requested:true.
 * For agents whose only way to stop a turn is to end their process. */
void sp_session_interrupt(sp_session *s, int sig);
/* The agent module's per-session state (state_size bytes), or NULL. */
void *sp_session_state(sp_session *s);
/* Resolve pending permission `id` without asking (the permission mode
 * decides): the agent is answered with reply and a permission.resolved line
 * says by `by`.  False when no such request is pending. */
bool sp_session_auto_resolve(sp_session *s, const char *id, const char *reply, const char *by);
/* Write one {"sa":"agent_error",...}-style line of the agent module's own
 * (takes j); for conditions the agent's output does not show. */
void sp_session_emit(sp_session *s, cJSON *j);
const sp_opts *sp_session_opts(const sp_session *s);
const char *sp_session_native(const sp_session *s);

/* Runs the whole session; returns the exit status (see sa-spawn(1)). */
int sp_session_run(const sp_opts *o);

/* emit.c: write one sa line (takes j) to the output buffer. */
void sp_emit(sp_buf *out, cJSON *j);
cJSON *sp_line_new(const char *what);        /* {"sa":what} */

/* exit codes */
enum { SP_EXIT_OK = 0, SP_EXIT_SYS = 1, SP_EXIT_USAGE = 2, SP_EXIT_SPAWN = 3,
       SP_EXIT_AGENT = 4, SP_EXIT_CONTROL = 5, SP_EXIT_SIGNAL = 6 };

#endif
