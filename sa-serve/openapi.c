/*
 * openapi.c — GET /v1/openapi.json: the OpenAPI 3.0 document for sa-serve.
 *
 * How it works: the document is written here (paths) and in
 * openapi_schemas.c (components) as C string literals in which JSON's
 * double quote is spelled ' (single quote), so the text stays readable
 * without a backslash before every quote.  openapi_json() joins the two
 * parts once into a static buffer and turns every ' into ".  Consequence:
 * descriptions must not contain a single quote.  A unit test
 * (tests/unit/test_openapi.c) checks that the result parses as JSON and
 * lists every route.
 */
#include "openapi.h"

#include <string.h>

extern const char oa_components[];   /* openapi_schemas.c */

/* Shorthands used below (expanded by the preprocessor inside literals). */
#define J "'application/json'"
#define REF(x) "{'$ref':'#/components/schemas/" x "'}"
#define JSONBODY(x) "{'content':{" J ":{'schema':" REF(x) "}}}"
#define OK(x) "'200':{'description':'OK','content':{" J ":{'schema':" REF(x) "}}}"
#define E(code, name) "'" code "':{'$ref':'#/components/responses/" name "'}"
#define P(name) "{'$ref':'#/components/parameters/" name "'}"
#define NOCONTENT "'204':{'description':'Done (no body)'}"

static const char oa_paths[] =
"{'openapi':'3.0.3',"
"'info':{'title':'sa-serve','version':'0.1.0',"
 "'description':'HTTP API of sa-serve, wire-compatible with sandbox-agent v0.1.11 (REST under /v1, camelCase bodies, "
 "snake_case universal events, problem-details errors typed urn:sandbox-agent:error:<code> sent as application/json). "
 "Additions: GET and DELETE /v1/sessions/{sessionId}, GET /v1/openapi.json, SSE frames carry id: <sequence> and honour Last-Event-ID, "
 "heartbeat comments keep idle streams open, bodies larger than --max-body get 413 payload_too_large, and the fs endpoints "
 "are confined to --fs-root. Events are durable: they survive a server restart. Not described here: GET /metrics, "
 "the inspector at /ui/ and the OpenCode-compatible API at /opencode (man sa-opencode-compat).'},"
"'servers':[{'url':'http://127.0.0.1:2468'}],"
"'security':[{'bearerAuth':[]},{}],"
"'paths':{"

/* ---- health, agents ---- */
"'/v1/health':{'get':{'summary':'Liveness (never needs a token)','operationId':'getHealth','security':[],"
 "'responses':{" OK("HealthResponse") "}}},"
"'/v1/agents':{'get':{'summary':'List agents with install state and capabilities','operationId':'listAgents',"
 "'responses':{" OK("AgentListResponse") "," E("401","Unauthorized") "}}},"
"'/v1/agents/{agent}/install':{'post':{'summary':'Install an agent','operationId':'installAgent',"
 "'parameters':[" P("Agent") "],'requestBody':{'required':true,'content':{" J ":{'schema':" REF("AgentInstallRequest") "}}},"
 "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") "," E("500","ServerError") "}}},"
"'/v1/agents/{agent}/modes':{'get':{'summary':'Agent modes','operationId':'getAgentModes','parameters':[" P("Agent") "],"
 "'responses':{" OK("AgentModesResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "}}},"
"'/v1/agents/{agent}/models':{'get':{'summary':'Agent models','operationId':'getAgentModels','parameters':[" P("Agent") "],"
 "'responses':{" OK("AgentModelsResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "}}},"

/* ---- sessions ---- */
"'/v1/sessions':{'get':{'summary':'List sessions, newest first','operationId':'listSessions',"
 "'responses':{" OK("SessionListResponse") "," E("401","Unauthorized") "}}},"
