/*
 * rpc.h — sp_rpc, JSON-RPC bookkeeping for agents that speak it on stdio
 * (codex app-server: one JSON object per line, no "jsonrpc" member).  See
 * rpc.c.  Ownership: sp_rpc owns its entries; sp_rpc_send/sp_rpc_notify/
 * sp_rpc_reply take their params/result; ids are borrowed.
 */
#ifndef SA_SPAWN_RPC_H
#define SA_SPAWN_RPC_H

#include "sp.h"

typedef struct sp_rpc_call { int64_t id; char *method; int tag; } sp_rpc_call;
typedef struct sp_rpc {
    int64_t next;          /* last id used */
    sp_rpc_call *v;
    size_t n, cap;
} sp_rpc;

enum { SP_RPC_OTHER, SP_RPC_REQUEST, SP_RPC_NOTIFICATION, SP_RPC_RESPONSE };

/* Send {"id":N,"method":M,"params":P} (takes params; NULL = {}); returns N. */
int64_t sp_rpc_send(sp_rpc *r, sp_session *s, const char *method, cJSON *params, int tag);
/* Send a notification {"method":M[,"params":P]} (takes params). */
void sp_rpc_notify(sp_session *s, const char *method, cJSON *params);
/* Answer the agent's request id with a result (takes result; NULL = {}). */
void sp_rpc_reply(sp_session *s, const cJSON *id, cJSON *result);
void sp_rpc_reply_error(sp_session *s, const cJSON *id, int code, const char *message);
/* The method (and tag) of our request with this id, or NULL. */
const char *sp_rpc_method(const sp_rpc *r, const cJSON *id, int *tag);
void sp_rpc_done(sp_rpc *r, const cJSON *id);
void sp_rpc_clear(sp_rpc *r);
/* What a parsed line is: SP_RPC_REQUEST (id + method), _NOTIFICATION
 * (method only), _RESPONSE (id + result/error), or _OTHER. */
int sp_rpc_kind(const cJSON *j);

#endif
