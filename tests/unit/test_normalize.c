/*
 * test_normalize.c — cmocka tests for sa-normalize's C state rules
 * (nz_state: ids, pending assistant items, synthetic starts/deltas, dedup,
 * HITL maps and visibility, sa lifecycle lines, turn usage) and its helpers (nz_map,
 * nz_canon, UTF-8 repair, depth).  Conversions are written as JSON text, as
 * the jq programs would print them; emitted events are collected and
 * inspected with cJSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nz_canon.h"
#include "nz_map.h"
#include "nz_pump.h"
#include "nz_state.h"

typedef struct sink { cJSON *ev[256]; size_t n; } sink;

static void collect(void *ctx, const char *line, size_t len)
{
    sink *s = ctx;
    assert_true(s->n < 256);
    assert_int_equal(strlen(line), len);
    cJSON *v = cJSON_Parse(line);
    assert_non_null(v);
    s->ev[s->n++] = v;
}

static void sink_clear(sink *s)
{
    for (size_t i = 0; i < s->n; i++) cJSON_Delete(s->ev[i]);
    s->n = 0;
}

static nz_state *mk(sink *s, const char *agent, uint64_t item_start, const char *perm)
{
    nz_opts o = { .agent = agent, .session_id = "s1", .item_start = item_start,
                  .permission_mode = perm, .emit = collect, .emit_ctx = s };
    nz_state *st = nz_state_new(&o);
    assert_non_null(st);
    return st;
}

static const nz_raw RAW = { NZ_RAW_JSON, "{\"native\":true}" };

static void conv(nz_state *st, const char *json)
{
    cJSON *a = cJSON_Parse(json);
    assert_non_null(a);
    nz_state_conversions(st, a, RAW);
    cJSON_Delete(a);
}

static void sa_line(nz_state *st, const char *json)
{
    cJSON *a = cJSON_Parse(json);
    assert_non_null(a);
    nz_state_sa_line(st, a, (nz_raw){ NZ_RAW_JSON, json });
    cJSON_Delete(a);
}

static const char *type_of(const sink *s, size_t i) { return cJSON_GetObjectItem(s->ev[i], "type")->valuestring; }
static bool synth(const sink *s, size_t i) { return cJSON_IsTrue(cJSON_GetObjectItem(s->ev[i], "synthetic")); }
static cJSON *data(const sink *s, size_t i) { return cJSON_GetObjectItem(s->ev[i], "data"); }
static const char *dstr(const sink *s, size_t i, const char *k) { return cJSON_GetObjectItem(data(s, i), k)->valuestring; }
static const char *istr(const sink *s, size_t i, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(data(s, i), "item"), k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

#define ITEM(ev, nid, kind, role, text, status) \
    "{\"type\":\"" ev "\",\"data\":{\"item\":{\"item_id\":\"\",\"native_item_id\":\"" nid "\",\"kind\":\"" kind \
    "\",\"role\":\"" role "\",\"content\":[{\"type\":\"text\",\"text\":\"" text "\"}],\"status\":\"" status "\"}}}"

static void test_session_started_and_ids(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "mock", 7, NULL);
    nz_state_begin(st);
    assert_int_equal(s.n, 1);
    assert_string_equal(type_of(&s, 0), "session.started");
    assert_true(synth(&s, 0));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(s.ev[0], "raw")));
    conv(st, "[{\"type\":\"session.started\",\"data\":{\"metadata\":{}},\"native_session_id\":\"mock-s1\"}]");
    assert_int_equal(s.n, 1);                              /* duplicate dropped */
    assert_string_equal(nz_state_native_session_id(st), "mock-s1");
    conv(st, "[" ITEM("item.started", "a", "message", "assistant", "", "in_progress") ","
             "{\"type\":\"item.delta\",\"data\":{\"native_item_id\":\"a\",\"delta\":\"hi\"}},"
             ITEM("item.started", "a", "message", "assistant", "", "in_progress") ","
             ITEM("item.completed", "a", "message", "assistant", "hi", "completed") "]");
    assert_int_equal(s.n, 4);                              /* repeated start dropped, no synthetic delta */
    assert_string_equal(istr(&s, 1, "item_id"), "itm_7");
    assert_string_equal(dstr(&s, 2, "item_id"), "itm_7");
    assert_string_equal(istr(&s, 3, "item_id"), "itm_7");
    assert_false(synth(&s, 3));
    assert_string_equal(cJSON_GetObjectItem(s.ev[3], "native_session_id")->valuestring, "mock-s1");
    assert_string_equal(cJSON_GetObjectItem(s.ev[3], "raw")->child->string, "native");
    /* a later different native session id is not adopted */
    conv(st, "[{\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\"},\"native_session_id\":\"other\"}]");
    assert_string_equal(nz_state_native_session_id(st), "mock-s1");
    sink_clear(&s);
    nz_state_free(st);
}

