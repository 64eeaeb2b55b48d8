/*
 * nz_int.h — internals shared by nz_state.c (item and conversion rules),
 * nz_lifecycle.c (sa-spawn lifecycle lines and HITL resolution) and nz_emit.c
 * (envelope writer).  Not a public interface; see nz_state.h for the API and
 * ownership rules.
 */
#ifndef NZ_INT_H
#define NZ_INT_H

#include "nz_state.h"
#include "nz_map.h"
#include "nz_todo.h"

typedef struct nz_subs nz_subs;
typedef struct nz_buf { char *p; size_t len, cap; bool over; } nz_buf;

/* A pending assistant item (agents without native item starts). */
typedef struct nz_pending {
    char *nid;              /* "<session>_pending_assistant_<n>" */
    nz_buf delta;           /* streamed text (capped) */
    nz_buf snap;            /* text from the agent's own message snapshots */
    bool has_delta;
} nz_pending;

struct nz_state {
    char *agent, *session, *nsid, *perm_mode;
    char *agent_mode, *model, *variant;   /* default session.started metadata */
    const nz_agent_flags *fl;
    cJSON *metadata;
    bool no_ss, session_started;
    bool turn_open;      /* a turn.started was emitted and its turn.ended not yet */
    bool turn_closed;    /* a session.ended closed the open turn: the agent's own turn.ended
                            that may still come for it is dropped */
    uint64_t next_item, user_n, pending_n;
    nz_map *native;      /* native key → item id (char *) */
    nz_map *started;     /* item ids started (set) */
    nz_map *deltas;      /* item ids with a delta since start (set) */
    nz_map *perms;       /* permission_id → cJSON {"data":..., "link":...} */
    nz_map *questions;   /* question_id → cJSON data */
    cJSON *usage;        /* the current turn's usage from turn.usage conversions (owned; NULL = none) */
    cJSON *usage_total;  /* the agent's running total at the last turn.usage (owned; NULL = none) */
    cJSON *usage_cum;    /* the last turn.ended usage_cumulative, canonical (owned; NULL = none) */
    nz_todo *todo;       /* the todo list (nz_todo.c; NULL until the first todo conversion) */
    nz_subs *subs;       /* the subagents (nz_subagent.c; NULL until the first subagent conversion) */
    nz_pending *pend;
    size_t npend, cappend;
    char **open_calls;   /* call_ids of tool_call parts without a tool_result yet, in order (owned) */
    char **open_nids;    /* the native item id of each one's tool_call item, or NULL (owned) */
    size_t nopen, capopen;
    nz_emit_fn emit;
    void (*emit_parts)(void *ctx, const char *head, size_t head_len, const char *raw, size_t raw_len);
    void *ctx;
    cJSON *(*before_turn_end)(void *ctx);
    void *hook_ctx;
    bool in_hook;
    /* nz_emit.c: reusable buffers and the cached time-of-second prefix */
    nz_buf line;
    char *dbuf;
    size_t dcap;
    long long tsec;
    bool tcached;
    size_t tplen;
    char tprefix[40];
};

#define NZ_SEGMENT_TEXT_MAX (8u << 20)
/* An event line longer than this (sa-store's default --max-line) would be
 * refused by the store: its raw is replaced by {"sa_raw_omitted": BYTES}. */
#define NZ_EVENT_MAX ((size_t)16 << 20)

/* Emit one envelope; takes ownership of data (nz_emit.c). */
void nz_emit(nz_state *st, const char *type, cJSON *data, bool synthetic, nz_raw raw);
/* An item.delta event {item_id, native_item_id (NULL = null), delta}, written
 * without a cJSON tree (nz_emit.c; the same bytes as nz_emit). */
void nz_emit_delta(nz_state *st, const char *item_id, const char *nid, const char *delta, bool synthetic,
                   nz_raw raw);
/* Free nz_emit's buffers (called by nz_state_free). */
void nz_emit_free(nz_state *st);
/* The item id of native key `key`, made and remembered when unknown (nz_state.c). */
const char *nz_item_id_for_native(nz_state *st, const char *key);
/* Subagents (nz_subagent.c): whether type is subagent.start / subagent.end;
 * turn one such conversion (data borrowed) into a subagent.updated status item. */
bool nz_subagent_type(const char *type);
/* Whether id is a subagent a subagent.start named. */
bool nz_subagent_known(const nz_state *st, const char *id);
#define NZ_SUB_ALIAS_MAX 1100   /* "subagent:" + an id (ids are cut to 1024 bytes) */
void nz_subagent_conversion(nz_state *st, const char *type, const cJSON *data, nz_raw raw);
void nz_subagent_free(nz_subs *t);
/* Run one canonical item through rules 2-6; takes ownership of item. */
void nz_item_event(nz_state *st, const char *type, cJSON *item, bool synthetic, nz_raw raw);
/* Complete (and pop) every pending assistant item: text → completed, none → failed. */
void nz_close_pending(nz_state *st, nz_raw raw);
/* Open a new pending assistant item (emits its synthetic item.started). */
void nz_pending_push(nz_state *st, nz_raw raw);
/* HITL: record / resolve.  Data is canonical and borrowed. */
void nz_hitl_event(nz_state *st, const char *type, cJSON *data, bool synthetic, const char *link, nz_raw raw);
/* A new agent process: forget the running usage totals (nz_state.c). */
void nz_usage_forget_totals(nz_state *st);
cJSON *nz_make_item(const char *nid, const char *kind, const char *role, const char *text, const char *status);
/* A completed status item (label, detail, then json when not NULL, taken over). */
cJSON *nz_status_item(const char *label, const char *detail, const char *parent_id, cJSON *json);
/* sa-spawn's "parked" / "resumed" line (sa names which) → its status item (nz_park.c). */
void nz_park_line(nz_state *st, const char *sa, const cJSON *line, nz_raw raw);
/* Give every tool call still open a failed tool_result (the turn or session
 * ended without one). */
void nz_close_open_calls(nz_state *st, nz_raw raw);

#endif
