/**
 * @file wl_threads.c
 * @brief Single-page pairs on several threads at once, each thread a CPU
 *        of the allocator's (ctx->param threads): how the page manager's
 *        lock, and its per-CPU page caches, scale.
 *
 * Each thread does ctx->ops pairs, writing each page once; the time is the
 * wall time from the first thread's start to the last one's end, and the
 * operations are all the threads' pairs, so ns/op falls as threads help.
 */
#include <pthread.h>

#include "bench.h"

#define MAX_THREADS 8

struct thread {
	const struct wl_ctx *ctx;
	unsigned cpu;
	int bad;
	pthread_t id;
};

static void *pairs(void *arg)
{
	struct thread *t = arg;
	const struct allocator *a = t->ctx->a;
	uintptr_t addr = 0;
	int bad = 0; /* not t->bad: the threads' structs share a cache line */
	a->cpu(t->cpu);
	for (size_t i = 0; i < t->ctx->ops && !bad; i++) {
		bad |= a->alloc(1, &addr);
		if (bad)
			break;
		*(volatile size_t *)addr = i;
		bad |= a->release(addr);
	}
	t->bad = bad;
	a->cpu(0);
	return NULL;
}

void wl_pairs_threads(const struct wl_ctx *ctx, struct wl_result *r)
{
	struct thread threads[MAX_THREADS];
	size_t n = ctx->param;
	if (ctx->a->cpu == NULL || n == 0 || n > MAX_THREADS) {
		r->skipped = 1;
		return;
	}
	if (wl_setup(ctx, r))
		return;
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		threads[i] = (struct thread){ ctx, (unsigned)i, 0, 0 };
		if (pthread_create(&threads[i].id, NULL, pairs, &threads[i]) != 0) {
			wl_fail(r, "a thread could not be started");
			n = i;
			break;
		}
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		pthread_join(threads[i].id, NULL);
		bad |= threads[i].bad;
	}
	r->ns = bench_now_ns() - t0;
	r->ops = n * ctx->ops;
	if (bad)
		wl_fail(r, "an alloc or free failed");
}
