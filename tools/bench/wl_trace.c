/**
 * @file wl_trace.c
 * @brief The mixed trace (trace.c) and large runs in the memory it fragments.
 */
#include <stdio.h>

#include "bench.h"

void wl_mixed_trace(const struct wl_ctx *ctx, struct wl_result *r)
{
	const struct allocator *a = ctx->a;
	struct trace t;

	if (wl_setup(ctx, r))
		return;
	if (trace_start(&t, a, ctx->seed, 48, trace_request)) {
		wl_fail(r, "no memory for the record");
		return;
	}
	trace_warm_up(&t, a);
	trace_settle(&t, a);
	size_t failed = t.failed;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < ctx->ops; i++)
		trace_step(&t, a);
	r->ns = bench_now_ns() - t0;
	r->ops = ctx->ops;
	snprintf(r->note, sizeof(r->note), "%zu live, %.1f%% in use, %zu refused", t.live.n,
		 100.0 * (double)t.live.used / (double)a->total_pages(), t.failed - failed);
	if (t.bad_frees)
		wl_fail(r, "a free of a live allocation failed");
	if (trace_stop(&t, a))
		wl_fail(r, "freeing what the trace held failed");
}

/* ctx->ops pairs of a run of ctx->param pages; with @fragment, in memory
 * the mixed trace left at 48% in use. A refusal is right only when no free
 * run is long enough. */
static void runs(const struct wl_ctx *ctx, struct wl_result *r, int fragment)
{
	const struct allocator *a = ctx->a;
	struct trace t;
	size_t pages = ctx->param;

	if (wl_setup(ctx, r))
		return;
	if (pages > a->total_pages()) {
		r->skipped = 1;
		snprintf(r->note, sizeof(r->note), "skipped: the pool is smaller than the run");
		return;
	}
	if (trace_start(&t, a, ctx->seed, fragment ? 48 : 0, trace_request)) {
		wl_fail(r, "no memory for the record");
		return;
	}
	trace_warm_up(&t, a);
	if (fragment)
		trace_settle(&t, a);
	size_t refused = 0;
	int bad = 0;
	uintptr_t addr = 0;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < ctx->ops; i++) {
		if (a->alloc(pages, &addr) != BENCH_OK)
			refused++;
		else
			bad |= a->release(addr);
	}
	r->ns = bench_now_ns() - t0;
	r->ops = ctx->ops;
	bench_keep(addr);
	size_t longest = a->longest_free_run();
	if (refused)
		snprintf(r->note, sizeof(r->note), "refused (longest free run %zu pages)", longest);
	if (refused && longest >= pages)
		wl_fail(r, "refused although a long enough run is free");
	if (bad)
		wl_fail(r, "a free failed");
	if (trace_stop(&t, a))
		wl_fail(r, "freeing what the trace held failed");
}

void wl_run_fragmented(const struct wl_ctx *ctx, struct wl_result *r)
{
	runs(ctx, r, 1);
}

void wl_run_empty(const struct wl_ctx *ctx, struct wl_result *r)
{
	runs(ctx, r, 0);
}
