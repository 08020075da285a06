/**
 * @file pmm.h
 * @brief The physical page manager: a buddy system over memory segments.
 *
 * Modelled on OpenHarmony LiteOS-A (los_vm_phys.c): every page of managed
 * memory has a descriptor in a page array, memory is split into segments,
 * and each segment keeps free lists for blocks of 2^0 .. 2^8 pages.
 *
 * The policies, fixed so that a student can predict every answer:
 *
 * - **Contiguous** allocation of n <= 256 pages is exact-length. It takes the
 *   block at the head of the smallest non-empty free list of order
 *   >= ceil(log2 n) (lists tried in order, segments in the order they were
 *   added), splits it down to that order (each upper half goes to the *front*
 *   of its list), keeps the first n pages and frees the unused tail. So the
 *   block is aligned to 2^ceil(log2 n) pages on the physical address, and
 *   3 pages cost 3 pages.
 * - **Large** requests (n > 256) take the lowest-addressed run of n free pages
 *   that lies inside one segment, wherever it starts.
 * - **Scattered** allocation of n pages is n single-page allocations, all or
 *   nothing, linked into a caller's ::pmm_set.
 * - **Free** takes the start address; the manager remembers the length. Freed
 *   pages merge with their buddies (found by address arithmetic) and the
 *   resulting block goes to the *front* of its list. Anything that is not the
 *   exact start of a live allocation is refused and changes nothing.
 * - Initially each segment is cut into the largest aligned blocks that fit,
 *   appended in address order, so the head of every list is its lowest block.
 *
 * Addresses are physical, and the manager writes its page array into the
 * first pages of each segment: it relies on the course's memory model where
 * kernel address == physical address. On the host the "physical" memory is
 * an ordinary buffer.
 *
 * This file and os/mm/pmm*.c are plain C with no architecture header: the same
 * sources build into both kernels and into the host test library.
 */
#ifndef PAGODA_PMM_H
#define PAGODA_PMM_H

#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "spinlock.h"

/**
 * @brief The page manager's lock: held by every entry point that changes
 *        its lists or descriptors (pmm_entry.c, pmm_scattered.c,
 *        pmm_poison.c, the page caches' refill and drain) and by
 *        pmm_check(); pmm_buddy.h's functions are called with it held.
 *        Callers take it only to read the manager's state while other CPUs
 *        work (after any lock of theirs: kmalloc's and vm's come first).
 */
extern struct spinlock pmm_lock;

#define PMM_PAGE_SHIFT 12                      /**< log2 of the page size */
#define PMM_PAGE_SIZE ((uintptr_t)1 << PMM_PAGE_SHIFT) /**< 4 KiB */
#define PMM_MAX_ORDER 8                        /**< largest block: 256 pages, 1 MiB */
#define PMM_NR_ORDERS (PMM_MAX_ORDER + 1)      /**< orders 0..8 */
#define PMM_MAX_SEGMENTS 16                    /**< segments the manager can hold */

/** @brief Results of page-manager calls: 0 for success, a negative value otherwise. */
enum pmm_error {
	PMM_OK = 0,
	PMM_ERR_INVALID = -1,       /**< zero pages, or an impossible size */
	PMM_ERR_NO_MEMORY = -2,     /**< no free block / run large enough */
	PMM_ERR_OUTSIDE = -3,       /**< address is not in managed memory */
	PMM_ERR_UNALIGNED = -4,     /**< address is not page aligned */
	PMM_ERR_NOT_ALLOCATED = -5, /**< page is free (double free, or never allocated) */
	PMM_ERR_INTERIOR = -6,      /**< inside an allocation, not its first page */
	PMM_ERR_SCATTERED = -7,     /**< page belongs to a scattered set: free the set */
	PMM_ERR_NOT_SINGLE = -8,    /**< single-page free of a longer allocation */
	PMM_ERR_BAD_SET = -9,       /**< set holds a page that is not a live scattered page */
	PMM_ERR_TOO_MANY = -10,     /**< no room for another segment */
	PMM_ERR_TOO_SMALL = -11,    /**< segment too small to hold its page array and a page */
	PMM_ERR_OVERLAP = -12,      /**< segment overlaps one already added */
	PMM_ERR_HELD = -13,         /**< allocation is held by another holder (see ::pmm_holder) */
	PMM_ERR_INTERRUPTED = -14,  /**< stopped by the progress handler (see progress.h) */
};

