/*
 * sa_store_ckpt.c — WAL checkpoints off the commit path, and cache tuning,
 * for long-running writers (sa_store_checkpoint_in_background,
 * sa_store_set_cache_kib in sa_store.h).
 *
 * How it works: SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses wal_autocheckpoint pages, and a checkpoint fsyncs the WAL and the
 * database (tens of milliseconds), so every such commit is late.  We replace
 * it with our own WAL hook (sqlite3_wal_hook, which is also what
 * wal_autocheckpoint uses): after a commit leaves >= `pages` frames in the
 * WAL the hook only wakes a helper thread, which runs a PASSIVE checkpoint
 * on its own connection to the same file while the writer goes on.  Once a
 * checkpoint has copied every frame, the writer's next transaction restarts
 * the WAL from its beginning, so the WAL stays near `pages` frames.  If the
 * helper falls far behind (8 x pages), the hook checkpoints inline, as
 * SQLite would have.
 *
 * Ownership: the checkpointer belongs to its store; sa_store_close calls
 * st_ckpt_stop, which wakes, joins and frees the thread and its connection.
 * The helper's connection is used by the helper thread only.
 */
#include "sa_store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct st_ckpt {
    sqlite3 *db;              /* the helper's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wanted, stop;
    unsigned pages;
};

static void *ckpt_main(void *arg)
{
    struct st_ckpt *ck = arg;
    pthread_mutex_lock(&ck->mu);
    for (;;) {
        while (!ck->wanted && !ck->stop) pthread_cond_wait(&ck->cv, &ck->mu);
        if (ck->stop) break;
        ck->wanted = false;
        pthread_mutex_unlock(&ck->mu);
        int log = 0, done = 0;
        (void)sqlite3_wal_checkpoint_v2(ck->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        pthread_mutex_lock(&ck->mu);
    }
    pthread_mutex_unlock(&ck->mu);
    return NULL;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct st_ckpt *ck = arg;
    if (frames < 0 || (unsigned)frames < ck->pages) return SQLITE_OK;
    if ((unsigned)frames >= ck->pages * 8u) {     /* the helper is far behind */
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    pthread_mutex_lock(&ck->mu);
    ck->wanted = true;
    pthread_cond_signal(&ck->cv);
    pthread_mutex_unlock(&ck->mu);
    return SQLITE_OK;
}

int sa_store_checkpoint_in_background(sa_store *st, unsigned pages)
{
    if (st->ck || st->pg || (st->flags & SA_STORE_RDONLY)) return SA_STORE_OK;  /* pg: no WAL of ours */
    struct st_ckpt *ck = calloc(1, sizeof *ck);
    if (!ck) return SA_STORE_NOMEM;
    ck->pages = pages ? pages : 1000;
    const char *path = sqlite3_db_filename(st->db, "main");
    int rc = sqlite3_open_v2(path && *path ? path : ":memory:", &ck->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(ck->db, st->busy_ms);
        rc = sqlite3_exec(ck->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        snprintf(st->err, sizeof st->err, "checkpoint connection: %s",
                 ck->db ? sqlite3_errmsg(ck->db) : sqlite3_errstr(rc));
        sqlite3_close(ck->db);
        free(ck);
        return SA_STORE_ERROR;
    }
    pthread_mutex_init(&ck->mu, NULL);
    pthread_cond_init(&ck->cv, NULL);
    if (pthread_create(&ck->thread, NULL, ckpt_main, ck) != 0) {
        snprintf(st->err, sizeof st->err, "checkpoint thread: cannot start");
        pthread_mutex_destroy(&ck->mu);
        pthread_cond_destroy(&ck->cv);
        sqlite3_close(ck->db);
        free(ck);
        return SA_STORE_ERROR;
    }
    st->ck = ck;
    sqlite3_wal_hook(st->db, wal_hook, ck);        /* replaces wal_autocheckpoint */
    return SA_STORE_OK;
}

void st_ckpt_stop(sa_store *st)
{
    struct st_ckpt *ck = st->ck;
    if (!ck) return;
    sqlite3_wal_hook(st->db, NULL, NULL);
    pthread_mutex_lock(&ck->mu);
    ck->stop = true;
    pthread_cond_signal(&ck->cv);
    pthread_mutex_unlock(&ck->mu);
    pthread_join(ck->thread, NULL);
    pthread_mutex_destroy(&ck->mu);
    pthread_cond_destroy(&ck->cv);
    sqlite3_close(ck->db);
    free(ck);
    st->ck = NULL;
}

int sa_store_set_cache_kib(sa_store *st, unsigned kib)
{
    if (st->pg) return SA_STORE_OK;        /* the server manages its own cache */
    char q[64];
    snprintf(q, sizeof q, "PRAGMA cache_size=-%u", kib ? kib : 1);
    int rc = sqlite3_exec(st->db, q, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SA_STORE_OK : st_fail(st, rc, "set cache size");
}
