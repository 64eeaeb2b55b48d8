/*
 * fuzz_tar.c — libFuzzer target: sa-serve's tar reader (sa-serve/tar.c) on
 * arbitrary bytes, as POST /v1/fs/upload-batch hands it a request body.
 * Every entry is walked and its name checked with tar_name_safe; the data
 * pointer and size are read whole, so a size past the buffer would be an
 * ASan report.  Nothing is allocated by the reader; nothing to free.
 */
#include "tar.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tar_reader r;
    tar_entry e;
    tar_init(&r, data, size);
    unsigned sum = 0;
    for (int i = 0; i < 100000; i++) {
        int rc = tar_next(&r, &e);
        if (rc <= 0) break;
        const char *why;
        (void)tar_name_safe(e.name, &why);
        sum += (unsigned)strlen(e.name);
        if (e.kind == TAR_FILE)
            for (uint64_t k = 0; k < e.size; k++) sum += e.data[k];
    }
    return (int)(sum & 0);
}
