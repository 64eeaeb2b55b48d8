/*
 * sessions.c — the session registry and the session endpoints that do not
 * talk to the agent: create (POST /v1/sessions/{id}), SessionInfo,
 * events polling, delete, plus the pending-HITL id set each session keeps.
 *
 * The store is the authority: at start every stored session's row is
 * loaded (fields, last sequence, end state); what else it keeps (usage,
 * todos, MCP servers, skills, pending HITL requests) is read by ses_ready
 * when the session is first used, so a store of 100,000 sessions starts
 * about as fast as one of one.  Sessions are found by id in a hash table
 * (chained, doubled as it fills) and listed in creation order (a list with
 * a tail pointer); an idle session holds no event ring (sse.c allocates it
 * with the first event).  Afterwards the in-memory copy follows the events
 * sa-store commits (sse_intake); ses_sync asks the store only for the rows
 * updated lately.  GET .../events answers at most SRV_EVENTS_PAGE events
 * (hasMore when more follow); GET /v1/sessions is seslist.c.  Create
 * validates everything before it touches the store, so a rejected request
 * changes nothing; then it records the row (sa_store_session_ensure) and
 * starts the session's pipeline, whose sa-normalize records session.started.
 * An agent that is not installed and can be (its description names an npm
 * package) is installed first, as v0.1.11 does: the request waits for the
 * install off the loop (ag_install_then) and is then validated and created
 * again from a copy of its body; a failed install is 500 install_failed.
 * --no-auto-install makes it 404 agent_not_installed instead.
 *
 * Usage: SessionInfo.usage holds the session's totals, the sum of each
 * field of turn.ended data.usage ({input_tokens, output_tokens,
 * cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd}), null
 * for a field no turn reported.  They are kept incrementally: sse_intake
 * adds each committed turn.ended; at start sst_load_usage sums the stored
 * turn.ended events, selected by type in the store and read a page at a
 * time, so no session is loaded whole.
 *
 * Ownership: srv owns the sessions (list); ses_free releases one session
 * with everything it owns (pipeline included, without signalling it).
 */
#include "serve.h"
#include "http.h"
#include "sa_store.h"
#include "agents_run.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/keyvalq_struct.h>

#define SYNC_SLACK_MS 60000   /* ses_sync: how far before its last look it looks again */

/* ---- the id hash table (chained; doubled when the sessions outnumber the buckets) ---- */

static size_t bucket(const srv *s, const char *id) { return (size_t)sa_hash64(id) & (s->hcap - 1); }

static void hash_insert(srv *s, srv_session *ss)
{
    if (s->n_sessions + 1 > s->hcap) {
        size_t nc = s->hcap ? s->hcap * 2 : 1024;
        srv_session **nt = calloc(nc, sizeof *nt);
        if (nt) {
            srv_session **old = s->htab;
            size_t oc = s->hcap;
            s->htab = nt;
            s->hcap = nc;
            for (size_t i = 0; i < oc; i++)
                for (srv_session *x = old[i], *n; x; x = n) {
                    n = x->hnext;
                    size_t b = bucket(s, x->id);
                    x->hnext = s->htab[b];
                    s->htab[b] = x;
                }
            free(old);
        }
    }
    if (!s->hcap) return;                     /* out of memory at the very first: unreachable by id */
    size_t b = bucket(s, ss->id);
    ss->hnext = s->htab[b];
    s->htab[b] = ss;
}

static void hash_remove(srv *s, srv_session *ss)
{
    if (!s->hcap) return;
    for (srv_session **pp = &s->htab[bucket(s, ss->id)]; *pp; pp = &(*pp)->hnext)
        if (*pp == ss) { *pp = ss->hnext; return; }
}

/* Any session with this id, also one being deleted. */
static srv_session *lookup(srv *s, const char *id)
{
    if (!s->hcap) return NULL;
    for (srv_session *ss = s->htab[bucket(s, id)]; ss; ss = ss->hnext)
        if (!strcmp(ss->id, id)) return ss;
    return NULL;
}

