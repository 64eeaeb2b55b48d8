/*
 * nz_park.c — sa-spawn's parked and resumed lines as status items
 * (sa-events(7) PARKED AGENTS).
 *
 *   {"sa":"parked","idle_ms":N}     the agent was stopped after N ms idle;
 *                                   the session stays open
 *   {"sa":"resumed","resume_ms":N,"how":H}   a parked session's agent is
 *                                   back, N ms after the message that woke it
 *
 * Each becomes an item.completed of kind status, role system, synthetic,
 * whose content is a status part {label: agent.parked | agent.resumed,
 * detail} and a json part ({"idle_ms":N} or {"resume_ms":N,"how":H}).  The
 * items go through nz_item_event like any other (ids, the synthetic
 * item.started before them).  Nothing is kept.
 */
#include "nz_int.h"

#include <stdio.h>
#include <string.h>

/* A non-negative number member, or -1. */
static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

void nz_park_line(nz_state *st, const char *sa, const cJSON *line, nz_raw raw)
{
    char detail[160];
    cJSON *json = cJSON_CreateObject();
    const char *label;
    if (!strcmp(sa, "parked")) {
        double ms = num(line, "idle_ms");
        label = "agent.parked";
        if (ms >= 0) {
            cJSON_AddNumberToObject(json, "idle_ms", ms);
            snprintf(detail, sizeof detail, "idle %.0f s: agent stopped; the next message resumes it", ms / 1000);
        } else {
            cJSON_AddNullToObject(json, "idle_ms");
            snprintf(detail, sizeof detail, "agent stopped; the next message resumes it");
        }
    } else {
        double ms = num(line, "resume_ms");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(line, "how");
        const char *how = cJSON_IsString(h) ? h->valuestring : "restarted";
        label = "agent.resumed";
        if (ms >= 0) cJSON_AddNumberToObject(json, "resume_ms", ms);
        else cJSON_AddNullToObject(json, "resume_ms");
        cJSON_AddStringToObject(json, "how", how);
        snprintf(detail, sizeof detail, "resumed in %.0f ms (%.32s)", ms < 0 ? 0 : ms, how);
    }
    nz_item_event(st, "item.completed", nz_status_item(label, detail, NULL, json), true, raw);
}
