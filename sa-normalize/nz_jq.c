/*
 * nz_jq.c — compose, check and run the jq mapping co-process (see nz_jq.h).
 */
#include "nz_jq.h"
#include "sa.h"

#include <errno.h>
#include <fcntl.h>
#include <pipeline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char PRELUDE[] =
    "def input: error(\"input is not available to mapping programs\");\n"
    "def inputs: error(\"inputs is not available to mapping programs\");\n"
    "def halt: error(\"halt is not available to mapping programs\");\n"
    "def halt_error: error(\"halt_error is not available to mapping programs\");\n"
    "def halt_error($c): error(\"halt_error is not available to mapping programs\");\n"
    "def __sa_convert:\n";
static const char TAIL[] = "\n;\ntry [__sa_convert] catch [{\"__error\": .}]\n";

char *nz_jq_compose(const char *prog)
{
    size_t n = sizeof PRELUDE + strlen(prog) + sizeof TAIL + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s%s", PRELUDE, prog, TAIL);
    return s;
}

char *nz_jq_read_file(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat sb;
    if (fstat(fd, &sb) < 0) { close(fd); return NULL; }
    if (!S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
        close(fd);
        errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
        return NULL;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf) return NULL;
    buf[got] = '\0';
    return buf;
}

/* The program goes to jq as a file, `-f /dev/fd/N` (an argument is limited
 * to 128 KiB by the kernel): a memfd holding the text, close-on-exec in us,
 * made inheritable in the child just before exec. */
static int program_fd(const char *text)
{
    int fd = memfd_create("sa-mapping", MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (sa_write_all(fd, text, strlen(text)) < 0) { close(fd); return -1; }
    return fd;
}

static void keep_fd(void *data)
{
    int fd = *(int *)data;
    (void)fcntl(fd, F_SETFD, 0);
}

static void child_setup(void *data)
{
    keep_fd(data);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setpgid(0, 0);
}

/* The check program: the same definitions, run as `empty | [__sa_convert]`
 * (compiled and bound, never run). */
static pipeline *check_pipeline(const char *jq, const char *composed, const char *agent,
                                const char *session, nz_jq_check_t *c)
{
    size_t n = strlen(composed) + 32;
    char *prog = malloc(n);
    if (!prog) return NULL;
    const char *tail = strstr(composed, "\n;\ntry [__sa_convert]");
    size_t head = tail ? (size_t)(tail - composed) : strlen(composed);
    snprintf(prog, n, "%.*s\n;\nempty | [__sa_convert]\n", (int)head, composed);
    c->fd = program_fd(prog);
    free(prog);
    if (c->fd < 0) return NULL;
    snprintf(c->path, sizeof c->path, "/dev/fd/%d", c->fd);
    pipeline *p = pipeline_new_command_args(jq, "-n", "--arg", "agent", agent,
                                            "--arg", "session_id", session, "-f", c->path, (void *)0);
    pipeline_want_infile(p, "/dev/null");
    pipeline_want_outfile(p, "/dev/null");
    pipeline_ignore_signals(p, 0);
    return p;
}

int nz_jq_check(const char *jq, const char *composed, const char *agent, const char *session)
{
    nz_jq_check_t c = { .fd = -1 };
    pipeline *p = check_pipeline(jq, composed, agent, session, &c);
    if (!p) return NZ_JQ_NOSTART;
    pipecmd_pre_exec(pipeline_get_command(p, 0), keep_fd, NULL, &c.fd);
    int rc = pipeline_run(p);
    close(c.fd);
    return rc;
}

static void quiet_setup(void *data)
{
    keep_fd(data);
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) { dup2(fd, 2); close(fd); }
}

nz_jq_check_t *nz_jq_check_start(const char *jq, const char *composed, const char *agent,
                                 const char *session)
{
    nz_jq_check_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = -1;
    pipeline *p = check_pipeline(jq, composed, agent, session, c);
    if (!p) { if (c->fd >= 0) close(c->fd); free(c); return NULL; }
    pipecmd_pre_exec(pipeline_get_command(p, 0), quiet_setup, NULL, &c->fd);
    pipeline_start(p);
    c->p = p;
    return c;
}

int nz_jq_check_wait(nz_jq_check_t *c)
{
    if (!c) return NZ_JQ_NOSTART;
    int rc = pipeline_wait(c->p);
    pipeline_free(c->p);
    close(c->fd);
    free(c);
    return rc;
}

static int cloexec_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC);
}

int nz_jq_start(nz_jq *j, const char *jq, const char *composed, const char *agent, const char *session)
{
    int in[2], out[2];
    j->prog_fd = program_fd(composed);
    if (j->prog_fd < 0) return -1;
    if (cloexec_pipe(in) < 0) { close(j->prog_fd); return -1; }
    if (cloexec_pipe(out) < 0) { close(in[0]); close(in[1]); close(j->prog_fd); return -1; }
    snprintf(j->prog_path, sizeof j->prog_path, "/dev/fd/%d", j->prog_fd);
    pipecmd *cmd = pipecmd_new_args(jq, "--unbuffered", "-c", "--arg", "agent", agent,
                                    "--arg", "session_id", session, "-f", j->prog_path, (void *)0);
    pipecmd_pre_exec(cmd, child_setup, NULL, &j->prog_fd);
    pipeline *p = pipeline_new_commands(cmd, (void *)0);
    pipeline_want_in(p, in[0]);
    pipeline_want_out(p, out[1]);
    pipeline_ignore_signals(p, 0);
    pipeline_start(p);
    close(in[0]);
    close(out[1]);
    j->p = p;
    j->in_fd = in[1];
    j->out_fd = out[0];
    fcntl(j->in_fd, F_SETFL, fcntl(j->in_fd, F_GETFL) | O_NONBLOCK);
    fcntl(j->out_fd, F_SETFL, fcntl(j->out_fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

void nz_jq_kill(nz_jq *j)
{
    pid_t pid = j->p ? pipeline_get_pid(j->p, 0) : -1;
    if (pid > 0) (void)kill(pid, SIGKILL);
}

void nz_jq_close_input(nz_jq *j)
{
    if (j->in_fd >= 0) close(j->in_fd);
    j->in_fd = -1;
}

int nz_jq_finish(nz_jq *j)
{
    nz_jq_close_input(j);
    if (j->out_fd >= 0) close(j->out_fd);
    j->out_fd = -1;
    if (j->prog_fd >= 0) close(j->prog_fd);
    j->prog_fd = -1;
    int rc = 0;
    if (j->p) {
        rc = pipeline_wait(j->p);
        pipeline_free(j->p);
        j->p = NULL;
    }
    return rc;
}
