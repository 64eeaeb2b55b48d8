/*
 * attach.c — `sa attach SID`: follow a session in the terminal.
 *
 * It reads the session's history (GET /events), then follows it live
 * (/events/sse from the last sequence, resumed with Last-Event-ID after a
 * drop) until session.ended.  Each event is shown as readable text
 * (messages by role, reasoning, tool calls with arguments, tool results,
 * file changes with their diffs, status items, errors, HITL requests and
 * their outcome), or with --json as the event's JSON line.
 *
 * Live text streams: an item.delta that arrives live is printed as it comes,
 * after the label its item.started gave ("assistant: "), on an open line.
 * When that item completes and its text is what was streamed, the line is
 * just ended (and the item's other parts shown); when it differs, or when
 * another event had to be shown in between, the completed item is shown
 * whole.  So the bytes of a session that streams its text match those of one
 * that does not.  --no-deltas shows completed items only.  In the history
 * (and with --json) deltas are not drawn.
 *
 * Permissions and questions still pending (requested in the history and not
 * resolved, or requested live) are asked on stderr and answered from stdin:
 * a permission with once / always / reject (o, a, r), a question with an
 * option's number, a free answer, or an empty line to reject it.
 * --auto-reject rejects each without asking.  --until-turn-end returns at
 * the first live turn.ended instead (for scripts).  When stdin ends, requests are
 * left pending (said once on stderr) and following goes on.
 *
 * Ownership: pending ids are malloc'd and freed when answered or at exit;
 * the open line's item id, its streamed text and the item labels belong to
 * the att and are freed by stream_free.
 */
#include "cl.h"
#include "sa.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX 256
#define LABELS_MAX  32                  /* items started and not completed, remembered for their label */
#define STREAM_MAX  ((size_t)1 << 20)   /* streamed text kept to compare with the completed item */

typedef struct att {
    const char *sid;
    bool json, auto_reject, stdin_done, ended, until_turn, turn_done, no_deltas;
    char *open_id;                  /* the item whose deltas are on the open line, or NULL */
    char *streamed;                 /* what was printed of it (up to STREAM_MAX) */
    size_t slen, scap;
    bool sover;                     /* more than STREAM_MAX was streamed */
    char *label_id[LABELS_MAX], *label[LABELS_MAX];
    int nlabel;
    uint64_t last;
    char *pending[PENDING_MAX];     /* "p:ID" or "q:ID", requested and not resolved */
    cJSON *pending_ev[PENDING_MAX];
    int npending;
} att;

static const char attach_usage[] =
    "usage: sa attach SID [--auto-reject] [--json] [--no-deltas] [--until-turn-end] [-o OFFSET] [-e URL] [-t TOKEN | -n]\n";

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* ---- live text streams ---- */

/* The label a text part of ITEM is printed with: its role, else its kind. */
static const char *item_label(const cJSON *item)
{
    const char *role = jstr(item, "role"), *kind = jstr(item, "kind");
    return role ? role : kind ? kind : "?";
}

/* Remember the label of an item that started (the oldest is forgotten). */
static void label_put(att *a, const cJSON *item)
{
    const char *id = jstr(item, "item_id");
    if (!id) return;
    if (a->nlabel == LABELS_MAX) {
        free(a->label_id[0]);
        free(a->label[0]);
        memmove(a->label_id, a->label_id + 1, (LABELS_MAX - 1) * sizeof a->label_id[0]);
        memmove(a->label, a->label + 1, (LABELS_MAX - 1) * sizeof a->label[0]);
        a->nlabel--;
    }
    char *i = strdup(id), *l = strdup(item_label(item));
    if (!i || !l) { free(i); free(l); return; }
    a->label_id[a->nlabel] = i;
    a->label[a->nlabel++] = l;
}

static const char *label_of(const att *a, const char *id)
{
    for (int i = a->nlabel - 1; i >= 0; i--)
        if (!strcmp(a->label_id[i], id)) return a->label[i];
    return "assistant";
}

