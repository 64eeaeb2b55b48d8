/*
 * test_openapi.c — checks sa-serve's OpenAPI document: it parses as JSON,
 * declares OpenAPI 3.0.x, lists every sa-serve route with the right
 * methods, every operation has responses, and every $ref points at an
 * existing component.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "openapi.h"

static cJSON *doc;

static int setup(void **state)
{
    (void)state;
    doc = cJSON_Parse(openapi_json());
    return doc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(doc);
    return 0;
}

static void test_parses(void **state)
{
    (void)state;
    assert_non_null(doc);
    const cJSON *v = cJSON_GetObjectItem(doc, "openapi");
    assert_true(cJSON_IsString(v));
    assert_memory_equal(v->valuestring, "3.0.", 4);
    assert_non_null(cJSON_GetObjectItem(doc, "info"));
    assert_ptr_equal(openapi_json(), openapi_json());     /* built once */
    assert_null(strchr(openapi_json(), '\''));
}

static void test_routes(void **state)
{
    (void)state;
    static const struct { const char *path, *methods; } want[] = {
        {"/v1/health", "get"}, {"/v1/agents", "get"}, {"/v1/agents/{agent}/install", "post"},
        {"/v1/agents/{agent}/modes", "get"}, {"/v1/agents/{agent}/models", "get"},
        {"/v1/sessions", "get"}, {"/v1/sessions/{sessionId}", "post get delete"},
        {"/v1/sessions/{sessionId}/messages", "post"}, {"/v1/sessions/{sessionId}/messages/stream", "post"},
        {"/v1/sessions/{sessionId}/terminate", "post"}, {"/v1/sessions/{sessionId}/events", "get"},
        {"/v1/sessions/{sessionId}/events/sse", "get"}, {"/v1/sessions/{sessionId}/todos", "get"},
        {"/v1/sessions/{sessionId}/diff", "get"}, {"/v1/sessions/{sessionId}/subagents", "get"},
        {"/v1/sessions/{sessionId}/questions/{questionId}/reply", "post"},
        {"/v1/sessions/{sessionId}/questions/{questionId}/reject", "post"},
        {"/v1/sessions/{sessionId}/permissions/{permissionId}/reply", "post"},
        {"/v1/fs/entries", "get"}, {"/v1/fs/file", "get put"}, {"/v1/fs/entry", "delete"},
        {"/v1/fs/mkdir", "post"}, {"/v1/fs/move", "post"}, {"/v1/fs/stat", "get"},
        {"/v1/fs/upload-batch", "post"}, {"/v1/openapi.json", "get"}, {"/metrics", "get"},
        {"/v1/config/mcp", "get put delete"}, {"/v1/config/skills", "get put delete"},
    };
    const cJSON *paths = cJSON_GetObjectItem(doc, "paths");
    assert_non_null(paths);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const cJSON *p = cJSON_GetObjectItem(paths, want[i].path);
        if (!p) fail_msg("missing path %s", want[i].path);
        char m[32];
        const char *s = want[i].methods;
        while (sscanf(s, "%31s", m) == 1) {
            const cJSON *op = cJSON_GetObjectItem(p, m);
            if (!op) fail_msg("missing %s %s", m, want[i].path);
            if (!cJSON_GetObjectItem(op, "responses")) fail_msg("no responses: %s %s", m, want[i].path);
            s += strlen(m);
            while (*s == ' ') s++;
        }
    }
    assert_int_equal(cJSON_GetArraySize(paths), sizeof want / sizeof want[0]);
}

/* Every "$ref":"#/components/<kind>/<name>" must exist. */
static int check_refs(const cJSON *n)
{
    int bad = 0;
    for (const cJSON *c = n ? n->child : NULL; c; c = c->next) {
        if (c->string && !strcmp(c->string, "$ref")) {
            char kind[64], name[128];
            if (!cJSON_IsString(c) ||
                sscanf(c->valuestring, "#/components/%63[^/]/%127s", kind, name) != 2) {
                fprintf(stderr, "bad $ref\n");
                bad++;
                continue;
            }
            const cJSON *comp = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "components"), kind);
            if (!cJSON_GetObjectItem(comp, name)) {
                fprintf(stderr, "dangling $ref %s\n", c->valuestring);
                bad++;
            }
        }
        bad += check_refs(c);
    }
    return bad;
}

static void test_refs(void **state)
{
    (void)state;
    assert_int_equal(check_refs(doc), 0);
    const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "components"), "schemas");
    const cJSON *fe = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "FsEntry"), "properties");
    assert_non_null(cJSON_GetObjectItem(fe, "entryType"));
    const cJSON *et = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "ErrorType"), "enum");
    assert_int_equal(cJSON_GetArraySize(et), 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_refs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