srv_session *ses_find(srv *s, const char *id)
{
    srv_session *ss = lookup(s, id);
    if (!ss || ss->delete_req) return NULL;
    ses_ready(ss);
    return ss;
}

void ses_ready(srv_session *ss)
{
    if (ss->hydrated && ss->history_read) return;
    srv *s = ss->srv;
    if (!ss->hydrated) {
        ss->hydrated = true;
        ss->mcp = mcp_load(s, ss->id);
        ss->skills = sk_load_request(s, ss->id);
    }
    /* what the stored events say; read again at the next use when the
     * store failed (PostgreSQL not answering): the totals start over */
    ss->history_read = true;
    memset(&ss->usage, 0, sizeof ss->usage);
    if (sst_load_usage(ss) < 0 || sst_load_status(ss) < 0) { ss->history_read = false; return; }
    /* its pending requests, as the API sees them */
    sa_event_list l = {0};
    if (sa_store_pending(s->store, ss->id, false, &l) != SA_STORE_OK) { ss->history_read = false; return; }
    for (size_t k = 0; k < l.n; k++) {
        cJSON *ev = cJSON_ParseWithLength(l.v[k].json, l.v[k].len);
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
        bool q = type && !strncmp(type, "question.", 9);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, q ? "question_id" : "permission_id"));
        if (id) ses_hitl_set(ss, q, id, true);
        cJSON_Delete(ev);
    }
    /* Requests still pending in a session loaded at start were asked by an
     * agent process of an earlier run, which is gone and cannot take the
     * answer: resolve them as rejected, so nothing waits forever. */
    if (ss->reject_stale)
        for (size_t k = 0; k < l.n; k++) sst_reject_stale(ss, l.v[k].json, l.v[k].len);
    ss->reject_stale = false;
    sa_event_list_free(&l);
}

static const char *const usage_keys[SRV_USAGE_N] = {
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
    "cost_usd"};

void ses_usage_add(srv_session *ss, const cJSON *event)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(event, "data"), "usage");
    if (!cJSON_IsObject(u)) return;
    for (int k = 0; k < SRV_USAGE_N; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, usage_keys[k]);
        if (!cJSON_IsNumber(v)) continue;       /* null or absent: not reported */
        ss->usage.v[k] += v->valuedouble;
        ss->usage.have |= 1u << k;
    }
}

char *srv_state_path(const srv *s, const char *kind, const char *sid, const char *ext)
{
    size_t n = strlen(s->cfg.state_dir) + strlen(kind) + strlen(ext) + 24;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s-%016llx%s", s->cfg.state_dir, kind, (unsigned long long)sa_hash64(sid), ext);
    return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    if (rc < 0 && errno != ENOENT) sa_warn("cannot remove %s", path);
    return 0;                          /* go on with the rest */
}

int srv_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) { sa_warn("cannot remove %s", path); return -1; }
    return lstat(path, &st) < 0 && errno == ENOENT ? 0 : -1;
}

static char *dupn(const char *v) { return v ? strdup(v) : NULL; }

static srv_session *ses_new(srv *s, const char *id)
{
    srv_session *ss = calloc(1, sizeof *ss);
    if (!ss) return NULL;
    ss->srv = s;
    ss->id = strdup(id);
    ss->exit_code = -1;
    /* append, so the list keeps creation order */
    if (s->sessions_tail) s->sessions_tail->next = ss;
    else s->sessions = ss;
    s->sessions_tail = ss;
    hash_insert(s, ss);
    s->n_sessions++;
    return ss;
}

void ses_free(srv_session *ss)
{
    pl_free(ss->pipe);
    pk_free(ss);
    sse_ring_free(ss);
    for (srv_hitl *h = ss->hitl, *n; h; h = n) { n = h->next; free(h); }
    free(ss->id); free(ss->agent); free(ss->agent_mode); free(ss->permission_mode);
    free(ss->model); free(ss->variant); free(ss->directory); free(ss->title);
    free(ss->native_id); free(ss->ended_stderr);
    cJSON_Delete(ss->mcp);
    cJSON_Delete(ss->skills);
    cJSON_Delete(ss->todos);
    cJSON_Delete(ss->subagents);
    free(ss);
}

