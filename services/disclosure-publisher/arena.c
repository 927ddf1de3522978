/* arena.c: the transaction arena (arena.h). Blocks of ARENA_BLOCK bytes,
 * filled in order; a request larger than a quarter block gets a block of its
 * own, freed at reset so one huge case does not stay resident. */
#include "arena.h"

#include <stdlib.h>

#define ARENA_BLOCK (1024 * 1024)

struct blk {
	struct blk *next;
	size_t cap, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct blk *first; /* blocks of the usual size, in filling order */
	struct blk *cur;   /* being filled; the ones after it are free */
	struct blk *big;   /* oversize blocks, freed at reset */
};

struct arena *arena_new(void) { return calloc(1, sizeof(struct arena)); }

static struct blk *s_blk(size_t cap)
{
	struct blk *b = malloc(sizeof *b + cap);
	if (b) {
		b->next = NULL;
		b->cap = cap;
		b->used = 0;
	}
	return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > ARENA_BLOCK / 4) {
		struct blk *b = s_blk(n);
		if (!b)
			return NULL;
		b->next = a->big;
		a->big = b;
		return b->data;
	}
	if (!a->cur || a->cur->cap - a->cur->used < n) {
		struct blk *b = a->cur ? a->cur->next : a->first; /* a kept one */
		if (!b) {
			if (!(b = s_blk(ARENA_BLOCK)))
				return NULL;
			if (a->cur)
				a->cur->next = b;
			else
				a->first = b;
		}
		b->used = 0;
		a->cur = b;
	}
	void *p = a->cur->data + a->cur->used;
	a->cur->used += n;
	return p;
}

void arena_reset(struct arena *a)
{
	if (!a)
		return;
	while (a->big) {
		struct blk *n = a->big->next;
		free(a->big);
		a->big = n;
	}
	a->cur = NULL; /* the next allocation starts again at the first block */
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	arena_reset(a);
	while (a->first) {
		struct blk *n = a->first->next;
		free(a->first);
		a->first = n;
	}
	free(a);
}
