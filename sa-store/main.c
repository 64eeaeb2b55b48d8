/*
 * sa-store — stage 3: store universal events (sa-normalize output) durably
 * in SQLite (or PostgreSQL, for a postgresql:// --db URL) and echo them,
 * with sequence and event_id, once committed.
 *
 * How it works: stdin is switched to non-blocking.  The loop waits (poll)
 * for input, then drains every complete line available right now, up to a
 * batch cap, validating each with sa_schema (bad lines are reported with
 * their line number and skipped).  The batch is committed in one
 * transaction (sa_store_append_prepared; each line's cJSON tree is freed as
 * soon as it is checked, the batch holds text only; a short line already in
 * cJSON's print form — sa-normalize's are — is parsed without its raw
 * member and gives the stored text by cutting it out of the line,
 * sa_store_prepare_line, instead of printing the tree again (an item.delta
 * in that form is checked on its text and not parsed at all,
 * sa_store_prepare_delta); after a long line the line buffer is given back as soon as the
 * line is parsed, sa_line_shrink), and only then are the
 * stored events written to stdout (writev(2), one call per 512 events).  WAL checkpoints
 * run in a helper thread (sa_store_checkpoint_in_background) so no commit
 * waits for their fsync, and the page cache is kept small.  So a lone event commits at once and a
 * burst commits in batches.  Any store failure stops the program before
 * anything of the failed batch is printed; what was printed is durable.
 * SIGTERM/SIGINT: the lines already read are committed and printed, then
 * the program exits (the poll also watches sa_stop_fd's self-pipe, so a
 * signal arriving just before it does not wait for the next line).  See sa-store(1) for the exit codes.
 *
 * Continuing a session: when the session already has events (the same
 * stage chain run again with the same --session), what sa-normalize starts
 * afresh is made to continue the stored session: a session.started is
 * dropped when one is stored, and when this run's item ids would reuse
 * stored ones (its first itm_N is <= the stored highest), every itm_N of
 * the run is renumbered itm_(N + stored highest).  sa-serve's restarts need
 * neither (it passes --no-session-started and --item-start to sa-normalize).
 */
#include "sa.h"
#include "sa_schema.h"
#include "sa_store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum { EX_OK = 0, EX_SYS = 1, EX_USAGE = 2, EX_DB = 3, EX_WRITE = 4, EX_INVALID = 5 };

#define DEFAULT_BATCH     4096
#define DEFAULT_MAX_LINE  ((size_t)16 << 20)
#define BATCH_BYTES       ((size_t)256 << 10)     /* input bytes per batch: bounds memory */
#define CACHE_KIB         512
#define LINE_KEEP         ((size_t)64 << 10)     /* line buffer kept after a longer line */
#define CKPT_PAGES        1000

static const char usage_text[] =
    "usage: sa-store [--db PATH|URL] --session ID [--agent A] [--agent-mode M]\n"
    "                [--permission-mode P] [--model M] [--variant V] [--directory D]\n"
    "                [--title T] [--batch N] [--busy-timeout MS] [--max-line BYTES]\n"
    "                [--max-pages N]\n"
    "Reads universal events (sa-normalize output) on stdin, stores them in the\n"
    "SQLite database (default $SA_DB, else $XDG_STATE_HOME/sa/sa.db) or the\n"
    "PostgreSQL database of a postgresql:// URL, and writes each stored event,\n"
    "with sequence and event_id, to stdout after its commit.\n";

typedef struct opts {
    const char *db, *session;
    sa_session_fields f;
    uint64_t batch, busy_ms, max_line, max_pages;
} opts;

static _Noreturn void usage_error(void)
{
    fputs(usage_text, stderr);
    exit(EX_USAGE);
}

