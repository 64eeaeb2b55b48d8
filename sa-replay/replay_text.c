/*
 * replay_text.c — builds sa-replay's restore context (see replay_text.h).
 *
 * How it works: events are read newest first in pages (sa_store_read_tail,
 * no statement kept open), each turned into one compact line by
 * rt_event_line; lines are collected until the event or character budget
 * is spent, then written out oldest first after the header, with a marker
 * line when older history was left out.
 */
#include "replay_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a tiny growable string ---- */
typedef struct sbuf { char *p; size_t len, cap; bool oom; } sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = true; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Text with newlines shown as "\n" and other control characters as spaces. */
static void sb_flat(sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\r' && p[1] == '\n') continue;
        if (*p == '\n') sb_add(b, "\\n", 2);
        else if ((unsigned char)*p < 0x20) sb_add(b, " ", 1);
        else sb_add(b, p, 1);
    }
}

size_t rt_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

size_t rt_utf8_prefix(const char *s, size_t len, size_t chars)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == chars) return i;
            n++;
        }
    }
    return len;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *or(const char *s, const char *dflt) { return s ? s : dflt; }

/* One content part: text as is, the others with a [tag]. */
static void add_part(sbuf *b, const cJSON *p)
{
    const char *t = or(str_of(p, "type"), "");
    if (!strcmp(t, "text")) {
        sb_flat(b, or(str_of(p, "text"), ""));
    } else if (!strcmp(t, "json")) {
        char *j = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(p, "json"));
        if (j) { sb_flat(b, j); free(j); }
    } else if (!strcmp(t, "tool_call")) {
        sb_str(b, "[tool_call ");
        sb_flat(b, or(str_of(p, "name"), "?"));
        sb_str(b, "] ");
        sb_flat(b, or(str_of(p, "arguments"), ""));
    } else if (!strcmp(t, "tool_result")) {
        sb_str(b, "[tool_result] ");
        sb_flat(b, or(str_of(p, "output"), ""));
    } else if (!strcmp(t, "file_ref")) {
        sb_str(b, "[file ");
        sb_flat(b, or(str_of(p, "action"), "?"));
        sb_str(b, "] ");
        sb_flat(b, or(str_of(p, "path"), ""));
    } else if (!strcmp(t, "image")) {
        sb_str(b, "[image] ");
        sb_flat(b, or(str_of(p, "path"), ""));
    } else if (!strcmp(t, "status")) {
        sb_str(b, "[status] ");
        sb_flat(b, or(str_of(p, "label"), ""));
        const char *d = str_of(p, "detail");
        if (d) { sb_str(b, ": "); sb_flat(b, d); }
    }
    /* reasoning is left out: it is the agent's own scratch work */
}

