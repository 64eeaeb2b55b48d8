/*
 * agents.c — the agent table and /v1/agents, /v1/agents/{a}/modes,
 * /models and /install (sandbox-agent v0.1.11 §1.5, capabilities §3.1).
 *
 * Known agents: claude, codex, opencode, amp, mock (that order).  sa-spawn
 * drives claude and mock; codex, opencode and amp are listed (installed when
 * their binary is on PATH) but a session with them fails in sa-spawn.
 * Installing from the network is not possible here: install answers 204
 * when the binary is present and 404 agent_not_installed otherwise.
 *
 * Versions: the first GET /v1/agents runs `<bin> --version` for every
 * installed agent, asynchronously (children.c reaps them), and answers once
 * they are all done or after 3 s; results are cached for the server's life.
 * Modes and models are the static v0.1.11 tables (claude's model list is its
 * documented fallback, since fetching it needs the network).
 *
 * Ownership: probe state is private; deferred requests are answered by
 * probe completion, the timer, or ag_shutdown.
 */
#include "serve.h"
#include "http.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const ag_info agents[] = {
    {"claude", "claude", true, true, "default"},
    {"codex", "codex", true, false, NULL},
    {"opencode", "opencode", true, false, NULL},
    {"amp", "amp", true, false, "amp-default"},
    {"mock", "sa-mock-agent", false, true, "mock"},
};
#define N_AGENTS (sizeof agents / sizeof agents[0])

static const char *const cap_names[18] = {
    "planMode", "permissions", "questions", "toolCalls", "toolResults", "textMessages", "images",
    "fileAttachments", "sessionLifecycle", "errorEvents", "reasoning", "status", "commandExecution",
    "fileChanges", "mcpTools", "streamingDeltas", "itemStarted", "sharedProcess"};
static const char *const caps[N_AGENTS] = {
    "011111000000001100",   /* claude */
    "111111111111111111",   /* codex */
    "000111111100001111",   /* opencode */
    "000111000100001000",   /* amp */
    "111111111111111110",   /* mock */
};

const ag_info *ag_find(const char *id)
{
    for (size_t i = 0; i < N_AGENTS; i++)
        if (!strcmp(agents[i].id, id)) return &agents[i];
    return NULL;
}

static char *ag_path(const ag_info *a)
{
    return sa_find_exec(a->bin, !strcmp(a->id, "mock"));
}

bool ag_installed(const ag_info *a)
{
    char *p = ag_path(a);
    bool ok = p != NULL;
    free(p);
    return ok;
}

static bool in(const char *v, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(v, *set)) return true;
    return false;
}

bool ag_normalize_modes(struct evhttp_request *req, const ag_info *a, const char *am, const char *pm,
                        const char **am_out, const char **pm_out)
{
    static const char *const build_plan[] = {"build", "plan", NULL}, *const build[] = {"build", NULL};
    static const char *const perm_all[] = {"default", "plan", "bypass", "acceptEdits", NULL};
    static const char *const perm_amp[] = {"default", "bypass", NULL}, *const perm_oc[] = {"default", NULL};
    static const char *const perm_mock[] = {"default", "plan", "bypass", NULL};
    const char *bad = NULL;
    if (!am) am = "build";
    if (!pm) pm = "default";
    if (strcmp(a->id, "opencode") && !in(am, strcmp(a->id, "amp") ? build_plan : build)) bad = am;
    if (!bad) {
        if (!in(pm, perm_all)) {
            http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: invalid permission mode: %.200s", pm);
            return false;
        }
        if (!strcmp(pm, "acceptEdits") && strcmp(a->id, "claude") && strcmp(a->id, "codex")) pm = "default";
        const char *const *allowed = !strcmp(a->id, "amp") ? perm_amp : !strcmp(a->id, "opencode") ? perm_oc
                                     : !strcmp(a->id, "mock") ? perm_mock : perm_all;
        /* claude + bypass as root: allowed, because sa-spawn runs claude with
         * IS_SANDBOX=1 (v0.1.11 refuses it with 400). */
        if (!in(pm, allowed)) bad = pm;
    }
    if (bad) {
        char detail[300];
        snprintf(detail, sizeof detail, "mode not supported: %s %.200s", a->id, bad);
        cJSON *ext = cJSON_CreateObject();
        cJSON_AddStringToObject(ext, "agent", a->id);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(ext, "details"), "mode", bad);
        http_problem(req, HTTP_ERR_MODE_NOT_SUPPORTED, 0, detail, ext);
        return false;
    }
    *am_out = am;
    *pm_out = pm;
    return true;
}

/* ---- version probes ---- */

typedef struct probe {
    pid_t pid;
    int fd;
    struct event *ev;
    char buf[256];
    size_t len;
    bool done;
} probe;

static char *versions[N_AGENTS];
static probe probes[N_AGENTS];
static bool probing, probed;
static struct evhttp_request *deferred[64];
static int n_deferred;
static struct event *probe_timer;