/**
 * @brief Who holds an allocation. Only its holder may free it, so that
 *        (for example) a page table cannot be freed from the shell.
 */
enum pmm_holder {
	PMM_HOLDER_ANYONE = 0, /**< ordinary allocations: pmm_free() frees them */
	PMM_HOLDER_PAGE_TABLE, /**< a page-table page of the vm layer */
	PMM_HOLDER_MAPPING,    /**< a page that a demonstration mapping owns */
	PMM_HOLDER_ALLOCATOR,  /**< the pages under an allocator object (memm) */
	PMM_HOLDER_QUARANTINE, /**< a page written after it was freed (poisoning): never reused */
	PMM_HOLDER_CACHE,      /**< a page in a CPU's page cache (pmm_pcp.c): free to that CPU only */
};

/** @brief What a page descriptor says about its page. */
enum pmm_page_state {
	PMM_PAGE_INSIDE = 0,  /**< not the first page of a block: see the block's head */
	PMM_PAGE_FREE,        /**< head of a free block of 2^order pages, on a free list */
	PMM_PAGE_ALLOCATED,   /**< head of a contiguous allocation of count pages */
	PMM_PAGE_SCATTERED,   /**< a single page of a scattered set */
};

/**
 * @brief Descriptor of one physical page (24 bytes on 64-bit machines).
 *
 * Only the first page of a block carries information; every other page is
 * ::PMM_PAGE_INSIDE. The node links a free block into its free list, or a
 * scattered page into its set.
 *
 * Any page leads to its block's head without a search. A block of at most
 * 2^PMM_MAX_ORDER pages starts on a boundary of its size rounded up to a
 * power of two, so its head is the page's address rounded down to one of
 * the orders 0..PMM_MAX_ORDER. An allocation of more pages is cut, as a
 * free would cut it, into the largest aligned blocks (of order at most
 * PMM_MAX_ORDER) that fit, lowest first; invariant: the first page of each
 * of these pieces but the head is INSIDE with count holding its distance
 * in pages from the head. Other INSIDE pages' count means nothing.
 */
struct pmm_page {
	struct list_node node; /**< free-list or scattered-set link */
	uint32_t count;        /**< allocated heads: pages in the allocation; pieces of a
				    long allocation: distance to its head */
	uint8_t state;         /**< an enum ::pmm_page_state */
	uint8_t order;         /**< block order (free heads) */
	uint8_t holder;        /**< allocated heads: an enum ::pmm_holder */
	uint8_t poisoned;      /**< free heads: 1 if every page of the block holds PMM_POISON_BYTE */
};

#define PMM_POISON_BYTE 0x6b /**< what poisoning fills freed pages with (as Linux's POISON_FREE) */

/** @brief A use after free that poisoning caught: a freed page written to. */
struct pmm_poison_report {
	uintptr_t page;   /**< the page, now quarantined */
	size_t offset;    /**< its first byte that is not PMM_POISON_BYTE */
};

/** @brief A scattered allocation: single pages linked through their descriptors. */
struct pmm_set {
	struct list_node pages; /**< list of struct pmm_page, in allocation order */
	size_t count;           /**< number of pages in the set */
};

/** @brief A block as seen by pmm_walk() and pmm_find_block(). */
struct pmm_block {
	uintptr_t addr;    /**< physical address of the first page */
	size_t pages;      /**< length in pages */
	unsigned state;    /**< PMM_PAGE_FREE, PMM_PAGE_ALLOCATED or PMM_PAGE_SCATTERED */
	unsigned order;    /**< order of a free block */
	unsigned segment;  /**< index of the segment holding it */
	unsigned holder;   /**< allocations: an enum ::pmm_holder */
};

/** @brief A summary of one segment, for meminfo and buddy. */
struct pmm_segment_info {
	uintptr_t start;                   /**< first managed page */
	uintptr_t end;                     /**< one past the last managed byte */
	uintptr_t array_start;             /**< where the page array lives */
	size_t array_pages;                /**< pages taken by the page array */
	size_t pages;                      /**< managed pages */
	size_t free_pages;                 /**< of which free */
	size_t free_blocks[PMM_NR_ORDERS]; /**< free blocks per order */
};

/** @brief A node of the buddy block tree, as pmm_tree_walk() shows it. */
struct pmm_tree_node {
	int id;           /**< unique within one walk, from 0 */
	int parent;       /**< id of the parent, or -1 for a root */
	unsigned state;   /**< 0 (PMM_PAGE_INSIDE) for a split block, or the
			       leaf's PMM_PAGE_FREE / _ALLOCATED / _SCATTERED */
	unsigned order;   /**< the node covers 2^order pages */
	uintptr_t addr;   /**< from addr */
	struct pmm_block block; /**< leaf: the free block or allocation it is part of */
};

