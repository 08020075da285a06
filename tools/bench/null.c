/**
 * @file null.c
 * @brief The harness alone: an "allocator" that does nothing.
 *
 * Allocation hands out the next address and freeing forgets it. Its
 * instruction count is what a workload's loop, random choices and record
 * keeping cost by themselves; subtracted from the page manager's count it
 * leaves the page manager's own work (bench.py's instr_net column).
 */
#include "bench.h"

static struct {
	uintptr_t base;
	size_t pages;
	size_t next;
} nl;

static int null_setup(uintptr_t start, size_t bytes)
{
	nl.base = start;
	nl.pages = bytes / BENCH_PAGE;
	nl.next = 0;
	return BENCH_OK;
}

static int null_alloc(size_t pages, uintptr_t *addr)
{
	*addr = nl.base + (nl.next++ % nl.pages) * BENCH_PAGE;
	(void)pages;
	return BENCH_OK;
}

static int null_release(uintptr_t addr)
{
	(void)addr;
	return BENCH_OK;
}

static size_t null_total(void)
{
	return nl.pages;
}

static size_t null_longest(void)
{
	return nl.pages;
}

static double null_bytes_per_page(void)
{
	return 0;
}

static int null_check(void)
{
	return 0;
}

const struct allocator bench_null = {
	.name = "null",
	.max_pages = UINT32_MAX,
	.setup = null_setup,
	.alloc = null_alloc,
	.release = null_release,
	.total_pages = null_total,
	.longest_free_run = null_longest,
	.bytes_per_page = null_bytes_per_page,
	.check = null_check,
};
