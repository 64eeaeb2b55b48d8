/*
 * sa-events-check — validates JSONL universal events (one per line) from
 * stdin or files against the v0.1.11 schema (lib/sa_schema) and sa's own
 * rules (sa-events(7)); see sa-events-check(1).  Installed with the other
 * commands, and used by the tests.
 *
 * Prints "line N: <error>" (with "FILE:" in front when files are given) for
 * each bad line on stdout and exits 0 when every line is valid, 1 when some
 * are not, 2 on usage errors or unreadable files.
 *   --no-envelope-ids  event_id/sequence may be absent (sa-normalize output)
 *   --sequential       sequence must go up by one from line to line, starting
 *                      at the first line's sequence
 *   --start N          with --sequential: the first sequence must be N
 *   --session ID       every event must have session_id ID
 *   --key-order        keys must be in canonical order
 *   --quiet            no output, only the exit status
 *   --no-stream-checks the lines are unrelated events, not one stream
 * Stream checks (the input is one stream, files one after the other): at
 * most one session.started per session, and an item id names one item: it
 * is not started again once started or completed, and keeps its kind and
 * native_item_id (an item may be completed twice: sa-normalize completes
 * an item the agent left open at the end of a turn, and the agent may still
 * complete it later).  Item ids are kept in a hash table of at most
 * ITEMS_MAX entries; past that the item check stops (with a note).
 * Blank lines are errors (JSONL has none).  Lines are limited to 64 MiB.
 * Ownership: every parsed event is freed before the next line is read; the
 * item table owns its keys and native ids until exit.
 */
#include "sa.h"
#include "sa_schema.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: sa-events-check [--no-envelope-ids] [--sequential [--start N]] [--session ID]\n"
    "                       [--key-order] [--quiet] [--no-stream-checks] [FILE...]\n";

typedef struct opts {
    unsigned flags;
    bool sequential, quiet, no_stream;
    uint64_t start;         /* 0 = any */
    const char *session;
} opts;

/* One item id seen in the stream ("SESSION\nITEM_ID"). */
typedef struct item_seen {
    char *key;              /* NULL = free slot */
    char *native;           /* first non-null native_item_id, or NULL */
    char kind[16];          /* kind, "" until known */
    size_t line;            /* where it was first seen */
    bool started, completed;
} item_seen;

#define ITEMS_MAX (1u << 22)

/* Sessions that had their session.started (a short list: usually one). */
typedef struct started_seen { char *session; size_t line; struct started_seen *next; } started_seen;

typedef struct state {
    double next_seq;        /* expected next sequence; 0 = not yet known */
    size_t bad, total;
    item_seen *items;       /* open addressing, cap a power of two */
    size_t nitems, cap;
    bool items_full;
    started_seen *started;
} state;

static void report(const opts *o, const char *file, size_t lineno, const char *msg)
{
    if (o->quiet) return;
    if (file) printf("%s: line %zu: %s\n", file, lineno, msg);
    else printf("line %zu: %s\n", lineno, msg);
    fflush(stdout);
}


/* The table entry for key, added when new; NULL when the table is full. */
static item_seen *item_slot(state *s, const char *key, size_t lineno)
{
    if (s->nitems * 2 >= s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        if (ncap > ITEMS_MAX * 2) return NULL;
        item_seen *n = calloc(ncap, sizeof *n);
        if (!n) sa_diex(2, "out of memory");
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->items[i].key) continue;
            size_t j = sa_hash64(s->items[i].key) & (ncap - 1);
            while (n[j].key) j = (j + 1) & (ncap - 1);
            n[j] = s->items[i];
        }
        free(s->items);
        s->items = n;
        s->cap = ncap;
    }
    size_t j = sa_hash64(key) & (s->cap - 1);
    while (s->items[j].key && strcmp(s->items[j].key, key)) j = (j + 1) & (s->cap - 1);
    if (!s->items[j].key) {
        if (!(s->items[j].key = strdup(key))) sa_diex(2, "out of memory");
        s->items[j].line = lineno;
        s->nitems++;
    }
    return &s->items[j];
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The stream rules (see the top of the file); false with err set. */
static bool check_stream(state *s, const cJSON *ev, size_t lineno, char *err, size_t errlen)
{
    const char *type = jstr(ev, "type"), *sid = jstr(ev, "session_id");
    if (!type || !sid) return true;
    if (!strcmp(type, "session.started")) {
        for (started_seen *p = s->started; p; p = p->next)
            if (!strcmp(p->session, sid)) {
                snprintf(err, errlen, "session.started: a second one for session %.200s (the first is on line %zu)",
                         sid, p->line);
                return false;
            }
        started_seen *p = calloc(1, sizeof *p);
        if (!p || !(p->session = strdup(sid))) sa_diex(2, "out of memory");
        p->line = lineno;
        p->next = s->started;
        s->started = p;
        return true;
    }
    bool st = !strcmp(type, "item.started"), done = !strcmp(type, "item.completed");
    if ((!st && !done) || s->items_full) return true;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ev, "data"), "item");
    const char *id = jstr(item, "item_id"), *native = jstr(item, "native_item_id"), *kind = jstr(item, "kind");
    if (!id) return true;
    char key[1200];
    snprintf(key, sizeof key, "%.500s\n%.500s", sid, id);
    item_seen *it = item_slot(s, key, lineno);
    if (!it) {
        s->items_full = true;
        sa_warnx("line %zu: more than %u item ids; item ids are not checked from here on", lineno, ITEMS_MAX);
        return true;
    }
    const char *why = NULL;
    if (st && (it->started || it->completed)) why = it->completed ? "started again after its item.completed"
                                                                   : "started twice";
    else if (native && it->native && strcmp(native, it->native)) why = "given to a second native item";
    else if (kind && it->kind[0] && strncmp(kind, it->kind, sizeof it->kind - 1)) why = "given to an item of another kind";
    if (why) {
        snprintf(err, errlen, "item_id %.200s reused: %s (first seen on line %zu)", id, why, it->line);
        return false;
    }
    if (native && !it->native && !(it->native = strdup(native))) sa_diex(2, "out of memory");
    if (kind && !it->kind[0]) snprintf(it->kind, sizeof it->kind, "%s", kind);
    it->started |= st;
    it->completed |= done;
    return true;
}

