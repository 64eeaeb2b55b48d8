/*
 * nz_todo.c — the session's todo list (extension, additive to v0.1; see
 * sa-events(7) TODO LISTS and sa-normalize(1) "Internal conversions").
 *
 * Mapping programs report todo lists with three internal conversion types,
 * never emitted themselves:
 *   todo.list   {todos: [{content, status, priority?, id?}]}
 *               the agent's whole current list (claude TodoWrite, codex
 *               turn/plan/updated, opencode todowrite / todo.updated);
 *   todo.call   {call_id, op: "add"|"update", task: {id?, content?, status?}}
 *               a tool call that will change one task once it succeeds
 *               (claude TaskCreate / TaskUpdate): remembered by call_id;
 *   todo.result {call_id, ok, id?, tasks?}
 *               that call's result: when ok, the remembered op is applied
 *               ("add" appends a task with the result's id, "update" changes
 *               the task with task.id; status "deleted" removes it); tasks,
 *               when given (claude TaskList), replaces the whole list.
 * Every change gives the caller the whole list to emit as a status item
 * labelled todo.updated.  Statuses are pending, in_progress or completed
 * (inProgress / in-progress and done / complete are read as such; anything
 * else is pending).
 *
 * Bounds: at most NZ_TODO_MAX tasks (later adds are ignored), content cut to
 * NZ_TODO_TEXT_MAX bytes, NZ_TODO_CALLS remembered calls (the oldest is
 * forgotten first).
 * Ownership: nz_todo owns its tasks and calls; conversion data is borrowed;
 * nz_todo_apply returns a new cJSON list (caller frees) or NULL.
 */
#include "nz_todo.h"
#include "sa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NZ_TODO_MAX      256
#define NZ_TODO_TEXT_MAX 4096
#define NZ_TODO_CALLS    64

typedef struct task { char *id, *content, *priority; const char *status; } task;
typedef struct call { char *call_id; bool add; char *id, *content; const char *status; bool del; } call;

struct nz_todo {
    task t[NZ_TODO_MAX];
    size_t n;
    call c[NZ_TODO_CALLS];
    size_t nc;
};

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* the id of a task given as a string or a number */
static char *id_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(v)) return sa_strdup_cut(v->valuestring, NZ_TODO_TEXT_MAX);
    if (cJSON_IsNumber(v)) {
        char b[32];
        snprintf(b, sizeof b, "%.0f", v->valuedouble);
        return sa_strdup_cut(b, NZ_TODO_TEXT_MAX);
    }
    return NULL;
}

const char *nz_todo_status(const char *s)
{
    if (!s) return "pending";
    if (!strcmp(s, "in_progress") || !strcmp(s, "inProgress") || !strcmp(s, "in-progress")) return "in_progress";
    if (!strcmp(s, "completed") || !strcmp(s, "complete") || !strcmp(s, "done")) return "completed";
    return "pending";
}

nz_todo *nz_todo_new(void)
{
    nz_todo *t = calloc(1, sizeof *t);
    if (!t) sa_diex(1, "out of memory");
    return t;
}

static void task_free(task *k) { free(k->id); free(k->content); free(k->priority); }
static void call_free(call *c) { free(c->call_id); free(c->id); free(c->content); }

static void clear_tasks(nz_todo *t)
{
    for (size_t i = 0; i < t->n; i++) task_free(&t->t[i]);
    t->n = 0;
}

void nz_todo_free(nz_todo *t)
{
    if (!t) return;
    clear_tasks(t);
    for (size_t i = 0; i < t->nc; i++) call_free(&t->c[i]);
    free(t);
}

static void add_task(nz_todo *t, const cJSON *o, const char *content_key)
{
    if (t->n >= NZ_TODO_MAX) return;
    task *k = &t->t[t->n++];
    k->id = id_of(o, "id");
    const char *c = jstr(o, content_key);
    k->content = sa_strdup_cut(c ? c : "", NZ_TODO_TEXT_MAX);
    k->status = nz_todo_status(jstr(o, "status"));
    k->priority = sa_strdup_cut(jstr(o, "priority"), NZ_TODO_TEXT_MAX);
}