"'/v1/sessions/{sessionId}':{"
 "'post':{'summary':'Create a session and start its agent pipeline','operationId':'createSession',"
  "'parameters':[" P("SessionId") "],'requestBody':{'required':true,'content':{" J ":{'schema':" REF("CreateSessionRequest") "}}},"
  "'responses':{" OK("CreateSessionResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("409","Conflict") ","
  E("413","PayloadTooLarge") "," E("500","ServerError") "," E("502","StreamError") "," E("503","StoreUnavailable") "}},"
 "'get':{'summary':'One session (sa addition)','operationId':'getSession','parameters':[" P("SessionId") "],"
  "'responses':{" OK("SessionInfo") "," E("401","Unauthorized") "," E("404","NotFound") "}},"
 "'delete':{'summary':'Delete a session (sa addition): its agent processes are stopped, its events and state removed',"
  "'description':'Answered once the session pipeline has stopped (within --kill-grace-ms); afterwards the id is free "
  "for a new session.','operationId':'deleteSession','parameters':[" P("SessionId") "],"
  "'responses':{" NOCONTENT "," E("401","Unauthorized") "," E("404","NotFound") "," E("502","StreamError") "}}},"
"'/v1/sessions/{sessionId}/messages':{'post':{'summary':'Send a message; events arrive on the event endpoints','operationId':'postMessage',"
 "'parameters':[" P("SessionId") "],'requestBody':{'required':true,'content':{" J ":{'schema':" REF("MessageRequest") "}}},"
 "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") ","
 E("413","PayloadTooLarge") "," E("500","ServerError") "," E("502","StreamError") "}}},"
"'/v1/sessions/{sessionId}/messages/stream':{'post':{'summary':'Send a message and stream this turn as SSE',"
 "'description':'Delivers only events newer than the send. The stream ends after the first turn-terminal event: "
 "turn.ended, session.ended, error, agent.unparsed, permission.requested or question.requested.',"
 "'operationId':'postMessageStream','parameters':[" P("SessionId") "," P("IncludeRaw") "," P("IncludeRawCamel") "],"
 "'requestBody':{'required':true,'content':{" J ":{'schema':" REF("MessageRequest") "}}},"
 "'responses':{'200':{'$ref':'#/components/responses/EventStream'}," E("400","BadRequest") "," E("401","Unauthorized") ","
 E("404","NotFound") "," E("413","PayloadTooLarge") "," E("500","ServerError") "}}},"
"'/v1/sessions/{sessionId}/terminate':{'post':{'summary':'Terminate the session (its agent processes are stopped; events stay readable)',"
 "'operationId':'terminateSession','parameters':[" P("SessionId") "],"
 "'responses':{" NOCONTENT "," E("401","Unauthorized") "," E("404","NotFound") "}}},"
"'/v1/sessions/{sessionId}/events':{'get':{'summary':'Poll stored events with sequence > offset','operationId':'getEvents',"
 "'parameters':[" P("SessionId") "," P("Offset") "," P("Limit") "," P("IncludeRaw") "," P("IncludeRawCamel") "],"
 "'responses':{" OK("EventsResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") ","
 E("502","StreamError") "," E("503","StoreUnavailable") "}}},"
"'/v1/sessions/{sessionId}/todos':{'get':{'summary':'The latest todo list of the session (an sa addition)',"
 "'description':'The list of the latest status item labelled todo.updated (sa-events(7) TODO LISTS); [] when none.',"
 "'operationId':'getTodos','parameters':[" P("SessionId") "],"
 "'responses':{" OK("TodosResponse") "," E("401","Unauthorized") "," E("404","NotFound") "}}},"
"'/v1/sessions/{sessionId}/subagents':{'get':{'summary':'The subagents the session started (an sa addition)',"
 "'description':'One entry per subagent, from the status items labelled subagent.updated (sa-events(7) SUBAGENTS), latest state; [] when none.',"
 "'operationId':'getSubagents','parameters':[" P("SessionId") "],"
 "'responses':{" OK("SubagentsResponse") "," E("401","Unauthorized") "," E("404","NotFound") "}}},"
"'/v1/sessions/{sessionId}/diff':{'get':{'summary':'What the session changed in its directory since it started (an sa addition)',"
 "'description':'Computed by sa from its own snapshot of the session directory at session start (a private git repository in the state "
 "directory; .git and ignored files skipped; files over 1 MiB listed, not diffed). format=unified (default): the unified diff as text; "
 "format=files: the list of changed files.',"
 "'operationId':'getDiff','parameters':[" P("SessionId") ",{'name':'format','in':'query','required':false,"
 "'schema':{'type':'string','enum':['unified','files']}}],"
 "'responses':{'200':{'description':'OK','content':{'text/plain':{'schema':{'type':'string'}}," J ":{'schema':" REF("DiffFilesResponse") "}}},"
 E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") ",'502':{'description':'The diff could not be computed (problem details)'}}}},"
