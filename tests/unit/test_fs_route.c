/*
 * test_fs_route.c — the /v1/fs endpoints end to end over real HTTP, without
 * the rest of sa-serve: an in-process evhttp server on 127.0.0.1 (port 0)
 * hands /v1/fs/... to fs_route, and libevent's HTTP client in the same loop
 * sends the requests.  Checks response shapes, v0.1.11 error mapping,
 * session bases, and refusals of every way out of the root (.., absolute
 * paths, symlinks in the middle and at the end, tar links and names).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <cjson/cJSON.h>
#include "fs.h"
#include "fs_path.h"

static char tmpl[64], rootdir[128];
static struct event_base *base;
static struct evhttp *http;
static int port;
static fs_config cfg;

static const char *sess(const char *id, void *ctx, bool *found)
{
    (void)ctx;
    *found = true;
    if (!strcmp(id, "s1")) return "sess1";
    if (!strcmp(id, "sout")) return "/etc";
    if (!strcmp(id, "sroot")) return NULL;
    *found = false;
    return NULL;
}

static void handler(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path || strncmp(path, "/v1/fs", 6)) {
        evhttp_send_error(req, 404, NULL);
        return;
    }
    fs_route(req, path + 6, &cfg);
}

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpl, "/tmp/sa-fsr-XXXXXX");
    if (!mkdtemp(tmpl)) return -1;
    snprintf(rootdir, sizeof rootdir, "%s/root", tmpl);
    sh("cd %s && mkdir -p outside root/sess1 root/d && echo secret > outside/secret"
       " && ln -s /etc root/to_etc && ln -s ../outside root/to_out"
       " && ln -s ../outside/secret root/to_secret && ln -s d root/to_d", tmpl);
    base = event_base_new();
    http = evhttp_new(base);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(http, handler, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    if (!bs) return -1;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
    port = ntohs(sa.sin_port);
    cfg.root = rootdir;
    cfg.max_body = 4096;
    cfg.session_dir = sess;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    evhttp_free(http);
    event_base_free(base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct { int status; char *body; size_t len; bool done; } resp;

static void done_cb(struct evhttp_request *req, void *arg)
{
    resp *r = arg;
    r->done = true;
    if (req) {
        r->status = evhttp_request_get_response_code(req);
        struct evbuffer *b = evhttp_request_get_input_buffer(req);
        r->len = evbuffer_get_length(b);
        r->body = malloc(r->len + 1);
        evbuffer_remove(b, r->body, r->len);
        r->body[r->len] = '\0';
    }
    event_base_loopexit(base, NULL);
}

static resp call(enum evhttp_cmd_type m, const char *uri, const char *ctype, const void *body, size_t len)
{
    resp r = {0};
    struct evhttp_connection *c = evhttp_connection_base_new(base, NULL, "127.0.0.1", (unsigned short)port);
    struct evhttp_request *req = evhttp_request_new(done_cb, &r);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
    if (ctype) evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    if (body) evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    evhttp_make_request(c, req, m, uri);
    while (!r.done) event_base_dispatch(base);
    evhttp_connection_free(c);
    assert_non_null(r.body);
    return r;
}

/* Parse body, check status and (for errors) the problem type. */
static cJSON *expect(resp r, int status, const char *type)
{
    if (r.status != status) fail_msg("status %d, want %d: %s", r.status, status, r.body);
    cJSON *j = cJSON_Parse(r.body);
    if (!j) fail_msg("not JSON: %s", r.body);
    if (type) {
        char want[128];
        snprintf(want, sizeof want, "urn:sandbox-agent:error:%s", type);
        cJSON *t = cJSON_GetObjectItem(j, "type");
        if (!cJSON_IsString(t) || strcmp(t->valuestring, want)) fail_msg("type: %s", r.body);
        assert_int_equal(cJSON_GetObjectItem(j, "status")->valueint, status);
    }
    free(r.body);
    return j;
}

static void expect_deny(enum evhttp_cmd_type m, const char *uri, const char *ctype, const void *b, size_t l)
{
    cJSON_Delete(expect(call(m, uri, ctype, b, l), 403, "permission_denied"));
}

static const char *str(cJSON *j, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(j, k);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static bool exists(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpl, rel);
    struct stat st;
    return lstat(p, &st) == 0;
}

