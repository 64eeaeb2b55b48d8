/*
 * cmds.c — what the mock does with one user message.
 *
 * mc_run() emits the user item, picks the command from the first word
 * (case-insensitive) and emits its lines; main.c adds turn.ended.  Every
 * native id starts with the message prefix "mock_<k>".  Assistant replies
 * are item.started (empty, in_progress), one item.delta per word, then
 * item.completed with the whole text.  permission/question requests wait for
 * their replies on stdin; burst and sleep watch stdin for cancel.
 */
#include "mock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BURST_MAX_N    10000000ull
#define BURST_MAX_SIZE 65536ull
#define SLEEP_MAX_MS   3600000ull

static void id_raw(const char *suffix)
{
    mo_str(M.prefix);
    if (suffix && *suffix) { mo_raw("_", 1); mo_str(suffix); }
}

static void id_json(const char *suffix)
{
    char b[160];
    snprintf(b, sizeof b, "%s%s%s", M.prefix, suffix && *suffix ? "_" : "", suffix ? suffix : "");
    mo_jstr(b, strlen(b));
}

/* parent: the suffix of the parent item's native id, or NULL (no parent). */
static void item_line(const char *event, const char *suffix, const char *parent, const char *kind,
                      const char *role, const char *content_json, const char *status)
{
    mo_str("{\"mock\":\""); mo_str(event); mo_str("\",\"item\":{\"native_item_id\":");
    id_json(suffix);
    mo_str(",\"parent_id\":");
    if (parent) id_json(parent);
    else mo_str("null");
    mo_str(",\"kind\":\""); mo_str(kind); mo_str("\",\"role\":");
    if (role) { mo_raw("\"", 1); mo_str(role); mo_raw("\"", 1); } else mo_str("null");
    mo_str(",\"content\":"); mo_str(content_json);
    mo_str(",\"status\":\""); mo_str(status); mo_str("\"}}");
    mo_end_line();
}

void mc_item_line(const char *event, const char *suffix, const char *kind, const char *role,
                  const char *content_json, const char *status)
{
    item_line(event, suffix, NULL, kind, role, content_json, status);
}

/* An item that starts and completes at once with the given content; parent
 * as for item_line. */
static void item_pair_of(const char *suffix, const char *parent, const char *kind, const char *role,
                         cJSON *content, const char *final_status)
{
    char *c = cJSON_PrintUnformatted(content);
    if (!c) sa_die(1, "out of memory");
    item_line("item.started", suffix, parent, kind, role, c, "in_progress");
    item_line("item.completed", suffix, parent, kind, role, c, final_status);
    free(c);
    cJSON_Delete(content);
}

static void item_pair(const char *suffix, const char *kind, const char *role, cJSON *content,
                      const char *final_status)
{
    item_pair_of(suffix, NULL, kind, role, content, final_status);
}

static cJSON *text_content(const char *text)
{
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "text");
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddItemToArray(a, p);
    return a;
}

static void delta(const char *suffix, const char *s, size_t n)
{
    mo_str("{\"mock\":\"item.delta\",\"native_item_id\":");
    id_json(suffix);
    mo_str(",\"delta\":");
    mo_jstr(s, n);
    mo_raw("}", 1);
    mo_end_line();
}

void mc_reply(const char *suffix, const char *text)
{
    mc_item_line("item.started", suffix, "message", "assistant", "[]", "in_progress");
    size_t n = strlen(text), i = 0;
    if (n == 0) delta(suffix, "", 0);
    while (i < n) {                       /* one delta per word (with its space) */
        size_t j = i;
        while (j < n && text[j] != ' ') j++;
        while (j < n && text[j] == ' ') j++;
        delta(suffix, text + i, j - i);
        i = j;
    }
    cJSON *c = text_content(text);
    char *cs = cJSON_PrintUnformatted(c);
    if (!cs) sa_die(1, "out of memory");
    mc_item_line("item.completed", suffix, "message", "assistant", cs, "completed");
    free(cs);
    cJSON_Delete(c);
}

static void do_help(void)
{
    mc_reply("reply", "Mock commands: help, demo, markdown, tool, status, image, unknown, "
             "permission, question, error, unparsed, end, echo TEXT, burst N [SIZE], sleep MS. "
             "Anything else is echoed.");
}

