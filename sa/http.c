/*
 * http.c — the one HTTP client of `sa` (libcurl easy interface), its
 * reporting of answers, and the SSE reader with Last-Event-ID resume.
 *
 * cl_request sends one request and collects the answer (bounded by
 * CL_BODY_MAX) or streams a 2xx body to a FILE.  cl_finish/cl_report turn an
 * answer into output and an exit status (sa(1), EXIT STATUS).  cl_sse reads
 * "id: N" / "data: ..." frames as they come; a clean end of
 * the response ends the stream, a dropped connection is resumed.  The
 * frames themselves are parsed by sse.c.
 *
 * Ownership: cl_resp.body is malloc'd and freed by cl_resp_free; the SSE
 * frame buffer is private to one cl_sse call.
 */
#include "cl.h"
#include "sa.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sink_ctx {
    CURL *h;
    cl_resp *r;
    FILE *sink;
    size_t cap;
    bool too_big;
} sink_ctx;

static long status_now(CURL *h)
{
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    return st;
}

static bool append(char **buf, size_t *len, size_t *cap, const char *p, size_t n, size_t max)
{
    if (*len + n > max) return false;
    sa_reserve(buf, cap, *len + n + 1, 4096);
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    sink_ctx *c = arg;
    size_t k = sz * n;
    long st = status_now(c->h);
    if (c->sink && st >= 200 && st < 300) return fwrite(p, 1, k, c->sink) == k ? k : 0;
    if (!append(&c->r->body, &c->r->len, &c->cap, p, k, CL_BODY_MAX)) { c->too_big = true; return 0; }
    return k;
}

static struct curl_slist *base_headers(const char *ctype)
{
    struct curl_slist *hd = NULL;
    char line[4200];
    if (cl_g.token && !cl_g.no_token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", cl_g.token);
        hd = curl_slist_append(hd, line);
    }
    if (ctype) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        hd = curl_slist_append(hd, line);
    } else {
        /* no body type: not libcurl's default form type for a POST, which
         * sa-serve refuses (415: a browser-made cross-site request) */
        hd = curl_slist_append(hd, "Content-Type:");
    }
    hd = curl_slist_append(hd, "Expect:");
    return hd;
}

