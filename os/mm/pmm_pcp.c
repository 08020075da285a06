/**
 * @file pmm_pcp.c
 * @brief Per-CPU page caches in front of the buddy lists (pmm.h says what
 *        they do), as Linux's per-CPU page lists.
 *
 * The invariant: a page is in CPU c's cache (pmm.caches[c], struct
 * pmm_cpu_cache) exactly when its descriptor is a one-page allocation held
 * by PMM_HOLDER_CACHE and its address is one of addr[0..count). Only
 * CPU c touches its cache, except while every other CPU is out of the page
 * manager (pmm_pcp_set(), pmm_pcp_check(), the shell's reports); so the
 * fast paths take no lock. The buddy system sees a cached page as an
 * allocation: it never merges with it, and pmm_check() finds the tiling
 * whole. Nothing else reads a cached page's holder or writes its
 * descriptor, so the fast paths' writes race with no one.
 *
 * The kernel's interrupt handlers never allocate pages, so a fast path
 * interrupted halfway cannot be entered again on the same CPU.
 */
#include "lab.h"
#include "pmm_buddy.h"
#include "pmm_pcp.h"
#include "spinlock.h"

/** @brief Take up to PMM_PCP_BATCH single pages from the buddy lists, in
 *         one locked call, into @p c (empty); the first taken on top. */
static void refill(struct pmm_cpu_cache *c)
{
	/* LAB percpu BEGIN */
	spin_lock(&pmm_lock);
	while (c->count < PMM_PCP_BATCH) {
		struct pmm_segment *seg;
		size_t index;
		if (pmm_take_block(0, &seg, &index) != PMM_OK)
			break;
		struct pmm_page *page = &seg->page_array[index];
		page->state = PMM_PAGE_ALLOCATED;
		page->count = 1;
		page->holder = PMM_HOLDER_CACHE;
		/* The first page taken in the top slot: it is handed out first. */
		c->addr[PMM_PCP_BATCH - 1 - c->count] = pmm_addr(seg, index);
		c->page[PMM_PCP_BATCH - 1 - c->count] = page;
		c->count++;
	}
	/* Fewer than a batch: close the gap at the bottom. */
	size_t gap = PMM_PCP_BATCH - c->count;
	for (size_t i = 0; gap && i < c->count; i++) {
		c->addr[i] = c->addr[i + gap];
		c->page[i] = c->page[i + gap];
	}
	c->refills++;
	spin_unlock(&pmm_lock);
	/* LAB percpu STUB refill
	(void)c;
	LAB_TODO("percpu", "refill");
	*/
	/* LAB percpu END */
}

/** @brief Give @p c's @p n oldest pages back to the buddy lists, in one locked call. */
static void drain(struct pmm_cpu_cache *c, size_t n)
{
	/* LAB percpu BEGIN */
	spin_lock(&pmm_lock);
	for (size_t i = 0; i < n; i++) {
		struct pmm_segment *seg = pmm_segment_of(c->addr[i]);
		size_t index = pmm_index(seg, c->addr[i]);
		c->page[i]->state = PMM_PAGE_INSIDE;
		c->page[i]->count = 0;
		pmm_free_range(seg, index, index + 1);
	}
	c->count -= n;
	for (size_t i = 0; i < c->count; i++) {
		c->addr[i] = c->addr[i + n];
		c->page[i] = c->page[i + n];
	}
	c->drains++;
	spin_unlock(&pmm_lock);
	/* LAB percpu STUB drain
	(void)c;
	(void)n;
	LAB_TODO("percpu", "drain");
	*/
	/* LAB percpu END */
}

int pmm_pcp_refill_and_alloc(struct pmm_cpu_cache *c, uintptr_t *addr)
{
	c->misses++;
	refill(c);
	if (c->count == 0)
		return 0;
	pmm_pcp_take_top(c, addr);
	return 1;
}

void pmm_pcp_drain(struct pmm_cpu_cache *c)
{
	drain(c, PMM_PCP_BATCH);
}

void pmm_pcp_set(int on)
{
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++)
		if (pmm.caches[cpu].count)
			drain(&pmm.caches[cpu], pmm.caches[cpu].count);
	pmm.caches_on = on != 0;
	pmm_update_pcp_active();
}

int pmm_pcp_enabled(void)
{
	return pmm.caches_on;
}

void pmm_pcp_info(unsigned cpu, struct pmm_pcp_info *info)
{
	struct pmm_pcp_info none = { 0, 0, 0, 0, 0 };
	if (cpu >= ARCH_MAX_CPUS) {
		*info = none;
		return;
	}
	const struct pmm_cpu_cache *c = &pmm.caches[cpu];
	*info = (struct pmm_pcp_info){ c->count, c->hits, c->misses, c->refills, c->drains };
}

uintptr_t pmm_pcp_page(unsigned cpu, size_t i)
{
	if (cpu >= ARCH_MAX_CPUS || i >= pmm.caches[cpu].count)
		return 0;
	return pmm.caches[cpu].addr[pmm.caches[cpu].count - 1 - i];
}

size_t pmm_cached_page_count(void)
{
	size_t pages = 0;
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++)
		pages += pmm.caches[cpu].count;
	return pages;
}

/** @brief Pages held by PMM_HOLDER_CACHE: a walk of every block of every segment. */
static size_t pages_held_by_caches(void)
{
	/* LAB percpu BEGIN */
	size_t held = 0;
	for (unsigned s = 0; s < pmm.nr_segments; s++) {
		const struct pmm_segment *seg = &pmm.segments[s];
		for (size_t index = 0; index < seg->pages;) {
			const struct pmm_page *page = &seg->page_array[index];
			if (page->state == PMM_PAGE_ALLOCATED && page->holder == PMM_HOLDER_CACHE)
				held++;
			size_t pages = pmm_block_pages(page);
			index += pages ? pages : 1; /* a broken tiling is pmm_check()'s to report */
		}
	}
	return held;
	/* LAB percpu STUB pages_held_by_caches
	LAB_TODO("percpu", "pages_held_by_caches");
	*/
	/* LAB percpu END */
}

size_t pmm_pcp_check(void)
{
	size_t problems = 0;
	spin_lock(&pmm_lock);
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++) {
		const struct pmm_cpu_cache *c = &pmm.caches[cpu];
		if (c->count > PMM_PCP_HIGH || (!pmm.caches_on && c->count)) {
			problems++;
			continue;
		}
		for (size_t i = 0; i < c->count; i++) {
			struct pmm_segment *seg = pmm_segment_of(c->addr[i]);
			if (seg == NULL || c->page[i] != &seg->page_array[pmm_index(seg, c->addr[i])] ||
			    c->page[i]->state != PMM_PAGE_ALLOCATED || c->page[i]->count != 1 ||
			    c->page[i]->holder != PMM_HOLDER_CACHE)
				problems++;
			/* In one cache, once: no other entry names it. */
			for (unsigned other = cpu; other < ARCH_MAX_CPUS; other++)
				for (size_t j = other == cpu ? i + 1 : 0; j < pmm.caches[other].count; j++)
					if (pmm.caches[other].addr[j] == c->addr[i])
						problems++;
		}
	}
	if (pages_held_by_caches() != pmm_cached_page_count())
		problems++;
	spin_unlock(&pmm_lock);
	return problems;
}
