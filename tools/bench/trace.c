/**
 * @file trace.c
 * @brief The seeded mixed trace: a steady state of allocations and frees.
 *
 * Each step looks at the pages the trace holds: below the target (48% of
 * the pool for the mixed trace) it makes a request, otherwise it frees one
 * live allocation chosen at random. So after a warm-up the pool hovers at
 * the target, about half the steps allocating and half freeing, with the
 * free memory cut into holes of every size by the random frees.
 *
 * Request sizes (trace_request): order 0: 70%, order 1: 12%, order 2: 8%,
 * order 3: 4%, order 4: 3%, orders 5, 6, 7, 8: 0.75% each (exact powers of
 * two; 5.66 pages on average).
 */
#include "bench.h"

size_t trace_request(struct bench_rng *rng)
{
	size_t r = rng_below(rng, 10000);
	if (r < 7000)
		return 1;
	if (r < 8200)
		return 2;
	if (r < 9000)
		return 4;
	if (r < 9400)
		return 8;
	if (r < 9700)
		return 16;
	return (size_t)32 << ((r - 9700) / 75);
}

int trace_start(struct trace *t, const struct allocator *a, uint64_t seed, unsigned percent,
		size_t (*request)(struct bench_rng *rng))
{
	size_t total = a->total_pages();
	rng_seed(&t->rng, seed);
	t->target = total * percent / 100;
	t->failed = 0;
	t->bad_frees = 0;
	t->request = request;
	t->small_lives = 0;
	/* Below the target every allocation is at least a page. */
	return live_init(&t->live, t->target + 2);
}

void trace_step(struct trace *t, const struct allocator *a)
{
	if (t->live.used < t->target || t->live.n == 0) {
		size_t pages = t->request(&t->rng);
		uintptr_t addr;
		if (pages <= a->max_pages && a->alloc(pages, &addr) == BENCH_OK)
			live_push(&t->live, addr, pages);
		else
			t->failed++;
	} else {
		size_t victim = rng_below(&t->rng, t->live.n);
		for (unsigned k = 1; k < t->small_lives; k++) {
			size_t other = rng_below(&t->rng, t->live.n);
			if (t->live.pages[other] > t->live.pages[victim])
				victim = other;
		}
		if (live_release(&t->live, a, victim) != BENCH_OK)
			t->bad_frees++;
	}
}

void trace_warm_up(struct trace *t, const struct allocator *a)
{
	size_t steps = 0;
	while (t->live.used < t->target && steps++ < 4 * t->target)
		trace_step(t, a);
}

/* The fill's allocations are all alive at the end of the warm-up, laid out
 * in the order they were made, and the free memory is one piece: the first
 * 20,000-40,000 steps after it cost less than later ones (91.8 net
 * instructions against 96 at 4 GiB), and a long run finds room at once.
 * 4n steps free about 2n allocations chosen at random, which leaves about
 * e^-2, 14%, of the fill's. */
void trace_settle(struct trace *t, const struct allocator *a)
{
	size_t steps = 4 * t->live.n;
	for (size_t i = 0; i < steps; i++)
		trace_step(t, a);
}

int trace_stop(struct trace *t, const struct allocator *a)
{
	int err = live_release_all(&t->live, a);
	live_destroy(&t->live);
	return err;
}