static cJSON *list_json(const nz_todo *t)
{
    cJSON *l = cJSON_CreateArray();
    for (size_t i = 0; i < t->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "content", t->t[i].content);
        cJSON_AddStringToObject(o, "status", t->t[i].status);
        if (t->t[i].priority) cJSON_AddStringToObject(o, "priority", t->t[i].priority);
        cJSON_AddItemToArray(l, o);
    }
    return l;
}

static void replace(nz_todo *t, const cJSON *todos, const char *content_key)
{
    clear_tasks(t);
    const cJSON *e;
    cJSON_ArrayForEach(e, todos) if (cJSON_IsObject(e)) add_task(t, e, content_key);
}

static task *find(nz_todo *t, const char *id)
{
    for (size_t i = 0; id && i < t->n; i++)
        if (t->t[i].id && !strcmp(t->t[i].id, id)) return &t->t[i];
    return NULL;
}

static void remember(nz_todo *t, const cJSON *d)
{
    const char *cid = jstr(d, "call_id"), *op = jstr(d, "op");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "task");
    if (!cid || !op || !cJSON_IsObject(k)) return;
    if (t->nc == NZ_TODO_CALLS) {                       /* forget the oldest */
        call_free(&t->c[0]);
        memmove(&t->c[0], &t->c[1], (NZ_TODO_CALLS - 1) * sizeof t->c[0]);
        t->nc--;
    }
    call *c = &t->c[t->nc++];
    memset(c, 0, sizeof *c);
    c->call_id = sa_strdup_cut(cid, NZ_TODO_TEXT_MAX);
    c->add = !strcmp(op, "add");
    c->id = id_of(k, "id");
    c->content = sa_strdup_cut(jstr(k, "content"), NZ_TODO_TEXT_MAX);
    const char *st = jstr(k, "status");
    c->del = st && !strcmp(st, "deleted");
    c->status = st ? nz_todo_status(st) : NULL;
}

/* Apply the call answered by d; true when the list changed. */
static bool answer(nz_todo *t, const cJSON *d)
{
    const char *cid = jstr(d, "call_id");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(d, "tasks");
    bool ok = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(d, "ok")), changed = false;
    size_t i = 0;
    while (cid && i < t->nc && strcmp(t->c[i].call_id, cid)) i++;
    if (cid && i < t->nc) {
        call *c = &t->c[i];
        if (ok && c->add && t->n < NZ_TODO_MAX) {
            task *k = &t->t[t->n++];
            memset(k, 0, sizeof *k);
            k->id = id_of(d, "id");
            k->content = sa_strdup_cut(c->content ? c->content : "", NZ_TODO_TEXT_MAX);
            k->status = c->status ? c->status : "pending";
            changed = true;
        } else if (ok && !c->add) {
            task *k = find(t, c->id);
            if (k && c->del) {
                task_free(k);
                memmove(k, k + 1, (size_t)(&t->t[t->n] - (k + 1)) * sizeof *k);
                t->n--;
                changed = true;
            } else if (k) {
                if (c->content) { free(k->content); k->content = sa_strdup_cut(c->content, NZ_TODO_TEXT_MAX); }
                if (c->status) k->status = c->status;
                changed = true;
            }
        }
        call_free(c);
        memmove(c, c + 1, (t->nc - i - 1) * sizeof *c);
        t->nc--;
    }
    if (ok && cJSON_IsArray(tasks)) {
        replace(t, tasks, "content");
        changed = true;
    }
    return changed;
}

cJSON *nz_todo_apply(nz_todo *t, const char *type, const cJSON *data)
{
    if (!strcmp(type, "todo.list")) {
        replace(t, cJSON_GetObjectItemCaseSensitive(data, "todos"), "content");
        return list_json(t);
    }
    if (!strcmp(type, "todo.call")) { remember(t, data); return NULL; }
    if (!strcmp(type, "todo.result")) return answer(t, data) ? list_json(t) : NULL;
    return NULL;
}

bool nz_todo_type(const char *type)
{
    return !strcmp(type, "todo.list") || !strcmp(type, "todo.call") || !strcmp(type, "todo.result");
}
