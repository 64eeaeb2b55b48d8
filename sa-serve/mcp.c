/*
 * mcp.c — a session's MCP servers (create's `mcp` member, v0.1.11's
 * McpServerConfig map): validation with a clear message, sa's normalized
 * form, the file sa-spawn reads (--mcp FILE), and the redacted echo that
 * SessionInfo serves.
 *
 * Accepted per server NAME (letters, digits, "_" and "-", at most 64):
 *   {type: "local"|"stdio", command: string|[string...], args?: [string],
 *    env?|environment?: {K: V}, cwd?, enabled?, timeoutMs?|timeout?}
 *   {type: "remote"|"http", url: http(s) URL, headers?: {K: V},
 *    bearerTokenEnvVar?, envHeaders?|envHttpHeaders?: {Header: VAR},
 *    oauth?: object|false, transport?: "http"|"sse", enabled?, timeoutMs?|timeout?}
 * Unknown members are refused (a typo should not pass silently).
 *
 * The normalized form (what the file holds, documented in sa-spawn(1) MCP):
 *   {"strict": bool, "servers": {NAME: {"type":"local", "command": C,
 *    "args": [...], "env": {...}, "cwd": S|null, "enabled": B,
 *    "timeoutMs": N|null} | {"type":"remote", "url", "headers": {...},
 *    "bearerTokenEnvVar": S|null, "envHeaders": {...}, "transport": T,
 *    "enabled": B, "timeoutMs": N|null}}}
 * A command given as an array becomes command = its first word, args = the
 * rest followed by args.
 *
 * The file is <state dir>/mcp-<16 hex digits of the id's FNV-1a hash>.json,
 * mode 0600, holding the normalized form plus "session": ID (sa-spawn and
 * sa-normalize read it as it is and ignore that member); it survives a
 * restart of sa-serve (so a resumed agent gets the same servers) and the
 * session id inside it guards against a hash collision.
 * Ownership: every function returning cJSON * or char * gives the caller a
 * new value to free.
 */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MCP_MAX_SERVERS 64
#define MCP_FILE_MAX    (1u << 20)

static bool name_ok(const char *n)
{
    size_t l = strlen(n);
    if (l == 0 || l > 64) return false;
    for (size_t i = 0; i < l; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
              n[i] == '_' || n[i] == '-'))
            return false;
    return true;
}

static bool is_in(const char *k, const char *const *set)
{
    for (; *set; set++) if (!strcmp(k, *set)) return true;
    return false;
}

/* A {K: string} map (absent = {}), copied; NULL with err on a bad one. */
static cJSON *str_map(const cJSON *v, const char *where, const char *what, char *err, size_t n)
{
    if (!v || cJSON_IsNull(v)) return cJSON_CreateObject();
    if (!cJSON_IsObject(v)) { snprintf(err, n, "%s: %s must be an object of strings", where, what); return NULL; }
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
        if (!cJSON_IsString(e)) {
            snprintf(err, n, "%s: %s.%.64s must be a string", where, what, e->string);
            return NULL;
        }
    return cJSON_Duplicate(v, 1);
}

/* The member k or its alias (only one of them may be given). */
static const cJSON *member(const cJSON *o, const char *k, const char *alias)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return v ? v : alias ? cJSON_GetObjectItemCaseSensitive(o, alias) : NULL;
}

/* o[k] = the {K: string} map in[k] (or its alias; giving both is an error). */
static bool add_map(cJSON *o, const cJSON *in, const char *k, const char *alias, const char *where,
                    char *err, size_t n)
{
    if (alias && cJSON_GetObjectItemCaseSensitive(in, k) && cJSON_GetObjectItemCaseSensitive(in, alias)) {
        snprintf(err, n, "%s: give %s or %s, not both", where, k, alias);
        return false;
    }
    cJSON *m = str_map(member(in, k, alias), where, k, err, n);
    if (!m) return false;
    cJSON_AddItemToObject(o, k, m);
    return true;
}

static bool opt_bool(const cJSON *o, const char *k, bool def, const char *where, bool *out, char *err, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = def;
    if (!v || cJSON_IsNull(v)) return true;
    if (!cJSON_IsBool(v)) { snprintf(err, n, "%s: %s must be a boolean", where, k); return false; }
    *out = cJSON_IsTrue(v);
    return true;
}

static bool opt_string(const cJSON *v, const char *where, const char *k, const char **out, char *err, size_t n)
{
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return true;
    if (!cJSON_IsString(v) || !*v->valuestring) {
        snprintf(err, n, "%s: %s must be a non-empty string", where, k);
        return false;
    }
    *out = v->valuestring;
    return true;
}

