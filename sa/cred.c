/*
 * cred.c — `sa credentials extract|extract-env`: the API keys and OAuth
 * tokens locally installed agents would use, found as v0.1.11 finds them.
 *
 * Sources, in order (the first one found for a provider wins):
 *   environment  ANTHROPIC_API_KEY, CLAUDE_API_KEY (anthropic api_key),
 *                CLAUDE_CODE_OAUTH_TOKEN, ANTHROPIC_AUTH_TOKEN (anthropic
 *                oauth), OPENAI_API_KEY, CODEX_API_KEY (openai api_key),
 *                AMP_API_KEY (amp api_key)
 *   claude       ~/.claude.json primaryApiKey (api_key),
 *                ~/.claude/.credentials.json claudeAiOauth.accessToken (oauth)
 *   codex        ~/.codex/auth.json OPENAI_API_KEY (api_key),
 *                tokens.access_token (oauth)
 *   opencode     ~/.local/share/opencode/auth.json {PROVIDER: {type:"api",
 *                key} | {type:"oauth", access}}
 *   amp          ~/.local/share/amp/secrets.json "apiKey@URL" (amp api_key)
 * --agent limits the search to that agent's sources (its environment
 * variables and files), --home-dir replaces $HOME, --no-oauth skips OAuth
 * tokens.  extract prints {anthropic, openai, other: {PROVIDER: ...}} with
 * {provider, source, auth_type, api_key, redacted}, keys redacted as
 * "abcd...wxyz" unless --reveal; with --agent or --provider only the one
 * key.  extract-env prints NAME=VALUE lines in full (they are meant for
 * `eval` or an env file).  Files are read up to 1 MiB.
 *
 * Ownership: the found credentials (cred_set) own their strings until
 * set_free.
 */
#include "cl.h"
#include "sa.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define CRED_MAX 16

typedef struct cred { char *provider, *source, *auth, *key; } cred;
typedef struct cred_set { cred v[CRED_MAX]; int n; } cred_set;

typedef struct cred_opts { const char *agent, *provider, *home; bool no_oauth, reveal, exp; } cred_opts;

static const cred *find(const cred_set *s, const char *provider)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].provider, provider)) return &s->v[i];
    return NULL;
}

static void add(cred_set *s, const cred_opts *o, const char *prov, const char *src, const char *auth, const char *key)
{
    if (!key || !*key || s->n == CRED_MAX || find(s, prov)) return;
    if (o->no_oauth && !strcmp(auth, "oauth")) return;
    cred *c = &s->v[s->n++];
    c->provider = strdup(prov);
    c->source = strdup(src);
    c->auth = strdup(auth);
    c->key = strdup(key);
    if (!c->provider || !c->source || !c->auth || !c->key) sa_diex(CL_ELOCAL, "out of memory");
}

static void set_free(cred_set *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->v[i].provider); free(s->v[i].source); free(s->v[i].auth); free(s->v[i].key);
    }
    s->n = 0;
}

static bool wants(const cred_opts *o, const char *agent)
{
    return !o->agent || !strcmp(o->agent, agent);
}

static cJSON *load(const cred_opts *o, const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", o->home, rel);
    size_t n;
    char *t = cl_read_file(p, 1u << 20, &n);
    if (!t) return NULL;
    cJSON *j = cJSON_ParseWithLength(t, n);
    free(t);
    return j;
}

