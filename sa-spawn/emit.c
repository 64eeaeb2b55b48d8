/*
 * emit.c — sa-spawn's own output lines: JSON objects whose first key is
 * "sa" (cJSON keeps insertion order).  They go into the same output buffer
 * as the agent's lines, so order is preserved; the session loop writes the
 * buffer with write(2) before it waits again.
 */
#include "sp.h"

#include <stdlib.h>

cJSON *sp_line_new(const char *what)
{
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddStringToObject(j, "sa", what)) sa_diex(SP_EXIT_SYS, "out of memory");
    return j;
}

void sp_emit(sp_buf *out, cJSON *j)
{
    if (!sp_buf_add_json_line(out, j)) sa_diex(SP_EXIT_SYS, "out of memory");
    cJSON_Delete(j);
}