static void item_line(sbuf *b, const cJSON *item)
{
    const char *kind = or(str_of(item, "kind"), "unknown");
    const char *role = str_of(item, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
    bool tagged = !strcmp(kind, "tool_call") || !strcmp(kind, "tool_result") ||
                  !strcmp(kind, "status");
    sbuf body = { 0 };
    const cJSON *p;
    cJSON_ArrayForEach(p, content) {
        sbuf one = { 0 };
        add_part(&one, p);
        if (one.len) {
            if (body.len) sb_str(&body, " ");
            sb_add(&body, one.p, one.len);
        }
        if (one.oom) body.oom = true;
        free(one.p);
    }
    if (body.oom) b->oom = true;
    if (body.len == 0) { free(body.p); return; }      /* nothing worth a line */
    if (!tagged || body.p[0] != '[') {
        sb_str(b, "[");
        sb_str(b, !strcmp(kind, "message") ? or(role, "message") : kind);
        sb_str(b, "] ");
    }
    sb_add(b, body.p, body.len);
    free(body.p);
    if (!strcmp(or(str_of(item, "status"), ""), "failed")) sb_str(b, " (failed)");
}

char *rt_event_line(const char *json)
{
    cJSON *ev = cJSON_Parse(json);
    if (!ev) return NULL;
    const char *type = or(str_of(ev, "type"), "");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    sbuf b = { 0 };
    if (!strcmp(type, "item.completed")) {
        item_line(&b, cJSON_GetObjectItemCaseSensitive(d, "item"));
    } else if (!strcmp(type, "permission.requested") || !strcmp(type, "permission.resolved")) {
        bool req = type[11] == 'r' && type[13] == 'q';
        sb_str(&b, "[permission ");
        sb_str(&b, req ? "requested" : or(str_of(d, "status"), "?"));
        sb_str(&b, "] ");
        sb_flat(&b, or(str_of(d, "action"), ""));
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(d, "metadata");
        if (req && md && !cJSON_IsNull(md)) {
            char *j = cJSON_PrintUnformatted(md);
            if (j) { sb_str(&b, " "); sb_flat(&b, j); free(j); }
        }
    } else if (!strcmp(type, "question.requested") || !strcmp(type, "question.resolved")) {
        bool req = type[11] == 'q';
        sb_str(&b, req ? "[question] " : "[question ");
        if (!req) { sb_str(&b, or(str_of(d, "status"), "?")); sb_str(&b, "] "); }
        sb_flat(&b, or(str_of(d, "prompt"), ""));
        const cJSON *opts = cJSON_GetObjectItemCaseSensitive(d, "options");
        if (req && cJSON_GetArraySize(opts) > 0) {
            sb_str(&b, " (options: ");
            const cJSON *o;
            bool first = true;
            cJSON_ArrayForEach(o, opts) {
                if (!first) sb_str(&b, " | ");
                sb_flat(&b, or(cJSON_IsString(o) ? o->valuestring : NULL, ""));
                first = false;
            }
            sb_str(&b, ")");
        }
        const char *resp = str_of(d, "response");
        if (!req && resp) { sb_str(&b, " -> "); sb_flat(&b, resp); }
    } else if (!strcmp(type, "error")) {
        sb_str(&b, "[error] ");
        sb_flat(&b, or(str_of(d, "message"), ""));
        const char *code = str_of(d, "code");
        if (code) { sb_str(&b, " ("); sb_flat(&b, code); sb_str(&b, ")"); }
    } else if (!strcmp(type, "session.ended")) {
        sb_str(&b, "[session ended] ");
        sb_flat(&b, or(str_of(d, "reason"), ""));
        const char *msg = str_of(d, "message");
        if (msg) { sb_str(&b, ": "); sb_flat(&b, msg); }
    }
    cJSON_Delete(ev);
    if (b.oom || !b.p || b.len == 0) { free(b.p); return NULL; }
    return b.p;
}

/* ---- the transcript, for a person (sa-replay --format transcript) ---- */

/* Text with its line breaks kept: each continuation line indented by two
 * spaces; other control characters (but tab) as spaces. */
static void sb_lines(sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\r' && p[1] == '\n') continue;
        if (*p == '\n') sb_add(b, "\n  ", 3);
        else if ((unsigned char)*p < 0x20 && *p != '\t') sb_add(b, " ", 1);
        else sb_add(b, p, 1);
    }
}

/* "HH:MM:SS " from the event's RFC 3339 time, or nothing. */
static void add_clock(sbuf *b, const cJSON *ev)
{
    const char *t = str_of(ev, "time");
    const char *tt = t ? strchr(t, 'T') : NULL;
    if (tt && strlen(tt) >= 9) { sb_add(b, tt + 1, 8); sb_str(b, " "); }
}

static void add_num_field(sbuf *b, const cJSON *o, const char *k, const char *label, bool *first)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v)) return;
    char n[64];
    if (!strcmp(k, "cost_usd")) snprintf(n, sizeof n, "$%.4f", v->valuedouble);
    else snprintf(n, sizeof n, "%.0f", v->valuedouble);
    sb_str(b, *first ? " (" : ", ");
    sb_str(b, n);
    sb_str(b, label);
    *first = false;
}

