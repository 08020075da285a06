/**
 * @file pmm_internal.h
 * @brief State shared by the page manager's source files (not a public API).
 */
#ifndef PAGODA_PMM_INTERNAL_H
#define PAGODA_PMM_INTERNAL_H

#include "pmm.h"

/**
 * @brief One segment: a range of physical memory with its own page array
 *        and free lists.
 *
 * Invariant: the pages [base, base + pages * PMM_PAGE_SIZE) are tiled exactly
 * by free blocks and allocations. A free block of order k starts on a
 * 2^k-page boundary of the physical address, its head descriptor is
 * PMM_PAGE_FREE with order k and sits on free_list[k]; every other page of a
 * block is PMM_PAGE_INSIDE. No free block has a free buddy of the same order
 * (they would have been merged). free_blocks[k] is the length of
 * free_list[k] and free_pages the sum of the free blocks' sizes.
 */
struct pmm_segment {
	uintptr_t base;                            /**< first managed page */
	size_t pages;                              /**< managed pages */
	struct pmm_page *page_array;               /**< descriptor of each managed page */
	size_t array_pages;                        /**< pages used by page_array */
	struct list_node free_list[PMM_NR_ORDERS]; /**< free block heads per order */
	size_t free_blocks[PMM_NR_ORDERS];         /**< length of each free list */
	size_t free_pages;                         /**< pages in free blocks */
};

/** @brief The manager's whole state. */
struct pmm_state {
	struct pmm_segment segments[PMM_MAX_SEGMENTS]; /**< in the order added */
	unsigned nr_segments;                          /**< how many are in use */
};

/** @brief The one page manager (pmm_segment.c). */
extern struct pmm_state pmm;

/** @brief Index of the page at @p addr in @p seg (addr must be inside). */
static inline size_t pmm_index(const struct pmm_segment *seg, uintptr_t addr)
{
	return (addr - seg->base) >> PMM_PAGE_SHIFT;
}

/** @brief Address of page @p index of @p seg. */
static inline uintptr_t pmm_addr(const struct pmm_segment *seg, size_t index)
{
	return seg->base + ((uintptr_t)index << PMM_PAGE_SHIFT);
}

/** @brief Pages covered by the block whose head is @p page. */
static inline size_t pmm_block_pages(const struct pmm_page *page)
{
	return page->state == PMM_PAGE_FREE ? (size_t)1 << page->order : page->count;
}

/**
 * @brief Largest order of a block that starts at page @p index and ends by
 *        page @p last: limited by the alignment of its physical address and
 *        by the room left.
 */
static inline unsigned pmm_fit_order(const struct pmm_segment *seg, size_t index, size_t last)
{
	uintptr_t pfn = pmm_addr(seg, index) >> PMM_PAGE_SHIFT;
	unsigned order = 0;
	while (order < PMM_MAX_ORDER && (pfn & ((uintptr_t)1 << order)) == 0 &&
	       index + ((size_t)2 << order) <= last)
		order++;
	return order;
}

/** @brief The segment that manages @p addr, or NULL. */
struct pmm_segment *pmm_segment_of(uintptr_t addr);

/**
 * @brief Give pages [first, last) of @p seg back to the free lists, merging.
 *
 * The pages must belong to no block on any list and be marked INSIDE.
 */
void pmm_free_range(struct pmm_segment *seg, size_t first, size_t last);

/** @brief Cut a new segment into the largest aligned free blocks, in address order. */
void pmm_fill_segment(struct pmm_segment *seg);

/**
 * @brief With poisoning on, fill pages [first, last) with PMM_POISON_BYTE.
 * @return 1 if they were filled (the blocks made of them are poisoned)
 */
int pmm_poison_fill(struct pmm_segment *seg, size_t first, size_t last);

/** @brief 1 if pages [first, last) all still hold the poison pattern. */
int pmm_poison_intact(const struct pmm_segment *seg, size_t first, size_t last);

/**
 * @brief Check pages [first, last) of a block just taken off the free
 *        lists (all INSIDE) still hold the poison pattern.
 * @return 0 if they do; otherwise 1, after quarantining each written page
 *         and giving the others back to the free lists
 */
int pmm_poison_verify(struct pmm_segment *seg, size_t first, size_t last);

/** @brief Take one block of 2^@p order pages; PMM_ERR_NO_MEMORY if none. */
int pmm_take_block(unsigned order, struct pmm_segment **seg, size_t *index);

#endif