static void test_orphan_completed_gets_start_and_delta(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "mock", 1, NULL);
    conv(st, "[" ITEM("item.completed", "r", "message", "assistant", "hello", "completed") "]");
    assert_int_equal(s.n, 3);
    assert_string_equal(type_of(&s, 0), "item.started");
    assert_true(synth(&s, 0));
    assert_string_equal(istr(&s, 0, "status"), "in_progress");
    assert_string_equal(type_of(&s, 1), "item.delta");
    assert_true(synth(&s, 1));
    assert_string_equal(dstr(&s, 1, "delta"), "hello");
    assert_string_equal(type_of(&s, 2), "item.completed");
    sink_clear(&s);
    /* user messages get no synthetic delta */
    conv(st, "[" ITEM("item.completed", "u", "message", "user", "q", "completed") "]");
    assert_int_equal(s.n, 2);
    sink_clear(&s);
    nz_state_free(st);
}

static void test_tool_result_and_parent_ids(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "mock", 1, NULL);
    conv(st, "[{\"type\":\"item.completed\",\"data\":{\"item\":{\"native_item_id\":\"call1\",\"parent_id\":\"msg1\","
             "\"kind\":\"tool_call\",\"role\":\"assistant\",\"content\":[],\"status\":\"completed\"}}},"
             "{\"type\":\"item.completed\",\"data\":{\"item\":{\"native_item_id\":\"call1\",\"parent_id\":\"itm_99\","
             "\"kind\":\"tool_result\",\"role\":\"tool\",\"content\":[],\"status\":\"failed\"}}},"
             ITEM("item.started", "msg1", "message", "assistant", "", "in_progress") "]");
    assert_int_equal(s.n, 5);
    assert_string_equal(istr(&s, 1, "item_id"), "itm_1");       /* tool call */
    assert_string_equal(istr(&s, 1, "parent_id"), "itm_2");     /* msg1 → new id */
    assert_string_equal(istr(&s, 3, "item_id"), "itm_3");       /* result: its own item */
    assert_string_equal(istr(&s, 3, "parent_id"), "itm_99");    /* itm_ ids kept */
    assert_string_equal(istr(&s, 4, "item_id"), "itm_2");       /* msg1 reuses the parent id */
    sink_clear(&s);
    nz_state_free(st);
}

