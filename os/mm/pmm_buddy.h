/**
 * @file pmm_buddy.h
 * @brief What the buddy system (pmm_buddy.c) offers the page manager's
 *        upper layers (not a public API).
 */
#ifndef PAGODA_PMM_BUDDY_H
#define PAGODA_PMM_BUDDY_H

#include "pmm_segment.h"
#include "spinlock.h"


/**
 * @brief Largest order of a block that starts at page @p index and ends by
 *        page @p last: limited by the alignment of its physical address and
 *        by the room left.
 */
unsigned pmm_fit_order(const struct pmm_segment *seg, size_t index, size_t last);

/**
 * @brief Give pages [first, last) of @p seg back to the free lists, merging.
 *
 * The pages must belong to no block on any list and be marked INSIDE.
 */
void pmm_free_range(struct pmm_segment *seg, size_t first, size_t last);

/** @brief Take one block of 2^@p order pages; PMM_ERR_NO_MEMORY if none. */
int pmm_take_block(unsigned order, struct pmm_segment **seg, size_t *index);

/** @brief pmm_alloc_contiguous() without the lock or the page caches. */
int pmm_buddy_alloc(size_t pages, uintptr_t *addr);

/** @brief pmm_set_holder() without the lock. */
int pmm_buddy_set_holder(uintptr_t addr, enum pmm_holder holder);

/** @brief pmm_free_held() without the lock or the page caches. */
int pmm_buddy_free(uintptr_t addr, enum pmm_holder holder, size_t *pages);

/** @brief pmm_free_page() without the lock or the page caches. */
int pmm_buddy_free_page(uintptr_t addr);

#endif