static const char *str_at(const cJSON *j, const char *k1, const char *k2)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, k1);
    if (k2) x = cJSON_GetObjectItemCaseSensitive(x, k2);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void collect(cred_set *s, const cred_opts *o)
{
    static const struct { const char *var, *agent, *prov, *auth; } envs[] = {
        {"ANTHROPIC_API_KEY", "claude", "anthropic", "api_key"}, {"CLAUDE_API_KEY", "claude", "anthropic", "api_key"},
        {"CLAUDE_CODE_OAUTH_TOKEN", "claude", "anthropic", "oauth"},
        {"ANTHROPIC_AUTH_TOKEN", "claude", "anthropic", "oauth"},
        {"OPENAI_API_KEY", "codex", "openai", "api_key"}, {"CODEX_API_KEY", "codex", "openai", "api_key"},
        {"AMP_API_KEY", "amp", "amp", "api_key"}};
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++)
        if (wants(o, envs[i].agent) || (o->agent && !strcmp(o->agent, "opencode") && strcmp(envs[i].prov, "amp")))
            add(s, o, envs[i].prov, "environment", envs[i].auth, getenv(envs[i].var));
    cJSON *j;
    if (wants(o, "claude")) {
        j = load(o, ".claude.json");
        add(s, o, "anthropic", "claude", "api_key", str_at(j, "primaryApiKey", NULL));
        cJSON_Delete(j);
        j = load(o, ".claude/.credentials.json");
        add(s, o, "anthropic", "claude", "oauth", str_at(j, "claudeAiOauth", "accessToken"));
        cJSON_Delete(j);
    }
    if (wants(o, "codex")) {
        j = load(o, ".codex/auth.json");
        add(s, o, "openai", "codex", "api_key", str_at(j, "OPENAI_API_KEY", NULL));
        add(s, o, "openai", "codex", "oauth", str_at(j, "tokens", "access_token"));
        cJSON_Delete(j);
    }
    if (wants(o, "opencode")) {
        j = load(o, ".local/share/opencode/auth.json");
        const cJSON *e;
        cJSON_ArrayForEach(e, j) {
            const char *type = str_at(e, "type", NULL);
            if (!e->string || !type) continue;
            if (!strcmp(type, "api")) add(s, o, e->string, "opencode", "api_key", str_at(e, "key", NULL));
            else if (!strcmp(type, "oauth")) add(s, o, e->string, "opencode", "oauth", str_at(e, "access", NULL));
        }
        cJSON_Delete(j);
    }
    if (wants(o, "amp")) {
        j = load(o, ".local/share/amp/secrets.json");
        const cJSON *e;
        cJSON_ArrayForEach(e, j)
            if (e->string && !strncmp(e->string, "apiKey", 6) && cJSON_IsString(e))
                add(s, o, "amp", "amp", "api_key", e->valuestring);
        cJSON_Delete(j);
    }
}

/* "abcd...wxyz"; keys of 12 characters or fewer become "****". */
static void redact(const char *k, char *out, size_t size)
{
    size_t n = strlen(k);
    if (n <= 12) snprintf(out, size, "****");
    else snprintf(out, size, "%.4s...%s", k, k + n - 4);
}

static cJSON *cred_json(const cred *c, bool reveal)
{
    if (!c) return cJSON_CreateNull();
    char r[32];
    redact(c->key, r, sizeof r);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "provider", c->provider);
    cJSON_AddStringToObject(o, "source", c->source);
    cJSON_AddStringToObject(o, "auth_type", c->auth);
    cJSON_AddStringToObject(o, "api_key", reveal ? c->key : r);
    cJSON_AddBoolToObject(o, "redacted", !reveal);
    return o;
}

static int extract(const cred_set *s, const cred_opts *o)
{
    if (o->agent || o->provider) {
        const char *prov = o->provider;
        if (!prov) prov = !strcmp(o->agent, "codex") ? "openai" : !strcmp(o->agent, "amp") ? "amp"
                        : !strcmp(o->agent, "claude") ? "anthropic" : NULL;
        const cred *c = prov ? find(s, prov) : (s->n ? &s->v[0] : NULL);
        if (!c) {
            sa_warnx("credentials: no credential found for %s", o->provider ? o->provider : o->agent);
            return CL_ENONE;
        }
        char r[32];
        redact(c->key, r, sizeof r);
        printf("%s\n", o->reveal ? c->key : r);
        return CL_OK;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "anthropic", cred_json(find(s, "anthropic"), o->reveal));
    cJSON_AddItemToObject(j, "openai", cred_json(find(s, "openai"), o->reveal));
    cJSON *other = cJSON_AddObjectToObject(j, "other");
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].provider, "anthropic") && strcmp(s->v[i].provider, "openai"))
            cJSON_AddItemToObject(other, s->v[i].provider, cred_json(&s->v[i], o->reveal));
    cl_print_json(stdout, j);
    cJSON_Delete(j);
    return CL_OK;
}

