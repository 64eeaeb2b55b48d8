/*
 * nz_pump.h — sa-normalize's main loop: stdin → (jq | C) → stdout, in order.
 *
 * Lines are read from in_fd (non-blocking, bounded), checked (nz_scan, and
 * cJSON for sa-spawn lines and anything unusual) and queued in a FIFO of at most NZ_QUEUE_MAX lines / NZ_QUEUE_BYTES bytes.
 * sa-spawn lines, lines the fast path maps (nz_fast.h: text deltas) and
 * lines that are not (jq-safe) JSON are handled in C when
 * they reach the head of the queue; every other line is written to jq at
 * once (pipelined) and handled when jq's answer line for it arrives.  poll(2)
 * waits on stdin, jq's stdin (when there is something to write) and jq's
 * stdout together, so throughput approaches jq's and one line's latency is
 * one jq round trip.  Events are buffered and written before every poll,
 * except during a burst (jq still owes answers, we wrote less than 1 ms
 * ago), when they wait up to 1 ms or 256 KiB so the next stage gets them
 * in groups; the first event after a pause is never held.  A stop signal
 * is seen through sa_stop_fd's self-pipe in the same poll.  A line jq has
 * owed longer than line_timeout_ms becomes agent.unparsed and jq is
 * restarted with the lines after it (nz_pump.c: jq_restart).
 *
 * Ownership: the pump borrows the nz_state and the composed program.
 */
#ifndef NZ_PUMP_H
#define NZ_PUMP_H

#include "nz_state.h"

#define NZ_QUEUE_MAX   4096
#define NZ_QUEUE_BYTES (64u << 20)
#define NZ_LINE_MAX    (16u << 20)
#define NZ_BATCH_US    1000  /* longest an event waits for a burst's next ones */
#define NZ_BATCH_BYTES (256u << 10)
#define NZ_JQ_DEPTH    200   /* = NZ_SCAN_DEPTH (nz_scan.h) */
#define NZ_LINE_TIMEOUT_MS 10000  /* default --line-timeout */

typedef struct nz_pump_cfg {
    int in_fd, out_fd;
    const char *jq;          /* path of jq */
    const char *composed;    /* composed program (nz_jq_compose) */
    const char *agent, *session;
    nz_opts opts;            /* emit/emit_ctx are filled in by the pump */
    unsigned line_timeout_ms; /* longest jq may take on one line (0: no limit); then the line
                                is an agent.unparsed error and jq is restarted */
    int fast;                /* nz_fast_kind: lines the fast path knows skip jq (0: none) */
    void *check;             /* nz_jq_check_t running, waited for before anything is read */
    int rejected;            /* out: the check's status when it failed */
} nz_pump_cfg;

/* Runs to EOF (or SIGTERM); returns the process exit code (0 or 1; when
 * the check rejects the program: cfg->rejected set, nothing read or
 * written, 3 or 1). */
int nz_pump_run(nz_pump_cfg *cfg);
/* Request a clean stop (signal-safe). */
void nz_pump_stop(void);

/* Helpers exposed for unit tests. */
/* Replace invalid UTF-8 by U+FFFD; returns NULL when s is already valid. */
char *nz_utf8_fix(const char *s, size_t len, size_t *out_len);
/* A line with a raw control character (below 0x20, not tab; cJSON takes
 * one inside a string, jq and the JSON grammar do not, and jq exits on
 * it) is parsed and printed again, escaped: *line (malloc'd, NUL-terminated)
 * is replaced and *len set.  0 = nothing to do, 1 = replaced, -1 = not
 * JSON (unchanged). */
int nz_line_canon(char **line, size_t *len);
/* Nesting depth of a parsed JSON value (scalars are 0). */
int nz_json_depth(const cJSON *v, int limit);

#endif