/* End the open line, if any. */
static void stream_close(att *a)
{
    if (!a->open_id) return;
    fputc('\n', stdout);
    free(a->open_id);
    a->open_id = NULL;
    a->slen = 0;
    a->sover = false;
}

static void stream_delta(att *a, const cJSON *d)
{
    const char *id = jstr(d, "item_id"), *delta = jstr(d, "delta");
    if (!id || !delta) return;
    if (!a->open_id || strcmp(a->open_id, id)) {
        stream_close(a);
        if (!(a->open_id = strdup(id))) return;
        printf("%s: ", label_of(a, id));
    }
    fputs(delta, stdout);
    size_t n = strlen(delta);
    if (a->sover || a->slen + n > STREAM_MAX) { a->sover = true; return; }
    sa_reserve(&a->streamed, &a->scap, a->slen + n + 1, 4096);
    memcpy(a->streamed + a->slen, delta, n);
    a->slen += n;
}

/* Is the text of ITEM's text parts what was streamed on the open line? */
static bool stream_matches(const att *a, const cJSON *item)
{
    if (a->sover) return false;
    size_t off = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(item, "content")) {
        const char *t = jstr(p, "type"), *text = jstr(p, "text");
        if (!t || strcmp(t, "text")) continue;
        size_t n = text ? strlen(text) : 0;
        if (off + n > a->slen || memcmp(a->streamed + off, text, n)) return false;
        off += n;
    }
    return off == a->slen && off > 0;
}

static void stream_free(att *a)
{
    stream_close(a);
    free(a->streamed);
    for (int i = 0; i < a->nlabel; i++) { free(a->label_id[i]); free(a->label[i]); }
    a->nlabel = 0;
}

static void show_part(const cJSON *item, const cJSON *p)
{
    const char *t = jstr(p, "type"), *status = jstr(item, "status");
    if (!t) return;
    if (!strcmp(t, "text")) {
        printf("%s: %s\n", item_label(item), jstr(p, "text") ? jstr(p, "text") : "");
    } else if (!strcmp(t, "reasoning")) {
        printf("(reasoning) %s\n", jstr(p, "text") ? jstr(p, "text") : "");
    } else if (!strcmp(t, "tool_call")) {
        printf("tool call %s %s [%s]\n", jstr(p, "name") ? jstr(p, "name") : "?",
               jstr(p, "arguments") ? jstr(p, "arguments") : "", jstr(p, "call_id") ? jstr(p, "call_id") : "");
    } else if (!strcmp(t, "tool_result")) {
        printf("tool result [%s]%s: %s\n", jstr(p, "call_id") ? jstr(p, "call_id") : "",
               status && !strcmp(status, "failed") ? " (failed)" : "", jstr(p, "output") ? jstr(p, "output") : "");
    } else if (!strcmp(t, "file_ref")) {
        printf("file %s %s\n", jstr(p, "action") ? jstr(p, "action") : "?", jstr(p, "path") ? jstr(p, "path") : "?");
        const char *d = jstr(p, "diff");
        for (const char *l = d; l && *l;) {
            size_t n = strcspn(l, "\n");
            printf("    %.*s\n", (int)n, l);
            l += n + (l[n] == '\n');
        }
    } else if (!strcmp(t, "status")) {
        const char *det = jstr(p, "detail");
        printf("status: %s%s%s\n", jstr(p, "label") ? jstr(p, "label") : "", det ? ": " : "", det ? det : "");
    } else if (!strcmp(t, "image")) {
        printf("image %s\n", jstr(p, "path") ? jstr(p, "path") : "?");
    } else {
        char *j = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(p, "json"));
        printf("%s: %s\n", t, j ? j : "");
        free(j);
    }
}