static void do_markdown(void)
{
    mc_reply("markdown", "# Mock markdown\n\n- **bold** item\n- `code` item\n\n```sh\necho mock\n```\n");
}

static void do_tool(void)
{
    char call_id[64], args[] = "{\"query\":\"example\"}", path[64];
    snprintf(call_id, sizeof call_id, "%s_call", M.prefix);
    snprintf(path, sizeof path, "%s/patch.txt", M.prefix);
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "tool_call");
    cJSON_AddStringToObject(p, "name", "mock.search");
    cJSON_AddStringToObject(p, "arguments", args);
    cJSON_AddStringToObject(p, "call_id", call_id);
    cJSON_AddItemToArray(a, p);
    item_pair("call", "tool_call", "assistant", a, "completed");

    a = cJSON_CreateArray();
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "tool_result");
    cJSON_AddStringToObject(p, "call_id", call_id);
    cJSON_AddStringToObject(p, "output", "mock tool failed: example not found");
    cJSON_AddItemToArray(a, p);
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "file_ref");
    cJSON_AddStringToObject(p, "path", path);
    cJSON_AddStringToObject(p, "action", "patch");
    cJSON_AddStringToObject(p, "diff", "@@ -1,1 +1,1 @@\n-old\n+new\n");
    cJSON_AddItemToArray(a, p);
    item_pair_of("result", "call", "tool_result", "tool", a, "failed");   /* the result belongs to its call */
}

static void do_status(void)
{
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "status");
    cJSON_AddStringToObject(p, "label", "Indexing");
    cJSON_AddStringToObject(p, "detail", "2 files");
    cJSON_AddItemToArray(a, p);
    item_pair("status", "status", "system", a, "completed");
}

static void do_image(void)
{
    char path[64];
    snprintf(path, sizeof path, "%s/image.png", M.prefix);
    cJSON *a = text_content("Here is an image.");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "image");
    cJSON_AddStringToObject(p, "path", path);
    cJSON_AddStringToObject(p, "mime", "image/png");
    cJSON_AddItemToArray(a, p);
    item_pair("image", "message", "assistant", a, "completed");
}

static void do_unknown(void)
{
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "json");
    cJSON *j = cJSON_AddObjectToObject(p, "json");
    cJSON_AddStringToObject(j, "mock", "unknown item");
    cJSON_AddItemToArray(a, p);
    item_pair("unknown", "unknown", NULL, a, "completed");
}

static void do_reasoning(void)
{
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "reasoning");
    cJSON_AddStringToObject(p, "text", "Private reasoning hidden by default.");
    cJSON_AddStringToObject(p, "visibility", "private");
    cJSON_AddItemToArray(a, p);
    item_pair("reasoning", "message", "assistant", a, "completed");
}

static void do_unparsed(void)
{
    mo_str("mock: unparsable output");
    mo_end_line();
}

static void do_error(void)
{
    mo_str("{\"mock\":\"error\",\"message\":\"Mock error event.\",\"code\":\"mock_error\",\"details\":{\"mock\":true}}");
    mo_end_line();
    do_unparsed();
}

static void do_end(void)
{
    mo_str("{\"mock\":\"session.ended\",\"reason\":\"completed\"}");
    mo_end_line();
}

/* Wait for the replies to n requests; false when cancelled.  The reply text
 * for request i is stored in out[i] (malloc'd). */
static bool wait_replies(const char *type, char ids[][64], int n, char **out)
{
    int left = n;
    while (left > 0) {
        char *line;
        int r = mi_read(-1, &line);
        if (r < 0) mock_exit();
        cJSON *j = cJSON_Parse(line);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
        bool used = false;
        if (t && strcmp(t, "cancel") == 0) {
            cJSON_Delete(j);
            free(line);
            M.cancelled = true;
            return false;
        }
        if (t && id && strcmp(t, type) == 0) {
            for (int i = 0; i < n; i++) {
                if (out[i] || strcmp(ids[i], id) != 0) continue;
                const char *v;
                if (strcmp(type, "permission") == 0) {
                    v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "reply"));
                    if (!v) v = "reject";
                } else {
                    cJSON *ans = cJSON_GetObjectItemCaseSensitive(j, "answers");
                    v = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetArrayItem(ans, 0), 0));
                    if (!cJSON_IsArray(ans)) v = "rejected";
                    else if (!v) v = "";
                }
                out[i] = strdup(v);
                if (!out[i]) sa_die(1, "out of memory");
                left--;
                used = true;
                break;
            }
        }
        cJSON_Delete(j);
        if (used) free(line);
        else mi_defer(line);              /* not for us (yet): keep it */
    }
    return true;
}

