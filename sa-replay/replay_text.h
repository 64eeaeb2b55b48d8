/*
 * replay_text.h — the restore context of sa-replay --format text (prefix rt_).
 *
 * The text primes a fresh agent with a session's recent history: a header
 * line, then one compact line per meaningful event ("[user] ...",
 * "[assistant] ...", "[tool_call NAME] ARGS", "[tool_result] OUTPUT",
 * "[permission ...]", "[question ...]", "[error] ..."), oldest first.
 * Started items, deltas and turn/session-start events are skipped (the
 * completed item carries the full text).  The NEWEST events are kept: at most
 * max_events lines and at most max_chars characters in all (UTF-8 code
 * points, header included); each event line is cut to max_line characters.
 *
 * Ownership: returned strings are malloc'd; the caller frees them.
 */
#ifndef REPLAY_TEXT_H
#define REPLAY_TEXT_H

#include "sa_store.h"

#include <stddef.h>

typedef struct rt_limits {
    size_t max_events;   /* event lines, >= 1 */
    size_t max_chars;    /* whole text, UTF-8 characters */
    size_t max_line;     /* one event line, UTF-8 characters */
    uint64_t after;      /* only events with sequence > after */
} rt_limits;

/* The compact line (no newline) for one stored event's JSON, or NULL when
 * the event is skipped (or on allocation failure). */
char *rt_event_line(const char *json);

/* Number of UTF-8 characters (code points) in s[0..len). */
size_t rt_utf8_chars(const char *s, size_t len);

/* Byte length of the longest prefix of s[0..len) holding at most `chars`
 * characters (never splits a character). */
size_t rt_utf8_prefix(const char *s, size_t len, size_t chars);

/* One event as a person reads it (sa-replay --format transcript), or NULL
 * when the event adds nothing readable (item starts, deltas, turn starts) or
 * on allocation failure: "HH:MM:SS WHO: TEXT", where WHO is user,
 * assistant, tool call NAME, tool result, permission, question, error,
 * status, turn ended, session started/ended; text keeps its line breaks,
 * continuation lines indented by two spaces; no trailing newline. */
char *rt_transcript_line(const char *json);

/* Builds the text for `session`.  *out is "" when the session has no
 * event worth a line.  Returns an SA_STORE_* code. */
int rt_build(sa_store *st, const sa_session *session, const rt_limits *lim, char **out);

#endif
