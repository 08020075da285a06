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

#include "arch.h"
#include "pmm.h"

#define PMM_CHUNK_ORDER (PMM_MAX_ORDER - 1) /**< a chunk of the free-chunk index: 128 pages */
#define PMM_CHUNK_PAGES ((size_t)1 << PMM_CHUNK_ORDER) /**< pages in a chunk */

/**
 * @brief One segment: a range of physical memory with its own page array
 *        and free lists.
 *
 * The pages [base, base + pages * PMM_PAGE_SIZE) are tiled by blocks; the
 * buddy system (pmm_buddy.c, which states the invariants) keeps the lists.
 *
 * The free-chunk index serves requests above the largest order without
 * walking the page array. A *chunk* is 128 pages aligned to 128 pages of
 * the physical address (half the largest block). Invariant: bit j of
 * free_chunks is set exactly when chunk j (the j-th chunk lying wholly
 * inside the segment) is wholly free, that is, lies in a free block of
 * order 7 or 8; every bit from nr_chunks on is clear. Any run of more than
 * 256 free pages holds a whole free chunk, so runs are found by searching
 * the bitmap a word at a time. The bitmap lives in the page array's last
 * page, past the descriptors, in room the array had spare anyway.
 */
struct pmm_segment {
	uintptr_t base;                            /**< first managed page */
	size_t pages;                              /**< managed pages */
	struct pmm_page *page_array;               /**< descriptor of each managed page */
	size_t array_pages;                        /**< pages used by page_array */
	struct list_node free_list[PMM_NR_ORDERS]; /**< free block heads per order */
	size_t free_blocks[PMM_NR_ORDERS];         /**< length of each free list */
	size_t free_pages;                         /**< pages in free blocks */
	uint64_t *free_chunks;                     /**< the free-chunk index: one bit per chunk */
	size_t first_chunk;                        /**< page frame number of chunk 0, over 128 */
	size_t nr_chunks;                          /**< chunks wholly inside the segment */
};

#define PMM_CACHE_MAX (PMM_PCP_HIGH + 1) /**< a cache holds this many for a moment, then drains */
#define PMM_CACHE_BYTES 2048 /**< one CPU's cache with its padding: a power of two (pmm_segment.c checks) */

/**
 * @brief One CPU's page cache (pmm_pcp.c states its invariant): a stack of
 *        single pages, the most recently freed on top. Aligned so that two
 *        CPUs' caches share no cache line, and to a power of two so that
 *        finding a CPU's cache is a shift, not a multiplication.
 */
struct pmm_cpu_cache {
	_Alignas(PMM_CACHE_BYTES) size_t count; /**< pages in it */
	uintptr_t addr[PMM_CACHE_MAX];          /**< the pages, oldest first */
	struct pmm_page *page[PMM_CACHE_MAX];   /**< and their descriptors */
	uint64_t hits;                          /**< allocations served at once */
	uint64_t misses;                        /**< allocations that found it empty */
	uint64_t refills;                       /**< batches taken from the buddy lists */
	uint64_t drains;                        /**< batches given back */
};

/** @brief The manager's whole state. */
struct pmm_state {
	struct pmm_segment segments[PMM_MAX_SEGMENTS]; /**< in the order added */
	unsigned nr_segments;                          /**< how many are in use */
	struct pmm_segment *by_address[PMM_MAX_SEGMENTS]; /**< the segments, lowest base first */
	struct pmm_cpu_cache caches[ARCH_MAX_CPUS];    /**< each CPU's page cache */
	int caches_on;                                 /**< pmm_pcp_set() */
	int pcp_active;                                /**< caches_on and not poisoning: pmm_update_pcp_active() */
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

/** @brief Page frame number (physical address over the page size) of page @p index. */
static inline uintptr_t pmm_pfn(const struct pmm_segment *seg, size_t index)
{
	return (seg->base >> PMM_PAGE_SHIFT) + index;
}

/** @brief Index of the first page of chunk @p chunk of @p seg. */
static inline size_t pmm_chunk_start(const struct pmm_segment *seg, size_t chunk)
{
	return ((seg->first_chunk + chunk) << PMM_CHUNK_ORDER) - pmm_pfn(seg, 0);
}

/**
 * @brief The segment that manages @p addr, or NULL: a binary search of the
 *        segments by address (every free takes this path).
 */
static inline struct pmm_segment *pmm_segment_of(uintptr_t addr)
{
	unsigned low = 0, high = pmm.nr_segments;

	/* The last segment (by address) whose base is <= addr. */
	while (high - low > 1) {
		unsigned mid = (low + high) / 2;
		if (pmm.by_address[mid]->base <= addr)
			low = mid;
		else
			high = mid;
	}
	struct pmm_segment *seg = pmm.by_address[low]; /* an empty one if none */
	return addr >= seg->base && pmm_index(seg, addr) < seg->pages ? seg : NULL;
}

/**
 * @brief Index of the head of the block that holds page @p index, without
 *        a search: the head is one of the page's aligned-down addresses
 *        (order 0..PMM_MAX_ORDER), or such a page of a long allocation
 *        links to it (see struct pmm_page). At most 9 descriptors read.
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
