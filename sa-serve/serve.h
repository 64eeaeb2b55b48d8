/*
 * serve.h — the shared state of sa-serve: configuration, the session
 * registry, each session's stage pipeline and its SSE clients.
 *
 * Modules (one prefix each):
 *   main.c      options, start-up, signals, shutdown
 *   secure.c    sec_  tokens (roles, digests), secret scrubbing, --sandbox
 *   router.c    rt_   path dispatch, 404/405, health, openapi, SessionInfo
 *   access.c    acc_  auth (Bearer/Token/Basic, constant time) and CORS
 *   agents.c    ag_   agent descriptions, /v1/agents*, version and model probes
 *   sessions.c  ses_  registry, create, events polling, delete
 *   seslist.c   ses_  GET /v1/sessions, a batch of 256 at a time as the client reads
 *   warm.c      ses_  stored sessions' history read in the background after start
 *   turns.c     turn_ messages, messages/stream, terminate, HITL replies
 *   pipeline.c  pl_   the sa-spawn | sa-normalize | sa-store chain, FIFO, reaping
 *   sse.c       sse_  event intake, ring, fan-out, slow-client catch-up, heartbeat
 *   evscan.c    evs_  top-level scanner for stored event lines (no allocation)
 *   store.c     sst_  thin layer over lib/sa_store (read history, rows, pending HITL)
 *   children.c  ch_   SIGCHLD: waitpid(pid) for every child we registered
 *   ui.c        ui_   /ui/: the inspector's static files, embedded at build time
 *   metrics.c   met_  GET /metrics (Prometheus text), the commit latency histogram
 *   toolarge.c  tl_   libevent's own 413 rewritten as problem details
 *   park.c      pk_   idle agents parked (--idle-park), resumed by the next message
 *   oc_*.c      oc_   the OpenCode-compatible API at /opencode (oc.h)
 *
 * Ownership: `srv` owns every srv_session (freed in ses_free_all); a session
 * owns its strings, its pipeline (srv_pipe), its ring and its HITL list.
 * `srv` owns the agent descriptions (loaded once at start, freed at exit);
 * sessions and requests borrow them.
 * SSE clients are owned by their session's client list and freed when the
 * connection closes, the stream ends, or the server shuts down.  Requests
 * (struct evhttp_request) are owned by libevent; we only keep pointers to
 * those whose reply is still open (SSE, deferred /v1/agents).
 */
#ifndef SA_SERVE_H
#define SA_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <cjson/cJSON.h>
#include "sa.h"
#include "sa_agent.h"

#define SRV_MAX_LIST 16            /* repeatable CORS options */
#define SRV_RING_SLOTS 512         /* recent events kept per session */
#define SRV_RING_BYTES (1u << 20)  /* ... and at most this many bytes */
#define SRV_PAGE 512               /* events per store page when catching up */
#define SRV_EVENTS_PAGE 10000      /* most events one GET .../events answers */

typedef struct srv srv;
typedef struct srv_session srv_session;
typedef struct srv_pipe srv_pipe;
typedef struct sse_client sse_client;

typedef struct srv_config {
    const char *host;
    unsigned port;
    const char *token;             /* NULL = no auth */
    bool no_token;
    char *db_path;                 /* owned */
    const char *cors_origins[SRV_MAX_LIST]; int n_origins;
    const char *cors_methods[SRV_MAX_LIST]; int n_methods;
    const char *cors_headers[SRV_MAX_LIST]; int n_headers;
    bool cors_credentials;
    char *fs_root;                 /* owned, absolute */
    size_t max_body;
    unsigned hitl_timeout;
    char *state_dir;               /* owned */
    unsigned heartbeat_ms;         /* SA_SERVE_HEARTBEAT_MS overrides (tests) */
    size_t client_limit;           /* per-SSE-client output buffer limit */
    unsigned store_timeout_ms;     /* PostgreSQL: longest wait per round trip (0 = libpq's) */
    unsigned kill_grace_ms;        /* SIGTERM → SIGKILL */
    char *agents_dir;              /* owned; agent descriptions, also given to
                                      sa-spawn --agents-dir and sa-normalize --programs */
    const char *tokens_file;       /* --tokens FILE (roles), or NULL */
    const char *sandbox_want;      /* --sandbox auto|bwrap|none (NULL = auto) */
    const char *allowed_hosts[SRV_MAX_LIST]; int n_allowed_hosts;   /* --allowed-host */
    size_t max_headers;            /* request line + headers, bytes (431 past it) */
    unsigned idle_timeout;         /* seconds a connection may sit idle */
    unsigned idle_park;            /* --idle-park: seconds idle before an agent is parked (0 = never) */
    bool no_auto_install;          /* --no-auto-install: create answers 404 agent_not_installed */
} srv_config;

