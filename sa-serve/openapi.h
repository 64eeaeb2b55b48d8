/*
 * openapi.h — the OpenAPI 3.0 description of the whole sa-serve HTTP API
 * (served as GET /v1/openapi.json): every sandbox-agent v0.1.11 endpoint
 * with its request and response schemas, the universal event schema, and
 * sa's additions (GET /v1/sessions/{id}, this document, SSE `id:` lines with
 * Last-Event-ID, heartbeats, 413 payload_too_large, fs confinement).
 *
 * Ownership: the returned string is static (built once, never freed);
 * callers must not modify it.
 */
#ifndef SA_OPENAPI_H
#define SA_OPENAPI_H

/* The document as compact-ish JSON text, NUL-terminated. */
const char *openapi_json(void);

#endif