"'/v1/sessions/{sessionId}/events/sse':{'get':{'summary':'Endless SSE stream: stored events after offset, then live ones',"
 "'description':'Resume point: the larger of the offset query parameter and the Last-Event-ID header. "
 "Every frame is id: <sequence> then data: <UniversalEvent>; comment lines (starting with a colon) are heartbeats.',"
 "'operationId':'getEventsSse','parameters':[" P("SessionId") "," P("Offset") "," P("LastEventId") "," P("IncludeRaw") "," P("IncludeRawCamel") "],"
 "'responses':{'200':{'$ref':'#/components/responses/EventStream'}," E("401","Unauthorized") "," E("404","NotFound") "}}},"
"'/v1/sessions/{sessionId}/questions/{questionId}/reply':{'post':{'summary':'Answer a pending question','operationId':'replyQuestion',"
 "'parameters':[" P("SessionId") "," P("QuestionId") "],'requestBody':{'required':true,'content':{" J ":{'schema':" REF("QuestionReplyRequest") "}}},"
 "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") "," E("413","PayloadTooLarge") "}}},"
"'/v1/sessions/{sessionId}/questions/{questionId}/reject':{'post':{'summary':'Reject a pending question','operationId':'rejectQuestion',"
 "'parameters':[" P("SessionId") "," P("QuestionId") "],"
 "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") "}}},"
"'/v1/sessions/{sessionId}/permissions/{permissionId}/reply':{'post':{'summary':'Answer a pending permission request','operationId':'replyPermission',"
 "'parameters':[" P("SessionId") "," P("PermissionId") "],'requestBody':{'required':true,'content':{" J ":{'schema':" REF("PermissionReplyRequest") "}}},"
 "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") "," E("413","PayloadTooLarge") "}}},"

/* ---- filesystem ---- */
"'/v1/fs/entries':{'get':{'summary':'List a directory (symlinks are listed, not followed)','operationId':'fsEntries',"
 "'parameters':[" P("FsPathOptional") "," P("FsSessionId") "],"
 "'responses':{'200':{'description':'OK','content':{" J ":{'schema':{'type':'array','items':" REF("FsEntry") "}}}},"
 E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") "," E("404","NotFound") "," E("502","StreamError") "}}},"
"'/v1/fs/file':{"
 "'get':{'summary':'Read a regular file','operationId':'fsReadFile','parameters':[" P("FsPath") "," P("FsSessionId") "],"
  "'responses':{'200':{'description':'The file bytes','content':{'application/octet-stream':{'schema':{'type':'string','format':'binary'}}}},"
  E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") "," E("404","NotFound") "," E("502","StreamError") "}},"
 "'put':{'summary':'Write a file (parent directories are created)','operationId':'fsWriteFile','parameters':[" P("FsPath") "," P("FsSessionId") "],"
  "'requestBody':{'required':true,'content':{'application/octet-stream':{'schema':{'type':'string','format':'binary'}}}},"
  "'responses':{" OK("FsWriteResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") ","
  E("404","NotFound") "," E("413","PayloadTooLarge") "," E("502","StreamError") "}}},"
"'/v1/fs/entry':{'delete':{'summary':'Delete a file, a symlink (not its target), or a directory (recursive=true for a non-empty one)',"
 "'operationId':'fsDeleteEntry','parameters':[" P("FsPath") "," P("FsSessionId") ","
 "{'name':'recursive','in':'query','required':false,'schema':{'type':'boolean'}}],"
 "'responses':{" OK("FsPathResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") ","
 E("404","NotFound") "," E("502","StreamError") "}}},"
"'/v1/fs/mkdir':{'post':{'summary':'Create a directory and its parents','operationId':'fsMkdir','parameters':[" P("FsPath") "," P("FsSessionId") "],"
 "'responses':{" OK("FsPathResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") ","
 E("404","NotFound") "," E("502","StreamError") "}}},"
"'/v1/fs/move':{'post':{'summary':'Rename (destination parents are created; an existing destination needs overwrite=true)',"
 "'operationId':'fsMove','parameters':[" P("FsSessionId") "],'requestBody':{'required':true,'content':{" J ":{'schema':" REF("FsMoveRequest") "}}},"
 "'responses':{" OK("FsMoveResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") ","
 E("404","NotFound") "," E("413","PayloadTooLarge") "," E("502","StreamError") "}}},"
"'/v1/fs/stat':{'get':{'summary':'Stat a path (a symlink is followed while it stays inside the root)','operationId':'fsStat',"
 "'parameters':[" P("FsPath") "," P("FsSessionId") "],"
 "'responses':{" OK("FsStat") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") ","
 E("404","NotFound") "," E("502","StreamError") "}}},"
