/*
 * test_spawn.c — unit tests for sa-spawn's pure pieces: the stderr
 * head/tail capture, the HITL table and always cache, input command
 * parsing and prompt text, claude argv building, environment merging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp.h"
#include "agent.h"

static void errcap_small(void **st)
{
    (void)st;
    sp_errcap c;
    memset(&c, 0, sizeof c);
    cJSON *j = sp_errcap_json(&c);
    assert_true(cJSON_IsNull(j));
    cJSON_Delete(j);
    for (int i = 1; i <= 70; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "l%d", i);
        sp_errcap_add(&c, b, (size_t)n);
    }
    j = sp_errcap_json(&c);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated")));
    assert_null(cJSON_GetObjectItem(j, "tail"));
    assert_int_equal(cJSON_GetObjectItem(j, "total_lines")->valueint, 70);
    const char *h = cJSON_GetObjectItem(j, "head")->valuestring;
    assert_true(strncmp(h, "l1\nl2\n", 6) == 0);
    assert_non_null(strstr(h, "\nl70"));
    assert_null(strstr(h, "l70\n"));
    cJSON_Delete(j);
    sp_errcap_clear(&c);
}

static void errcap_big(void **st)
{
    (void)st;
    sp_errcap c;
    memset(&c, 0, sizeof c);
    char longline[2000];
    memset(longline, 'x', sizeof longline);
    for (int i = 1; i <= 1000; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "l%d\r", i);
        if (i == 5) sp_errcap_add(&c, longline, sizeof longline);
        else sp_errcap_add(&c, b, (size_t)n);
    }
    cJSON *j = sp_errcap_json(&c);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated")));
    assert_int_equal(cJSON_GetObjectItem(j, "total_lines")->valueint, 1000);
    const char *h = cJSON_GetObjectItem(j, "head")->valuestring;
    const char *t = cJSON_GetObjectItem(j, "tail")->valuestring;
    assert_true(strncmp(h, "l1\nl2\nl3\nl4\nxxx", 15) == 0);
    assert_non_null(strstr(h, "\nl20"));
    assert_null(strstr(h, "l21"));
    /* the long line was cut at 500 */
    const char *x = strchr(h, 'x');
    assert_int_equal(strcspn(x, "\n"), 500);
    assert_true(strncmp(t, "l951\n", 5) == 0);
    assert_non_null(strstr(t, "\nl1000"));
    assert_null(strchr(t, '\r'));
    cJSON_Delete(j);
    sp_errcap_clear(&c);
}

static void errcap_utf8_cut(void **st)
{
    (void)st;
    sp_errcap c;
    memset(&c, 0, sizeof c);
    char line[600];
    memset(line, 'a', 499);
    memcpy(line + 499, "\xc3\xa9", 2);     /* é straddles byte 500 */
    memset(line + 501, 'b', 99);
    sp_errcap_add(&c, line, sizeof line);
    cJSON *j = sp_errcap_json(&c);
    assert_int_equal(strlen(cJSON_GetObjectItem(j, "head")->valuestring), 499);
    cJSON_Delete(j);
    sp_errcap_clear(&c);
}

static void hitl_table(void **st)
{
    (void)st;
    sp_hitl h;
    memset(&h, 0, sizeof h);
    sp_hitl_add(&h, SP_PERM, "p1", "Bash", NULL, NULL, 0);
    sp_hitl_add(&h, SP_QUESTION, "q1", NULL, "p2", cJSON_CreateObject(), 500);
    sp_hitl_add(&h, SP_PERM, "p2", NULL, "q1", NULL, 300);
    assert_non_null(sp_hitl_find(&h, SP_PERM, "p1"));
    assert_null(sp_hitl_find(&h, SP_QUESTION, "p1"));
    assert_null(sp_hitl_find(&h, SP_PERM, "zz"));
    assert_int_equal(sp_hitl_next_deadline(&h), 300);
    assert_null(sp_hitl_expired(&h, 299));
    sp_pending *e = sp_hitl_expired(&h, 1000);
    assert_string_equal(e->id, "p2");
    sp_hitl_remove(&h, e);
    assert_string_equal(sp_hitl_expired(&h, 1000)->id, "q1");
    /* re-adding the same id replaces it */
    sp_hitl_add(&h, SP_PERM, "p1", "Edit", NULL, NULL, 0);
    assert_string_equal(sp_hitl_find(&h, SP_PERM, "p1")->key, "Edit");
    assert_false(sp_hitl_always_has(&h, "Bash"));
    sp_hitl_always_add(&h, "Bash");
    sp_hitl_always_add(&h, "Bash");
    assert_int_equal(h.nalways, 1);
    assert_true(sp_hitl_always_has(&h, "Bash"));
    assert_false(sp_hitl_always_has(&h, "Bas"));
    assert_false(sp_hitl_always_has(&h, NULL));
    sp_hitl_clear_pending(&h);
    assert_null(h.list);
    assert_true(sp_hitl_always_has(&h, "Bash"));
    sp_hitl_free(&h);
}