static CURL *new_handle(const char *method, const char *path, const void *body, size_t len,
                        struct curl_slist *hd)
{
    CURL *h = curl_easy_init();
    if (!h) sa_diex(CL_ELOCAL, "curl_easy_init failed");
    size_t n = strlen(cl_g.endpoint) + strlen(path) + 1;
    char *url = malloc(n);
    if (!url) sa_diex(CL_ELOCAL, "out of memory");
    snprintf(url, n, "%s%s", cl_g.endpoint, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    free(url);   /* libcurl keeps its own copy */
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body || strcmp(method, "GET")) {
        if (body || !strcmp(method, "POST") || !strcmp(method, "PUT")) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sa/" SA_VERSION);
    return h;
}

static void get_ctype(CURL *h, cl_resp *r)
{
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
}

int cl_request(const char *method, const char *path, const void *body, size_t len,
               const char *ctype, FILE *sink, cl_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    struct curl_slist *hd = base_headers(ctype);
    CURL *h = new_handle(method, path, body, len, hd);
    sink_ctx c = {.h = h, .r = resp, .sink = sink};
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
    CURLcode e = curl_easy_perform(h);
    resp->status = status_now(h);
    get_ctype(h, resp);
    int rc = CL_OK;
    if (c.too_big) {
        snprintf(resp->err, sizeof resp->err, "answer larger than %u bytes", CL_BODY_MAX);
        rc = CL_ECONN;
    } else if (e != CURLE_OK) {
        snprintf(resp->err, sizeof resp->err, "%s", curl_easy_strerror(e));
        rc = CL_ECONN;
    }
    if (rc != CL_OK && resp->status == 0) { free(resp->body); resp->body = NULL; resp->len = 0; }
    if (!resp->body) {
        resp->body = strdup("");
        if (!resp->body) sa_diex(CL_ELOCAL, "out of memory");
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    return rc;
}

void cl_resp_free(cl_resp *r)
{
    free(r->body);
    r->body = NULL;
}

static void print_scalar(FILE *f, const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s) sa_diex(CL_ELOCAL, "out of memory");
    fputs(s, f);
    free(s);
}

static void print_value(FILE *f, const cJSON *j, int depth)
{
    bool obj = cJSON_IsObject(j);
    if (!obj && !cJSON_IsArray(j)) { print_scalar(f, j); return; }
    if (!j->child) { fputs(obj ? "{}" : "[]", f); return; }
    fputs(obj ? "{\n" : "[\n", f);
    for (const cJSON *c = j->child; c; c = c->next) {
        fprintf(f, "%*s", 2 * (depth + 1), "");
        if (obj) {
            cJSON *k = cJSON_CreateString(c->string ? c->string : "");
            if (!k) sa_diex(CL_ELOCAL, "out of memory");
            print_scalar(f, k);
            cJSON_Delete(k);
            fputs(": ", f);
        }
        print_value(f, c, depth + 1);
        fputs(c->next ? ",\n" : "\n", f);
    }
    fprintf(f, "%*s%c", 2 * depth, "", obj ? '}' : ']');
}

/* Two-space indentation, "key": value, one member per line (as serde's
 * and jq's pretty printers do). */
void cl_print_json(FILE *f, const cJSON *j)
{
    print_value(f, j, 0);
    fputc('\n', f);
}

int cl_report(const char *method, const char *path, int rc, const cl_resp *r)
{
    if (rc != CL_OK || r->status == 0) {
        sa_warnx("%s %s%s: %s", method, cl_g.endpoint, path, r->err[0] ? r->err : "no answer");
        return CL_ECONN;
    }
    cJSON *j = r->len ? cJSON_ParseWithLength(r->body, r->len) : NULL;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "detail");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "title");
    const char *why = cJSON_IsString(d) ? d->valuestring : cJSON_IsString(t) ? t->valuestring : NULL;
    char plain[200] = "";
    if (!why && r->len) {
        /* a text answer (404 page, framework rejection): its first line */
        size_t n = strcspn(r->body, "\n");
        snprintf(plain, sizeof plain, "%.*s", (int)(n < 199 ? n : 199), r->body);
        why = plain;
    }
    sa_warnx("%s %s: HTTP %ld%s%s", method, path, r->status, why ? ": " : "", why ? why : "");
    if (j) {
        cl_print_json(stderr, j);
    } else if (r->len) {
        const char *rest = r->body + strcspn(r->body, "\n");   /* the lines after the one above */
        if (*rest && rest[1]) fprintf(stderr, "%s%s", rest + 1, rest[strlen(rest) - 1] == '\n' ? "" : "\n");
    }
    cJSON_Delete(j);
    return CL_EHTTP;
}

int cl_finish(const char *method, const char *path, int rc, cl_resp *r)
{
    int out = CL_OK;
    if (rc != CL_OK || r->status < 200 || r->status >= 300) {
        out = cl_report(method, path, rc, r);
    } else if (r->len) {
        cJSON *j = cJSON_ParseWithLength(r->body, r->len);
        if (j) cl_print_json(stdout, j);
        else fwrite(r->body, 1, r->len, stdout);
        cJSON_Delete(j);
    }
    cl_resp_free(r);
    if (fflush(stdout) != 0 && out == CL_OK) { sa_warn("stdout"); out = CL_ELOCAL; }
    return out;
}

char *cl_esc(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *o = malloc(3 * n + 1), *q = o;
    if (!o) sa_diex(CL_ELOCAL, "out of memory");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            *q++ = (char)*p;
        } else {
            *q++ = '%';
            *q++ = hex[*p >> 4];
            *q++ = hex[*p & 15];
        }
    }
    *q = '\0';
    return o;
}

