/* arena.h: a bump allocator for memory that lives exactly as long as one
 * write transaction (the case cache of cases.c): a catching-up replica
 * builds thousands of cases per batch, each a few kilobytes in a dozen
 * pieces, and frees them all together at commit. With malloc that was a
 * fifth of the apply path (bin searches, consolidation, fresh pages).
 *
 * Ownership: the arena owns every byte it hands out; nothing is freed on its
 * own. arena_reset() forgets them all at once and keeps the blocks for the
 * next transaction; arena_free() gives the blocks back. Not thread-safe: one
 * writer (the core thread).
 */
#ifndef DP_ARENA_H
#define DP_ARENA_H

#include <stddef.h>

struct arena;

/* NULL when out of memory. */
struct arena *arena_new(void);
/* n bytes aligned to 16, uninitialised; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Forget every allocation; blocks of the usual size are kept. */
void arena_reset(struct arena *a);
/* The arena and its blocks (NULL is fine). */
void arena_free(struct arena *a);

#endif