static void test_basic_ops(void **state)
{
    (void)state;
    char want[256];
    cJSON *j = expect(call(EVHTTP_REQ_PUT, "/v1/fs/file?path=a/b.txt", NULL, "hello", 5), 200, NULL);
    char *real = realpath(cfg.root, NULL);
    snprintf(want, sizeof want, "%s/a/b.txt", real);
    assert_string_equal(str(j, "path"), want);
    assert_int_equal(cJSON_GetObjectItem(j, "bytesWritten")->valueint, 5);
    cJSON_Delete(j);

    resp r = call(EVHTTP_REQ_GET, "/v1/fs/file?path=a/b.txt", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    free(r.body);

    j = expect(call(EVHTTP_REQ_GET, "/v1/fs/stat?path=a%2Fb.txt", NULL, NULL, 0), 200, NULL);
    assert_string_equal(str(j, "entryType"), "file");
    assert_int_equal(cJSON_GetObjectItem(j, "size")->valueint, 5);
    assert_non_null(strstr(str(j, "modified"), "+00:00"));
    cJSON_Delete(j);

    j = expect(call(EVHTTP_REQ_GET, "/v1/fs/entries?path=a", NULL, NULL, 0), 200, NULL);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    cJSON *e = cJSON_GetArrayItem(j, 0);
    assert_string_equal(str(e, "name"), "b.txt");
    assert_string_equal(str(e, "path"), want);
    assert_string_equal(str(e, "entryType"), "file");
    cJSON_Delete(j);

    cJSON_Delete(expect(call(EVHTTP_REQ_GET, "/v1/fs/entries?path=a/b.txt", NULL, NULL, 0), 400, "invalid_request"));
    j = expect(call(EVHTTP_REQ_GET, "/v1/fs/file?path=nope", NULL, NULL, 0), 400, "invalid_request");
    assert_non_null(strstr(str(j, "detail"), "path not found: "));
    cJSON_Delete(j);
    cJSON_Delete(expect(call(EVHTTP_REQ_GET, "/v1/fs/file?path=a", NULL, NULL, 0), 400, "invalid_request"));

    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/mkdir?path=x/y", NULL, NULL, 0), 200, NULL));
    assert_true(exists("root/x/y"));
    const char *mv = "{\"from\":\"a/b.txt\",\"to\":\"x/y/c.txt\"}";
    j = expect(call(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", mv, strlen(mv)), 200, NULL);
    assert_non_null(strstr(str(j, "to"), "/x/y/c.txt"));
    cJSON_Delete(j);
    assert_true(exists("root/x/y/c.txt") && !exists("root/a/b.txt"));
    cJSON_Delete(expect(call(EVHTTP_REQ_PUT, "/v1/fs/file?path=a/b.txt", NULL, "2", 1), 200, NULL));
    j = expect(call(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", mv, strlen(mv)), 400, "invalid_request");
    assert_non_null(strstr(str(j, "detail"), "destination already exists"));
    cJSON_Delete(j);
    const char *mvo = "{\"from\":\"a/b.txt\",\"to\":\"x/y/c.txt\",\"overwrite\":true}";
    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", mvo, strlen(mvo)), 200, NULL));
    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", "[1]", 3), 400, "invalid_request"));
    /* a JSON body must be labelled as one (v0.1.11: 415) */
    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/move", NULL, mvo, strlen(mvo)), 415, "invalid_request"));

    cJSON_Delete(expect(call(EVHTTP_REQ_DELETE, "/v1/fs/entry?path=x", NULL, NULL, 0), 502, "stream_error"));
    cJSON_Delete(expect(call(EVHTTP_REQ_DELETE, "/v1/fs/entry?path=x&recursive=true", NULL, NULL, 0), 200, NULL));
    assert_false(exists("root/x"));
    cJSON_Delete(expect(call(EVHTTP_REQ_DELETE, "/v1/fs/entry?path=x", NULL, NULL, 0), 400, "invalid_request"));
    cJSON_Delete(expect(call(EVHTTP_REQ_DELETE, "/v1/fs/entry", NULL, NULL, 0), 400, "invalid_request"));
    expect_deny(EVHTTP_REQ_DELETE, "/v1/fs/entry?path=.&recursive", NULL, NULL, 0);

    /* inside symlink: followed beneath the root */
    if (fsp_have_openat2()) {
        cJSON_Delete(expect(call(EVHTTP_REQ_PUT, "/v1/fs/file?path=to_d/z", NULL, "z", 1), 200, NULL));
        assert_true(exists("root/d/z"));
    } else {    /* the fallback walk refuses every symlink */
        expect_deny(EVHTTP_REQ_PUT, "/v1/fs/file?path=to_d/z", NULL, "z", 1);
    }

    /* sizes */
    char big[5000];
    memset(big, 'x', sizeof big);
    cJSON_Delete(expect(call(EVHTTP_REQ_PUT, "/v1/fs/file?path=big", NULL, big, sizeof big), 413, "payload_too_large"));
    assert_false(exists("root/big"));

    /* routing */
    r = call(EVHTTP_REQ_GET, "/v1/fs/nope", NULL, NULL, 0);
    assert_int_equal(r.status, 404);
    free(r.body);
    r = call(EVHTTP_REQ_POST, "/v1/fs/stat?path=a", NULL, NULL, 0);
    assert_int_equal(r.status, 405);
    free(r.body);
    free(real);
}

static void test_escapes(void **state)
{
    (void)state;
    char uri[600];
    const char *q[] = {"..%2Foutside%2Fsecret", "to_secret", "to_out%2Fsecret", "to_etc%2Fpasswd",
                       "%2Fetc%2Fpasswd", "d%2F..%2F..%2Foutside%2Fsecret", NULL};
    for (int i = 0; q[i]; i++) {
        snprintf(uri, sizeof uri, "/v1/fs/file?path=%s", q[i]);
        expect_deny(EVHTTP_REQ_GET, uri, NULL, NULL, 0);
        snprintf(uri, sizeof uri, "/v1/fs/stat?path=%s", q[i]);
        expect_deny(EVHTTP_REQ_GET, uri, NULL, NULL, 0);
        snprintf(uri, sizeof uri, "/v1/fs/file?path=%s", q[i]);
        expect_deny(EVHTTP_REQ_PUT, uri, NULL, "pwn", 3);
    }
    snprintf(uri, sizeof uri, "/v1/fs/file?path=%s/outside/new", tmpl);
    expect_deny(EVHTTP_REQ_PUT, uri, NULL, "pwn", 3);
    expect_deny(EVHTTP_REQ_PUT, "/v1/fs/file?path=to_out/new", NULL, "pwn", 3);
    expect_deny(EVHTTP_REQ_PUT, "/v1/fs/file?path=to_out/sub/new", NULL, "pwn", 3);
    assert_false(exists("outside/new") || exists("outside/sub"));
    /* the secret is unchanged */
    char p[256];
    snprintf(p, sizeof p, "%s/outside/secret", tmpl);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 7);

    expect_deny(EVHTTP_REQ_GET, "/v1/fs/entries?path=to_etc", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_GET, "/v1/fs/entries?path=..", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_GET, "/v1/fs/entries?path=/", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/mkdir?path=to_out/x", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/mkdir?path=../x", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_DELETE, "/v1/fs/entry?path=to_out/secret", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_DELETE, "/v1/fs/entry?path=../outside&recursive=true", NULL, NULL, 0);
    assert_true(exists("outside/secret"));
    const char *m1 = "{\"from\":\"to_out/secret\",\"to\":\"stolen\"}";
    const char *m2 = "{\"from\":\"d\",\"to\":\"../moved\"}";
    const char *m3 = "{\"from\":\"d\",\"to\":\"to_out/moved\"}";
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", m1, strlen(m1));
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", m2, strlen(m2));
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/move", "application/json", m3, strlen(m3));
    assert_true(exists("root/d") && exists("outside/secret"));

    /* the root itself disabled */
    const char *saved = cfg.root;
    cfg.root = NULL;
    expect_deny(EVHTTP_REQ_GET, "/v1/fs/entries", NULL, NULL, 0);
    cfg.root = saved;
}

static void test_sessions(void **state)
{
    (void)state;
    cJSON_Delete(expect(call(EVHTTP_REQ_PUT, "/v1/fs/file?path=f&sessionId=s1", NULL, "s", 1), 200, NULL));
    assert_true(exists("root/sess1/f"));
    cJSON_Delete(expect(call(EVHTTP_REQ_GET, "/v1/fs/stat?path=f&session_id=s1", NULL, NULL, 0), 200, NULL));
    cJSON_Delete(expect(call(EVHTTP_REQ_GET, "/v1/fs/stat?path=sess1/f&sessionId=sroot", NULL, NULL, 0), 200, NULL));
    cJSON *j = expect(call(EVHTTP_REQ_GET, "/v1/fs/entries?sessionId=zz", NULL, NULL, 0), 404, "session_not_found");
    assert_string_equal(str(j, "sessionId"), "zz");
    assert_string_equal(str(j, "detail"), "session not found: zz");
    cJSON_Delete(j);
    expect_deny(EVHTTP_REQ_GET, "/v1/fs/entries?sessionId=sout", NULL, NULL, 0);
    expect_deny(EVHTTP_REQ_GET, "/v1/fs/file?path=../../outside/secret&sessionId=s1", NULL, NULL, 0);
}

/* ---- tar bodies ---- */
typedef struct { unsigned char b[8192]; size_t len; } tarbuf;

static void tadd(tarbuf *t, const char *name, char type, const char *data)
{
    size_t len = data ? strlen(data) : 0;
    unsigned char *h = t->b + t->len;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)(len & 077777777u));
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    if (type == '2') memcpy(h + 157, "/etc/passwd", 11);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    t->len += 512;
    if (len) {
        memset(t->b + t->len, 0, 512);
        memcpy(t->b + t->len, data, len);
        t->len += 512;
    }
}

static void tend(tarbuf *t)
{
    memset(t->b + t->len, 0, 1024);
    t->len += 1024;
}

static void test_upload(void **state)
{
    (void)state;
    tarbuf t = {0};
    tadd(&t, "./", '5', NULL);
    tadd(&t, "up/", '5', NULL);
    tadd(&t, "up/one.txt", '0', "one");
    tadd(&t, "two.txt", '0', "two");
    tend(&t);
    cJSON *j = expect(call(EVHTTP_REQ_POST, "/v1/fs/upload-batch?path=dest", "application/x-tar", t.b, t.len), 200, NULL);
    cJSON *paths = cJSON_GetObjectItem(j, "paths");
    assert_int_equal(cJSON_GetArraySize(paths), 4);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "truncated")));
    assert_non_null(strstr(cJSON_GetArrayItem(paths, 2)->valuestring, "/dest/up/one.txt"));
    cJSON_Delete(j);
    assert_true(exists("root/dest/up/one.txt") && exists("root/dest/two.txt"));

    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/json", t.b, t.len), 400, "invalid_request"));

    tarbuf s = {0};
    tadd(&s, "ok.txt", '0', "ok");
    tadd(&s, "link", '2', NULL);
    tend(&s);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch?path=ls", "application/x-tar", s.b, s.len);
    assert_false(exists("root/ls/ok.txt"));            /* refused before anything is written */

    tarbuf h = {0};
    tadd(&h, "hard", '1', NULL);
    tend(&h);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/x-tar", h.b, h.len);

    tarbuf e = {0};
    tadd(&e, "../escape.txt", '0', "x");
    tend(&e);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/x-tar", e.b, e.len);
    assert_false(exists("escape.txt"));

    tarbuf a = {0};
    tadd(&a, "/tmp/abs.txt", '0', "x");
    tend(&a);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/x-tar", a.b, a.len);

    /* a file entry written through an existing escaping symlink */
    tarbuf l = {0};
    tadd(&l, "to_out/planted", '0', "x");
    tend(&l);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/x-tar", l.b, l.len);
    assert_false(exists("outside/planted"));
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch?path=to_out", "application/x-tar", t.b, t.len);
    expect_deny(EVHTTP_REQ_POST, "/v1/fs/upload-batch?path=..", "application/x-tar", t.b, t.len);

    /* truncated */
    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/x-tar", t.b, 700), 400, "invalid_request"));
    /* too large */
    static unsigned char big[8192];
    memset(big, 0, sizeof big);
    cJSON_Delete(expect(call(EVHTTP_REQ_POST, "/v1/fs/upload-batch", "application/x-tar", big, sizeof big), 413, "payload_too_large"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    /* the same checks once more through the openat2-less walk */
    fsp_force_fallback(true);
    rc |= cmocka_run_group_tests(tests, NULL, NULL);
    return rc;
}
