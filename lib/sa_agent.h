/*
 * sa_agent.h — the one description of an agent (prefix sa_agent_).
 *
 * Everything sa knows about an agent that is not wire-protocol code lives in
 * one JSON file per agent, NAME.json, beside its mapping program NAME.jq
 * (sa-normalize/agents/ in the source tree, share/sa/agents/ installed).
 * sa-spawn, sa-normalize and sa-serve all read it through this module; usage
 * text, mode validation and /v1/agents derive from it.  The format is
 * documented in sa-spawn(1), section AGENT DESCRIPTIONS; in short:
 *
 *   id, name          the agent's id (= file name) and display name
 *   order             listing order (v0.1.11 lists claude, codex, ...)
 *   protocol          sa-spawn's wire module: "mock", "claude", "codex",
 *                     "opencode", "amp"
 *   bin, beside_self  executable name; look beside sa's own binaries first
 *   version_args      argv after the executable that prints its version
 *   capabilities      the 18 v0.1.11 capability flags served by /v1/agents
 *   agent_modes       [{id, name, description}]; any_agent_mode: any name
 *                     of letters, digits, "_-." is accepted (opencode)
 *   permission_modes  the modes it honours; permission_mode_aliases maps a
 *                     mode it does not honour to one it does
 *   normalize         {item_started, native_turn_started, synth_user,
 *                      resumable}: sa-normalize's behaviour flags
 *   native_resume     whether a restarted agent resumes its own session
 *   question_tools    tool names that ask the user a question
 *   models, default_model, models_command, models_format
 *   credentials       {env: [VAR...], files: [path relative to $HOME...]}
 *   npm               {package, version}: the pinned npm package of its CLI
 *                     (sa install-agent, POST /v1/agents/NAME/install)
 *
 * Ownership: an sa_agent_desc owns its cJSON document; the const char *
 * fields point into it and live until sa_agent_free.  sa_agent_names and
 * sa_agent_dir, sa_agent_dir_searched return malloc'd memory the caller
 * frees.
 */
#ifndef SA_AGENT_H
#define SA_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>

#define SA_AGENT_DESC_MAX (256u << 10)   /* one description file */

typedef struct sa_agent_desc {
    cJSON *doc;                 /* the whole file (owned) */
    const char *id, *name, *protocol, *bin;
    bool beside_self, native_resume;
    double order;
    const cJSON *capabilities;  /* object */
    const cJSON *agent_modes;   /* array of {id,name,description} */
    const cJSON *perm_modes;    /* array of strings */
} sa_agent_desc;

/* The agents directory: dir_opt if given, else $SA_AGENTS_DIR, else the
 * first of ../share/sa/agents, ../sa-normalize/agents and
 * ../../../sa-normalize/agents (relative to the running executable) that
 * exists.  Caller frees; NULL when none is found. */
char *sa_agent_dir(const char *dir_opt);
/* The directories sa_agent_dir chooses from, in order: dir_opt alone when
 * given, else $SA_AGENTS_DIR alone when set, else the three beside the
 * executable (resolved with realpath when they exist).  Fills out with
 * malloc'd strings (caller frees each); returns how many. */
#define SA_AGENT_DIRS_MAX 3
size_t sa_agent_dir_candidates(const char *dir_opt, char *out[SA_AGENT_DIRS_MAX]);
/* Those directories as "D1/FILE, D2/FILE, ..." (FILE NULL: the directories
 * alone), for a message naming what was searched.  Caller frees. */
char *sa_agent_dir_searched(const char *dir_opt, const char *file);

/* Load DIR/NAME.json.  0 ok; -1 with a message in err ("no such agent",
 * "DIR/NAME.json: invalid JSON", "DIR/NAME.json: missing "bin"", ...). */
int  sa_agent_load(const char *dir, const char *name, sa_agent_desc *d, char *err, size_t errlen);
void sa_agent_free(sa_agent_desc *d);

/* Load every DIR/NAME.json, sorted by order then id.  Returns the count (0 when
 * none or on error); *out is a malloc'd array freed with sa_agent_free_all.
 * Files that fail to load are skipped with a warning. */
size_t sa_agent_load_all(const char *dir, sa_agent_desc **out);
void sa_agent_free_all(sa_agent_desc *v, size_t n);

/* "a, b, c": the ids of every description in dir (caller frees), or a copy
 * of "(none)". */
char *sa_agent_names(const char *dir);

/* A boolean member of the description (dotted path "normalize.resumable"
 * allowed); def when absent. */
bool sa_agent_flag(const sa_agent_desc *d, const char *path, bool def);
/* A string member ("default_model"), or NULL. */
const char *sa_agent_str(const sa_agent_desc *d, const char *key);
/* The member itself (any JSON), or NULL.  Borrowed. */
const cJSON *sa_agent_get(const sa_agent_desc *d, const char *path);

/* Whether agent mode id is one of its agent_modes (or, with
 * "any_agent_mode", any name of [A-Za-z0-9_.-], at most 100). */
bool sa_agent_has_mode(const sa_agent_desc *d, const char *mode);
/* The permission mode the agent runs for requested mode pm: pm itself when
 * it honours it, its alias when it has one, else NULL (not supported). */
const char *sa_agent_perm_mode(const sa_agent_desc *d, const char *pm);
/* "a|b|c" of its permission modes / agent modes into buf. */
void sa_agent_join(const cJSON *arr, const char *key, char *buf, size_t size);

/* Whether credentials named by the description are present (any env var
 * set and non-empty, or any file under $HOME readable); true when the
 * description names none. */
bool sa_agent_credentials(const sa_agent_desc *d);

/* The native session id an agent is known to use for sa session `session`
 * before it says so (the description's "native_session_id" template, with
 * "{session}" replaced: the mock's "mock-{session}"), or NULL.  Caller frees. */
char *sa_agent_native_id(const sa_agent_desc *d, const char *session);

/* ---- finding the executable (sa_agent_find.c) ---- */
/* Where sa_agent_find found an agent's executable. */
enum { SA_AGENT_NOWHERE = 0, SA_AGENT_BESIDE, SA_AGENT_PATH, SA_AGENT_CACHE };
/* "beside", "path", "cache" (served as pathSource), or NULL for NOWHERE. */
const char *sa_agent_where_name(int where);
/* The agent cache, where tests/agents/install.sh installs pinned agent CLIs
 * (one npm prefix per AGENT-VERSION): $SA_AGENT_CACHE, else
 * $XDG_CACHE_HOME/sa-agents, else $HOME/.cache/sa-agents.  Caller frees;
 * NULL when none can be named (no HOME). */
char *sa_agent_cache_dir(void);
/* The agent's executable: beside sa's own executables when the description
 * says beside_self, else the first "bin" on $PATH, else the newest
 * CACHE/ID-VERSION/node_modules/.bin/BIN in the agent cache (versions
 * compared with strverscmp).  Caller frees; NULL when not found.  *where
 * (may be NULL) says where it was found. */
char *sa_agent_find(const sa_agent_desc *d, int *where);

#endif
