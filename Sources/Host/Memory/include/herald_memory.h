#ifndef HERALD_MEMORY_H
#define HERALD_MEMORY_H

/* Tunes the C allocator for a long-running host whose working set is a few large tables rebuilt now and then.
 *
 * glibc's defaults suit short programs: one allocation arena per thread (up to eight per core), each keeping what
 * was freed in it, and an mmap threshold that grows with every large block freed, so that later large blocks come
 * from the arenas and stay there after they are freed. A host holding 10,000 Services then keeps tens of MiB it no
 * longer uses. This sets, unless the operator set them in the environment (MALLOC_ARENA_MAX,
 * MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, which then win):
 * - at most two arenas;
 * - a fixed mmap threshold of 256 KiB: large blocks are mapped on their own and returned when freed;
 * - a trim threshold of 1 MiB: free memory at the top of an arena is returned beyond that.
 * Does nothing with another C library. Call it once, first thing. */
void herald_memory_tune(void);

#endif
