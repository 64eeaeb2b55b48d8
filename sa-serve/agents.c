/*
 * agents.c — the agents sa-serve serves and /v1/agents, /v1/agents/{a}/modes,
 * /models and /install (sandbox-agent v0.1.11 §1.5, capabilities §3.1).
 *
 * The agents are exactly the descriptions in cfg.agents_dir (lib/sa_agent.h;
 * sa-normalize/agents/NAME.json in the tree, share/sa/agents installed),
 * loaded once at start (ag_load) in their listing order.  Everything served
 * here comes from them: installed, path and pathSource (the description's
 * "bin": beside sa's own executables when "beside_self", else on PATH, else
 * in the agent cache, sa_agent_find), the credential
 * check, the 18 capability flags (emitted in v0.1.11's key order;
 * serverStatus only when sharedProcess), agent modes, permission modes and
 * their aliases (mode validation), models and the default model.  Install
 * (agents_install.c) answers 204 when the binary is present, else runs
 * `sa install-agent` (npm, the description's "npm" pin) as a child.
 *
 * Probes (ag_run, agents_run.c): the first GET /v1/agents runs `<bin> <version_args...>`
 * for every installed agent, asynchronously (children.c reaps them), and
 * answers once they are all done (each is killed after 15 s: node CLIs start slowly on a loaded machine); versions are
 * cached for the server's life ("stderr_output": true reads the command's
 * stderr too: pi prints its version and model table there).  GET /v1/agents/{a}/models of an agent whose
 * description has "models_command" runs `<bin> <models_command...>` the same
 * way (stdout at most 8 MiB, killed after 60 s: `opencode models` alone
 * can take 13 s and more on a loaded machine) and parses it by
 * "models_format" ("codex-catalog": {"models":[{slug, display_name,
 * visibility}]}, hidden entries dropped; "lines": one model id per line,
 * as `opencode models` prints them; "table": a header naming "provider"
 * and "model" columns, then rows, as `pi --list-models` prints them); the answer is cached for the
 * server's life, and when the command fails the description's static
 * "models" list is served (and cached too, so a failing command is not
 * rerun per request).
 *
 * Ownership: srv owns the descriptions (ag_free); probe state is private to
 * this file; deferred requests are answered by probe completion, the probe's
 * timeout, or ag_shutdown.
 */
#include "serve.h"
#include "http.h"
#include "agents_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION_MAX   256u
#define VERSION_MS    15000u
#define MODELS_MAX    (8u << 20)
#define MODELS_MS     60000u
#define DEFERRED_MAX  64

/* v0.1.11's AgentCapabilities, in its key order (the values are the description's). */
static const char *const cap_names[18] = {
    "planMode", "permissions", "questions", "toolCalls", "toolResults", "textMessages", "images",
    "fileAttachments", "sessionLifecycle", "errorEvents", "reasoning", "status", "commandExecution",
    "fileChanges", "mcpTools", "streamingDeltas", "itemStarted", "sharedProcess"};

/* Every permission mode the API knows (CreateSessionRequest.permissionMode). */
static const char *const perm_all[] = {"default", "plan", "bypass", "acceptEdits", NULL};

typedef struct ag_state {
    ag_run ver, mod;
    char *version;                 /* cached, or NULL */
    cJSON *models;                 /* cached response, or NULL */
    struct evhttp_request *mdef[DEFERRED_MAX];
    int n_mdef;
} ag_state;

static ag_state *st;               /* one per description */
static bool probing, probed, stopped;
static struct evhttp_request *deferred[DEFERRED_MAX];
static int n_deferred;

/* ---- the table ---- */

size_t ag_load(srv *s)
{
    s->n_agents = s->cfg.agents_dir ? sa_agent_load_all(s->cfg.agents_dir, &s->agents) : 0;
    if (s->n_agents == 0)
        sa_warnx("no agent descriptions in %s; /v1/agents is empty and sessions cannot be created",
                 s->cfg.agents_dir ? s->cfg.agents_dir : "(no agents directory; use --agents-dir)");
    st = calloc(s->n_agents ? s->n_agents : 1, sizeof *st);
    if (!st) sa_diex(1, "out of memory");
    for (size_t i = 0; i < s->n_agents; i++) {
        st[i].ver = (ag_run){.s = s, .agent = i, .fd = -1};
        st[i].mod = (ag_run){.s = s, .agent = i, .fd = -1};
    }
    return s->n_agents;
}

const sa_agent_desc *ag_find(const srv *s, const char *id)
{
    for (size_t i = 0; id && i < s->n_agents; i++)
        if (!strcmp(s->agents[i].id, id)) return &s->agents[i];
    return NULL;
}

