/*
 * sa_schema.c — checks one universal event against the v0.1.11 schema.
 *
 * How it works: each object in the schema is described by a table of its
 * keys (name, kind of value, required / optional-but-never-null).  obj_check()
 * verifies an object against such a table: unknown or duplicate keys,
 * missing required keys, canonical order (optional), and each value's kind.
 * Type-specific rules (enums that depend on the event type, session.ended's
 * error-only fields, agent.unparsed being synthetic, turn.ended's optional
 * "usage" — an sa extension, additive to v0.1 — with exactly its six keys)
 * are written out by hand after the table check.  The first failure is formatted into the caller's
 * buffer as "<path>: <problem>" and everything returns false from there.
 */
#include "sa_schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const sa_schema_types[SA_SCHEMA_NTYPES] = {
    "session.started", "session.ended", "turn.started", "turn.ended",
    "item.started", "item.delta", "item.completed", "error",
    "permission.requested", "permission.resolved",
    "question.requested", "question.resolved", "agent.unparsed",
};

/* Value kinds for key tables. */
enum kind {
    K_ANY,          /* any JSON value, null included */
    K_STR,          /* string */
    K_STR_NULL,     /* string or null */
    K_BOOL,
    K_INT,          /* integral number */
    K_UINT,         /* integral number >= 0 */
    K_OBJ,
    K_ARR,
    K_NONNULL,      /* any value except null */
    K_UINT_NULL,    /* integral number >= 0, or null */
    K_NUM_NULL,     /* finite number >= 0, or null */
};

enum need { REQ, OPT };   /* OPT: may be omitted, but never null */

typedef struct keydef {
    const char *name;
    enum kind kind;
    enum need need;
} keydef;

typedef struct ctx {
    char *err;
    size_t errsz;
    unsigned flags;
} ctx;

