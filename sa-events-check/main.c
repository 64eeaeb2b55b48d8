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
 * Blank lines are errors (JSONL has none).  Lines are limited to 64 MiB.
 * Ownership: every parsed event is freed before the next line is read.
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
    "                       [--key-order] [--quiet] [FILE...]\n";

typedef struct opts {
    unsigned flags;
    bool sequential, quiet;
    uint64_t start;         /* 0 = any */
    const char *session;
} opts;

typedef struct state {
    double next_seq;        /* expected next sequence; 0 = not yet known */
    size_t bad, total;
} state;

static void report(const opts *o, const char *file, size_t lineno, const char *msg)
{
    if (o->quiet) return;
    if (file) printf("%s: line %zu: %s\n", file, lineno, msg);
    else printf("line %zu: %s\n", lineno, msg);
    fflush(stdout);
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
    cJSON_Delete(ev);
    if (!ok) { s->bad++; report(o, file, lineno, err); }
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
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': puts("sa-events-check " SA_VERSION); return 0;
        default:
            sa_warnx("unknown or incomplete option: %s", argv[optind - 1]);
            fputs(usage_text, stderr);
            return 2;
        }
    }
    state s = { 0 };
    if (optind == argc) {
        if (check_fd(&o, &s, 0, NULL) < 0) return 2;
    } else {
        for (int i = optind; i < argc; i++) {
            int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) { sa_warn("open %s", argv[i]); return 2; }
            int r = check_fd(&o, &s, fd, argv[i]);
            close(fd);
            if (r < 0) return 2;
        }
    }
    return s.bad ? 1 : 0;
}