static cJSON *agents_json(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "agents");
    for (size_t i = 0; i < N_AGENTS; i++) {
        const ag_info *a = &agents[i];
        cJSON *e = cJSON_CreateObject();
        char *path = ag_path(a);
        cJSON_AddStringToObject(e, "id", a->id);
        cJSON_AddBoolToObject(e, "installed", path != NULL);
        bool cred;
        const char *home = getenv("HOME");
        char f[1024];
        bool anth = getenv("ANTHROPIC_API_KEY") || getenv("CLAUDE_API_KEY") ||
                    getenv("CLAUDE_CODE_OAUTH_TOKEN") || getenv("ANTHROPIC_AUTH_TOKEN");
        if (!anth && home) { snprintf(f, sizeof f, "%s/.claude/.credentials.json", home); anth = !access(f, R_OK); }
        bool oai = getenv("OPENAI_API_KEY") || getenv("CODEX_API_KEY");
        if (!oai && home) { snprintf(f, sizeof f, "%s/.codex/auth.json", home); oai = !access(f, R_OK); }
        if (!strcmp(a->id, "mock")) cred = true;
        else if (!strcmp(a->id, "codex")) cred = oai;
        else if (!strcmp(a->id, "opencode")) cred = oai || anth;
        else cred = anth;
        cJSON_AddBoolToObject(e, "credentialsAvailable", cred);
        if (versions[i]) cJSON_AddStringToObject(e, "version", versions[i]);
        if (path) cJSON_AddStringToObject(e, "path", path);
        free(path);
        cJSON *c = cJSON_AddObjectToObject(e, "capabilities");
        for (int k = 0; k < 18; k++) cJSON_AddBoolToObject(c, cap_names[k], caps[i][k] == '1');
        if (caps[i][17] == '1') {
            cJSON *st = cJSON_AddObjectToObject(e, "serverStatus");
            cJSON_AddStringToObject(st, "status", "stopped");
            cJSON_AddNumberToObject(st, "restartCount", 0);
        }
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

static void answer_deferred(void)
{
    for (int i = 0; i < n_deferred; i++) http_json(deferred[i], 200, agents_json());
    n_deferred = 0;
}

static void probe_end(size_t i)
{
    probe *p = &probes[i];
    if (p->done) return;
    p->done = true;
    if (p->ev) { event_free(p->ev); p->ev = NULL; }
    if (p->fd >= 0) { close(p->fd); p->fd = -1; }
    p->buf[p->len] = '\0';
    char *nl = strchr(p->buf, '\n');
    if (nl) *nl = '\0';
    char *ver = NULL;
    for (char *tok = strtok(p->buf, " \t\r"); tok; tok = strtok(NULL, " \t\r"))
        if (tok[0] >= '0' && tok[0] <= '9') { ver = tok; break; }
    if (!ver && p->buf[0]) ver = p->buf;
    if (ver) versions[i] = strdup(ver);
}

static void probes_check(void)
{
    for (size_t i = 0; i < N_AGENTS; i++)
        if (!probes[i].done || probes[i].pid > 0) return;
    probing = false;
    probed = true;
    answer_deferred();
}

static void on_probe_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    size_t i = (size_t)(uintptr_t)arg;
    probe *p = &probes[i];
    ssize_t n = read(fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
    if (n > 0) p->len += (size_t)n;
    if (n <= 0 || p->len == sizeof p->buf - 1) { probe_end(i); probes_check(); }
}

static void on_probe_exit(pid_t pid, int status, void *arg)
{
    (void)pid; (void)status;
    size_t i = (size_t)(uintptr_t)arg - 1;
    probes[i].pid = 0;
    probes_check();
}

static void on_probe_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    for (size_t i = 0; i < N_AGENTS; i++) {
        if (probes[i].pid > 0) kill(probes[i].pid, SIGKILL);
        probe_end(i);
    }
    probing = false;
    probed = true;
    answer_deferred();   /* the exits still get reaped */
}

static void probes_start(srv *s)
{
    probing = true;
    for (size_t i = 0; i < N_AGENTS; i++) {
        probe *p = &probes[i];
        p->fd = -1;
        char *path = ag_path(&agents[i]);
        int fds[2];
        if (!path || pipe2(fds, O_CLOEXEC) < 0) { free(path); p->done = true; continue; }
        char *argv[] = {path, "--version", NULL};
        p->pid = ch_spawn(argv, -1, fds[1], 0, SIGKILL, NULL, NULL);
        close(fds[1]);
        free(path);
        if (p->pid < 0) { p->pid = 0; close(fds[0]); p->done = true; continue; }
        ch_watch(p->pid, on_probe_exit, (void *)(uintptr_t)(i + 1));
        p->fd = fds[0];
        p->ev = event_new(s->base, p->fd, EV_READ | EV_PERSIST, on_probe_read, (void *)(uintptr_t)i);
        event_add(p->ev, NULL);
    }
    probe_timer = evtimer_new(s->base, on_probe_timeout, NULL);
    struct timeval tv = {3, 0};
    evtimer_add(probe_timer, &tv);
    probes_check();
}

