/*
 * test_schema.c — cmocka tests for lib/sa_schema: every event type valid,
 * then many invalid variants, each expected to fail with a given path.
 *
 * Each case is a JSON event text plus the start of the expected error (or
 * NULL for valid); an envelope template wraps the data so the cases stay
 * short.  turn.ended's "usage" (an sa extension) has its own cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_schema.h"

#define ENV(type, data) \
    "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00.1Z\"," \
    "\"session_id\":\"s1\",\"native_session_id\":null,\"synthetic\":false,\"source\":\"agent\"," \
    "\"type\":\"" type "\",\"data\":" data ",\"raw\":null}"
#define SYN(type, data) \
    "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00.1Z\"," \
    "\"session_id\":\"s1\",\"native_session_id\":\"n\",\"synthetic\":true,\"source\":\"daemon\"," \
    "\"type\":\"" type "\",\"data\":" data ",\"raw\":{\"x\":1}}"
#define ITEM(content) \
    "{\"item\":{\"item_id\":\"itm_1\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"message\"," \
    "\"role\":\"assistant\",\"content\":[" content "],\"status\":\"completed\"}}"

typedef struct tcase {
    const char *json;
    unsigned flags;
    const char *err;      /* NULL = valid; else expected prefix of the error */
} tcase;

static void run(const tcase *c)
{
    cJSON *ev = cJSON_Parse(c->json);
    assert_non_null(ev);
    char err[512];
    bool ok = sa_schema_check_event(ev, c->flags, err, sizeof err);
    cJSON_Delete(ev);
    if (!c->err) {
        if (!ok) print_error("unexpected failure: %s\n  for %s\n", err, c->json);
        assert_true(ok);
    } else {
        if (ok) print_error("expected failure \"%s\"\n  for %s\n", c->err, c->json);
        assert_false(ok);
        if (strncmp(err, c->err, strlen(c->err)) != 0)
            print_error("error \"%s\" does not start with \"%s\"\n", err, c->err);
        assert_int_equal(strncmp(err, c->err, strlen(c->err)), 0);
    }
}