void ag_unsupported(struct evhttp_request *req, const char *id)
{
    char detail[300];
    snprintf(detail, sizeof detail, "unsupported agent: %.200s", id);
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "agent", id);
    http_problem(req, HTTP_ERR_UNSUPPORTED_AGENT, 0, detail, ext);
}

static char *ag_path(const sa_agent_desc *a)
{
    return sa_agent_find(a, NULL);
}

bool ag_installed(const sa_agent_desc *a)
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

bool ag_normalize_modes(struct evhttp_request *req, const sa_agent_desc *a, const char *am, const char *pm,
                        const char **am_out, const char **pm_out)
{
    const char *bad = NULL, *run = NULL;
    if (!am) am = "build";
    if (!pm) pm = "default";
    if (!sa_agent_has_mode(a, am)) bad = am;
    if (!bad) {
        run = sa_agent_perm_mode(a, pm);      /* itself, its alias, or NULL */
        if (!run && !in(pm, perm_all)) {
            http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: invalid permission mode: %.200s", pm);
            return false;
        }
        /* claude + bypass as root: allowed, because sa-spawn runs claude with
         * IS_SANDBOX=1 (v0.1.11 refuses it with 400). */
        if (!run) bad = pm;
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
    *pm_out = run;
    return true;
}

/* ---- /v1/agents and version probes ---- */

static cJSON *agents_json(const srv *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "agents");
    for (size_t i = 0; i < s->n_agents; i++) {
        const sa_agent_desc *a = &s->agents[i];
        cJSON *e = cJSON_CreateObject();
        int where;
        char *path = sa_agent_find(a, &where);
        cJSON_AddStringToObject(e, "id", a->id);
        cJSON_AddBoolToObject(e, "installed", path != NULL);
        cJSON_AddBoolToObject(e, "credentialsAvailable", sa_agent_credentials(a));
        if (st[i].version) cJSON_AddStringToObject(e, "version", st[i].version);
        if (path) cJSON_AddStringToObject(e, "path", path);
        if (path) cJSON_AddStringToObject(e, "pathSource", sa_agent_where_name(where));   /* sa addition */
        free(path);
        cJSON *c = cJSON_AddObjectToObject(e, "capabilities");
        for (int k = 0; k < 18; k++)
            cJSON_AddBoolToObject(c, cap_names[k],
                                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a->capabilities, cap_names[k])));
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a->capabilities, "sharedProcess"))) {
            cJSON *sv = cJSON_AddObjectToObject(e, "serverStatus");
            cJSON_AddStringToObject(sv, "status", "stopped");
            cJSON_AddNumberToObject(sv, "restartCount", 0);
        }
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

static void answer_deferred(srv *s)
{
    for (int i = 0; i < n_deferred; i++) http_json(deferred[i], 200, agents_json(s));
    n_deferred = 0;
}

static void probes_check(srv *s)
{
    for (size_t i = 0; i < s->n_agents; i++)
        if (st[i].ver.active) return;
    ag_install_shutdown();
    probing = false;
    probed = true;
    answer_deferred(s);
}

/* The version: the first word of the first line that starts with a digit,
 * else the whole first line ("codex-cli 0.169.0" → "0.169.0"). */
static void on_version(ag_run *r)
{
    char buf[VERSION_MAX];
    ev_ssize_t n = evbuffer_copyout(r->out, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl) *nl = '\0';
    char *ver = NULL;
    for (char *tok = strtok(buf, " \t\r"); tok; tok = strtok(NULL, " \t\r"))
        if (tok[0] >= '0' && tok[0] <= '9') { ver = tok; break; }
    if (!ver && buf[0]) ver = buf;
    if (ver && !st[r->agent].version) st[r->agent].version = strdup(ver);
    if (probing) probes_check(r->s);
}

static void probes_start(srv *s)
{
    probing = true;
    for (size_t i = 0; i < s->n_agents; i++) {
        char *path = ag_path(&s->agents[i]);
        if (path) ag_run_start(s, &st[i].ver, path, sa_agent_get(&s->agents[i], "version_args"), VERSION_MAX,
                            VERSION_MS, sa_agent_flag(&s->agents[i], "stderr_output", false), on_version);
        free(path);
    }
    probes_check(s);
}

/* ---- modes and models ---- */

static void modes(struct evhttp_request *req, const sa_agent_desc *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "modes");
    const cJSON *m;
    cJSON_ArrayForEach(m, a->agent_modes) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "name"));
        const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "description"));
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", id);
        cJSON_AddStringToObject(e, "name", name ? name : id);
        cJSON_AddStringToObject(e, "description", desc ? desc : "");
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