static void answer_all(char ids[][64], int n, char **got)
{
    for (int i = 0; i < n; i++) {
        if (got[i]) {
            char text[256], suffix[96];
            snprintf(text, sizeof text, "%s: %s", ids[i], got[i]);
            snprintf(suffix, sizeof suffix, "%s_reply", ids[i] + strlen(M.prefix) + 1);
            if (!M.cancelled) mc_reply(suffix, text);
        }
        free(got[i]);
    }
}

static void do_permission(void)
{
    char ids[2][64];
    snprintf(ids[0], 64, "%s_permission", M.prefix);
    snprintf(ids[1], 64, "%s_permission_denied", M.prefix);
    mo_str("{\"mock\":\"permission.requested\",\"permission_id\":"); mo_jstr(ids[0], strlen(ids[0]));
    mo_str(",\"action\":\"command_execution\",\"metadata\":{\"codexRequestKind\":\"commandExecution\","
           "\"command\":\"echo mock\"}}");
    mo_end_line();
    mo_str("{\"mock\":\"permission.requested\",\"permission_id\":"); mo_jstr(ids[1], strlen(ids[1]));
    mo_str(",\"action\":\"file_change\",\"metadata\":{\"codexRequestKind\":\"fileChange\","
           "\"path\":\""); id_raw("file.txt"); mo_str("\"}}");
    mo_end_line();
    char *got[2] = { NULL, NULL };
    wait_replies("permission", ids, 2, got);
    answer_all(ids, 2, got);
}

static void do_question(void)
{
    char ids[2][64];
    snprintf(ids[0], 64, "%s_question", M.prefix);
    snprintf(ids[1], 64, "%s_question_reject", M.prefix);
    mo_str("{\"mock\":\"question.requested\",\"question_id\":"); mo_jstr(ids[0], strlen(ids[0]));
    mo_str(",\"prompt\":\"Choose a color\",\"options\":[\"Red\",\"Blue\"]}");
    mo_end_line();
    mo_str("{\"mock\":\"question.requested\",\"question_id\":"); mo_jstr(ids[1], strlen(ids[1]));
    mo_str(",\"prompt\":\"Reject this question?\",\"options\":[\"Yes\",\"No\"]}");
    mo_end_line();
    char *got[2] = { NULL, NULL };
    wait_replies("question", ids, 2, got);
    answer_all(ids, 2, got);
}

/* ---- v0.1.11's exact test prompts (harnesses written for its mock) ---- */

/* One permission request {prefix}_permission; the reply ("reject" when
 * none came, e.g. cancel) in *got (malloc'd), false when cancelled. */
static bool ask_permission(const char *command, char **got)
{
    char ids[1][64];
    snprintf(ids[0], 64, "%s_permission", M.prefix);
    mo_str("{\"mock\":\"permission.requested\",\"permission_id\":"); mo_jstr(ids[0], strlen(ids[0]));
    mo_str(",\"action\":\"command_execution\",\"metadata\":{\"codexRequestKind\":\"commandExecution\","
           "\"command\":"); mo_jstr(command, strlen(command)); mo_str("}}");
    mo_end_line();
    *got = NULL;
    return wait_replies("permission", ids, 1, got);
}

/* "List files in the current directory using available tools.": one
 * permission request; the reply says how it was answered. */
static void do_list_files(void)
{
    char *got;
    if (!ask_permission("ls", &got)) { free(got); return; }
    char text[160];
    snprintf(text, sizeof text, strcmp(got, "reject") ? "Listed the files (permission: %s)."
                                                     : "Not listed: permission %s.", got);
    mc_reply("reply", text);
    free(got);
}

/* "Use the bash tool to run `ls` ...": a permission request, then the bash
 * tool_call and its tool_result (failed when rejected), then a reply. */