void ses_free_all(srv *s)
{
    for (srv_session *ss = s->sessions, *n; ss; ss = n) {
        n = ss->next;
        ses_free(ss);
    }
    s->sessions = s->sessions_tail = NULL;
    s->n_sessions = 0;
    free(s->htab);
    s->htab = NULL;
    s->hcap = 0;
}

bool ses_hitl_has(const srv_session *ss, bool question, const char *id)
{
    for (const srv_hitl *h = ss->hitl; h; h = h->next)
        if (h->question == question && !strcmp(h->id, id)) return true;
    return false;
}

void ses_hitl_set(srv_session *ss, bool question, const char *id, bool pending)
{
    for (srv_hitl **pp = &ss->hitl; *pp; pp = &(*pp)->next) {
        if ((*pp)->question == question && !strcmp((*pp)->id, id)) {
            if (!pending) { srv_hitl *h = *pp; *pp = h->next; free(h); }
            return;
        }
    }
    if (!pending) return;
    size_t n = strlen(id);
    srv_hitl *h = malloc(sizeof *h + n + 1);
    if (!h) return;
    h->question = question;
    memcpy(h->id, id, n + 1);
    h->next = ss->hitl;
    ss->hitl = h;
}

/* A session from its stored row (at start, or written by another process). */
static srv_session *load_row(srv *s, const sa_session *row)
{
    const sa_session *v = row;
    srv_session *ss = ses_new(s, v->id);
    if (!ss) return NULL;
    ss->agent = strdup(v->agent ? v->agent : "mock");
    ss->agent_mode = strdup(v->agent_mode ? v->agent_mode : "build");
    ss->permission_mode = strdup(v->permission_mode ? v->permission_mode : "default");
    ss->model = dupn(v->model);
    ss->variant = dupn(v->variant);
    ss->native_id = dupn(v->native_session_id);
    ss->directory = dupn(v->directory);
    ss->title = dupn(v->title);
    ss->created_ms = v->created_at;
    ss->updated_ms = v->updated_at;
    ss->last_seq = v->last_sequence;
    if (v->ended_at) {
        ss->ended = true;
        ss->ended_seq = ss->last_seq;
        ss->ended_by_daemon = v->ended_reason && !strcmp(v->ended_reason, "terminated");
        ss->ended_error = v->ended_reason && !strcmp(v->ended_reason, "error");
    }
    return ss;                   /* the rest is read when it is first needed (ses_ready) */
}

/* Events of ss stored after ss->last_seq by another process, a page at a time. */
static void take_new_events(srv *s, srv_session *ss, uint64_t upto)
{
    while (ss->last_seq < upto) {
        sa_event_list l = {0};
        if (sa_store_read(s->store, ss->id, ss->last_seq, SRV_PAGE, true, &l) != SA_STORE_OK) return;
        uint64_t before = ss->last_seq;
        for (size_t i = 0; i < l.n; i++) sse_intake(ss, l.v[i].json, l.v[i].len);
        sa_event_list_free(&l);
        sse_flush(ss);
        if (ss->last_seq == before) return;        /* nothing new after all */
    }
}

void ses_sync(srv *s)
{
    int64_t dv;
    if (!s->store || s->stopping) return;
    if (sa_store_data_version(s->store, &dv) != SA_STORE_OK || dv == s->data_version) return;
    s->data_version = dv;
    sa_session *v = NULL;
    size_t n = 0;
    /* only the rows changed lately: a writer stamps updated_at before its
     * commit, so look SYNC_SLACK_MS further back than the last look */
    int64_t now = sa_time_ms();
    if (sa_store_session_list_since(s->store, s->synced_ms - SYNC_SLACK_MS, &v, &n) != SA_STORE_OK) return;
    s->synced_ms = now;
    for (size_t i = 0; i < n; i++) {
        srv_session *ss = NULL;
        bool deleting = false;
        if ((ss = lookup(s, v[i].id))) deleting = ss->delete_req != NULL;
        if (deleting) continue;
        if (!ss) {
            if ((ss = load_row(s, &v[i]))) sa_info("session %s: stored by another process; now served", ss->id);
            continue;
        }
        if (!ss->pipe && v[i].last_sequence > ss->last_seq) take_new_events(s, ss, v[i].last_sequence);
    }
    sa_session_list_free(v, n);
}

