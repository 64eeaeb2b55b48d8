/*
 * turns.c — the endpoints that talk to a session's agent: messages,
 * messages/stream, terminate, permission and question replies
 * (sandbox-agent v0.1.11 §1.7, §1.11).  Each turns a request into one
 * universal input command line written to the session's control FIFO
 * (pipeline.c); results arrive as events through sa-store.
 *
 * Session state checks, in order: terminate asked or ended by the daemon →
 * 400 "session terminated"; ended with an error → 500 agent_process_exited
 * {exitCode, stderr}; ended "completed" → allowed (the pipeline is started
 * again: resume or prime).  A message to a session whose pipeline is gone
 * restarts it (a parked one, park.c: held while it is parking), unless its last sa-store failed (disk full, read-only) and
 * the store still refuses the error event saying so: 502 stream_error, the
 * message is not sent.  HITL ids are checked against the pending set kept from the
 * events (seeded from the store at start); an id whose agent is gone is
 * unknown (400) too.
 *
 * Ownership: request bodies are parsed and freed here.
 */
#include "serve.h"
#include "http.h"
#include "sa_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/keyvalq_struct.h>

/* false (reply sent) when the session cannot take input. */
static bool session_usable(struct evhttp_request *req, srv_session *ss)
{
    if (ss->terminate_req || (ss->ended && ss->ended_by_daemon)) {
        http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: session terminated");
        return false;
    }
    if (ss->ended && ss->ended_error && !ss->pipe) {
        cJSON *ext = cJSON_CreateObject();
        cJSON_AddStringToObject(ext, "agent", ss->agent);
        cJSON *d = cJSON_AddObjectToObject(ext, "details");
        if (ss->exit_code >= 0) cJSON_AddNumberToObject(d, "exitCode", ss->exit_code);
        cJSON *se = ss->ended_stderr ? cJSON_Parse(ss->ended_stderr) : NULL;
        if (se) cJSON_AddItemToObject(d, "stderr", se);
        char detail[300];
        snprintf(detail, sizeof detail, "agent process exited: %s", ss->agent);
        http_problem(req, HTTP_ERR_AGENT_PROCESS_EXITED, 0, detail, ext);
        return false;
    }
    return true;
}

static bool ensure_pipeline(struct evhttp_request *req, srv_session *ss)
{
    if (ss->pipe) return true;
    if (ss->store_failed && sst_store_failure(ss) < 0) {    /* the store still takes no writes */
        http_problemf(req, HTTP_ERR_STREAM_ERROR, "stream error: the event store cannot be written: %s",
                      sa_store_errmsg(ss->srv->store));
        return false;
    }
    if (pl_start(ss, false) == 0 && ss->pipe) return true;
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "agent", ss->agent);
    http_problem(req, HTTP_ERR_AGENT_PROCESS_EXITED, 0, "agent process exited: cannot start the pipeline", ext);
    return false;
}

static void send_cmd(srv_session *ss, cJSON *cmd)
{
    char *line = cJSON_PrintUnformatted(cmd);
    if (line) pl_send(ss, line, strlen(line));
    free(line);
}

void turn_message(srv *s, struct evhttp_request *req, srv_session *ss, bool stream)
{
    cJSON *body = http_body_json(req, s->cfg.max_body);
    if (!body) return;
    cJSON *cmd = NULL;
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(body, "message");
    cJSON *att = cJSON_GetObjectItemCaseSensitive(body, "attachments");
    if (!msg) { rt_unprocessable(req, "missing field `message`"); goto out; }
    if (!cJSON_IsString(msg)) { rt_unprocessable(req, "message: invalid type, expected a string"); goto out; }
    if (att && !cJSON_IsNull(att)) {
        bool ok = cJSON_IsArray(att);
        cJSON *a;
        cJSON_ArrayForEach(a, att) {
            cJSON *p = cJSON_GetObjectItemCaseSensitive(a, "path");
            cJSON *m = cJSON_GetObjectItemCaseSensitive(a, "mime");
            cJSON *f = cJSON_GetObjectItemCaseSensitive(a, "filename");
            if (!cJSON_IsObject(a) || !cJSON_IsString(p) || (m && !cJSON_IsNull(m) && !cJSON_IsString(m)) ||
                (f && !cJSON_IsNull(f) && !cJSON_IsString(f)))
                ok = false;
        }
        if (!ok) { rt_unprocessable(req, "attachments: expected [{path, mime?, filename?}]"); goto out; }
    }
    if (!session_usable(req, ss)) goto out;
    bool raw = false;
    if (stream) {
        struct evkeyvalq q;
        http_query(req, &q);
        raw = http_query_bool(&q, "include_raw", "includeRaw");
        evhttp_clear_headers(&q);
    }
    pk_wake(ss);              /* a parked session: its resume time counts from here (park.c) */
    if (!ensure_pipeline(req, ss)) goto out;
    ss->ended = false;        /* a completed session goes on */
    cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "type", "message");
    cJSON_AddStringToObject(cmd, "message", msg->valuestring);
    if (att && cJSON_IsArray(att)) cJSON_AddItemToObject(cmd, "attachments", cJSON_Duplicate(att, true));
    if (stream) sse_open(ss, req, ss->last_seq, raw, true);   /* subscribe first */
    char *line = cJSON_PrintUnformatted(cmd);
    if (line) pk_send(ss, line, strlen(line));   /* held while the session parks (park.c) */
    free(line);
    if (!stream) http_no_content(req);
