/*
 * access.c — who may call sa-serve: token auth and CORS.
 *
 * Auth follows sandbox-agent v0.1.11: only the Authorization header counts;
 * "Bearer <t>" or "Token <t>" (scheme case-insensitive, value trimmed), or
 * "Basic <b64>" whose decoded text is "user:pass" (token = pass) or the token
 * itself; standard and URL-safe alphabets, padding optional.  Tokens are
 * compared in constant time (over the longer length).
 *
 * Tokens with roles (secure.c): acc_auth finds the presented token's entry
 * and compares its role with what the request needs: 401 when there is
 * no token or an unknown one, 403 when it lacks the right.
 *
 * Size: the request line and headers together at most --max-header-bytes
 * (431 problem details past it; libevent itself cuts a request off with its
 * own 413 at four times that, so memory stays bounded).
 *
 * Browser safety, with or without a token: the Host header must name the
 * server (the bound address, localhost, 127.0.0.1, [::1], any IP literal
 * when bound to a wildcard address, --allowed-host names) or the request is
 * refused 403 (DNS rebinding); a request that is not GET/HEAD/OPTIONS and
 * carries an Origin neither allowed by --cors-allow-origin nor the server's
 * own (http://HOST as the Host header says) is refused 403 (cross-site
 * request forgery); a POST with a Content-Type a page can send without a
 * preflight (text/plain, form encodings) is refused 415.
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
#include <arpa/inet.h>
#include <event2/keyvalq_struct.h>
#include "http.h"

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
    return acc_auth(s, req, SEC_VIEWER, NULL) == 0;
}

int acc_auth(const srv *s, struct evhttp_request *req, int need, const char **who)
{
    if (who) *who = NULL;
    if (!s->auth) return 0;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    char *t = acc_extract_token(h);
    if (!t) return 401;
    const sec_token *k = sec_lookup(s, t);
    size_t tl = strlen(t);
    volatile char *w = t;
    while (tl--) *w++ = 0;
    free(t);
    if (!k) return 401;
    if (who) *who = k->name;
    return k->role >= need ? 0 : 403;
}

/* The host part of a Host header value (no port, no brackets), lowercased,
 * into out; false when it does not fit. */
static bool host_part(const char *h, char *out, size_t n)
{
    const char *end;
    if (h[0] == '[') {
        h++;
        end = strchr(h, ']');
        if (!end) return false;
    } else {
        end = strchr(h, ':');
        if (!end) end = h + strlen(h);
    }
    size_t l = (size_t)(end - h);
    if (l == 0 || l >= n) return false;
    for (size_t i = 0; i < l; i++) out[i] = (char)tolower((unsigned char)h[i]);
    out[l] = 0;
    return true;
}

static bool is_ip_literal(const char *h)
{
    unsigned char b[16];
    return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

bool acc_host_allowed(const srv *s, const char *host_header)
{
    if (!host_header) return true;                /* HTTP/1.0 without Host: not a browser */
    char h[256], bound[256];
    if (!host_part(host_header, h, sizeof h)) return false;
    static const char *const loop[] = { "localhost", "127.0.0.1", "::1", NULL };
    for (size_t i = 0; loop[i]; i++) if (!strcmp(h, loop[i])) return true;
    snprintf(bound, sizeof bound, "%s", s->cfg.host);
    for (char *p = bound; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (!strcmp(h, bound)) return true;
    if ((!strcmp(bound, "0.0.0.0") || !strcmp(bound, "::") || !*bound) && is_ip_literal(h)) return true;
    for (int i = 0; i < s->cfg.n_allowed_hosts; i++)
        if (!strcasecmp(h, s->cfg.allowed_hosts[i])) return true;
    return false;
}

static bool origin_allowed(const srv *s, const char *origin);

/* The server's own origin: http://HOST (HOST as the request's Host header). */
static bool own_origin(struct evhttp_request *req, const char *origin)
{
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    if (!host || strncasecmp(origin, "http://", 7) != 0) return false;
    return !strcasecmp(origin + 7, host);
}

static bool simple_ctype(const char *ct)
{
    while (*ct == ' ') ct++;
    static const char *const v[] = { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", NULL };
    for (size_t i = 0; v[i]; i++) {
        size_t l = strlen(v[i]);
        if (!strncasecmp(ct, v[i], l) && (ct[l] == 0 || ct[l] == ';' || ct[l] == ' ')) return true;
    }
    return false;
}

/* Request line + header bytes as received (approximately: names, values,
 * ": " and CRLF each). */
static size_t head_size(struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    size_t n = (uri ? strlen(uri) : 0) + 16;
    struct evkeyval *kv;
    for (kv = evhttp_request_get_input_headers(req)->tqh_first; kv; kv = kv->next.tqe_next)
        n += strlen(kv->key) + strlen(kv->value) + 4;
    return n;
}

bool acc_browser_guard(const srv *s, struct evhttp_request *req)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if (head_size(req) > s->cfg.max_headers) {
        char d[200];
        snprintf(d, sizeof d, "invalid request: the request line and headers exceed %zu bytes", s->cfg.max_headers);
        http_problem(req, HTTP_ERR_INVALID_REQUEST, 431, d, NULL);
        return false;
    }
    const char *host = evhttp_find_header(in, "Host");
    if (!acc_host_allowed(s, host)) {
        char d[400];
        snprintf(d, sizeof d, "host not allowed: %.300s (sa-serve --allowed-host adds a name)", host);
        http_problem(req, HTTP_ERR_PERMISSION_DENIED, 403, d, NULL);
        return false;
    }
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD || m == EVHTTP_REQ_OPTIONS) return true;
    const char *origin = evhttp_find_header(in, "Origin");
    if (origin && !origin_allowed(s, origin) && !own_origin(req, origin)) {
        char d[400];
        snprintf(d, sizeof d, "cross-origin request refused: origin %.300s is not allowed (--cors-allow-origin)", origin);
        http_problem(req, HTTP_ERR_PERMISSION_DENIED, 403, d, NULL);
        return false;
    }
    /* POST is the one such method a page may send without a preflight */
    const char *ct = evhttp_find_header(in, "Content-Type");
    if (m == EVHTTP_REQ_POST && ct && simple_ctype(ct)) {
        http_problem(req, HTTP_ERR_INVALID_REQUEST, 415,
                     "invalid request: a form or text/plain body is not accepted (send application/json)", NULL);
        return false;
    }
    return true;
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