static const tcase valid[] = {
    { SYN("session.started", "{\"metadata\":{\"agent\":\"mock\"}}"), 0, NULL },
    { SYN("session.started", "{\"metadata\":null}"), 0, NULL },
    { SYN("session.ended", "{\"reason\":\"completed\",\"terminated_by\":\"agent\"}"), 0, NULL },
    { SYN("session.ended", "{\"reason\":\"error\",\"terminated_by\":\"agent\",\"message\":\"m\","
          "\"exit_code\":1,\"stderr\":{\"head\":\"a\",\"tail\":\"b\",\"truncated\":true,\"total_lines\":90}}"), 0, NULL },
    { SYN("session.ended", "{\"reason\":\"error\",\"terminated_by\":\"daemon\"}"), 0, NULL },
    { SYN("session.ended", "{\"reason\":\"terminated\",\"terminated_by\":\"daemon\"}"), 0, NULL },
    { SYN("turn.started", "{\"phase\":\"started\"}"), 0, NULL },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"turn_id\":\"t1\",\"metadata\":{\"items\":[]}}"), 0, NULL },
    /* usage (sa extension): optional, every key present, numbers or null */
    { ENV("turn.ended", "{\"phase\":\"ended\",\"turn_id\":\"t1\",\"metadata\":{},\"usage\":{\"input_tokens\":20,\"output_tokens\":10,\"cache_read_tokens\":0,\"cache_write_tokens\":null,\"reasoning_tokens\":null,\"cost_usd\":0.00021}}"), SA_SCHEMA_KEY_ORDER, NULL },
    { SYN("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"input_tokens\":null,\"output_tokens\":null,"
          "\"cache_read_tokens\":null,\"cache_write_tokens\":null,\"reasoning_tokens\":null,\"cost_usd\":null}}"), 0, NULL },
    { ENV("item.started", ITEM("")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"text\",\"text\":\"hi\"}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"json\",\"json\":null},{\"type\":\"json\",\"json\":[1]}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"tool_call\",\"name\":\"n\",\"arguments\":\"{}\",\"call_id\":\"c\"}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"tool_result\",\"call_id\":\"c\",\"output\":\"o\"}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"file_ref\",\"path\":\"p\",\"action\":\"read\",\"diff\":null}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"file_ref\",\"path\":\"p\",\"action\":\"patch\",\"diff\":\"d\"}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"reasoning\",\"text\":\"t\",\"visibility\":\"private\"}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"image\",\"path\":\"p\",\"mime\":null}")), 0, NULL },
    { ENV("item.completed", ITEM("{\"type\":\"status\",\"label\":\"l\",\"detail\":\"d\"}")), 0, NULL },
    { ENV("item.delta", "{\"item_id\":\"itm_1\",\"native_item_id\":null,\"delta\":\"x\"}"), 0, NULL },
    { SYN("error", "{\"message\":\"m\",\"code\":null,\"details\":null}"), 0, NULL },
    { ENV("permission.requested", "{\"permission_id\":\"p\",\"action\":\"a\",\"status\":\"requested\",\"metadata\":null}"), 0, NULL },
    { SYN("permission.resolved", "{\"permission_id\":\"p\",\"action\":\"a\",\"status\":\"reject\",\"metadata\":{}}"), 0, NULL },
    { ENV("question.requested", "{\"question_id\":\"q\",\"prompt\":\"p\",\"options\":[\"a\",\"b\"],\"response\":null,\"status\":\"requested\"}"), 0, NULL },
    { SYN("question.resolved", "{\"question_id\":\"q\",\"prompt\":\"p\",\"options\":[],\"response\":\"a\",\"status\":\"answered\"}"), 0, NULL },
    { SYN("agent.unparsed", "{\"error\":\"e\",\"location\":\"l\",\"raw_hash\":null}"), 0, NULL },
    /* sa-normalize output: no ids */
    { "{\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,\"synthetic\":true,"
      "\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      SA_SCHEMA_NO_IDS, NULL },
    { "{\"time\":\"2026-02-01T10:00:00+02:00\",\"session_id\":\"s\",\"native_session_id\":null,\"synthetic\":true,"
      "\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      SA_SCHEMA_NO_IDS | SA_SCHEMA_KEY_ORDER, NULL },
    { SYN("turn.started", "{\"phase\":\"started\"}"), SA_SCHEMA_NO_IDS | SA_SCHEMA_KEY_ORDER, NULL },
};

static const tcase invalid[] = {
    { "[1]", 0, "expected a JSON object" },
    { "{\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,\"synthetic\":true,"
      "\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "event_id: missing" },
    { "{\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,\"synthetic\":true,"
      "\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      SA_SCHEMA_NO_IDS, "event_id: missing" },
    { "{\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,\"synthetic\":true,"
      "\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"}}",
      SA_SCHEMA_NO_IDS, "raw: missing" },
    { "{\"raw\":null,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,\"synthetic\":true,"
      "\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"}}",
      SA_SCHEMA_NO_IDS | SA_SCHEMA_KEY_ORDER, "time: out of order" },
    { "{\"event_id\":\"evt_2\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "event_id: expected \"evt_1\"" },
    { "{\"event_id\":\"evt_0\",\"sequence\":0,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "sequence: must be >= 1" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1.5,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "sequence: expected non-negative integer" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"yesterday\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "time: not an RFC 3339" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-13-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "time: not an RFC 3339" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":7,\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "session_id: expected string" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":3,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "native_session_id: expected string or null" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":\"yes\",\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "synthetic: expected boolean" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"agent\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "source: synthetic events" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":false,\"source\":\"user\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "source: invalid value \"user\"" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null,\"x\":1}",
      0, "x: unexpected key" },
    { "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":\"2026-02-01T10:00:00Z\",\"session_id\":\"s\",\"session_id\":\"s\",\"native_session_id\":null,"
      "\"synthetic\":true,\"source\":\"daemon\",\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"},\"raw\":null}",
      0, "session_id: duplicate key" },
    { ENV("turn.begun", "{}"), 0, "type: invalid value" },
    { ENV("turn.started", "[]"), 0, "data: expected object" },
    { ENV("turn.started", "{\"phase\":\"ended\"}"), 0, "data.phase: invalid value \"ended\"" },
    { ENV("turn.started", "{\"phase\":\"started\",\"turn_id\":null}"), 0, "data.turn_id: must be omitted" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"metadata\":null}"), 0, "data.metadata: must be omitted" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":null}"), 0, "data.usage: must be omitted" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":[]}"), 0, "data.usage: expected object" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"input_tokens\":1}}"), 0, "data.usage.output_tokens: missing" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"cache_read_tokens\":0,"
          "\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":0,\"total_tokens\":3}}"), 0,
      "data.usage.total_tokens: unexpected key" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"input_tokens\":1.5,\"output_tokens\":2,\"cache_read_tokens\":0,"
          "\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":0}}"), 0,
      "data.usage.input_tokens: expected non-negative integer or null" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"input_tokens\":1,\"output_tokens\":-2,\"cache_read_tokens\":0,"
          "\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":0}}"), 0,
      "data.usage.output_tokens: expected non-negative integer or null" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"cache_read_tokens\":0,"
          "\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":\"0.1\"}}"), 0,
      "data.usage.cost_usd: expected non-negative number or null" },
    { ENV("turn.ended", "{\"phase\":\"ended\",\"usage\":{\"output_tokens\":2,\"input_tokens\":1,\"cache_read_tokens\":0,"
          "\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":0}}"), SA_SCHEMA_KEY_ORDER,
      "data.usage.input_tokens: out of order" },
    { ENV("turn.started", "{\"phase\":\"started\",\"usage\":{\"input_tokens\":20,\"output_tokens\":10,\"cache_read_tokens\":0,\"cache_write_tokens\":null,\"reasoning_tokens\":null,\"cost_usd\":0.00021}}"), 0, "data.usage: only turn.ended carries usage" },
    { SYN("session.started", "{}"), 0, "data.metadata: missing" },
    { SYN("session.ended", "{\"reason\":\"completed\",\"terminated_by\":\"agent\",\"message\":\"m\"}"), 0,
      "data.message: must be omitted unless reason is \"error\"" },
    { SYN("session.ended", "{\"reason\":\"terminated\",\"terminated_by\":\"daemon\",\"exit_code\":0}"), 0,
      "data.exit_code: must be omitted unless" },
    { SYN("session.ended", "{\"reason\":\"error\",\"terminated_by\":\"agent\",\"message\":null}"), 0,
      "data.message: must be omitted, not null" },
    { SYN("session.ended", "{\"reason\":\"error\",\"terminated_by\":\"agent\",\"exit_code\":1.5}"), 0,
      "data.exit_code: expected integer" },
    { SYN("session.ended", "{\"reason\":\"error\",\"terminated_by\":\"agent\",\"stderr\":{\"head\":\"a\"}}"), 0,
      "data.stderr.truncated: missing" },
    { SYN("session.ended", "{\"reason\":\"error\",\"terminated_by\":\"agent\",\"stderr\":{\"tail\":null,\"truncated\":false}}"), 0,
      "data.stderr.tail: must be omitted, not null" },
    { SYN("session.ended", "{\"reason\":\"crashed\",\"terminated_by\":\"agent\"}"), 0, "data.reason: invalid value" },
    { SYN("session.ended", "{\"reason\":\"completed\",\"terminated_by\":\"user\"}"), 0, "data.terminated_by: invalid value" },
    { ENV("item.started", "{}"), 0, "data.item: missing" },
    { ENV("item.started", "{\"item\":{\"item_id\":\"itm_1\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"message\","
          "\"role\":\"assistant\",\"content\":[]}}"), 0, "data.item.status: missing" },
    { ENV("item.started", "{\"item\":{\"item_id\":\"\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"message\","
          "\"role\":\"assistant\",\"content\":[],\"status\":\"in_progress\"}}"), 0, "data.item.item_id: empty" },
    { ENV("item.started", "{\"item\":{\"item_id\":\"i\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"chat\","
          "\"role\":\"assistant\",\"content\":[],\"status\":\"in_progress\"}}"), 0, "data.item.kind: invalid value \"chat\"" },
    { ENV("item.started", "{\"item\":{\"item_id\":\"i\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"message\","
          "\"role\":\"bot\",\"content\":[],\"status\":\"in_progress\"}}"), 0, "data.item.role: invalid value" },
    { ENV("item.started", "{\"item\":{\"item_id\":\"i\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"message\","
          "\"role\":null,\"content\":[],\"status\":\"done\"}}"), 0, "data.item.status: invalid value" },
    { ENV("item.started", "{\"item\":{\"item_id\":\"i\",\"parent_id\":null,\"kind\":\"message\","
          "\"role\":null,\"content\":[],\"status\":\"completed\"}}"), 0, "data.item.native_item_id: missing" },
    { ENV("item.completed", ITEM("{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\"}")), 0, "data.item.content[1].text: missing" },
    { ENV("item.completed", ITEM("{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"},"
          "{\"type\":\"tool_call\",\"name\":\"n\",\"arguments\":\"{}\",\"call_id\":5}")), 0,
      "data.item.content[2].call_id: expected string" },
    { ENV("item.completed", ITEM("{\"type\":\"tool_call\",\"name\":\"n\",\"arguments\":{},\"call_id\":\"c\"}")), 0,
      "data.item.content[0].arguments: expected string" },
    { ENV("item.completed", ITEM("{\"type\":\"tool_result\",\"call_id\":\"c\"}")), 0, "data.item.content[0].output: missing" },
    { ENV("item.completed", ITEM("{\"type\":\"file_ref\",\"path\":\"p\",\"action\":\"delete\",\"diff\":null}")), 0,
      "data.item.content[0].action: invalid value" },
    { ENV("item.completed", ITEM("{\"type\":\"file_ref\",\"path\":\"p\",\"action\":\"read\"}")), 0,
      "data.item.content[0].diff: missing" },
    { ENV("item.completed", ITEM("{\"type\":\"reasoning\",\"text\":\"t\",\"visibility\":\"secret\"}")), 0,
      "data.item.content[0].visibility: invalid value" },
    { ENV("item.completed", ITEM("{\"type\":\"image\",\"path\":\"p\"}")), 0, "data.item.content[0].mime: missing" },
    { ENV("item.completed", ITEM("{\"type\":\"status\",\"label\":\"l\",\"detail\":3}")), 0,
      "data.item.content[0].detail: expected string or null" },
    { ENV("item.completed", ITEM("{\"type\":\"video\",\"path\":\"p\"}")), 0, "data.item.content[0].type: invalid value" },
    { ENV("item.completed", ITEM("{\"text\":\"x\"}")), 0, "data.item.content[0].type: missing" },
    { ENV("item.completed", ITEM("{\"type\":\"text\",\"text\":\"x\",\"extra\":1}")), 0, "data.item.content[0].extra: unexpected key" },
    { ENV("item.completed", ITEM("{\"text\":\"x\",\"type\":\"text\"}")), SA_SCHEMA_KEY_ORDER,
      "data.item.content[0].type: out of order" },
    { ENV("item.completed", ITEM("\"text\"")), 0, "data.item.content[0]: expected object" },
    { ENV("item.delta", "{\"item_id\":\"itm_1\",\"delta\":\"x\"}"), 0, "data.native_item_id: missing" },
    { ENV("item.delta", "{\"item_id\":\"itm_1\",\"native_item_id\":null,\"delta\":null}"), 0, "data.delta: expected string" },
    { ENV("item.delta", "{\"item_id\":\"\",\"native_item_id\":null,\"delta\":\"x\"}"), 0, "data.item_id: empty" },
    { SYN("error", "{\"message\":\"m\",\"code\":null}"), 0, "data.details: missing" },
    { SYN("error", "{\"message\":\"m\",\"code\":1,\"details\":null}"), 0, "data.code: expected string or null" },
    { ENV("permission.requested", "{\"permission_id\":\"p\",\"action\":\"a\",\"status\":\"accept\",\"metadata\":null}"), 0,
      "data.status: invalid value \"accept\"" },
    { SYN("permission.resolved", "{\"permission_id\":\"p\",\"action\":\"a\",\"status\":\"requested\",\"metadata\":null}"), 0,
      "data.status: invalid value \"requested\"" },
    { ENV("permission.requested", "{\"permission_id\":\"p\",\"action\":\"a\",\"status\":\"requested\"}"), 0,
      "data.metadata: missing" },
    { ENV("question.requested", "{\"question_id\":\"q\",\"prompt\":\"p\",\"options\":[\"a\",2],\"response\":null,\"status\":\"requested\"}"), 0,
      "data.options[1]: expected string" },
    { ENV("question.requested", "{\"question_id\":\"q\",\"prompt\":\"p\",\"options\":[],\"status\":\"requested\"}"), 0,
      "data.response: missing" },
    { SYN("question.resolved", "{\"question_id\":\"q\",\"prompt\":\"p\",\"options\":[],\"response\":null,\"status\":\"requested\"}"), 0,
      "data.status: invalid value" },
    { ENV("agent.unparsed", "{\"error\":\"e\",\"location\":\"l\",\"raw_hash\":null}"), 0, "synthetic: agent.unparsed must be synthetic" },
    { SYN("agent.unparsed", "{\"error\":\"e\",\"location\":\"l\"}"), 0, "data.raw_hash: missing" },
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) run(&valid[i]);
}

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) run(&invalid[i]);
}

