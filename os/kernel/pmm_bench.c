/**
 * @file pmm_bench.c
 * @brief pmm_bench_run(): time the page manager's hot paths in the kernel.
 *
 * The blocks taken aside are chained through their own first word (kernel
 * address == physical address, and they are allocated, so theirs to
 * write): no table limits how many there are. The pool's blocks are
 * remembered in a small array.
 */
#include "arch.h"
#include "kassert.h"
#include "pmm.h"
#include "pmm_bench.h"
#include "progress.h"

#define TOP_PAGES ((size_t)1 << PMM_MAX_ORDER) /* a top-order block: 1 MiB */
#define POOL_MAX 8                             /* 1 MiB blocks given back at most */
#define RUN_PAGES 512                          /* the large-path workload */

static struct {
	uintptr_t chain;          /* the last block taken aside, or 0 */
	uintptr_t pool[POOL_MAX]; /* given back, in the order they left the chain */
	size_t pool_blocks;
	size_t done, total;       /* for progress reports */
	int stopped;
} b;

static void push(uintptr_t addr)
{
	*(uintptr_t *)addr = b.chain;
	b.chain = addr;
}

static uintptr_t pop(void)
{
	uintptr_t addr = b.chain;
	b.chain = *(uintptr_t *)addr;
	return addr;
}

/* Count one unit of work; 1 if the run must stop. */
static int step(void)
{
	if (++b.done % PROGRESS_EVERY == 0 && progress_report("bench", b.done, b.total))
		b.stopped = 1;
	return b.stopped;
}

static size_t free_blocks(unsigned order)
{
	size_t n = 0;
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_segment_info info;
		pmm_segment_info(s, &info);
		n += info.free_blocks[order];
	}
	return n;
}

/* Take every free block aside, smallest order first: with the lists below
 * it empty, a request of 2^order pages takes the head of that order's list. */
static void take_all_aside(void)
{
	for (unsigned order = 0; order < PMM_NR_ORDERS && !b.stopped; order++) {
		for (size_t n = free_blocks(order); n > 0 && !step(); n--) {
			uintptr_t addr;
			KASSERT(pmm_alloc_contiguous((size_t)1 << order, &addr) == PMM_OK);
			push(addr);
		}
	}
}

/* Free what was taken aside, the last first: each block goes back to the
 * front of its list, so the first taken (the old head) ends at the head.
 * None merges: the blocks were free and unmerged before. */
static void put_all_back(void)
{
	while (b.chain)
		KASSERT(pmm_free(pop(), NULL) == PMM_OK);
}

static int adjacent_pair(void)
{
	for (size_t i = 0; i < b.pool_blocks; i++)
		for (size_t j = 0; j < b.pool_blocks; j++)
			if (b.pool[j] == b.pool[i] + TOP_PAGES * PMM_PAGE_SIZE)
				return 1;
	return 0;
}

/* Give back the 1 MiB blocks taken last (the tail of the top list) until
 * two of them are adjacent, for the run. */
static void give_pool_back(void)
{
	struct pmm_block block;
	b.pool_blocks = 0;
	while (b.chain && b.pool_blocks < POOL_MAX && !(b.pool_blocks >= 2 && adjacent_pair()) &&
	       pmm_allocation_at(b.chain, &block) == PMM_OK && block.pages == TOP_PAGES)
		b.pool[b.pool_blocks++] = pop();
	for (size_t i = 0; i < b.pool_blocks; i++)
		KASSERT(pmm_free(b.pool[i], NULL) == PMM_OK);
}

/* After the workloads the pool is all that is free, whole again: take it
 * and chain it where it was. */
static void take_pool_again(void)
{
	for (size_t i = 0; i < b.pool_blocks; i++) {
		uintptr_t addr;
		KASSERT(pmm_alloc_contiguous(TOP_PAGES, &addr) == PMM_OK);
	}
	for (size_t i = b.pool_blocks; i-- > 0;)
		push(b.pool[i]);
}

/* @pairs allocations of @pages and their frees, one page of @hold pages
 * held meanwhile (0: none). */
static void run(struct pmm_bench_result *r, const char *name, size_t pages, size_t hold,
		size_t pairs)
{
	uintptr_t held = 0, addr;
	r->name = name;
	r->pairs = 0;
	r->ns = 0;
	if (b.stopped)
		return;
	if (hold)
		KASSERT(pmm_alloc_contiguous(hold, &held) == PMM_OK);
	uint64_t t0 = arch_time_ns();
	for (size_t i = 0; i < pairs && !step(); i++) {
		KASSERT(pmm_alloc_contiguous(pages, &addr) == PMM_OK);
		KASSERT(pmm_free(addr, NULL) == PMM_OK);
		r->pairs++;
	}
	r->ns = arch_time_ns() - t0;
	if (hold)
		KASSERT(pmm_free(held, NULL) == PMM_OK);
}

int pmm_bench_run(size_t pairs, struct pmm_bench_result results[PMM_BENCH_WORKLOADS],
		  size_t *pool_blocks)
{
	if (pairs == 0 || pmm_poison_enabled())
		return PMM_ERR_INVALID;
	b.chain = 0;
	b.done = 0;
	b.stopped = 0;
	b.total = 4 * pairs;
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++)
		b.total += free_blocks(order);
	take_all_aside();
	b.pool_blocks = 0;
	if (!b.stopped)
		give_pool_back();
	*pool_blocks = b.pool_blocks;
	if (b.pool_blocks == 0) {
		put_all_back();
		return b.stopped ? PMM_ERR_INTERRUPTED : PMM_ERR_NO_MEMORY;
	}
	run(&results[0], "order0-hot", 1, 1, pairs);
	run(&results[1], "order3-hot", 8, 8, pairs);
	run(&results[2], "order0-cold", 1, 0, pairs);
	results[3].name = "run512";
	results[3].pairs = 0;
	results[3].ns = 0;
	if (adjacent_pair())
		run(&results[3], "run512", RUN_PAGES, 0, pairs);
	take_pool_again();
	put_all_back();
	return b.stopped ? PMM_ERR_INTERRUPTED : PMM_OK;
}
