/*
 * sa_pq.c — fills the libpq call table of sa_pq.h with dlopen/dlsym, once.
 * The library handle is kept for the life of the process (never dlclose'd:
 * libpq registers atexit and TLS state).
 */
#define SA_PQ_IMPL
#include "sa_pq.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

sa_pq_api sa_pq;
static bool loaded;

int sa_pq_load(char *err, size_t n)
{
    if (loaded) return 0;
    void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, n, "cannot load libpq: %s", dlerror());
        return -1;
    }
    sa_pq_api api;
#define SA_PQ_SYM(ret, name, args)                                              \
    *(void **)&api.name = dlsym(h, #name);                                      \
    if (!api.name) {                                                            \
        snprintf(err, n, "cannot load libpq: %s is missing", #name);            \
        return -1;                                                              \
    }
    SA_PQ_FUNCS(SA_PQ_SYM)
#undef SA_PQ_SYM
    sa_pq = api;
    loaded = true;
    return 0;
}
