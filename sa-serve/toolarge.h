/*
 * toolarge.h — libevent's HTML 413 (a body over --max-body) rewritten as
 * sa's problem details (toolarge.c says how).  Prefix tl_.
 */
#ifndef SA_SERVE_TOOLARGE_H
#define SA_SERVE_TOOLARGE_H

#include <stddef.h>
#include <event2/http.h>

/* Make evhttp's connections with our bufferevents (evhttp_set_bevcb). */
void tl_install(struct evhttp *http, size_t max_body);

#endif
