/*
 * sa_pq.h — libpq, loaded at run time.
 *
 * Only a postgresql:// store needs libpq, and linking it pulls about twenty
 * shared libraries (TLS, Kerberos, LDAP...) into every command: several MB
 * of resident memory and milliseconds of start-up for everyone using the
 * SQLite default.  So the PostgreSQL backend calls libpq through this table,
 * filled by dlopen("libpq.so.5") the first time a URL store is opened.
 * libpq-fe.h is still used for its types and constants.
 *
 * Include this instead of <libpq-fe.h>: the PQ* names used by sa become
 * calls through the table.  Ownership is libpq's own (PQclear, PQfinish).
 */
#ifndef SA_PQ_H
#define SA_PQ_H

#include <stddef.h>
#include <libpq-fe.h>

#define SA_PQ_FUNCS(X) \
    X(PGconn *, PQconnectdbParams, (const char *const *, const char *const *, int)) \
    X(void, PQfinish, (PGconn *)) \
    X(void, PQreset, (PGconn *)) \
    X(ConnStatusType, PQstatus, (const PGconn *)) \
    X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *)) \
    X(char *, PQerrorMessage, (const PGconn *)) \
    X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn *, PQnoticeProcessor, void *)) \
    X(PGresult *, PQexec, (PGconn *, const char *)) \
    X(PGresult *, PQprepare, (PGconn *, const char *, const char *, int, const Oid *)) \
    X(PGresult *, PQexecPrepared, (PGconn *, const char *, int, const char *const *, const int *, const int *, int)) \
    X(int, PQsendQueryPrepared, (PGconn *, const char *, int, const char *const *, const int *, const int *, int)) \
    X(int, PQsetSingleRowMode, (PGconn *)) \
    X(PGresult *, PQgetResult, (PGconn *)) \
    X(ExecStatusType, PQresultStatus, (const PGresult *)) \
    X(char *, PQresultErrorMessage, (const PGresult *)) \
    X(char *, PQresultErrorField, (const PGresult *, int)) \
    X(int, PQntuples, (const PGresult *)) \
    X(char *, PQgetvalue, (const PGresult *, int, int)) \
    X(int, PQgetisnull, (const PGresult *, int, int)) \
    X(int, PQgetlength, (const PGresult *, int, int)) \
    X(char *, PQcmdStatus, (PGresult *)) \
    X(char *, PQcmdTuples, (PGresult *)) \
    X(void, PQclear, (PGresult *)) \
    X(PGconn *, PQconnectStartParams, (const char *const *, const char *const *, int)) \
    X(PostgresPollingStatusType, PQconnectPoll, (PGconn *)) \
    X(int, PQsocket, (const PGconn *)) \
    X(int, PQsetnonblocking, (PGconn *, int)) \
    X(int, PQflush, (PGconn *)) \
    X(int, PQisBusy, (PGconn *)) \
    X(int, PQconsumeInput, (PGconn *)) \
    X(int, PQsendQuery, (PGconn *, const char *)) \
    X(int, PQsendPrepare, (PGconn *, const char *, const char *, int, const Oid *))

#define SA_PQ_FIELD(ret, name, args) ret (*name) args;
typedef struct sa_pq_api { SA_PQ_FUNCS(SA_PQ_FIELD) } sa_pq_api;
#undef SA_PQ_FIELD

extern sa_pq_api sa_pq;

/* Load libpq once (thread-unsafe; call from the opening thread).  0, or -1
 * with a message in err ("libpq.so.5: cannot open shared object file..."). */
int sa_pq_load(char *err, size_t n);

#ifndef SA_PQ_IMPL
#define PQconnectdbParams    sa_pq.PQconnectdbParams
#define PQfinish             sa_pq.PQfinish
#define PQreset              sa_pq.PQreset
#define PQstatus             sa_pq.PQstatus
#define PQtransactionStatus  sa_pq.PQtransactionStatus
#define PQerrorMessage       sa_pq.PQerrorMessage
#define PQsetNoticeProcessor sa_pq.PQsetNoticeProcessor
#define PQexec               sa_pq.PQexec
#define PQprepare            sa_pq.PQprepare
#define PQexecPrepared       sa_pq.PQexecPrepared
#define PQsendQueryPrepared  sa_pq.PQsendQueryPrepared
#define PQsetSingleRowMode   sa_pq.PQsetSingleRowMode
#define PQgetResult          sa_pq.PQgetResult
#define PQresultStatus       sa_pq.PQresultStatus
#define PQresultErrorMessage sa_pq.PQresultErrorMessage
#define PQresultErrorField   sa_pq.PQresultErrorField
#define PQntuples            sa_pq.PQntuples
#define PQgetvalue           sa_pq.PQgetvalue
#define PQgetisnull          sa_pq.PQgetisnull
#define PQgetlength          sa_pq.PQgetlength
#define PQcmdStatus          sa_pq.PQcmdStatus
#define PQcmdTuples          sa_pq.PQcmdTuples
#define PQclear              sa_pq.PQclear
#define PQconnectStartParams sa_pq.PQconnectStartParams
#define PQconnectPoll        sa_pq.PQconnectPoll
#define PQsocket             sa_pq.PQsocket
#define PQsetnonblocking     sa_pq.PQsetnonblocking
#define PQflush              sa_pq.PQflush
#define PQisBusy             sa_pq.PQisBusy
#define PQconsumeInput       sa_pq.PQconsumeInput
#define PQsendQuery          sa_pq.PQsendQuery
#define PQsendPrepare        sa_pq.PQsendPrepare
#endif

#endif