/* {models, defaultModel?}: `list` (taken) or the description's static list. */
static cJSON *models_json(const sa_agent_desc *a, cJSON *list)
{
    cJSON *o = cJSON_CreateObject();
    if (!list) {
        list = cJSON_CreateArray();
        const cJSON *m;
        cJSON_ArrayForEach(m, sa_agent_get(a, "models")) {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
            if (id) add_model(list, id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "name")));
        }
    }
    cJSON_AddItemToObject(o, "models", list);
    const char *def = sa_agent_str(a, "default_model");
    if (def) cJSON_AddStringToObject(o, "defaultModel", def);   /* v0.1.11 omits it when unknown */
    return o;
}

/* codex-catalog: {"models":[{slug, display_name, visibility, ...}]}; hidden
 * ones (visibility "hide") are left out.  NULL when it is not that. */
static cJSON *parse_codex_catalog(const char *text, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    cJSON *src = cJSON_GetObjectItemCaseSensitive(doc, "models");
    cJSON *list = NULL;
    if (cJSON_IsArray(src)) {
        list = cJSON_CreateArray();
        const cJSON *m;
        cJSON_ArrayForEach(m, src) {
            const char *slug = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "slug"));
            const char *vis = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "visibility"));
            if (!slug || (vis && !strcmp(vis, "hide"))) continue;
            add_model(list, slug, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "display_name")));
        }
        if (cJSON_GetArraySize(list) == 0) { cJSON_Delete(list); list = NULL; }
    }
    cJSON_Delete(doc);
    return list;
}

/* lines: one model id per line ("provider/model", opencode models); blank
 * lines and lines with spaces are skipped.  NULL when none. */
static cJSON *parse_lines(const char *text, size_t len)
{
    cJSON *list = cJSON_CreateArray();
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r') n--;
        if (n && n < 256 && !memchr(text + i, ' ', n) && !memchr(text + i, '\t', n)) {
            char id[256];
            memcpy(id, text + i, n);
            id[n] = '\0';
            add_model(list, id, NULL);
        }
        i = j + 1;
    }
    if (cJSON_GetArraySize(list) == 0) { cJSON_Delete(list); list = NULL; }
    return list;
}

/* table: a header line naming columns "provider" and "model", then one row
 * per model, columns separated by runs of blanks (`pi --list-models`); the
 * id is "provider/model".  NULL when there is no such header or no row. */
static cJSON *parse_table(const char *text, size_t len)
{
    int cprov = -1, cmodel = -1;
    cJSON *list = NULL;
    size_t i = 0;
    for (bool header = true; i < len; header = false) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        char row[512], *col[16], *save = NULL;
        size_t n = j - i < sizeof row ? j - i : sizeof row - 1;
        memcpy(row, text + i, n);
        row[n] = '\0';
        i = j + 1;
        int nc = 0;
        for (char *t = strtok_r(row, " \t\r", &save); t && nc < 16; t = strtok_r(NULL, " \t\r", &save)) col[nc++] = t;
        if (header) {
            for (int c = 0; c < nc; c++) {
                if (!strcmp(col[c], "provider")) cprov = c;
                if (!strcmp(col[c], "model")) cmodel = c;
            }
            if (cprov < 0 || cmodel < 0) return NULL;
            list = cJSON_CreateArray();
            continue;
        }
        if (nc <= cprov || nc <= cmodel) continue;
        char id[300];
        snprintf(id, sizeof id, "%s/%s", col[cprov], col[cmodel]);
        add_model(list, id, NULL);
    }
    if (list && cJSON_GetArraySize(list) == 0) { cJSON_Delete(list); list = NULL; }
    return list;
}

static void on_models(ag_run *r)
{
    srv *s = r->s;
    ag_state *g = &st[r->agent];
    const sa_agent_desc *a = &s->agents[r->agent];
    cJSON *list = NULL;
    const char *fmt = sa_agent_str(a, "models_format");
    /* a run that ended by timeout or overflow may not have been reaped yet:
     * only its output counts then, and it is incomplete */
    if (!r->failed && r->status == 0) {
        size_t len = evbuffer_get_length(r->out);
        const char *text = (const char *)evbuffer_pullup(r->out, -1);
        if (fmt && !strcmp(fmt, "codex-catalog") && text) list = parse_codex_catalog(text, len);
        else if (fmt && !strcmp(fmt, "lines") && text) list = parse_lines(text, len);
        else if (fmt && !strcmp(fmt, "table") && text) list = parse_table(text, len);
        else if (text) sa_warnx("agent %s: unknown models_format %s", a->id, fmt ? fmt : "(none)");
    }
    if (!list) sa_warnx("agent %s: the models command failed; serving the description's list", a->id);
    g->models = models_json(a, list);
    for (int i = 0; i < g->n_mdef; i++) http_json(g->mdef[i], 200, cJSON_Duplicate(g->models, true));
    g->n_mdef = 0;
}

