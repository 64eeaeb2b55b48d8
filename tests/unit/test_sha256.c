/*
 * test_sha256.c — unit tests for lib/sa_sha256.c against the FIPS 180-4 /
 * NIST example vectors ("abc", the empty string, the 448-bit two-block
 * message, one million 'a'), a message fed in uneven pieces (the block
 * boundary handling), and the constant-time compare.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "sa.h"

static void hex_of(const char *msg, char out[65])
{
    unsigned char d[SA_SHA256_LEN];
    sa_sha256_buf(msg, strlen(msg), d);
    sa_sha256_hex(d, out);
}

static void vector_abc(void **st)
{
    (void)st;
    char h[65];
    hex_of("abc", h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void vector_empty(void **st)
{
    (void)st;
    char h[65];
    hex_of("", h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void vector_two_blocks(void **st)
{
    (void)st;
    char h[65];
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void vector_million_a(void **st)
{
    (void)st;
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    sa_sha256 c;
    sa_sha256_init(&c);
    for (int i = 0; i < 1000; i++) sa_sha256_update(&c, chunk, sizeof chunk);
    unsigned char d[SA_SHA256_LEN];
    char h[65];
    sa_sha256_final(&c, d);
    sa_sha256_hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void pieces_equal_whole(void **st)
{
    (void)st;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sa_sha256 c;
    sa_sha256_init(&c);
    size_t n = strlen(m), off = 0, step = 1;
    while (off < n) {
        size_t k = step < n - off ? step : n - off;
        sa_sha256_update(&c, m + off, k);
        off += k;
        step = step * 2 + 1;
    }
    unsigned char d[SA_SHA256_LEN], w[SA_SHA256_LEN];
    sa_sha256_final(&c, d);
    sa_sha256_buf(m, n, w);
    assert_memory_equal(d, w, SA_SHA256_LEN);
}

static void ct_equal_tells_equal_from_different(void **st)
{
    (void)st;
    unsigned char a[SA_SHA256_LEN], b[SA_SHA256_LEN];
    sa_sha256_buf("token-1", 7, a);
    sa_sha256_buf("token-1", 7, b);
    assert_true(sa_ct_equal(a, b, SA_SHA256_LEN));
    sa_sha256_buf("token-2", 7, b);
    assert_false(sa_ct_equal(a, b, SA_SHA256_LEN));
    b[0] = a[0];
    memcpy(b, a, SA_SHA256_LEN - 1);
    b[SA_SHA256_LEN - 1] = (unsigned char)(a[SA_SHA256_LEN - 1] ^ 1);   /* last byte only */
    assert_false(sa_ct_equal(a, b, SA_SHA256_LEN));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(vector_abc),
        cmocka_unit_test(vector_empty),
        cmocka_unit_test(vector_two_blocks),
        cmocka_unit_test(vector_million_a),
        cmocka_unit_test(pieces_equal_whole),
        cmocka_unit_test(ct_equal_tells_equal_from_different),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
