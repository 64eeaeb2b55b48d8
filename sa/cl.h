/*
 * cl.h — the `sa` client command's modules (prefix cl_).
 *
 * sa mirrors sandbox-agent v0.1.11's CLI over sa-serve's HTTP API (see
 * sa(1)).  main.c parses the global flags and dispatches; http.c is the one
 * HTTP client (libcurl) every command goes through, with the SSE reader and
 * its Last-Event-ID resume; api.c holds `sa api agents|sessions`, fs.c
 * `sa api fs`, attach.c `sa attach`, server.c `sa server` and `sa daemon`,
 * install.c `sa install-agent`, cred.c `sa credentials`.
 *
 * Ownership: cl_resp owns its body (cl_resp_free); the global options
 * (cl_opts) point into argv or the environment and live for the program.
 * Every other function borrows its arguments.
 */
#ifndef SA_CL_H
#define SA_CL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cJSON.h>

/* Exit statuses (sa(1), EXIT STATUS). */
enum {
    CL_OK = 0,
    CL_EHTTP = 1,      /* the server answered with an HTTP error (4xx/5xx) */
    CL_EUSAGE = 2,     /* bad command line */
    CL_ECONN = 3,      /* the server could not be reached, or the stream was lost */
    CL_ELOCAL = 4,     /* a local failure: a file, npm, starting sa-serve */
    CL_ENONE = 5,      /* nothing there: daemon not running, no credential found */
};

#define CL_DEFAULT_ENDPOINT "http://127.0.0.1:2468"
#define CL_BODY_MAX (64u << 20)       /* largest response body kept in memory */
#define CL_SSE_FRAME_MAX (16u << 20)  /* largest SSE frame */
#define CL_SSE_RETRIES 10             /* reconnects in a row without an event (~15 s) */

typedef struct cl_opts {
    const char *endpoint;   /* without a trailing slash */
    const char *token;      /* NULL: no Authorization header */
    bool no_token;
} cl_opts;
extern cl_opts cl_g;

/* Handle the options every command takes: -t/--token, -n/--no-token and
 * (with_endpoint) -e/--endpoint.  Returns true when c was one of them. */
bool cl_global_opt(int c, const char *arg, bool with_endpoint);
/* Long option entries and short letters for them, spliced into a
 * command's getopt_long tables. */
#define CL_GLOBAL_SHORT "t:n"
#define CL_ENDPOINT_SHORT "e:"
#define CL_GLOBAL_LONG {"token", 1, 0, 't'}, {"no-token", 0, 0, 'n'}
#define CL_ENDPOINT_LONG {"endpoint", 1, 0, 'e'}
/* Print "usage: ..." of a command to stderr and return CL_EUSAGE. */
int cl_usage(const char *text);
/* Every command parses its own argv (argv[0] is its name) with
 * getopt_long after setting optind = 0 (glibc: start over). */

/* ---- http.c ---- */
typedef struct cl_resp {
    long status;            /* 0: no answer */
    char *body;             /* NUL-terminated (owned), NULL when streamed to a file */
    size_t len;
    char ctype[128];
    char err[256];          /* transport error (status 0) */
} cl_resp;

/* One request to cl_g.endpoint + path (path includes the query, already
 * encoded).  body may be NULL.  sink: write the body there instead of into
 * resp->body (2xx answers only; errors are always kept).  Returns CL_OK when
 * an answer came (any status), CL_ECONN otherwise (resp->err says why). */
int cl_request(const char *method, const char *path, const void *body, size_t len,
               const char *ctype, FILE *sink, cl_resp *resp);
void cl_resp_free(cl_resp *r);
/* The usual end of a command: 2xx → print the JSON body pretty (or nothing
 * for an empty body) and CL_OK; otherwise report on stderr ("sa: METHOD
 * PATH: STATUS detail" and the body pretty) and CL_EHTTP.  Frees resp. */
int cl_finish(const char *method, const char *path, int rc, cl_resp *resp);
/* Report a failed answer (status >= 400 or none) on stderr; returns the exit status. */
int cl_report(const char *method, const char *path, int rc, const cl_resp *resp);
/* Print JSON with two-space indentation and a final newline. */
void cl_print_json(FILE *f, const cJSON *j);
/* Percent-encode s for a query value or a path segment into a malloc'd
 * string (exits on out of memory). */
char *cl_esc(const char *s);
/* Append "&k=v" (or "?k=v" for the first) with v escaped to a path buffer. */
void cl_query(char *path, size_t size, const char *k, const char *v);

/* An SSE reader: GET (or POST with body) path, call on_event for each frame
 * with its id (0 when none) and its data; on_event returns false to stop.
 * When the connection drops and `resume` is set, reconnect to resume_path
 * with Last-Event-ID: the last id seen (at most CL_SSE_RETRIES times in a
 * row without an event in between, backing off).  Returns CL_OK when
 * on_event stopped the stream, CL_EHTTP after an error answer (reported),
 * CL_ECONN when the stream could not be (re)established. */
typedef bool (*cl_sse_cb)(uint64_t id, const char *data, size_t len, void *arg);
int cl_sse(const char *method, const char *path, const char *body, const char *resume_path,
           uint64_t last_id, cl_sse_cb on_event, void *arg);

/* ---- sse.c: the frame parser under cl_sse ---- */
typedef struct cl_sse_parser {
    cl_sse_cb cb;
    void *arg;
    uint64_t last_id;        /* the last id: seen (kept across resets) */
    size_t events;           /* events delivered */
    bool stopped, too_big;   /* cb returned false / a frame passed CL_SSE_FRAME_MAX */
    bool prev_cr;
    char *buf;               /* the frame being read (owned) */
    size_t len, cap;
} cl_sse_parser;
/* Feed bytes; calls cb for each complete event.  0, or -1 once stopped or too big. */
int cl_sse_feed(cl_sse_parser *p, const char *b, size_t n);
/* Drop a partial frame (a new connection starts clean). */
void cl_sse_parser_reset(cl_sse_parser *p);
void cl_sse_parser_free(cl_sse_parser *p);

/* ---- commands ---- */
int cl_api(int argc, char **argv);             /* api.c: `sa api ...` */
int cl_api_agents(int argc, char **argv);      /* api.c */
int cl_api_sessions(int argc, char **argv);    /* api.c */
int cl_api_fs(int argc, char **argv);          /* fs.c */
int cl_attach(int argc, char **argv);          /* attach.c */
int cl_server(int argc, char **argv);          /* server.c */
int cl_daemon(int argc, char **argv);          /* server.c */
/* A daemon on host:port: nothing to do when /v1/health answers there, else
 * `sa daemon start -H host -p port` (server.c).  CL_OK or an exit status. */
int cl_daemon_ensure(const char *host, const char *port);
int cl_opencode(int argc, char **argv);        /* opencode.c */
int cl_install_agent(int argc, char **argv);   /* install.c */
int cl_credentials(int argc, char **argv);     /* cred.c */
/* POST /v1/agents/{agent}/install {reinstall}: shared by `sa api agents install`. */
int cl_agent_install_remote(const char *agent, bool reinstall);

/* Read a whole file (at most max bytes) into a malloc'd buffer; NULL with
 * errno on failure (EFBIG when larger). */
char *cl_read_file(const char *path, size_t max, size_t *len);

#endif
