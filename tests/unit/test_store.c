/*
 * test_store.c — cmocka tests for lib/sa_store (and lib/sa_event): create,
 * append, canonical output, sequences continuing after reopen, session
 * bookkeeping, reads after N with limits, raw stripping, pending HITL,
 * rollback of a whole batch on failure (full disk via max_page_count, busy
 * lock, bad session id), newer schema refused, concurrent writers in
 * separate processes, data_version.
 *
 * Each test works in its own temporary directory (mkdtemp under $TMPDIR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sa_event.h"
#include "sa_store.h"

typedef struct fx { char dir[256]; char db[300]; } fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/sa.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

/* A valid sa-normalize-style event (no ids). */
static cJSON *mk(const char *session, const char *type, const char *data, const char *native,
                 const char *raw)
{
    char buf[8192];
    snprintf(buf, sizeof buf,
             "{\"time\":\"2026-02-01T10:00:00.000Z\",\"session_id\":\"%s\",\"native_session_id\":%s%s%s,"
             "\"synthetic\":false,\"source\":\"agent\",\"type\":\"%s\",\"data\":%s,\"raw\":%s}",
             session, native ? "\"" : "", native ? native : "null", native ? "\"" : "", type, data,
             raw ? raw : "null");
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    return j;
}

static cJSON *turn(const char *session) { return mk(session, "turn.started", "{\"phase\":\"started\"}", NULL, NULL); }

static void free_evs(cJSON **v, size_t n) { for (size_t i = 0; i < n; i++) cJSON_Delete(v[i]); }

static sa_store *open_rw(const fx *f)
{
    sa_store *st;
    char err[256];
    int rc = sa_store_open(f->db, 0, 0, &st, err, sizeof err);
    if (rc) print_error("open: %s\n", err);
    assert_int_equal(rc, SA_STORE_OK);
    return st;
}

static void test_append_and_reopen(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    bool created = false;
    sa_session_fields fl = { .agent = "mock", .title = "T" };
    assert_int_equal(sa_store_session_ensure(st, "s1", &fl, &created), SA_STORE_OK);
    assert_true(created);
    cJSON *ev[3] = {
        mk("s1", "session.started", "{\"metadata\":{\"agent\":\"claude\",\"agentMode\":\"plan\",\"model\":\"m1\"}}", NULL, NULL),
        mk("s1", "item.delta", "{\"item_id\":\"itm_7\",\"native_item_id\":null,\"delta\":\"x\"}", "nat-1", "{\"a\":1}"),
        turn("s1"),
    };
    sa_event_list out;
    assert_int_equal(sa_store_append(st, "s1", ev, 3, &out), SA_STORE_OK);
    assert_int_equal(out.n, 3);
    assert_int_equal(out.v[0].sequence, 1);
    assert_int_equal(out.v[2].sequence, 3);
    assert_string_equal(out.v[1].type, "item.delta");
    /* canonical key order, ids first, raw last */
    assert_int_equal(strncmp(out.v[0].json, "{\"event_id\":\"evt_1\",\"sequence\":1,\"time\":", 40), 0);
    assert_non_null(strstr(out.v[1].json, ",\"raw\":{\"a\":1}}"));
    /* native id adopted by the third event (its own was null) */
    assert_non_null(strstr(out.v[2].json, "\"native_session_id\":\"nat-1\""));
    assert_non_null(strstr(out.v[0].json, "\"native_session_id\":null"));
    sa_event_list_free(&out);
    free_evs(ev, 3);
    sa_store_close(st);

    st = open_rw(f);
    cJSON *more[2] = { turn("s1"), mk("s1", "session.ended", "{\"reason\":\"completed\",\"terminated_by\":\"agent\"}", NULL, NULL) };
    assert_int_equal(sa_store_append(st, "s1", more, 2, &out), SA_STORE_OK);
    assert_int_equal(out.v[0].sequence, 4);
    assert_int_equal(strncmp(out.v[1].json, "{\"event_id\":\"evt_5\",\"sequence\":5,\"time\"", 39), 0);
    sa_event_list_free(&out);
    free_evs(more, 2);

    sa_session s;
    assert_int_equal(sa_store_session_get(st, "s1", &s), SA_STORE_OK);
    assert_int_equal(s.event_count, 5);
    assert_int_equal(s.last_sequence, 5);
    assert_int_equal(s.max_item, 7);
    assert_string_equal(s.agent, "mock");            /* given field wins over metadata */
    assert_string_equal(s.agent_mode, "plan");       /* unknown field filled from metadata */
    assert_string_equal(s.model, "m1");
    assert_string_equal(s.native_session_id, "nat-1");
    assert_string_equal(s.title, "T");
    assert_null(s.directory);
    assert_true(s.ended_at > 0);
    assert_string_equal(s.ended_reason, "completed");
    cJSON *j = sa_session_to_json(&s);
    char *txt = cJSON_PrintUnformatted(j);
    static const char want[] = "{\"sessionId\":\"s1\",\"agent\":\"mock\",\"agentMode\":\"plan\","
                               "\"permissionMode\":\"default\",\"model\":\"m1\",\"variant\":null,"
                               "\"nativeSessionId\":\"nat-1\",\"ended\":true,\"eventCount\":5,\"createdAt\":";
    assert_int_equal(strncmp(txt, want, sizeof want - 1), 0);
    assert_non_null(strstr(txt, "\"directory\":null,\"title\":\"T\"}"));
    free(txt);
    cJSON_Delete(j);
    sa_session_clear(&s);

    uint64_t last = 0;
    assert_int_equal(sa_store_last_sequence(st, "s1", &last), SA_STORE_OK);
    assert_int_equal(last, 5);
    assert_int_equal(sa_store_last_sequence(st, "nope", &last), SA_STORE_NOTFOUND);
    assert_int_equal(sa_store_session_get(st, "nope", &s), SA_STORE_NOTFOUND);
    sa_store_close(st);
}