static void transcript_item(sbuf *b, const cJSON *item)
{
    const char *kind = or(str_of(item, "kind"), "unknown"), *role = str_of(item, "role");
    bool failed = !strcmp(or(str_of(item, "status"), ""), "failed");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content"), *p;
    sbuf body = { 0 };
    cJSON_ArrayForEach(p, content) {
        const char *t = or(str_of(p, "type"), "");
        size_t before = body.len;
        if (body.len) sb_str(&body, "\n  ");
        if (!strcmp(t, "text")) sb_lines(&body, or(str_of(p, "text"), ""));
        else if (!strcmp(t, "tool_call")) {
            sb_str(&body, or(str_of(p, "name"), "?"));
            sb_str(&body, " ");
            sb_lines(&body, or(str_of(p, "arguments"), ""));
        } else if (!strcmp(t, "tool_result")) sb_lines(&body, or(str_of(p, "output"), ""));
        else if (!strcmp(t, "file_ref")) {
            sb_str(&body, "file ");
            sb_str(&body, or(str_of(p, "action"), "?"));
            sb_str(&body, " ");
            sb_lines(&body, or(str_of(p, "path"), ""));
        } else if (!strcmp(t, "image")) { sb_str(&body, "image "); sb_lines(&body, or(str_of(p, "path"), "")); }
        else if (!strcmp(t, "status")) {
            sb_lines(&body, or(str_of(p, "label"), ""));
            const char *d = str_of(p, "detail");
            if (d) { sb_str(&body, ": "); sb_lines(&body, d); }
        } else if (!strcmp(t, "json")) {
            char *j = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(p, "json"));
            if (j) { sb_lines(&body, j); free(j); }
        } else if (body.len > before) {
            body.len = before;                   /* reasoning and the rest: not shown */
            if (body.p) body.p[body.len] = '\0';
        }
    }
    if (body.oom) b->oom = true;
    if (body.len == 0) { free(body.p); return; }
    const char *who = !strcmp(kind, "message") ? or(role, "message")
                    : !strcmp(kind, "tool_call") ? "tool call"
                    : !strcmp(kind, "tool_result") ? "tool result" : kind;
    sb_str(b, who);
    if (failed) sb_str(b, " (failed)");
    sb_str(b, ": ");
    sb_add(b, body.p, body.len);
    free(body.p);
}

char *rt_transcript_line(const char *json)
{
    cJSON *ev = cJSON_Parse(json);
    if (!ev) return NULL;
    const char *type = or(str_of(ev, "type"), "");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    sbuf b = { 0 }, rest = { 0 };
    if (!strcmp(type, "item.completed")) {
        transcript_item(&rest, cJSON_GetObjectItemCaseSensitive(d, "item"));
    } else if (!strcmp(type, "session.started")) {
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(d, "metadata");
        sb_str(&rest, "session started");
        const char *a = str_of(md, "agent"), *m = str_of(md, "model");
        if (a) { sb_str(&rest, " ("); sb_lines(&rest, a); if (m) { sb_str(&rest, ", model "); sb_lines(&rest, m); } sb_str(&rest, ")"); }
    } else if (!strcmp(type, "session.ended")) {
        sb_str(&rest, "session ended: ");
        sb_str(&rest, or(str_of(d, "reason"), "?"));
        const char *msg = str_of(d, "message");
        if (msg) { sb_str(&rest, ": "); sb_lines(&rest, msg); }
    } else if (!strcmp(type, "turn.ended")) {
        sb_str(&rest, "turn ended");
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(d, "usage");
        bool first = true;
        add_num_field(&rest, u, "input_tokens", " tokens in", &first);
        add_num_field(&rest, u, "output_tokens", " out", &first);
        add_num_field(&rest, u, "cost_usd", "", &first);
        if (!first) sb_str(&rest, ")");
    } else if (!strcmp(type, "permission.requested")) {
        sb_str(&rest, "permission asked: ");
        sb_lines(&rest, or(str_of(d, "action"), "?"));
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(d, "metadata");
        if (md && !cJSON_IsNull(md)) {
            char *j = cJSON_PrintUnformatted(md);
            if (j) { sb_str(&rest, " "); sb_lines(&rest, j); free(j); }
        }
        sb_str(&rest, " [");
        sb_lines(&rest, or(str_of(d, "permission_id"), "?"));
        sb_str(&rest, "]");
    } else if (!strcmp(type, "permission.resolved")) {
        sb_str(&rest, "permission ");
        sb_str(&rest, or(str_of(d, "status"), "?"));
        sb_str(&rest, ": ");
        sb_lines(&rest, or(str_of(d, "action"), "?"));
    } else if (!strcmp(type, "question.requested")) {
        sb_str(&rest, "question: ");
        sb_lines(&rest, or(str_of(d, "prompt"), ""));
        const cJSON *opts = cJSON_GetObjectItemCaseSensitive(d, "options"), *o;
        bool first = true;
        cJSON_ArrayForEach(o, opts) {
            sb_str(&rest, first ? " [" : " / ");
            sb_lines(&rest, cJSON_IsString(o) ? o->valuestring : "");
            first = false;
        }
        if (!first) sb_str(&rest, "]");
    } else if (!strcmp(type, "question.resolved")) {
        sb_str(&rest, "question ");
        sb_str(&rest, or(str_of(d, "status"), "?"));
        const char *resp = str_of(d, "response");
        if (resp) { sb_str(&rest, ": "); sb_lines(&rest, resp); }
    } else if (!strcmp(type, "error")) {
        sb_str(&rest, "error");
        const char *code = str_of(d, "code");
        if (code) { sb_str(&rest, " ("); sb_lines(&rest, code); sb_str(&rest, ")"); }
        sb_str(&rest, ": ");
        sb_lines(&rest, or(str_of(d, "message"), ""));
    } else if (!strcmp(type, "agent.unparsed")) {
        sb_str(&rest, "unparsed agent output: ");
        sb_lines(&rest, or(str_of(d, "error"), ""));
    }
    if (rest.len && !rest.oom) {
        add_clock(&b, ev);
        sb_add(&b, rest.p, rest.len);
    }
    if (rest.oom) b.oom = true;
    free(rest.p);
    cJSON_Delete(ev);
    if (b.oom || !b.p || b.len == 0) { free(b.p); return NULL; }
    return b.p;
}