static void do_bash_ls(void)
{
    char *got;
    if (!ask_permission("ls", &got)) { free(got); return; }
    bool ok = strcmp(got, "reject") != 0;
    char call_id[64];
    snprintf(call_id, sizeof call_id, "%s_call", M.prefix);
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "tool_call");
    cJSON_AddStringToObject(p, "name", "bash");
    cJSON_AddStringToObject(p, "arguments", "{\"command\":\"ls\"}");
    cJSON_AddStringToObject(p, "call_id", call_id);
    cJSON_AddItemToArray(a, p);
    item_pair("call", "tool_call", "assistant", a, "completed");
    a = cJSON_CreateArray();
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "tool_result");
    cJSON_AddStringToObject(p, "call_id", call_id);
    cJSON_AddStringToObject(p, "output", ok ? "README.md\nsrc\n" : "permission denied");
    cJSON_AddItemToArray(a, p);
    item_pair("result", "tool_result", "tool", a, ok ? "completed" : "failed");
    mc_reply("reply", ok ? "The directory holds README.md and src." : "I could not run ls: permission denied.");
    free(got);
}

/* The AskUserQuestion prompts: one question "Proceed?" [Yes, No]. */
static void do_proceed(void)
{
    char ids[1][64];
    snprintf(ids[0], 64, "%s_question", M.prefix);
    mo_str("{\"mock\":\"question.requested\",\"question_id\":"); mo_jstr(ids[0], strlen(ids[0]));
    mo_str(",\"prompt\":\"Proceed?\",\"options\":[\"Yes\",\"No\"]}");
    mo_end_line();
    char *got[1] = { NULL };
    if (wait_replies("question", ids, 1, got)) {
        char text[160];
        snprintf(text, sizeof text, "You answered: %s.", got[0]);
        mc_reply("reply", text);
    }
    free(got[0]);
}

/* "Answer briefly and include your reasoning.": a reply with reasoning. */
static void do_reasoned_answer(void)
{
    cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "reasoning");
    cJSON_AddStringToObject(p, "text", "The user wants a short answer and the reasoning behind it.");
    cJSON_AddStringToObject(p, "visibility", "public");
    cJSON_AddItemToArray(a, p);
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "text");
    cJSON_AddStringToObject(p, "text", "Mock answer: yes, because the mock always agrees.");
    cJSON_AddItemToArray(a, p);
    item_pair("reply", "message", "assistant", a, "completed");
}

static void do_burst(const char *args)
{
    char a[32] = "", b[32] = "";
    uint64_t n = 0, size = 8;
    int f = sscanf(args, "%31s %31s", a, b);
    if (f < 1 || !sa_parse_u64(a, BURST_MAX_N, &n) ||
        (f == 2 && (!sa_parse_u64(b, BURST_MAX_SIZE, &size) || size == 0))) {
        mc_reply("reply", "usage: burst N [SIZE] (N <= 10000000, 1 <= SIZE <= 65536)");
        return;
    }
    char pre[128];
    int pl = snprintf(pre, sizeof pre, "{\"mock\":\"item.delta\",\"native_item_id\":\"%s_reply\",\"delta\":\"", M.prefix);
    /* pat[j] = 'a' + j % 26, long enough for any offset + one delta, or one chunk. */
    size_t patlen = (size_t)size + 26 > 26 * 2520 ? (size_t)size + 26 : 26 * 2520;
    char *pat = malloc(patlen);
    if (!pat) sa_die(1, "out of memory");
    for (size_t j = 0; j < patlen; j++) pat[j] = (char)('a' + j % 26);

    mc_item_line("item.started", "reply", "message", "assistant", "[]", "in_progress");
    mo_batching = true;
    uint64_t i;
    bool watch = true;
    for (i = 0; i < n; i++) {
        mo_raw(pre, (size_t)pl);
        mo_raw(pat + (i * size) % 26, (size_t)size);
        mo_raw("\"}\n", 3);
        if (M.olen >= 256 * 1024) {
            mo_flush();
            if (watch && mi_poll_cancel() < 0) watch = false;
            if (M.cancelled) { i++; break; }
        }
    }
    /* item.completed: the concatenation of the i deltas sent. */
    mo_str("{\"mock\":\"item.completed\",\"item\":{\"native_item_id\":\"");
    mo_str(M.prefix);
    mo_str("_reply\",\"parent_id\":null,\"kind\":\"message\",\"role\":\"assistant\","
           "\"content\":[{\"type\":\"text\",\"text\":\"");
    uint64_t total = i * size, chunk = 26 * 2520;
    for (uint64_t done = 0; done < total; done += chunk) {
        mo_raw(pat, (size_t)(total - done < chunk ? total - done : chunk));
        mo_maybe_flush();
    }
    mo_str("\"}],\"status\":\"");
    mo_str(M.cancelled ? "failed" : "completed");
    mo_str("\"}}");
    mo_batching = false;
    mo_end_line();
    free(pat);
}

