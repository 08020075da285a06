/**
 * @file pmm_bench.c
 * @brief pmm_bench_run(): time the page manager's hot paths in the kernel.
 *
 * The pool is the lowest pair of adjacent free 1 MiB blocks (or, if no two
 * are adjacent, the lowest free 1 MiB block). Every other free block is
 * taken aside first and chained through its own first word (kernel address
 * == physical address, and the block is ours while taken, so ours to
 * write): no table limits how many there are.
 *
 * Plain C over the public page-manager API, like the rest of os/mm: the
 * caller passes the clock.
 */
#include "kassert.h"
#include "pmm.h"
#include "pmm_bench.h"
#include "progress.h"

#define TOP_PAGES ((size_t)1 << PMM_MAX_ORDER) /* a top-order block: 1 MiB */
#define TOP_BYTES (TOP_PAGES * PMM_PAGE_SIZE)
#define RUN_PAGES 512                          /* the large-path workload */
#define POOL_MAX 2
#define NOT_TAKEN ((size_t)-1)

static struct {
	uintptr_t small;           /* chain of blocks of orders 0..7 taken aside */
	uintptr_t top;             /* chain of 1 MiB blocks taken aside, but the pool */
	size_t top_taken;          /* 1 MiB blocks taken, the pool's among them */
	uintptr_t pool[POOL_MAX];  /* the pool's blocks, in address order */
	size_t pool_taken[POOL_MAX]; /* when each was taken: its place among top_taken */
	size_t pool_blocks;
	size_t done, total;        /* for progress reports */
	uint64_t (*now_ns)(void);  /* the caller's clock */
	int stopped;
} b;

static void push(uintptr_t *chain, uintptr_t addr)
{
	*(uintptr_t *)addr = *chain;
	*chain = addr;
}

static uintptr_t pop(uintptr_t *chain)
{
	uintptr_t addr = *chain;
	*chain = *(uintptr_t *)addr;
	return addr;
}

/* Units of work between two progress reports. Taking a 1 MiB block aside
 * can take milliseconds (the lowest one is searched for) with 16 GiB on an
 * emulator, so every few blocks; a timed pair is quick, and a report
 * inside the timed loop would be timed too. */
#define ASIDE_REPORT_EVERY 4
#define PAIR_REPORT_EVERY PROGRESS_EVERY

/* Count one unit of work, reporting every @every; 1 if the run must stop. */
static int step(size_t every)
{
	if (++b.done % every == 0 && progress_report("bench", b.done, b.total))
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

/* The pool: the lowest two adjacent free 1 MiB blocks of one segment, or
 * else the lowest free 1 MiB block. 0 blocks if there is none. */
static void choose_pool(void)
{
	b.pool_blocks = 0;
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_block block;
		size_t cursor = 0;
		uintptr_t prev_top = 0; /* the block before, if a free 1 MiB one */
		for (size_t n = 1; pmm_walk(s, &cursor, &block); n++) {
			if (n % PROGRESS_EVERY == 0 && progress_report("bench", 0, b.total)) {
				b.stopped = 1;
				return;
			}
			int top = block.state == PMM_PAGE_FREE && block.pages == TOP_PAGES;
			if (top && prev_top && prev_top + TOP_BYTES == block.addr) {
				b.pool[0] = prev_top;
				b.pool[1] = block.addr;
				b.pool_blocks = 2;
				return;
			}
			if (top && b.pool_blocks == 0) {
				b.pool[0] = block.addr;
				b.pool_blocks = 1;
			}
			prev_top = top ? block.addr : 0;
		}
	}
}

/* Take every free block aside, smallest order first: with the lists below
 * it empty, a request of 2^order pages takes the head of that order's list. */
static void take_all_aside(void)
{
	for (unsigned order = 0; order < PMM_NR_ORDERS && !b.stopped; order++) {
		for (size_t n = free_blocks(order); n > 0 && !step(ASIDE_REPORT_EVERY); n--) {
			uintptr_t addr;
			KASSERT(pmm_alloc_contiguous((size_t)1 << order, &addr) == PMM_OK);
			if (order < PMM_MAX_ORDER) {
				push(&b.small, addr);
				continue;
			}
			int pool = 0;
			for (size_t j = 0; j < b.pool_blocks; j++)
				if (addr == b.pool[j]) {
					b.pool_taken[j] = b.top_taken;
					pool = 1;
				}
			if (!pool)
				push(&b.top, addr);
			b.top_taken++;
		}
	}
}