void ag_shutdown(srv *s)
{
    (void)s;
    for (size_t i = 0; i < N_AGENTS; i++) {
        if (probes[i].pid > 0) kill(probes[i].pid, SIGKILL);
        probes[i].pid = 0;
        probe_end(i);
        free(versions[i]);
        versions[i] = NULL;
    }
    answer_deferred();
    if (probe_timer) { event_free(probe_timer); probe_timer = NULL; }
}

/* ---- routes ---- */

static void modes(struct evhttp_request *req, const ag_info *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "modes");
    typedef struct { const char *id, *name, *desc; } mode_t3;
    mode_t3 m[3];
    int n = 0;
    if (!strcmp(a->id, "mock")) {
        m[n++] = (mode_t3){"build", "Build", "Mock agent for UI testing"};
        m[n++] = (mode_t3){"plan", "Plan", "Plan-only mock mode"};
    } else {
        m[n++] = (mode_t3){"build", "Build", "Default build mode"};
        if (!strcmp(a->id, "claude")) m[n++] = (mode_t3){"plan", "Plan", "Plan mode (prompt-only)"};
        if (!strcmp(a->id, "codex")) m[n++] = (mode_t3){"plan", "Plan", "Planning mode via prompt prefix"};
        if (!strcmp(a->id, "opencode")) {
            m[n++] = (mode_t3){"plan", "Plan", "Planning mode"};
            m[n++] = (mode_t3){"custom", "Custom", "Any user-defined OpenCode agent name"};
        }
    }
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", m[i].id);
        cJSON_AddStringToObject(e, "name", m[i].name);
        cJSON_AddStringToObject(e, "description", m[i].desc);
        cJSON_AddItemToArray(arr, e);
    }
    http_json(req, 200, o);
}

static void add_model(cJSON *arr, const char *id, const char *name)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", id);
    if (name) cJSON_AddStringToObject(e, "name", name);
    cJSON_AddItemToArray(arr, e);
}

static void models(struct evhttp_request *req, const ag_info *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "models");
    if (!strcmp(a->id, "mock")) add_model(arr, "mock", "Mock");
    else if (!strcmp(a->id, "amp")) add_model(arr, "amp-default", "Amp Default");
    else if (!strcmp(a->id, "claude")) {
        add_model(arr, "default", "Default (recommended)");
        add_model(arr, "sonnet", "Sonnet");
        add_model(arr, "opus", "Opus");
        add_model(arr, "haiku", "Haiku");
    }
    if (a->default_model) cJSON_AddStringToObject(o, "defaultModel", a->default_model);
    http_json(req, 200, o);
}

void ag_route(srv *s, struct evhttp_request *req, char **seg, int nseg, int method)
{
    /* seg[0]="v1", seg[1]="agents", seg[2]=agent, seg[3]=action */
    if (nseg == 2) {
        if (method != M_GET) { rt_method_not_allowed(req, "GET"); return; }
        if (probed) { http_json(req, 200, agents_json()); return; }
        if (n_deferred == (int)(sizeof deferred / sizeof deferred[0])) { http_json(req, 200, agents_json()); return; }
        deferred[n_deferred++] = req;
        if (!probing) probes_start(s);
        return;
    }
    if (nseg != 4) { rt_not_found(req); return; }
    const char *act = seg[3];
    bool is_install = !strcmp(act, "install");
    if (!is_install && strcmp(act, "modes") && strcmp(act, "models")) { rt_not_found(req); return; }
    if (method != (is_install ? M_POST : M_GET)) { rt_method_not_allowed(req, is_install ? "POST" : "GET"); return; }
    const ag_info *a = ag_find(seg[2]);
    if (!a) {
        char detail[300];
        snprintf(detail, sizeof detail, "unsupported agent: %.200s", seg[2]);
        cJSON *ext = cJSON_CreateObject();
        cJSON_AddStringToObject(ext, "agent", seg[2]);
        http_problem(req, HTTP_ERR_UNSUPPORTED_AGENT, 0, detail, ext);
        return;
    }
    if (!strcmp(act, "modes")) { modes(req, a); return; }
    if (!strcmp(act, "models")) { models(req, a); return; }
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
        cJSON *b = http_body_json(req, s->cfg.max_body);
        if (!b) return;
        cJSON *r = cJSON_GetObjectItemCaseSensitive(b, "reinstall");
        bool bad = r && !cJSON_IsNull(r) && !cJSON_IsBool(r);
        cJSON_Delete(b);
        if (bad) { rt_unprocessable(req, "reinstall: invalid type, expected a boolean"); return; }
    }
    if (ag_installed(a)) { http_no_content(req); return; }
    char detail[300];
    snprintf(detail, sizeof detail, "agent not installed: %s", a->id);
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "agent", a->id);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(ext, "details"), "message",
                            "sa-serve does not download agents; install the agent's CLI and put it on PATH");
    http_problem(req, HTTP_ERR_AGENT_NOT_INSTALLED, 0, detail, ext);
}
