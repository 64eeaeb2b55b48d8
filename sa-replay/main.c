/*
 * sa-replay — stage 4: print a stored session's events (JSONL or SSE
 * frames), optionally following new ones live; build the restore context
 * (--format text); list sessions (--list).
 *
 * How it works: the store is opened read-only.  History is read in pages
 * (each read resets its statement at once, so a follower never holds back
 * WAL checkpoints) and written one page per write(2).  --follow then waits
 * on inotify events for the database directory (the -wal file changes on
 * every commit — only a hint, as the event can fire before the commit
 * frame is complete) and on a fallback timer; each wake-up reads
 * PRAGMA data_version and, when it moved, prints the events after the last
 * one printed.  A postgresql:// --db has no file to watch: it is polled on
 * the timer alone.  --wait (with --follow) first waits, like tail -F, for
 * a database that does not exist yet (no file, or no schema: checked
 * every TIMER_MS) and then for the session (on the same wake-ups as
 * --follow), instead of failing.  See sa-replay(1).
 */
#include "sa.h"
#include "sa_store.h"
#include "replay_text.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EX_OK = 0, EX_SYS = 1, EX_USAGE = 2, EX_DB = 3, EX_NOSESSION = 4 };
enum fmt { F_JSONL, F_SSE, F_TEXT };

#define PAGE       1000
#define TIMER_MS   250

static const char usage_text[] =
    "usage: sa-replay [--db PATH|URL] --session ID [--after N] [--limit N] [--include-raw]\n"
    "                 [--format jsonl|sse|text] [--follow [--until-ended] [--wait]]\n"
    "                 [--max-events N] [--max-chars N] [--max-line-chars N]\n"
    "       sa-replay [--db PATH|URL] --list\n"
    "Prints the stored events of a session (sequence > N), as JSONL or SSE frames,\n"
    "optionally following new ones (--wait: also waiting for the database and the\n"
    "session to appear); --format text prints the restore context.\n";

typedef struct opts {
    const char *db, *session;
    uint64_t after, limit, max_events, max_chars, max_line;
    bool include_raw, follow, until_ended, wait, list;
    enum fmt format;
} opts;

static _Noreturn void usage_error(const char *why)
{
    if (why) sa_warnx("%s", why);
    fputs(usage_text, stderr);
    exit(EX_USAGE);
}

static uint64_t num(const char *arg, const char *opt, uint64_t min)
{
    uint64_t v;
    if (!sa_parse_u64(arg, (uint64_t)INT64_MAX, &v) || v < min) {
        sa_warnx("%s: bad number: %s", opt, arg);
        usage_error(NULL);
    }
    return v;
}

static void parse_args(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "session", required_argument, NULL, 's' },
        { "after", required_argument, NULL, 'a' },
        { "limit", required_argument, NULL, 'l' },
        { "include-raw", no_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'f' },
        { "follow", no_argument, NULL, 'F' },
        { "until-ended", no_argument, NULL, 'u' },
        { "wait", no_argument, NULL, 'W' },
        { "max-events", required_argument, NULL, 'e' },
        { "max-chars", required_argument, NULL, 'c' },
        { "max-line-chars", required_argument, NULL, 'L' },
        { "list", no_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    o->max_events = 50;
    o->max_chars = 12000;
    o->max_line = 2000;
    bool limit_set = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 's': o->session = optarg; break;
        case 'a': o->after = num(optarg, "--after", 0); break;
        case 'l': o->limit = num(optarg, "--limit", 1); limit_set = true; break;
        case 'r': o->include_raw = true; break;
        case 'f':
            if (!strcmp(optarg, "jsonl")) o->format = F_JSONL;
            else if (!strcmp(optarg, "sse")) o->format = F_SSE;
            else if (!strcmp(optarg, "text")) o->format = F_TEXT;
            else usage_error("--format: expected jsonl, sse or text");
            break;
        case 'F': o->follow = true; break;
        case 'u': o->until_ended = true; break;
        case 'W': o->wait = true; break;
        case 'e': o->max_events = num(optarg, "--max-events", 1); break;
        case 'c': o->max_chars = num(optarg, "--max-chars", 1); break;
        case 'L': o->max_line = num(optarg, "--max-line-chars", 2); break;
        case 'S': o->list = true; break;
        case 'h': fputs(usage_text, stdout); exit(EX_OK);
        case 'V': puts("sa-replay " SA_VERSION); exit(EX_OK);
        default:
            sa_warnx("unknown or incomplete option: %s", argv[optind - 1]);
            usage_error(NULL);
        }
    }
    if (optind < argc) usage_error("unexpected argument");
    if (o->list) {
        if (o->session) usage_error("--list takes no --session");
        if (o->wait) usage_error("--list takes no --wait");
        return;
    }
    if (!o->session || !*o->session) usage_error("--session is required");
    if (o->format == F_TEXT && (o->follow || limit_set || o->include_raw))
        usage_error("--format text takes no --follow, --limit or --include-raw");
    if (o->until_ended && !o->follow) usage_error("--until-ended needs --follow");
    if (o->wait && !o->follow) usage_error("--wait needs --follow");
}

