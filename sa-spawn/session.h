/*
 * session.h — the private state of one sa-spawn run, shared by session.c
 * (control input, turns, HITL, the poll loop) and agentio.c (the agent
 * process: start, output, stop).  The sp_session owns everything it points
 * to except `o` and `ag`.
 */
#ifndef SA_SPAWN_SESSION_H
#define SA_SPAWN_SESSION_H

#include "agent.h"

#define SP_AGENT_LINE_MAX (16u << 20)   /* one native stdout line */
#define SP_CTL_LINE_MAX   (16u << 20)   /* one input command */
#define SP_ERR_LINE_MAX   (64u << 10)   /* one stderr line (cut to 500 for the report) */
#define SP_QUEUE_MAX      1000          /* messages waiting for their turn */
#define SP_OUT_HIGH       (256u << 10)  /* flush our stdout past this */

struct sp_session {
    const sp_opts  *o;
    const sp_agent *ag;
    void   *ast;               /* the agent module's state (ag->state_size) */
    char   *agent_path;
    sp_buf  out;               /* bytes for our stdout */
    bool    out_broken;        /* stdout is gone (EPIPE) */
    /* control input */
    int     ctl_fd;
    bool    ctl_open;
    bool    ctl_failed;        /* read error: exit 5 */
    sa_line ctl;
    /* the agent process */
    sp_proc proc;
    bool    running;
    bool    out_eof, err_eof;
    sa_line aout, aerr;
    sp_errcap cap;
    sp_buf  ain;               /* bytes for the agent's stdin */
    bool    close_in;          /* close its stdin once ain is written */
    bool    stopping;          /* we are stopping it (requested) */
    bool    last_failed;       /* the last process exited with failure, unrequested */
    bool    emit_terminated;   /* write {"sa":"terminated"} before its exited line */
    /* turns */
    sp_cmd *queue;
    size_t  qlen;
    int     turn;
    bool    in_turn;
    bool    prime_sent;
    /* parking (park command) and resuming (--resumed-at) */
    bool    park;              /* park asked: the input has ended; a parked line follows the stop */
    int64_t park_idle_ms;      /* ... its idle_ms, or -1 */
    bool    resume_told;       /* the resumed line was written */
    char   *native;
    sp_hitl hitl;
    const char *actor;         /* who answered the reply being applied (borrowed), or NULL */
    /* end */
    bool    done;
    int     exit_code;
};

/* session.c: resolve (reject, by BY) every request still pending. */
void sp_session_drop_pending(sp_session *s, const char *by);

/* session.c: the resumed line, before the agent's first output line (once,
 * with --resumed-at). */
void sp_session_resumed(sp_session *s);

/* agentio.c */
int  sp_agent_start(sp_session *s);          /* 0, or -1 after a spawn_failed line */
void sp_agent_pump(sp_session *s, short out_ev, short err_ev, bool *more);
void sp_agent_check_exit(sp_session *s);     /* reap; emit exited when gone */
void sp_agent_stop(sp_session *s, bool graceful);
/* Wait up to the grace period for the agent to exit by itself (exited
 * requested:false), else stop it (requested:true). */
void sp_agent_await_exit(sp_session *s);
/* Signal its group with sig, wait up to the grace period, then stop it. */
void sp_agent_interrupt(sp_session *s, int sig);
void sp_agent_flush_in(sp_session *s);
void sp_out_flush(sp_session *s);

#endif