static bool opt_timeout(const cJSON *o, const char *where, cJSON *out, char *err, size_t n)
{
    const cJSON *v = member(o, "timeoutMs", "timeout");
    if (!v || cJSON_IsNull(v)) { cJSON_AddNullToObject(out, "timeoutMs"); return true; }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 86400000 || v->valuedouble != (double)(long)v->valuedouble) {
        snprintf(err, n, "%s: timeoutMs must be a whole number of milliseconds, 1 to 86400000", where);
        return false;
    }
    cJSON_AddNumberToObject(out, "timeoutMs", v->valuedouble);
    return true;
}

static cJSON *local_server(const cJSON *in, const char *where, char *err, size_t n)
{
    static const char *const known[] = { "type", "command", "args", "env", "environment", "cwd", "enabled",
                                         "timeoutMs", "timeout", NULL };
    const cJSON *e;
    cJSON_ArrayForEach(e, in)
        if (!is_in(e->string, known)) { snprintf(err, n, "%s: unknown member %.64s for a local server", where, e->string); return NULL; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "local");
    cJSON *args = cJSON_CreateArray();
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(in, "command");
    if (cJSON_IsString(cmd) && *cmd->valuestring) {
        cJSON_AddStringToObject(o, "command", cmd->valuestring);
    } else if (cJSON_IsArray(cmd) && cJSON_GetArraySize(cmd) > 0) {
        bool first = true;
        cJSON_ArrayForEach(e, cmd) {
            if (!cJSON_IsString(e) || (first && !*e->valuestring)) {
                snprintf(err, n, "%s: command must be a non-empty string or an array of strings", where);
                goto bad;
            }
            if (first) cJSON_AddStringToObject(o, "command", e->valuestring);
            else cJSON_AddItemToArray(args, cJSON_CreateString(e->valuestring));
            first = false;
        }
    } else {
        snprintf(err, n, "%s: command must be a non-empty string or an array of strings", where);
        goto bad;
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "args");
    if (a && !cJSON_IsNull(a)) {
        if (!cJSON_IsArray(a)) { snprintf(err, n, "%s: args must be an array of strings", where); goto bad; }
        cJSON_ArrayForEach(e, a) {
            if (!cJSON_IsString(e)) { snprintf(err, n, "%s: args must be an array of strings", where); goto bad; }
            cJSON_AddItemToArray(args, cJSON_CreateString(e->valuestring));
        }
    }
    cJSON_AddItemToObject(o, "args", args);
    args = NULL;
    if (!add_map(o, in, "env", "environment", where, err, n)) goto bad;
    const char *cwd;
    if (!opt_string(cJSON_GetObjectItemCaseSensitive(in, "cwd"), where, "cwd", &cwd, err, n)) goto bad;
    if (cwd) cJSON_AddStringToObject(o, "cwd", cwd); else cJSON_AddNullToObject(o, "cwd");
    bool en;
    if (!opt_bool(in, "enabled", true, where, &en, err, n)) goto bad;
    cJSON_AddBoolToObject(o, "enabled", en);
    if (!opt_timeout(in, where, o, err, n)) goto bad;
    return o;
bad:
    cJSON_Delete(args);
    cJSON_Delete(o);
    return NULL;
}

static cJSON *remote_server(const cJSON *in, const char *where, char *err, size_t n)
{
    static const char *const known[] = { "type", "url", "headers", "bearerTokenEnvVar", "envHeaders", "envHttpHeaders",
                                         "oauth", "transport", "enabled", "timeoutMs", "timeout", NULL };
    const cJSON *e;
    cJSON_ArrayForEach(e, in)
        if (!is_in(e->string, known)) { snprintf(err, n, "%s: unknown member %.64s for a remote server", where, e->string); return NULL; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "remote");
    const char *url;
    if (!opt_string(cJSON_GetObjectItemCaseSensitive(in, "url"), where, "url", &url, err, n)) goto bad;
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || strpbrk(url, " \t\r\n")) {
        snprintf(err, n, "%s: url must be an http:// or https:// URL", where);
        goto bad;
    }
    cJSON_AddStringToObject(o, "url", url);
    if (!add_map(o, in, "headers", NULL, where, err, n)) goto bad;
    const char *bt;
    if (!opt_string(cJSON_GetObjectItemCaseSensitive(in, "bearerTokenEnvVar"), where, "bearerTokenEnvVar", &bt, err, n)) goto bad;
    if (bt) cJSON_AddStringToObject(o, "bearerTokenEnvVar", bt); else cJSON_AddNullToObject(o, "bearerTokenEnvVar");
    if (!add_map(o, in, "envHeaders", "envHttpHeaders", where, err, n)) goto bad;
    const cJSON *oa = cJSON_GetObjectItemCaseSensitive(in, "oauth");
    if (oa && !cJSON_IsNull(oa) && !cJSON_IsObject(oa) && !cJSON_IsFalse(oa)) {
        snprintf(err, n, "%s: oauth must be an object or false", where);
        goto bad;
    }
    const char *tr;
    if (!opt_string(cJSON_GetObjectItemCaseSensitive(in, "transport"), where, "transport", &tr, err, n)) goto bad;
    if (tr && strcmp(tr, "http") != 0 && strcmp(tr, "sse") != 0) {
        snprintf(err, n, "%s: transport must be http or sse", where);
        goto bad;
    }
    cJSON_AddStringToObject(o, "transport", tr ? tr : "http");
    bool en;
    if (!opt_bool(in, "enabled", true, where, &en, err, n)) goto bad;
    cJSON_AddBoolToObject(o, "enabled", en);
    if (!opt_timeout(in, where, o, err, n)) goto bad;
    return o;
