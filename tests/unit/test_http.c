/*
 * test_http.c — unit tests for the pure parts of sa-serve/http.c: the
 * problem-details body (shape, key order, flattened extensions), the error
 * table, reason phrases and the query-string parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "http.h"

static char *print(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static void test_problem_plain(void **state)
{
    (void)state;
    char *s = print(http_problem_body(HTTP_ERR_SESSION_NOT_FOUND, 0, "session not found: s1", NULL));
    assert_string_equal(s, "{\"type\":\"urn:sandbox-agent:error:session_not_found\","
                           "\"title\":\"Session Not Found\",\"status\":404,"
                           "\"detail\":\"session not found: s1\"}");
    free(s);
}

static void test_problem_ext_flattened(void **state)
{
    (void)state;
    cJSON *ext = cJSON_CreateObject();
    cJSON_AddStringToObject(ext, "sessionId", "s1");
    cJSON_AddStringToObject(ext, "type", "spoof");          /* must not override */
    cJSON *d = cJSON_AddObjectToObject(ext, "details");
    cJSON_AddStringToObject(d, "message", "m");
    char *s = print(http_problem_body(HTTP_ERR_TOKEN_INVALID, 0, "token invalid", ext));
    assert_string_equal(s, "{\"type\":\"urn:sandbox-agent:error:token_invalid\","
                           "\"title\":\"Token Invalid\",\"status\":401,\"detail\":\"token invalid\","
                           "\"sessionId\":\"s1\",\"details\":{\"message\":\"m\"}}");
    free(s);
}

static void test_problem_override_and_null_detail(void **state)
{
    (void)state;
    char *s = print(http_problem_body(HTTP_ERR_STREAM_ERROR, 500, NULL, NULL));
    assert_string_equal(s, "{\"type\":\"urn:sandbox-agent:error:stream_error\","
                           "\"title\":\"Stream Error\",\"status\":500}");
    free(s);
}

static void test_table(void **state)
{
    (void)state;
    static const struct { http_err e; const char *name; int status; } t[] = {
        {HTTP_ERR_INVALID_REQUEST, "invalid_request", 400},
        {HTTP_ERR_UNSUPPORTED_AGENT, "unsupported_agent", 400},
        {HTTP_ERR_AGENT_NOT_INSTALLED, "agent_not_installed", 404},
        {HTTP_ERR_INSTALL_FAILED, "install_failed", 500},
        {HTTP_ERR_AGENT_PROCESS_EXITED, "agent_process_exited", 500},
        {HTTP_ERR_TOKEN_INVALID, "token_invalid", 401},
        {HTTP_ERR_PERMISSION_DENIED, "permission_denied", 403},
        {HTTP_ERR_SESSION_NOT_FOUND, "session_not_found", 404},
        {HTTP_ERR_SESSION_ALREADY_EXISTS, "session_already_exists", 409},
        {HTTP_ERR_MODE_NOT_SUPPORTED, "mode_not_supported", 400},
        {HTTP_ERR_STREAM_ERROR, "stream_error", 502},
        {HTTP_ERR_TIMEOUT, "timeout", 504},
        {HTTP_ERR_PAYLOAD_TOO_LARGE, "payload_too_large", 413},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_string_equal(http_err_name(t[i].e), t[i].name);
        assert_int_equal(http_err_status(t[i].e), t[i].status);
        assert_non_null(http_err_title(t[i].e));
    }
    assert_string_equal(http_err_title(HTTP_ERR_MODE_NOT_SUPPORTED), "Mode Not Supported");
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(413), "Payload Too Large");
    assert_string_equal(http_reason(299), "Unknown");
}

static void test_query_parse(void **state)
{
    (void)state;
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    http_query_parse("path=a%2Fb+c&recursive&session_id=s1&=x&bad=a%00b&nl=a%0Ab&empty=", &q);
    assert_string_equal(http_query_get(&q, "path", NULL), "a/b c");
    assert_string_equal(http_query_get(&q, "sessionId", "session_id"), "s1");
    assert_true(http_query_bool(&q, "recursive", NULL));
    assert_null(http_query_get(&q, "bad", NULL));          /* embedded NUL dropped */
    assert_null(http_query_get(&q, "nl", NULL));           /* CR/LF dropped */
    assert_string_equal(http_query_get(&q, "empty", NULL), "");
    assert_false(http_query_bool(&q, "missing", NULL));
    evhttp_clear_headers(&q);

    http_query_parse("include_raw=true&x=no&y=YES&z=1", &q);
    assert_true(http_query_bool(&q, "includeRaw", "include_raw"));
    assert_false(http_query_bool(&q, "x", NULL));
    assert_true(http_query_bool(&q, "y", NULL));
    assert_true(http_query_bool(&q, "z", NULL));
    evhttp_clear_headers(&q);

    http_query_parse(NULL, &q);
    http_query_parse("", &q);
    assert_null(q.tqh_first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_plain),
        cmocka_unit_test(test_problem_ext_flattened),
        cmocka_unit_test(test_problem_override_and_null_detail),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_query_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