static bool fail(ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(ctx *c, const char *path, const char *fmt, ...)
{
    if (!c->errsz) return false;
    int n = snprintf(c->err, c->errsz, "%s%s", path && *path ? path : "",
                     path && *path ? ": " : "");
    if (n < 0) n = 0;
    if ((size_t)n < c->errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errsz - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* "<base>.<key>" (or "<key>" at the top) into buf. */
static const char *join(char *buf, size_t sz, const char *base, const char *key)
{
    size_t off = 0;
    const char *parts[3] = { base && *base ? base : "", base && *base ? "." : "", key };
    for (int i = 0; i < 3; i++)
        for (const char *p = parts[i]; *p && off + 1 < sz; p++) buf[off++] = *p;
    buf[off] = '\0';
    return buf;
}

/* "<base>.<key>[i]" (or "<key>[i]" at the top) into buf. */
static const char *join_idx(char *buf, size_t sz, const char *base, const char *key, int i)
{
    char idx[24];
    snprintf(idx, sizeof idx, "[%d]", i);
    join(buf, sz, base, key);
    size_t off = strlen(buf);
    for (const char *p = idx; *p && off + 1 < sz; p++) buf[off++] = *p;
    buf[off] = '\0';
    return buf;
}

static const char *kind_name(enum kind k)
{
    switch (k) {
    case K_STR: return "string";
    case K_STR_NULL: return "string or null";
    case K_BOOL: return "boolean";
    case K_INT: return "integer";
    case K_UINT: return "non-negative integer";
    case K_OBJ: return "object";
    case K_ARR: return "array";
    case K_NONNULL: return "non-null value";
    case K_UINT_NULL: return "non-negative integer or null";
    case K_NUM_NULL: return "non-negative number or null";
    default: return "value";
    }
}

static bool is_integral(const cJSON *v)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    return isfinite(d) && d == floor(d) && fabs(d) <= 9007199254740992.0;
}

static bool kind_ok(const cJSON *v, enum kind k)
{
    switch (k) {
    case K_ANY: return true;
    case K_STR: return cJSON_IsString(v) && v->valuestring;
    case K_STR_NULL: return cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring);
    case K_BOOL: return cJSON_IsBool(v);
    case K_INT: return is_integral(v);
    case K_UINT: return is_integral(v) && v->valuedouble >= 0;
    case K_OBJ: return cJSON_IsObject(v);
    case K_ARR: return cJSON_IsArray(v);
    case K_NONNULL: return !cJSON_IsNull(v) && !cJSON_IsInvalid(v);
    case K_UINT_NULL: return cJSON_IsNull(v) || (is_integral(v) && v->valuedouble >= 0);
    case K_NUM_NULL: return cJSON_IsNull(v) || (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0);
    }
    return false;
}

/* Check `obj` against keys[0..n): see the file comment. */
static bool obj_check(ctx *c, const cJSON *obj, const char *path,
                      const keydef *keys, size_t n)
{
    char sub[512];
    if (!cJSON_IsObject(obj)) return fail(c, path, "expected object");
    bool seen[16] = { false };
    size_t last = 0;
    bool any = false;
    for (const cJSON *ch = obj->child; ch; ch = ch->next) {
        const char *name = ch->string ? ch->string : "";
        size_t i = 0;
        while (i < n && strcmp(keys[i].name, name) != 0) i++;
        if (i == n) return fail(c, join(sub, sizeof sub, path, name), "unexpected key");
        if (seen[i]) return fail(c, join(sub, sizeof sub, path, name), "duplicate key");
        if ((c->flags & SA_SCHEMA_KEY_ORDER) && any && i < last)
            return fail(c, join(sub, sizeof sub, path, name),
                        "out of order (canonical order puts it before \"%s\")", keys[last].name);
        seen[i] = true;
        last = i;
        any = true;
        if (keys[i].need == OPT && cJSON_IsNull(ch))
            return fail(c, join(sub, sizeof sub, path, name), "must be omitted, not null");
        if (!kind_ok(ch, keys[i].kind))
            return fail(c, join(sub, sizeof sub, path, name), "expected %s", kind_name(keys[i].kind));
    }
    for (size_t i = 0; i < n; i++)
        if (keys[i].need == REQ && !seen[i])
            return fail(c, join(sub, sizeof sub, path, keys[i].name), "missing");
    return true;
}

/* The string value must be one of the NULL-terminated list. */
static bool enum_check(ctx *c, const cJSON *obj, const char *path, const char *key,
                       const char *const *allowed)
{
    char sub[512];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || !cJSON_IsString(v)) return true;     /* absence/type checked elsewhere */
    for (const char *const *a = allowed; *a; a++)
        if (!strcmp(*a, v->valuestring)) return true;
    char list[256] = "";
    size_t off = 0;
    for (const char *const *a = allowed; *a && off < sizeof list; a++) {
        int m = snprintf(list + off, sizeof list - off, "%s%s", a == allowed ? "" : "|", *a);
        if (m < 0) break;
        off += (size_t)m;
    }
    return fail(c, join(sub, sizeof sub, path, key), "invalid value \"%.64s\" (expected %s)",
                v->valuestring, list);
}

static const char *str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- content parts ---- */

static const keydef part_text[] = { {"type", K_STR, REQ}, {"text", K_STR, REQ} };
static const keydef part_json[] = { {"type", K_STR, REQ}, {"json", K_ANY, REQ} };
static const keydef part_tool_call[] = { {"type", K_STR, REQ}, {"name", K_STR, REQ},
    {"arguments", K_STR, REQ}, {"call_id", K_STR, REQ} };
static const keydef part_tool_result[] = { {"type", K_STR, REQ}, {"call_id", K_STR, REQ},
    {"output", K_STR, REQ} };
static const keydef part_file_ref[] = { {"type", K_STR, REQ}, {"path", K_STR, REQ},
    {"action", K_STR, REQ}, {"diff", K_STR_NULL, REQ} };
static const keydef part_reasoning[] = { {"type", K_STR, REQ}, {"text", K_STR, REQ},
    {"visibility", K_STR, REQ} };
static const keydef part_image[] = { {"type", K_STR, REQ}, {"path", K_STR, REQ},
    {"mime", K_STR_NULL, REQ} };