int ses_load_all(srv *s)
{
    sa_session *v = NULL;
    size_t n = 0;
    if (sa_store_data_version(s->store, &s->data_version) != SA_STORE_OK) s->data_version = 0;
    s->synced_ms = sa_time_ms();
    if (sa_store_session_list(s->store, &v, &n) != SA_STORE_OK) {
        sa_warnx("listing sessions: %s", sa_store_errmsg(s->store));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        srv_session *ss = load_row(s, &v[i]);
        if (!ss) break;
        ss->reject_stale = true;     /* done by ses_ready, when the session is first used */
    }
    sa_session_list_free(v, n);
    return 0;
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

cJSON *ses_info(const srv_session *ss)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sessionId", ss->id);
    cJSON_AddStringToObject(o, "agent", ss->agent);
    cJSON_AddStringToObject(o, "agentMode", ss->agent_mode);
    cJSON_AddStringToObject(o, "permissionMode", ss->permission_mode);
    add_str_or_null(o, "model", ss->model);
    add_str_or_null(o, "variant", ss->variant);
    add_str_or_null(o, "nativeSessionId", ss->native_id);
    cJSON_AddBoolToObject(o, "ended", ss->ended || ss->terminate_req);   /* ended from the API's view at once */
    cJSON_AddBoolToObject(o, "parked", pk_parked(ss));                  /* park.c */
    cJSON_AddNumberToObject(o, "eventCount", (double)ss->last_seq);
    cJSON_AddNumberToObject(o, "createdAt", (double)ss->created_ms);
    cJSON_AddNumberToObject(o, "updatedAt", (double)ss->updated_ms);
    add_str_or_null(o, "directory", ss->directory);
    add_str_or_null(o, "title", ss->title);
    if (ss->mcp) cJSON_AddItemToObject(o, "mcp", mcp_redacted(ss->mcp));
    if (ss->skills) cJSON_AddItemToObject(o, "skills", cJSON_Duplicate(ss->skills, 1));
    cJSON *u = cJSON_AddObjectToObject(o, "usage");
    for (int k = 0; k < SRV_USAGE_N; k++) {
        if (ss->usage.have & (1u << k)) cJSON_AddNumberToObject(u, usage_keys[k], ss->usage.v[k]);
        else cJSON_AddNullToObject(u, usage_keys[k]);
    }
    cJSON_AddItemToObject(o, "todos", ses_todos_json(ss));
    cJSON_AddItemToObject(o, "subagents", ses_subagents_json(ss));
    return o;
}


/* Optional string member: absent/null ok; anything else → 422. */
static bool opt_str(struct evhttp_request *req, const cJSON *body, const char *k, const char **out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(body, k);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return true;
    if (!cJSON_IsString(v)) {
        rt_unprocessable(req, "%s: invalid type, expected a string", k);
        return false;
    }
    *out = v->valuestring;
    return true;
}

/* A create that waits for its agent's install: the request and copies of
 * its id and body (owned; freed by create_resume). */
typedef struct ses_wait {
    struct evhttp_request *req;
    char *id;
    cJSON *body;
} ses_wait;

static srv_session *create_from(srv *s, struct evhttp_request *req, const char *id, const cJSON *body,
                                bool may_wait);

static void create_reply(srv *s, struct evhttp_request *req, const char *id, const cJSON *body, bool may_wait)
{
    srv_session *ss = create_from(s, req, id, body, may_wait);
    if (ss) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "healthy", true);
        if (ss->native_id) cJSON_AddStringToObject(o, "nativeSessionId", ss->native_id);
        http_json(req, 200, o);
    }
}

