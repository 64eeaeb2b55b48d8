/*
 * nz_scan.h — fast, allocation-free JSON check for sa-normalize's input
 * lines (see nz_scan.c).  A PLAIN answer means "valid JSON that cJSON also
 * accepts, nested at most NZ_SCAN_DEPTH deep, not an sa-spawn line": the
 * line can go to jq without a parse.  SLOW means "decide with cJSON".
 *
 * Ownership: nothing is kept or allocated.
 */
#ifndef NZ_SCAN_H
#define NZ_SCAN_H

#include <stddef.h>

#define NZ_SCAN_DEPTH 200

typedef enum { NZ_SCAN_SLOW = 0, NZ_SCAN_PLAIN = 1 } nz_scan_result;

nz_scan_result nz_scan_line(const char *line, size_t len);

#endif