/* One token: its role, its name (for transcripts) and its SHA-256. */
enum { SEC_VIEWER = 1, SEC_MEMBER = 2, SEC_OWNER = 3 };
typedef struct sec_token {
    int role;
    char name[64];
    unsigned char digest[SA_SHA256_LEN];
} sec_token;

/* One pending HITL request id (permission or question). */
typedef struct srv_hitl {
    struct srv_hitl *next;
    bool question;
    char id[];
} srv_hitl;

/* A session's token and cost totals: the sum of each turn.ended
 * data.usage field (SRV_USAGE_KEYS order); bit k of `have` says whether
 * any turn reported field k (else it is served as null). */
#define SRV_USAGE_N 6
typedef struct srv_usage {
    double v[SRV_USAGE_N];
    unsigned have;
} srv_usage;

typedef struct ring_slot {
    uint64_t seq;                  /* 0 = empty */
    char *buf; size_t len, cap, raw_off;
} ring_slot;

struct srv_session {
    srv *srv;
    srv_session *next;             /* registry (insertion order) */
    srv_session *hnext;            /* the id hash table's chain (sessions.c) */
    bool hydrated;                 /* MCP and skills read (ses_ready) */
    bool history_read;             /* usage, todos and pending HITL read from the store (ses_ready;
                                      false again after a failed read: retried at the next use) */
    bool reject_stale;             /* loaded at start: its pending requests are stale */
    char *id, *agent, *agent_mode, *permission_mode, *model, *variant;
    char *directory, *title, *native_id;
    int64_t created_ms, updated_ms;
    uint64_t last_seq;             /* last committed sequence we know of */
    /* end state (from session.ended events) */
    bool ended, ended_by_daemon, ended_error;
    int exit_code;                 /* -1 = none */
    char *ended_stderr;            /* JSON text of data.stderr or NULL */
    bool terminate_req;            /* terminate asked: messages → 400 */
    uint64_t terminate_after;      /* last_seq when terminate was asked */
    uint64_t ended_seq;            /* sequence of the last session.ended */
    int store_failed;              /* sa-store's exit status (3, 4) when it failed on its own and
                                      the error event saying so is not stored yet; 0 = none */
    srv_pipe *pipe;                /* NULL when no pipeline runs */
    struct evhttp_request *delete_req;  /* DELETE waiting for the pipeline to stop, or NULL;
                                           such a session is invisible to ses_find */
    sse_client *clients;           /* doubly linked */
    srv_hitl *hitl;
    srv_usage usage;               /* totals over the turn.ended events seen */
    cJSON *mcp;                    /* normalized MCP servers (mcp.c), or NULL */
    cJSON *skills;                 /* create's `skills` as given (skills.c built its root), or NULL */
    cJSON *todos;                  /* the latest todo.updated list (owned), or NULL (todos.c) */
    cJSON *subagents;              /* [{id, name, description, parentItemId, status}] (owned), or NULL (subagents.c) */
    ring_slot *ring;               /* SRV_RING_SLOTS, allocated with the first event seen */
    size_t ring_bytes;
    /* park.c */
    struct event *park_ev;         /* the idle timer while a pipeline runs, else NULL */
    struct evbuffer *park_wait;    /* command lines that came while parking, or NULL */
    int64_t resume_t0;             /* unix ms of the message that woke it (0 = none) */
    unsigned park_owed;            /* messages sent whose turn.ended has not come */
    bool parking;                  /* park sent; the pipeline is stopping */
};

/* metrics.c: the event commit latency histogram (cumulative bucket counts). */
#define MET_BUCKETS 13
typedef struct met_hist {
    uint64_t le[MET_BUCKETS], count;
    double sum;
} met_hist;
extern const double met_buckets[MET_BUCKETS];

