/*
 * nz_todo.h — the session's todo list from the internal conversions
 * todo.list, todo.call and todo.result (nz_todo.c says what each does).
 * Ownership: nz_todo_new's value is freed with nz_todo_free; nz_todo_apply
 * borrows data and returns a new cJSON array (the whole list) or NULL.
 */
#ifndef NZ_TODO_H
#define NZ_TODO_H

#include <stdbool.h>
#include <cJSON.h>

typedef struct nz_todo nz_todo;

nz_todo *nz_todo_new(void);
void nz_todo_free(nz_todo *t);
/* Whether type is one of the internal todo conversion types. */
bool nz_todo_type(const char *type);
/* Apply one conversion; the whole list [{content, status, priority?}] when
 * it changed (caller frees), else NULL. */
cJSON *nz_todo_apply(nz_todo *t, const char *type, const cJSON *data);
/* pending, in_progress or completed for an agent's status word. */
const char *nz_todo_status(const char *s);

#endif