static const keydef part_status[] = { {"type", K_STR, REQ}, {"label", K_STR, REQ},
    {"detail", K_STR_NULL, REQ} };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool part_check(ctx *c, const cJSON *p, const char *path)
{
    char sub[512];
    if (!cJSON_IsObject(p)) return fail(c, path, "expected object");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "type");
    if (!t) return fail(c, join(sub, sizeof sub, path, "type"), "missing");
    if (!cJSON_IsString(t)) return fail(c, join(sub, sizeof sub, path, "type"), "expected string");
    const char *ty = t->valuestring;
    if (!strcmp(ty, "text")) return obj_check(c, p, path, part_text, N(part_text));
    if (!strcmp(ty, "json")) return obj_check(c, p, path, part_json, N(part_json));
    if (!strcmp(ty, "tool_call")) return obj_check(c, p, path, part_tool_call, N(part_tool_call));
    if (!strcmp(ty, "tool_result")) return obj_check(c, p, path, part_tool_result, N(part_tool_result));
    if (!strcmp(ty, "file_ref")) {
        static const char *const acts[] = { "read", "write", "patch", NULL };
        return obj_check(c, p, path, part_file_ref, N(part_file_ref)) &&
               enum_check(c, p, path, "action", acts);
    }
    if (!strcmp(ty, "reasoning")) {
        static const char *const vis[] = { "public", "private", NULL };
        return obj_check(c, p, path, part_reasoning, N(part_reasoning)) &&
               enum_check(c, p, path, "visibility", vis);
    }
    if (!strcmp(ty, "image")) return obj_check(c, p, path, part_image, N(part_image));
    if (!strcmp(ty, "status")) return obj_check(c, p, path, part_status, N(part_status));
    return fail(c, join(sub, sizeof sub, path, "type"),
                "invalid value \"%.64s\" (expected text|json|tool_call|tool_result|file_ref|"
                "reasoning|image|status)", ty);
}

/* ---- item ---- */

static const keydef item_keys[] = {
    {"item_id", K_STR, REQ}, {"native_item_id", K_STR_NULL, REQ}, {"parent_id", K_STR_NULL, REQ},
    {"kind", K_STR, REQ}, {"role", K_STR_NULL, REQ}, {"content", K_ARR, REQ},
    {"status", K_STR, REQ},
};

static bool item_check(ctx *c, const cJSON *item, const char *path)
{
    static const char *const kinds[] = { "message", "tool_call", "tool_result", "system",
                                         "status", "unknown", NULL };
    static const char *const roles[] = { "user", "assistant", "system", "tool", NULL };
    static const char *const stats[] = { "in_progress", "completed", "failed", NULL };
    char sub[512];
    if (!obj_check(c, item, path, item_keys, N(item_keys))) return false;
    if (!*str_of(item, "item_id")) return fail(c, join(sub, sizeof sub, path, "item_id"), "empty");
    if (!enum_check(c, item, path, "kind", kinds) || !enum_check(c, item, path, "role", roles) ||
        !enum_check(c, item, path, "status", stats))
        return false;
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
    int i = 0;
    for (const cJSON *p = content->child; p; p = p->next, i++) {
        if (!part_check(c, p, join_idx(sub, sizeof sub, path, "content", i))) return false;
    }
    return true;
}

bool sa_schema_check_item(const cJSON *item, const char *path, unsigned flags,
                          char *err, size_t errsz)
{
    ctx c = { err, errsz, flags };
    if (errsz) err[0] = '\0';
    return item_check(&c, item, path ? path : "");
}

/* ---- data per event type ---- */

static const keydef d_session_started[] = { {"metadata", K_ANY, REQ} };
static const keydef d_session_ended[] = { {"reason", K_STR, REQ}, {"terminated_by", K_STR, REQ},
    {"message", K_STR, OPT}, {"exit_code", K_INT, OPT}, {"stderr", K_OBJ, OPT} };
static const keydef d_stderr[] = { {"head", K_STR, OPT}, {"tail", K_STR, OPT},
    {"truncated", K_BOOL, REQ}, {"total_lines", K_UINT, OPT} };
static const keydef d_turn[] = { {"phase", K_STR, REQ}, {"turn_id", K_STR, OPT},
    {"metadata", K_NONNULL, OPT}, {"usage", K_OBJ, OPT} };
/* sa extension (additive to v0.1): turn.ended usage; every key present. */
static const keydef d_usage[] = { {"input_tokens", K_UINT_NULL, REQ}, {"output_tokens", K_UINT_NULL, REQ},
    {"cache_read_tokens", K_UINT_NULL, REQ}, {"cache_write_tokens", K_UINT_NULL, REQ},
    {"reasoning_tokens", K_UINT_NULL, REQ}, {"cost_usd", K_NUM_NULL, REQ} };
