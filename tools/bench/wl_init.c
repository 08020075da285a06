/**
 * @file wl_init.c
 * @brief What managing memory costs before any allocation: time and bytes.
 */
#include <stdio.h>

#include "bench.h"

void wl_init(const struct wl_ctx *ctx, struct wl_result *r)
{
	uint64_t t0 = bench_now_ns();
	if (wl_setup(ctx, r))
		return;
	r->ns = bench_now_ns() - t0;
	r->ops = ctx->a->total_pages();
	snprintf(r->note, sizeof(r->note), "op = one managed page");
}

void wl_metadata(const struct wl_ctx *ctx, struct wl_result *r)
{
	if (wl_setup(ctx, r))
		return;
	r->value = ctx->a->bytes_per_page();
	r->unit = "B/page";
	r->ops = 0;
	if (ctx->a->array_bytes)
		snprintf(r->note, sizeof(r->note), "page array %.2f B per managed page",
			 (double)ctx->a->array_bytes() / (double)ctx->a->total_pages());
}