/* Cut `line` (len bytes) to at most max characters, ending with "…". */
static void cut_line(char *line, size_t *len, size_t max)
{
    if (rt_utf8_chars(line, *len) <= max || max < 2) return;
    /* keep max-2 characters: at least 3 more follow, so "…" and the NUL fit */
    size_t keep = rt_utf8_prefix(line, *len, max - 2);
    memcpy(line + keep, "\xe2\x80\xa6", 3);
    *len = keep + 3;
    line[*len] = '\0';
}

int rt_build(sa_store *st, const sa_session *s, const rt_limits *lim, char **out)
{
    static const char omitted[] = "[earlier history omitted]\n";
    *out = NULL;
    sbuf head = { 0 };
    sb_str(&head, "Previous history of this session (sa session ");
    sb_flat(&head, s->id ? s->id : "?");
    sb_str(&head, ", agent ");
    sb_flat(&head, s->agent ? s->agent : "unknown");
    sb_str(&head, ") is replayed below, oldest first, one line per event. "
                  "Use it as context before responding to the latest user prompt.\n");
    if (head.oom) { free(head.p); return SA_STORE_NOMEM; }
    size_t used = rt_utf8_chars(head.p, head.len) + rt_utf8_chars(omitted, sizeof omitted - 1);
    size_t budget = lim->max_chars > used ? lim->max_chars - used : 0;

    char **lines = NULL;
    size_t nlines = 0, cap = 0, chars = 0;
    bool truncated = false, done = false;
    uint64_t before = 0;
    int r = SA_STORE_OK;
    while (!done) {
        sa_event_list page;
        r = sa_store_read_tail(st, s->id, before, 256, false, &page);
        if (r) break;
        for (size_t i = 0; i < page.n && !done; i++) {
            before = page.v[i].sequence;
            if (page.v[i].sequence <= lim->after) { done = true; break; }
            char *line = rt_event_line(page.v[i].json);
            if (!line) continue;
            size_t len = strlen(line);
            cut_line(line, &len, lim->max_line);
            size_t c = rt_utf8_chars(line, len) + 1;
            if (nlines == lim->max_events || chars + c > budget) {
                truncated = true;
                done = true;
                free(line);
                break;
            }
            if (nlines == cap) {
                size_t nc = cap ? cap * 2 : 64;
                char **nl = realloc(lines, nc * sizeof *nl);
                if (!nl) { free(line); r = SA_STORE_NOMEM; done = true; break; }
                lines = nl;
                cap = nc;
            }
            lines[nlines++] = line;
            chars += c;
        }
        if (page.n == 0 || !page.has_more) done = true;
        sa_event_list_free(&page);
    }
    if (!r) {
        sbuf b = { 0 };
        if (nlines) {
            sb_add(&b, head.p, head.len);
            if (truncated) sb_add(&b, omitted, sizeof omitted - 1);
            for (size_t i = nlines; i-- > 0;) { sb_str(&b, lines[i]); sb_str(&b, "\n"); }
        } else {
            sb_str(&b, "");
        }
        if (b.oom) { free(b.p); r = SA_STORE_NOMEM; }
        else *out = b.p;
    }
    for (size_t i = 0; i < nlines; i++) free(lines[i]);
    free(lines);
    free(head.p);
    return r;
}