out:
    cJSON_Delete(cmd);
    cJSON_Delete(body);
}

void turn_terminate(srv *s, struct evhttp_request *req, srv_session *ss)
{
    (void)s;
    if (ss->terminate_req || ss->ended) {
        if (ss->pipe) pl_terminate(ss);          /* leave no process behind */
        http_no_content(req);
        return;
    }
    ss->terminate_req = true;
    ss->terminate_after = ss->last_seq;
    if (ss->pipe) pl_terminate(ss);
    else sst_append_terminated(ss);
    http_no_content(req);
}

static void unknown_id(struct evhttp_request *req, const char *kind, const char *id)
{
    http_problemf(req, HTTP_ERR_INVALID_REQUEST, "invalid request: unknown %s id: %.300s", kind, id);
}

void turn_permission_reply(srv *s, struct evhttp_request *req, srv_session *ss, const char *pid)
{
    cJSON *body = http_body_json(req, s->cfg.max_body);
    if (!body) return;
    cJSON *r = cJSON_GetObjectItemCaseSensitive(body, "reply");
    if (!r) { rt_unprocessable(req, "missing field `reply`"); goto out; }
    if (!cJSON_IsString(r) || (strcmp(r->valuestring, "once") && strcmp(r->valuestring, "always") &&
                               strcmp(r->valuestring, "reject"))) {
        rt_unprocessable(req, "reply: unknown variant, expected one of `once`, `always`, `reject`");
        goto out;
    }
    if (!session_usable(req, ss)) goto out;
    if (!ses_hitl_has(ss, false, pid) || !ss->pipe) { unknown_id(req, "permission", pid); goto out; }
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "type", "permission.reply");
    cJSON_AddStringToObject(cmd, "permission_id", pid);
    cJSON_AddStringToObject(cmd, "reply", r->valuestring);
    if (rt_actor) cJSON_AddStringToObject(cmd, "actor", rt_actor);   /* its resolved event says who */
    send_cmd(ss, cmd);
    cJSON_Delete(cmd);
    ses_hitl_set(ss, false, pid, false);
    http_no_content(req);
out:
    cJSON_Delete(body);
}

void turn_question(srv *s, struct evhttp_request *req, srv_session *ss, const char *qid, bool reject)
{
    cJSON *body = NULL, *answers = NULL;
    if (!reject) {
        body = http_body_json(req, s->cfg.max_body);
        if (!body) return;
        answers = cJSON_GetObjectItemCaseSensitive(body, "answers");
        bool ok = cJSON_IsArray(answers);
        cJSON *row, *cell;
        cJSON_ArrayForEach(row, answers) {
            if (!cJSON_IsArray(row)) { ok = false; break; }
            cJSON_ArrayForEach(cell, row) if (!cJSON_IsString(cell)) ok = false;
        }
        if (!answers) { rt_unprocessable(req, "missing field `answers`"); goto out; }
        if (!ok) { rt_unprocessable(req, "answers: invalid type, expected an array of string arrays"); goto out; }
    }
    if (!session_usable(req, ss)) goto out;
    if (!ses_hitl_has(ss, true, qid) || !ss->pipe) { unknown_id(req, "question", qid); goto out; }
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "type", reject ? "question.reject" : "question.reply");
    cJSON_AddStringToObject(cmd, "question_id", qid);
    if (!reject) cJSON_AddItemToObject(cmd, "answers", cJSON_Duplicate(answers, true));
    if (rt_actor) cJSON_AddStringToObject(cmd, "actor", rt_actor);
    send_cmd(ss, cmd);
    cJSON_Delete(cmd);
    ses_hitl_set(ss, true, qid, false);
    http_no_content(req);
out:
    cJSON_Delete(body);
}

bool turn_send(struct evhttp_request *req, srv_session *ss, const char *message, const cJSON *attachments)
{
    if (!session_usable(req, ss) || !ensure_pipeline(req, ss)) return false;
    ss->ended = false;
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "type", "message");
    cJSON_AddStringToObject(cmd, "message", message);
    if (attachments) cJSON_AddItemToObject(cmd, "attachments", cJSON_Duplicate(attachments, true));
    send_cmd(ss, cmd);
    cJSON_Delete(cmd);
    return true;
}

bool turn_simple(srv_session *ss, const char *type)
{
    if (!ss->pipe) return false;
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "type", type);
    send_cmd(ss, cmd);
    cJSON_Delete(cmd);
    return true;
}