"'/v1/fs/upload-batch':{'post':{'summary':'Extract a plain tar archive below path (default .)',"
 "'description':'Only regular files and directories are extracted. Symlink and hard-link entries, absolute names and names "
 "with .. are refused with 403 before anything is written; other entry types and malformed archives get 400.',"
 "'operationId':'fsUploadBatch','parameters':[" P("FsPathOptional") "," P("FsSessionId") "],"
 "'requestBody':{'required':true,'content':{'application/x-tar':{'schema':{'type':'string','format':'binary'}}}},"
 "'responses':{" OK("FsUploadBatchResponse") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("403","Forbidden") ","
 E("404","NotFound") "," E("413","PayloadTooLarge") "," E("502","StreamError") "}}},"

/* ---- server defaults (the shape of sandbox-agent 0.2) ---- */
"'/v1/config/mcp':{"
 "'parameters':[{'name':'directory','in':'query','required':true,'schema':{'type':'string'},"
  "'description':'The directory whose new sessions get the default (compared after realpath)'},"
  "{'name':'mcpName','in':'query','required':true,'schema':{'type':'string'},'description':'alias mcp_name'}],"
 "'get':{'summary':'A default MCP server for new sessions in a directory','operationId':'getConfigMcp',"
  "'responses':{" OK("McpServerConfig") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") "}},"
 "'put':{'summary':'Set a default MCP server (validated as session create mcp entries are); a session entry of the same name wins',"
  "'operationId':'putConfigMcp','requestBody':{'required':true,'content':{" J ":{'schema':" REF("McpServerConfig") "}}},"
  "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "}},"
 "'delete':{'summary':'Remove a default MCP server (idempotent)','operationId':'deleteConfigMcp',"
  "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "}}},"
"'/v1/config/skills':{"
 "'parameters':[{'name':'directory','in':'query','required':true,'schema':{'type':'string'}},"
  "{'name':'skillName','in':'query','required':true,'schema':{'type':'string'},'description':'alias skill_name'}],"
 "'get':{'summary':'A default skills config for new sessions in a directory','operationId':'getConfigSkills',"
  "'responses':{" OK("SkillsConfig") "," E("400","BadRequest") "," E("401","Unauthorized") "," E("404","NotFound") "}},"
 "'put':{'summary':'Set default skills (resolved now: a bad source is 400); skills a session names itself win',"
  "'operationId':'putConfigSkills','requestBody':{'required':true,'content':{" J ":{'schema':" REF("SkillsConfig") "}}},"
  "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "}},"
 "'delete':{'summary':'Remove default skills (idempotent)','operationId':'deleteConfigSkills',"
  "'responses':{" NOCONTENT "," E("400","BadRequest") "," E("401","Unauthorized") "}}},"

/* ---- metrics ---- */
"'/metrics':{'get':{'summary':'Server state in the Prometheus text format (sa addition; same token as the API)',"
 "'description':'Gauges computed when scraped: sa_sessions_active, sa_sessions_stored, sa_events_stored{agent}, "
 "sa_sse_clients, sa_sse_clients_behind, sa_sse_client_queue_bytes_max, sa_pending_permissions, sa_pending_questions, "
 "sa_agent_processes, sa_stage_processes{stage}, sa_tokens{agent,kind}, sa_cost_usd{agent}; and the histogram "
 "sa_event_commit_latency_seconds. See sa-serve(1) METRICS.','operationId':'getMetrics',"
 "'responses':{'200':{'description':'Prometheus text exposition format 0.0.4',"
 "'content':{'text/plain; version=0.0.4':{'schema':{'type':'string'}}}}," E("401","Unauthorized") "}}},"

/* ---- this document ---- */
"'/v1/openapi.json':{'get':{'summary':'This OpenAPI document (sa addition)','operationId':'getOpenApi',"
 "'responses':{'200':{'description':'OpenAPI 3.0 document','content':{" J ":{'schema':{'type':'object'}}}}}}}"
"},";   /* end of paths; components follow */

const char *openapi_json(void)
{
    static char doc[sizeof oa_paths + 65536];
    static int built;
    if (!built) {
        size_t a = strlen(oa_paths), b = strlen(oa_components);
        if (a + b + 1 > sizeof doc) return "{}";
        memcpy(doc, oa_paths, a);
        memcpy(doc + a, oa_components, b + 1);
        for (char *p = doc; *p; p++)
            if (*p == '\'') *p = '"';
        built = 1;
    }
    return doc;
}