static void test_claude_turn_and_pending_assistant(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "claude", 1, NULL);
    sa_line(st, "{\"sa\":\"turn\",\"turn\":1,\"message\":\"hi\",\"attachments\":[{\"path\":\"/a.txt\"}]}");
    assert_int_equal(s.n, 4);
    assert_string_equal(type_of(&s, 0), "turn.started");
    assert_string_equal(istr(&s, 1, "native_item_id"), "user_1");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(data(&s, 2), "item"), "content"), 0)
                            ->child->next->valuestring, "hi\n\nAttachments:\n- /a.txt\n");
    assert_string_equal(istr(&s, 3, "native_item_id"), "s1_pending_assistant_1");
    assert_string_equal(istr(&s, 3, "item_id"), "itm_2");
    assert_int_equal(nz_state_pending_assistants(st), 1);
    sink_clear(&s);
    /* assistant snapshot start is dropped; a delta goes to the pending item */
    conv(st, "[" ITEM("item.started", "msg_1", "message", "assistant", "Hello", "in_progress") ","
             "{\"type\":\"item.delta\",\"data\":{\"item_id\":\"\",\"native_item_id\":null,\"delta\":\"Hel\"}}]");
    assert_int_equal(s.n, 1);
    assert_string_equal(dstr(&s, 0, "item_id"), "itm_2");
    assert_string_equal(dstr(&s, 0, "native_item_id"), "s1_pending_assistant_1");
    sink_clear(&s);
    /* the result's completed merges into the pending item: no synthetic delta (deltas seen) */
    conv(st, "[{\"type\":\"item.completed\",\"data\":{\"item\":{\"native_item_id\":null,\"kind\":\"message\","
             "\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Hel\"}],\"status\":\"completed\"}}},"
             "{\"type\":\"turn.ended\",\"synthetic\":true,\"data\":{\"phase\":\"ended\"}}]");
    assert_int_equal(s.n, 2);
    assert_string_equal(istr(&s, 0, "item_id"), "itm_2");
    assert_string_equal(istr(&s, 0, "native_item_id"), "s1_pending_assistant_1");
    assert_false(synth(&s, 0));
    assert_true(synth(&s, 1));
    assert_int_equal(nz_state_pending_assistants(st), 0);
    sink_clear(&s);
    nz_state_free(st);
}

static void test_claude_segments_and_lazy_pending(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "claude", 1, NULL);
    /* no turn line: the first assistant text opens a pending item lazily */
    conv(st, "[" ITEM("item.started", "msg_1", "message", "assistant", "Let me look.", "in_progress") "]");
    assert_int_equal(s.n, 1);
    assert_string_equal(type_of(&s, 0), "item.started");
    assert_true(synth(&s, 0));
    sink_clear(&s);
    /* a tool call closes the text segment first; its parent is that message */
    conv(st, "[{\"type\":\"item.completed\",\"data\":{\"item\":{\"native_item_id\":\"tu1\",\"parent_id\":\"msg_1\","
             "\"kind\":\"tool_call\",\"role\":\"assistant\",\"content\":[],\"status\":\"completed\"}}}]");
    assert_int_equal(s.n, 4);
    assert_string_equal(type_of(&s, 0), "item.delta");
    assert_string_equal(dstr(&s, 0, "delta"), "Let me look.");
    assert_string_equal(type_of(&s, 1), "item.completed");
    assert_string_equal(istr(&s, 1, "item_id"), "itm_1");
    assert_string_equal(istr(&s, 3, "parent_id"), "itm_1");
    assert_int_equal(nz_state_pending_assistants(st), 0);
    sink_clear(&s);
    /* an unfinished pending item without text is closed as failed at the next turn */
    sa_line(st, "{\"sa\":\"turn\",\"turn\":2,\"message\":\"again\",\"attachments\":[]}");
    assert_int_equal(nz_state_pending_assistants(st), 1);
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"turn\",\"turn\":3,\"message\":\"more\",\"attachments\":[]}");
    assert_string_equal(type_of(&s, 0), "item.completed");
    assert_string_equal(istr(&s, 0, "status"), "failed");
    assert_int_equal(nz_state_pending_assistants(st), 1);
    sink_clear(&s);
    /* and one holding streamed text is completed with it */
    conv(st, "[{\"type\":\"item.delta\",\"data\":{\"native_item_id\":null,\"delta\":\"part\"}}]");
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"exited\",\"agent\":\"claude\",\"code\":1,\"signal\":null,\"requested\":false}");
    assert_string_equal(type_of(&s, 0), "item.completed");
    assert_string_equal(istr(&s, 0, "status"), "completed");
    assert_string_equal(type_of(&s, 1), "error");
    sink_clear(&s);
    nz_state_free(st);
}

