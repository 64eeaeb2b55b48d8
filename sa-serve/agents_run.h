/*
 * agents_run.h — ag_run: one short command run asynchronously on sa-serve's
 * event loop with its standard output collected (bounded) and a deadline;
 * agents.c uses it for version probes and model lists.  See agents_run.c.
 * Ownership: the caller owns the ag_run (zeroed or reused); the output
 * buffer lives from ag_run_start until just after `done` returns.
 */
#ifndef SA_SERVE_AGENTS_RUN_H
#define SA_SERVE_AGENTS_RUN_H

#include "serve.h"

typedef struct ag_run ag_run;
struct ag_run {
    srv *s;
    size_t agent;                  /* index into s->agents */
    pid_t pid;                     /* > 0 until reaped */
    int fd, status;
    struct event *ev, *timer;
    struct evbuffer *out;
    size_t max;
    bool active, eof, failed;      /* failed: timeout, overflow or read error */
    void (*done)(ag_run *r);       /* called once, when the run is over */
};

/* Run `path args...` (args: a JSON array of strings, at most 32) with stdout
 * (and stderr too when with_stderr) into r->out, at most max bytes, killed after ms; done(r) is called once
 * when the run is over (r->failed: timeout, overflow or read error).
 * r->s and r->agent are kept.  0 started; -1 nothing to wait for. */
int ag_run_start(srv *s, ag_run *r, const char *path, const cJSON *args, size_t max,
                 unsigned ms, bool with_stderr, void (*done)(ag_run *));
/* End a run now (as failed if r->failed is set): calls done once. */
void ag_run_finish(ag_run *r);

/* ---- install (agents_install.c) ---- */
/* POST /v1/agents/{agent}/install for s->agents[idx]: 204 at once when
 * installed and not reinstall, else `sa install-agent` as a child; the
 * request is answered when it ends. */
void ag_install(srv *s, struct evhttp_request *req, size_t idx, bool reinstall);
/* Install s->agents[idx] (or wait for the install running) and call cb with
 * the outcome (out: the tail of its output) instead of answering a request;
 * false when it cannot wait (too many waiting, out of memory). */
typedef void (*ag_install_cb)(srv *s, bool ok, const char *agent, const char *out, void *arg);
bool ag_install_then(srv *s, size_t idx, ag_install_cb cb, void *arg);
/* Does the agent's description say how to install it (npm)? */
bool ag_installable(const sa_agent_desc *a);
/* Answer req 404 agent_not_installed for a (details.message = why, if not NULL). */
void ag_not_installed(struct evhttp_request *req, const sa_agent_desc *a, const char *why);
/* Answer req 500 install_failed for agent id with out as details.stderr. */
void ag_install_failed(struct evhttp_request *req, const char *id, const char *out);
/* Stop running installs (their requests get install_failed); at shutdown. */
void ag_install_shutdown(void);
/* ag_install_shutdown, then forget the children and free the state; at exit. */
void ag_install_free(void);
/* agents.c: s->agents[idx] was just installed: probe its version. */
void ag_installed_changed(srv *s, size_t idx);

#endif
