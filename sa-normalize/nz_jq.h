/*
 * nz_jq.h — the jq co-process that runs an agent's mapping program.
 *
 * nz_jq_compose wraps the program file's text so that jq prints EXACTLY one
 * line per input value: `try [ <program> ] catch [{"__error": .}]`, with
 * input/inputs/halt/halt_error shadowed by errors (they would break the
 * one-line-per-input rule).  The program sees $agent and $session_id.
 * nz_jq_check compiles it once (jq -n ... empty) so a broken program is
 * reported before any line is read; nz_jq_check_start/_wait do the same
 * while the co-process starts (both compile at once, so a pipeline's first
 * lines wait for one jq start-up, not two); that check's stderr is
 * discarded, as the co-process reports the same compile error itself.  nz_jq_start runs
 * `jq --unbuffered -c --arg ... -f /dev/fd/N` (the program in a memfd, so its
 * size is not bound by the kernel's 128 KiB argument limit) through libpipeline with pipes we
 * create ourselves (close-on-exec on our ends, non-blocking), and jq in its
 * own process group so a group SIGTERM aimed at us lets us finish the lines
 * jq already has.
 *
 * Ownership: nz_jq_compose returns malloc'd text; nz_jq owns its pipeline
 * and both fds until nz_jq_finish.
 */
#ifndef NZ_JQ_H
#define NZ_JQ_H

#include <stdbool.h>
#include <stddef.h>

/* The status libpipeline's child exits with when exec fails (and ours when
 * no child could be set up): "jq could not start", not "jq rejected it". */
#define NZ_JQ_NOSTART 255

typedef struct nz_jq {
    void *p;           /* pipeline * */
    int prog_fd;       /* memfd holding the program (-1 once closed) */
    char prog_path[32];
    int in_fd;         /* we write native lines here (-1 once closed) */
    int out_fd;        /* we read conversion arrays here */
} nz_jq;

char *nz_jq_compose(const char *program_text);
/* Read a whole (small) file; NULL with errno on failure. Caller frees. */
char *nz_jq_read_file(const char *path, size_t max);
typedef struct nz_jq_check_t { void *p; int fd; char path[32]; } nz_jq_check_t;
/* Start the check in the background (NULL on failure: treat as rejected). */
nz_jq_check_t *nz_jq_check_start(const char *jq, const char *composed, const char *agent,
                                 const char *session);
/* Wait for it and free it: 0 when jq accepted the program, else its status. */
int nz_jq_check_wait(nz_jq_check_t *c);
/* 0 when jq accepts the composed program; else jq's status (its stderr is ours). */
int nz_jq_check(const char *jq, const char *composed, const char *agent, const char *session);
int nz_jq_start(nz_jq *j, const char *jq, const char *composed, const char *agent, const char *session);
void nz_jq_close_input(nz_jq *j);
/* SIGKILL the co-process (a mapping program that hangs); nz_jq_finish reaps it. */
void nz_jq_kill(nz_jq *j);
/* Close everything, wait; returns jq's exit status as the shell would. */
int nz_jq_finish(nz_jq *j);

#endif
