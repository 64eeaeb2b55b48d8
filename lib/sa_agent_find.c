/*
 * sa_agent_find.c — where an agent's executable is: beside sa's own
 * executables (the mock), on $PATH, or in the agent cache that
 * tests/agents/install.sh (and so `make check`) fills with pinned npm
 * installs, CACHE/ID-VERSION/node_modules/.bin/BIN.  sa-spawn (which runs
 * the agent) and sa-serve (/v1/agents, session create) both look here, so
 * what the server lists as installed is what sa-spawn starts.
 *
 * Ownership: every returned string is malloc'd and the caller's.
 */
#include "sa_agent.h"
#include "sa.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *sa_agent_where_name(int where)
{
    switch (where) {
    case SA_AGENT_BESIDE: return "beside";
    case SA_AGENT_PATH: return "path";
    case SA_AGENT_CACHE: return "cache";
    default: return NULL;
    }
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s", a, b, c);
    return p;
}

char *sa_agent_cache_dir(void)
{
    const char *c = getenv("SA_AGENT_CACHE");
    if (c && *c) return strdup(c);
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x) return join3(x, "/sa-agents", "");
    const char *h = getenv("HOME");
    if (h && *h) return join3(h, "/.cache/sa-agents", "");
    return NULL;
}

static bool is_exec_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The newest CACHE/ID-VERSION/node_modules/.bin/BIN, or NULL. */
static char *in_cache(const char *id, const char *bin)
{
    if (strchr(bin, '/')) return NULL;
    char *cache = sa_agent_cache_dir();
    DIR *d = cache ? opendir(cache) : NULL;
    char *best = NULL, *best_ver = NULL;
    size_t idn = strlen(id);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        /* ID-VERSION; install.sh's temporary and lock files start with "." */
        if (strncmp(e->d_name, id, idn) || e->d_name[idn] != '-' || !e->d_name[idn + 1]) continue;
        const char *ver = e->d_name + idn + 1;
        if (best_ver && strverscmp(ver, best_ver) <= 0) continue;
        char *dir = join3(cache, "/", e->d_name);
        char *p = dir ? join3(dir, "/node_modules/.bin/", bin) : NULL;
        free(dir);
        if (p && is_exec_file(p)) {
            free(best);
            free(best_ver);
            best = p;
            best_ver = strdup(ver);
            if (!best_ver) { free(best); best = NULL; break; }
        } else {
            free(p);
        }
    }
    if (d) closedir(d);
    free(best_ver);
    free(cache);
    return best;
}

char *sa_agent_find(const sa_agent_desc *d, int *where)
{
    int w = SA_AGENT_NOWHERE;
    char *p = NULL;
    if (d->beside_self && !strchr(d->bin, '/')) {
        char *dir = sa_exe_dir();
        p = dir ? join3(dir, "/", d->bin) : NULL;
        free(dir);
        if (p && is_exec_file(p)) w = SA_AGENT_BESIDE;
        else { free(p); p = NULL; }
    }
    if (!p && (p = sa_find_exec(d->bin, false))) w = SA_AGENT_PATH;
    if (!p && (p = in_cache(d->id, d->bin))) w = SA_AGENT_CACHE;
    if (where) *where = w;
    return p;
}
