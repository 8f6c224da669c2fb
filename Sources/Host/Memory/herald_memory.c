#include "herald_memory.h"

#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

void herald_memory_tune(void) {
    if (getenv("MALLOC_ARENA_MAX") == NULL) mallopt(M_ARENA_MAX, 2);
    if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL) mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

#else
void herald_memory_tune(void) {}
#endif