static sp_cmd *reply_cmd(const char *line)
{
    sp_cmd *c = malloc(sizeof *c);
    char err[256];
    assert_non_null(c);
    assert_int_equal(sp_cmd_parse(line, c, err, sizeof err), 0);
    return c;
}

/* Replies held for requests not seen yet: found by kind and id, expire by
 * deadline, at most SP_HELD_MAX; resolved ids are remembered. */
static void hitl_held(void **st)
{
    (void)st;
    sp_hitl h;
    memset(&h, 0, sizeof h);
    const char *pl = "{\"type\":\"permission.reply\",\"permission_id\":\"x\",\"reply\":\"once\"}";
    const char *ql = "{\"type\":\"question.reject\",\"question_id\":\"x\"}";
    assert_true(sp_hitl_hold(&h, reply_cmd(pl), pl, 100));
    assert_true(sp_hitl_hold(&h, reply_cmd(ql), ql, 0));
    assert_int_equal(sp_hitl_next_deadline(&h), 100);
    assert_null(sp_hitl_take_held(&h, SP_PERM, "y"));
    sp_held *x = sp_hitl_take_held(&h, SP_QUESTION, "x");
    assert_non_null(x);
    assert_int_equal(x->cmd->type, SP_CMD_Q_REJECT);
    assert_string_equal(x->line, ql);
    sp_hitl_held_free(x);
    assert_null(sp_hitl_take_expired_held(&h, 99));
    x = sp_hitl_take_expired_held(&h, 100);
    assert_non_null(x);
    assert_int_equal(x->cmd->type, SP_CMD_PERM_REPLY);
    sp_hitl_held_free(x);
    assert_int_equal(h.nheld, 0);
    for (int i = 0; i < SP_HELD_MAX; i++) assert_true(sp_hitl_hold(&h, reply_cmd(pl), pl, 0));
    sp_cmd *extra = reply_cmd(pl);
    assert_false(sp_hitl_hold(&h, extra, pl, 0));
    sp_cmd_free(extra);
    free(extra);
    /* the done ring */
    sp_pending *p = sp_hitl_add(&h, SP_PERM, "p1", NULL, NULL, NULL, 0);
    assert_false(sp_hitl_was_done(&h, SP_PERM, "p1"));
    sp_hitl_remove(&h, p);
    assert_true(sp_hitl_was_done(&h, SP_PERM, "p1"));
    assert_false(sp_hitl_was_done(&h, SP_QUESTION, "p1"));
    for (int i = 0; i < SP_DONE_MAX; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        sp_hitl_remove(&h, sp_hitl_add(&h, SP_QUESTION, id, NULL, NULL, NULL, 0));
    }
    assert_false(sp_hitl_was_done(&h, SP_PERM, "p1"));     /* pushed out of the ring */
    assert_true(sp_hitl_was_done(&h, SP_QUESTION, "n0"));
    sp_hitl_free(&h);
}

static void input_parse(void **st)
{
    (void)st;
    sp_cmd c;
    char err[256];
    assert_int_equal(sp_cmd_parse("{\"type\":\"message\",\"message\":\"hi\",\"attachments\":[{\"path\":\"/a\"},{\"path\":\"/b\"}]}",
                                  &c, err, sizeof err), 0);
    assert_int_equal(c.type, SP_CMD_MESSAGE);
    char *t = sp_prompt_text(c.message, c.attachments);
    assert_string_equal(t, "hi\n\nAttachments:\n- /a\n- /b\n");
    free(t);
    sp_cmd_free(&c);
    t = sp_prompt_text("plain", NULL);
    assert_string_equal(t, "plain");
    free(t);
    assert_int_equal(sp_cmd_parse("{\"type\":\"permission.reply\",\"permission_id\":\"p\",\"reply\":\"always\"}", &c, err, sizeof err), 0);
    assert_int_equal(c.type, SP_CMD_PERM_REPLY);
    assert_string_equal(c.reply, "always");
    sp_cmd_free(&c);
    assert_int_equal(sp_cmd_parse("{\"type\":\"question.reply\",\"question_id\":\"q\",\"answers\":[[\"a\",\"b\"],[]]}", &c, err, sizeof err), 0);
    sp_cmd_free(&c);
    const char *bad[] = {
        "nope", "[]", "{}", "{\"type\":1}", "{\"type\":\"x\"}", "{\"type\":\"message\",\"message\":3}",
        "{\"type\":\"message\",\"message\":\"m\",\"attachments\":[{}]}",
        "{\"type\":\"permission.reply\",\"permission_id\":\"p\",\"reply\":\"yes\"}",
        "{\"type\":\"question.reply\",\"question_id\":\"q\",\"answers\":[\"a\"]}",
        "{\"type\":\"question.reply\",\"question_id\":\"q\",\"answers\":[[1]]}",
        "{\"type\":\"question.reject\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(sp_cmd_parse(bad[i], &c, err, sizeof err), -1);
        assert_true(err[0] != '\0');
        assert_null(c.json);
    }
    assert_int_equal(sp_cmd_parse("{\"type\":\"terminate\"}", &c, err, sizeof err), 0);
    assert_int_equal(c.type, SP_CMD_TERMINATE);
    sp_cmd_free(&c);
}

