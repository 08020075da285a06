/**
 * @file floor.c
 * @brief The floor: a singly linked stack of single pages, nothing else.
 *
 * Allocation pops the stack (or, before any page was freed, takes the next
 * never-used page); freeing pushes. No sizes above one page, no checks: the
 * least work a page allocator can do, so the other allocators' figures can
 * be read as multiples of it. The links live in a side array of 32-bit page
 * numbers rather than in the free pages themselves, so that a run over 16 GiB
 * does not make every page resident (the instruction count is the same).
 */
#include <stdlib.h>

#include "bench.h"

#define NIL UINT32_MAX

static struct {
	uintptr_t base;
	size_t pages;
	size_t fresh;   /* pages [fresh, pages) were never handed out */
	uint32_t top;   /* top of the stack of freed pages, or NIL */
	uint32_t *next; /* next[i]: the page under page i on the stack */
} fl;

static int floor_setup(uintptr_t start, size_t bytes)
{
	free(fl.next);
	fl.base = start;
	fl.pages = bytes / BENCH_PAGE;
	fl.fresh = 0;
	fl.top = NIL;
	fl.next = malloc(fl.pages * sizeof(*fl.next));
	return fl.next && fl.pages < NIL ? BENCH_OK : BENCH_ERR_OTHER;
}

static int floor_alloc(size_t pages, uintptr_t *addr)
{
	size_t i;
	if (pages != 1)
		return BENCH_ERR_OTHER;
	if (fl.top != NIL) {
		i = fl.top;
		fl.top = fl.next[i];
	} else if (fl.fresh < fl.pages) {
		i = fl.fresh++;
	} else {
		return BENCH_ERR_NO_MEMORY;
	}
	*addr = fl.base + i * BENCH_PAGE;
	return BENCH_OK;
}

static int floor_release(uintptr_t addr)
{
	uint32_t i = (uint32_t)((addr - fl.base) / BENCH_PAGE);
	fl.next[i] = fl.top;
	fl.top = i;
	return BENCH_OK;
}

static size_t floor_total(void)
{
	return fl.pages;
}

static size_t floor_longest(void)
{
	return fl.pages - fl.fresh; /* at least; freed pages are not tracked by address */
}

static double floor_bytes_per_page(void)
{
	return sizeof(*fl.next);
}

static int floor_check(void)
{
	return 0;
}

const struct allocator bench_floor = {
	.name = "floor",
	.max_pages = 1,
	.setup = floor_setup,
	.alloc = floor_alloc,
	.release = floor_release,
	.total_pages = floor_total,
	.longest_free_run = floor_longest,
	.bytes_per_page = floor_bytes_per_page,
	.check = floor_check,
};
