/*
 * secure.c — sa-serve's secrets, tokens with roles, and the agents' sandbox
 * (sa-serve(1) SECURITY).
 *
 * Tokens: --token T (wiped from the process's visible command line at once,
 * with a warning to prefer a file), --token-file PATH (first line), $SA_TOKEN
 * (the environment block is scrubbed: the bytes are overwritten, not only
 * unsetenv'd, since /proc/PID/environ shows the initial block), and
 * --tokens FILE of lines "ROLE NAME SHA256HEX" (# comments, blank lines;
 * re-read on SIGHUP, the old table kept when the new one has an error).  A
 * single token is one owner token named "token".  Only digests are kept;
 * a presented token is hashed and compared with every entry by a
 * constant-time compare of the 32-byte digests (no early exit, so neither
 * the token's length nor which entry matched shows in the timing).
 *
 * Roles: viewer (every GET/HEAD), member (also create sessions, send
 * messages, answer permissions and questions), owner (everything: terminate,
 * delete, fs writes, install, config).  sec_required_role says which a
 * request needs from its method and path segments.
 *
 * Sandbox: --sandbox auto|bwrap|none is resolved once at start by
 * "sa-spawn --sandbox X --sandbox-check" (sa-spawn owns the one
 * implementation); the result goes to every sa-spawn, /v1/health and the
 * session.started metadata.  A passed check is remembered in
 * STATE_DIR/sandbox-check under a key of everything it depends on (see
 * sbx_key), so later starts skip the ~50 ms trial run of bwrap.
 *
 * Ownership: the srv owns its token table (sec_free); strings returned are
 * static or point into the table.
 */
#include "serve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOKENS_FILE_MAX (1u << 20)
#define TOKEN_MAX 4096

extern char **environ;

static void wipe(char *p, size_t n)
{
    volatile char *v = p;
    while (n--) *v++ = 0;
}

static void add_token(sec_token **v, size_t *n, int role, const char *name, const unsigned char dig[SA_SHA256_LEN])
{
    sec_token *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) sa_diex(1, "out of memory");
    *v = nv;
    sec_token *t = &nv[(*n)++];
    t->role = role;
    snprintf(t->name, sizeof t->name, "%s", name);
    memcpy(t->digest, dig, SA_SHA256_LEN);
}

void sec_wipe_arg(char *arg)
{
    wipe(arg, strlen(arg));
}

void sec_scrub_environ(void)
{
    /* the initial block, as /proc/PID/environ shows it: overwrite SA_TOKEN's
     * bytes in place (unsetenv only drops the pointer) */
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, "SA_TOKEN=", 9)) wipe(*e + 9, strlen(*e + 9));
    unsetenv("SA_TOKEN");
}

