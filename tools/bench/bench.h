/**
 * @file bench.h
 * @brief The page-manager benchmark: allocators under test, workloads, helpers.
 *
 * Three allocators run the same workloads over the same memory: the kernel's
 * page manager (pmm_api.c, the only file that calls pmm.h), a bare free-list
 * floor (floor.c: the least work any allocator can do) and a naive first-fit
 * bitmap (naive.c: what "no cleverness at all" costs). A fourth, null.c,
 * does nothing: its counts are the harness's own.
 */
#ifndef PAGODA_BENCH_H
#define PAGODA_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PAGE ((uintptr_t)4096) /**< page size of every allocator here */

/** @brief Results of allocator calls, the same for all three allocators. */
enum bench_error {
	BENCH_OK = 0,
	BENCH_ERR_NO_MEMORY = -1,     /**< no free run long enough */
	BENCH_ERR_OUTSIDE = -2,       /**< address not in managed memory */
	BENCH_ERR_UNALIGNED = -3,     /**< address not page aligned */
	BENCH_ERR_NOT_ALLOCATED = -4, /**< page is free (double free) */
	BENCH_ERR_INTERIOR = -5,      /**< inside an allocation, not its start */
	BENCH_ERR_OTHER = -6,         /**< any other refusal */
};

/** @brief One allocator, as the workloads see it. */
struct allocator {
	const char *name;                                /**< "pmm", "floor", "naive" */
	size_t max_pages;                                /**< longest request it serves */
	int (*setup)(uintptr_t start, size_t bytes);     /**< manage [start, start + bytes) */
	int (*alloc)(size_t pages, uintptr_t *addr);     /**< contiguous pages */
	int (*release)(uintptr_t addr);                  /**< free an allocation by its start */
	size_t (*total_pages)(void);                     /**< pages it manages */
	size_t (*longest_free_run)(void);                /**< longest run of free pages */
	double (*bytes_per_page)(void);                  /**< metadata per managed page */
	size_t (*array_bytes)(void);                     /**< whole metadata footprint, if known (may be NULL) */
	int (*check)(void);                              /**< 0 when its invariants hold */
	void (*cpu)(unsigned cpu);                       /**< the calling thread is CPU @p cpu; NULL: one thread only */
};

extern const struct allocator bench_pmm;   /**< the kernel's page manager */
extern const struct allocator bench_floor; /**< singly linked stack of pages */
extern const struct allocator bench_naive; /**< first-fit bitmap */
extern const struct allocator bench_null;  /**< does nothing: the harness's own cost */
extern const struct allocator bench_pcp;   /**< the page manager with its per-CPU page caches on */

/** @brief What one run of a workload measured. */
struct wl_result {
	uint64_t ns;      /**< time of the measured part */
	size_t ops;       /**< operations in the measured part */
	int ok;           /**< 1 if every call gave the answer it must */
	int skipped;      /**< 1 if the workload does not apply (pool too small) */
	double value;     /**< a non-time result (bytes/page, failed requests) */
	const char *unit; /**< what value is, or NULL */
	char note[160];   /**< a short remark for the table */
};

/** @brief Everything a workload needs: allocator, memory, operation count. */
struct wl_ctx {
	const struct allocator *a; /**< allocator under test */
	uintptr_t start;           /**< the managed memory */
	size_t bytes;              /**< its size */
	size_t ops;                /**< operations to measure (0: the workload's default) */
	uint64_t seed;             /**< for every random choice */
	size_t param;              /**< the workload's parameter (an order, a length, a kind) */
};