static void check_line(const opts *o, state *s, const char *file, size_t lineno,
                       const char *line, size_t len, int rc)
{
    char err[512];
    s->total++;
    if (rc == SA_LINE_TOOLONG) { s->bad++; report(o, file, lineno, "line too long"); return; }
    cJSON *ev = cJSON_ParseWithLength(line, len);
    if (!ev) { s->bad++; report(o, file, lineno, "not valid JSON"); return; }
    bool ok = sa_schema_check_event(ev, o->flags, err, sizeof err);
    if (ok && o->session) {
        const cJSON *sid = cJSON_GetObjectItemCaseSensitive(ev, "session_id");
        if (!cJSON_IsString(sid) || strcmp(sid->valuestring, o->session) != 0) {
            snprintf(err, sizeof err, "session_id: expected \"%.200s\"", o->session);
            ok = false;
        }
    }
    if (ok && o->sequential) {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "sequence");
        if (!cJSON_IsNumber(seq)) {
            snprintf(err, sizeof err, "sequence: missing (--sequential)");
            ok = false;
        } else {
            if (s->next_seq == 0) s->next_seq = o->start ? (double)o->start : seq->valuedouble;
            if (seq->valuedouble != s->next_seq) {
                snprintf(err, sizeof err, "sequence: expected %.0f, got %.0f", s->next_seq,
                         seq->valuedouble);
                ok = false;
            }
            s->next_seq = seq->valuedouble + 1;
        }
    }
    if (ok && !o->no_stream) ok = check_stream(s, ev, lineno, err, sizeof err);
    cJSON_Delete(ev);
    if (!ok) { s->bad++; report(o, file, lineno, err); }
}

static void state_free(state *s)
{
    for (size_t i = 0; i < s->cap; i++) { free(s->items[i].key); free(s->items[i].native); }
    free(s->items);
    for (started_seen *p = s->started, *n; p; p = n) { n = p->next; free(p->session); free(p); }
    memset(s, 0, sizeof *s);
}

static int check_fd(const opts *o, state *s, int fd, const char *file)
{
    sa_line lr;
    sa_line_init(&lr, fd, (size_t)64 << 20);
    char *line;
    size_t len;
    int rc;
    while ((rc = sa_line_next(&lr, &line, &len)) > 0)
        check_line(o, s, file, lr.lineno, line, len, rc);
    sa_line_free(&lr);
    if (rc == SA_LINE_ERR) { sa_warn("read %s", file ? file : "stdin"); return -1; }
    return 0;
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    static const struct option longopts[] = {
        { "no-envelope-ids", no_argument, NULL, 'n' },
        { "sequential", no_argument, NULL, 's' },
        { "start", required_argument, NULL, 'f' },
        { "session", required_argument, NULL, 'S' },
        { "key-order", no_argument, NULL, 'k' },
        { "quiet", no_argument, NULL, 'q' },
        { "no-stream-checks", no_argument, NULL, 'N' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    opts o = { 0 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': o.flags |= SA_SCHEMA_NO_IDS; break;
        case 's': o.sequential = true; break;
        case 'f':
            if (!sa_parse_u64(optarg, UINT64_MAX, &o.start) || !o.start) {
                sa_warnx("--start: not a positive number: %s", optarg);
                fputs(usage_text, stderr);
                return 2;
            }
            o.sequential = true;
            break;
        case 'S': o.session = optarg; break;
        case 'k': o.flags |= SA_SCHEMA_KEY_ORDER; break;
        case 'q': o.quiet = true; break;
        case 'N': o.no_stream = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': puts("sa-events-check " SA_VERSION); return 0;
        default:
            sa_warnx("unknown or incomplete option: %s", argv[optind - 1]);
            fputs(usage_text, stderr);
            return 2;
        }
    }
    state s = { 0 };
    int status = 0;
    if (optind == argc) {
        if (check_fd(&o, &s, 0, NULL) < 0) status = 2;
    } else {
        for (int i = optind; i < argc && !status; i++) {
            int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) { sa_warn("open %s", argv[i]); status = 2; break; }
            int r = check_fd(&o, &s, fd, argv[i]);
            close(fd);
            if (r < 0) status = 2;
        }
    }
    if (!status && s.bad) status = 1;
    state_free(&s);
    return status;
}