static void parse_args(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "session", required_argument, NULL, 's' },
        { "agent", required_argument, NULL, 'a' },
        { "agent-mode", required_argument, NULL, 'm' },
        { "permission-mode", required_argument, NULL, 'p' },
        { "model", required_argument, NULL, 'M' },
        { "variant", required_argument, NULL, 'v' },
        { "directory", required_argument, NULL, 'D' },
        { "title", required_argument, NULL, 't' },
        { "batch", required_argument, NULL, 'b' },
        { "busy-timeout", required_argument, NULL, 'B' },
        { "max-line", required_argument, NULL, 'L' },
        { "max-pages", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    o->batch = DEFAULT_BATCH;
    o->busy_ms = SA_STORE_BUSY_MS;
    o->max_line = DEFAULT_MAX_LINE;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 's': o->session = optarg; break;
        case 'a': o->f.agent = optarg; break;
        case 'm': o->f.agent_mode = optarg; break;
        case 'p': o->f.permission_mode = optarg; break;
        case 'M': o->f.model = optarg; break;
        case 'v': o->f.variant = optarg; break;
        case 'D': o->f.directory = optarg; break;
        case 't': o->f.title = optarg; break;
        case 'b': if (!sa_parse_u64(optarg, 1000000, &o->batch) || !o->batch) usage_error(); break;
        case 'B': if (!sa_parse_u64(optarg, 3600000, &o->busy_ms) || !o->busy_ms) usage_error(); break;
        case 'L':
            if (!sa_parse_u64(optarg, (uint64_t)1 << 30, &o->max_line) || o->max_line < 1024) usage_error();
            break;
        case 'P': if (!sa_parse_u64(optarg, UINT32_MAX, &o->max_pages) || !o->max_pages) usage_error(); break;
        case 'h': fputs(usage_text, stdout); exit(EX_OK);
        case 'V': puts("sa-store " SA_VERSION); exit(EX_OK);
        default:
            sa_warnx("unknown or incomplete option: %s", argv[optind - 1]);
            usage_error();
        }
    }
    if (optind < argc) {
        sa_warnx("unexpected argument: %s", argv[optind]);
        usage_error();
    }
    if (!o->session || !*o->session) {
        sa_warnx("--session is required");
        usage_error();
    }
}

/* Exit status for a failed store call. */
static int store_exit(int rc)
{
    switch (rc) {
    case SA_STORE_READONLY: case SA_STORE_CANTOPEN: case SA_STORE_SCHEMA: return EX_DB;
    case SA_STORE_NOMEM: return EX_SYS;
    default: return EX_WRITE;
    }
}

/* What continuing a stored session needs (see the comment at the top). */
typedef struct cont {
    bool had_started;     /* a session.started was stored before this run */
    uint64_t max_item;    /* highest itm_N stored before this run */
    bool decided;         /* the offset below is known (first itm_N seen) */
    uint64_t offset;      /* added to every itm_N of this run */
} cont;

static cont ct;

/* Read the session's state before this run's first event. */
static int cont_load(sa_store *st, const char *session)
{
    memset(&ct, 0, sizeof ct);
    sa_session row;
    int rc = sa_store_session_get(st, session, &row);
    if (rc) return rc;
    ct.max_item = row.max_item;
    bool any = row.last_sequence > 0;
    sa_session_clear(&row);
    if (!any) { ct.decided = true; return SA_STORE_OK; }   /* nothing stored: nothing to continue */
    sa_event_list l = {0};
    rc = sa_store_read_type(st, session, "session.started", 0, 1, false, &l);
    if (rc) return rc;
    ct.had_started = l.n > 0;
    sa_event_list_free(&l);
    return SA_STORE_OK;
}

/* N of "itm_N" (N >= 1), else 0. */
static uint64_t itm_num(const cJSON *v)
{
    const char *s = cJSON_GetStringValue(v);
    if (!s || strncmp(s, "itm_", 4) || !s[4]) return 0;
    uint64_t n;
    return sa_parse_u64(s + 4, UINT64_MAX / 4, &n) ? n : 0;
}

/* Renumber one itm_N member of o (if it is one) by the run's offset,
 * deciding the offset at the first one seen. */
static bool renumber(cJSON *o, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    uint64_t n = itm_num(v);
    if (!n) return true;
    if (!ct.decided) {
        ct.decided = true;
        ct.offset = n <= ct.max_item ? ct.max_item : 0;
    }
    if (!ct.offset) return true;
    char id[32];
    snprintf(id, sizeof id, "itm_%llu", (unsigned long long)(n + ct.offset));
    return cJSON_SetValuestring(v, id) != NULL;
}

/* Make one event of this run continue the stored session.  Returns false
 * when it is to be dropped (a second session.started). */
static bool cont_fix(cJSON *ev, bool *oom)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
    if (ct.had_started && type && !strcmp(type, "session.started")) return false;
    if (ct.decided && !ct.offset) return true;
    cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
    cJSON *item = cJSON_GetObjectItemCaseSensitive(d, "item");
    bool ok = renumber(d, "item_id");
    if (cJSON_IsObject(item)) ok = renumber(item, "item_id") && renumber(item, "parent_id") && ok;
    if (!ok) *oom = true;
    return true;
}

typedef struct batch {
    sa_store_prepared *ev;
    size_t n, cap, bytes;
    char *lite;                /* a line without its raw, to parse (take_line) */
    size_t lite_cap;
} batch;