static void test_read_after_limit_raw(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    cJSON *ev[10];
    for (int i = 0; i < 10; i++)
        ev[i] = mk("s2", "item.delta", "{\"item_id\":\"itm_1\",\"native_item_id\":null,\"delta\":\"d\"}", NULL,
                   "{\"raw\":\"\\\",\\\"raw\\\":1\"}");
    assert_int_equal(sa_store_append(st, "s2", ev, 10, NULL), SA_STORE_OK);
    free_evs(ev, 10);
    sa_event_list l;
    assert_int_equal(sa_store_read(st, "s2", 3, 4, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 4);
    assert_true(l.has_more);
    assert_int_equal(l.v[0].sequence, 4);
    assert_int_equal(l.v[3].sequence, 7);
    size_t n = strlen(l.v[0].json);
    assert_int_equal(n, l.v[0].len);
    assert_string_equal(l.v[0].json + n - 12, ",\"raw\":null}");
    cJSON *p = cJSON_Parse(l.v[0].json);           /* still valid JSON */
    assert_non_null(p);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(p, "raw")));
    cJSON_Delete(p);
    sa_event_list_free(&l);

    assert_int_equal(sa_store_read(st, "s2", 7, 0, true, &l), SA_STORE_OK);
    assert_int_equal(l.n, 3);
    assert_false(l.has_more);
    p = cJSON_Parse(l.v[2].json);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "raw"), "raw")->valuestring, "\",\"raw\":1");
    cJSON_Delete(p);
    sa_event_list_free(&l);

    assert_int_equal(sa_store_read(st, "s2", 10, 5, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 0);
    assert_false(l.has_more);
    sa_event_list_free(&l);

    assert_int_equal(sa_store_read_tail(st, "s2", 0, 3, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.v[0].sequence, 10);
    assert_int_equal(l.v[2].sequence, 8);
    sa_event_list_free(&l);
    assert_int_equal(sa_store_read_tail(st, "s2", 3, 0, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].sequence, 2);
    sa_event_list_free(&l);

    assert_int_equal(sa_store_read(st, "nope", 0, 0, false, &l), SA_STORE_NOTFOUND);
    sa_store_close(st);
}

static void test_pending(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    cJSON *ev[4] = {
        mk("s3", "permission.requested", "{\"permission_id\":\"p1\",\"action\":\"a\",\"status\":\"requested\",\"metadata\":null}", NULL, NULL),
        mk("s3", "question.requested", "{\"question_id\":\"q1\",\"prompt\":\"?\",\"options\":[],\"response\":null,\"status\":\"requested\"}", NULL, NULL),
        mk("s3", "permission.requested", "{\"permission_id\":\"p2\",\"action\":\"a\",\"status\":\"requested\",\"metadata\":null}", NULL, NULL),
        mk("s3", "permission.resolved", "{\"permission_id\":\"p1\",\"action\":\"a\",\"status\":\"reject\",\"metadata\":null}", NULL, NULL),
    };
    assert_int_equal(sa_store_append(st, "s3", ev, 4, NULL), SA_STORE_OK);
    free_evs(ev, 4);
    sa_event_list l;
    assert_int_equal(sa_store_pending(st, "s3", false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].sequence, 2);
    assert_string_equal(l.v[0].type, "question.requested");
    assert_int_equal(l.v[1].sequence, 3);
    sa_event_list_free(&l);
    sa_store_close(st);
}

static void test_rollback_full(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    cJSON *one[1] = { turn("s4") };
    assert_int_equal(sa_store_append(st, "s4", one, 1, NULL), SA_STORE_OK);
    free_evs(one, 1);
    assert_int_equal(sa_store_set_max_pages(st, 12), SA_STORE_OK);
    /* 50 events with 4 KiB raw each cannot fit in 12 pages */
    static char raw[4200];
    raw[0] = '"';
    memset(raw + 1, 'r', 4096);
    raw[4097] = '"';
    raw[4098] = '\0';
    cJSON *ev[50];
    for (int i = 0; i < 50; i++) ev[i] = mk("s4", "turn.started", "{\"phase\":\"started\"}", "n", raw);
    sa_event_list out;
    int rc = sa_store_append(st, "s4", ev, 50, &out);
    assert_int_equal(rc, SA_STORE_FULL);
    assert_null(out.v);
    assert_non_null(strstr(sa_store_errmsg(st), "full"));
    free_evs(ev, 50);
    uint64_t last;
    assert_int_equal(sa_store_last_sequence(st, "s4", &last), SA_STORE_OK);
    assert_int_equal(last, 1);                     /* nothing of the batch */
    sa_event_list l;
    assert_int_equal(sa_store_read(st, "s4", 0, 0, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 1);
    sa_event_list_free(&l);
    sa_session s;
    assert_int_equal(sa_store_session_get(st, "s4", &s), SA_STORE_OK);
    assert_int_equal(s.event_count, 1);
    assert_null(s.native_session_id);
    sa_session_clear(&s);
    /* the store stays usable */
    assert_int_equal(sa_store_set_max_pages(st, 100000), SA_STORE_OK);
    cJSON *again[1] = { turn("s4") };
    assert_int_equal(sa_store_append(st, "s4", again, 1, &out), SA_STORE_OK);
    assert_int_equal(out.v[0].sequence, 2);
    sa_event_list_free(&out);
    free_evs(again, 1);
    sa_store_close(st);
}

static void test_invalid_session_and_busy(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    cJSON *ev[2] = { turn("s5"), turn("other") };
    assert_int_equal(sa_store_append(st, "s5", ev, 2, NULL), SA_STORE_INVALID);
    uint64_t last;
    assert_int_equal(sa_store_last_sequence(st, "s5", &last), SA_STORE_NOTFOUND);
    sa_store_close(st);

    /* another connection holds the write lock: a short busy timeout fails
     * the append cleanly */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    char err[256];
    assert_int_equal(sa_store_open(f->db, 0, 30, &st, err, sizeof err), SA_STORE_OK);
    int rc = sa_store_append(st, "s5", ev, 1, NULL);
    assert_int_equal(rc, SA_STORE_BUSY);
    assert_non_null(strstr(sa_store_errmsg(st), "locked"));
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sa_store_append(st, "s5", ev, 1, NULL), SA_STORE_OK);
    assert_int_equal(sa_store_last_sequence(st, "s5", &last), SA_STORE_OK);
    assert_int_equal(last, 1);
    free_evs(ev, 2);
    sa_store_close(st);
    sqlite3_close(db);
}

static void test_schema_versions(void **state)
{
    fx *f = *state;
    sa_store *st;
    char err[256];
    /* read-only open of a missing file fails; nothing is created */
    assert_int_equal(sa_store_open(f->db, SA_STORE_RDONLY, 0, &st, err, sizeof err), SA_STORE_CANTOPEN);
    assert_null(st);
    assert_int_equal(access(f->db, F_OK), -1);
    st = open_rw(f);
    sa_store_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), SA_STORE_SCHEMA_VERSION);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sa_store_open(f->db, 0, 0, &st, err, sizeof err), SA_STORE_SCHEMA);
    assert_non_null(strstr(err, "newer"));
    assert_int_equal(sa_store_open(f->db, SA_STORE_RDONLY, 0, &st, err, sizeof err), SA_STORE_SCHEMA);

    /* a file that is not a database */
    FILE *fp = fopen(f->db, "w");
    fputs("this is not sqlite, just text long enough to have a header of sorts........\n", fp);
    fclose(fp);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", f->db);
    unlink(wal);
    assert_int_equal(sa_store_open(f->db, 0, 0, &st, err, sizeof err), SA_STORE_SCHEMA);
}

