/*
 * sa_event.h — canonical serialization of stored universal events.
 *
 * A stored event is printed with its keys in the order of sandbox-agent
 * v0.1.11: event_id, sequence, time, session_id, native_session_id,
 * synthetic, source, type, data, raw.  The serializer also reports where the
 * ',"raw":' member starts, so a reader can drop raw (replace it by null)
 * without parsing the JSON again.
 *
 * Ownership: returned strings are malloc'd and freed by the caller; input
 * trees are only read.
 */
#ifndef SA_EVENT_H
#define SA_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "sa_jcanon.h"

/* Serializes `ev` (a valid universal event, with or without event_id and
 * sequence — any it has are ignored) with sequence `seq` and event_id
 * "evt_<seq>".  When the event's native_session_id is null and
 * `fill_native` is not NULL, fill_native is used instead.  Missing envelope
 * keys are printed as null.  On success returns the one-line JSON (no
 * newline), sets *len to its length and *raw_off to the byte offset of
 * ',"raw":' in it.  NULL on allocation failure. */
char *sa_event_serialize(const cJSON *ev, uint64_t seq, const char *fill_native,
                         size_t *len, size_t *raw_off);

/* The same serialization in two steps, so a caller can drop the cJSON tree
 * as soon as an event is read and number it later (sa_store_prepare).
 * sa_event_split prints everything but event_id, sequence and
 * native_session_id: text = '"time":..,"session_id":..' (pre_len bytes)
 * followed by ',"synthetic":..,"source":..,"type":..,"data":..,"raw":..}';
 * native_json is the printed native_session_id, NULL when it is null or
 * absent.  sa_event_join frames it for `seq`, printing fill_native_json (a
 * JSON string, may be NULL) when native_json is NULL.  Results are equal
 * to sa_event_serialize's byte for byte. */
typedef struct sa_event_parts {
    char *text;            /* owned */
    size_t len, pre_len;
    size_t raw_off;        /* offset of ',"raw":' in text */
    char *native_json;     /* owned; NULL = null */
} sa_event_parts;

/* 0 on success, -1 on allocation failure (out is then empty). */
int sa_event_split(const cJSON *ev, sa_event_parts *out);
/* The parts of the event whose text is line[0..len) without printing it:
 * when the line is in cJSON's print form (sa_json_canonical) and is an
 * object of exactly the keys time, session_id, native_session_id,
 * synthetic, source, type, data, raw in that order, the parts are cut out
 * of it, equal byte for byte to sa_event_split's of its parse.  0 done,
 * 1 not such a line (out empty; split the tree instead), -1 out of memory. */
int sa_event_split_line(const char *line, size_t len, sa_event_parts *out);
/* The two steps of sa_event_split_line: whether the line is such a line
 * (m: where its 8 members start), and the cut (0, or -1 out of memory). */
bool sa_event_line_scan(const char *line, size_t len, sa_jmember m[8]);
int sa_event_split_cut(const char *line, size_t len, const sa_jmember m[8], sa_event_parts *out);
char *sa_event_join(const sa_event_parts *p, uint64_t seq, const char *fill_native_json,
                    size_t *len, size_t *raw_off);
/* sa_event_join that takes over p->text: the joined text is built in the
 * same block (realloc), so a big event is not held twice.  On success
 * p->text is NULL (the rest of p stays valid); on failure p is unchanged. */
char *sa_event_join_take(sa_event_parts *p, uint64_t seq, const char *fill_native_json,
                         size_t *len, size_t *raw_off);
void sa_event_parts_clear(sa_event_parts *p);
/* A C string as a JSON string literal (malloc'd; NULL on failure). */
char *sa_event_json_string(const char *s);

/* Copies json[0..raw_off) + ',"raw":null}' into a new string (length in
 * *outlen).  raw_off must come from sa_event_serialize for this text.
 * NULL on allocation failure or when raw_off is out of range. */
char *sa_event_without_raw(const char *json, size_t len, size_t raw_off, size_t *outlen);

/* v in decimal into out (at least 21 bytes, NUL-terminated); its length. */
size_t sa_event_u64(char *out, uint64_t v);

/* Highest N among "itm_N" ids in the event (data.item.item_id, parent_id,
 * data.item_id); 0 if none. */
uint64_t sa_event_max_item(const cJSON *ev);

#endif