static void test_session_ended_dedup(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "claude", 1, NULL);
    conv(st, "[{\"type\":\"session.ended\",\"data\":{\"reason\":\"completed\",\"terminated_by\":\"agent\"}}]");
    assert_int_equal(s.n, 0);                               /* resumable: native end dropped */
    conv(st, "[{\"type\":\"session.ended\",\"synthetic\":true,\"data\":{\"reason\":\"completed\",\"terminated_by\":\"agent\"}}]");
    assert_int_equal(s.n, 1);
    nz_state_free(st);
    sink_clear(&s);
    st = mk(&s, "mock", 1, NULL);
    conv(st, "[{\"type\":\"session.ended\",\"data\":{\"reason\":\"completed\",\"terminated_by\":\"agent\",\"message\":\"x\"}}]");
    assert_int_equal(s.n, 1);
    assert_null(cJSON_GetObjectItem(data(&s, 0), "message"));   /* only with reason error */
    sink_clear(&s);
    nz_state_free(st);
}

static void test_hitl_maps_and_visibility(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "claude", 1, "acceptEdits");
    conv(st, "[{\"type\":\"permission.requested\",\"data\":{\"permission_id\":\"p1\",\"action\":\"Bash\","
             "\"metadata\":{\"toolName\":\"Bash\"}}},"
             "{\"type\":\"permission.requested\",\"link\":\"q1\",\"data\":{\"permission_id\":\"p2\",\"action\":\"AskUserQuestion\"}},"
             "{\"type\":\"permission.requested\",\"data\":{\"permission_id\":\"p3\",\"action\":\"FILE_CHANGE\"}},"
             "{\"type\":\"question.requested\",\"data\":{\"question_id\":\"q1\",\"prompt\":\"Color?\",\"options\":[\"Red\",\"Blue\"]}}]");
    assert_int_equal(s.n, 2);                               /* p2 (question tool) and p3 (acceptEdits) hidden */
    assert_string_equal(dstr(&s, 0, "status"), "requested");
    assert_int_equal(nz_state_pending_permissions(st), 3);
    assert_int_equal(nz_state_pending_questions(st), 1);
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"permission.resolved\",\"permission_id\":\"p1\",\"reply\":\"once\",\"by\":\"user\"}");
    sa_line(st, "{\"sa\":\"permission.resolved\",\"permission_id\":\"p3\",\"reply\":\"once\",\"by\":\"always\"}");
    sa_line(st, "{\"sa\":\"permission.resolved\",\"permission_id\":\"zz\",\"reply\":\"reject\",\"by\":\"timeout\"}");
    sa_line(st, "{\"sa\":\"question.resolved\",\"question_id\":\"q1\",\"status\":\"answered\",\"response\":\"Blue\",\"answers\":[[\"Blue\"]],\"by\":\"user\"}");
    assert_int_equal(s.n, 4);
    assert_string_equal(dstr(&s, 0, "status"), "accept");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(data(&s, 0), "metadata"), "toolName")->valuestring, "Bash");
    assert_string_equal(dstr(&s, 1, "status"), "accept_for_session");
    assert_string_equal(dstr(&s, 1, "action"), "FILE_CHANGE");
    assert_string_equal(dstr(&s, 2, "status"), "reject");
    assert_string_equal(dstr(&s, 2, "action"), "unknown");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(data(&s, 2), "metadata")));
    assert_string_equal(dstr(&s, 3, "prompt"), "Color?");
    assert_string_equal(dstr(&s, 3, "response"), "Blue");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(data(&s, 3), "options")), 2);
    assert_int_equal(nz_state_pending_permissions(st), 0);  /* p2 went with its question */
    assert_int_equal(nz_state_pending_questions(st), 0);
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"question.resolved\",\"question_id\":\"q9\",\"status\":\"rejected\",\"response\":\"x\",\"by\":\"timeout\"}");
    assert_int_equal(s.n, 1);
    assert_string_equal(dstr(&s, 0, "status"), "rejected");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(data(&s, 0), "response")));
    sink_clear(&s);
    nz_state_free(st);
}

