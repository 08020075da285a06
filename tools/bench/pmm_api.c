/**
 * @file pmm_api.c
 * @brief The kernel's page manager as a benchmark allocator.
 *
 * The only file of the benchmark that calls pmm.h: when the page manager's
 * API is renamed, this is the one place to follow it.
 */
#include "bench.h"
#include "pmm.h"
#include "spinlock.h"

#define ALIGN ((uintptr_t)1 << 20)

/* Where the segment handed over starts, for the memory last set up. */
static struct {
	uintptr_t start, end, from;
} aligned;

/* Hand over [from, end); @return the managed pages' first address, or 0. */
static uintptr_t add(uintptr_t from, uintptr_t end)
{
	struct pmm_segment_info info;
	pmm_init();
	if (pmm_add_segment(from, end) < 0 || pmm_segment_info(0, &info) != PMM_OK)
		return 0;
	return info.start;
}

/* The page array goes at the front of the memory, as in the kernel; the
 * range handed over starts just late enough that the managed pages begin
 * on a 1 MiB boundary (as tests/host/fixture.h arranges), so 256-page
 * blocks tile them from their first page and "hot" means the same thing at
 * every size. The start is found once per memory by trying (the array
 * shrinks a little as the start moves up) and then reused. */
static int pmm_setup(uintptr_t start, size_t bytes)
{
	uintptr_t end = start + bytes, base;
	if (aligned.start != start || aligned.end != end) {
		uintptr_t from = start;
		for (int i = 0; (base = add(from, end)) != 0 && base % ALIGN && i < 16; i++)
			from += ALIGN - base % ALIGN;
		if (base == 0 || base % ALIGN)
			return BENCH_ERR_OTHER;
		aligned.start = start;
		aligned.end = end;
		aligned.from = from;
		return BENCH_OK;
	}
	return add(aligned.from, end) ? BENCH_OK : BENCH_ERR_OTHER;
}

static int pmm_result(int err)
{
	if (err == PMM_OK) /* the common case first: no switch on the hot path */
		return BENCH_OK;
	switch (err) {
	case PMM_OK: return BENCH_OK;
	case PMM_ERR_NO_MEMORY: return BENCH_ERR_NO_MEMORY;
	case PMM_ERR_OUTSIDE: return BENCH_ERR_OUTSIDE;
	case PMM_ERR_UNALIGNED: return BENCH_ERR_UNALIGNED;
	case PMM_ERR_NOT_ALLOCATED: return BENCH_ERR_NOT_ALLOCATED;
	case PMM_ERR_INTERIOR: return BENCH_ERR_INTERIOR;
	}
	return BENCH_ERR_OTHER;
}

static int pmm_bench_alloc(size_t pages, uintptr_t *addr)
{
	return pmm_result(pmm_alloc_contiguous(pages, addr));
}

static int pmm_bench_release(uintptr_t addr)
{
	return pmm_result(pmm_free(addr, NULL));
}

static size_t pmm_bench_total(void)
{
	return pmm_total_pages();
}

static size_t pmm_bench_longest(void)
{
	return pmm_longest_free_run();
}

/* One descriptor per page (the page array's pages, which hold a whole
 * number of descriptors each, cost a little more: see wl_metadata()). */
static double pmm_bench_bytes_per_page(void)
{
	return sizeof(struct pmm_page);
}

static size_t pmm_bench_array_bytes(void)
{
	struct pmm_segment_info info;
	if (pmm_segment_info(0, &info) != PMM_OK)
		return 0;
	return info.array_pages * PMM_PAGE_SIZE;
}

static int pmm_bench_check(void)
{
	return pmm_check(NULL, NULL) == 0 ? 0 : -1;
}

static void pmm_bench_cpu(unsigned cpu)
{
	host_cpu_set(cpu);
}

/* The same memory with the caches on (pmm_setup() starts with them off). */
static int pcp_setup(uintptr_t start, size_t bytes)
{
	int err = pmm_setup(start, bytes);
	if (err == BENCH_OK)
		pmm_pcp_set(1);
	return err;
}

static int pcp_bench_check(void)
{
	return pmm_check(NULL, NULL) == 0 && pmm_pcp_check() == 0 ? 0 : -1;
}

/* What the page manager's two allocators share: all but setup and check. */
#define PMM_ALLOCATOR_CALLS \
	.max_pages = UINT32_MAX, .alloc = pmm_bench_alloc, .release = pmm_bench_release, \
	.total_pages = pmm_bench_total, .longest_free_run = pmm_bench_longest, \
	.bytes_per_page = pmm_bench_bytes_per_page, .array_bytes = pmm_bench_array_bytes, \
	.cpu = pmm_bench_cpu

const struct allocator bench_pcp = {
	.name = "pcp",
	.setup = pcp_setup,
	.check = pcp_bench_check,
	PMM_ALLOCATOR_CALLS,
};

const struct allocator bench_pmm = {
	.name = "pmm",
	.setup = pmm_setup,
	.check = pmm_bench_check,
	PMM_ALLOCATOR_CALLS,
};