void cl_query(char *path, size_t size, const char *k, const char *v)
{
    char *e = cl_esc(v);
    size_t n = strlen(path);
    int w = snprintf(path + n, size - n, "%c%s=%s", strchr(path, '?') ? '&' : '?', k, e);
    free(e);
    if (w < 0 || (size_t)w >= size - n) sa_diex(CL_EUSAGE, "%s: value too long", k);
}

/* ---- SSE ---- */

typedef struct sse_ctx {
    CURL *h;
    cl_sse_parser p;
    cl_resp err;          /* the body of an error answer */
    size_t errcap;
} sse_ctx;

static size_t on_sse(char *p, size_t sz, size_t n, void *arg)
{
    sse_ctx *c = arg;
    size_t k = sz * n;
    long st = status_now(c->h);
    if (st < 200 || st >= 300)
        return append(&c->err.body, &c->err.len, &c->errcap, p, k, CL_BODY_MAX) ? k : 0;
    return cl_sse_feed(&c->p, p, k) == 0 ? k : 0;
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !sa_stop_requested()) {}
}

int cl_sse(const char *method, const char *path, const char *body, const char *resume_path,
           uint64_t last_id, cl_sse_cb on_event, void *arg)
{
    sse_ctx c = {.p = {.last_id = last_id, .cb = on_event, .arg = arg}};
    int tries = 0, rc = CL_ECONN;
    bool connected_once = false;
    const char *m = method, *pth = path, *bd = body;
    for (;;) {
        struct curl_slist *hd = base_headers(bd ? "application/json" : NULL);
        hd = curl_slist_append(hd, "Accept: text/event-stream");
        char lei[64];
        if (c.p.last_id && pth == resume_path) {
            snprintf(lei, sizeof lei, "Last-Event-ID: %llu", (unsigned long long)c.p.last_id);
            hd = curl_slist_append(hd, lei);
        }
        CURL *h = new_handle(m, pth, bd, bd ? strlen(bd) : 0, hd);
        c.h = h;
        cl_sse_parser_reset(&c.p);
        size_t before = c.p.events;
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sse);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
        CURLcode e = curl_easy_perform(h);
        long st = status_now(h);
        c.err.status = st;
        if (e != CURLE_OK) snprintf(c.err.err, sizeof c.err.err, "%s", curl_easy_strerror(e));
        get_ctype(h, &c.err);
        curl_easy_cleanup(h);
        curl_slist_free_all(hd);
        if (c.p.stopped) { rc = CL_OK; break; }
        if (c.p.too_big) { sa_warnx("%s %s: SSE frame larger than %u bytes", m, pth, CL_SSE_FRAME_MAX); break; }
        if (st >= 300 || (st && st < 200)) {
            if (!c.err.body) c.err.body = strdup("");
            rc = cl_report(m, pth, CL_OK, &c.err);
            break;
        }
        if (st >= 200) connected_once = true;
        if (e == CURLE_OK && st >= 200) { rc = CL_OK; break; }   /* the server ended the stream */
        if (!connected_once || !resume_path || sa_stop_requested()) {
            cl_report(m, pth, CL_ECONN, &c.err);
            break;
        }
        if (c.p.events > before) tries = 0;
        if (++tries > CL_SSE_RETRIES) {
            sa_warnx("%s%s: stream lost (%s); gave up after %d reconnects", cl_g.endpoint, resume_path,
                     c.err.err, CL_SSE_RETRIES);
            break;
        }
        sa_notice("stream dropped (%s); reconnecting with Last-Event-ID %llu", c.err.err,
                  (unsigned long long)c.p.last_id);
        pause_ms(tries < 5 ? 100u << tries : 2000u);
        m = "GET";
        pth = resume_path;
        bd = NULL;
        free(c.err.body);
        c.err.body = NULL;
        c.err.len = c.errcap = 0;
    }
    cl_sse_parser_free(&c.p);
    free(c.err.body);
    return rc;
}
