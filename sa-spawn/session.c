/*
 * session.c — the sa-spawn session loop.
 *
 * One poll(2) over: the control input, the agent's stdout and stderr, the
 * agent's stdin (only while bytes wait for it), the agent's pidfd, and a
 * self-pipe for SIGTERM/SIGINT/SIGHUP; its timeout is the next HITL
 * deadline.  Messages queue up and are handed to the agent one turn at a
 * time (a turn ends at the agent's end-of-turn line or when the process
 * dies); the agent is (re)started lazily when a turn needs it and was not
 * running (claude then gets --resume <native id>).  A per_turn agent (amp)
 * is not started at once: each turn starts its own process, and a turn
 * whose predecessor's process is still exiting waits (up to the grace
 * period, then that process is stopped) so its message reaches a fresh
 * one.  End of input: finish the queued turns, stop the agent (exited
 * requested:true; a per_turn agent's last process is given the grace
 * period to exit by itself first), exit.
 * terminate or a signal: stop the agent group at once, terminated + exited.
 * park: the input ends there (as at its end: the queued turns finish, the
 * agent is stopped, exited requested:true), then a parked line, exit 0; no
 * terminated line, so the session is not ended and a later run resumes it.
 * --resumed-at: the agent's first output line is preceded by a resumed line
 * with the time since the message that woke the session.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    int e = errno;
    got_signal = sig;
    if (sigpipe_fds[1] >= 0) { char c = (char)sig; (void)!write(sigpipe_fds[1], &c, 1); }
    errno = e;
}

/* ---- the API agents call ---- */

const sp_opts *sp_session_opts(const sp_session *s) { return s->o; }
void *sp_session_state(sp_session *s) { return s->ast; }
void sp_session_emit(sp_session *s, cJSON *j) { sp_emit(&s->out, j); }
const char *sp_session_native(const sp_session *s) { return s->native; }

void sp_session_native_id(sp_session *s, const char *id)
{
    if (s->native && strcmp(s->native, id) == 0) return;
    free(s->native);
    s->native = strdup(id);
    if (!s->native) sa_diex(SP_EXIT_SYS, "out of memory");
}

void sp_session_send(sp_session *s, const char *bytes, size_t n)
{
    if (!s->running || s->proc.in < 0) return;
    sp_buf_add(&s->ain, bytes, n);
    sp_agent_flush_in(s);
}

void sp_session_send_json(sp_session *s, const cJSON *j)
{
    if (!s->running || s->proc.in < 0) return;
    if (!sp_buf_add_json_line(&s->ain, j)) sa_diex(SP_EXIT_SYS, "out of memory");
    sp_agent_flush_in(s);
}

void sp_session_close_input(sp_session *s)
{
    if (!s->running) return;
    s->close_in = true;
    sp_agent_flush_in(s);
}

void sp_session_interrupt(sp_session *s, int sig)
{
    sp_agent_interrupt(s, sig);
}

void sp_session_turn_end(sp_session *s)
{
    if (!s->in_turn) return;
    cJSON *j = sp_line_new("turn_end");
    cJSON_AddNumberToObject(j, "turn", s->turn);
    sp_emit(&s->out, j);
    s->in_turn = false;
    sp_session_drop_pending(s, "turn_end");
}

static int64_t deadline(sp_session *s)
{
    return s->o->hitl_timeout ? sa_time_mono_us() / 1000 + (int64_t)s->o->hitl_timeout * 1000 : 0;
}

static void emit_perm_resolved(sp_session *s, const char *id, const char *reply, const char *by)
{
    cJSON *j = sp_line_new("permission.resolved");
    cJSON_AddStringToObject(j, "permission_id", id);
    cJSON_AddStringToObject(j, "reply", reply);
    cJSON_AddStringToObject(j, "by", by);
    if (s->actor) cJSON_AddStringToObject(j, "actor", s->actor);
    sp_emit(&s->out, j);
}

