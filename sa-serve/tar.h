/*
 * tar.h — a small, bounded reader for tar archives held in memory (prefix
 * tar_), used by POST /v1/fs/upload-batch.
 *
 * Understands POSIX ustar (name + prefix), pax extended headers ('x': path
 * and size; 'g' global headers are skipped), GNU long names ('L'; 'K' long
 * link names are read and dropped), old v7 headers, and base-256 sizes.
 * Every header checksum is verified; every size is checked against the bytes
 * actually left in the buffer, so a lying or truncated archive is an error,
 * never a read past the end.  Names are limited to TAR_NAME_MAX bytes and may
 * not contain NUL.
 *
 * Entry kinds: regular files ('0', '\0', '7'; a v7 name ending in '/' is a
 * directory) and directories ('5') are what callers extract; symlinks ('2'),
 * hard links ('1') and everything else (devices, FIFOs, GNU sparse, ...) are
 * reported with their kind so the caller can refuse them; volume labels
 * ('V') are skipped.
 *
 * Ownership: the reader borrows the buffer (it must outlive the reader);
 * an entry's name and data point into the reader or the buffer and stay
 * valid until the next tar_next call.  Nothing is allocated.
 */
#ifndef SA_TAR_H
#define SA_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAR_NAME_MAX 4096

typedef enum { TAR_FILE, TAR_DIR, TAR_SYMLINK, TAR_HARDLINK, TAR_OTHER } tar_kind;

typedef struct tar_entry {
    tar_kind kind;
    char typeflag;                 /* the raw type byte */
    const char *name;              /* NUL-terminated */
    const unsigned char *data;     /* file contents (TAR_FILE), size bytes */
    uint64_t size;
    unsigned mode;                 /* permission bits from the header (& 07777) */
} tar_entry;

typedef struct tar_reader {
    const unsigned char *buf;
    size_t len, off;
    bool done;
    char name[TAR_NAME_MAX + 1];   /* current entry's name */
    char pending[TAR_NAME_MAX + 1];/* name from a pax 'x' or GNU 'L' header */
    bool have_pending, have_pax_size;
    uint64_t pax_size;
    char err[160];                 /* why tar_next returned -1 */
} tar_reader;

void tar_init(tar_reader *r, const void *buf, size_t len);
/* 1 = *e filled; 0 = end of archive; -1 = malformed (r->err says why). */
int  tar_next(tar_reader *r, tar_entry *e);
/* A name is safe to extract below a directory when it is not empty, not
 * absolute and has no ".." component ("." and "./" are safe: they name the
 * directory itself).  false sets *why. */
bool tar_name_safe(const char *name, const char **why);

#endif
