/*
 * test_oc_map.c — unit tests for sa-serve/oc_map.c, the fold from universal
 * events to OpenCode messages, parts and bus events: a mock turn (user
 * message, streamed assistant text, turn end), a tool call and its result,
 * a permission and its reply, ids kept apart from sa's (ses_ prefix, padded
 * item numbers) and the time parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "oc.h"

static void fold(oc_fold *f, const char *json, cJSON *out)
{
    cJSON *ev = cJSON_Parse(json);
    assert_non_null(ev);
    oc_fold_event(f, ev, out);
    cJSON_Delete(ev);
}

#define EV(seq, type, data) \
    "{\"sequence\":" #seq ",\"time\":\"2026-02-01T10:00:00.5Z\",\"type\":\"" type "\",\"data\":" data "}"
#define ITEM(id, kind, role, content, status) \
    "{\"item\":{\"item_id\":\"" id "\",\"kind\":\"" kind "\",\"role\":\"" role "\",\"content\":" content \
    ",\"status\":\"" status "\"}}"

/* The types of out's events, space-separated (caller frees). */
static char *types(const cJSON *out)
{
    static char buf[2048];
    buf[0] = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, out) {
        if (buf[0]) strcat(buf, " ");
        strcat(buf, cJSON_GetObjectItemCaseSensitive(e, "type")->valuestring);
    }
    return strdup(buf);
}

static void mock_turn(oc_fold *f, cJSON *out)
{
    fold(f, EV(2, "turn.started", "{}"), out);
    fold(f, EV(3, "item.started", ITEM("itm_1", "message", "user", "[{\"type\":\"text\",\"text\":\"hi\"}]", "in_progress")), out);
    fold(f, EV(4, "item.completed", ITEM("itm_1", "message", "user", "[{\"type\":\"text\",\"text\":\"hi\"}]", "completed")), out);
    fold(f, EV(5, "item.started", ITEM("itm_2", "message", "assistant", "[]", "in_progress")), out);
    fold(f, EV(6, "item.delta", "{\"item_id\":\"itm_2\",\"delta\":\"h\"}"), out);
    fold(f, EV(7, "item.delta", "{\"item_id\":\"itm_2\",\"delta\":\"i\"}"), out);
    fold(f, EV(8, "item.completed", ITEM("itm_2", "message", "assistant", "[{\"type\":\"text\",\"text\":\"hi\"}]", "completed")), out);
    fold(f, EV(9, "turn.ended", "{}"), out);
}

static void test_mock_turn_events(void **state)
{
    (void)state;
    oc_fold f;
    assert_int_equal(oc_fold_init(&f, "ses_s1", "mock", "mock", "/w", false), 0);
    cJSON *out = cJSON_CreateArray();
    mock_turn(&f, out);
    char *t = types(out);
    assert_string_equal(t, "session.status message.updated message.part.updated message.updated "
                           "message.part.updated message.part.delta message.part.delta message.part.updated "
                           "message.updated session.status session.idle");
    free(t);
    assert_true(f.turn_done);
    assert_false(f.busy);
    cJSON *delta = cJSON_GetArrayItem(out, 5);
    cJSON *p = cJSON_GetObjectItemCaseSensitive(delta, "properties");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "partID")->valuestring, "prt_000000000002");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "messageID")->valuestring, "msg_000000000001a");
    cJSON_Delete(out);
    oc_fold_free(&f);
}

static void test_reply_is_the_assistant_message(void **state)
{
    (void)state;
    oc_fold f;
    assert_int_equal(oc_fold_init(&f, "ses_s1", "mock", "mock", "/w", false), 0);
    mock_turn(&f, NULL);
    cJSON *r = oc_fold_reply(&f, 1);
    cJSON *info = cJSON_GetObjectItemCaseSensitive(r, "info");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(info, "role")->valuestring, "assistant");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(info, "parentID")->valuestring, "msg_000000000001");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(info, "providerID")->valuestring, "mock");
    cJSON *part = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "parts"), 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(part, "text")->valuestring, "hi");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(part, "type")->valuestring, "text");
    /* 2026-02-01T10:00:00.5Z */
    assert_true(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(part, "time"), "end")->valuedouble ==
                1769940000500.0);
    cJSON_Delete(r);
    oc_fold_free(&f);
}