static void show(att *a, const cJSON *ev, const char *type, bool live)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    if (!strcmp(type, "item.delta")) {
        if (live && !a->no_deltas) stream_delta(a, d);
        return;
    }
    if (!strcmp(type, "item.started")) {
        label_put(a, cJSON_GetObjectItemCaseSensitive(d, "item"));
        return;
    }
    if (!strcmp(type, "item.completed") && a->open_id) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(d, "item"), *p;
        const char *id = jstr(item, "item_id");
        if (id && !strcmp(id, a->open_id) && stream_matches(a, item)) {
            stream_close(a);                  /* its text is on the line already */
            cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(item, "content")) {
                const char *t = jstr(p, "type");
                if (!t || strcmp(t, "text")) show_part(item, p);
            }
            return;
        }
    }
    stream_close(a);
    if (!strcmp(type, "session.started")) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(d, "metadata");
        printf("== session %s started (agent %s, mode %s)\n", jstr(ev, "session_id") ? jstr(ev, "session_id") : "?",
               jstr(m, "agent") ? jstr(m, "agent") : "?", jstr(m, "agentMode") ? jstr(m, "agentMode") : "?");
    } else if (!strcmp(type, "session.ended")) {
        const char *msg = jstr(d, "message");
        printf("== session ended (%s, by %s)%s%s\n", jstr(d, "reason") ? jstr(d, "reason") : "?",
               jstr(d, "terminated_by") ? jstr(d, "terminated_by") : "?", msg ? ": " : "", msg ? msg : "");
    } else if (!strcmp(type, "turn.started") || !strcmp(type, "turn.ended")) {
        printf("-- turn %s\n", type + 5);
    } else if (!strcmp(type, "item.completed")) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(d, "item"), *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(item, "content")) show_part(item, p);
    } else if (!strcmp(type, "error")) {
        const char *code = jstr(d, "code");
        printf("error: %s%s%s%s\n", jstr(d, "message") ? jstr(d, "message") : "?", code ? " (" : "", code ? code : "",
               code ? ")" : "");
    } else if (!strcmp(type, "agent.unparsed")) {
        printf("unparsed agent output: %s\n", jstr(d, "error") ? jstr(d, "error") : "?");
    } else if (!strcmp(type, "permission.requested")) {
        char *m = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(d, "metadata"));
        printf("permission requested [%s]: %s %s\n", jstr(d, "permission_id") ? jstr(d, "permission_id") : "?",
               jstr(d, "action") ? jstr(d, "action") : "?", m ? m : "");
        free(m);
    } else if (!strcmp(type, "permission.resolved")) {
        printf("permission [%s]: %s\n", jstr(d, "permission_id") ? jstr(d, "permission_id") : "?",
               jstr(d, "status") ? jstr(d, "status") : "?");
    } else if (!strcmp(type, "question.requested")) {
        printf("question [%s]: %s\n", jstr(d, "question_id") ? jstr(d, "question_id") : "?",
               jstr(d, "prompt") ? jstr(d, "prompt") : "");
        int i = 1;
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(d, "options"))
            if (cJSON_IsString(o)) printf("  %d) %s\n", i++, o->valuestring);
    } else if (!strcmp(type, "question.resolved")) {
        const char *r = jstr(d, "response");
        printf("question [%s]: %s%s%s\n", jstr(d, "question_id") ? jstr(d, "question_id") : "?",
               jstr(d, "status") ? jstr(d, "status") : "?", r ? ": " : "", r ? r : "");
    }
}

