/*
 * sa_store_pg_wait.c — bounded waits for the PostgreSQL backend (opt-in,
 * sa_store_set_call_timeout): a program with an event loop (sa-serve) must
 * not stop for as long as the server does not answer (paused, stuck,
 * unreachable without a reset).
 *
 * How it works: with a call timeout of N ms the connection is switched to
 * non-blocking, and every round trip (stpg_exec, stpg_exec_prepared,
 * stpg_prepare, and each stpg_next_result of a row-by-row read) sends, then
 * waits with poll(2) on PQsocket for at most N ms.  When the time is up the
 * connection is dropped (PQfinish: the server rolls back an open
 * transaction when it notices) and a new one is started at once with
 * PQconnectStartParams; the call fails with SA_STORE_UNAVAILABLE.  While
 * that connect is in progress, stpg_ready advances it with PQconnectPoll
 * only as far as the socket allows right now (zero wait), so calls fail at
 * once with SA_STORE_UNAVAILABLE ("reconnecting") and never wait again until
 * the server answers; a caller that calls regularly (sa-serve's sync timer)
 * completes the reconnect within a few calls of the server coming back.  A
 * failed connect is started again at the next call after 500 ms.  Without a
 * call timeout (sa-store, sa-replay) every call blocks as libpq does.
 * Host names in the URL are resolved by PQconnectStartParams, which may
 * block; unix sockets and IP addresses do not.
 *
 * Ownership: the PGconn replaced on a timeout is freed here (PQfinish); the
 * connection parameters are the st_pg's (url, freed by stpg_close).
 */
#include "sa_store_pg_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

#define RETRY_MS 500

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

PGconn *stpg_connect_start(struct st_pg *pg, bool blocking)
{
    const char *const keys[] = { "connect_timeout", "client_encoding", "fallback_application_name",
                                 "dbname", NULL };
    const char *const vals[] = { "10", "UTF8", program_invocation_short_name, pg->url, NULL };
    return blocking ? PQconnectdbParams(keys, vals, 1) : PQconnectStartParams(keys, vals, 1);
}

/* Start a fresh non-blocking connect in place of the current connection. */
static void restart(sa_store *st)
{
    struct st_pg *pg = st->pg;
    PQfinish(pg->conn);
    pg->conn = stpg_connect_start(pg, false);
    pg->prepared = 0;
    pg->connecting = true;
    pg->poll = pg->conn && PQstatus(pg->conn) != CONNECTION_BAD ? PGRES_POLLING_WRITING
                                                                 : PGRES_POLLING_FAILED;
    pg->retry_at = mono_ms() + RETRY_MS;
}

int stpg_unavailable(sa_store *st, const char *what)
{
    snprintf(st->err, sizeof st->err, "%s: the server did not answer within %u ms (reconnecting)",
             what, st->pg->call_ms);
    return SA_STORE_UNAVAILABLE;
}

int stpg_drive_connect(sa_store *st)
{
    struct st_pg *pg = st->pg;
    if (!pg->connecting) {
        if (PQstatus(pg->conn) == CONNECTION_OK) return SA_STORE_OK;
        restart(st);                          /* lost: start over without waiting */
    }
    for (int steps = 0; steps < 16; steps++) {
        if (pg->poll == PGRES_POLLING_OK) {
            pg->connecting = false;
            if (PQsetnonblocking(pg->conn, 1) != 0) return stpg_unavailable(st, "reconnect to the server");
            return stpg_setup(st);
        }
        if (pg->poll == PGRES_POLLING_FAILED) {
            if (mono_ms() < pg->retry_at) return stpg_unavailable(st, "reconnect to the server");
            restart(st);
            if (pg->poll == PGRES_POLLING_FAILED) return stpg_unavailable(st, "reconnect to the server");
        }
        struct pollfd p = { PQsocket(pg->conn), pg->poll == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
        if (p.fd < 0 || poll(&p, 1, 0) <= 0) return stpg_unavailable(st, "reconnect to the server");
        pg->poll = PQconnectPoll(pg->conn);
        if (pg->poll == PGRES_POLLING_FAILED) pg->retry_at = mono_ms() + RETRY_MS;
    }
    return stpg_unavailable(st, "reconnect to the server");
}

PGresult *stpg_next_result(sa_store *st)
{
    struct st_pg *pg = st->pg;
    PGconn *c = pg->conn;
    if (!pg->call_ms) return PQgetResult(c);
    if (pg->connecting) return NULL;
    int64_t deadline = mono_ms() + pg->call_ms;
    for (;;) {
        int f = PQflush(c);
        if (f < 0) return PQgetResult(c);
        if (f == 0 && !PQisBusy(c)) return PQgetResult(c);
        int left = (int)(deadline - mono_ms());
        struct pollfd p = { PQsocket(c), (short)(f ? POLLIN | POLLOUT : POLLIN), 0 };
        int w = left > 0 ? poll(&p, 1, left) : 0;
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { restart(st); return NULL; }   /* time is up: drop it, reconnect */
        if ((p.revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(c)) return PQgetResult(c);
    }
}

/* After a send: every result, the last kept (PQexec's rule); NULL after a
 * timeout (pg->connecting is then set). */
static PGresult *collect_last(sa_store *st)
{
    PGresult *last = NULL, *r;
    while ((r = stpg_next_result(st))) {
        PQclear(last);
        last = r;
    }
    if (st->pg->connecting) { PQclear(last); return NULL; }
    return last;
}

PGresult *stpg_exec(sa_store *st, const char *sql)
{
    if (!st->pg->call_ms) return PQexec(st->pg->conn, sql);
    if (st->pg->connecting || !PQsendQuery(st->pg->conn, sql)) return NULL;
    return collect_last(st);
}

PGresult *stpg_prepare(sa_store *st, const char *name, const char *sql)
{
    if (!st->pg->call_ms) return PQprepare(st->pg->conn, name, sql, 0, NULL);
    if (st->pg->connecting || !PQsendPrepare(st->pg->conn, name, sql, 0, NULL)) return NULL;
    return collect_last(st);
}

PGresult *stpg_exec_prepared(sa_store *st, const char *name, int n, const char *const *vals)
{
    if (!st->pg->call_ms) return PQexecPrepared(st->pg->conn, name, n, vals, NULL, NULL, 0);
    if (st->pg->connecting || !PQsendQueryPrepared(st->pg->conn, name, n, vals, NULL, NULL, 0))
        return NULL;
    return collect_last(st);
}

int sa_store_set_call_timeout(sa_store *st, unsigned ms)
{
    if (!st->pg) return SA_STORE_OK;           /* SQLite: its busy timeout bounds lock waits */
    st->pg->call_ms = ms;
    if (ms && PQsetnonblocking(st->pg->conn, 1) != 0) {
        snprintf(st->err, sizeof st->err, "set the connection non-blocking: %s", PQerrorMessage(st->pg->conn));
        return SA_STORE_ERROR;
    }
    return SA_STORE_OK;
}
