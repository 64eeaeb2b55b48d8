/*
 * nz_state.h — sa-normalize's stateful normalization rules (sandbox-agent
 * v0.1.11 §1.10), fed with already-mapped "conversions".
 *
 * The per-agent jq program turns one native line into a list of
 * conversions {"type", "data", "synthetic"?, "native_session_id"?, "link"?};
 * everything that needs memory across lines lives here: native session id
 * adoption, itm_N ids through the native_item_id map, parent_id mapping,
 * pending assistant items for agents without native item starts (claude),
 * synthetic item.started / item.delta, dedup, pending permission/question
 * maps, visibility suppression, and the sa-spawn lifecycle lines
 * ({"sa":"turn"}, exited, terminated, ...).
 *
 * Output: each event is handed to opts.emit as one canonical JSON envelope
 * (no event_id/sequence, no trailing newline).  With opts.before_turn_end,
 * the item it returns is completed right before every turn.ended (the
 * session.diff item of sa-normalize --diff-dir).
 *
 * Ownership: nz_state copies what it keeps from nz_opts (strings, metadata);
 * every cJSON/raw argument is borrowed for the duration of the call only.
 */
#ifndef NZ_STATE_H
#define NZ_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>

/* Behaviour flags per agent, from its description's "normalize" member
 * (nz_agents.c); agents without a description get the "default" row. */
typedef struct nz_agent_flags {
    const char *name;
    bool item_started;         /* agent emits its own assistant item.started */
    bool native_turn_started;  /* agent emits turn.started itself */
    bool synth_user;           /* normalizer records the user message item */
    bool resumable;            /* non-synthetic session.ended is dropped */
    bool turn_end_from_sa;     /* turn.ended comes from sa-spawn's turn_end line */
    cJSON *question_tools;     /* tool names that ask questions (array, or NULL) */
} nz_agent_flags;

const nz_agent_flags *nz_agent_lookup(const char *name);
/* Whether `tool` is one of the agent's question tools (description member
 * "question_tools"). */
bool nz_agent_question_tool(const nz_agent_flags *fl, const char *tool);
/* Where descriptions are looked up (NULL = sa_agent_dir's default). */
void nz_agent_set_dir(const char *dir);

typedef void (*nz_emit_fn)(void *ctx, const char *line, size_t len);

typedef struct nz_opts {
    const char *agent;              /* required */
    const char *session_id;         /* required */
    const char *native_session_id;  /* may be NULL */
    uint64_t item_start;            /* first itm number (0 means 1) */
    const char *permission_mode;    /* may be NULL */
    const cJSON *metadata;          /* session.started metadata; NULL = the default object below */
    const char *agent_mode;         /* default metadata: agentMode (NULL = "build") */
    const char *model, *variant;    /* default metadata: model, variant (NULL = null) */
    bool no_session_started;
    nz_emit_fn emit;
    void *emit_ctx;
    /* optional: an event whose raw line is big (256 KiB or more) is handed
     * over as head (everything before the raw text) and raw, so the raw
     * line is not copied; the event is head + raw + "}" */
    void (*emit_parts)(void *ctx, const char *head, size_t head_len, const char *raw, size_t raw_len);
    /* Called before every turn.ended is written: a new canonical item that
     * nz_state completes first (and frees), or NULL.  sa-normalize
     * --diff-dir gives the turn's session.diff item this way. */
    cJSON *(*before_turn_end)(void *ctx);
    void *hook_ctx;
} nz_opts;

/* What `raw` of the events derived from one input line holds. */
typedef enum { NZ_RAW_NULL, NZ_RAW_JSON, NZ_RAW_STRING } nz_raw_kind;
typedef struct nz_raw {
    nz_raw_kind kind;
    const char *text;               /* NUL-terminated; valid JSON when NZ_RAW_JSON */
} nz_raw;

typedef struct nz_state nz_state;

nz_state *nz_state_new(const nz_opts *o);
void nz_state_free(nz_state *st);
/* Emits the synthetic session.started (unless no_session_started).  Its
 * data.metadata is opts.metadata, else {"agent","agentMode","permissionMode",
 * "model","variant"} from the options (sandbox-agent's shape). */
void nz_state_begin(nz_state *st);
/* One sa-spawn lifecycle line ({"sa": ...} object). */
void nz_state_sa_line(nz_state *st, const cJSON *line, nz_raw raw);
/* The jq output for one native line: an array of conversions. */
void nz_state_conversions(nz_state *st, const cJSON *convs, nz_raw raw);
/* One line that could not be mapped → agent.unparsed. */
void nz_state_unparsed(nz_state *st, const char *error, const char *location, nz_raw raw);
/* The same as nz_state_conversions of [{type: "item.delta", data: {item_id: "",
 * native_item_id: nid (NULL: null), delta}, native_session_id: nsid (NULL:
 * none)}], without building it (sa-normalize's fast path for text deltas). */
void nz_state_delta(nz_state *st, const char *nsid, const char *nid, const char *delta, nz_raw raw);

/* Introspection for tests and diagnostics. */
const char *nz_state_native_session_id(const nz_state *st);
size_t nz_state_pending_assistants(const nz_state *st);
size_t nz_state_pending_permissions(const nz_state *st);
size_t nz_state_pending_questions(const nz_state *st);

#endif