/** @brief Kinds of broken invariant found by pmm_check(). */
enum pmm_violation_kind {
	PMM_BAD_STATE = 1,      /**< descriptor state is not a known value */
	PMM_BAD_TILING,         /**< blocks do not tile the segment exactly */
	PMM_BAD_INTERIOR,       /**< a page inside a block is marked as a head */
	PMM_MISALIGNED_FREE,    /**< free block not aligned to its size */
	PMM_BAD_ORDER,          /**< free block of an order above PMM_MAX_ORDER */
	PMM_UNMERGED_BUDDIES,   /**< a free block whose buddy is free too */
	PMM_LIST_MISMATCH,      /**< list member not a free head of that order */
	PMM_LIST_COUNT,         /**< list length differs from the recorded count */
	PMM_NOT_LISTED,         /**< free heads of an order not all in its list */
	PMM_FREE_COUNT,         /**< recorded free pages differ from the blocks */
	PMM_BAD_COUNT,          /**< allocation of zero pages or past the segment */
	PMM_BAD_INDEX,          /**< free-chunk index disagrees with the free blocks */
	PMM_BAD_LINK,           /**< piece of a long allocation does not link to its head */
};

/** @brief One broken invariant, reported by pmm_check(). */
struct pmm_violation {
	enum pmm_violation_kind kind; /**< what is wrong */
	unsigned segment;             /**< in which segment */
	uintptr_t addr;               /**< where (a page or block address) */
	size_t expected;              /**< the value the invariant asks for */
	size_t actual;                /**< the value found */
};

/** @brief Forget every segment: the manager is empty afterwards. */
void pmm_init(void);

/**
 * @brief Hand the memory [start, end) to the manager as a new segment.
 *
 * The range is trimmed to whole pages; its first pages hold the segment's page
 * array and the rest is cut into free blocks.
 * @return the new segment's index (>= 0), or a negative ::pmm_error.
 */
int pmm_add_segment(uintptr_t start, uintptr_t end);

/**
 * @brief Allocate @p pages physically contiguous pages.
 * @param pages how many pages, at least 1
 * @param addr receives the address of the first page
 * @return PMM_OK, PMM_ERR_INVALID or PMM_ERR_NO_MEMORY (nothing changes then)
 */
int pmm_alloc_contiguous(size_t pages, uintptr_t *addr);

/** @brief Allocate one page; the same as pmm_alloc_contiguous(1, addr). */
int pmm_alloc_page(uintptr_t *addr);

/**
 * @brief Allocate @p pages single pages, not necessarily adjacent, all or nothing.
 * @param pages how many pages, at least 1
 * @param set receives the pages; its previous contents are overwritten
 * @return PMM_OK, PMM_ERR_INVALID, PMM_ERR_NO_MEMORY or PMM_ERR_INTERRUPTED
 *         (by the progress handler); nothing changes then
 */
int pmm_alloc_scattered(size_t pages, struct pmm_set *set);

/**
 * @brief Free the contiguous allocation that starts at @p addr.
 * @param addr the address the allocation returned
 * @param pages if not NULL, receives its length in pages
 * @return PMM_OK or a negative ::pmm_error; on error nothing changes
 */
int pmm_free(uintptr_t addr, size_t *pages);

/**
 * @brief Hand the allocation that starts at @p addr to @p holder: from then
 *        on only pmm_free_held() with that holder frees it.
 * @return PMM_OK, or the error pmm_free() would give for @p addr
 */
int pmm_set_holder(uintptr_t addr, enum pmm_holder holder);

/** @brief pmm_free() for an allocation that @p holder holds. */
int pmm_free_held(uintptr_t addr, enum pmm_holder holder, size_t *pages);

/** @brief Free a one-page allocation; PMM_ERR_NOT_SINGLE for a longer one. */
int pmm_free_page(uintptr_t addr);

/**
 * @brief Free every page of a scattered set and leave the set empty.
 * @param set the set pmm_alloc_scattered() filled
 * @param pages if not NULL, receives how many pages were freed
 * @return PMM_OK; PMM_ERR_BAD_SET (then nothing changes); or
 *         PMM_ERR_INTERRUPTED by the progress handler: the first *@p pages
 *         pages were freed, the rest are still in the set
 */
