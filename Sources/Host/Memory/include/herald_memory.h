#ifndef HERALD_MEMORY_H
#define HERALD_MEMORY_H

/* Tunes the C allocator for a long-running host whose working set is a few large tables rebuilt now and then.
 *
 * glibc's defaults suit short programs: one allocation arena per thread (up to eight per core), each keeping what
 * was freed in it, and an mmap threshold that grows with every large block freed, so that later large blocks come
 * from the arenas and stay there after they are freed. A host holding 10,000 Services then keeps tens of MiB it no
 * longer uses. This sets, unless the operator set them in the environment (MALLOC_ARENA_MAX,
 * MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, which then win):
 * - one arena: the host's work is a few serial loops, and each further arena keeps freed memory of its own (a
 *   second one cost 2.5 MiB of 30 resident at 10,000 Services, for no throughput);
 * - a fixed mmap threshold of 256 KiB: large blocks are mapped on their own and returned when freed;
 * - a trim threshold of 1 MiB: free memory at the top of an arena is returned beyond that.
 * Does nothing with another C library. It runs by itself when a binary that links it (the herald executable alone:
 * test processes keep glibc's defaults) is loaded, before any thread exists (later would be too late for the arena
 * limit); calling it again changes nothing. */
void herald_memory_tune(void);

#endif