bad:
    cJSON_Delete(o);
    return NULL;
}

cJSON *mcp_normalize(const cJSON *in, bool strict, char *err, size_t n)
{
    if (!cJSON_IsObject(in)) { snprintf(err, n, "mcp: invalid type, expected an object"); return NULL; }
    if (cJSON_GetArraySize(in) > MCP_MAX_SERVERS) { snprintf(err, n, "mcp: at most %d servers", MCP_MAX_SERVERS); return NULL; }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "strict", strict);
    cJSON *servers = cJSON_AddObjectToObject(out, "servers");
    const cJSON *e;
    cJSON_ArrayForEach(e, in) {
        char where[128];
        snprintf(where, sizeof where, "mcp.%.64s", e->string);
        if (!name_ok(e->string)) {
            snprintf(err, n, "mcp: server name %.64s: use 1 to 64 letters, digits, _ or -", e->string);
            goto bad;
        }
        if (!cJSON_IsObject(e)) { snprintf(err, n, "%s: invalid type, expected an object", where); goto bad; }
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
        cJSON *s = NULL;
        if (type && (!strcmp(type, "local") || !strcmp(type, "stdio"))) s = local_server(e, where, err, n);
        else if (type && (!strcmp(type, "remote") || !strcmp(type, "http"))) s = remote_server(e, where, err, n);
        else { snprintf(err, n, "%s: type must be local, stdio, remote or http", where); goto bad; }
        if (!s) goto bad;
        cJSON_AddItemToObject(servers, e->string, s);
    }
    return out;
bad:
    cJSON_Delete(out);
    return NULL;
}

/* Values that may be secrets (env values, header values) become "***". */
cJSON *mcp_redacted(const cJSON *norm)
{
    cJSON *servers = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(norm, "servers"), 1);
    if (!servers) return cJSON_CreateObject();
    cJSON *s;
    cJSON_ArrayForEach(s, servers) {
        static const char *const secret[] = { "env", "headers", NULL };
        for (const char *const *k = secret; *k; k++) {
            cJSON *m = cJSON_GetObjectItemCaseSensitive(s, *k), *v;
            cJSON_ArrayForEach(v, m) cJSON_SetValuestring(v, "***");
        }
    }
    return servers;
}

char *mcp_path(const srv *s, const char *sid) { return srv_state_path(s, "mcp", sid, ".json"); }

int mcp_save(const srv *s, const char *sid, const cJSON *norm)
{
    char *path = mcp_path(s, sid);
    if (!path) return -1;
    cJSON *doc = cJSON_Duplicate(norm, 1);
    cJSON_AddStringToObject(doc, "session", sid);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    size_t tl = strlen(path) + 8;
    char *tmp = malloc(tl);
    int rc = -1, fd = -1;
    if (!text || !tmp) goto out;
    snprintf(tmp, tl, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || sa_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) goto out;
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) goto out;
    rc = 0;
out:
    if (rc < 0) sa_warn("cannot write %s", tmp ? tmp : path);
    if (fd >= 0) { close(fd); unlink(tmp); }
    free(text); free(tmp); free(path);
    return rc;
}

cJSON *mcp_load(const srv *s, const char *sid)
{
    char *path = mcp_path(s, sid);
    if (!path) return NULL;
    cJSON *out = NULL;
    FILE *f = fopen(path, "re");
    if (f) {
        char *buf = malloc(MCP_FILE_MAX + 1);
        size_t len = buf ? fread(buf, 1, MCP_FILE_MAX + 1, f) : 0;
        if (buf && len <= MCP_FILE_MAX) {
            cJSON *doc = cJSON_ParseWithLength(buf, len);
            const char *owner = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "session"));
            if (owner && !strcmp(owner, sid) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "servers"))) {
                cJSON_DeleteItemFromObjectCaseSensitive(doc, "session");
                out = doc;
            } else {
                cJSON_Delete(doc);
            }
        }
        free(buf);
        fclose(f);
    }
    free(path);
    return out;
}

void mcp_remove(const srv *s, const char *sid)
{
    char *path = mcp_path(s, sid);
    if (path && unlink(path) < 0 && errno != ENOENT) sa_warn("cannot remove %s", path);
    free(path);
}