int pmm_free_scattered(struct pmm_set *set, size_t *pages);

/** @brief Address of the page whose set link is @p node (see ::pmm_set). */
uintptr_t pmm_set_address(const struct list_node *node);

/** @brief Number of segments. */
unsigned pmm_segment_count(void);

/** @brief Fill @p info for segment @p segment; PMM_ERR_INVALID if none. */
int pmm_segment_info(unsigned segment, struct pmm_segment_info *info);

/** @brief Managed pages in all segments. */
size_t pmm_total_pages(void);

/** @brief How many pages are free, in all segments (it frees nothing). */
size_t pmm_free_page_count(void);

/**
 * @brief Step through the blocks of a segment in address order.
 *
 * Start with *cursor = 0; each call fills @p block and advances the cursor.
 * @return 1 while a block was found, 0 at the end of the segment.
 */
int pmm_walk(unsigned segment, size_t *cursor, struct pmm_block *block);

/**
 * @brief Find the free block or allocation that contains @p addr.
 * @return PMM_OK or PMM_ERR_OUTSIDE
 */
int pmm_find_block(uintptr_t addr, struct pmm_block *block);

/**
 * @brief The longest run of free pages inside one segment (adjacent free
 *        blocks together), to explain why a large request failed. It walks
 *        every block: for error paths and the shell, not allocations.
 */
size_t pmm_longest_free_run(void);

/**
 * @brief Describe the allocation that starts exactly at @p addr, without a
 *        search (checkers use it for every page-table page).
 * @return PMM_OK; PMM_ERR_OUTSIDE, _UNALIGNED, _SCATTERED, or
 *         PMM_ERR_NOT_ALLOCATED when no allocation starts at @p addr
 */
int pmm_allocation_at(uintptr_t addr, struct pmm_block *block);

/**
 * @brief Call @p fn for each free block of @p order in @p segment, in list
 *        order (the head, which is allocated next, first).
 */
void pmm_for_each_free(unsigned segment, unsigned order,
		       void (*fn)(uintptr_t addr, void *ctx), void *ctx);

/**
 * @brief Visit the buddy block tree of a segment, parents before children,
 *        in address order.
 *
 * The roots are the largest aligned blocks that tile the segment. A node is
 * a leaf when it is exactly a free block, or lies wholly inside one
 * allocation; otherwise it is split into its two halves.
 */
void pmm_tree_walk(unsigned segment, void (*fn)(const struct pmm_tree_node *node, void *ctx),
		   void *ctx);

/**
 * @brief Verify every invariant of the manager.
 *
 * Every free block is aligned to its size, within its segment, of a valid
 * order, and in exactly the list of its order; list lengths match their
 * counts; blocks tile each segment with no overlap; no two free buddies are
 * left unmerged; the free-page counts match the blocks; the free-chunk
 * index marks exactly the free 128-page chunks; every piece of a long
 * allocation links to its head (see ::pmm_page).
 * It reports progress (progress.h); if the handler says stop, it stops
 * there, having checked only part of memory.
 * @param report called for each violation (may be NULL)
 * @param ctx passed to @p report
 * @return the number of violations (0 when all is well)
 */
size_t pmm_check(void (*report)(const struct pmm_violation *v, void *ctx), void *ctx);

/**
 * @brief Switch page poisoning on or off (a debugging aid; off at start).
 *
 * While on, every freed page is filled with PMM_POISON_BYTE. A block whose
 * pages were all filled is marked poisoned, and before it is handed out
 * again every byte is checked: a page that was written after it was freed
 * is quarantined (holder PMM_HOLDER_QUARANTINE, never handed out again) and
 * reported through pmm_poison_take_report(); the allocation then goes on
 * with other pages, by the same policy.
 *
 * Switching on fills every free page at once (it reports progress), so
 * that every free block is poisoned from then on; switching off forgets
 * the marks, so nothing is checked while it is off.
 * @return PMM_OK, or PMM_ERR_INTERRUPTED (poisoning stays off; the pages
 *         filled so far stay poisoned, which is harmless)
 */
int pmm_set_poison(int on);

/** @brief Pages put in quarantine since boot (they are never freed). */
size_t pmm_poison_quarantined(void);

/** @brief 1 if freed pages are being poisoned. */
int pmm_poison_enabled(void);