static void test_lifecycle_lines(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "claude", 1, NULL);
    sa_line(st, "{\"sa\":\"spawned\",\"agent\":\"claude\",\"pid\":1}");
    sa_line(st, "{\"sa\":\"turn_end\",\"turn\":1}");
    sa_line(st, "{\"sa\":\"cancelled\"}");
    sa_line(st, "{\"sa\":\"exited\",\"agent\":\"claude\",\"code\":0,\"signal\":null,\"requested\":false}");
    sa_line(st, "{\"sa\":\"exited\",\"agent\":\"claude\",\"code\":null,\"signal\":15,\"requested\":true}");
    assert_int_equal(s.n, 0);
    sa_line(st, "{\"sa\":\"exited\",\"agent\":\"claude\",\"code\":2,\"signal\":null,\"requested\":false,"
                "\"stderr\":{\"head\":\"boom\",\"truncated\":false,\"total_lines\":1}}");
    assert_int_equal(s.n, 2);
    assert_string_equal(type_of(&s, 0), "error");
    assert_string_equal(dstr(&s, 0, "code"), "process_exit");
    assert_string_equal(type_of(&s, 1), "session.ended");
    assert_string_equal(dstr(&s, 1, "reason"), "error");
    assert_string_equal(dstr(&s, 1, "terminated_by"), "agent");
    assert_int_equal(cJSON_GetObjectItem(data(&s, 1), "exit_code")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(data(&s, 1), "stderr"), "head")->valuestring, "boom");
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"exited\",\"agent\":\"claude\",\"code\":null,\"signal\":9,\"requested\":false}");
    assert_int_equal(s.n, 2);
    assert_null(cJSON_GetObjectItem(data(&s, 1), "exit_code"));
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"spawn_failed\",\"agent\":\"claude\",\"error\":\"cannot execute claude\"}");
    assert_int_equal(s.n, 2);
    assert_string_equal(dstr(&s, 0, "code"), "spawn_failed");
    assert_string_equal(dstr(&s, 1, "terminated_by"), "daemon");
    assert_string_equal(dstr(&s, 1, "message"), "cannot execute claude");
    sink_clear(&s);
    sa_line(st, "{\"sa\":\"terminated\"}");
    sa_line(st, "{\"sa\":\"input_error\",\"error\":\"bad\",\"line\":\"x\"}");
    sa_line(st, "{\"sa\":\"nonsense\"}");
    assert_int_equal(s.n, 3);
    assert_string_equal(dstr(&s, 0, "reason"), "terminated");
    assert_string_equal(dstr(&s, 1, "code"), "input_error");
    assert_string_equal(type_of(&s, 2), "agent.unparsed");
    assert_true(synth(&s, 2));
    sink_clear(&s);
    nz_state_free(st);
}

static void test_bad_conversions(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "mock", 1, NULL);
    conv(st, "[{\"type\":\"item.started\",\"data\":{\"item\":{\"kind\":\"weird\"}}},"
             "{\"type\":\"no.such\",\"data\":{}},{\"data\":{}},{\"__error\":\"boom\"},"
             "{\"type\":\"item.delta\",\"data\":{\"native_item_id\":\"x\"}}]");
    assert_int_equal(s.n, 5);
    for (size_t i = 0; i < s.n; i++) {
        assert_string_equal(type_of(&s, i), "agent.unparsed");
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(data(&s, i), "raw_hash")));
    }
    sink_clear(&s);
    cJSON *notarr = cJSON_CreateObject();
    nz_state_conversions(st, notarr, (nz_raw){ NZ_RAW_STRING, "text" });
    cJSON_Delete(notarr);
    assert_int_equal(s.n, 1);
    assert_string_equal(cJSON_GetObjectItem(s.ev[0], "raw")->valuestring, "text");
    sink_clear(&s);
    nz_state_free(st);
}

