/*
 * mcp.c — the session's MCP servers (--mcp FILE, sa's normalized form:
 * {"strict": bool, "servers": {NAME: {"type": "local"|"remote", ...}}},
 * written by sa-serve or by hand; see sa-spawn(1) MCP) and their shape in
 * each agent's own per-run mechanism:
 *   claude    a --mcp-config file {"mcpServers": {...}} (stdio / http / sse)
 *   codex     thread/start and thread/resume "config" overrides: mcp_servers
 *   opencode  OPENCODE_CONFIG_CONTENT's "mcp" section
 *   pi        the file itself, read by sa's pi extension (SA_PI_MCP)
 *   amp       an --mcp-config file {NAME: {command,args,env} | {url,headers}}
 *             (amp merges it over its settings' amp.mcpServers); strict: a
 *             --settings-file {"amp.mcpServers": {...}} instead
 * Disabled servers are left out everywhere.  Header secrets named by
 * bearerTokenEnvVar and envHeaders are resolved here (from --env, else
 * sa-spawn's environment) for agents that cannot resolve them themselves;
 * codex gets the variable names.  Files sa-spawn writes go beside FILE
 * (FILE.AGENT.json, mode 0600), never in the user's tree.
 * Ownership: sp_mcp_load fills o->mcp with a tree the caller frees with
 * sp_mcp_free; builders return new cJSON trees / malloc'd strings.
 */
#include "sp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MCP_FILE_MAX (1u << 20)

static cJSON *mcp_doc;            /* the whole file; o->mcp points into it */

int sp_mcp_load(sp_opts *o, const char *path, char *err, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { snprintf(err, n, "cannot read --mcp file %s: %s", path, strerror(errno)); return -1; }
    char *buf = malloc(MCP_FILE_MAX + 1);
    if (!buf) sa_diex(SP_EXIT_SYS, "out of memory");
    size_t len = 0;
    ssize_t r;
    while (len <= MCP_FILE_MAX && (r = read(fd, buf + len, MCP_FILE_MAX + 1 - len)) > 0) len += (size_t)r;
    close(fd);
    if (len > MCP_FILE_MAX) { free(buf); snprintf(err, n, "--mcp file %s: larger than 1 MiB", path); return -1; }
    cJSON *doc = cJSON_ParseWithLength(buf, len);
    free(buf);
    cJSON *servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
    if (!cJSON_IsObject(servers)) {
        cJSON_Delete(doc);
        snprintf(err, n, "--mcp file %s: not sa's MCP form ({\"strict\":..,\"servers\":{..}}, sa-spawn(1) MCP)", path);
        return -1;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, servers) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "type"));
        bool local = t && !strcmp(t, "local"), remote = t && !strcmp(t, "remote");
        if ((!local && !remote) ||
            (local && !cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "command"))) ||
            (remote && !cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "url")))) {
            snprintf(err, n, "--mcp file %s: server %.64s: needs type local with a command or remote with a url",
                     path, s->string);
            cJSON_Delete(doc);
            return -1;
        }
    }
    mcp_doc = doc;
    o->mcp = servers;
    o->mcp_strict = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "strict"));
    o->mcp_file = path;
    return 0;
}

void sp_mcp_free(void)
{
    cJSON_Delete(mcp_doc);
    mcp_doc = NULL;
}

static bool enabled(const cJSON *s) { return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "enabled")); }
static const char *str(const cJSON *s, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, k)); }
static cJSON *dup_of(const cJSON *s, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, k);
    return v ? cJSON_Duplicate(v, 1) : cJSON_CreateObject();
}

/* headers + Authorization from bearerTokenEnvVar + envHeaders, resolved. */
static cJSON *resolved_headers(const sp_opts *o, const cJSON *s)
{
    cJSON *h = dup_of(s, "headers");
    const char *bt = str(s, "bearerTokenEnvVar"), *v;
    if (bt && (v = sp_env_value(o, bt))) {
        size_t n = strlen(v) + 8;
        char *b = malloc(n);
        if (!b) sa_diex(SP_EXIT_SYS, "out of memory");
        snprintf(b, n, "Bearer %s", v);
        cJSON_DeleteItemFromObjectCaseSensitive(h, "Authorization");
        cJSON_AddStringToObject(h, "Authorization", b);
        free(b);
    } else if (bt) {
        sa_warnx("mcp server %s: bearerTokenEnvVar %s is not set", s->string, bt);
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "envHeaders")) {
        if (!cJSON_IsString(e)) continue;
        if (!(v = sp_env_value(o, e->valuestring))) {
            sa_warnx("mcp server %s: header %s: %s is not set", s->string, e->string, e->valuestring);
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(h, e->string);
        cJSON_AddStringToObject(h, e->string, v);
    }
    return h;
}

