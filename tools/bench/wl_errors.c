/**
 * @file wl_errors.c
 * @brief Frees that must be refused, in memory the mixed trace fragmented.
 *
 * Each takes the highest-addressed allocation the trace holds (the far end
 * of the page array, where a walk from page 0 costs most):
 * - interior: its second page (an allocation of at least 2 pages);
 * - unaligned: its start + 8 bytes;
 * - foreign: a page 16 MiB below the managed memory;
 * - double free: it is freed once, then again and again.
 */
#include <stdio.h>

#include "bench.h"

static const char *const names[] = { "interior page", "unaligned address", "foreign address",
				     "double free" };
static const int expected[] = { BENCH_ERR_INTERIOR, BENCH_ERR_UNALIGNED, BENCH_ERR_OUTSIDE,
				BENCH_ERR_NOT_ALLOCATED };

void wl_error_path(const struct wl_ctx *ctx, struct wl_result *r)
{
	const struct allocator *a = ctx->a;
	struct trace t;
	unsigned kind = (unsigned)ctx->param;

	if (wl_setup(ctx, r))
		return;
	if (trace_start(&t, a, ctx->seed, 48, trace_request)) {
		wl_fail(r, "no memory for the record");
		return;
	}
	trace_warm_up(&t, a);
	long victim = live_highest(&t.live, kind == WL_INTERIOR ? 2 : 1);
	if (victim < 0) {
		wl_fail(r, "the trace holds no allocation to misuse");
		trace_stop(&t, a);
		return;
	}
	uintptr_t addr = t.live.addr[victim];
	switch (kind) {
	case WL_INTERIOR: addr += BENCH_PAGE; break;
	case WL_UNALIGNED: addr += 8; break;
	case WL_FOREIGN: addr = ctx->start - ((uintptr_t)16 << 20); break;
	case WL_DOUBLE_FREE:
		if (live_release(&t.live, a, (size_t)victim) != BENCH_OK)
			wl_fail(r, "the first free failed");
		break;
	}
	int bad = 0, err = BENCH_OK;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < ctx->ops; i++) {
		err = a->release(addr);
		bad |= err != expected[kind];
	}
	r->ns = bench_now_ns() - t0;
	r->ops = ctx->ops;
	snprintf(r->note, sizeof(r->note), "%s at page %zu of %zu", names[kind],
		 (size_t)(addr - ctx->start) / BENCH_PAGE, a->total_pages());
	if (kind == WL_FOREIGN)
		snprintf(r->note, sizeof(r->note), "%s", names[kind]);
	if (bad)
		wl_fail(r, "the bad free got the wrong answer (or was accepted)");
	if (trace_stop(&t, a))
		wl_fail(r, "freeing what the trace held failed");
}