struct srv {
    struct event_base *base;
    struct evhttp *http;
    srv_config cfg;
    struct sa_store *store;
    srv_session *sessions, *sessions_tail;
    unsigned n_sessions;
    srv_session **htab;            /* sessions by id (chained), hcap buckets, a power of 2 */
    size_t hcap;
    int64_t synced_ms;             /* when ses_sync last listed the store's sessions */
    struct event *sigchld, *sigterm, *sigint, *heartbeat, *sync;
    int64_t data_version;          /* the store's, when ses_sync last looked */
    bool stopping;
    unsigned fifo_counter;
    char *exe_spawn, *exe_normalize, *exe_store, *exe_replay;  /* resolved stage paths */
    char *token_env;   /* unused since secure.c: tokens are kept as digests only */
    sec_token *tokens; /* every accepted token (secure.c owns) */
    size_t n_tokens;
    bool auth;         /* a token is required (some token source was given) */
    bool single_digest_set;                     /* --token/--token-file/$SA_TOKEN given */
    unsigned char single_digest[SA_SHA256_LEN]; /* ... its digest (kept across SIGHUP) */
    char sandbox[16];  /* what the agents run in: "bwrap" or "none" */
    struct event *sighup;
    char **store_env;  /* environment for sa-store/sa-replay when --db is a URL (carries
                          SA_DB, so a password never shows in a command line); else NULL */
    char **protect;          /* canonical paths the fs API never serves (the store's
                                files, the state dir), NULL-terminated; owned */
    sa_agent_desc *agents;   /* every description in cfg.agents_dir, listing order */
    size_t n_agents;
    met_hist commit_hist;    /* metrics.c */
    struct event *warm;      /* warm.c: reads stored sessions' history after start */
    srv_session *warm_next;  /* warm.c's cursor: the next session to read (ses_delete moves it) */
};

/* ---- secure.c ---- */
/* Overwrite a --token argument in argv's memory. */
void sec_wipe_arg(char *arg);
/* Overwrite SA_TOKEN's value in the initial environment block; unsetenv it. */
void sec_scrub_environ(void);
/* The first line of PATH (trimmed) into out; 0, or -1 with errno. */
int  sec_read_token_file(const char *path, char *out, size_t n);
/* The token table from cfg.tokens_file and the single owner token (may be
 * NULL).  0, or -1 with err. */
int  sec_tokens_init(srv *s, const char *single, char *err, size_t en);
void sec_tokens_reload(srv *s);          /* SIGHUP */
/* The entry whose digest matches the presented token, or NULL. */
const sec_token *sec_lookup(const srv *s, const char *presented);
/* SEC_VIEWER/MEMBER/OWNER: what a request with this method and path needs. */
int  sec_required_role(int method, char **seg, int n);
const char *sec_role_name(int role);
void sec_free(srv *s);
/* Resolve --sandbox into s->sandbox (sa-spawn --sandbox-check).  0, or -1. */
int  sec_sandbox_init(srv *s, char *err, size_t en);

/* ---- metrics.c ---- */
/* GET /metrics (Prometheus text format). */
void met_route(srv *s, struct evhttp_request *req);
/* A committed event line from a pipeline's sa-store: observe its latency. */
void met_commit_seen(srv *s, const char *line, size_t len);

/* ---- access.c ---- */
/* True when the request carries the token (or no token is configured). */
bool acc_auth_ok(const srv *s, struct evhttp_request *req);
/* 0 when the request's token has role `need` or more (or no auth is
 * configured; *who = the token's name, or NULL); 401 no/unknown token;
 * 403 known but lacking the right. */
int  acc_auth(const srv *s, struct evhttp_request *req, int need, const char **who);
/* Whether a Host header value names this server. */
bool acc_host_allowed(const srv *s, const char *host_header);
/* Host allow-list, foreign Origin and form Content-Type checks; false after
 * sending the refusal. */
bool acc_browser_guard(const srv *s, struct evhttp_request *req);
/* Adds CORS headers for an actual request; for a preflight (OPTIONS with
 * Origin) sends the whole reply and returns true. */
bool acc_cors(const srv *s, struct evhttp_request *req);
/* Decode base64 (standard or URL-safe, padding optional); caller frees. */
char *acc_b64decode(const char *in, size_t *outlen);
/* Token from an Authorization header value; caller frees; NULL if none. */
char *acc_extract_token(const char *authz);
bool acc_ct_equal(const char *a, const char *b);