/* One line from stdin without its newline; false at end of input. */
static bool ask(att *a, const char *prompt, char *buf, size_t size)
{
    if (a->stdin_done) return false;
    fputs(prompt, stderr);
    fflush(stderr);
    if (!fgets(buf, (int)size, stdin)) {
        a->stdin_done = true;
        fputs("\nsa: attach: end of input; pending requests are left unanswered\n", stderr);
        return false;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

static void post(const att *a, const char *kind, const char *id, const char *act, const cJSON *body)
{
    char *s = cl_esc(a->sid), *i = cl_esc(id), path[8192];
    snprintf(path, sizeof path, "/v1/sessions/%s/%s/%s/%s", s, kind, i, act);
    free(s);
    free(i);
    char *b = body ? cJSON_PrintUnformatted(body) : NULL;
    cl_resp r;
    int rc = cl_request("POST", path, b, b ? strlen(b) : 0, b ? "application/json" : NULL, NULL, &r);
    free(b);
    if (rc != CL_OK || r.status >= 300) cl_report("POST", path, rc, &r);
    cl_resp_free(&r);
}

static void answer_permission(att *a, const cJSON *d)
{
    const char *id = jstr(d, "permission_id"), *reply = NULL;
    if (!id) return;
    char line[256];
    if (a->auto_reject) reply = "reject";
    for (int tries = 0; !reply && tries < 5; tries++) {
        char prompt[600];
        snprintf(prompt, sizeof prompt, "allow %s (%s)? [o]nce, [a]lways, [r]eject: ", id,
                 jstr(d, "action") ? jstr(d, "action") : "?");
        if (!ask(a, prompt, line, sizeof line)) return;
        if (!strcmp(line, "o") || !strcmp(line, "once")) reply = "once";
        else if (!strcmp(line, "a") || !strcmp(line, "always")) reply = "always";
        else if (!strcmp(line, "r") || !strcmp(line, "reject")) reply = "reject";
    }
    if (!reply) return;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "reply", reply);
    post(a, "permissions", id, "reply", b);
    cJSON_Delete(b);
}

static void answer_question(att *a, const cJSON *d)
{
    const char *id = jstr(d, "question_id");
    if (!id) return;
    char line[4096];
    if (!a->auto_reject) {
        char prompt[600];
        snprintf(prompt, sizeof prompt, "answer %s (an option's number or your answer; empty line: reject): ", id);
        if (!ask(a, prompt, line, sizeof line)) return;
    }
    if (a->auto_reject || !line[0]) { post(a, "questions", id, "reject", NULL); return; }
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(d, "options");
    uint64_t k;
    const char *ans = line;
    if (sa_parse_u64(line, 1000, &k) && k >= 1 && cJSON_IsString(cJSON_GetArrayItem(opts, (int)k - 1)))
        ans = cJSON_GetArrayItem(opts, (int)k - 1)->valuestring;
    cJSON *b = cJSON_CreateObject();
    cJSON *row = cJSON_CreateArray();
    cJSON_AddItemToArray(row, cJSON_CreateString(ans));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(b, "answers"), row);
    post(a, "questions", id, "reply", b);
    cJSON_Delete(b);
}

static void answer(att *a, const cJSON *ev, const char *type)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    fflush(stdout);
    if (!strcmp(type, "permission.requested")) answer_permission(a, d);
    else answer_question(a, d);
}

/* Show one event; with live set, answer a request at once. */
static void handle(att *a, cJSON *ev, const char *line, size_t len, bool live)
{
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "sequence");
    if (cJSON_IsNumber(seq) && seq->valuedouble > (double)a->last) a->last = (uint64_t)seq->valuedouble;
    const char *type = jstr(ev, "type");
    if (!type) return;
    if (a->json) { fwrite(line, 1, len, stdout); fputc('\n', stdout); }
    else show(a, ev, type, live);
    fflush(stdout);
    if (!strcmp(type, "session.ended")) a->ended = true;
    bool perm = !strcmp(type, "permission.requested"), q = !strcmp(type, "question.requested");
    bool res = !strcmp(type, "permission.resolved") || !strcmp(type, "question.resolved");
    if (!perm && !q && !res) return;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    const char *id = jstr(d, perm || !strcmp(type, "permission.resolved") ? "permission_id" : "question_id");
    if (!id) return;
    char key[600];
    snprintf(key, sizeof key, "%c:%s", type[0], id);
    if (res) {
        for (int i = 0; i < a->npending; i++) {
            if (strcmp(a->pending[i], key)) continue;
            free(a->pending[i]);
            cJSON_Delete(a->pending_ev[i]);
            a->pending[i] = a->pending[--a->npending];
            a->pending_ev[i] = a->pending_ev[a->npending];
            break;
        }
        return;
    }
    if (live) { answer(a, ev, type); return; }
    if (a->npending < PENDING_MAX && (a->pending[a->npending] = strdup(key)) != NULL)
        a->pending_ev[a->npending++] = cJSON_Duplicate(ev, true);
}

