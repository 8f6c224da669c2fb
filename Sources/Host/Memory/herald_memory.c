#include "herald_memory.h"

#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

void herald_memory_tune(void) {
    if (getenv("MALLOC_ARENA_MAX") == NULL) mallopt(M_ARENA_MAX, 1);
    if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL) mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

/* glibc gives every new thread an arena of its own until the limit is reached, so the limit must be set before a
 * second thread allocates: when the binary is loaded. */
__attribute__((constructor)) static void herald_memory_tune_at_load(void) { herald_memory_tune(); }

#else
void herald_memory_tune(void) {}
#endif
