/*
 * mock.h — internals of sa-mock-agent, the scripted stand-in agent.
 *
 * The mock speaks the native protocol documented in sa-mock-agent(1) and in
 * the "mock agent" section of the team contracts: JSONL requests on stdin,
 * JSONL events (every object has a "mock" key) on stdout.  Modules:
 *   out.c   — a large output buffer with JSON string escaping (mo_*);
 *             written with write(2) whenever the mock is about to wait and
 *             whenever it passes a high-water mark (fast bursts).
 *   input.c — stdin reader: waits for lines with a timeout, keeps lines that
 *             arrive while a turn is busy for later (mi_*).
 *   cmds.c  — one function per command (help, demo, burst, ...) (mc_*).
 *   main.c  — options, the session line, the request loop.
 * Ownership: the single global `mock` state owns every buffer; lines handed
 * out by mi_next() are malloc'd and freed by the caller.
 */
#ifndef SA_MOCK_H
#define SA_MOCK_H

#include "sa.h"
#include <cJSON.h>

typedef struct mock {
    const char *session;
    int   k;                 /* message counter: prefix "mock_<k>" */
    int   turn;              /* the sa-spawn turn number of the current message */
    char  prefix[32];
    /* output */
    char  *ob;
    size_t olen, ocap;
    /* input */
    sa_line in;
    bool   in_eof;
    char **deferred;         /* lines read while busy, replayed later */
    size_t ndeferred;
    bool   cancelled;        /* a cancel arrived during the current turn */
} mock;

extern mock M;

/* ---- out.c ---- */
void mo_raw(const char *s, size_t n);
void mo_str(const char *s);                  /* raw text */
void mo_jstr(const char *s, size_t n);       /* "quoted, escaped" JSON string */
void mo_int(long long v);
void mo_flush(void);                         /* write everything now */
void mo_maybe_flush(void);                   /* write if past the high-water mark */
void mo_end_line(void);                      /* "\n"; flushes unless in a burst */
extern bool mo_batching;                     /* true while a burst runs */

/* ---- input.c ---- */
/* Next input line: deferred ones first, then stdin.  Waits at most
 * timeout_ms (-1 = forever).  Returns 1 with a malloc'd *line, 0 on
 * timeout, -1 at end of input. */
int  mi_next(int timeout_ms, char **line);
/* The same, but stdin only (deferred lines are left alone). */
int  mi_read(int timeout_ms, char **line);
void mi_defer(char *line);                   /* takes ownership */
/* Drain input that is ready now without waiting: cancel sets M.cancelled,
 * anything else is deferred.  Returns -1 at end of input. */
int  mi_poll_cancel(void);
void mi_free(void);

/* ---- main.c ---- */
_Noreturn void mock_exit(void);             /* flush, free, exit 0 */

/* ---- cmds.c ---- */
void mc_run(const char *text);               /* one user message = one turn body */
/* Shared item emitters. */
void mc_item_line(const char *event, const char *suffix, const char *kind, const char *role,
                  const char *content_json, const char *status);
void mc_reply(const char *suffix, const char *text);

#endif