static void test_all_types_covered(void **state)
{
    (void)state;
    /* every one of the 13 types appears in the valid table */
    for (size_t t = 0; t < SA_SCHEMA_NTYPES; t++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"type\":\"%s\"", sa_schema_types[t]);
        bool found = false;
        for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
            if (strstr(valid[i].json, needle)) found = true;
        if (!found) print_error("type %s has no valid case\n", sa_schema_types[t]);
        assert_true(found);
        assert_true(sa_schema_is_type(sa_schema_types[t]));
    }
    assert_false(sa_schema_is_type("session.paused"));
    assert_false(sa_schema_is_type(NULL));
}

static void test_rfc3339(void **state)
{
    (void)state;
    assert_true(sa_schema_is_rfc3339("2026-02-01T10:00:00Z"));
    assert_true(sa_schema_is_rfc3339("2026-02-01T10:00:00.123456789Z"));
    assert_true(sa_schema_is_rfc3339("2026-02-01T10:00:00-05:30"));
    assert_false(sa_schema_is_rfc3339("2026-02-01 10:00:00Z"));
    assert_false(sa_schema_is_rfc3339("2026-02-01T10:00:00"));
    assert_false(sa_schema_is_rfc3339("2026-02-01T10:00:00.Z"));
    assert_false(sa_schema_is_rfc3339("2026-02-01T24:00:00Z"));
    assert_false(sa_schema_is_rfc3339("2026-02-01T10:00:00Zjunk"));
    assert_false(sa_schema_is_rfc3339(""));
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    cJSON *ev = cJSON_Parse(ENV("item.completed", ITEM("{\"type\":\"text\"}")));
    char err[8];
    assert_false(sa_schema_check_event(ev, 0, err, sizeof err));
    assert_true(strlen(err) < sizeof err);
    assert_false(sa_schema_check_event(ev, 0, err, 0));    /* no buffer at all */
    cJSON_Delete(ev);
}

static void test_item_alone(void **state)
{
    (void)state;
    cJSON *it = cJSON_Parse("{\"item_id\":\"i\",\"native_item_id\":null,\"parent_id\":null,\"kind\":\"tool_call\","
                            "\"role\":\"assistant\",\"content\":[{\"type\":\"tool_call\"}],\"status\":\"in_progress\"}");
    char err[256];
    assert_false(sa_schema_check_item(it, "item", 0, err, sizeof err));
    assert_string_equal(err, "item.content[0].name: missing");
    cJSON_Delete(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_all_types_covered),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_item_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
