/*
 * access.c — who may call sa-serve: token auth and CORS.
 *
 * Auth follows sandbox-agent v0.1.11: only the Authorization header counts;
 * "Bearer <t>" or "Token <t>" (scheme case-insensitive, value trimmed), or
 * "Basic <b64>" whose decoded text is "user:pass" (token = pass) or the token
 * itself; standard and URL-safe alphabets, padding optional.  Tokens are
 * compared in constant time (over the longer length).
 *
 * CORS: denied unless the Origin is in --cors-allow-origin.  A preflight
 * (OPTIONS carrying Origin) is answered here: 200 with the allow headers when
 * the origin is allowed, 200 without them otherwise (the browser then denies).
 * Methods/headers not configured mirror what the preflight asked for.
 *
 * Ownership: returned strings are malloc'd (caller frees).
 */
#include "serve.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/keyvalq_struct.h>

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

char *acc_b64decode(const char *in, size_t *outlen)
{
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == '=') n--;
    if (n % 4 == 1) return NULL;
    char *out = malloc(n * 3 / 4 + 2);
    if (!out) return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0) { free(out); return NULL; }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    if (outlen) *outlen = o;
    return out;
}

static char *trimdup(const char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    return strndup(s, n);
}

char *acc_extract_token(const char *authz)
{
    if (!authz) return NULL;
    while (*authz == ' ') authz++;
    const char *sp = strchr(authz, ' ');
    if (!sp) return NULL;
    size_t slen = (size_t)(sp - authz);
    if ((slen == 6 && !strncasecmp(authz, "bearer", 6)) || (slen == 5 && !strncasecmp(authz, "token", 5)))
        return trimdup(sp + 1);
    if (slen == 5 && !strncasecmp(authz, "basic", 5)) {
        char *b = trimdup(sp + 1);
        if (!b) return NULL;
        size_t len;
        char *dec = acc_b64decode(b, &len);
        free(b);
        if (!dec) return NULL;
        if (strlen(dec) != len) { free(dec); return NULL; }   /* embedded NUL */
        char *colon = strchr(dec, ':');
        if (!colon) return dec;
        char *pass = strdup(colon + 1);
        free(dec);
        return pass;
    }
    return NULL;
}

bool acc_ct_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la > lb ? la : lb;
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = i < la ? (unsigned char)a[i] : 0;
        unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
        diff |= (unsigned char)(ca ^ cb);
    }
    return diff == 0;
}

bool acc_auth_ok(const srv *s, struct evhttp_request *req)
{
    if (!s->cfg.token) return true;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    char *t = acc_extract_token(h);
    if (!t) return false;
    bool ok = acc_ct_equal(t, s->cfg.token);
    free(t);
    return ok;
}

static bool origin_allowed(const srv *s, const char *origin)
{
    for (int i = 0; i < s->cfg.n_origins; i++)
        if (!strcmp(s->cfg.cors_origins[i], "*") || !strcmp(s->cfg.cors_origins[i], origin)) return true;
    return false;
}

static void join_list(char *buf, size_t size, const char *const *v, int n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < size; i++) {
        int w = snprintf(buf + o, size - o, "%s%s", i ? "," : "", v[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
}

bool acc_cors(const srv *s, struct evhttp_request *req)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *origin = evhttp_find_header(in, "Origin");
    bool preflight = evhttp_request_get_command(req) == EVHTTP_REQ_OPTIONS && origin &&
                     evhttp_find_header(in, "Access-Control-Request-Method");
    if (!origin || s->cfg.n_origins == 0 || !origin_allowed(s, origin)) {
        if (preflight) {
            evhttp_add_header(out, "Vary", "origin, access-control-request-method, access-control-request-headers");
            evhttp_send_reply(req, 200, "OK", NULL);
        }
        return preflight;
    }
    evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
    if (s->cfg.cors_credentials) evhttp_add_header(out, "Access-Control-Allow-Credentials", "true");
    if (!preflight) {
        evhttp_add_header(out, "Vary", "origin, access-control-request-method, access-control-request-headers");
        return false;
    }
    char buf[1024];
    if (s->cfg.n_methods) {
        join_list(buf, sizeof buf, s->cfg.cors_methods, s->cfg.n_methods);
        evhttp_add_header(out, "Access-Control-Allow-Methods", buf);
    } else {
        evhttp_add_header(out, "Access-Control-Allow-Methods",
                          evhttp_find_header(in, "Access-Control-Request-Method"));
    }
    const char *rh = evhttp_find_header(in, "Access-Control-Request-Headers");
    if (s->cfg.n_headers) {
        join_list(buf, sizeof buf, s->cfg.cors_headers, s->cfg.n_headers);
        evhttp_add_header(out, "Access-Control-Allow-Headers", buf);
    } else if (rh) {
        evhttp_add_header(out, "Access-Control-Allow-Headers", rh);
    }
    evhttp_add_header(out, "Vary", "origin, access-control-request-method, access-control-request-headers");
    evhttp_send_reply(req, 200, "OK", NULL);
    return true;
}
