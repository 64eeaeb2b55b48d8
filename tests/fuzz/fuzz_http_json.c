/*
 * fuzz_http_json.c — libFuzzer target: sa-serve's handling of request
 * bodies and credentials that come from outside, without a socket.
 *
 * The input is a request body: parsed as JSON the way http_body_json does
 * (cJSON_ParseWithLength, objects only), its "mcp" member normalized like
 * a create body's (mcp_normalize, both strict and not) and redacted
 * (mcp_redacted), and the problem document built for it
 * (http_problem_body with the input as the detail).  The same bytes are
 * also taken as an Authorization header value (acc_extract_token, which
 * decodes Basic credentials with acc_b64decode) and compared in constant
 * time (acc_ct_equal).  Ownership: everything is freed per input.
 */
#include "serve.h"
#include "http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    cJSON *j = cJSON_ParseWithLength(s, size);
    if (cJSON_IsObject(j)) {
        char err[512];
        for (int strict = 0; strict < 2; strict++) {
            cJSON *norm = mcp_normalize(cJSON_GetObjectItemCaseSensitive(j, "mcp"), strict, err, sizeof err);
            if (norm) {
                cJSON *red = mcp_redacted(norm);
                char *t = cJSON_PrintUnformatted(red);
                free(t);
                cJSON_Delete(red);
                cJSON_Delete(norm);
            }
        }
    }
    cJSON_Delete(j);
    cJSON *p = http_problem_body(HTTP_ERR_INVALID_REQUEST, 0, s, cJSON_Parse(s));
    char *t = cJSON_PrintUnformatted(p);
    if (p && !t) abort();
    free(t);
    cJSON_Delete(p);
    char *tok = acc_extract_token(s);
    if (tok) { (void)acc_ct_equal(tok, "secret"); free(tok); }
    size_t n;
    char *dec = acc_b64decode(s, &n);
    free(dec);
    free(s);
    return 0;
}