static void create_resume(srv *s, bool ok, const char *agent, const char *out, void *arg)
{
    ses_wait *w = arg;
    if (!ok) ag_install_failed(w->req, agent, out);
    else create_reply(s, w->req, w->id, w->body, false);   /* still not there: 404, no second install */
    free(w->id);
    cJSON_Delete(w->body);
    free(w);
}

void ses_create(srv *s, struct evhttp_request *req, const char *id)
{
    cJSON *body = http_body_json(req, s->cfg.max_body);
    if (!body) return;
    create_reply(s, req, id, body, true);
    cJSON_Delete(body);
}

srv_session *ses_create_from(srv *s, struct evhttp_request *req, const char *id, const cJSON *body)
{
    return create_from(s, req, id, body, false);
}

/* The create; with may_wait, an agent to install first returns NULL with
 * nothing sent yet (create_resume finishes it). */
static srv_session *create_from(srv *s, struct evhttp_request *req, const char *id, const cJSON *body,
                                bool may_wait)
{
    srv_session *made = NULL;
    cJSON *norm = NULL, *resolved = NULL;
    char *scope = NULL;
    const char *agent, *am, *pm, *model, *variant, *aver, *dir, *title;
    cJSON *agent_j = cJSON_GetObjectItemCaseSensitive(body, "agent");
    if (!agent_j) { rt_unprocessable(req, "missing field `agent`"); goto out; }
    if (!opt_str(req, body, "agent", &agent) || !opt_str(req, body, "agentMode", &am) ||
        !opt_str(req, body, "permissionMode", &pm) || !opt_str(req, body, "model", &model) ||
        !opt_str(req, body, "variant", &variant) || !opt_str(req, body, "agentVersion", &aver) ||
        !opt_str(req, body, "directory", &dir) || !opt_str(req, body, "title", &title))
        goto out;
    if (!agent) { rt_unprocessable(req, "agent: invalid type, expected a string"); goto out; }
    cJSON *mcp = cJSON_GetObjectItemCaseSensitive(body, "mcp");
    cJSON *skills = cJSON_GetObjectItemCaseSensitive(body, "skills");
    if ((mcp && !cJSON_IsNull(mcp) && !cJSON_IsObject(mcp)) ||
        (skills && !cJSON_IsNull(skills) && !cJSON_IsObject(skills))) {
        rt_unprocessable(req, "mcp/skills: invalid type, expected an object");
        goto out;
    }
    const cJSON *strict = cJSON_GetObjectItemCaseSensitive(body, "mcpStrict");
    if (strict && !cJSON_IsNull(strict) && !cJSON_IsBool(strict)) {
        rt_unprocessable(req, "mcpStrict: invalid type, expected a boolean");
        goto out;
    }
    scope = cfg_session_scope(s, dir);
    {   /* the session's servers over the server's defaults for its directory */
        char err[300];
        if (!scope || !(norm = cfg_apply_mcp(s, scope, cJSON_IsObject(mcp) ? mcp : NULL, cJSON_IsTrue(strict),
                                            err, sizeof err))) {
            http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: %s", scope ? err : "out of memory");
            goto out;
        }
        if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(norm, "servers")) == 0) { cJSON_Delete(norm); norm = NULL; }
    }
    if (!*id || strlen(id) > 512) {
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: invalid session id");
        goto out;
    }
    sa_session row = {0};
    bool stored = sa_store_session_get(s->store, id, &row) == SA_STORE_OK;
    sa_session_clear(&row);
    if (ses_find(s, id) || stored) {
        char detail[600];
        snprintf(detail, sizeof detail, "session already exists: %s", id);
        cJSON *ext = cJSON_CreateObject();
        cJSON_AddStringToObject(ext, "sessionId", id);
        http_problem(req, HTTP_ERR_SESSION_ALREADY_EXISTS, 0, detail, ext);
        goto out;
    }
    const sa_agent_desc *ag = ag_find(s, agent);
    if (!ag) { ag_unsupported(req, agent); goto out; }
    const char *am_n, *pm_n;
    if (!ag_normalize_modes(req, ag, am, pm, &am_n, &pm_n)) goto out;
    if (skills && cJSON_IsObject(skills)) {
        char err[600];
        if (!(resolved = sk_resolve(s, skills, err, sizeof err))) {
            http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: %s", err);
            goto out;
        }
    }
    resolved = cfg_apply_skills(s, scope, resolved);
    if (resolved && cJSON_GetArraySize(resolved) == 0) { cJSON_Delete(resolved); resolved = NULL; }
    bool installed = ag_installed(ag);
    if (!installed && may_wait && !s->cfg.no_auto_install && ag_installable(ag)) {
        ses_wait *w = calloc(1, sizeof *w);
        if (w && (w->id = strdup(id)) && (w->body = cJSON_Duplicate(body, 1))) {
            w->req = req;
            if (ag_install_then(s, (size_t)(ag - s->agents), create_resume, w)) {
                sa_info("session %s: waits for the install of %s", id, ag->id);
                goto out;                      /* answered by create_resume */
            }
        }
        if (w) { free(w->id); cJSON_Delete(w->body); free(w); }
        http_problemf(req, HTTP_ERR_INSTALL_FAILED, "install failed: %s: cannot wait for the install", ag->id);
        goto out;
    }
    if (!installed) {
        ag_not_installed(req, ag, NULL);
        goto out;
    }
    if (!model) model = sa_agent_str(ag, "default_model");
    sa_session_fields f = {.agent = ag->id, .agent_mode = am_n, .permission_mode = pm_n,
                           .model = model, .variant = variant, .directory = dir, .title = title};
    bool created = false;
    int erc = sa_store_session_ensure(s->store, id, &f, &created);
    if (erc != SA_STORE_OK) {
        sst_problem(req, s, erc, "cannot record the session");
        goto out;
    }
    if (!created) {
        http_problemf(req, HTTP_ERR_SESSION_ALREADY_EXISTS, "session already exists: %s", id);
        goto out;
    }
    if (norm && mcp_save(s, id, norm) < 0) {
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: cannot write the session's MCP configuration");
        goto out;
    }
    if (resolved) {
        char err[600];
        if (sk_build_root(s, id, resolved, skills, err, sizeof err) < 0) {
            http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: cannot prepare the session's skills: %s", err);
            goto out;
        }
    }
    srv_session *ss = ses_new(s, id);
    if (!ss) { http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: out of memory"); goto out; }
    ss->hydrated = ss->history_read = true;   /* new: nothing stored to read (ses_ready would replace mcp and skills) */
    ss->mcp = norm;
    norm = NULL;
    if (resolved) ss->skills = cJSON_IsObject(skills) ? cJSON_Duplicate(skills, 1) : cJSON_CreateObject();
    ss->agent = strdup(ag->id);
    ss->agent_mode = strdup(am_n);
    ss->permission_mode = strdup(pm_n);
    ss->model = dupn(model);
    ss->variant = dupn(variant);
    ss->directory = dupn(dir);
    ss->title = dupn(title);
    ss->created_ms = ss->updated_ms = sa_time_ms();
    ss->native_id = sa_agent_native_id(ag, id);   /* known up front for some (the mock) */
    if (sst_append_started(ss) < 0) {      /* stored before create answers, as v0.1.11 */
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: cannot store session.started: %s",
                      sa_store_errmsg(s->store));
        goto out;
    }
    if (pl_start(ss, true) < 0) {
        cJSON *ext = cJSON_CreateObject();
        cJSON_AddStringToObject(ext, "agent", ag->id);
        http_problem(req, HTTP_ERR_AGENT_PROCESS_EXITED, 0, "agent process exited: cannot start the pipeline", ext);
        goto out;
    }
    pk_started(ss);                  /* idle from now (park.c) */
    made = ss;