static void batch_clear(batch *b)
{
    for (size_t i = 0; i < b->n; i++) sa_store_prepared_clear(&b->ev[i]);
    b->n = 0;
    b->bytes = 0;
}

/* Parse and check one input line; add it (prepared, tree freed) to the
 * batch or report it.  Returns 0 when added, -1 when skipped as invalid, -2
 * when dropped on purpose (a second session.started), or an exit status. */
static int take_line(const opts *o, batch *b, sa_line *lr, const char *line, size_t len, int rc)
{
    size_t lineno = lr->lineno;
    char err[512];
    if (rc == SA_LINE_TOOLONG) {
        sa_line_shrink(lr, LINE_KEEP);
        sa_warnx("line %zu: longer than %llu bytes; skipped", lineno, (unsigned long long)o->max_line);
        return -1;
    }
    /* A short line in print form (sa-normalize's are), when nothing is to be
     * renumbered: its stored text is cut out of it, and only the members
     * before raw are parsed (the scan has checked that raw is JSON, and the
     * schema takes any raw).  Anything else is parsed whole and printed
     * again; after a long line the tree is all we need (not held twice). */
    sa_jmember m[8];
    bool cut = len < LINE_KEEP && ct.decided && !ct.offset && sa_event_line_scan(line, len, m);
    if (cut) {                        /* an item.delta needs no parse at all */
        int d = sa_store_prepare_delta(line, len, m, o->session, &b->ev[b->n]);
        if (d < 0) { sa_warnx("line %zu: out of memory", lineno); return EX_SYS; }
        if (d == 0) { b->n++; b->bytes += len; return 0; }
    }
    cJSON *ev;
    if (cut) {
        sa_reserve(&b->lite, &b->lite_cap, m[7].val + 6, 4096);
        memcpy(b->lite, line, m[7].val);
        memcpy(b->lite + m[7].val, "null}", 6);
        ev = cJSON_ParseWithLength(b->lite, m[7].val + 5);
    } else {
        ev = cJSON_ParseWithLength(line, len);
        if (len >= LINE_KEEP) sa_line_shrink(lr, LINE_KEEP);
    }
    if (!ev) {
        sa_warnx("line %zu: not valid JSON; skipped", lineno);
        return -1;
    }
    if (!sa_schema_check_event(ev, SA_SCHEMA_NO_IDS, err, sizeof err)) {
        sa_warnx("line %zu: %s; skipped", lineno, err);
        cJSON_Delete(ev);
        return -1;
    }
    const char *sid = cJSON_GetObjectItemCaseSensitive(ev, "session_id")->valuestring;
    if (strcmp(sid, o->session) != 0) {
        sa_warnx("line %zu: session_id: expected \"%.200s\", got \"%.200s\"; skipped", lineno,
                 o->session, sid);
        cJSON_Delete(ev);
        return -1;
    }
    bool oom = false;
    if (!cont_fix(ev, &oom)) {
        sa_info("line %zu: the session has its session.started already; this one is not stored", lineno);
        cJSON_Delete(ev);
        return -2;
    }
    if (oom) { cJSON_Delete(ev); sa_warnx("line %zu: out of memory", lineno); return EX_SYS; }
    int r = cut ? sa_store_prepare_line(ev, line, len, m, &b->ev[b->n]) : sa_store_prepare(ev, &b->ev[b->n]);
    cJSON_Delete(ev);
    if (r == SA_STORE_NOMEM) { sa_warnx("line %zu: out of memory", lineno); return EX_SYS; }
    if (r) { sa_warnx("line %zu: not a storable event; skipped", lineno); return -1; }
    b->n++;
    b->bytes += len;
    return 0;
}

/* writev all of iov (retrying partial writes and EINTR); -1 with errno. */
static int write_iov(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) { w -= (ssize_t)iov->iov_len; iov++; n--; }
        if (n > 0) { iov->iov_base = (char *)iov->iov_base + w; iov->iov_len -= (size_t)w; }
    }
    return 0;
}

/* Commit the batch and print it.  Returns 0 or an exit status. */
static bool out_failed;   /* stdout failed other than by EPIPE */