static void test_canon_parts(void **unused)
{
    (void)unused;
    cJSON *p = cJSON_Parse("{\"call_id\":\"c\",\"arguments\":{\"a\":1},\"name\":\"n\",\"type\":\"tool_call\"}");
    cJSON *c = nz_canon_part(p);
    char *t = cJSON_PrintUnformatted(c);
    assert_string_equal(t, "{\"type\":\"tool_call\",\"name\":\"n\",\"arguments\":\"{\\\"a\\\":1}\",\"call_id\":\"c\"}");
    free(t); cJSON_Delete(c); cJSON_Delete(p);
    p = cJSON_Parse("{\"type\":\"mystery\",\"x\":1}");
    c = nz_canon_part(p);
    t = cJSON_PrintUnformatted(c);
    assert_string_equal(t, "{\"type\":\"json\",\"json\":{\"type\":\"mystery\",\"x\":1}}");
    free(t); cJSON_Delete(c); cJSON_Delete(p);
    assert_true(nz_agent_question_tool(nz_agent_lookup("claude"), "exit-plan-mode"));
    assert_false(nz_agent_question_tool(nz_agent_lookup("claude"), "Bash"));
    assert_true(nz_is_file_change("FileChange"));
    assert_false(nz_is_file_change("file"));
}

static bool drop_odd(const char *k, void *v, void *ctx)
{
    (void)v; (void)ctx;
    return (k[strlen(k) - 1] - '0') % 2 == 1;
}

static void test_map(void **unused)
{
    (void)unused;
    nz_map *m = nz_map_new(free);
    char k[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        assert_true(nz_map_put(m, k, strdup(k)));
    }
    assert_int_equal(nz_map_count(m), 1000);
    assert_string_equal(nz_map_get(m, "k517"), "k517");
    assert_true(nz_map_put(m, "k517", strdup("new")));
    assert_string_equal(nz_map_get(m, "k517"), "new");
    assert_true(nz_map_del(m, "k3"));
    assert_false(nz_map_del(m, "k3"));
    assert_null(nz_map_get(m, "k3"));
    nz_map_filter(m, drop_odd, NULL);
    assert_int_equal(nz_map_count(m), 500);
    assert_false(nz_map_has(m, "k517"));
    assert_true(nz_map_has(m, "k518"));
    nz_map_free(m);
}