/*
 * Per-CPU page caches (pmm_pcp.c), as Linux's per-CPU page lists: each CPU
 * keeps a few single pages of its own in front of the buddy lists. With the
 * caches on, a single page is allocated from, and freed to, the running
 * CPU's cache without taking pmm_lock; an empty cache takes PMM_PCP_BATCH
 * pages from the buddy lists in one locked call (a refill), and a cache
 * above PMM_PCP_HIGH gives PMM_PCP_BATCH back (a drain). A cached page is
 * an allocation of one page held by PMM_HOLDER_CACHE: not free to anyone
 * else, and not in the free counts. Off by default, so that single-page
 * allocations take the documented buddy policy. Poisoning bypasses them.
 */

#define PMM_PCP_BATCH 16 /**< pages a refill takes, and a drain gives back */
#define PMM_PCP_HIGH 64  /**< a cache holding more drains */

/** @brief One CPU's page cache, as pmm_pcp_info() reports it. */
struct pmm_pcp_info {
	size_t pages;     /**< pages in it now */
	uint64_t hits;    /**< single-page allocations it served at once */
	uint64_t misses;  /**< those it had to refill for first */
	uint64_t refills; /**< batches taken from the buddy lists */
	uint64_t drains;  /**< batches given back to them */
};

/**
 * @brief Turn the page caches on or off. Off gives every cached page back
 *        to the buddy lists. Call it only while no other CPU is in the
 *        page manager (the shell's other CPUs are parked).
 */
void pmm_pcp_set(int on);

/** @brief 1 if the page caches are on. */
int pmm_pcp_enabled(void);

/** @brief CPU @p cpu's cache (all zeros for a CPU that never had one). */
void pmm_pcp_info(unsigned cpu, struct pmm_pcp_info *info);

/** @brief The address of page @p i (0: the next to be handed out) of CPU @p cpu's cache, or 0. */
uintptr_t pmm_pcp_page(unsigned cpu, size_t i);

/** @brief Pages in every CPU's cache. */
size_t pmm_cached_page_count(void);

/**
 * @brief Verify the caches: each cached page is a one-page allocation held
 *        by PMM_HOLDER_CACHE and in one cache only, and every such page is
 *        in a cache. With pmm_check(): every page is in exactly one place.
 *        Only while no other CPU is using its cache.
 * @return the number of problems found (0: all is well)
 */
size_t pmm_pcp_check(void);

/**
 * @brief Take the oldest use after free found and not yet reported.
 *
 * Only the first few since the last take are kept; the pages quarantined
 * past those are counted by pmm_poison_take_unlisted().
 * @return 1 if @p report was filled, 0 if there is none
 */
int pmm_poison_take_report(struct pmm_poison_report *report);

/**
 * @brief Take the count of pages quarantined whose reports did not fit
 *        (the count starts again at 0).
 */
size_t pmm_poison_take_unlisted(void);

/** @brief "page table", "mapping", "allocator object", or "anyone" (::pmm_holder). */
const char *pmm_holder_name(unsigned holder);

/** @brief A short English description of a ::pmm_error. */
const char *pmm_strerror(int error);

/** @brief A short English description of a ::pmm_violation_kind. */
const char *pmm_violation_text(enum pmm_violation_kind kind);

/** @brief The order of the smallest block holding @p pages pages (ceil log2). */
unsigned pmm_order_of(size_t pages);

/* ---- Fragmentation (pmm_fragmentation.c) ---- */

#define PMM_ALL_SEGMENTS (~0u) /**< pmm_unusable_index(): every segment together */
#define PMM_INDEX_ONE 1000u    /**< fixed point of pmm_unusable_index(): 1000 means 1.000 */

/**
 * @brief Mel Gorman's unusable free space index: the share of free memory
 *        that cannot serve a request of @p order, in thousandths.
 *
 * (free - sum over j >= order of free_blocks[j] * 2^j) * 1000 / free, rounded
 * down: 0 when every free page lies in a block of @p order or more, 1000 when
 * none does. With no free memory at all it is 1000 (nothing can be served).
 * @param segment a segment index, or PMM_ALL_SEGMENTS
 * @param order 0 .. PMM_MAX_ORDER (above it nothing fits: 1000)
 */
unsigned pmm_unusable_index(unsigned segment, unsigned order);

/**
 * @brief The longest run of free pages in @p segment (adjacent free blocks
 *        of any orders together): the largest request above
 *        2^PMM_MAX_ORDER pages that this segment can serve. It walks every
 *        block; 0 for a segment that does not exist.
 */
size_t pmm_segment_longest_free_run(unsigned segment);

#endif
