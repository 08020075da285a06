/**
 * @file wl_pairs.c
 * @brief Allocate and free the same size over and over: the fast path.
 *
 * "Hot": one block of the order is allocated first and kept, so after the
 * first split its buddy waits at the head of the order's list and each pair
 * is one take and one put (no split, no merge). "Cold": nothing is held, so
 * every order-0 allocation splits a 256-page block 8 times and every free
 * merges it back 8 times.
 */
#include "bench.h"

static void pairs(const struct wl_ctx *ctx, struct wl_result *r, size_t pages, int hot)
{
	const struct allocator *a = ctx->a;
	uintptr_t held = 0, addr = 0;

	if (wl_setup(ctx, r))
		return;
	if (hot && a->alloc(pages, &held) != BENCH_OK) {
		wl_fail(r, "the first allocation failed");
		return;
	}
	int bad = 0;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < ctx->ops; i++) {
		bad |= a->alloc(pages, &addr);
		bad |= a->release(addr);
	}
	r->ns = bench_now_ns() - t0;
	r->ops = ctx->ops;
	bench_keep(addr);
	if (bad)
		wl_fail(r, "an alloc or free failed");
	if (hot && a->release(held) != BENCH_OK)
		wl_fail(r, "freeing the held block failed");
}

void wl_pair_hot(const struct wl_ctx *ctx, struct wl_result *r)
{
	pairs(ctx, r, (size_t)1 << ctx->param, 1);
}

void wl_pair_cold(const struct wl_ctx *ctx, struct wl_result *r)
{
	pairs(ctx, r, 1, 0);
}