static void models(srv *s, struct evhttp_request *req, const sa_agent_desc *a)
{
    size_t i = (size_t)(a - s->agents);
    ag_state *g = &st[i];
    const cJSON *cmd = sa_agent_get(a, "models_command");
    if (g->models) { http_json(req, 200, cJSON_Duplicate(g->models, true)); return; }
    if (!cJSON_IsArray(cmd) || stopped) { http_json(req, 200, models_json(a, NULL)); return; }
    if (g->mod.active) {
        if (g->n_mdef == DEFERRED_MAX) { http_json(req, 200, models_json(a, NULL)); return; }
        g->mdef[g->n_mdef++] = req;
        return;
    }
    char *path = ag_path(a);
    if (!path || ag_run_start(s, &g->mod, path, cmd, MODELS_MAX, MODELS_MS,
                             sa_agent_flag(a, "stderr_output", false), on_models) < 0) {
        free(path);
        http_json(req, 200, models_json(a, NULL));   /* not installed: nothing cached */
        return;
    }
    free(path);
    g->mdef[g->n_mdef++] = req;
}

/* ---- shutdown ---- */

void ag_shutdown(srv *s)
{
    stopped = true;
    for (size_t i = 0; st && i < s->n_agents; i++) {
        st[i].ver.failed = st[i].mod.failed = true;
        ag_run_finish(&st[i].ver);
        ag_run_finish(&st[i].mod);
    }
    ag_install_shutdown();
    probing = false;
    probed = true;
    answer_deferred(s);
}

void ag_free(srv *s)
{
    ag_shutdown(s);
    ag_install_free();
    for (size_t i = 0; st && i < s->n_agents; i++) {
        ch_forget(&st[i].ver);
        ch_forget(&st[i].mod);
        free(st[i].version);
        cJSON_Delete(st[i].models);
    }
    free(st);
    st = NULL;
    sa_agent_free_all(s->agents, s->n_agents);
    s->agents = NULL;
    s->n_agents = 0;
}

/* ---- routes ---- */

void ag_route(srv *s, struct evhttp_request *req, char **seg, int nseg, int method)
{
    /* seg[0]="v1", seg[1]="agents", seg[2]=agent, seg[3]=action */
    if (nseg == 2) {
        if (method != M_GET) { rt_method_not_allowed(req, "GET"); return; }
        if (probed || n_deferred == DEFERRED_MAX) { http_json(req, 200, agents_json(s)); return; }
        deferred[n_deferred++] = req;
        if (!probing) probes_start(s);
        return;
    }
    if (nseg != 4) { rt_not_found(req); return; }
    const char *act = seg[3];
    bool is_install = !strcmp(act, "install");
    if (!is_install && strcmp(act, "modes") && strcmp(act, "models")) { rt_not_found(req); return; }
    if (method != (is_install ? M_POST : M_GET)) { rt_method_not_allowed(req, is_install ? "POST" : "GET"); return; }
    const sa_agent_desc *a = ag_find(s, seg[2]);
    if (!a) { ag_unsupported(req, seg[2]); return; }
    if (!strcmp(act, "modes")) { modes(req, a); return; }
    if (!strcmp(act, "models")) { models(s, req, a); return; }
    bool reinstall = false;
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
        cJSON *b = http_body_json(req, s->cfg.max_body);
        if (!b) return;
        cJSON *r = cJSON_GetObjectItemCaseSensitive(b, "reinstall");
        bool bad = r && !cJSON_IsNull(r) && !cJSON_IsBool(r);
        reinstall = cJSON_IsTrue(r);
        cJSON_Delete(b);
        if (bad) { rt_unprocessable(req, "reinstall: invalid type, expected a boolean"); return; }
    }
    ag_install(s, req, (size_t)(a - s->agents), reinstall);
}

void ag_installed_changed(srv *s, size_t i)
{
    if (stopped || probing || st[i].version || st[i].ver.active) return;
    char *path = ag_path(&s->agents[i]);
    if (path) ag_run_start(s, &st[i].ver, path, sa_agent_get(&s->agents[i], "version_args"), VERSION_MAX,
                        VERSION_MS, sa_agent_flag(&s->agents[i], "stderr_output", false), on_version);
    free(path);
}