static int flush_batch(sa_store *st, const opts *o, batch *b, bool *out_ok)
{
    if (b->n == 0) return 0;
    sa_event_list stored;
    int rc = sa_store_append_prepared(st, o->session, b->ev, b->n, *out_ok ? &stored : NULL);
    size_t n = b->n;
    batch_clear(b);
    if (rc) {
        sa_warnx("store %zu event%s: %s; nothing of this batch was stored", n, n == 1 ? "" : "s",
                 sa_store_errmsg(st));
        return store_exit(rc);
    }
    if (!*out_ok) return 0;
    /* one writev(2) per up to 512 events: no second copy of the batch */
    struct iovec iov[1024];
    size_t i = 0;
    while (i < stored.n && *out_ok) {
        int k = 0;
        for (; i < stored.n && k < 1024; i++) {
            iov[k++] = (struct iovec){ stored.v[i].json, stored.v[i].len };
            iov[k++] = (struct iovec){ (void *)"\n", 1 };
        }
        if (write_iov(STDOUT_FILENO, iov, k) < 0) {
            if (errno != EPIPE) { sa_warn("write stdout"); out_failed = true; }
            *out_ok = false;     /* keep storing; stop printing */
        }
    }
    sa_event_list_free(&stored);
    return 0;
}

static int saved_flags = -1;
static void restore_stdin(void)
{
    if (saved_flags >= 0) (void)fcntl(STDIN_FILENO, F_SETFL, saved_flags);
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    opts o;
    parse_args(argc, argv, &o);

    sa_catch_stop_signals();
    char *dbpath;
    sa_store *st = sa_store_open_cmd(o.db, 0, (int)o.busy_ms, EX_DB, &dbpath);
    if (o.max_pages && sa_store_set_max_pages(st, o.max_pages)) {
        sa_warnx("set --max-pages: %s", sa_store_errmsg(st));
        sa_store_close(st);
        free(dbpath);
        return EX_DB;
    }
    /* a small page cache; WAL checkpoints in a helper thread, not in our commits */
    if (sa_store_set_cache_kib(st, CACHE_KIB) || sa_store_checkpoint_in_background(st, CKPT_PAGES))
        sa_warnx("tuning the database (going on without): %s", sa_store_errmsg(st));
    int rc = sa_store_session_ensure(st, o.session, &o.f, NULL);
    if (rc) {
        char shown[512];      /* a URL's password is never printed */
        sa_warnx("record session %s in %s: %s", o.session,
                 sa_store_display(dbpath, shown, sizeof shown), sa_store_errmsg(st));
        sa_store_close(st);
        free(dbpath);
        return store_exit(rc);
    }
    if ((rc = cont_load(st, o.session))) {
        sa_warnx("read session %s: %s", o.session, sa_store_errmsg(st));
        sa_store_close(st);
        free(dbpath);
        return store_exit(rc);
    }

    saved_flags = fcntl(STDIN_FILENO, F_GETFL);
    if (saved_flags >= 0 && fcntl(STDIN_FILENO, F_SETFL, saved_flags | O_NONBLOCK) == 0)
        atexit(restore_stdin);
    else
        saved_flags = -1;

    batch b = { 0 };
    b.cap = (size_t)o.batch;
    b.ev = calloc(b.cap, sizeof *b.ev);   /* prepared events: text only, no trees */
    if (!b.ev) sa_diex(EX_SYS, "out of memory");
    sa_line lr;
    sa_line_init(&lr, STDIN_FILENO, (size_t)o.max_line);
    sa_line_set_chunk(&lr, LINE_KEEP);    /* a burst is read a pipe's worth at a time */
    int status = EX_OK;
    bool invalid = false, out_ok = true, eof = false;
    while (!eof && !status) {
        if (!sa_stop_requested() && !sa_line_buffered(&lr)) {
            /* the stop self-pipe too: a signal after the check still wakes us */
            struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 }, { sa_stop_fd(), POLLIN, 0 } };
            if (poll(pfd, sa_stop_fd() >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) { sa_warn("poll stdin"); status = EX_SYS; break; }
        }
        while (b.n < b.cap && b.bytes < BATCH_BYTES) {
            if (sa_stop_requested() && !sa_line_buffered(&lr)) break;   /* commit what was read */
            char *line;
            size_t len;
            int r = sa_line_next(&lr, &line, &len);
            if (r == SA_LINE_AGAIN) break;
            if (r == SA_LINE_EOF) { eof = true; break; }
            if (r == SA_LINE_ERR) { sa_warn("read stdin"); status = EX_SYS; eof = true; break; }
            int tr = take_line(&o, &b, &lr, line, len, r);
            if (tr == -1) invalid = true;
            else if (tr > 0) { status = tr; break; }
        }
        int fr = flush_batch(st, &o, &b, &out_ok);
        if (fr && !status) status = fr;
        if (sa_stop_requested()) break;
    }
    batch_clear(&b);
    free(b.ev);
    free(b.lite);
    sa_line_free(&lr);
    sa_store_close(st);
    free(dbpath);
    if (status) return status;
    if (out_failed) return EX_SYS;
    return invalid ? EX_INVALID : EX_OK;
}