/* NAME=VALUE, the value single-quoted for the shell when it needs it. */
static void env_line(bool exp, const char *name, const char *v)
{
    bool plain = *v != '\0';
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-+/=:@%,", *p)) plain = false;
    printf("%s%s=", exp ? "export " : "", name);
    if (plain) { printf("%s\n", v); return; }
    putchar('\'');
    for (const char *p = v; *p; p++) {
        if (*p == '\'') fputs("'\\''", stdout);
        else putchar(*p);
    }
    puts("'");
}

static int extract_env(const cred_set *s, const cred_opts *o)
{
    for (int i = 0; i < s->n; i++) {
        const cred *c = &s->v[i];
        if (!strcmp(c->provider, "anthropic")) {
            env_line(o->exp, "ANTHROPIC_API_KEY", c->key);
            env_line(o->exp, "CLAUDE_API_KEY", c->key);
        } else if (!strcmp(c->provider, "openai")) {
            env_line(o->exp, "OPENAI_API_KEY", c->key);
            env_line(o->exp, "CODEX_API_KEY", c->key);
        } else {
            char name[128];
            size_t k = 0;
            for (const char *p = c->provider; *p && k < sizeof name - 9; p++)
                name[k++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
            snprintf(name + k, sizeof name - k, "_API_KEY");
            env_line(o->exp, name, c->key);
        }
    }
    return CL_OK;
}

enum { O_NOOAUTH = 256 };

int cl_credentials(int argc, char **argv)
{
    static const char usage[] =
        "usage: sa credentials extract [-a AGENT] [-p PROVIDER] [-d HOME] [--no-oauth] [-r|--reveal]\n"
        "       sa credentials extract-env [-e|--export] [-d HOME] [--no-oauth]\n";
    if (argc < 2) return cl_usage(usage);
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) { fputs(usage, stdout); return CL_OK; }
    bool env = !strcmp(sub, "extract-env");
    if (!env && strcmp(sub, "extract")) { sa_warnx("credentials: unknown command: %s", sub); return cl_usage(usage); }
    argc--, argv++;
    static const struct option lo[] = {
        {"agent", 1, 0, 'a'}, {"provider", 1, 0, 'p'}, {"home-dir", 1, 0, 'd'}, {"no-oauth", 0, 0, O_NOOAUTH},
        {"reveal", 0, 0, 'r'}, {"export", 0, 0, 'e'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    cred_opts o = {.home = getenv("HOME")};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, env ? "d:eh" : "a:p:d:rh", lo, NULL)) != -1) {
        switch (c) {
        case 'a': if (env) return cl_usage(usage); o.agent = optarg; break;
        case 'p': if (env) return cl_usage(usage); o.provider = optarg; break;
        case 'd': o.home = optarg; break;
        case O_NOOAUTH: o.no_oauth = true; break;
        case 'r': if (env) return cl_usage(usage); o.reveal = true; break;
        case 'e': if (!env) return cl_usage(usage); o.exp = true; break;
        case 'h': fputs(usage, stdout); return CL_OK;
        default: return cl_usage(usage);
        }
    }
    if (optind != argc) return cl_usage(usage);
    if (o.agent && strcmp(o.agent, "claude") && strcmp(o.agent, "codex") && strcmp(o.agent, "opencode") &&
        strcmp(o.agent, "amp")) {
        sa_warnx("credentials: --agent: one of claude, codex, opencode, amp: %s", o.agent);
        return CL_EUSAGE;
    }
    if (!o.home || !*o.home) o.home = "/nonexistent";
    cred_set s = {.n = 0};
    collect(&s, &o);
    int rc = env ? extract_env(&s, &o) : extract(&s, &o);
    set_free(&s);
    if (fflush(stdout) != 0) { sa_warn("stdout"); rc = CL_ELOCAL; }
    return rc;
}