static void test_history_keeps_every_turn(void **state)
{
    (void)state;
    oc_fold f;
    assert_int_equal(oc_fold_init(&f, "ses_s1", "mock", NULL, NULL, true), 0);
    mock_turn(&f, NULL);
    fold(&f, EV(10, "turn.started", "{}"), NULL);
    fold(&f, EV(11, "item.completed", ITEM("itm_3", "message", "user", "[{\"type\":\"text\",\"text\":\"again\"}]", "completed")), NULL);
    assert_int_equal(cJSON_GetArraySize(f.msgs), 3);
    oc_fold_free(&f);
}

static void test_tool_call_and_result_are_one_part(void **state)
{
    (void)state;
    oc_fold f;
    assert_int_equal(oc_fold_init(&f, "ses_s1", "mock", "mock", "/w", false), 0);
    fold(&f, EV(2, "turn.started", "{}"), NULL);
    fold(&f, EV(3, "item.completed", ITEM("itm_4", "tool_call", "assistant",
         "[{\"type\":\"tool_call\",\"name\":\"bash\",\"arguments\":\"{\\\"command\\\":\\\"ls\\\"}\",\"call_id\":\"c1\"}]",
         "completed")), NULL);
    fold(&f, EV(4, "item.completed", ITEM("itm_5", "tool_result", "tool",
         "[{\"type\":\"tool_result\",\"call_id\":\"c1\",\"output\":\"a b\"}]", "completed")), NULL);
    cJSON *parts = cJSON_GetObjectItemCaseSensitive(f.asst, "parts");
    assert_int_equal(cJSON_GetArraySize(parts), 1);
    cJSON *p = cJSON_GetArrayItem(parts, 0), *st = cJSON_GetObjectItemCaseSensitive(p, "state");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "tool")->valuestring, "bash");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(st, "status")->valuestring, "completed");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(st, "output")->valuestring, "a b");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "input"), "command")->valuestring,
                        "ls");
    oc_fold_free(&f);
}

static void test_permission_asked_and_replied(void **state)
{
    (void)state;
    oc_fold f;
    assert_int_equal(oc_fold_init(&f, "ses_s1", "mock", "mock", "/w", false), 0);
    cJSON *out = cJSON_CreateArray();
    fold(&f, EV(2, "permission.requested", "{\"permission_id\":\"p1\",\"action\":\"command_execution\","
         "\"status\":\"requested\",\"metadata\":{\"command\":\"echo mock\"}}"), out);
    fold(&f, EV(3, "permission.resolved", "{\"permission_id\":\"p1\",\"action\":\"command_execution\","
         "\"status\":\"accept_for_session\",\"metadata\":{}}"), out);
    char *t = types(out);
    assert_string_equal(t, "permission.asked permission.replied");
    free(t);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(out, 0), "properties");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "permission")->valuestring, "bash");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "patterns"), 0)->valuestring, "echo mock");
    cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(out, 1), "properties");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "reply")->valuestring, "always");
    cJSON_Delete(out);
    oc_fold_free(&f);
}

static void test_ids_and_time(void **state)
{
    (void)state;
    char b[OC_ID_MAX];
    assert_string_equal(oc_id("s1", b), "ses_s1");
    assert_string_equal(oc_id("ses_abc", b), "ses_abc");
    assert_true(oc_time_ms("1970-01-01T00:00:01.25Z") == 1250);
    assert_true(oc_time_ms("garbage") == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock_turn_events),
        cmocka_unit_test(test_reply_is_the_assistant_message),
        cmocka_unit_test(test_history_keeps_every_turn),
        cmocka_unit_test(test_tool_call_and_result_are_one_part),
        cmocka_unit_test(test_permission_asked_and_replied),
        cmocka_unit_test(test_ids_and_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