/* answers NULL = rejected. */
static void emit_q_resolved(sp_session *s, const char *id, const cJSON *answers, const char *by)
{
    cJSON *j = sp_line_new("question.resolved");
    cJSON_AddStringToObject(j, "question_id", id);
    cJSON_AddStringToObject(j, "status", answers ? "answered" : "rejected");
    const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetArrayItem(answers, 0), 0));
    if (first) cJSON_AddStringToObject(j, "response", first);
    else cJSON_AddNullToObject(j, "response");
    cJSON_AddItemToObject(j, "answers", answers ? cJSON_Duplicate(answers, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(j, "by", by);
    if (s->actor) cJSON_AddStringToObject(j, "actor", s->actor);
    sp_emit(&s->out, j);
}

static void resolve_perm(sp_session *s, sp_pending *p, const char *reply, const char *by)
{
    s->ag->permission_reply(s, p, reply);
    emit_perm_resolved(s, p->id, reply, by);
    if (strcmp(reply, "always") == 0 && p->key) sp_hitl_always_add(&s->hitl, p->key);
    sp_pending *q = p->link ? sp_hitl_find(&s->hitl, SP_QUESTION, p->link) : NULL;
    if (q) {
        cJSON *none = cJSON_CreateArray();
        emit_q_resolved(s, q->id, strcmp(reply, "reject") == 0 ? NULL : none, by);
        cJSON_Delete(none);
        sp_hitl_remove(&s->hitl, q);
    }
    sp_hitl_remove(&s->hitl, p);
}

/* The linked permission of a question is an implementation detail of the
 * agent (claude asks through can_use_tool): it is answered with the question
 * and gets no resolved line of its own, as sa-normalize hides its request. */
static void resolve_question(sp_session *s, sp_pending *q, const cJSON *answers, const char *by)
{
    sp_pending *linked = q->link ? sp_hitl_find(&s->hitl, SP_PERM, q->link) : NULL;
    if (!linked && q->await_link) {
        /* Answered before the agent asked for the answer: hold it. */
        cJSON *d = cJSON_CreateObject();
        cJSON_AddItemToObject(d, "answers", answers ? cJSON_Duplicate(answers, 1) : cJSON_CreateNull());
        sp_hitl_add(&s->hitl, SP_EARLY, q->id, NULL, NULL, d, 0);
    } else {
        s->ag->question_reply(s, q, linked, answers);
    }
    emit_q_resolved(s, q->id, answers, by);
    if (linked) sp_hitl_remove(&s->hitl, linked);
    sp_hitl_remove(&s->hitl, q);
}

bool sp_session_auto_resolve(sp_session *s, const char *id, const char *reply, const char *by)
{
    sp_pending *p = sp_hitl_find(&s->hitl, SP_PERM, id);
    if (!p) return false;
    resolve_perm(s, p, reply, by);
    return true;
}

/* The requests still pending when their turn or process ends (or the turn
 * is cancelled) can never be answered: each gets a resolved line (reject,
 * by `by`) so nothing stays requested; the agent is not answered (its turn
 * is over).  Questions held for a control request that never came go too. */
void sp_session_drop_pending(sp_session *s, const char *by)
{
    sp_pending *p;
    while ((p = s->hitl.list) != NULL) {
        if (p->kind == SP_PERM) {
            emit_perm_resolved(s, p->id, "reject", by);
            sp_pending *q = p->link ? sp_hitl_find(&s->hitl, SP_QUESTION, p->link) : NULL;
            if (q) { emit_q_resolved(s, q->id, NULL, by); sp_hitl_remove(&s->hitl, q); }
        } else if (p->kind == SP_QUESTION) {
            emit_q_resolved(s, p->id, NULL, by);
            sp_pending *l = p->link ? sp_hitl_find(&s->hitl, SP_PERM, p->link) : NULL;
            if (l) sp_hitl_remove(&s->hitl, l);   /* its question tool permission: no line of its own */
        }
        sp_hitl_remove(&s->hitl, p);
    }
}

/* A new request is answered at once when it can be: by a reply that came
 * before it (held), by an earlier "always", or, once the control input has
 * ended, rejected (by "end_of_input"): nothing can answer it any more. */
#define BY_EOF "end_of_input"

static void settle_perm(sp_session *s, sp_pending *p)
{
    sp_held *x = sp_hitl_take_held(&s->hitl, SP_PERM, p->id);
    if (x) {
        s->actor = x->cmd->actor;
        resolve_perm(s, p, x->cmd->reply, "user");
        s->actor = NULL;
        sp_hitl_held_free(x);
    } else if (p->key && sp_hitl_always_has(&s->hitl, p->key)) {
        resolve_perm(s, p, "always", "always");
    } else if (!s->ctl_open) {
        resolve_perm(s, p, "reject", BY_EOF);
    }
}

static void settle_question(sp_session *s, sp_pending *q)
{
    sp_held *x = sp_hitl_take_held(&s->hitl, SP_QUESTION, q->id);
    if (x) {
        s->actor = x->cmd->actor;
        resolve_question(s, q, x->cmd->type == SP_CMD_Q_REPLY ? x->cmd->answers : NULL, "user");
        s->actor = NULL;
        sp_hitl_held_free(x);
    } else if (!s->ctl_open) {
        resolve_question(s, q, NULL, BY_EOF);
    }
}

void sp_session_permission(sp_session *s, const char *id, const char *key,
                           const char *link, cJSON *data)
{
    sp_pending *p = sp_hitl_add(&s->hitl, SP_PERM, id, key, link, data, deadline(s));
    sp_pending *q = link ? sp_hitl_find(&s->hitl, SP_QUESTION, link) : NULL;
    if (q) settle_question(s, q);      /* a question tool's permission: the question decides */
    else settle_perm(s, p);
}

void sp_session_question(sp_session *s, const char *id, const char *link, cJSON *data)
{
    sp_pending *q = sp_hitl_add(&s->hitl, SP_QUESTION, id, NULL, link, data, deadline(s));
    if (link && !sp_hitl_find(&s->hitl, SP_PERM, link)) return;   /* settled when its permission comes */
    settle_question(s, q);
}

void sp_session_question_early(sp_session *s, const char *id, cJSON *data)
{
    if (sp_hitl_find(&s->hitl, SP_QUESTION, id) || sp_hitl_find(&s->hitl, SP_EARLY, id)) {
        cJSON_Delete(data);
        return;
    }
    sp_pending *q = sp_hitl_add(&s->hitl, SP_QUESTION, id, NULL, NULL, data, deadline(s));
    q->await_link = true;
    settle_question(s, q);
}

bool sp_session_question_link(sp_session *s, const char *qid, const char *perm_id, cJSON *perm_data)
{
    sp_pending *early = sp_hitl_find(&s->hitl, SP_EARLY, qid);
    if (early) {
        sp_pending *p = sp_hitl_add(&s->hitl, SP_PERM, perm_id, NULL, qid, perm_data, 0);
        cJSON *a = cJSON_GetObjectItemCaseSensitive(early->data, "answers");
        s->ag->question_reply(s, early, p, cJSON_IsArray(a) ? a : NULL);
        sp_hitl_remove(&s->hitl, p);
        sp_hitl_remove(&s->hitl, early);
        return true;
    }
    sp_pending *q = sp_hitl_find(&s->hitl, SP_QUESTION, qid);
    if (q) {
        free(q->link);
        q->link = strdup(perm_id);
        if (!q->link) sa_diex(SP_EXIT_SYS, "out of memory");
        q->await_link = false;
        sp_session_permission(s, perm_id, NULL, qid, perm_data);
        return true;
    }
    return false;
}

void sp_session_withdraw(sp_session *s, const char *id)
{
    sp_pending *p = sp_hitl_find(&s->hitl, SP_PERM, id);
    if (!p) return;
    sp_pending *q = p->link ? sp_hitl_find(&s->hitl, SP_QUESTION, p->link) : NULL;
    if (q) sp_hitl_remove(&s->hitl, q);
    sp_hitl_remove(&s->hitl, p);
}

/* ---- control input ---- */

static void input_error(sp_session *s, const char *err, const char *line)
{
    sa_warnx("input: %s", err);
    cJSON *j = sp_line_new("input_error");
    cJSON_AddStringToObject(j, "error", err);
    cJSON_AddStringToObject(j, "line", line);
    sp_emit(&s->out, j);
}

/* A held reply that no request used: an input_error after all. */
static void held_unused(sp_session *s, sp_held *x, const char *why)
{
    char err[400];
    snprintf(err, sizeof err, "unknown %s id: %.200s: %s",
             x->cmd->type == SP_CMD_PERM_REPLY ? "permission" : "question", x->cmd->id, why);
    input_error(s, err, x->line);
    sp_hitl_held_free(x);
}

static void report_held(sp_session *s, const char *why)
{
    sp_held *x;
    while ((x = sp_hitl_take_any_held(&s->hitl)) != NULL) held_unused(s, x, why);
}

/* A reply whose request is not pending: refused when the request was
 * resolved already, else held for the request to come (see sa-spawn(1),
 * "Replies before requests").  Takes *c when it is held. */
static void early_reply(sp_session *s, sp_cmd *c, const char *line)
{
    int kind = c->type == SP_CMD_PERM_REPLY ? SP_PERM : SP_QUESTION;
    const char *what = kind == SP_PERM ? "permission" : "question";
    char err[400];
    if (sp_hitl_was_done(&s->hitl, kind, c->id)) {
        snprintf(err, sizeof err, "unknown %s id: %.200s: already resolved", what, c->id);
        input_error(s, err, line);
        return;
    }
    sp_cmd *keep = malloc(sizeof *keep);
    if (!keep) sa_diex(SP_EXIT_SYS, "out of memory");
    *keep = *c;
    if (!sp_hitl_hold(&s->hitl, keep, line, deadline(s))) {
        free(keep);
        snprintf(err, sizeof err, "unknown %s id: %.200s: %d replies already wait for their requests",
                 what, c->id, SP_HELD_MAX);
        input_error(s, err, line);
        return;
    }
    memset(c, 0, sizeof *c);
}

/* The control input has ended: no reply can come, so every open request is
 * rejected now (the agent is told, and goes on with its turn). */
static void input_ended(sp_session *s)
{
    for (;;) {
        sp_pending *p = s->hitl.list;
        while (p && p->kind != SP_PERM && p->kind != SP_QUESTION) p = p->next;
        if (!p) return;
        sp_pending *q = p->kind == SP_PERM && p->link ? sp_hitl_find(&s->hitl, SP_QUESTION, p->link) : NULL;
        if (p->kind == SP_QUESTION) resolve_question(s, p, NULL, BY_EOF);
        else if (q) resolve_question(s, q, NULL, BY_EOF);
        else resolve_perm(s, p, "reject", BY_EOF);
    }
}

static void terminate(sp_session *s, int code)
{
    report_held(s, "no such request before the session was terminated");
    s->emit_terminated = true;
    sp_agent_stop(s, false);
    s->done = true;
    s->exit_code = code;
}

static void handle_line(sp_session *s, const char *line, size_t len)
{
    sp_cmd c;
    char err[256];
    if (len == 0 || strspn(line, " \t\r") == len) return;    /* blank lines are fine */
    if (sp_cmd_parse(line, &c, err, sizeof err) < 0) { input_error(s, err, line); return; }
    sp_pending *p;
    switch (c.type) {
    case SP_CMD_MESSAGE:
        if (s->qlen >= SP_QUEUE_MAX) { input_error(s, "too many queued messages", line); break; }
        sp_cmd *nq = realloc(s->queue, (s->qlen + 1) * sizeof *nq);
        if (!nq) sa_diex(SP_EXIT_SYS, "out of memory");
        s->queue = nq;
        s->queue[s->qlen++] = c;                           /* the queue takes c */
        return;
    case SP_CMD_PERM_REPLY:
        s->actor = c.actor;
        if ((p = sp_hitl_find(&s->hitl, SP_PERM, c.id))) resolve_perm(s, p, c.reply, "user");
        else early_reply(s, &c, line);
        s->actor = NULL;
        break;
    case SP_CMD_Q_REPLY:
    case SP_CMD_Q_REJECT:
        s->actor = c.actor;
        if ((p = sp_hitl_find(&s->hitl, SP_QUESTION, c.id)))
            resolve_question(s, p, c.type == SP_CMD_Q_REPLY ? c.answers : NULL, "user");
        else early_reply(s, &c, line);
        s->actor = NULL;
        break;
    case SP_CMD_CANCEL:
        if (s->in_turn && s->running) {
            s->ag->cancel(s);
            sp_session_drop_pending(s, "cancel");
        }
        sp_emit(&s->out, sp_line_new("cancelled"));
        break;
    case SP_CMD_TERMINATE:
        terminate(s, SP_EXIT_OK);
        break;
    case SP_CMD_PARK:
        s->park = true;
        s->park_idle_ms = c.idle_ms;
        s->ctl_open = false;               /* the input ends here */
        input_ended(s);
        break;
    }
    sp_cmd_free(&c);
}

/* Read ready control lines (at most budget); *more = lines still buffered. */
static void read_control(sp_session *s, bool *more)
{
    *more = false;
    char *line;
    size_t len;
    for (int n = 0; n < 256 && s->ctl_open && !s->done; n++) {
        int r = sa_line_next(&s->ctl, &line, &len);
        if (r == SA_LINE_AGAIN) return;
        if (r == SA_LINE_EOF || r == SA_LINE_ERR) {
            if (r == SA_LINE_ERR) { sa_warn("reading control input"); s->ctl_failed = true; }
            s->ctl_open = false;
            input_ended(s);
            return;
        }
        if (r == SA_LINE_TOOLONG) { input_error(s, "input line too long", ""); continue; }
        handle_line(s, line, len);
    }
    *more = s->ctl_open && sa_line_buffered(&s->ctl);
}

static int open_control(sp_session *s)
{
    const char *path = s->o->control;
    struct stat st;
    if (!path) {
        s->ctl_fd = STDIN_FILENO;
    } else {
        if (stat(path, &st) < 0) { sa_warn("cannot open control input %s", path); return -1; }
        /* A FIFO is opened read-write: we never see end of input when a
         * writer closes it, so writers may come and go; only terminate (or
         * a signal) ends such a session. */
        int fl = S_ISFIFO(st.st_mode) ? O_RDWR | O_NONBLOCK : O_RDONLY;
        s->ctl_fd = open(path, fl | O_CLOEXEC);
        if (s->ctl_fd < 0) { sa_warn("cannot open control input %s", path); return -1; }
    }
    if (fstat(s->ctl_fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
        int fl = fcntl(s->ctl_fd, F_GETFL);
        if (fl >= 0) (void)fcntl(s->ctl_fd, F_SETFL, fl | O_NONBLOCK);
    }
    sa_line_init(&s->ctl, s->ctl_fd, SP_CTL_LINE_MAX);
    s->ctl_open = true;
    return 0;
}

void sp_session_resumed(sp_session *s)
{
    s->resume_told = true;
    int64_t ms = sa_time_ms() - s->o->resumed_at;
    cJSON *j = sp_line_new("resumed");
    cJSON_AddNumberToObject(j, "resume_ms", (double)(ms < 0 ? 0 : ms));
    cJSON_AddStringToObject(j, "how", s->o->resume && s->o->desc->native_resume ? "native"
                                      : s->o->prime ? "primed" : "restarted");
    sp_emit(&s->out, j);
}

/* ---- turns ---- */

static void start_turn(sp_session *s)
{
    if (!s->running && sp_agent_start(s) < 0) {
        s->done = true;
        s->exit_code = SP_EXIT_SPAWN;
        return;
    }
    sp_cmd c = s->queue[0];
    memmove(s->queue, s->queue + 1, (s->qlen - 1) * sizeof *s->queue);
    s->qlen--;
    s->turn++;
    cJSON *j = sp_line_new("turn");
    cJSON_AddNumberToObject(j, "turn", s->turn);
    cJSON_AddStringToObject(j, "message", c.message);
    cJSON_AddItemToObject(j, "attachments", c.attachments ? cJSON_Duplicate(c.attachments, 1) : cJSON_CreateArray());
    sp_emit(&s->out, j);
    char *text = sp_prompt_text(c.message, c.attachments);
    const char *prime = !s->prime_sent ? s->o->prime : NULL;
    s->prime_sent = true;
    s->in_turn = true;
    s->ag->send_message(s, s->turn, text, prime);
    free(text);
    sp_cmd_free(&c);
}

static void hitl_timeouts(sp_session *s)
{
    sp_pending *p;
    int64_t now = sa_time_mono_us() / 1000;
    while ((p = sp_hitl_expired(&s->hitl, now)) != NULL) {
        if (p->kind == SP_PERM) resolve_perm(s, p, "reject", "timeout");
        else resolve_question(s, p, NULL, "timeout");
    }
    sp_held *x;
    while ((x = sp_hitl_take_expired_held(&s->hitl, now)) != NULL)
        held_unused(s, x, "no such request within --hitl-timeout");
}

/* ---- the loop ---- */

static void loop(sp_session *s)
{
    bool ctl_more = false, out_more = false;
    while (!s->done) {
        if (!s->in_turn && s->qlen > 0) {
            if (s->ag->per_turn && s->running) sp_agent_await_exit(s);   /* the last turn's process */
            start_turn(s);
            if (s->done) break;
            continue;
        }
        if (!s->in_turn && s->qlen == 0 && !s->ctl_open) {        /* end of input */
            report_held(s, "no such request before the input ended");
            if (s->ag->per_turn) sp_agent_await_exit(s);   /* it ends by itself after its turn */
            else sp_agent_stop(s, true);
            if (s->park) {
                cJSON *j = sp_line_new("parked");
                if (s->park_idle_ms >= 0) cJSON_AddNumberToObject(j, "idle_ms", (double)s->park_idle_ms);
                else cJSON_AddNullToObject(j, "idle_ms");
                sp_emit(&s->out, j);
            }
            s->done = true;
            s->exit_code = s->ctl_failed ? SP_EXIT_CONTROL : s->last_failed ? SP_EXIT_AGENT : SP_EXIT_OK;
            break;
        }
        sp_out_flush(s);
        if (s->out_broken) { sp_agent_stop(s, false); s->done = true; s->exit_code = SP_EXIT_SYS; break; }

        struct pollfd p[6];
        int n = 0, ic = -1, io = -1, ie = -1, ii = -1, ip = -1, is;
        p[is = n++] = (struct pollfd){ .fd = sigpipe_fds[0], .events = POLLIN };
        if (s->ctl_open) p[ic = n++] = (struct pollfd){ .fd = s->ctl_fd, .events = POLLIN };
        if (s->running && !s->out_eof) p[io = n++] = (struct pollfd){ .fd = s->proc.out, .events = POLLIN };
        if (s->running && !s->err_eof) p[ie = n++] = (struct pollfd){ .fd = s->proc.err, .events = POLLIN };
        if (s->running && s->ain.len && s->proc.in >= 0) p[ii = n++] = (struct pollfd){ .fd = s->proc.in, .events = POLLOUT };
        if (s->running && s->proc.pidfd >= 0) p[ip = n++] = (struct pollfd){ .fd = s->proc.pidfd, .events = POLLIN };
        int timeout = -1;
        int64_t d = sp_hitl_next_deadline(&s->hitl);
        if (d) {
            int64_t left = d - sa_time_mono_us() / 1000;
            timeout = left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
        }
        if (s->running && s->proc.pidfd < 0 && (timeout < 0 || timeout > 50)) timeout = 50;
        if (ctl_more || out_more) timeout = 0;
        int r = poll(p, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) sa_die(SP_EXIT_SYS, "poll");
        if (got_signal) {
            char buf[16];
            while (read(sigpipe_fds[0], buf, sizeof buf) > 0) {}
            sa_info("stopping on signal %d", (int)got_signal);
            terminate(s, SP_EXIT_SIGNAL);
            break;
        }
        if (r < 0) continue;
        short oev = io >= 0 ? p[io].revents : 0, eev = ie >= 0 ? p[ie].revents : 0;
        if (oev || eev || out_more) sp_agent_pump(s, (short)(oev | out_more), eev, &out_more);
        if (ii >= 0 && p[ii].revents) sp_agent_flush_in(s);
        if ((ic >= 0 && p[ic].revents) || ctl_more) read_control(s, &ctl_more);
        if (s->done) break;
        hitl_timeouts(s);
        if (s->running && (s->proc.pidfd < 0 || (ip >= 0 && p[ip].revents))) sp_agent_check_exit(s);
        (void)is;
    }
    sp_out_flush(s);
}

int sp_session_run(const sp_opts *o)
{
    sp_session s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.ag = sp_agent_find(o->desc->protocol);
    if (s.ag->state_size && !(s.ast = calloc(1, s.ag->state_size))) sa_diex(SP_EXIT_SYS, "out of memory");
    s.ctl_fd = -1;
    s.proc.in = s.proc.out = s.proc.err = s.proc.pidfd = -1;
    int code;

    if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) sa_die(SP_EXIT_SYS, "pipe");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    const char *name = o->agent_bin ? o->agent_bin : o->desc->bin;
    s.agent_path = o->agent_bin ? sa_find_exec(name, false) : sa_agent_find(o->desc, NULL);
    if (!s.agent_path) {
        char err[1200], *cache = sa_agent_cache_dir();
        if (strchr(name, '/')) snprintf(err, sizeof err, "cannot execute %s: no such executable file", name);
        else snprintf(err, sizeof err, "cannot execute %s: not found %son PATH or in the agent cache %.800s", name,
                      !o->agent_bin && o->desc->beside_self ? "beside sa-spawn, " : "", cache ? cache : "(no HOME)");
        free(cache);
        cJSON *j = sp_line_new("spawn_failed");
        cJSON_AddStringToObject(j, "agent", o->agent);
        cJSON_AddStringToObject(j, "error", err);
        sp_emit(&s.out, j);
        sa_warnx("%s", err);
        sp_out_flush(&s);
        code = SP_EXIT_SPAWN;
        goto out;
    }
    if (open_control(&s) < 0) { code = SP_EXIT_CONTROL; goto out; }
    if (!s.ag->per_turn && sp_agent_start(&s) < 0) { sp_out_flush(&s); code = SP_EXIT_SPAWN; goto out; }
    loop(&s);
    code = s.exit_code;
out:
    if (s.running) sp_agent_stop(&s, false);
    sp_out_flush(&s);
    if (s.ctl_fd > STDIN_FILENO) close(s.ctl_fd);
    sa_line_free(&s.ctl);
    for (size_t i = 0; i < s.qlen; i++) sp_cmd_free(&s.queue[i]);
    free(s.queue);
    sp_hitl_free(&s.hitl);
    sp_buf_free(&s.out);
    sp_buf_free(&s.ain);
    if (s.ag->free_state) s.ag->free_state(&s);
    free(s.ast);
    free(s.native);
    free(s.agent_path);
    close(sigpipe_fds[0]);
    close(sigpipe_fds[1]);
    sigpipe_fds[0] = sigpipe_fds[1] = -1;
    return code;
}