static void test_utf8_and_depth(void **unused)
{
    (void)unused;
    size_t n = 0;
    assert_null(nz_utf8_fix("plain \xc3\xa9 \xf0\x9f\x98\x80", 13, &n));
    char *f = nz_utf8_fix("a\xff" "b\xc0\xaf" "c\xed\xa0\x80", 9, &n);
    assert_non_null(f);
    assert_string_equal(f, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_int_equal(n, strlen(f));
    free(f);
    f = nz_utf8_fix("\xe2\x82", 2, &n);                    /* truncated sequence */
    assert_string_equal(f, "\xEF\xBF\xBD\xEF\xBF\xBD");
    free(f);
    cJSON *v = cJSON_Parse("[[{\"a\":[1]}],2]");
    assert_int_equal(nz_json_depth(v, 100), 4);
    assert_int_equal(nz_json_depth(cJSON_GetArrayItem(v, 1), 100), 0);
    cJSON_Delete(v);
}

static double usage_of(const sink *s, size_t i, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(data(s, i), "usage"), k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;     /* -1: null */
}

#define TU(in, out, tot) \
    "{\"type\":\"turn.usage\",\"data\":{\"usage\":{\"input_tokens\":" #in ",\"output_tokens\":" #out "}" \
    tot "}}"
#define ENDED "{\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\"}}"

static void test_turn_usage(void **unused)
{
    (void)unused;
    sink s = { 0 };
    nz_state *st = mk(&s, "codex", 1, NULL);
    /* no usage known: all six fields null */
    conv(st, "[" ENDED "]");
    assert_int_equal(s.n, 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(data(&s, 0), "usage")), 6);
    assert_true(usage_of(&s, 0, "input_tokens") < 0 && usage_of(&s, 0, "cost_usd") < 0);
    sink_clear(&s);
    /* turn.usage is never emitted; reports add up; a repeat (same total) is ignored */
    conv(st, "[" TU(10, 5, ",\"total\":{\"t\":15}") "," TU(10, 5, ",\"total\":{\"t\":15}") ","
             TU(7, 1, ",\"total\":{\"t\":23}") "," ENDED "]");
    assert_int_equal(s.n, 1);
    assert_true(usage_of(&s, 0, "input_tokens") == 17 && usage_of(&s, 0, "output_tokens") == 6);
    assert_true(usage_of(&s, 0, "cache_read_tokens") < 0);
    sink_clear(&s);
    /* cleared after turn.ended and at turn.started; "replace" replaces */
    conv(st, "[" TU(3, 3, "") ",{\"type\":\"turn.started\",\"data\":{\"phase\":\"started\"}},"
             TU(1, 1, "") "," TU(4, 2, ",\"mode\":\"replace\"") "," ENDED "," ENDED "]");
    assert_int_equal(s.n, 3);
    assert_true(usage_of(&s, 1, "input_tokens") == 4 && usage_of(&s, 1, "output_tokens") == 2);
    assert_true(usage_of(&s, 2, "input_tokens") < 0);
    sink_clear(&s);
    /* the conversion's own usage wins; running totals become differences */
    conv(st, "[{\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\",\"usage\":{\"input_tokens\":2,\"cost_usd\":\"x\"},"
             "\"usage_cumulative\":{\"cost_usd\":0.00021}}},"
             "{\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\",\"usage_cumulative\":{\"cost_usd\":0.00042,\"output_tokens\":9}}},"
             "{\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\",\"usage_cumulative\":{\"cost_usd\":0.0001}}}]");
    assert_int_equal(s.n, 3);
    assert_true(usage_of(&s, 0, "input_tokens") == 2 && usage_of(&s, 0, "cost_usd") == 0.00021);
    assert_true(usage_of(&s, 1, "cost_usd") == 0.00021 && usage_of(&s, 1, "output_tokens") == 9);
    assert_true(usage_of(&s, 2, "cost_usd") == 0.0001);             /* decreased: a new count */
    assert_null(cJSON_GetObjectItem(data(&s, 0), "usage_cumulative"));
    sink_clear(&s);
    /* a new agent process (sa spawned line) forgets the running totals */
    sa_line(st, "{\"sa\":\"spawned\",\"pid\":1}");
    conv(st, "[{\"type\":\"turn.ended\",\"data\":{\"phase\":\"ended\",\"usage_cumulative\":{\"cost_usd\":0.0003}}}]");
    assert_true(usage_of(&s, 0, "cost_usd") == 0.0003);
    sink_clear(&s);
    /* a bad turn.usage is reported, turn.started never carries usage */
    conv(st, "[{\"type\":\"turn.usage\",\"data\":{\"usage\":7}},"
             "{\"type\":\"turn.started\",\"data\":{\"phase\":\"started\",\"usage\":{\"input_tokens\":1}}}]");
    assert_int_equal(s.n, 2);
    assert_string_equal(type_of(&s, 0), "agent.unparsed");
    assert_null(cJSON_GetObjectItem(data(&s, 1), "usage"));
    sink_clear(&s);
    nz_state_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_started_and_ids),
        cmocka_unit_test(test_orphan_completed_gets_start_and_delta),
        cmocka_unit_test(test_tool_result_and_parent_ids),
        cmocka_unit_test(test_claude_turn_and_pending_assistant),
        cmocka_unit_test(test_claude_segments_and_lazy_pending),
        cmocka_unit_test(test_session_ended_dedup),
        cmocka_unit_test(test_hitl_maps_and_visibility),
        cmocka_unit_test(test_lifecycle_lines),
        cmocka_unit_test(test_bad_conversions),
        cmocka_unit_test(test_canon_parts),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_utf8_and_depth),
        cmocka_unit_test(test_turn_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
