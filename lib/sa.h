/*
 * sa.h — the small shared library under every sa command (prefix sa_).
 *
 * What is here: err(3)-style diagnostics (sa_log), a bounded line reader
 * for pipes and FIFOs (sa_line), RFC 3339 time stamps (sa_time), and a few
 * helpers every main.c needs (numbers, paths, writing whole buffers).
 *
 * Ownership: functions returning `char *` return memory the caller frees
 * with free(); everything else borrows.  No function here keeps a pointer
 * to its arguments after it returns, except sa_log_init (argv[0]'s basename,
 * which must outlive the program — pass argv[0]).
 */
#ifndef SA_H
#define SA_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#ifndef SA_VERSION
#define SA_VERSION "0.0.0"
#endif

/* ---- diagnostics: "prog: what failed: why" on stderr ---- */
void sa_log_init(const char *argv0);
const char *sa_prog(void);
/* Level: 0 quiet (errors only), 1 warnings (default), 2 info, 3 debug. */
void sa_log_set_level(int level);
int  sa_log_level(void);
void sa_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));      /* appends ": strerror(errno)" */
void sa_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A notice at level 1 and up (not a warning: a fact worth seeing by default,
 * such as sa-serve's pipeline start and end). */
void sa_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sa_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sa_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void sa_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));  /* with errno */
_Noreturn void sa_diex(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- bounded line reader ----
 * Reads '\n'-terminated lines from a file descriptor (blocking or not) into
 * a buffer that never grows past `max` bytes.  A line longer than `max` is
 * reported once as SA_LINE_TOOLONG (its first `max` bytes are in the line),
 * and the rest of it is skipped up to the next newline.  A final line
 * without '\n' at EOF is returned as a line. */
typedef struct sa_line {
    int    fd;
    char  *buf;        /* owned */
    size_t cap, len, start, max;
    bool   eof, skipping;
    size_t lineno;     /* number of lines returned so far */
    size_t chunk;      /* first buffer size (0: 4096), see sa_line_set_chunk */
} sa_line;

enum { SA_LINE_OK = 1, SA_LINE_TOOLONG = 2, SA_LINE_AGAIN = 0, SA_LINE_EOF = -1, SA_LINE_ERR = -2 };

void sa_line_init(sa_line *lr, int fd, size_t max);
void sa_line_free(sa_line *lr);
/* Read in blocks of up to `chunk` bytes from the start (default 4096; the
 * buffer still grows only for a longer line): fewer read(2) calls on a busy
 * pipe.  Call before the first sa_line_next. */
void sa_line_set_chunk(sa_line *lr, size_t chunk);
/* Returns SA_LINE_OK / SA_LINE_TOOLONG with *line (NUL-terminated, borrowed
 * until the next call) and *len set; SA_LINE_AGAIN when a non-blocking fd has
 * no complete line yet; SA_LINE_EOF at end; SA_LINE_ERR on a read error. */
int  sa_line_next(sa_line *lr, char **line, size_t *len);
/* True when a complete line is already buffered (no read(2) needed). */
bool sa_line_buffered(const sa_line *lr);
/* Give back memory grown for a long line: when the buffer holds more than
 * `keep` bytes (at least 4096 and the chunk) and the unread rest fits in keep, the rest
 * is moved to the front and the buffer shrunk to keep.  The line last
 * returned is no longer valid afterwards. */
void sa_line_shrink(sa_line *lr, size_t keep);

/* ---- time ---- */
/* RFC 3339 UTC with milliseconds: "2026-11-21T10:00:00.123Z".  buf >= 32. */
void sa_time_rfc3339(char *buf, size_t size);
int64_t sa_time_ms(void);          /* wall clock, unix ms */
int64_t sa_time_mono_us(void);     /* monotonic microseconds */

/* ---- helpers ---- */
/* Parse a decimal unsigned number with bounds; false on junk or overflow. */
bool sa_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Make *buf (capacity *cap) hold at least `need` bytes, doubling from
 * `first` (or from the current capacity); on allocation failure it exits with
 * status 1 and "out of memory".  *buf keeps its contents. */
void sa_reserve(char **buf, size_t *cap, size_t need, size_t first);
/* Write all of buf, retrying on EINTR/short writes.  0 or -1 (errno). */
int  sa_write_all(int fd, const void *buf, size_t len);
/* 64-bit FNV-1a of a string (hash tables, short stable file names). */
uint64_t sa_hash64(const char *s);

/* sa_sha256.c: SHA-256 (FIPS 180-4) and a constant-time compare. */
#define SA_SHA256_LEN 32
typedef struct sa_sha256 { uint32_t h[8]; uint64_t len; unsigned char buf[64]; size_t nbuf; } sa_sha256;
void sa_sha256_init(sa_sha256 *c);
void sa_sha256_update(sa_sha256 *c, const void *data, size_t n);
void sa_sha256_final(sa_sha256 *c, unsigned char out[SA_SHA256_LEN]);   /* wipes c */
void sa_sha256_buf(const void *data, size_t n, unsigned char out[SA_SHA256_LEN]);
void sa_sha256_hex(const unsigned char d[SA_SHA256_LEN], char hex[2 * SA_SHA256_LEN + 1]);
/* Whether a and b (n bytes each) are equal, in time that depends on n only. */
bool sa_ct_equal(const void *a, const void *b, size_t n);
/* A copy of s cut to at most max bytes at a UTF-8 character boundary (NULL
 * for NULL; exits on out of memory).  Caller frees. */
char *sa_strdup_cut(const char *s, size_t max);
/* Directory holding the running executable (from /proc/self/exe); caller frees. */
char *sa_exe_dir(void);
/* Find an executable: absolute/relative path containing '/', else beside our
 * own executable (if `beside_self`), else on $PATH.  Caller frees; NULL if none. */
char *sa_find_exec(const char *name, bool beside_self);
/* The default database path: $SA_DB, else $XDG_STATE_HOME/sa/sa.db, else
 * $HOME/.local/state/sa/sa.db (directories created).  Caller frees. */
char *sa_default_db(void);

/* ---- stop signals (a command's usual start-up) ----
 * sa_catch_stop_signals: SIGTERM and SIGINT only set a flag (without
 * SA_RESTART, so a blocking call returns EINTR), and SIGPIPE is ignored (a
 * write to a closed pipe fails with EPIPE).  sa_stop_requested: true once
 * SIGTERM or SIGINT has arrived.  sa_stop_fd: the read end of a self-pipe
 * the handler writes a byte to (-1 before sa_catch_stop_signals or if no
 * pipe could be made): poll it with the input so a signal arriving between a
 * check of sa_stop_requested and the poll still wakes the poll (never read
 * from it; it stays readable once a stop was asked for).  sa_stop_request:
 * the same as a signal, from code. */
void sa_catch_stop_signals(void);
bool sa_stop_requested(void);
int sa_stop_fd(void);
void sa_stop_request(void);

#endif