/* Write everything or report why not; false when output is gone. */
static bool out(const char *buf, size_t len)
{
    if (sa_write_all(STDOUT_FILENO, buf, len) == 0) return true;
    if (errno != EPIPE) sa_warn("write stdout");
    return false;
}

typedef struct follow_state {
    uint64_t last;      /* last sequence printed (or --after) */
    uint64_t printed;
    bool ended;         /* a session.ended event was printed */
} follow_state;

/* Print the events after fs->last, page by page.  Returns 0, EX_SYS, or -1
 * when stdout is gone. */
static int print_new(sa_store *st, const opts *o, follow_state *fs)
{
    for (;;) {
        size_t want = PAGE;
        if (o->limit) {
            if (fs->printed >= o->limit) return 0;
            if (o->limit - fs->printed < want) want = (size_t)(o->limit - fs->printed);
        }
        sa_event_list l;
        int rc = sa_store_read(st, o->session, fs->last, want, o->include_raw, &l);
        if (rc) {
            sa_warnx("read events: %s", sa_store_errmsg(st));
            return EX_SYS;
        }
        size_t total = 0;
        for (size_t i = 0; i < l.n; i++) total += l.v[i].len + 40;
        char *buf = malloc(total + 1);
        if (!buf && l.n) { sa_event_list_free(&l); sa_warnx("out of memory"); return EX_SYS; }
        size_t off = 0;
        for (size_t i = 0; i < l.n && !(o->until_ended && fs->ended); i++) {
            if (o->format == F_SSE)
                off += (size_t)sprintf(buf + off, "id: %" PRIu64 "\ndata: ", l.v[i].sequence);
            memcpy(buf + off, l.v[i].json, l.v[i].len);
            off += l.v[i].len;
            buf[off++] = '\n';
            if (o->format == F_SSE) buf[off++] = '\n';
            fs->last = l.v[i].sequence;
            fs->printed++;
            if (!strcmp(l.v[i].type, "session.ended")) fs->ended = true;
        }
        bool more = l.has_more;
        sa_event_list_free(&l);
        bool ok = off == 0 || out(buf, off);
        free(buf);
        if (!ok) return -1;
        if (!more || (o->until_ended && fs->ended)) return 0;
    }
}

/* Directory and base name of the database, for the inotify watch. */
static int watch_db(const char *db, char *base, size_t basesz)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(db, '/');
    if (slash) {
        size_t n = (size_t)(slash - db);
        if (n >= sizeof dir) return -1;
        memcpy(dir, db, n);
        dir[n ? n : 1] = '\0';
        if (!n) dir[0] = '/';
        snprintf(base, basesz, "%s", slash + 1);
    } else {
        snprintf(dir, sizeof dir, ".");
        snprintf(base, basesz, "%s", db);
    }
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return -1;
    if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* True when some queued inotify event names a file of our database. */
static bool drain_inotify(int fd, const char *base)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    size_t blen = strlen(base);
    bool hit = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (e->len == 0 || !strncmp(e->name, base, blen)) hit = true;
            p += sizeof *e + e->len;
        }
    }
    return hit;
}

static int follow(sa_store *st, const opts *o, const char *db, follow_state *fs)
{
    char base[256];
    int ifd = sa_store_is_url(db) ? -1 : watch_db(db, base, sizeof base);  /* PostgreSQL: timer */
    if (ifd < 0 && !sa_store_is_url(db)) sa_info("inotify unavailable; polling every %d ms", TIMER_MS);
    int64_t seen = 0;
    int status = 0;
    if (sa_store_data_version(st, &seen)) { status = EX_SYS; goto done; }
    /* events committed between the history read and data_version above */
    int r = print_new(st, o, fs);
    while (r == 0 && !sa_stop_requested() && !(o->limit && fs->printed >= o->limit) &&
           !(o->until_ended && fs->ended)) {
        struct pollfd pfd = { ifd, POLLIN, 0 };
        int pr = poll(&pfd, ifd >= 0 ? 1 : 0, TIMER_MS);
        if (pr < 0 && errno != EINTR) { sa_warn("poll"); status = EX_SYS; break; }
        if (pr > 0) drain_inotify(ifd, base);   /* a hint only: data_version decides */
        int64_t dv;
        if (sa_store_data_version(st, &dv)) {
            sa_warnx("%s", sa_store_errmsg(st));
            status = EX_SYS;
            break;
        }
        if (dv == seen) continue;
        seen = dv;
        r = print_new(st, o, fs);
    }
    if (r > 0) status = r;
done:
    if (ifd >= 0) close(ifd);
    return status;
}

/* Sleep up to ms, or less when a stop signal comes (the signal interrupts
 * poll).  False when a stop was requested. */
static bool nap(int ms)
{
    if (sa_stop_requested()) return false;
    (void)poll(NULL, 0, ms);
    return !sa_stop_requested();
}

