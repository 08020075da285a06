/**
 * @file wl_common.c
 * @brief What every workload does first, and how it reports a wrong answer.
 */
#include <stdio.h>

#include "bench.h"

void wl_fail(struct wl_result *r, const char *why)
{
	if (r->ok)
		snprintf(r->note, sizeof(r->note), "WRONG: %s", why);
	r->ok = 0;
}

int wl_setup(const struct wl_ctx *ctx, struct wl_result *r)
{
	if (ctx->a->setup(ctx->start, ctx->bytes) == BENCH_OK)
		return 0;
	wl_fail(r, "setup failed");
	return -1;
}