static const keydef d_item[] = { {"item", K_OBJ, REQ} };
static const keydef d_delta[] = { {"item_id", K_STR, REQ}, {"native_item_id", K_STR_NULL, REQ},
    {"delta", K_STR, REQ} };
static const keydef d_error[] = { {"message", K_STR, REQ}, {"code", K_STR_NULL, REQ},
    {"details", K_ANY, REQ} };
static const keydef d_permission[] = { {"permission_id", K_STR, REQ}, {"action", K_STR, REQ},
    {"status", K_STR, REQ}, {"metadata", K_ANY, REQ} };
static const keydef d_question[] = { {"question_id", K_STR, REQ}, {"prompt", K_STR, REQ},
    {"options", K_ARR, REQ}, {"response", K_STR_NULL, REQ}, {"status", K_STR, REQ},
    {"metadata", K_OBJ, OPT} };   /* sa addition: {"answeredBy": token name} on question.resolved */
static const keydef d_unparsed[] = { {"error", K_STR, REQ}, {"location", K_STR, REQ},
    {"raw_hash", K_STR_NULL, REQ} };

static bool data_check(ctx *c, const char *type, const cJSON *d, bool synthetic)
{
    const char *p = "data";
    char sub[512];
    if (!strcmp(type, "session.started"))
        return obj_check(c, d, p, d_session_started, N(d_session_started));
    if (!strcmp(type, "session.ended")) {
        static const char *const reasons[] = { "completed", "error", "terminated", NULL };
        static const char *const by[] = { "agent", "daemon", NULL };
        if (!obj_check(c, d, p, d_session_ended, N(d_session_ended)) ||
            !enum_check(c, d, p, "reason", reasons) || !enum_check(c, d, p, "terminated_by", by))
            return false;
        if (strcmp(str_of(d, "reason"), "error") != 0) {
            static const char *const only[] = { "message", "exit_code", "stderr" };
            for (size_t i = 0; i < N(only); i++)
                if (cJSON_GetObjectItemCaseSensitive(d, only[i]))
                    return fail(c, join(sub, sizeof sub, p, only[i]),
                                "must be omitted unless reason is \"error\"");
        }
        const cJSON *se = cJSON_GetObjectItemCaseSensitive(d, "stderr");
        return !se || obj_check(c, se, "data.stderr", d_stderr, N(d_stderr));
    }
    if (!strcmp(type, "turn.started") || !strcmp(type, "turn.ended")) {
        if (!obj_check(c, d, p, d_turn, N(d_turn))) return false;
        const char *want = type[5] == 's' ? "started" : "ended";
        if (strcmp(str_of(d, "phase"), want) != 0)
            return fail(c, "data.phase", "invalid value \"%.64s\" (expected %s)", str_of(d, "phase"), want);
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(d, "usage");
        if (!u) return true;
        if (type[5] == 's') return fail(c, "data.usage", "only turn.ended carries usage");
        return obj_check(c, u, "data.usage", d_usage, N(d_usage));
    }
    if (!strcmp(type, "item.started") || !strcmp(type, "item.completed"))
        return obj_check(c, d, p, d_item, N(d_item)) &&
               item_check(c, cJSON_GetObjectItemCaseSensitive(d, "item"), "data.item");
    if (!strcmp(type, "item.delta")) {
        if (!obj_check(c, d, p, d_delta, N(d_delta))) return false;
        if (!*str_of(d, "item_id")) return fail(c, "data.item_id", "empty");
        return true;
    }
    if (!strcmp(type, "error"))
        return obj_check(c, d, p, d_error, N(d_error));
    if (!strncmp(type, "permission.", 11)) {
        static const char *const req[] = { "requested", NULL };
        static const char *const res[] = { "accept", "accept_for_session", "reject", NULL };
        return obj_check(c, d, p, d_permission, N(d_permission)) &&
               enum_check(c, d, p, "status", type[11] == 'r' && type[13] == 'q' ? req : res);
    }
    if (!strncmp(type, "question.", 9)) {
        static const char *const req[] = { "requested", NULL };
        static const char *const res[] = { "answered", "rejected", NULL };
        if (!obj_check(c, d, p, d_question, N(d_question)) ||
            !enum_check(c, d, p, "status", type[11] == 'q' ? req : res))
            return false;
        int i = 0;
        for (const cJSON *o = cJSON_GetObjectItemCaseSensitive(d, "options")->child; o; o = o->next, i++)
            if (!cJSON_IsString(o)) {
                return fail(c, join_idx(sub, sizeof sub, "data", "options", i), "expected string");
            }
        return true;
    }
    if (!strcmp(type, "agent.unparsed")) {
        if (!obj_check(c, d, p, d_unparsed, N(d_unparsed))) return false;
        if (!synthetic) return fail(c, "synthetic", "agent.unparsed must be synthetic");
        return true;
    }
    return fail(c, "type", "unknown event type");
}