/* ---- agents.c ---- */
/* Load every description of cfg.agents_dir into s->agents (once, at start).
 * Returns the count; 0 (with a warning) when there are none. */
size_t ag_load(srv *s);
const sa_agent_desc *ag_find(const srv *s, const char *id);
/* Sends 400 unsupported_agent for `id`. */
void ag_unsupported(struct evhttp_request *req, const char *id);
/* Validates and normalizes modes per §1.6 from the description; on error
 * sends the reply and returns false.  *am_out is agent_mode (or "build"),
 * *pm_out points into the description. */
bool ag_normalize_modes(struct evhttp_request *req, const sa_agent_desc *a, const char *agent_mode,
                        const char *perm_mode, const char **am_out, const char **pm_out);
bool ag_installed(const sa_agent_desc *a);
void ag_route(srv *s, struct evhttp_request *req, char **seg, int nseg, int method);
/* Stop the probes and answer every deferred request (at the start of a
 * shutdown; idempotent).  ag_free also releases the descriptions (at exit). */
void ag_shutdown(srv *s);
void ag_free(srv *s);

/* ---- sessions.c: a session's own files in the state directory ---- */
/* <state dir>/<kind>-<16 hex digits of sa_hash64(sid)><ext> (caller frees, NULL
 * when out of memory): mcp files, skills roots, diff snapshots. */
char *srv_state_path(const srv *s, const char *kind, const char *sid, const char *ext);
/* Remove path and everything below it (in process; symlinks are removed,
 * never followed).  0, also when path is absent; -1 with a warning. */
int   srv_remove_tree(const char *path);

/* ---- mcp.c ---- */
/* A create body's `mcp` map → sa's normalized form ({strict, servers}), or
 * NULL with a message in err.  Caller frees. */
cJSON *mcp_normalize(const cJSON *in, bool strict, char *err, size_t n);
/* The servers of a normalized form with env and header values "***". */
cJSON *mcp_redacted(const cJSON *norm);
/* The file sa-spawn --mcp reads (caller frees), write it (0600, atomic),
 * read it back (NULL when absent or not this session's), remove it. */
char  *mcp_path(const srv *s, const char *sid);
int    mcp_save(const srv *s, const char *sid, const cJSON *norm);
cJSON *mcp_load(const srv *s, const char *sid);
void   mcp_remove(const srv *s, const char *sid);

/* ---- config.c ---- */
/* GET/PUT/DELETE /v1/config/{kind} (kind "mcp" or "skills"). */
void   cfg_route(srv *s, struct evhttp_request *req, const char *kind, int m);
/* The scope a session created with `directory` takes defaults from (caller frees). */
char  *cfg_session_scope(const srv *s, const char *directory);
/* The server's MCP defaults for scope with the session's own `mine` map
 * (may be NULL) over them, normalized; NULL with err when the merge does
 * not validate.  Caller frees. */
cJSON *cfg_apply_mcp(const srv *s, const char *scope, const cJSON *mine, bool strict, char *err, size_t n);
/* resolved (the session's own resolved skills, may be NULL; taken) plus the
 * default skills of scope whose names it lacks; returned (may be NULL). */
cJSON *cfg_apply_skills(const srv *s, const char *scope, cJSON *resolved);

/* ---- skills.c ---- */
/* Resolve create's `skills` member: [{name, description, path, source}], or
 * NULL with a message in err (a 400).  Clones git sources (blocking). */
cJSON *sk_resolve(const srv *s, const cJSON *skills, char *err, size_t n);
/* The session's skills root (caller frees); build it (skills/<name> links,
 * a claude plugin manifest, request.json = request); read request.json back
 * (NULL when none); remove the root. */
char  *sk_root(const srv *s, const char *sid);
int    sk_build_root(const srv *s, const char *sid, const cJSON *resolved, const cJSON *request,
                     char *err, size_t n);
cJSON *sk_load_request(const srv *s, const char *sid);
void   sk_remove(const srv *s, const char *sid);

