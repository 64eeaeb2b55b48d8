/*
 * oc.h — the OpenCode-compatible API at /opencode/... (what `opencode attach`
 * and `opencode run --attach` call), backed by sa's own sessions.  Three
 * modules, one prefix:
 *
 *   oc_map.c     the fold: universal events → OpenCode messages, parts and
 *                bus events (pure; no server state, unit-testable)
 *   oc_events.c  GET /opencode/event and /global/event (SSE), the live folds
 *                of the sessions those streams watch, and the prompts that
 *                wait for their turn to end (POST .../message)
 *   oc_compat.c  the routes: sessions, messages, permissions, questions and
 *                the static answers the client asks for at start
 *
 * Ids: an OpenCode session id is the sa session id (with "ses_" before it
 * when it does not start "ses", which the client insists on).  Message and part ids
 * come from the sa item ids (itm_N → msg_/prt_ + N zero-padded), so a
 * history rebuilt from the store and the live stream name things the same
 * and sort in event order; a turn's assistant message is its user
 * message's id + "a".
 *
 * Ownership: an oc_fold owns its messages (cJSON) and strings; oc_fold_free
 * releases them.  Events appended to `out` belong to the caller's array.
 */
#ifndef SA_OC_H
#define SA_OC_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <event2/http.h>

typedef struct srv srv;
typedef struct srv_session srv_session;

typedef struct oc_fold {
    char *sid, *provider, *model, *cwd;
    bool keep_all;        /* keep every message (history) or only the current turn's (live) */
    cJSON *msgs;          /* [{info, parts}] in order */
    cJSON *user, *asst;   /* the current turn's entries in msgs (borrowed), or NULL */
    bool busy;
    uint64_t seq;         /* last event folded */
    bool turn_done;       /* the last event folded ended a turn (turn.ended or session.ended) */
} oc_fold;

/* ---- oc_map.c ---- */
/* OpenCode wants session ids starting "ses": an sa id that does not is
 * shown as "ses_" + id (oc_compat.c maps it back).  Returns buf. */
#define OC_ID_MAX 600
const char *oc_id(const char *sa_id, char buf[OC_ID_MAX]);
/* Strings are copied; provider is the sa agent, model may be NULL. */
int  oc_fold_init(oc_fold *f, const char *sid, const char *provider, const char *model, const char *cwd,
                  bool keep_all);
void oc_fold_free(oc_fold *f);
/* Fold one stored universal event; OpenCode bus events ({type, properties})
 * are appended to out when it is not NULL. */
void oc_fold_event(oc_fold *f, const cJSON *ev, cJSON *out);
/* "2026-02-01T10:00:00.123Z" → unix ms (0 when unreadable). */
int64_t oc_time_ms(const char *iso);
/* The current turn's assistant entry {info, parts} (a copy), or an empty
 * assistant message when the turn had none.  Caller frees. */
cJSON *oc_fold_reply(const oc_fold *f, int64_t now_ms);
/* The OpenCode permission / question shapes of a stored
 * permission.requested / question.requested event's data. */
cJSON *oc_permission_of(const char *sid, const cJSON *data);
cJSON *oc_question_of(const char *sid, const cJSON *data);

/* ---- oc_events.c ---- */
/* Every event line a session stores (sse.c's intake): fold and fan out.
 * Costs nothing while no OpenCode stream or prompt is open. */
void oc_intake(srv_session *ss, const char *line, size_t len);
/* GET /opencode/event (global=false) or /opencode/global/event. */
void oc_event_open(srv *s, struct evhttp_request *req, bool global);
/* Answer req with the turn's assistant message when the turn that starts
 * after sequence `after` ends. */
void oc_prompt_wait(srv *s, struct evhttp_request *req, srv_session *ss, uint64_t after);
/* The session's messages rebuilt from the store: [{info, parts}].  Caller frees. */
cJSON *oc_history(srv *s, srv_session *ss);
/* Busy (a turn runs) per the live fold, or false when none is kept. */
bool oc_session_busy(const srv_session *ss);
/* Shutdown: end every stream and waiting prompt (send_end: politely). */
void oc_shutdown(bool send_end);
void oc_free(void);

/* ---- oc_compat.c ---- */
/* Everything under /opencode (seg[0] == "opencode"; the token was checked). */
void oc_route(srv *s, struct evhttp_request *req, char **seg, int n, int m);
/* The OpenCode Session object of an sa session.  Caller frees. */
cJSON *oc_session_info(const srv_session *ss);

#endif