static char *joined(char **v)
{
    sp_buf b = { 0 };
    for (size_t i = 0; v[i]; i++) { if (i) sp_buf_adds(&b, " "); sp_buf_adds(&b, v[i]); }
    sp_buf_add(&b, "", 1);
    return b.p;
}

static void claude_args(void **st)
{
    (void)st;
    sp_opts o = { .session = "s", .perm_mode = "default" };
    char **v = sp_agent_claude.build_argv(&o, "/x/claude", NULL);
    char *s = joined(v);
    assert_string_equal(s, "/x/claude -p --input-format stream-json --output-format stream-json --verbose "
                           "--include-partial-messages --permission-prompt-tool stdio");
    free(s);
    sp_strv_free(v);
    o.model = "m1";
    o.perm_mode = "bypass";
    v = sp_agent_claude.build_argv(&o, "claude", "sid-1");
    s = joined(v);
    assert_non_null(strstr(s, " --model m1 --resume sid-1 --dangerously-skip-permissions"));
    free(s);
    sp_strv_free(v);
    o.perm_mode = "plan";
    v = sp_agent_claude.build_argv(&o, "claude", NULL);
    s = joined(v);
    assert_non_null(strstr(s, "stdio --model m1 --permission-mode plan"));
    free(s);
    sp_strv_free(v);
    v = sp_agent_mock.build_argv(&o, "/b/sa-mock-agent", "ignored");
    s = joined(v);
    assert_string_equal(s, "/b/sa-mock-agent --session s");
    free(s);
    sp_strv_free(v);
    assert_ptr_equal(sp_agent_find("claude"), &sp_agent_claude);
    assert_ptr_equal(sp_agent_find("codex"), &sp_agent_codex);
    assert_ptr_equal(sp_agent_find("opencode"), &sp_agent_opencode);
    assert_ptr_equal(sp_agent_find("pi"), &sp_agent_pi);
    assert_null(sp_agent_find("nosuch"));
    v = sp_agent_codex.build_argv(&o, "/b/codex", "thread-1");
    s = joined(v);
    assert_string_equal(s, "/b/codex app-server");   /* resume goes by thread/resume, not argv */
    free(s);
    sp_strv_free(v);
}

static void amp_args(void **st)
{
    (void)st;
    sp_opts o = { .session = "s", .perm_mode = "default" };
    char **v = sp_agent_amp.build_argv(&o, "/b/amp", NULL);
    char *s = joined(v);
    assert_string_equal(s, "/b/amp --execute --stream-json --stream-json-input --no-ide --no-archive-after-execute");
    free(s);
    sp_strv_free(v);
    o.perm_mode = "bypass";
    o.model = "high";
    v = sp_agent_amp.build_argv(&o, "/b/amp", "T-1");
    s = joined(v);
    assert_string_equal(s, "/b/amp threads continue T-1 --execute --stream-json --stream-json-input --no-ide "
                           "--no-archive-after-execute --dangerously-allow-all -m high");
    free(s);
    sp_strv_free(v);
    o.model = "amp-default";
    v = sp_agent_amp.build_argv(&o, "/b/amp", "");
    s = joined(v);
    assert_null(strstr(s, " -m "));
    assert_null(strstr(s, "threads"));
    free(s);
    sp_strv_free(v);
    assert_ptr_equal(sp_agent_find("amp"), &sp_agent_amp);
    assert_true(sp_agent_amp.per_turn);
    assert_false(sp_agent_claude.per_turn);
}

static void prime_join(void **st)
{
    (void)st;
    char *a = sp_prime_join("past", "now");
    assert_string_equal(a, "past\n\nnow");
    free(a);
    a = sp_prime_join(NULL, "now");
    assert_string_equal(a, "now");
    free(a);
}

static void env_merge(void **st)
{
    (void)st;
    setenv("SP_TEST_A", "old", 1);
    const char *extra[] = { "SP_TEST_A=new", "SP_TEST_B=1", "SP_TEST_B=2" };
    char **v = sp_env_build(extra, 3);
    int a = 0, b = 0;
    for (size_t i = 0; v[i]; i++) {
        if (strncmp(v[i], "SP_TEST_A=", 10) == 0) { a++; assert_string_equal(v[i], "SP_TEST_A=new"); }
        if (strncmp(v[i], "SP_TEST_B=", 10) == 0) { b++; assert_string_equal(v[i], "SP_TEST_B=2"); }
    }
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
    sp_strv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errcap_small),
        cmocka_unit_test(errcap_big),
        cmocka_unit_test(errcap_utf8_cut),
        cmocka_unit_test(hitl_table),
        cmocka_unit_test(hitl_held),
        cmocka_unit_test(input_parse),
        cmocka_unit_test(claude_args),
        cmocka_unit_test(amp_args),
        cmocka_unit_test(env_merge),
        cmocka_unit_test(prime_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