/** @brief A workload: set up (untimed), measure, fill @p r. */
typedef void (*workload_fn)(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Set up the allocator over the context's memory; on failure mark @p r. @return 0 if set up. */
int wl_setup(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Mark @p r as failed with a short reason. */
void wl_fail(struct wl_result *r, const char *why);

/** @brief Order-0..8 pair, "hot": one block of the order is held first, so its buddy waits on the list. */
void wl_pair_hot(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Order-0 pair from a fully merged pool ("cold": every alloc splits, every free merges). */
void wl_pair_cold(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Allocate every page (or ctx->ops pages) one by one, free them in random order. */
void wl_fill_free(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief The mixed trace's steady state (trace.c), after its warm-up. */
void wl_mixed_trace(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Alloc + free of a run of ctx->param pages, in memory the trace fragmented. */
void wl_run_fragmented(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Alloc + free of a run of ctx->param pages from an empty pool. */
void wl_run_empty(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Single-page pairs on ctx->param threads at once, each its own CPU. */
void wl_pairs_threads(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief The kinds of bad free wl_error_path() measures (ctx->param). */
enum wl_error_kind { WL_INTERIOR, WL_UNALIGNED, WL_FOREIGN, WL_DOUBLE_FREE };

/** @brief A refused free (enum ::wl_error_kind) in fragmented memory. */
void wl_error_path(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Setting up the allocator over the whole memory, per page. */
void wl_init(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Metadata bytes per managed page (no timing). */
void wl_metadata(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Random sizes 1..1056 pages at 48% occupancy: failed requests, longest free run. */
void wl_fragmentation(const struct wl_ctx *ctx, struct wl_result *r);

/** @brief Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/** @brief Keeps a value alive so the compiler cannot drop the work making it. */
void bench_keep(uintptr_t value);

/** @brief A seeded pseudo-random generator (xorshift64*). */
struct bench_rng {
	uint64_t state; /**< never 0 */
};

/** @brief Start @p rng from @p seed (any value). */
void rng_seed(struct bench_rng *rng, uint64_t seed);

/** @brief The next 64 random bits. */
uint64_t rng_next(struct bench_rng *rng);

/** @brief A random number in [0, n). */
size_t rng_below(struct bench_rng *rng, size_t n);

/** @brief Shuffle @p n addresses in place (Fisher-Yates). */
void rng_shuffle(struct bench_rng *rng, uintptr_t *v, size_t n);

/**
 * @brief Reserve @p bytes of address space aligned to 1 MiB (untouched
 *        pages cost no memory). @return its start, or 0.
 */
uintptr_t arena_map(size_t bytes);

/** @brief Give back what arena_map() reserved. */
void arena_unmap(uintptr_t start, size_t bytes);

/** @brief Live allocations of a trace: start and length, random removal. */
struct live_set {
	uintptr_t *addr;  /**< start of each live allocation */
	uint32_t *pages;  /**< its length */
	size_t n;         /**< how many are live */
	size_t cap;       /**< room */
	size_t used;      /**< pages held in all */
};

/** @brief Room for @p cap allocations. @return 0, or -1 without memory. */
int live_init(struct live_set *s, size_t cap);

/** @brief Forget everything and free the record. */
void live_destroy(struct live_set *s);

/** @brief Record an allocation. */
void live_push(struct live_set *s, uintptr_t addr, size_t pages);

/** @brief Free live allocation @p i through @p a and forget it. @return the free's result. */
int live_release(struct live_set *s, const struct allocator *a, size_t i);

/** @brief Free everything still live. @return 0 if every free succeeded. */
int live_release_all(struct live_set *s, const struct allocator *a);

/** @brief Index of the live allocation with the highest address (-1 if none), of at least @p min_pages. */
long live_highest(const struct live_set *s, size_t min_pages);

/**
 * @brief Pages of the next request of the mixed trace: 70% one page, 12% two,
 *        8% four, 4% eight, 3% sixteen, 3% orders 5-8 (0.75% each).
 */
size_t trace_request(struct bench_rng *rng);

/** @brief State of a running mixed trace (see trace.c). */
struct trace {
	struct live_set live;      /**< what it holds */
	struct bench_rng rng;      /**< its choices */
	size_t target;             /**< pages it keeps in use: 48% of the pool */
	size_t failed;             /**< requests refused */
	size_t bad_frees;          /**< frees of live allocations that failed (a bug) */
	size_t (*request)(struct bench_rng *rng); /**< size of the next request */
	unsigned small_lives;      /**< 0 or 1: a free picks any live allocation alike; k > 1:
					the largest of k picks (small ones live longer) */
};

/** @brief Start a trace over allocator @p a keeping @p percent of its pages in use. */
int trace_start(struct trace *t, const struct allocator *a, uint64_t seed, unsigned percent,
		size_t (*request)(struct bench_rng *rng));

/** @brief One step: below the target, request pages; at or above it, free a random live allocation. */
void trace_step(struct trace *t, const struct allocator *a);

/** @brief Step until the target occupancy is reached. */
void trace_warm_up(struct trace *t, const struct allocator *a);

/**
 * @brief After trace_warm_up(), step on until the memory is in steady
 *        state: most allocations of the fill freed and replaced.
 */
void trace_settle(struct trace *t, const struct allocator *a);

/** @brief Free what the trace holds and forget it. @return 0 if every free succeeded. */
int trace_stop(struct trace *t, const struct allocator *a);

#endif
