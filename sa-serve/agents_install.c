/*
 * agents_install.c — POST /v1/agents/{agent}/install (v0.1.11 §1.5) without
 * blocking the event loop.
 *
 * The install itself is `sa install-agent AGENT [--reinstall] --agents-dir
 * DIR` (sa/install.c: npm into the agent cache, the pin from the agent
 * description), run as a child through ag_run (agents_run.c: own process
 * group, output collected as it comes, a deadline), found beside sa-serve
 * or on PATH.  The request is answered when the child is done: 204 on exit
 * status 0, else 500 install_failed with details.stderr = the last
 * INSTALL_TAIL bytes of its output (npm's error).  While an agent is being
 * installed, further install requests for it wait for the same run (at most
 * INSTALL_WAITERS).  A description without "npm" and no executable is 404
 * agent_not_installed, as before.  After an install the agent's version is
 * probed (ag_installed_changed).  $SA_NPM, $SA_AGENT_NPM_SPEC and
 * $SA_AGENT_CACHE reach the child through sa-serve's environment.
 * ag_install_then waits for the same run with a callback instead of a
 * request: a session create of an agent not yet installed (sessions.c).
 *
 * Ownership: the per-agent state is private (allocated at the first
 * install, freed by ag_install_free); waiting requests are answered by
 * the run's end or at shutdown.
 */
#include "serve.h"
#include "http.h"
#include "agents_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define INSTALL_WAITERS 16
#define INSTALL_TAIL    4000u
#define INSTALL_OUT_MAX (4u << 20)
#define INSTALL_MS      (15u * 60u * 1000u)

typedef struct waiter {
    struct evhttp_request *req;         /* answered 204 / install_failed, or */
    ag_install_cb cb;                   /* called with the outcome */
    void *arg;
} waiter;

typedef struct inst {
    ag_run run;
    waiter wait[INSTALL_WAITERS];
    int nwait;
} inst;

static inst *tab;
static size_t ntab;

void ag_install_failed(struct evhttp_request *req, const char *id, const char *out)
{
    char detail[300];
    snprintf(detail, sizeof detail, "install failed: %s", id);
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "agent", id);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(ext, "details"), "stderr", out);
    http_problem(req, HTTP_ERR_INSTALL_FAILED, 0, detail, ext);
}

static void answer_all(inst *in, bool ok, const char *id, const char *out)
{
    int n = in->nwait;
    waiter w[INSTALL_WAITERS];
    memcpy(w, in->wait, (size_t)n * sizeof w[0]);
    in->nwait = 0;                       /* a callback may start another install */
    for (int i = 0; i < n; i++) {
        if (w[i].cb) w[i].cb(in->run.s, ok, id, out, w[i].arg);
        else if (ok) http_no_content(w[i].req);
        else ag_install_failed(w[i].req, id, out);
    }
}

static void on_done(ag_run *r)
{
    inst *in = &tab[r->agent];
    const char *id = r->s->agents[r->agent].id;
    size_t n = r->out ? evbuffer_get_length(r->out) : 0;
    size_t from = n > INSTALL_TAIL ? n - INSTALL_TAIL : 0;
    char *out = malloc(n - from + 64);
    if (!out) { answer_all(in, false, id, "out of memory"); return; }
    if (r->out && n > from) {
        evbuffer_drain(r->out, from);
        evbuffer_copyout(r->out, out, n - from);
    }
    out[n - from] = '\0';
    bool ok = !r->failed && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
    if (r->failed) strcat(out, "\n(install timed out or printed too much)");
    sa_notice("install of %s %s", id, ok ? "done" : "failed");
    answer_all(in, ok, id, out);
    free(out);
    if (ok) ag_installed_changed(r->s, r->agent);
}

/* Add a waiter for an install of s->agents[idx], starting the run when none
 * is going.  false (nothing added) when too many wait or out of memory. */
static bool install_wait(srv *s, size_t idx, bool reinstall, waiter w)
{
    const sa_agent_desc *a = &s->agents[idx];
    if (!tab) {
        tab = calloc(s->n_agents ? s->n_agents : 1, sizeof *tab);
        if (!tab) return false;
        ntab = s->n_agents;
    }
    inst *in = &tab[idx];
    if (in->nwait == INSTALL_WAITERS) return false;
    in->wait[in->nwait++] = w;
    if (in->run.active) return true;            /* answered when the running install ends */
    char *sa = sa_find_exec("sa", true);
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, cJSON_CreateString("install-agent"));
    cJSON_AddItemToArray(args, cJSON_CreateString(a->id));
    if (reinstall) cJSON_AddItemToArray(args, cJSON_CreateString("--reinstall"));
    if (s->cfg.agents_dir) {
        cJSON_AddItemToArray(args, cJSON_CreateString("--agents-dir"));
        cJSON_AddItemToArray(args, cJSON_CreateString(s->cfg.agents_dir));
    }
    in->run.s = s;
    in->run.agent = idx;
    int rc = sa ? ag_run_start(s, &in->run, sa, args, INSTALL_OUT_MAX, INSTALL_MS, true, on_done) : -1;
    cJSON_Delete(args);
    if (rc < 0) answer_all(in, false, a->id, sa ? "cannot start sa install-agent" : "sa not found beside sa-serve or on PATH");
    else sa_notice("installing %s (sa install-agent, pid %ld)", a->id, (long)in->run.pid);
    free(sa);
    return true;
}

void ag_not_installed(struct evhttp_request *req, const sa_agent_desc *a, const char *why)
{
    char detail[300];
    snprintf(detail, sizeof detail, "agent not installed: %s", a->id);
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "agent", a->id);
    if (why) cJSON_AddStringToObject(cJSON_AddObjectToObject(ext, "details"), "message", why);
    http_problem(req, HTTP_ERR_AGENT_NOT_INSTALLED, 0, detail, ext);
}

bool ag_installable(const sa_agent_desc *a)
{
    return sa_agent_get(a, "npm") != NULL;
}

void ag_install(srv *s, struct evhttp_request *req, size_t idx, bool reinstall)
{
    const sa_agent_desc *a = &s->agents[idx];
    bool installed = ag_installed(a);
    if (!reinstall && installed) { http_no_content(req); return; }
    if (!ag_installable(a) && !installed) {
        ag_not_installed(req, a, "the agent's description names no npm package; install its CLI and put it on PATH");
        return;
    }
    if (!install_wait(s, idx, reinstall, (waiter){req, NULL, NULL}))
        http_problemf(req, HTTP_ERR_INSTALL_FAILED, "install failed: %s: too many install requests waiting", a->id);
}

bool ag_install_then(srv *s, size_t idx, ag_install_cb cb, void *arg)
{
    return install_wait(s, idx, false, (waiter){NULL, cb, arg});
}

void ag_install_shutdown(void)
{
    for (size_t i = 0; i < ntab; i++) {
        if (!tab[i].run.active) continue;
        tab[i].run.failed = true;
        ag_run_finish(&tab[i].run);             /* kills it and answers the waiters */
    }
}

void ag_install_free(void)
{
    ag_install_shutdown();
    for (size_t i = 0; i < ntab; i++) ch_forget(&tab[i].run);
    free(tab);
    tab = NULL;
    ntab = 0;
}