/* ---- sessions.c ---- */
/* The session with this id (not one being deleted), made ready; O(1). */
srv_session *ses_find(srv *s, const char *id);
/* Read what a session loaded from the store keeps besides its row (usage,
 * todos, MCP servers, skills, pending HITL; stale requests of a session
 * loaded at start are rejected then), once, when it is first needed: so
 * start-up reads only the session rows. */
void ses_ready(srv_session *ss);
int  ses_load_all(srv *s);         /* from the store at start */
void ses_warm_start(srv *s);       /* warm.c: ses_ready every loaded session, a batch per tick */
void ses_warm_stop(srv *s);
/* Take in what other processes stored since the last call (cheap when the
 * store's data version has not moved): sessions created elsewhere are
 * added, and new events of sessions without a pipeline of ours reach the
 * ring and the SSE clients.  Run on a timer, before listing, and before a
 * request on a session that has no pipeline of ours (or is not known). */
void ses_sync(srv *s);
void ses_free_all(srv *s);
void ses_free(srv_session *ss);
cJSON *ses_info(const srv_session *ss);
void ses_create(srv *s, struct evhttp_request *req, const char *id);
/* The create itself for a parsed body (borrowed): the new session, or NULL
 * after sending the problem.  The caller sends the success reply. */
srv_session *ses_create_from(srv *s, struct evhttp_request *req, const char *id, const cJSON *body);
void ses_list(srv *s, struct evhttp_request *req);
void ses_events(srv *s, struct evhttp_request *req, srv_session *ss);
/* DELETE /v1/sessions/{id}: stop the pipeline (as at shutdown), then remove
 * the session from the store and the registry and answer 204.  With a
 * pipeline running, the answer waits for it to be gone (pl calls
 * ses_delete_finish); ss may be freed when this returns. */
void ses_delete(srv *s, struct evhttp_request *req, srv_session *ss);
void ses_delete_finish(srv_session *ss);
bool ses_hitl_has(const srv_session *ss, bool question, const char *id);
/* ---- diff.c ---- */
/* <state dir>/diff-<hash>: the session's private snapshots (malloc'd). */
char *diff_dir(const srv *s, const char *sid);
/* Remove the session's diff directory (rm -rf; synchronous). */
void diff_remove(const srv *s, const char *sid);
/* GET /v1/sessions/{id}/diff[?format=unified|files]. */
void ses_diff_get(srv *s, struct evhttp_request *req, srv_session *ss);
/* The session's working directory (its directory, else --fs-root). */
const char *pl_session_cwd(const srv_session *ss);

/* ---- todos.c ---- */
/* Whether an item.completed event line may be a todo.updated or
 * subagent.updated item (cheap). */
bool ses_status_candidate(const char *line, size_t len);
/* Keep the list of a todo.updated status item event (parsed), or hand a
 * subagent.updated one to subagents.c; others ignored. */
void ses_status_take(srv_session *ss, const cJSON *event);
/* The latest todo list and the subagents from the store (at start), a page at a time. */
int  sst_load_status(srv_session *ss);
/* GET /v1/sessions/{id}/todos → {"todos": [...]}. */
void ses_todos_get(srv *s, struct evhttp_request *req, srv_session *ss);
/* The session's list for SessionInfo (a new array, [] when none). */
cJSON *ses_todos_json(const srv_session *ss);

/* ---- subagents.c ---- */
/* Take the subagent of one subagent.updated status item (borrowed). */
void ses_subagents_take(srv_session *ss, const cJSON *item);
/* SessionInfo.subagents (a new array, [] when none). */
cJSON *ses_subagents_json(const srv_session *ss);
/* GET /v1/sessions/{id}/subagents → {"subagents": [...]}. */
void ses_subagents_get(srv *s, struct evhttp_request *req, srv_session *ss);

/* Add the data.usage of one turn.ended event (parsed) to the session's totals. */
void ses_usage_add(srv_session *ss, const cJSON *event);
void ses_hitl_set(srv_session *ss, bool question, const char *id, bool pending);

/* ---- turns.c ---- */
void turn_message(srv *s, struct evhttp_request *req, srv_session *ss, bool stream);
/* Send one user message (attachments may be NULL) as turn_message does;
 * false after sending the problem (session terminated, failed, no pipeline). */