static bool on_live(uint64_t id, const char *data, size_t len, void *arg)
{
    (void)id;
    att *a = arg;
    cJSON *ev = cJSON_ParseWithLength(data, len);
    if (ev) handle(a, ev, data, len, true);
    const char *t = jstr(ev, "type");
    if (a->until_turn && t && !strcmp(t, "turn.ended")) a->turn_done = true;
    cJSON_Delete(ev);
    return !a->ended && !a->turn_done;
}

int cl_attach(int argc, char **argv)
{
    enum { O_AUTO = 256, O_JSON, O_UNTIL, O_NODELTA };
    static const struct option lo[] = {CL_GLOBAL_LONG, CL_ENDPOINT_LONG, {"auto-reject", 0, 0, O_AUTO},
                                       {"json", 0, 0, O_JSON}, {"no-deltas", 0, 0, O_NODELTA}, {"until-turn-end", 0, 0, O_UNTIL}, {"offset", 1, 0, 'o'}, {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    att a = {0};
    const char *offset = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT CL_ENDPOINT_SHORT "o:h", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, true)) continue;
        if (c == O_AUTO) a.auto_reject = true;
        else if (c == O_JSON) a.json = true;
        else if (c == O_UNTIL) a.until_turn = true;
        else if (c == O_NODELTA) a.no_deltas = true;
        else if (c == 'o') offset = optarg;
        else if (c == 'h') { fputs(attach_usage, stdout); return CL_OK; }
        else return cl_usage(attach_usage);
    }
    uint64_t off = 0;
    if (argc - optind != 1 || (offset && !sa_parse_u64(offset, UINT64_MAX, &off))) return cl_usage(attach_usage);
    a.sid = argv[optind];
    char *s = cl_esc(a.sid), path[8192], live[8192];
    snprintf(path, sizeof path, "/v1/sessions/%s/events", s);
    snprintf(live, sizeof live, "/v1/sessions/%s/events/sse", s);
    free(s);
    if (offset) cl_query(path, sizeof path, "offset", offset);
    cl_resp r;
    int rc = cl_request("GET", path, NULL, 0, NULL, NULL, &r);
    if (rc != CL_OK || r.status != 200) { rc = cl_report("GET", path, rc, &r); cl_resp_free(&r); return rc; }
    cJSON *hist = cJSON_ParseWithLength(r.body, r.len), *ev;
    cl_resp_free(&r);
    a.last = off;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(hist, "events")) {
        char *line = cJSON_PrintUnformatted(ev);
        if (line) handle(&a, ev, line, strlen(line), false);
        free(line);
    }
    cJSON_Delete(hist);
    for (int i = 0; i < a.npending; i++) answer(&a, a.pending_ev[i], a.pending[i][0] == 'p' ? "permission.requested" : "question.requested");
    for (int i = 0; i < a.npending; i++) { free(a.pending[i]); cJSON_Delete(a.pending_ev[i]); }
    a.npending = 0;
    rc = CL_OK;
    if (!a.ended) {
        char q[32];
        snprintf(q, sizeof q, "%llu", (unsigned long long)a.last);
        cl_query(live, sizeof live, "offset", q);
        rc = cl_sse("GET", live, NULL, live, 0, on_live, &a);
    }
    for (int i = 0; i < a.npending; i++) { free(a.pending[i]); cJSON_Delete(a.pending_ev[i]); }
    stream_free(&a);
    fflush(stdout);
    return rc;
}
