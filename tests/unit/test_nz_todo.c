/*
 * test_nz_todo.c — sa-normalize's todo list (nz_todo.c): its bounds (at most
 * 256 tasks, content cut at 4096 bytes on a UTF-8 character boundary, 64
 * remembered calls), status words, and calls that never get a result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "nz_todo.h"

static cJSON *apply(nz_todo *t, const char *type, const char *json)
{
    cJSON *d = cJSON_Parse(json);
    assert_non_null(d);
    cJSON *l = nz_todo_apply(t, type, d);
    cJSON_Delete(d);
    return l;
}

static void at_most_256_tasks(void **st)
{
    (void)st;
    nz_todo *t = nz_todo_new();
    char id[16], call[64], res[64];
    cJSON *l = NULL;
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "c%d", i);
        snprintf(call, sizeof call, "{\"call_id\":\"%s\",\"op\":\"add\",\"task\":{\"content\":\"x\"}}", id);
        snprintf(res, sizeof res, "{\"call_id\":\"%s\",\"ok\":true,\"id\":\"%d\"}", id, i);
        assert_null(apply(t, "todo.call", call));
        cJSON *n = apply(t, "todo.result", res);
        if (n) { cJSON_Delete(l); l = n; }
    }
    assert_int_equal(cJSON_GetArraySize(l), 256);
    cJSON_Delete(l);
    nz_todo_free(t);
}

static void content_cut_on_a_character(void **st)
{
    (void)st;
    nz_todo *t = nz_todo_new();
    size_t n = 4095 + 2 + 10;                  /* "é" straddles byte 4096 */
    char *s = malloc(n + 64);
    memset(s, 'a', 4095);
    memcpy(s + 4095, "\xc3\xa9", 2);
    memset(s + 4097, 'b', 10);
    s[n] = '\0';
    cJSON *d = cJSON_CreateObject(), *todos = cJSON_AddArrayToObject(d, "todos"), *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "content", s);
    cJSON_AddStringToObject(e, "status", "done");
    cJSON_AddItemToArray(todos, e);
    cJSON *l = nz_todo_apply(t, "todo.list", d);
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "content"));
    assert_int_equal(strlen(c), 4095);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "status")),
                        "completed");
    cJSON_Delete(l);
    cJSON_Delete(d);
    free(s);
    nz_todo_free(t);
}

static void status_words(void **st)
{
    (void)st;
    assert_string_equal(nz_todo_status("inProgress"), "in_progress");
    assert_string_equal(nz_todo_status("in-progress"), "in_progress");
    assert_string_equal(nz_todo_status("complete"), "completed");
    assert_string_equal(nz_todo_status("cancelled"), "pending");
    assert_string_equal(nz_todo_status(NULL), "pending");
}

static void the_oldest_of_65_unanswered_calls_is_forgotten(void **st)
{
    (void)st;
    nz_todo *t = nz_todo_new();
    char call[96];
    for (int i = 0; i < 65; i++) {
        snprintf(call, sizeof call, "{\"call_id\":\"c%d\",\"op\":\"add\",\"task\":{\"content\":\"t%d\"}}", i, i);
        assert_null(apply(t, "todo.call", call));
    }
    assert_null(apply(t, "todo.result", "{\"call_id\":\"c0\",\"ok\":true,\"id\":\"1\"}"));
    cJSON *l = apply(t, "todo.result", "{\"call_id\":\"c64\",\"ok\":true,\"id\":\"2\"}");
    assert_non_null(l);
    assert_int_equal(cJSON_GetArraySize(l), 1);
    cJSON_Delete(l);
    nz_todo_free(t);
}

static void a_result_without_its_call_changes_nothing(void **st)
{
    (void)st;
    nz_todo *t = nz_todo_new();
    assert_null(apply(t, "todo.result", "{\"call_id\":\"nope\",\"ok\":true,\"id\":\"1\"}"));
    nz_todo_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(at_most_256_tasks),
        cmocka_unit_test(content_cut_on_a_character),
        cmocka_unit_test(status_words),
        cmocka_unit_test(the_oldest_of_65_unanswered_calls_is_forgotten),
        cmocka_unit_test(a_result_without_its_call_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
