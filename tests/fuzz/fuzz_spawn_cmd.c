/*
 * fuzz_spawn_cmd.c — libFuzzer target: sa-spawn's input command parser
 * (sa-spawn/input.c, sp_cmd_parse) on one arbitrary line, as sa-spawn
 * reads its stdin, and for a message the prompt text built from it
 * (sp_prompt_text).  Ownership: the sp_cmd and the text are freed here.
 */
#include "sp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line) return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    sp_cmd c;
    char err[256];
    if (sp_cmd_parse(line, &c, err, sizeof err) == 0) {
        if (c.type == SP_CMD_MESSAGE && c.message) {
            char *t = sp_prompt_text(c.message, c.attachments);
            free(t);
        }
        sp_cmd_free(&c);
    } else if (!memchr(err, '\0', sizeof err)) {
        abort();
    }
    free(line);
    return 0;
}
