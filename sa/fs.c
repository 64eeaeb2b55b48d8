/*
 * fs.c — `sa api fs ...`: the /v1/fs endpoints (v0.1.11 §1.12) with the
 * v0.1.11 CLI's flags.  read writes the file's bytes to stdout as they
 * come; write and upload-batch send a file (or --content) as the raw body,
 * at most CL_BODY_MAX bytes (the server has its own, usually smaller, limit
 * and answers 413 beyond it).
 *
 * Ownership: bodies read from files are freed before return.
 */
#include "cl.h"
#include "sa.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define FS_PATH_MAX 8192

static const char fs_usage[] =
    "usage: sa api fs entries [--path P] [--session-id S]\n"
    "       sa api fs read PATH [--session-id S]\n"
    "       sa api fs write PATH (--content TEXT | --from-file FILE) [--session-id S]\n"
    "       sa api fs delete PATH [--recursive] [--session-id S]\n"
    "       sa api fs mkdir|stat PATH [--session-id S]\n"
    "       sa api fs move FROM TO [--overwrite] [--session-id S]\n"
    "       sa api fs upload-batch --tar FILE [--path P] [--session-id S]\n"
    "Every command also takes -e URL, -t TOKEN, -n.\n";

enum { O_PATH = 256, O_SID, O_CONTENT, O_FROM, O_REC, O_OVER, O_TAR };

char *cl_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        sa_reserve(&buf, &cap, n + 65536 + 1, 65536);
        size_t k = fread(buf + n, 1, 65536, f);
        n += k;
        if (n > max) { fclose(f); free(buf); errno = EFBIG; return NULL; }
        if (k < 65536) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); errno = EIO; return NULL; }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int send_body(const char *method, const char *path, const char *data, size_t len, const char *ctype)
{
    cl_resp r;
    int rc = cl_request(method, path, data, len, ctype, NULL, &r);
    return cl_finish(method, path, rc, &r);
}

int cl_api_fs(int argc, char **argv)
{
    if (argc < 2) return cl_usage(fs_usage);
    const char *sub = argv[1];
    argc--, argv++;
    static const struct option lo[] = {
        CL_GLOBAL_LONG, CL_ENDPOINT_LONG, {"path", 1, 0, O_PATH}, {"session-id", 1, 0, O_SID},
        {"content", 1, 0, O_CONTENT}, {"from-file", 1, 0, O_FROM}, {"recursive", 0, 0, O_REC},
        {"overwrite", 0, 0, O_OVER}, {"tar", 1, 0, O_TAR}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *qpath = NULL, *sid = NULL, *content = NULL, *from = NULL, *tar = NULL;
    bool rec = false, over = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, CL_GLOBAL_SHORT CL_ENDPOINT_SHORT "h", lo, NULL)) != -1) {
        if (cl_global_opt(c, optarg, true)) continue;
        switch (c) {
        case O_PATH: qpath = optarg; break;
        case O_SID: sid = optarg; break;
        case O_CONTENT: content = optarg; break;
        case O_FROM: from = optarg; break;
        case O_REC: rec = true; break;
        case O_OVER: over = true; break;
        case O_TAR: tar = optarg; break;
        case 'h': fputs(fs_usage, stdout); return CL_OK;
        default: return cl_usage(fs_usage);
        }
    }
    int npos = argc - optind;
    char **pos = argv + optind;
    char path[FS_PATH_MAX];
    const char *ep = NULL, *method = "GET";
    int want = 1;
    if (!strcmp(sub, "entries")) { ep = "entries"; want = 0; }
    else if (!strcmp(sub, "read")) ep = "file";
    else if (!strcmp(sub, "write")) { ep = "file"; method = "PUT"; }
    else if (!strcmp(sub, "delete")) { ep = "entry"; method = "DELETE"; }
    else if (!strcmp(sub, "mkdir")) { ep = "mkdir"; method = "POST"; }
    else if (!strcmp(sub, "stat")) ep = "stat";
    else if (!strcmp(sub, "move")) { ep = "move"; method = "POST"; want = 2; }
    else if (!strcmp(sub, "upload-batch")) { ep = "upload-batch"; method = "POST"; want = 0; }
    else { sa_warnx("api fs: unknown command: %s", sub); return cl_usage(fs_usage); }
    if (npos != want) return cl_usage(fs_usage);
    snprintf(path, sizeof path, "/v1/fs/%s", ep);
    if (want == 1) cl_query(path, sizeof path, "path", pos[0]);
    else if (qpath) cl_query(path, sizeof path, "path", qpath);
    if (sid) cl_query(path, sizeof path, "sessionId", sid);
    if (rec) cl_query(path, sizeof path, "recursive", "true");

    if (!strcmp(sub, "read")) {
        cl_resp r;
        int rc = cl_request("GET", path, NULL, 0, NULL, stdout, &r);
        return cl_finish("GET", path, rc, &r);
    }
    if (!strcmp(sub, "write") || !strcmp(sub, "upload-batch")) {
        bool up = sub[0] == 'u';
        const char *file = up ? tar : from;
        if (up ? !tar : (!content == !from)) {
            sa_warnx("api fs %s: %s", sub, up ? "--tar FILE is required" : "give one of --content and --from-file");
            return cl_usage(fs_usage);
        }
        if (!file) return send_body(method, path, content, strlen(content), "application/octet-stream");
        size_t n;
        char *data = cl_read_file(file, CL_BODY_MAX, &n);
        if (!data) { sa_warn("%s", file); return CL_ELOCAL; }
        int rc = send_body(method, path, data, n, up ? "application/x-tar" : "application/octet-stream");
        free(data);
        return rc;
    }
    if (!strcmp(sub, "move")) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "from", pos[0]);
        cJSON_AddStringToObject(b, "to", pos[1]);
        if (over) cJSON_AddBoolToObject(b, "overwrite", true);
        char *s = cJSON_PrintUnformatted(b);
        cJSON_Delete(b);
        if (!s) sa_diex(CL_ELOCAL, "out of memory");
        int rc = send_body("POST", path, s, strlen(s), "application/json");
        free(s);
        return rc;
    }
    return send_body(method, path, NULL, 0, NULL);
}
