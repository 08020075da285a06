/**
 * @file live.c
 * @brief The record of what a workload holds: freeing a random one is O(1).
 */
#include <stdlib.h>

#include "bench.h"

int live_init(struct live_set *s, size_t cap)
{
	s->addr = malloc(cap * sizeof(*s->addr));
	s->pages = malloc(cap * sizeof(*s->pages));
	s->n = 0;
	s->cap = cap;
	s->used = 0;
	return s->addr && s->pages ? 0 : -1;
}

void live_destroy(struct live_set *s)
{
	free(s->addr);
	free(s->pages);
	s->addr = NULL;
	s->pages = NULL;
	s->n = s->cap = s->used = 0;
}

void live_push(struct live_set *s, uintptr_t addr, size_t pages)
{
	if (s->n == s->cap)
		abort(); /* callers size the record for the worst case */
	s->addr[s->n] = addr;
	s->pages[s->n] = (uint32_t)pages;
	s->n++;
	s->used += pages;
}

int live_release(struct live_set *s, const struct allocator *a, size_t i)
{
	int err = a->release(s->addr[i]);
	s->used -= s->pages[i];
	s->n--;
	s->addr[i] = s->addr[s->n];
	s->pages[i] = s->pages[s->n];
	return err;
}

int live_release_all(struct live_set *s, const struct allocator *a)
{
	int bad = 0;
	while (s->n > 0)
		bad |= live_release(s, a, s->n - 1) != BENCH_OK;
	return bad ? -1 : 0;
}

long live_highest(const struct live_set *s, size_t min_pages)
{
	long best = -1;
	for (size_t i = 0; i < s->n; i++)
		if (s->pages[i] >= min_pages && (best < 0 || s->addr[i] > s->addr[best]))
			best = (long)i;
	return best;
}
