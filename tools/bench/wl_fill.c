/**
 * @file wl_fill.c
 * @brief Fill the pool page by page, then free every page in random order.
 *
 * Filling splits every block; freeing in random order makes the merges
 * happen at random moments and places (the pool is whole again at the end).
 * An operation is one page: its allocation and its free.
 */
#include <stdlib.h>

#include "bench.h"

void wl_fill_free(const struct wl_ctx *ctx, struct wl_result *r)
{
	const struct allocator *a = ctx->a;
	struct bench_rng rng;

	if (wl_setup(ctx, r))
		return;
	size_t n = ctx->ops ? ctx->ops : a->total_pages();
	if (n > a->total_pages())
		n = a->total_pages();
	uintptr_t *pages = malloc(n * sizeof(*pages));
	if (!pages) {
		wl_fail(r, "no memory for the record");
		return;
	}
	int bad = 0;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++)
		bad |= a->alloc(1, &pages[i]);
	uint64_t fill = bench_now_ns() - t0;
	rng_seed(&rng, ctx->seed);
	rng_shuffle(&rng, pages, n);
	t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++)
		bad |= a->release(pages[i]);
	r->ns = fill + bench_now_ns() - t0;
	r->ops = n;
	free(pages);
	if (bad)
		wl_fail(r, "an alloc or free failed");
}