/* --wait: open the database read-only, waiting while it does not exist yet
 * (no such file, or a file or PostgreSQL database without our schema).
 * Other failures exit EX_DB as sa_store_open_cmd does; a stop signal while
 * waiting exits EX_OK.  *path receives the path used (caller frees). */
static sa_store *open_waiting(const char *db, char **path)
{
    char *p = db ? strdup(db) : sa_default_db();
    if (!p) sa_diex(EX_DB, "cannot determine the database path (set --db or $SA_DB)");
    bool said = false;
    for (;;) {
        sa_store *st;
        char err[1024];
        int rc = sa_store_open(p, SA_STORE_RDONLY, 0, &st, err, sizeof err);
        if (rc == SA_STORE_OK) { *path = p; return st; }
        struct stat sb;
        bool absent = rc == SA_STORE_NOSCHEMA ||
                      (rc == SA_STORE_CANTOPEN && !sa_store_is_url(p) && stat(p, &sb) < 0 && errno == ENOENT);
        if (!absent) { free(p); sa_diex(EX_DB, "open database %s", err); }
        if (!said) { sa_info("waiting for database %s", err); said = true; }
        if (!nap(TIMER_MS)) { free(p); exit(EX_OK); }
    }
}

/* --wait: fill *s once the session exists.  0, EX_SYS, or -1 on a stop
 * signal (nothing printed; exit 0). */
static int session_waiting(sa_store *st, const char *db, const char *id, sa_session *s)
{
    char base[256];
    int ifd = sa_store_is_url(db) ? -1 : watch_db(db, base, sizeof base);
    int status = -1;
    bool said = false;
    for (;;) {
        int rc = sa_store_session_get(st, id, s);
        if (rc == SA_STORE_OK) { status = 0; break; }
        if (rc != SA_STORE_NOTFOUND) { sa_warnx("read session: %s", sa_store_errmsg(st)); status = EX_SYS; break; }
        if (!said) { sa_info("waiting for session %s", id); said = true; }
        struct pollfd pfd = { ifd, POLLIN, 0 };
        if (sa_stop_requested()) break;
        int pr = poll(&pfd, ifd >= 0 ? 1 : 0, TIMER_MS);
        if (pr > 0) drain_inotify(ifd, base);
        if (sa_stop_requested()) break;
    }
    if (ifd >= 0) close(ifd);
    return status;
}

static int list_sessions(sa_store *st)
{
    sa_session *v;
    size_t n;
    if (sa_store_session_list(st, &v, &n)) {
        sa_warnx("list sessions: %s", sa_store_errmsg(st));
        return EX_SYS;
    }
    int status = EX_OK;
    for (size_t i = 0; i < n && !status; i++) {
        cJSON *j = sa_session_to_json(&v[i]);
        char *s = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!s) { sa_warnx("out of memory"); status = EX_SYS; break; }
        size_t len = strlen(s);
        s[len] = '\n';                       /* replaces the NUL; written by length */
        bool ok = out(s, len + 1);
        int e = errno;
        free(s);
        if (!ok) {
            if (e != EPIPE) status = EX_SYS;
            break;
        }
    }
    sa_session_list_free(v, n);
    return status;
}

int main(int argc, char **argv)
{
    sa_log_init(argv[0]);
    opts o;
    parse_args(argc, argv, &o);
    sa_catch_stop_signals();
    char *db;
    sa_store *st = o.wait ? open_waiting(o.db, &db) : sa_store_open_cmd(o.db, SA_STORE_RDONLY, 0, EX_DB, &db);
    int status = EX_OK;
    if (o.list) {
        status = list_sessions(st);
        goto done;
    }
    sa_session s;
    int rc = sa_store_session_get(st, o.session, &s);
    if (rc == SA_STORE_NOTFOUND && o.wait) {
        int w = session_waiting(st, db, o.session, &s);
        if (w) { status = w < 0 ? EX_OK : w; goto done; }
        rc = SA_STORE_OK;
    }
    if (rc) {
        char shown[512];      /* a URL's password is never printed */
        sa_warnx("%s: %s", sa_store_display(db, shown, sizeof shown), sa_store_errmsg(st));
        status = rc == SA_STORE_NOTFOUND ? EX_NOSESSION : EX_SYS;
        goto done;
    }
    if (o.format == F_TEXT) {
        rt_limits lim = { (size_t)o.max_events, (size_t)o.max_chars, (size_t)o.max_line, o.after };
        char *text;
        if (rt_build(st, &s, &lim, &text)) {
            sa_warnx("build restore text: %s", sa_store_errmsg(st));
            status = EX_SYS;
        } else {
            if (*text && !out(text, strlen(text)) && errno != EPIPE) status = EX_SYS;
            free(text);
        }
    } else {
        follow_state fs = { o.after, 0, false };
        int r = print_new(st, &o, &fs);
        if (r > 0) status = r;
        else if (r == 0 && o.follow) status = follow(st, &o, db, &fs);
    }
    sa_session_clear(&s);
done:
    sa_store_close(st);
    free(db);
    return status;
}
