/*
 * fuzz_normalize.c — libFuzzer target: sa-normalize's line path in C for
 * each agent (sa-normalize/nz_pump.c helpers, nz_scan.c, nz_state.c).
 *
 * The input's first byte picks the agent (mock, claude, codex, opencode,
 * pi, amp: each has its own nz_agent_flags); the rest is split into lines
 * and each line goes the way the pump sends it: UTF-8 repair
 * (nz_utf8_fix), control characters escaped (nz_line_canon), the fast
 * scanner (nz_scan_line), the C fast path of mock, claude and codex (a
 * delta decoded without a tree, nz_fast_delta_parse, must agree with its
 * cJSON reading, nz_fast_convert, and goes to nz_state_delta; else that
 * reading's conversions to nz_state_conversions), cJSON with the depth
 * check (nz_json_depth), then an sa-spawn line to nz_state_sa_line, an
 * array to nz_state_conversions (what a mapping program may answer: any
 * array of conversions, so this covers whatever any agent's jq program can
 * produce, without running jq in the fuzzer), anything else to
 * nz_state_unparsed.  A fresh nz_state per input (deterministic).  Every
 * emitted event is parsed back: the state machine must print JSON.
 * Ownership: everything is freed per input.
 */
#include "nz_fast.h"
#include "nz_pump.h"
#include "nz_scan.h"
#include "nz_state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void emit(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    cJSON *j = cJSON_ParseWithLength(line, len);
    if (!j) {                        /* sa-normalize printed something that is not JSON */
        fprintf(stderr, "not JSON: %.*s\n", (int)(len < 2000 ? len : 2000), line);
        abort();
    }
    cJSON_Delete(j);
}

/* v is the string s, or null/absent when s is NULL. */
static bool same_str(const cJSON *v, const char *s)
{
    if (!s) return !v || cJSON_IsNull(v);
    return cJSON_IsString(v) && !strcmp(v->valuestring, s);
}

static void one_line(nz_state *st, nz_fast_kind fast, char *line, size_t len)
{
    size_t fl;
    char *fixed = nz_utf8_fix(line, len, &fl);
    if (!fixed) { fixed = strdup(line); fl = len; }
    if (!fixed) return;
    nz_raw raw = { NZ_RAW_STRING, fixed };
    if (nz_line_canon(&fixed, &fl) < 0) {
        raw.text = fixed;
        nz_state_unparsed(st, "line is not JSON", "fuzz.stdout", raw);
        free(fixed);
        return;
    }
    char *l = fixed;
    size_t n = fl;
    raw.text = l;
    bool plain = nz_scan_line(l, n) == NZ_SCAN_PLAIN;
    nz_fast_delta *d = plain ? nz_fast_delta_parse(fast, l, n) : NULL;
    cJSON *conv = plain ? nz_fast_convert(fast, l, n) : NULL;
    if (d) {                         /* the text decoder must agree with cJSON's */
        const cJSON *c = cJSON_GetArrayItem(conv, 0), *data = cJSON_GetObjectItemCaseSensitive(c, "data");
        if (!c || !same_str(cJSON_GetObjectItemCaseSensitive(c, "native_session_id"), d->nsid) ||
            !same_str(cJSON_GetObjectItemCaseSensitive(data, "native_item_id"), d->nid) ||
            !same_str(cJSON_GetObjectItemCaseSensitive(data, "delta"), d->delta)) {
            fprintf(stderr, "fast paths disagree on: %s\n", l);
            abort();
        }
        nz_state_delta(st, d->nsid, d->nid, d->delta, (nz_raw){ NZ_RAW_JSON, l });
        free(d);
        cJSON_Delete(conv);
        free(fixed);
        return;
    }
    if (conv) {
        nz_state_conversions(st, conv, (nz_raw){ NZ_RAW_JSON, l });
        cJSON_Delete(conv);
        free(fixed);
        return;
    }
    cJSON *v = cJSON_ParseWithOpts(l, NULL, 1);      /* as the pump: up to the first NUL */
    if (!v) nz_state_unparsed(st, "line is not JSON", "fuzz.stdout", raw);
    else if (nz_json_depth(v, NZ_JQ_DEPTH + 1) > NZ_JQ_DEPTH) nz_state_unparsed(st, "deep", "fuzz.stdout", raw);
    else if (cJSON_IsObject(v) && v->child && v->child->string && !strcmp(v->child->string, "sa") &&
             cJSON_IsString(v->child))
        nz_state_sa_line(st, v, (nz_raw){ NZ_RAW_JSON, l });
    else if (cJSON_IsArray(v)) nz_state_conversions(st, v, (nz_raw){ NZ_RAW_JSON, l });
    else nz_state_unparsed(st, "not a conversion array", "fuzz.jq", raw);
    cJSON_Delete(v);
    free(fixed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const agents[] = { "mock", "claude", "codex", "opencode", "pi", "amp" };
    if (size < 1 || size > (1u << 20)) return 0;
    static const nz_fast_kind fasts[] = { NZ_FAST_MOCK, NZ_FAST_CLAUDE, NZ_FAST_CODEX, NZ_FAST_NONE,
                                          NZ_FAST_NONE, NZ_FAST_NONE };
    const char *agent = agents[data[0] % 6];
    nz_fast_kind fast = fasts[data[0] % 6];
    nz_opts o = { .agent = agent, .session_id = "s1", .item_start = 1, .emit = emit };
    nz_state *st = nz_state_new(&o);
    if (!st) return 0;
    nz_state_begin(st);
    char *buf = malloc(size);
    if (!buf) { nz_state_free(st); return 0; }
    memcpy(buf, data + 1, size - 1);
    size_t start = 0;
    for (size_t i = 0; i <= size - 1; i++) {
        if (i == size - 1 || buf[i] == '\n') {
            size_t len = i - start;
            char *line = malloc(len + 1);
            if (line) {
                memcpy(line, buf + start, len);
                line[len] = '\0';
                if (len) one_line(st, fast, line, len);
                free(line);
            }
            start = i + 1;
        }
    }
    free(buf);
    nz_state_free(st);
    return 0;
}