cJSON *sp_mcp_claude(const sp_opts *o)
{
    cJSON *doc = cJSON_CreateObject(), *m = cJSON_AddObjectToObject(doc, "mcpServers");
    const cJSON *s;
    cJSON_ArrayForEach(s, o->mcp) {
        if (!enabled(s)) continue;
        cJSON *c = cJSON_AddObjectToObject(m, s->string);
        if (!strcmp(str(s, "type"), "local")) {
            cJSON_AddStringToObject(c, "type", "stdio");
            cJSON_AddStringToObject(c, "command", str(s, "command"));
            cJSON_AddItemToObject(c, "args", dup_of(s, "args"));
            cJSON_AddItemToObject(c, "env", dup_of(s, "env"));
        } else {
            const char *tr = str(s, "transport");
            cJSON_AddStringToObject(c, "type", tr && !strcmp(tr, "sse") ? "sse" : "http");
            cJSON_AddStringToObject(c, "url", str(s, "url"));
            cJSON_AddItemToObject(c, "headers", resolved_headers(o, s));
        }
    }
    return doc;
}

cJSON *sp_mcp_codex(const sp_opts *o)
{
    cJSON *m = cJSON_CreateObject();
    const cJSON *s;
    cJSON_ArrayForEach(s, o->mcp) {
        if (!enabled(s)) continue;
        cJSON *c = cJSON_AddObjectToObject(m, s->string);
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(s, "timeoutMs");
        if (!strcmp(str(s, "type"), "local")) {
            cJSON_AddStringToObject(c, "command", str(s, "command"));
            cJSON_AddItemToObject(c, "args", dup_of(s, "args"));
            cJSON_AddItemToObject(c, "env", dup_of(s, "env"));
            if (str(s, "cwd")) cJSON_AddStringToObject(c, "cwd", str(s, "cwd"));
        } else {
            cJSON_AddStringToObject(c, "url", str(s, "url"));
            if (str(s, "bearerTokenEnvVar")) cJSON_AddStringToObject(c, "bearer_token_env_var", str(s, "bearerTokenEnvVar"));
            cJSON_AddItemToObject(c, "http_headers", dup_of(s, "headers"));
            cJSON_AddItemToObject(c, "env_http_headers", dup_of(s, "envHeaders"));
        }
        if (cJSON_IsNumber(to)) cJSON_AddNumberToObject(c, "tool_timeout_sec", to->valuedouble / 1000.0);
    }
    return m;
}

cJSON *sp_mcp_opencode(const sp_opts *o)
{
    cJSON *m = cJSON_CreateObject();
    const cJSON *s, *e;
    cJSON_ArrayForEach(s, o->mcp) {
        if (!enabled(s)) continue;
        cJSON *c = cJSON_AddObjectToObject(m, s->string);
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(s, "timeoutMs");
        if (!strcmp(str(s, "type"), "local")) {
            cJSON_AddStringToObject(c, "type", "local");
            cJSON *cmd = cJSON_AddArrayToObject(c, "command");
            cJSON_AddItemToArray(cmd, cJSON_CreateString(str(s, "command")));
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "args"))
                if (cJSON_IsString(e)) cJSON_AddItemToArray(cmd, cJSON_CreateString(e->valuestring));
            cJSON_AddItemToObject(c, "environment", dup_of(s, "env"));
        } else {
            cJSON_AddStringToObject(c, "type", "remote");
            cJSON_AddStringToObject(c, "url", str(s, "url"));
            cJSON_AddItemToObject(c, "headers", resolved_headers(o, s));
        }
        cJSON_AddBoolToObject(c, "enabled", true);
        if (cJSON_IsNumber(to)) cJSON_AddNumberToObject(c, "timeout", to->valuedouble);
    }
    return m;
}

/* Amp's --mcp-config accepts, per server, exactly {command, args?, env?}
 * (a strict schema: no cwd, no timeout) or {url, headers?, transport?,
 * oauth?}; it detects a remote server's transport itself (streamable HTTP,
 * then SSE), so none is passed. */
cJSON *sp_mcp_amp(const sp_opts *o)
{
    cJSON *m = cJSON_CreateObject();
    const cJSON *s;
    cJSON_ArrayForEach(s, o->mcp) {
        if (!enabled(s)) continue;
        cJSON *c = cJSON_AddObjectToObject(m, s->string);
        if (!strcmp(str(s, "type"), "local")) {
            cJSON_AddStringToObject(c, "command", str(s, "command"));
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(s, "args"), *e = cJSON_GetObjectItemCaseSensitive(s, "env");
            if (cJSON_IsArray(a)) cJSON_AddItemToObject(c, "args", cJSON_Duplicate(a, 1));
            if (cJSON_IsObject(e)) cJSON_AddItemToObject(c, "env", cJSON_Duplicate(e, 1));
        } else {
            cJSON_AddStringToObject(c, "url", str(s, "url"));
            cJSON_AddItemToObject(c, "headers", resolved_headers(o, s));
        }
    }
    return m;
}

char *sp_mcp_side_file(const sp_opts *o, const char *agent, const cJSON *doc)
{
    size_t n = strlen(o->mcp_file) + strlen(agent) + 8;
    char *path = malloc(n);
    char *text = cJSON_PrintUnformatted(doc);
    if (!path || !text) sa_diex(SP_EXIT_SYS, "out of memory");
    snprintf(path, n, "%s.%s.json", o->mcp_file, agent);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) < 0 || sa_write_all(fd, text, strlen(text)) < 0) {
        sa_warn("cannot write %s", path);
        if (fd >= 0) close(fd);
        free(text);
        free(path);
        return NULL;
    }
    close(fd);
    free(text);
    return path;
}