/* ---- envelope ---- */

static const keydef env_keys[] = {
    {"event_id", K_STR, REQ}, {"sequence", K_UINT, REQ}, {"time", K_STR, REQ},
    {"session_id", K_STR, REQ}, {"native_session_id", K_STR_NULL, REQ},
    {"synthetic", K_BOOL, REQ}, {"source", K_STR, REQ}, {"type", K_STR, REQ},
    {"data", K_OBJ, REQ}, {"raw", K_ANY, REQ},
};

bool sa_schema_is_type(const char *type)
{
    if (!type) return false;
    for (size_t i = 0; i < SA_SCHEMA_NTYPES; i++)
        if (!strcmp(sa_schema_types[i], type)) return true;
    return false;
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

bool sa_schema_is_rfc3339(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm) */
    if (!s || strlen(s) < 20) return false;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return false;
    int mon = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    int hh = (s[11] - '0') * 10 + (s[12] - '0'), mm = (s[14] - '0') * 10 + (s[15] - '0');
    int ss = (s[17] - '0') * 10 + (s[18] - '0');
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') return true;
    if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) && p[6] == '\0')
        return true;
    return false;
}

bool sa_schema_check_event(const cJSON *ev, unsigned flags, char *err, size_t errsz)
{
    ctx c = { err, errsz, flags };
    if (errsz) err[0] = '\0';
    if (!cJSON_IsObject(ev)) return fail(&c, "", "expected a JSON object");
    keydef keys[N(env_keys)];
    memcpy(keys, env_keys, sizeof keys);
    bool has_id = cJSON_GetObjectItemCaseSensitive(ev, "event_id") != NULL;
    bool has_seq = cJSON_GetObjectItemCaseSensitive(ev, "sequence") != NULL;
    if (flags & SA_SCHEMA_NO_IDS) {
        if (has_id != has_seq)
            return fail(&c, has_id ? "sequence" : "event_id",
                        "missing (event_id and sequence come together)");
        keys[0].need = keys[1].need = OPT;
    }
    if (!obj_check(&c, ev, "", keys, N(keys))) return false;
    if (has_seq) {
        double seq = cJSON_GetObjectItemCaseSensitive(ev, "sequence")->valuedouble;
        if (seq < 1) return fail(&c, "sequence", "must be >= 1");
        char want[40];
        snprintf(want, sizeof want, "evt_%.0f", seq);
        if (strcmp(str_of(ev, "event_id"), want) != 0)
            return fail(&c, "event_id", "expected \"%s\" (evt_<sequence>)", want);
    }
    if (!sa_schema_is_rfc3339(str_of(ev, "time")))
        return fail(&c, "time", "not an RFC 3339 date-time");
    static const char *const sources[] = { "agent", "daemon", NULL };
    if (!enum_check(&c, ev, "", "source", sources)) return false;
    const char *type = str_of(ev, "type");
    if (!sa_schema_is_type(type))
        return fail(&c, "type", "invalid value \"%.64s\" (expected one of the 13 event types)", type);
    bool synthetic = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "synthetic"));
    if (synthetic && strcmp(str_of(ev, "source"), "daemon") != 0)
        return fail(&c, "source", "synthetic events must have source \"daemon\"");
    return data_check(&c, type, cJSON_GetObjectItemCaseSensitive(ev, "data"), synthetic);
}
