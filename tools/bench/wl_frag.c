/**
 * @file wl_frag.c
 * @brief Fragmentation: requests of random length, not powers of two, with
 *        small blocks that outlive large ones.
 *
 * The trace of trace.c with half the requests of 1..4 pages and half of
 * 1..1056 pages (uniform: most of those above 256, the large path), and
 * frees that take the largest of three live allocations picked at random,
 * so the small blocks live longer and pepper memory. It first fills the
 * pool to 96% (so allocations cover all of memory, not only its low half),
 * then runs ctx->ops steps with the target at 48% of the pool: the first
 * ones free down to 48%, leaving holes all over memory, the rest hover
 * there. The result is the number of requests refused in those steps
 * (although about half of memory is free) and the longest free run left at
 * the end. (With every free picking any allocation alike, as in the mixed
 * trace, nothing is ever refused: the large runs, lowest first, keep the
 * live memory packed. See docs/performance.md, "fragmentation".)
 */
#include <stdio.h>

#include "bench.h"

#define FRAG_MAX_PAGES 1056
#define FRAG_SMALL_PAGES 4 /* the small half of the requests: 1..4 pages */
#define FRAG_PICKS 3       /* a free takes the largest of this many live allocations */

static size_t frag_request(struct bench_rng *rng)
{
	if (rng_below(rng, 2))
		return 1 + rng_below(rng, FRAG_SMALL_PAGES);
	return 1 + rng_below(rng, FRAG_MAX_PAGES);
}

void wl_fragmentation(const struct wl_ctx *ctx, struct wl_result *r)
{
	const struct allocator *a = ctx->a;
	struct trace t;

	if (wl_setup(ctx, r))
		return;
	if (trace_start(&t, a, ctx->seed, 96, frag_request)) {
		wl_fail(r, "no memory for the record");
		return;
	}
	t.small_lives = FRAG_PICKS;
	trace_warm_up(&t, a);
	t.target = a->total_pages() * 48 / 100;
	t.failed = 0;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < ctx->ops; i++)
		trace_step(&t, a);
	r->ns = bench_now_ns() - t0;
	r->ops = ctx->ops;
	r->value = (double)t.failed;
	r->unit = "failed";
	snprintf(r->note, sizeof(r->note), "%zu refused, longest free run %zu pages", t.failed,
		 a->longest_free_run());
	if (t.bad_frees)
		wl_fail(r, "a free of a live allocation failed");
	if (trace_stop(&t, a))
		wl_fail(r, "freeing what the trace held failed");
}
