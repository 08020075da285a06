/**
 * @file pmm_segment.h
 * @brief The bottom layer of the page manager: segments and their page
 *        arrays (not a public API).
 *
 * The layers, each using only those below it:
 *
 *     pmm_walk.c pmm_check.c pmm_tree.c pmm_scattered.c   look, verify, sets
 *     pmm_buddy.c                                         split and merge
 *     pmm_poison.c                                        the poison pattern
 *     pmm_segment.c                                       segments, page array
 */
#ifndef PAGODA_PMM_SEGMENT_H
#define PAGODA_PMM_SEGMENT_H

#include "pmm.h"

/**
 * @brief One segment: a range of physical memory with its own page array
 *        and free lists.
 *
 * The pages [base, base + pages * PMM_PAGE_SIZE) are tiled by blocks; the
 * buddy system (pmm_buddy.c, which states the invariants) keeps the lists.
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

/** @brief The segment that manages @p addr, or NULL. */
struct pmm_segment *pmm_segment_of(uintptr_t addr);

/**
 * @brief Index of the head of the block that holds page @p index, found by
 *        stepping over the blocks from the start (for error paths only).
 */
size_t pmm_head_of(const struct pmm_segment *seg, size_t index);

/**
 * @brief Make [start, end) a new segment: its page array written, every
 *        page INSIDE, its free lists empty (pmm_add_segment() fills them).
 * @param start first byte (rounded up to a page)
 * @param end one past the last byte (rounded down to a page)
 * @param seg receives the new segment
 * @return its index (>= 0), or a negative ::pmm_error
 */
int pmm_segment_create(uintptr_t start, uintptr_t end, struct pmm_segment **seg);

#endif