int sec_read_token_file(const char *path, char *out, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t r;
    size_t got = 0;
    while (got < n - 1 && ((r = read(fd, out + got, n - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0) got += (size_t)r;
    close(fd);
    out[got] = 0;
    char *nl = strpbrk(out, "\r\n");
    if (nl) *nl = 0;
    size_t l = strlen(out);
    while (l && isspace((unsigned char)out[l - 1])) out[--l] = 0;
    if (!*out) { errno = ENODATA; return -1; }
    return 0;
}

static int role_of(const char *w)
{
    if (!strcmp(w, "viewer")) return SEC_VIEWER;
    if (!strcmp(w, "member")) return SEC_MEMBER;
    if (!strcmp(w, "owner")) return SEC_OWNER;
    return 0;
}

const char *sec_role_name(int role)
{
    return role == SEC_OWNER ? "owner" : role == SEC_MEMBER ? "member" : role == SEC_VIEWER ? "viewer" : "none";
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse FILE into a new table; 0 ok, -1 with err ("LINE: why"). */
static int load_tokens(const char *path, sec_token **out, size_t *nout, char *err, size_t en)
{
    *out = NULL;
    *nout = 0;
    FILE *f = fopen(path, "re");
    if (!f) { snprintf(err, en, "%s: %s", path, strerror(errno)); return -1; }
    char line[1024];
    unsigned ln = 0;
    size_t total = 0;
    sec_token *v = NULL;
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        total += strlen(line);
        if (total > TOKENS_FILE_MAX) { snprintf(err, en, "%s: larger than %u bytes", path, TOKENS_FILE_MAX); goto bad; }
        if (!strchr(line, '\n') && !feof(f)) { snprintf(err, en, "%s:%u: line too long", path, ln); goto bad; }
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        char role[32], name[128], hex[128], extra[8];
        int k = sscanf(p, "%31s %127s %127s %7s", role, name, hex, extra);
        if (k != 3) { snprintf(err, en, "%s:%u: want ROLE NAME SHA256HEX", path, ln); goto bad; }
        int r = role_of(role);
        if (!r) { snprintf(err, en, "%s:%u: unknown role %s (viewer, member, owner)", path, ln, role); goto bad; }
        if (strlen(name) >= sizeof v->name) { snprintf(err, en, "%s:%u: name longer than %zu bytes", path, ln, sizeof v->name - 1); goto bad; }
        if (strlen(hex) != 2 * SA_SHA256_LEN) { snprintf(err, en, "%s:%u: the digest is not 64 hex digits", path, ln); goto bad; }
        unsigned char d[SA_SHA256_LEN];
        for (int i = 0; i < SA_SHA256_LEN; i++) {
            int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
            if (hi < 0 || lo < 0) { snprintf(err, en, "%s:%u: the digest is not 64 hex digits", path, ln); goto bad; }
            d[i] = (unsigned char)(hi << 4 | lo);
        }
        add_token(&v, &n, r, name, d);
    }
    fclose(f);
    *out = v;
    *nout = n;
    return 0;
bad:
    fclose(f);
    free(v);
    return -1;
}

int sec_tokens_init(srv *s, const char *single, char *err, size_t en)
{
    sec_token *v = NULL;
    size_t n = 0;
    if (s->cfg.tokens_file && load_tokens(s->cfg.tokens_file, &v, &n, err, en) < 0) return -1;
    if (single) {
        unsigned char d[SA_SHA256_LEN];
        sa_sha256_buf(single, strlen(single), d);
        add_token(&v, &n, SEC_OWNER, "token", d);
        s->single_digest_set = true;
        memcpy(s->single_digest, d, sizeof d);
    }
    free(s->tokens);
    s->tokens = v;
    s->n_tokens = n;
    s->auth = n > 0 || s->cfg.tokens_file;
    return 0;
}

void sec_tokens_reload(srv *s)
{
    if (!s->cfg.tokens_file) { sa_notice("SIGHUP: no --tokens file to re-read"); return; }
    sec_token *v;
    size_t n;
    char err[1200];
    if (load_tokens(s->cfg.tokens_file, &v, &n, err, sizeof err) < 0) {
        sa_warnx("SIGHUP: cannot re-read the tokens: %s (the old ones stay)", err);
        return;
    }
    if (s->single_digest_set) add_token(&v, &n, SEC_OWNER, "token", s->single_digest);
    free(s->tokens);
    s->tokens = v;
    s->n_tokens = n;
    sa_notice("SIGHUP: %zu tokens from %s", n, s->cfg.tokens_file);
}

const sec_token *sec_lookup(const srv *s, const char *presented)
{
    if (!presented || strlen(presented) > TOKEN_MAX) return NULL;
    unsigned char d[SA_SHA256_LEN];
    sa_sha256_buf(presented, strlen(presented), d);
    const sec_token *hit = NULL;
    for (size_t i = 0; i < s->n_tokens; i++) {       /* every entry, whatever matched */
        bool eq = sa_ct_equal(d, s->tokens[i].digest, SA_SHA256_LEN);
        if (eq && !hit) hit = &s->tokens[i];
    }
    return hit;
}

int sec_required_role(int method, char **seg, int n)
{
    if (method == M_GET || method == M_OPTIONS) return SEC_VIEWER;
    if (n >= 2 && !strcmp(seg[1], "sessions") && method == M_POST) {
        if (n == 3) return SEC_MEMBER;                                   /* create */
        if (n == 4 && !strcmp(seg[3], "messages")) return SEC_MEMBER;
        if (n == 5 && !strcmp(seg[3], "messages") && !strcmp(seg[4], "stream")) return SEC_MEMBER;
        if (n == 4 && !strcmp(seg[3], "cancel")) return SEC_MEMBER;
        if (n == 6 && !strcmp(seg[3], "permissions") && !strcmp(seg[5], "reply")) return SEC_MEMBER;
        if (n == 6 && !strcmp(seg[3], "questions") && (!strcmp(seg[5], "reply") || !strcmp(seg[5], "reject")))
            return SEC_MEMBER;
    }
    return SEC_OWNER;
}

void sec_free(srv *s)
{
    free(s->tokens);
    s->tokens = NULL;
    s->n_tokens = 0;
}

/* ---- the sandbox ---- */

/* What a passed check depends on: what was asked, the sa-spawn and bwrap
 * binaries (path, inode, size, mtime), the boot, the user and the kernel's
 * user-namespace switches.  Any change makes a new key, so a new check. */
static void file_id(const char *path, char *b, size_t n)
{
    struct stat st;
    if (path && stat(path, &st) == 0)
        snprintf(b, n, "%s:%llu:%lld:%lld.%09ld", path, (unsigned long long)st.st_ino, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    else snprintf(b, n, "-");
}

static void proc_word(const char *path, char *b, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, b, n - 1) : -1;
    if (fd >= 0) close(fd);
    if (r < 0) r = 0;
    b[r] = 0;
    b[strcspn(b, "\n")] = 0;
    if (!*b) snprintf(b, n, "-");
}

static void sbx_key(const srv *s, const char *want, char key[2 * SA_SHA256_LEN + 1])
{
    char sp[PATH_MAX + 96], bw[PATH_MAX + 96], boot[64], u1[32], u2[32], u3[32];
    char *bwrap = sa_find_exec("bwrap", false);
    file_id(s->exe_spawn, sp, sizeof sp);
    file_id(bwrap, bw, sizeof bw);
    free(bwrap);
    proc_word("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    proc_word("/proc/sys/user/max_user_namespaces", u1, sizeof u1);
    proc_word("/proc/sys/kernel/unprivileged_userns_clone", u2, sizeof u2);
    proc_word("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", u3, sizeof u3);
    sa_sha256 c;
    unsigned char d[SA_SHA256_LEN];
    const char *part[] = { "sa-serve sandbox-check 1", want, sp, bw, boot, u1, u2, u3 };
    sa_sha256_init(&c);
    for (size_t i = 0; i < sizeof part / sizeof *part; i++) sa_sha256_update(&c, part[i], strlen(part[i]) + 1);
    unsigned uid = (unsigned)geteuid();
    sa_sha256_update(&c, &uid, sizeof uid);
    sa_sha256_final(&c, d);
    sa_sha256_hex(d, key);
}

/* 1 when CACHE holds KEY then "bwrap": an earlier start's check passed. */
static int sbx_cached(const char *cache, const char *key)
{
    char b[128];
    int fd = open(cache, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return 0;
    ssize_t r = read(fd, b, sizeof b - 1);
    close(fd);
    if (r <= 0) return 0;
    b[r] = 0;
    size_t k = strlen(key);
    return !strncmp(b, key, k) && !strcmp(b + k, "\nbwrap\n");
}

/* Written to a temporary name and renamed: a reader sees all or nothing.
 * Failing to write is not an error (the next start checks again). */
static void sbx_save(const char *cache, const char *key)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%d", cache, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return;
    char b[128];
    int n = snprintf(b, sizeof b, "%s\nbwrap\n", key);
    int ok = n > 0 && n < (int)sizeof b && write(fd, b, (size_t)n) == n;
    if (close(fd) < 0) ok = 0;
    if (!ok || rename(tmp, cache) < 0) unlink(tmp);
}

int sec_sandbox_init(srv *s, char *err, size_t en)
{
    const char *env = getenv("SA_SANDBOX");
    const char *want = s->cfg.sandbox_want ? s->cfg.sandbox_want : env && *env ? env : "auto";
    if (!strcmp(want, "none")) { snprintf(s->sandbox, sizeof s->sandbox, "none"); return 0; }
    if (strcmp(want, "auto") && strcmp(want, "bwrap")) {
        snprintf(err, en, "--sandbox must be auto, bwrap or none");
        return -1;
    }
    char key[2 * SA_SHA256_LEN + 1], cache[PATH_MAX];
    sbx_key(s, want, key);
    snprintf(cache, sizeof cache, "%s/sandbox-check", s->cfg.state_dir);
    if (sbx_cached(cache, key)) { snprintf(s->sandbox, sizeof s->sandbox, "bwrap"); return 0; }
    int out[2], er[2];
    if (pipe2(out, O_CLOEXEC) < 0) { snprintf(err, en, "pipe: %s", strerror(errno)); return -1; }
    if (pipe2(er, O_CLOEXEC) < 0) { close(out[0]); close(out[1]); snprintf(err, en, "pipe: %s", strerror(errno)); return -1; }
    char *argv[] = { s->exe_spawn, "--sandbox", (char *)want, "--sandbox-check", NULL };
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(er[1], 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    close(er[1]);
    char o[64] = "", e[900] = "";
    size_t no = 0, ne = 0;
    ssize_t r;
    while (no < sizeof o - 1 && ((r = read(out[0], o + no, sizeof o - 1 - no)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0) no += (size_t)r;
    while (ne < sizeof e - 1 && ((r = read(er[0], e + ne, sizeof e - 1 - ne)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0) ne += (size_t)r;
    close(out[0]);
    close(er[0]);
    o[no] = e[ne] = 0;
    int st = 0;
    if (pid > 0) while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    o[strcspn(o, "\n")] = 0;
    e[strcspn(e, "\n")] = 0;
    if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !*o) {
        snprintf(err, en, "%s", *e ? e : "sa-spawn --sandbox-check failed");
        return -1;
    }
    snprintf(s->sandbox, sizeof s->sandbox, "%s", o);
    if (!strcmp(o, "bwrap")) sbx_save(cache, key);
    return 0;
}