out:
    free(scope);
    cJSON_Delete(norm);
    cJSON_Delete(resolved);
    return made;
}

void ses_delete(srv *s, struct evhttp_request *req, srv_session *ss)
{
    (void)s;
    ss->delete_req = req;
    sse_close_all(ss, true);        /* every stream of it ends now, turn streams too */
    if (ss->pipe) {
        /* as at shutdown: sa-store and sa-normalize are killed first, so
         * nothing more is stored; the rest when the pipeline is reaped */
        pl_shutdown(ss);
        return;
    }
    ses_delete_finish(ss);
}

void ses_delete_finish(srv_session *ss)
{
    srv *s = ss->srv;
    struct evhttp_request *req = ss->delete_req;
    int rc = sa_store_session_delete(s->store, ss->id);
    if (rc != SA_STORE_OK && rc != SA_STORE_NOTFOUND) {
        ss->delete_req = NULL;      /* the session stays, its pipeline stopped */
        sa_warnx("session %s: delete: %s", ss->id, sa_store_errmsg(s->store));
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: cannot delete the session: %s",
                      sa_store_errmsg(s->store));
        return;
    }
    srv_session *prev = NULL;
    for (srv_session **pp = &s->sessions; *pp; prev = *pp, pp = &(*pp)->next)
        if (*pp == ss) {
            *pp = ss->next;
            if (s->warm_next == ss) s->warm_next = ss->next;   /* warm.c's cursor */
            if (s->sessions_tail == ss) s->sessions_tail = prev;
            s->n_sessions--;
            break;
        }
    hash_remove(s, ss);
    mcp_remove(s, ss->id);          /* its MCP file and skills root in the state dir */
    sk_remove(s, ss->id);
    diff_remove(s, ss->id);         /* and its diff snapshots */
    sa_info("session %s: deleted", ss->id);
    ses_free(ss);
    http_no_content(req);
}

