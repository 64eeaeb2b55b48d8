/*
 * input.c — universal input commands (one JSON object per line, see
 * sa-spawn(1)) parsed and validated into an sp_cmd.  The sp_cmd owns the
 * parsed cJSON tree; its string fields point into it.  Also the
 * sandbox-agent rule that turns a message plus attachments into prompt text.
 */
#include "sp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

void sp_cmd_free(sp_cmd *c)
{
    cJSON_Delete(c->json);
    memset(c, 0, sizeof *c);
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); sp_cmd_free(c); return -1; } while (0)

int sp_cmd_parse(const char *line, sp_cmd *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->json = cJSON_Parse(line);
    if (!c->json) FAIL("invalid JSON");
    if (!cJSON_IsObject(c->json)) FAIL("not a JSON object");
    const char *type = str(c->json, "type");
    if (!type) FAIL("missing \"type\"");
    if (strcmp(type, "message") == 0) {
        c->type = SP_CMD_MESSAGE;
        c->message = str(c->json, "message");
        if (!c->message) FAIL("message: \"message\" must be a string");
        cJSON *a = cJSON_GetObjectItemCaseSensitive(c->json, "attachments");
        if (a && !cJSON_IsNull(a)) {
            if (!cJSON_IsArray(a)) FAIL("message: \"attachments\" must be an array");
            cJSON *e;
            cJSON_ArrayForEach(e, a)
                if (!cJSON_IsObject(e) || !str(e, "path"))
                    FAIL("message: every attachment needs a string \"path\"");
            c->attachments = a;
        }
    } else if (strcmp(type, "permission.reply") == 0) {
        c->type = SP_CMD_PERM_REPLY;
        c->id = str(c->json, "permission_id");
        c->reply = str(c->json, "reply");
        c->actor = str(c->json, "actor");
        if (!c->id) FAIL("permission.reply: \"permission_id\" must be a string");
        if (!c->reply || (strcmp(c->reply, "once") && strcmp(c->reply, "always") && strcmp(c->reply, "reject")))
            FAIL("permission.reply: \"reply\" must be once, always or reject");
    } else if (strcmp(type, "question.reply") == 0) {
        c->type = SP_CMD_Q_REPLY;
        c->id = str(c->json, "question_id");
        c->answers = cJSON_GetObjectItemCaseSensitive(c->json, "answers");
        c->actor = str(c->json, "actor");
        if (!c->id) FAIL("question.reply: \"question_id\" must be a string");
        if (!cJSON_IsArray(c->answers)) FAIL("question.reply: \"answers\" must be an array of arrays of strings");
        cJSON *row, *v;
        cJSON_ArrayForEach(row, c->answers) {
            if (!cJSON_IsArray(row)) FAIL("question.reply: \"answers\" must be an array of arrays of strings");
            cJSON_ArrayForEach(v, row)
                if (!cJSON_IsString(v)) FAIL("question.reply: \"answers\" must be an array of arrays of strings");
        }
    } else if (strcmp(type, "question.reject") == 0) {
        c->type = SP_CMD_Q_REJECT;
        c->id = str(c->json, "question_id");
        if (!c->id) FAIL("question.reject: \"question_id\" must be a string");
        c->actor = str(c->json, "actor");
    } else if (strcmp(type, "cancel") == 0) {
        c->type = SP_CMD_CANCEL;
    } else if (strcmp(type, "terminate") == 0) {
        c->type = SP_CMD_TERMINATE;
    } else if (strcmp(type, "park") == 0) {
        c->type = SP_CMD_PARK;
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(c->json, "idle_ms");
        c->idle_ms = -1;
        if (ms && (!cJSON_IsNumber(ms) || ms->valuedouble < 0 || ms->valuedouble > 9e15))
            FAIL("park: \"idle_ms\" must be a non-negative number");
        if (ms) c->idle_ms = (int64_t)ms->valuedouble;
    } else {
        FAIL("unknown command type: %.100s", type);
    }
    return 0;
}

char *sp_prompt_text(const char *message, const cJSON *attachments)
{
    sp_buf b = { 0 };
    sp_buf_adds(&b, message);
    if (cJSON_GetArraySize(attachments) > 0) {
        sp_buf_adds(&b, "\n\nAttachments:\n");
        const cJSON *e;
        cJSON_ArrayForEach(e, attachments) {
            sp_buf_adds(&b, "- ");
            sp_buf_adds(&b, str(e, "path"));
            sp_buf_adds(&b, "\n");
        }
    }
    sp_buf_add(&b, "", 1);
    return b.p;
}

char *sp_prime_join(const char *prime, const char *text)
{
    size_t n = (prime ? strlen(prime) + 2 : 0) + strlen(text) + 1;
    char *full = malloc(n);
    if (!full) sa_diex(SP_EXIT_SYS, "out of memory");
    if (prime) snprintf(full, n, "%s\n\n%s", prime, text);
    else memcpy(full, text, n);
    return full;
}