static void test_concurrent_processes(void **state)
{
    fx *f = *state;
    enum { KIDS = 3, BATCHES = 40, PER = 5 };
    pid_t kids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            sa_store *st;
            char err[256];
            if (sa_store_open(f->db, 0, 0, &st, err, sizeof err)) _exit(10);
            for (int b = 0; b < BATCHES; b++) {
                cJSON *ev[PER];
                for (int i = 0; i < PER; i++) ev[i] = turn(k == 2 ? "solo" : "shared");
                int rc = sa_store_append(st, k == 2 ? "solo" : "shared", ev, PER, NULL);
                for (int i = 0; i < PER; i++) cJSON_Delete(ev[i]);
                if (rc) _exit(20 + rc);
            }
            sa_store_close(st);
            _exit(0);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    sa_store *st = open_rw(f);
    sa_event_list l;
    assert_int_equal(sa_store_read(st, "shared", 0, 0, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 2 * BATCHES * PER);
    for (size_t i = 0; i < l.n; i++) assert_int_equal(l.v[i].sequence, i + 1);
    sa_event_list_free(&l);
    sa_session s;
    assert_int_equal(sa_store_session_get(st, "solo", &s), SA_STORE_OK);
    assert_int_equal(s.event_count, BATCHES * PER);
    assert_int_equal(s.last_sequence, BATCHES * PER);
    sa_session_clear(&s);
    sa_session *v;
    size_t n;
    assert_int_equal(sa_store_session_list(st, &v, &n), SA_STORE_OK);
    assert_int_equal(n, 2);
    sa_session_list_free(v, n);
    sa_store_close(st);
}

static void test_data_version(void **state)
{
    fx *f = *state;
    sa_store *w = open_rw(f);
    assert_int_equal(sa_store_session_ensure(w, "s6", NULL, NULL), SA_STORE_OK);
    sa_store *r;
    char err[256];
    assert_int_equal(sa_store_open(f->db, SA_STORE_RDONLY, 0, &r, err, sizeof err), SA_STORE_OK);
    int64_t a, b, c;
    assert_int_equal(sa_store_data_version(r, &a), SA_STORE_OK);
    assert_int_equal(sa_store_data_version(r, &b), SA_STORE_OK);
    assert_true(a == b);
    cJSON *ev[1] = { turn("s6") };
    assert_int_equal(sa_store_append(w, "s6", ev, 1, NULL), SA_STORE_OK);
    cJSON_Delete(ev[0]);
    assert_int_equal(sa_store_data_version(r, &c), SA_STORE_OK);
    assert_true(c != b);
    /* a read-only store refuses to write */
    ev[0] = turn("s6");
    assert_int_not_equal(sa_store_append(r, "s6", ev, 1, NULL), SA_STORE_OK);
    cJSON_Delete(ev[0]);
    sa_store_close(r);
    sa_store_close(w);
}


static void test_config(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    char *j = NULL;
    assert_int_equal(sa_store_config_get(st, "mcp", "/w", "srv", &j), SA_STORE_NOTFOUND);
    assert_null(j);
    assert_int_equal(sa_store_config_put(st, "mcp", "/w", "srv", "{\"type\":\"local\"}"), SA_STORE_OK);
    assert_int_equal(sa_store_config_put(st, "mcp", "/w", "srv", "{\"type\":\"remote\"}"), SA_STORE_OK);  /* replaces */
    assert_int_equal(sa_store_config_put(st, "mcp", "/w", "aaa", "{}"), SA_STORE_OK);
    assert_int_equal(sa_store_config_put(st, "mcp", "/other", "x", "{}"), SA_STORE_OK);
    assert_int_equal(sa_store_config_put(st, "skills", "/w", "srv", "[]"), SA_STORE_OK);
    assert_int_equal(sa_store_config_get(st, "mcp", "/w", "srv", &j), SA_STORE_OK);
    assert_string_equal(j, "{\"type\":\"remote\"}");
    free(j);
    cJSON *l = NULL;
    assert_int_equal(sa_store_config_list(st, "mcp", "/w", &l), SA_STORE_OK);
    char *t = cJSON_PrintUnformatted(l);
    assert_string_equal(t, "{\"aaa\":{},\"srv\":{\"type\":\"remote\"}}");   /* by name; scope and kind apart */
    free(t);
    cJSON_Delete(l);
    assert_int_equal(sa_store_config_delete(st, "mcp", "/w", "srv"), SA_STORE_OK);
    assert_int_equal(sa_store_config_delete(st, "mcp", "/w", "srv"), SA_STORE_OK);         /* idempotent */
    assert_int_equal(sa_store_config_get(st, "mcp", "/w", "srv", &j), SA_STORE_NOTFOUND);
    sa_store_close(st);
    st = open_rw(f);                                                   /* kept across opens */
    assert_int_equal(sa_store_config_get(st, "skills", "/w", "srv", &j), SA_STORE_OK);
    free(j);
    sa_store_close(st);
}

static void test_v1_database_readable(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    sa_store_close(st);
    sqlite3 *db;        /* make it look like a v1 database (no config table) */
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE config; PRAGMA user_version=1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256];
    assert_int_equal(sa_store_open(f->db, SA_STORE_RDONLY, 0, &st, err, sizeof err), SA_STORE_OK);
    cJSON *l = NULL;
    assert_int_equal(sa_store_config_list(st, "mcp", "/w", &l), SA_STORE_OK);   /* nothing stored */
    assert_int_equal(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);
    sa_store_close(st);
    st = open_rw(f);                                                   /* a writer migrates it */
    assert_int_equal(sa_store_config_put(st, "mcp", "/w", "a", "{}"), SA_STORE_OK);
    sa_store_close(st);
}