bool turn_send(struct evhttp_request *req, srv_session *ss, const char *message, const cJSON *attachments);
/* Send a universal command without arguments ("cancel") when the pipeline runs. */
bool turn_simple(srv_session *ss, const char *type);
void turn_terminate(srv *s, struct evhttp_request *req, srv_session *ss);
void turn_permission_reply(srv *s, struct evhttp_request *req, srv_session *ss, const char *pid);
void turn_question(srv *s, struct evhttp_request *req, srv_session *ss, const char *qid, bool reject);

/* ---- pipeline.c ---- */
/* Starts the session's pipeline (fresh: session.started is recorded;
 * otherwise resume / prime from the store).  0 or -1 (logged). */
int  pl_start(srv_session *ss, bool fresh);
/* Queue one universal input command line (without '\n') for sa-spawn. */
void pl_send(srv_session *ss, const char *line, size_t len);
/* terminate: FIFO command, then SIGTERM sa-spawn, then SIGKILL the group. */
void pl_terminate(srv_session *ss);
/* shutdown: stop store/normalize first (nothing more gets stored), then the rest. */
void pl_shutdown(srv_session *ss);
void pl_free(srv_pipe *p);
bool pl_alive(const srv_session *ss);
pid_t pl_pgid(const srv_session *ss);
/* 1 when stage i (0 sa-spawn, 1 sa-normalize, 2 sa-store) of the session's pipeline runs, else 0. */
int pl_stage_alive(const srv_session *ss, int i);
/* The --grace-ms sa-spawn gets: half of --kill-grace-ms, at least 100. */
unsigned pl_spawn_grace_ms(unsigned kill_grace_ms);

/* ---- park.c ---- */
/* A pipeline started with nothing to do (create): idle from now. */
void pk_started(srv_session *ss);
/* A turn.ended was committed (sse.c). */
void pk_turn_ended(srv_session *ss);
/* A message came: note the time when it resumes a parked session. */
void pk_wake(srv_session *ss);
/* Send one message command line: to the pipeline, or held while parking. */
void pk_send(srv_session *ss, const char *line, size_t len);
/* sa-spawn's --resumed-at value in buf (then forgotten), or NULL. */
const char *pk_resumed_arg(srv_session *ss, char *buf, size_t n);
/* The pipeline is gone (pipeline.c finish): true when the messages held
 * while it parked went to a new one (turn streams go on), else false. */
bool pk_pipeline_ended(srv_session *ss);
/* SessionInfo.parked: open, and no pipeline of ours runs for it. */
bool pk_parked(const srv_session *ss);
void pk_free(srv_session *ss);

/* ---- sse.c ---- */
/* One stored event line from sa-store (or appended by us): ring, HITL,
 * end state, fan-out.  `line` is borrowed. */
void sse_intake(srv_session *ss, const char *line, size_t len);
/* Flush the frames built during one intake batch. */
void sse_flush(srv_session *ss);
/* Open an SSE stream: events after `after`; turn_stream ends at a turn-terminal event. */
sse_client *sse_open(srv_session *ss, struct evhttp_request *req, uint64_t after, bool raw,
                     bool turn_stream);
void sse_close_all(srv_session *ss, bool send_end);
/* Open SSE clients of the session. */
size_t sse_client_count(const srv_session *ss);
/* The longest output queue of the session's clients (bytes sa-serve holds
 * for one client: batch + connection buffer; bounded by cfg.client_limit
 * plus one frame or page event); adds the clients not live (catching up
 * or over the limit) to *catching_up. */
size_t sse_client_queue_max(const srv_session *ss, size_t *catching_up);
/* End every messages/stream response of the session (pipeline gone). */
void sse_end_turn_streams(srv_session *ss);
void sse_heartbeat(srv *s);
void sse_ring_free(srv_session *ss);
bool sse_terminal_type(const char *type, size_t len);
/* Appends one SSE frame for a stored line to `out`. */
void sse_frame(struct evbuffer *out, uint64_t seq, const char *line, size_t len, size_t raw_off,
               bool raw);

/* ---- evscan.c ---- */
typedef struct evs_info {
    uint64_t seq;
    const char *type; size_t type_len;
    const char *native; size_t native_len;   /* JSON string body (escaped) or NULL */
    size_t raw_off;                          /* offset of ',"raw":' */
    bool has_raw;
} evs_info;
bool evs_scan(const char *s, size_t len, evs_info *out);
bool evs_type_is(const evs_info *e, const char *type);