static bool query_u64(struct evhttp_request *req, struct evkeyvalq *q, const char *name,
                      uint64_t *out, bool *present)
{
    const char *v = http_query_get(q, name, NULL);
    *present = v != NULL;
    if (!v) return true;
    if (!sa_parse_u64(v, UINT64_MAX, out)) {
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: %s must be a non-negative integer", name);
        return false;
    }
    return true;
}

void ses_events(srv *s, struct evhttp_request *req, srv_session *ss)
{
    struct evkeyvalq q;
    http_query(req, &q);
    uint64_t offset = 0, limit = 0;
    bool has_off, has_lim;
    if (!query_u64(req, &q, "offset", &offset, &has_off) || !query_u64(req, &q, "limit", &limit, &has_lim)) {
        evhttp_clear_headers(&q);
        return;
    }
    bool raw = http_query_bool(&q, "include_raw", "includeRaw");
    evhttp_clear_headers(&q);
    sa_event_list l = {0};
    /* without a limit: a page of at most SRV_EVENTS_PAGE, hasMore telling
     * whether more follow (a limit above it is cut to it the same way) */
    if (!has_lim || limit > SRV_EVENTS_PAGE) { has_lim = true; limit = SRV_EVENTS_PAGE; }
    int rc = sa_store_read(s->store, ss->id, offset, limit ? limit : 1, raw, &l);
    if (rc != SA_STORE_OK && rc != SA_STORE_NOTFOUND) {
        sst_problem(req, s, rc, NULL);          /* 503 when the database does not answer */
        return;
    }
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, "{\"events\":[", 11);
    size_t n = has_lim && limit == 0 ? 0 : l.n;
    for (size_t i = 0; i < n; i++) {
        if (i) evbuffer_add(b, ",", 1);
        evbuffer_add(b, l.v[i].json, l.v[i].len);
    }
    bool more = has_lim && (l.has_more || (limit == 0 && l.n > 0));
    evbuffer_add_printf(b, "],\"hasMore\":%s}", more ? "true" : "false");
    sa_event_list_free(&l);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}