/* Free what was taken aside, the last taken first: each block goes back to
 * the front of its list, so the first taken (the old head) ends at the
 * head. None merges: the blocks were free and unmerged before. */
static void put_all_back(void)
{
	while (b.top_taken-- > 0) {
		uintptr_t addr = 0;
		for (size_t j = 0; j < b.pool_blocks; j++)
			if (b.pool_taken[j] == b.top_taken)
				addr = b.pool[j];
		KASSERT(pmm_free(addr ? addr : pop(&b.top), NULL) == PMM_OK);
		step(ASIDE_REPORT_EVERY); /* never stops: it undoes */
	}
	while (b.small) {
		KASSERT(pmm_free(pop(&b.small), NULL) == PMM_OK);
		step(ASIDE_REPORT_EVERY); /* never stops: it undoes */
	}
}

/* After the workloads the pool is all that is free, whole again. */
static void take_pool_again(void)
{
	for (size_t j = 0; j < b.pool_blocks; j++) {
		uintptr_t addr;
		KASSERT(pmm_alloc_contiguous(TOP_PAGES, &addr) == PMM_OK);
		KASSERT(addr == b.pool[0] || addr == b.pool[b.pool_blocks - 1]);
	}
}

/* @pairs allocations of @pages and their frees, an allocation of @hold
 * pages (0: none) held meanwhile. */
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
	uint64_t t0 = b.now_ns();
	for (size_t i = 0; i < pairs && !step(PAIR_REPORT_EVERY); i++) {
		KASSERT(pmm_alloc_contiguous(pages, &addr) == PMM_OK);
		KASSERT(pmm_free(addr, NULL) == PMM_OK);
		r->pairs++;
	}
	r->ns = b.now_ns() - t0;
	if (hold)
		KASSERT(pmm_free(held, NULL) == PMM_OK);
}

int pmm_bench_run(size_t pairs, uint64_t (*now_ns)(void),
		  struct pmm_bench_result results[PMM_BENCH_WORKLOADS], size_t *pool_blocks)
{
	*pool_blocks = 0;
	if (pairs == 0 || now_ns == NULL || pmm_poison_enabled())
		return PMM_ERR_INVALID;
	b.now_ns = now_ns;
	b.done = 0;
	b.stopped = 0;
	/* Every free block is taken aside and put back: two units each. */
	b.total = 4 * pairs;
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++)
		b.total += 2 * free_blocks(order);
	if (progress_report("bench", 0, b.total))
		return PMM_ERR_INTERRUPTED;
	choose_pool();
	*pool_blocks = b.pool_blocks;
	if (b.stopped)
		return PMM_ERR_INTERRUPTED;
	if (b.pool_blocks == 0)
		return PMM_ERR_NO_MEMORY;
	b.small = b.top = 0;
	b.top_taken = 0;
	for (size_t j = 0; j < POOL_MAX; j++)
		b.pool_taken[j] = NOT_TAKEN; /* not yet: an interrupted run may never take it */
	take_all_aside();
	if (!b.stopped) {
		for (size_t j = 0; j < b.pool_blocks; j++)
			KASSERT(pmm_free(b.pool[j], NULL) == PMM_OK);
		run(&results[0], "order0-hot", 1, 1, pairs);
		run(&results[1], "order3-hot", 8, 8, pairs);
		run(&results[2], "order0-cold", 1, 0, pairs);
		results[3].name = "run512";
		results[3].pairs = 0;
		results[3].ns = 0;
		if (b.pool_blocks == 2)
			run(&results[3], "run512", RUN_PAGES, 0, pairs);
		take_pool_again();
	}
	put_all_back();
	return b.stopped ? PMM_ERR_INTERRUPTED : PMM_OK;
}
