/**
 * @file pmm_pcp.h
 * @brief The page caches' fast paths, inline in the page manager's entry
 *        points (pmm_entry.c); pmm_pcp.c has the rest and states the
 *        caches' invariant, pmm.h their interface.
 */
#ifndef PAGODA_PMM_PCP_H
#define PAGODA_PMM_PCP_H

#include "pmm.h"
#include "pmm_poison.h"
#include "pmm_segment.h"
#include "spinlock.h"

/** @brief Refill the empty @p cache, then hand out its top page: pmm_pcp_alloc()'s slow path. */
int pmm_pcp_refill_and_alloc(struct pmm_cpu_cache *cache, uintptr_t *addr);

/** @brief Give @p cache's oldest PMM_PCP_BATCH pages back: pmm_pcp_free()'s slow path. */
void pmm_pcp_drain(struct pmm_cpu_cache *cache);

/** @brief Do single pages go through the caches now? (Poisoning bypasses them.) */
static inline int pmm_pcp_active(void)
{
	return pmm.pcp_active;
}

/** @brief Hand out the top page of @p c, which has one. */
static inline void pmm_pcp_take_top(struct pmm_cpu_cache *c, uintptr_t *addr)
{
	size_t top = --c->count;
	c->page[top]->holder = PMM_HOLDER_ANYONE;
	*addr = c->addr[top];
}

/**
 * @brief A single page from the running CPU's cache, refilled first if it
 *        is empty. Takes pmm_lock only to refill.
 * @return 1 if served (the page in *@p addr); 0 if the caches are off (or
 *         poisoning is on) or the buddy lists had no page for a refill
 */
static inline int pmm_pcp_alloc(uintptr_t *addr)
{
	if (!pmm_pcp_active())
		return 0;
	/* LAB percpu BEGIN */
	struct pmm_cpu_cache *c = &pmm.caches[this_cpu()];
	if (c->count == 0)
		return pmm_pcp_refill_and_alloc(c, addr);
	c->hits++;
	pmm_pcp_take_top(c, addr);
	return 1;
	/* LAB percpu STUB pmm_pcp_alloc
	(void)addr;
	return 0;
	*/
	/* LAB percpu END */
}

/**
 * @brief The descriptor of @p addr if it is a one-page allocation held by
 *        @p holder (neither a cache nor the quarantine), else NULL. For a
 *        caller's own page, what it reads only that caller writes.
 */
static inline struct pmm_page *pmm_pcp_single_page(uintptr_t addr, enum pmm_holder holder)
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

/**
 * @brief Put the one-page allocation at @p addr, held by @p holder, in the
 *        running CPU's cache, draining a batch if that takes it above
 *        PMM_PCP_HIGH.
 * @return 1 if taken; 0 if the caches are off or @p addr is not such an
 *         allocation (the locked path then frees it, or says why not)
 */
static inline int pmm_pcp_free(uintptr_t addr, enum pmm_holder holder)
{
	if (!pmm_pcp_active())
		return 0;
	/* LAB percpu BEGIN */
	struct pmm_page *page = pmm_pcp_single_page(addr, holder);
	if (page == NULL)
		return 0;
	struct pmm_cpu_cache *c = &pmm.caches[this_cpu()];
	page->holder = PMM_HOLDER_CACHE;
	c->addr[c->count] = addr;
	c->page[c->count] = page;
	if (++c->count > PMM_PCP_HIGH)
		pmm_pcp_drain(c);
	return 1;
	/* LAB percpu STUB pmm_pcp_free
	(void)addr;
	(void)holder;
	return 0;
	*/
	/* LAB percpu END */
}

/**
 * @brief Make @p holder the holder of the caller's one-page allocation at
 *        @p addr without the lock, as its owner alone writes it.
 * @return 1 if done; 0 if the caches are off or @p addr is not such an
 *         allocation (the locked path then does it, or says why not)
 */
static inline int pmm_pcp_set_holder(uintptr_t addr, enum pmm_holder holder)
{
	if (!pmm_pcp_active() || holder == PMM_HOLDER_CACHE || holder == PMM_HOLDER_QUARANTINE)
		return 0;
	struct pmm_page *page = pmm_pcp_single_page(addr, PMM_HOLDER_ANYONE);
	if (page == NULL)
		return 0;
	page->holder = (uint8_t)holder;
	return 1;
}

#endif
