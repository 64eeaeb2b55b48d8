/*
 * test_secure.c — cmocka tests for sa-serve's secure.c and the Host check
 * of access.c: which role each route needs, the tokens file (roles, names,
 * digests; malformed lines refused), lookups by digest (unknown and
 * prefix tokens miss), and the Host allow-list (bound address, loopback
 * names with ports, --allowed-host, wildcard binds, rebinding names).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "serve.h"

static int role(int m, const char *path)
{
    char buf[256], *seg[8];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *t = strtok(buf, "/"); t && n < 8; t = strtok(NULL, "/")) seg[n++] = t;
    return sec_required_role(m, seg, n);
}

static void roles_of_routes(void **st)
{
    (void)st;
    assert_int_equal(role(M_GET, "/v1/sessions"), SEC_VIEWER);
    assert_int_equal(role(M_GET, "/v1/fs/file"), SEC_VIEWER);
    assert_int_equal(role(M_POST, "/v1/sessions/s1"), SEC_MEMBER);
    assert_int_equal(role(M_POST, "/v1/sessions/s1/messages"), SEC_MEMBER);
    assert_int_equal(role(M_POST, "/v1/sessions/s1/messages/stream"), SEC_MEMBER);
    assert_int_equal(role(M_POST, "/v1/sessions/s1/permissions/p/reply"), SEC_MEMBER);
    assert_int_equal(role(M_POST, "/v1/sessions/s1/questions/q/reject"), SEC_MEMBER);
    assert_int_equal(role(M_POST, "/v1/sessions/s1/terminate"), SEC_OWNER);
    assert_int_equal(role(M_DELETE, "/v1/sessions/s1"), SEC_OWNER);
    assert_int_equal(role(M_PUT, "/v1/fs/file"), SEC_OWNER);
    assert_int_equal(role(M_POST, "/v1/agents/claude/install"), SEC_OWNER);
    assert_int_equal(role(M_PUT, "/v1/config/mcp"), SEC_OWNER);
}

static char tmpl[64];

static const char *write_tokens(const char *text)
{
    snprintf(tmpl, sizeof tmpl, "/tmp/sa-test-tokens-XXXXXX");
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return tmpl;
}

static void hexof(const char *t, char out[65])
{
    unsigned char d[SA_SHA256_LEN];
    sa_sha256_buf(t, strlen(t), d);
    sa_sha256_hex(d, out);
}

static void tokens_file_roles_and_lookup(void **st)
{
    (void)st;
    char a[65], b[65], text[400];
    hexof("view-1", a);
    hexof("own-1", b);
    snprintf(text, sizeof text, "# comment\n\nviewer vera %s\nowner olga %s\n", a, b);
    static srv s;
    memset(&s, 0, sizeof s);
    s.cfg.tokens_file = write_tokens(text);
    char err[300];
    assert_int_equal(sec_tokens_init(&s, "single", err, sizeof err), 0);
    unlink(tmpl);
    assert_int_equal(s.n_tokens, 3);
    assert_true(s.auth);
    const sec_token *k = sec_lookup(&s, "view-1");
    assert_non_null(k);
    assert_int_equal(k->role, SEC_VIEWER);
    assert_string_equal(k->name, "vera");
    k = sec_lookup(&s, "single");
    assert_non_null(k);
    assert_int_equal(k->role, SEC_OWNER);
    assert_string_equal(k->name, "token");
    assert_null(sec_lookup(&s, "view-"));        /* a prefix is another token */
    assert_null(sec_lookup(&s, "nope"));
    assert_null(sec_lookup(&s, NULL));
    sec_free(&s);
}

static void tokens_file_malformed_lines_refused(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "admin x 0000000000000000000000000000000000000000000000000000000000000000\n",   /* role */
        "viewer x 00\n",                                                                  /* length */
        "viewer x zz00000000000000000000000000000000000000000000000000000000000000\n",   /* hex */
        "viewer onlytwo\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static srv s;
        memset(&s, 0, sizeof s);
        s.cfg.tokens_file = write_tokens(bad[i]);
        char err[300] = "";
        assert_int_equal(sec_tokens_init(&s, NULL, err, sizeof err), -1);
        assert_non_null(strstr(err, ":1:"));
        unlink(tmpl);
        sec_free(&s);
    }
}

static void host_allow_list(void **st)
{
    (void)st;
    static srv s;
    memset(&s, 0, sizeof s);
    s.cfg.host = "127.0.0.1";
    s.cfg.allowed_hosts[s.cfg.n_allowed_hosts++] = "sa.example";
    assert_true(acc_host_allowed(&s, "127.0.0.1:2468"));
    assert_true(acc_host_allowed(&s, "localhost:2468"));
    assert_true(acc_host_allowed(&s, "LOCALHOST"));
    assert_true(acc_host_allowed(&s, "[::1]:2468"));
    assert_true(acc_host_allowed(&s, "sa.example:80"));
    assert_false(acc_host_allowed(&s, "attacker.example:2468"));
    assert_false(acc_host_allowed(&s, "localhost.attacker.example"));
    assert_false(acc_host_allowed(&s, "10.0.0.1:2468"));       /* not bound there */
    assert_false(acc_host_allowed(&s, "[::1"));
    s.cfg.host = "0.0.0.0";
    assert_true(acc_host_allowed(&s, "10.0.0.1:2468"));        /* any address when bound to all */
    assert_false(acc_host_allowed(&s, "attacker.example"));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(roles_of_routes),
        cmocka_unit_test(tokens_file_roles_and_lookup),
        cmocka_unit_test(tokens_file_malformed_lines_refused),
        cmocka_unit_test(host_allow_list),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