/* ---- store.c (over lib/sa_store) ---- */
int  sst_open(srv *s);             /* 0, or -1 with a diagnostic */
void sst_close(srv *s);
/* A failed store call as problem details: 503 with Retry-After: 1 when the
 * store is unavailable (PostgreSQL did not answer within --store-timeout),
 * else 502; detail "stream error: WHAT: <the store's message>". */
void sst_problem(struct evhttp_request *req, srv *s, int rc, const char *what);
/* Events with sequence > after, at most limit (0 = all), raw kept or nulled;
 * calls cb per event (non-zero return stops).  Returns count or -1. */
typedef int (*sst_event_cb)(uint64_t seq, const char *json, size_t len, size_t raw_off,
                            const char *type, void *arg);
long sst_read(srv *s, const char *id, uint64_t after, size_t limit, bool raw, bool *has_more,
              sst_event_cb cb, void *arg);
/* Append session.ended {reason:terminated, terminated_by:daemon} and hand
 * the stored line to sse_intake.  0 or -1. */
int  sst_append_terminated(srv_session *ss);
/* The session's synthetic session.started {metadata: {agent, agentMode,
 * permissionMode, model, variant}}, stored before create answers (as
 * v0.1.11 does); 0 ok, -1 logged. */
int  sst_append_started(srv_session *ss);
/* Resolve a request left pending by an agent process that is gone (a
 * previous sa-serve run): append its *.resolved as rejected.  0 or -1. */
int  sst_reject_stale(srv_session *ss, const char *requested_json, size_t len);
/* Usage totals of a loaded session from its stored turn.ended events (read
 * from the store by type, a page at a time, up to ss->last_seq).  0 or -1. */
int  sst_load_usage(srv_session *ss);
/* The session's sa-store failed on its own (exit 3 or 4: disk full, read-only,
 * lost database): store a daemon `error` event {message, code
 * "store_failed", details {exitCode, afterSequence}} once the store takes
 * writes again.  0 when stored (or nothing to store), -1 (logged) when the
 * store still refuses; ss->store_failed then stays set. */
int  sst_store_failure(srv_session *ss);

/* ---- children.c ---- */
typedef void (*ch_exit_cb)(pid_t pid, int status, void *arg);
void ch_watch(pid_t pid, ch_exit_cb cb, void *arg);
void ch_forget(void *arg);         /* drop every watch with this arg */
void ch_reap(void);                /* from the SIGCHLD event */
void ch_free(void);
/* fork+exec with PR_SET_PDEATHSIG, own stdin/stdout, optional pgid to join
 * (0 = new group), optional cwd.  Returns pid or -1. */
/* envp NULL = sa-serve's own environment. */
pid_t ch_spawn(char *const argv[], int in_fd, int out_fd, pid_t pgid, int deathsig, const char *cwd,
               char *const envp[]);
/* The same with stderr on err_fd too (-1 = sa-serve's own). */
pid_t ch_spawn_err(char *const argv[], int in_fd, int out_fd, int err_fd, pid_t pgid, int deathsig,
                   const char *cwd, char *const envp[]);

/* ---- ui.c ---- */
/* GET|HEAD /ui, /ui/ and /ui/NAME (path: the raw request path, starting
 * "/ui"): the embedded inspector files (ui.h), public, ETag-revalidated. */
void ui_route(srv *s, struct evhttp_request *req, const char *path, int m);

/* ---- router.c ---- */
extern const char *rt_actor;   /* the requesting token's name during dispatch, or NULL */
enum { M_GET = 1, M_POST, M_PUT, M_DELETE, M_OPTIONS, M_HEAD, M_PATCH, M_OTHER };
void rt_handle(struct evhttp_request *req, void *arg);
/* Log the request line, status (code, or 0: the reply's) and time (at log
 * level 2, see router.c); note (may be NULL) is appended.  For replies that
 * never complete. */
void rt_log_request(struct evhttp_request *req, int code, const char *note);
void rt_not_found(struct evhttp_request *req);
void rt_method_not_allowed(struct evhttp_request *req, const char *allow);
/* 422 invalid_request with a problem body. */
void rt_unprocessable(struct evhttp_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