static void do_sleep(const char *args)
{
    uint64_t ms;
    char a[32] = "";
    if (sscanf(args, "%31s", a) != 1 || !sa_parse_u64(a, SLEEP_MAX_MS, &ms)) {
        mc_reply("reply", "usage: sleep MS (MS <= 3600000)");
        return;
    }
    int64_t deadline = sa_time_mono_us() / 1000 + (int64_t)ms;
    for (;;) {
        int64_t left = deadline - sa_time_mono_us() / 1000;
        if (left <= 0) break;
        char *line;
        int r = mi_read((int)left, &line);
        if (r < 0) {                      /* end of input: nothing can cancel; sleep on */
            struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
            nanosleep(&ts, NULL);
            break;
        }
        if (r == 0) break;
        cJSON *j = cJSON_Parse(line);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
        bool cancel = t && strcmp(t, "cancel") == 0;
        cJSON_Delete(j);
        if (cancel) { free(line); M.cancelled = true; return; }
        mi_defer(line);
    }
    char text[64];
    snprintf(text, sizeof text, "slept %llu", (unsigned long long)ms);
    mc_reply("reply", text);
}

static const struct { const char *prompt, *reply; } fixed[] = {
    { "Reply with exactly the single word OK.", "OK" },
    { "Reply with exactly the word FIRST.", "FIRST" },
    { "Reply with exactly the word SECOND.", "SECOND" },
};

void mc_run(const char *text)
{
    /* the user item */
    cJSON *c = text_content(text);
    item_pair("user", "message", "user", c, "completed");

    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcasecmp(text, fixed[i].prompt) == 0) { mc_reply("reply", fixed[i].reply); return; }
    if (strcasecmp(text, "Provide a short status update.") == 0) { do_status(); return; }
    if (strcasecmp(text, "List files in the current directory using available tools.") == 0) { do_list_files(); return; }
    if (strcasecmp(text, "Use the bash tool to run `ls` in the current directory. "
                         "Do not answer without using the tool.") == 0) { do_bash_ls(); return; }
    if (strcasecmp(text, "Use the AskUserQuestion tool to ask exactly one yes/no question, then wait for a reply. "
                         "Do not answer yourself.") == 0 ||
        strcasecmp(text, "Call the AskUserQuestion tool with exactly one yes/no question and wait for a reply. "
                         "Do not answer yourself.") == 0) { do_proceed(); return; }
    if (strcasecmp(text, "Answer briefly and include your reasoning.") == 0) { do_reasoned_answer(); return; }

    const char *s = text;
    while (isspace((unsigned char)*s)) s++;
    char word[32];
    size_t n = 0;
    while (s[n] && !isspace((unsigned char)s[n])) n++;
    if (n >= sizeof word) n = 0;         /* too long to be a command */
    memcpy(word, s, n);
    word[n] = '\0';
    const char *rest = s + n;
    while (isspace((unsigned char)*rest)) rest++;

#define IS(w) (strcasecmp(word, (w)) == 0)
    if (IS("help")) do_help();
    else if (IS("demo")) {
        mc_reply("demo_start", "Mock demo: start.");
        do_markdown(); do_tool(); do_status(); do_image(); do_unknown(); do_reasoning();
        mc_reply("demo_end", "Mock demo: end.");
    }
    else if (IS("markdown")) do_markdown();
    else if (IS("tool") || IS("tools") || IS("tooling")) do_tool();
    else if (IS("status")) do_status();
    else if (IS("image")) do_image();
    else if (IS("unknown")) do_unknown();
    else if (IS("permission") || IS("permissions")) do_permission();
    else if (IS("question") || IS("questions")) do_question();
    else if (IS("error")) do_error();
    else if (IS("unparsed")) do_unparsed();
    else if (IS("end") || IS("ended") || IS("session.end")) do_end();
    else if (IS("echo") || IS("say")) mc_reply("reply", rest);
    else if (IS("burst")) do_burst(rest);
    else if (IS("sleep")) do_sleep(rest);
    else mc_reply("reply", text);
#undef IS
}