static void test_event_helpers(void **state)
{
    (void)state;
    cJSON *ev = cJSON_Parse("{\"type\":\"item.completed\",\"data\":{\"item\":{\"item_id\":\"itm_12\","
                            "\"parent_id\":\"itm_40\"}}}");
    assert_int_equal(sa_event_max_item(ev), 40);
    cJSON_Delete(ev);
    ev = cJSON_Parse("{\"data\":{\"item_id\":\"tmp_claude_1\"}}");
    assert_int_equal(sa_event_max_item(ev), 0);
    cJSON_Delete(ev);
    size_t n;
    assert_null(sa_event_without_raw("{\"a\":1}", 7, 3, &n));
}

/* sa_store_session_delete removes the session, its events and pending
 * requests, leaves other sessions alone; a second delete is NOTFOUND; the
 * id starts afresh at sequence 1. */
static void test_session_delete(void **state)
{
    fx *f = *state;
    sa_store *st = open_rw(f);
    cJSON *ev[3] = { turn("a"),
                     mk("a", "permission.requested",
                        "{\"permission_id\":\"p1\",\"action\":\"x\",\"status\":\"requested\",\"metadata\":null}",
                        NULL, NULL),
                     turn("a") };
    assert_int_equal(sa_store_append(st, "a", ev, 3, NULL), SA_STORE_OK);
    cJSON *evb[1] = { turn("b") };
    assert_int_equal(sa_store_append(st, "b", evb, 1, NULL), SA_STORE_OK);
    assert_int_equal(sa_store_session_delete(st, "a"), SA_STORE_OK);
    sa_session row;
    assert_int_equal(sa_store_session_get(st, "a", &row), SA_STORE_NOTFOUND);
    sa_event_list l = {0};
    assert_int_equal(sa_store_read(st, "a", 0, 0, false, &l), SA_STORE_NOTFOUND);
    assert_int_equal(sa_store_session_delete(st, "a"), SA_STORE_NOTFOUND);
    assert_int_equal(sa_store_read(st, "b", 0, 0, false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 1);
    sa_event_list_free(&l);
    /* the same id again: a new session, sequences from 1, no stale pending request */
    cJSON *again[1] = { turn("a") };
    sa_event_list out = {0};
    assert_int_equal(sa_store_append(st, "a", again, 1, &out), SA_STORE_OK);
    assert_int_equal(out.v[0].sequence, 1);
    sa_event_list_free(&out);
    assert_int_equal(sa_store_pending(st, "a", false, &l), SA_STORE_OK);
    assert_int_equal(l.n, 0);
    sa_event_list_free(&l);
    free_evs(ev, 3); free_evs(evb, 1); free_evs(again, 1);
    sa_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_after_limit_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_session_and_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_database_readable, setup, teardown),
        cmocka_unit_test(test_event_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
