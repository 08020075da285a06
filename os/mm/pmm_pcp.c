/**
 * @file pmm_pcp.c
 * @brief Per-CPU page caches in front of the buddy lists (pmm.h says what
 *        they do), as Linux's per-CPU page lists.
 *
 * The invariant: while the caches are on, a page is in CPU c's cache
 * exactly when its descriptor is a one-page allocation held by
 * PMM_HOLDER_CACHE and its address is one of cache[c].addr[0..count). Only
 * CPU c touches cache[c], except while every other CPU is out of the page
 * manager (pmm_pcp_set(), pmm_pcp_check(), the shell's reports); so the
 * fast paths take no lock. The buddy system sees a cached page as an
 * allocation: it never merges with it, and pmm_check() finds the tiling
 * whole. Nothing else reads a cached page's holder or writes its
 * descriptor, so the fast paths' writes race with no one.
 *
 * The kernel's interrupt handlers never allocate pages, so a fast path
 * interrupted halfway cannot be entered again on the same CPU.
 */
#include "arch.h"
#include "pmm_buddy.h"
#include "pmm_pcp.h"
#include "pmm_poison.h"
#include "spinlock.h"

#define CACHE_MAX (PMM_PCP_HIGH + 1)

/* One CPU's cache: a stack of pages, the most recently freed on top
 * (handed out first: its lines are likely still in this CPU's cache).
 * Aligned so that two CPUs' caches share no cache line. */
static struct pcp {
	size_t count;
	uintptr_t addr[CACHE_MAX];             /* the pages, oldest first */
	struct pmm_page *page[CACHE_MAX];      /* and their descriptors */
	uint64_t hits, misses, refills, drains;
} __attribute__((aligned(64))) caches[ARCH_MAX_CPUS];

static int pcp_on;

static inline int active(void)
{
	return pcp_on && !pmm_poisoning;
}

/* Take up to PMM_PCP_BATCH single pages from the buddy lists, in one
 * locked call, into @c (empty). */
static void refill(struct pcp *c)
{
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
		/* The lowest page last, so that it is handed out first. */
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
}

/* Give @c's @n oldest pages back to the buddy lists, in one locked call. */
static void drain(struct pcp *c, size_t n)
{
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
}

int pmm_pcp_alloc(uintptr_t *addr)
{
	if (!active())
		return 0;
	struct pcp *c = &caches[this_cpu()];
	if (c->count == 0) {
		c->misses++;
		refill(c);
		if (c->count == 0)
			return 0;
	} else {
		c->hits++;
	}
	size_t top = --c->count;
	c->page[top]->holder = PMM_HOLDER_ANYONE;
	*addr = c->addr[top];
	return 1;
}

/* The descriptor of @addr if it is a one-page allocation held by @holder
 * (neither the caches nor the quarantine), else NULL. For a caller's own
 * page, what it reads only that caller writes. */
static struct pmm_page *single_page(uintptr_t addr, enum pmm_holder holder)
{
	struct pmm_segment *seg = pmm_segment_of(addr);
	if (seg == NULL || (addr & (PMM_PAGE_SIZE - 1)))
		return NULL;
	struct pmm_page *page = &seg->page_array[pmm_index(seg, addr)];
	if (page->state != PMM_PAGE_ALLOCATED || page->count != 1 || page->holder != holder ||
	    holder == PMM_HOLDER_CACHE || holder == PMM_HOLDER_QUARANTINE)
		return NULL;
	return page;
}

int pmm_pcp_set_holder(uintptr_t addr, enum pmm_holder holder)
{
	if (!active() || holder == PMM_HOLDER_CACHE || holder == PMM_HOLDER_QUARANTINE)
		return 0;
	struct pmm_page *page = single_page(addr, PMM_HOLDER_ANYONE);
	if (page == NULL)
		return 0;
	page->holder = (uint8_t)holder;
	return 1;
}

int pmm_pcp_free(uintptr_t addr, enum pmm_holder holder)
{
	if (!active())
		return 0;
	struct pmm_page *page = single_page(addr, holder);
	if (page == NULL)
		return 0;
	struct pcp *c = &caches[this_cpu()];
	page->holder = PMM_HOLDER_CACHE;
	c->addr[c->count] = addr;
	c->page[c->count] = page;
	if (++c->count > PMM_PCP_HIGH)
		drain(c, PMM_PCP_BATCH);
	return 1;
}

void pmm_pcp_set(int on)
{
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++)
		if (caches[cpu].count)
			drain(&caches[cpu], caches[cpu].count);
	pcp_on = on != 0;
}

int pmm_pcp_enabled(void)
{
	return pcp_on;
}

void pmm_pcp_info(unsigned cpu, struct pmm_pcp_info *info)
{
	struct pmm_pcp_info none = { 0, 0, 0, 0, 0 };
	if (cpu >= ARCH_MAX_CPUS) {
		*info = none;
		return;
	}
	const struct pcp *c = &caches[cpu];
	*info = (struct pmm_pcp_info){ c->count, c->hits, c->misses, c->refills, c->drains };
}

uintptr_t pmm_pcp_page(unsigned cpu, size_t i)
{
	if (cpu >= ARCH_MAX_CPUS || i >= caches[cpu].count)
		return 0;
	return caches[cpu].addr[caches[cpu].count - 1 - i];
}

size_t pmm_cached_page_count(void)
{
	size_t pages = 0;
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++)
		pages += caches[cpu].count;
	return pages;
}

/* Pages held by PMM_HOLDER_CACHE: a walk of every block of every segment. */
static size_t pages_held_by_caches(void)
{
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
}

size_t pmm_pcp_check(void)
{
	size_t problems = 0;
	spin_lock(&pmm_lock);
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++) {
		const struct pcp *c = &caches[cpu];
		if (c->count > PMM_PCP_HIGH || (!pcp_on && c->count)) {
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
				for (size_t j = other == cpu ? i + 1 : 0; j < caches[other].count; j++)
					if (caches[other].addr[j] == c->addr[i])
						problems++;
		}
	}
	if (pages_held_by_caches() != pmm_cached_page_count())
		problems++;
	spin_unlock(&pmm_lock);
	return problems;
}
