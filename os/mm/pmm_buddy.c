/**
 * @file pmm_buddy.c
 * @brief The buddy system: split on allocation, merge on free.
 *
 * How it works
 * ------------
 * Memory is handed out in *blocks*. A block of order k is 2^k pages that
 * start on a 2^k-page boundary of the physical address (order 0: one page;
 * order PMM_MAX_ORDER: 256 pages, 1 MiB). Cut an order-(k+1) block in half
 * and you get two order-k blocks, each the *buddy* of the other. Because
 * both halves are aligned to their size, the two addresses differ in
 * exactly one bit, the one worth 2^k pages:
 *
 *     buddy address = addr XOR (PAGE_SIZE << k)
 *
 * or, in page frame numbers (pfn = address / PAGE_SIZE, what the code
 * uses), buddy_of(pfn, k) = pfn XOR 2^k: one instruction and no search.
 *
 * To allocate n pages, round n up to a power of two, 2^k (order_of), and
 * take the first free block of the smallest order >= k that has one. If it
 * is too big, split it: keep the lower half and put the upper half on the
 * free list of the order below, until the kept half is of order k. Pagoda
 * then gives the unused tail of the block (the pages past n) straight back,
 * so 3 pages cost 3 pages, not 4.
 *
 * To free a block, look at its buddy. If the buddy is a whole free block of
 * the same order, take it off its list and merge: the two make one block
 * of the next order, at the lower of the two addresses. Try again with
 * that block's buddy, one order up, and stop when the buddy is in use, is
 * split into smaller pieces, lies outside the segment, or the block is
 * already of PMM_MAX_ORDER. Then put the result at the front of its list.
 *
 * A request for more than 2^PMM_MAX_ORDER pages is too big for any block:
 * it takes the lowest run of adjacent free blocks long enough (take_run).
 * Such a run always holds a whole free *chunk* (128 aligned pages, half a
 * largest block), and each segment keeps a bitmap of its free chunks, so
 * find_run searches that bitmap a word at a time and reads descriptors
 * only at the two ends of each stretch of free chunks. A run taken leaves
 * on each of its pieces (the aligned blocks pmm_free_range would cut it
 * into) a link back to its first page, so that from any page the head of
 * its block is found without a search (pmm_head_of).
 *
 * The invariants
 * --------------
 * In every segment (struct pmm_segment), at every moment between calls:
 *
 * 1. The managed pages are tiled exactly by blocks: free blocks and
 *    allocations. Only a block's first page (its *head*) describes it:
 *    PMM_PAGE_FREE with its order, or PMM_PAGE_ALLOCATED /
 *    PMM_PAGE_SCATTERED with its length in pages; every other page of a
 *    block is PMM_PAGE_INSIDE.
 * 2. A free block of order k starts on a 2^k-page boundary and its head
 *    is on free_list[k], and on no other list.
 * 3. No free block has a free buddy of the same order: the two would have
 *    been merged.
 * 4. free_blocks[k] is the length of free_list[k]; free_pages is the sum
 *    of the free blocks' sizes.
 * 5. The free-chunk index agrees with the free blocks (struct pmm_segment
 *    states it), and every piece of an allocation longer than
 *    2^PMM_MAX_ORDER pages links to its head (struct pmm_page states it).
 *
 * pmm_check() (pmm_check.c) verifies every one of them.
 *
 * Page poisoning (pmm_poison.c) rides along: a free block remembers
 * whether all its pages hold the poison pattern, and a poisoned block is
 * verified before it is handed out.
 */
#include "kassert.h"
#include "lab.h"
#include "pmm_buddy.h"
#include "pmm_poison.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long)) /* bits in an unsigned long */
#define MAX_BLOCK_PAGES ((size_t)1 << PMM_MAX_ORDER) /* pages in the largest block */
/* Taking and merging blocks are inlined into every allocation and free,
 * even where the compiler would rather not: a call's saving and restoring
 * of registers is a large part of the cost of a one-page allocation. Not
 * in unoptimised (-O0) builds, so that a debugger can stop in them. */
#ifdef __OPTIMIZE__
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* ---- Orders and buddies ---- */

/* The smallest k with 2^k >= pages: the number of bits needed to write
 * pages - 1. __builtin_clzl counts the leading zero bits (it is undefined
 * for 0, hence the test). */
unsigned pmm_order_of(size_t pages)
{
	/* LAB buddy BEGIN */
	if (pages <= 1)
		return 0;
	return (unsigned)(BITS_PER_LONG - (unsigned)__builtin_clzl((unsigned long)(pages - 1)));
	/* LAB buddy STUB pmm_order_of
	(void)pages;
	LAB_TODO("buddy", "pmm_order_of");
	*/
	/* LAB buddy END */
}

/** The other half of the order-(order+1) block that holds the block at
 * page frame number @p pfn. */
static uintptr_t buddy_of(uintptr_t pfn, unsigned order)
{
	/* LAB buddy BEGIN */
	return pfn ^ ((uintptr_t)1 << order);
	/* LAB buddy STUB buddy_of
	(void)pfn;
	(void)order;
	LAB_TODO("buddy", "buddy_of");
	*/
	/* LAB buddy END */
}

/* The largest k with 2^k <= pages (pages >= 1). */
static unsigned floor_log2(size_t pages)
{
	return (unsigned)(BITS_PER_LONG - 1 - (unsigned)__builtin_clzl((unsigned long)pages));
}

/* Limited by the alignment (the trailing zero bits of the page frame
 * number, counted by __builtin_ctzl) and by the room left. */
unsigned pmm_fit_order(const struct pmm_segment *seg, size_t index, size_t last)
{
	uintptr_t pfn = pmm_pfn(seg, index);
	unsigned order = floor_log2(last - index);
	if (order > PMM_MAX_ORDER)
		order = PMM_MAX_ORDER;
	if (pfn != 0 && (unsigned)__builtin_ctzl((unsigned long)pfn) < order)
		order = (unsigned)__builtin_ctzl((unsigned long)pfn);
	return order;
}

/* ---- The free-chunk index ---- */

/* Set (@free) or clear the bits of the chunks of the free block of @order
 * (7 or 8) at @index: one chunk, or two, without a loop. Chunks count from
 * first_chunk, which may be odd, so two can straddle two words. */
static inline void mark_chunks(struct pmm_segment *seg, size_t index, unsigned order, int free)
{
	size_t first = (pmm_pfn(seg, index) >> PMM_CHUNK_ORDER) - seg->first_chunk;
	uint64_t *word = &seg->free_chunks[first / 64];
	uint64_t both = order == PMM_CHUNK_ORDER ? 1 : 3;
	uint64_t low = both << (first % 64), high = first % 64 == 63 ? both >> 1 : 0;

	*word = free ? *word | low : *word & ~low;
	if (high)
		word[1] = free ? word[1] | high : word[1] & ~high;
}

/* The same for every chunk lying wholly in pages [first, end), a word of
 * the bitmap at a time: the blocks of a run at once. */
static void mark_chunk_range(struct pmm_segment *seg, size_t first, size_t end, int free)
{
	size_t from = (pmm_pfn(seg, first) + PMM_CHUNK_PAGES - 1) >> PMM_CHUNK_ORDER;
	size_t to = pmm_pfn(seg, end) >> PMM_CHUNK_ORDER;

	to = to > from ? to - seg->first_chunk : 0; /* none whole: to may be below chunk 0 */
	for (from -= seg->first_chunk; from < to;) {
		size_t bit = from % 64, n = to - from < 64 - bit ? to - from : 64 - bit;
		uint64_t mask = (n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1) << bit;
		uint64_t *word = &seg->free_chunks[from / 64];
		*word = free ? *word | mask : *word & ~mask;
		from += n;
	}
}

/* ---- The free lists ---- */

/* add_free_block() but for the free-chunk index, which the caller marks:
 * for a run of blocks, once. */
static inline void list_free_block(struct pmm_segment *seg, size_t index, unsigned order,
				   int at_back, int poisoned)
{
	struct pmm_page *page = &seg->page_array[index];
	page->state = PMM_PAGE_FREE;
	page->order = (uint8_t)order;
	page->poisoned = (uint8_t)poisoned;
	if (at_back)
		list_push_back(&seg->free_list[order], &page->node);
	else
		list_push_front(&seg->free_list[order], &page->node);
	seg->free_blocks[order]++;
	seg->free_pages += (size_t)1 << order;
}

/* Make page @index the head of a free block of @order and list it: at the
 * front (the next to be taken), or with @at_back at the end. */
static inline void add_free_block(struct pmm_segment *seg, size_t index, unsigned order,
				  int at_back, int poisoned)
{
	list_free_block(seg, index, order, at_back, poisoned);
	if (order >= PMM_CHUNK_ORDER)
		mark_chunks(seg, index, order, 1);
}

/* remove_free_block() but for the free-chunk index, which the caller
 * clears: for a run of blocks, once. */
static inline void unlist_free_block(struct pmm_segment *seg, size_t index, unsigned order)
{
	struct pmm_page *page = &seg->page_array[index];
	/* Unlinked but not reset (as list_remove() would): nothing reads the
	 * link of a page off the lists, and this is every allocation's path. */
	page->node.prev->next = page->node.next;
	page->node.next->prev = page->node.prev;
	seg->free_blocks[order]--;
	seg->free_pages -= (size_t)1 << order;
	page->state = PMM_PAGE_INSIDE;
}

/* Take the free block of @order whose head is page @index off its list;
 * its pages are all INSIDE afterwards, and the caller's. */
static inline void remove_free_block(struct pmm_segment *seg, size_t index, unsigned order)
{
	unlist_free_block(seg, index, order);
	if (order >= PMM_CHUNK_ORDER)
		mark_chunks(seg, index, order, 0);
}

/* ---- Split and merge ---- */

/** Split the block of order @p have at @p index (off the lists) down to
 * @p order: each time in two buddies, the lower half staying the caller's
 * and the upper half going to the front of its free list. Halves of a
 * poisoned block are poisoned. */
static void split(struct pmm_segment *seg, size_t index, unsigned have, unsigned order,
		  int poisoned)
{
	/* LAB buddy BEGIN */
	for (; have > order; have--)
		add_free_block(seg, index + ((size_t)1 << (have - 1)), have - 1, 0, poisoned);
	/* LAB buddy STUB split
	(void)seg;
	(void)index;
	(void)have;
	(void)order;
	(void)poisoned;
	LAB_TODO("buddy", "split");
	*/
	/* LAB buddy END */
}

/** Free the block of @p order at @p index, merging it with its buddy for as long
 * as the buddy is a free block of the same order. A merged block is
 * poisoned only if both halves were. */
static ALWAYS_INLINE void merge(struct pmm_segment *seg, size_t index, unsigned order, int poisoned)
{
	/* LAB buddy BEGIN */
	while (order < PMM_MAX_ORDER) {
		size_t size = (size_t)1 << order;
		/* An index below the segment wraps round to a huge one. */
		size_t buddy = buddy_of(pmm_pfn(seg, index), order) - pmm_pfn(seg, 0);
		if (buddy >= seg->pages || seg->pages - buddy < size)
			break;
		struct pmm_page *page = &seg->page_array[buddy];
		if (page->state != PMM_PAGE_FREE || page->order != order)
			break;
		poisoned = poisoned && page->poisoned;
		remove_free_block(seg, buddy, order);
		if (buddy < index)
			index = buddy;
		order++;
	}
	add_free_block(seg, index, order, 0, poisoned);
	/* LAB buddy STUB merge
	(void)seg;
	(void)index;
	(void)order;
	(void)poisoned;
	(void)buddy_of;
	LAB_TODO("buddy", "merge");
	*/
	/* LAB buddy END */
}

/* Blocks of the largest order from page @first (aligned so) while they fit
 * below @last, to the front of their list as merge() would put them (they
 * have no buddy), their chunks marked at once. @return the page after. */
static size_t free_largest_blocks(struct pmm_segment *seg, size_t first, size_t last,
				  int poisoned)
{
	size_t index = first;
	for (; last - index >= MAX_BLOCK_PAGES; index += MAX_BLOCK_PAGES)
		list_free_block(seg, index, PMM_MAX_ORDER, 0, poisoned);
	mark_chunk_range(seg, first, index, 1);
	return index;
}

/* Pages [first, last) need not be one block: free them as the largest aligned
 * blocks that fit, lowest first, each merging on its own (up to the largest). */
static void free_pages(struct pmm_segment *seg, size_t first, size_t last)
{
	int poisoned = pmm_poison_fill(seg, first, last);
	while (first < last) {
		unsigned order = pmm_fit_order(seg, first, last);
		if (order == PMM_MAX_ORDER) {
			first = free_largest_blocks(seg, first, last, poisoned);
			continue;
		}
		merge(seg, first, order, poisoned);
		first += (size_t)1 << order;
	}
}

void pmm_free_range(struct pmm_segment *seg, size_t first, size_t last)
{
	free_pages(seg, first, last);
}

/* Pages [first, last) were just taken off the lists from a poisoned block.
 * Quarantine each one written since it was freed and give the others back.
 * 1 if any was written (nothing is left for the caller then). */
static int quarantine_written(struct pmm_segment *seg, size_t first, size_t last)
{
	int bad = 0;
	size_t good_from = first;

	for (size_t index = first; index < last; index++) {
		if (!pmm_poison_quarantine(seg, index))
			continue;
		pmm_free_range(seg, good_from, index);
		good_from = index + 1;
		bad = 1;
	}
	if (bad)
		pmm_free_range(seg, good_from, last);
	return bad;
}

/* ---- Taking blocks ---- */

/* The lowest non-empty free list of order >= @order (lists tried in
 * order, segments in the order added): its segment and order, or NULL. */
static inline struct pmm_segment *lowest_list(unsigned order, unsigned *havep)
{
	struct pmm_segment *end = pmm.segments + pmm.nr_segments;
	for (unsigned have = order; have < PMM_NR_ORDERS; have++) {
		for (struct pmm_segment *seg = pmm.segments; seg < end; seg++) {
			if (!list_empty(&seg->free_list[have])) {
				*havep = have;
				return seg;
			}
		}
	}
	return NULL;
}

/* pmm_take_block() in general: the block found may be larger than asked
 * (split it) or poisoned (check it first, quarantining its written pages).
 * Out of line, so that the common case, a block of the very order asked
 * for, stays short. */
static int take_block_general(unsigned order, struct pmm_segment **segp, size_t *indexp)
{
	for (;;) {
		unsigned have;
		struct pmm_segment *seg = lowest_list(order, &have);
		if (seg == NULL)
			return PMM_ERR_NO_MEMORY;
		struct pmm_page *head = list_entry(seg->free_list[have].next, struct pmm_page, node);
		size_t index = (size_t)(head - seg->page_array);
		int poisoned = head->poisoned;
		remove_free_block(seg, index, have);
		/* Written after it was freed: its good pages went back, the
		 * others to quarantine; look again from the start. */
		if (poisoned && quarantine_written(seg, index, index + ((size_t)1 << have)))
			continue;
		split(seg, index, have, order, poisoned);
		*segp = seg;
		*indexp = index;
		return PMM_OK;
	}
}

ALWAYS_INLINE int pmm_take_block(unsigned order, struct pmm_segment **segp, size_t *indexp)
{
	unsigned have;
	struct pmm_segment *seg = lowest_list(order, &have);
	if (seg == NULL)
		return PMM_ERR_NO_MEMORY;
	struct pmm_page *head = list_entry(seg->free_list[have].next, struct pmm_page, node);
	if (have > order || head->poisoned)
		return take_block_general(order, segp, indexp);
	size_t index = (size_t)(head - seg->page_array);
	remove_free_block(seg, index, have);
	*segp = seg;
	*indexp = index;
	return PMM_OK;
}

/* The first bit at or after @from in @map that is @value (0 or 1), or
 * @limit if none is before it: a word at a time, __builtin_ctzll counting
 * the zero bits below the lowest set one. Bits from @limit on are clear. */
static size_t next_bit(const uint64_t *map, size_t from, size_t limit, int value)
{
	while (from < limit) {
		uint64_t word = value ? map[from / 64] : ~map[from / 64];
		word &= ~(uint64_t)0 << (from % 64);
		if (word != 0) {
			size_t bit = from / 64 * 64 + (size_t)__builtin_ctzll(word);
			return bit < limit ? bit : limit;
		}
		from = (from / 64 + 1) * 64;
	}
	return limit;
}

/* Free pages just before page @index, a chunk boundary. They are free
 * blocks of orders below 7, each smaller than the one after it (two of
 * the same order would be buddies), so one look per order finds them. */
static size_t free_before(const struct pmm_segment *seg, size_t index)
{
	size_t pages = 0;
	for (unsigned order = PMM_CHUNK_ORDER; order-- > 0;) {
		size_t len = (size_t)1 << order;
		if (len > index)
			continue;
		const struct pmm_page *page = &seg->page_array[index - len];
		if (page->state == PMM_PAGE_FREE && page->order == order) {
			index -= len;
			pages += len;
		}
	}
	return pages;
}

/* Free pages from page @index, a chunk boundary, on: again free blocks of
 * orders below 7, each smaller than the one before. */
static size_t free_after(const struct pmm_segment *seg, size_t index)
{
	size_t pages = 0;
	while (index < seg->pages && seg->page_array[index].state == PMM_PAGE_FREE) {
		size_t len = (size_t)1 << seg->page_array[index].order;
		index += len;
		pages += len;
	}
	return pages;
}

/** The lowest run of @p pages (> 256) free pages inside @p seg. Such a run
 * holds a whole free chunk, so it is a stretch of free chunks (found in
 * the free-chunk index) with the free pages just before and after it.
 * 1 if found (its first page in *@p startp). */
static int find_run(const struct pmm_segment *seg, size_t pages, size_t *startp)
{
	/* LAB buddy BEGIN */
	size_t chunk = 0;
	for (;;) {
		chunk = next_bit(seg->free_chunks, chunk, seg->nr_chunks, 1);
		if (chunk == seg->nr_chunks)
			return 0;
		size_t end = next_bit(seg->free_chunks, chunk, seg->nr_chunks, 0);
		/* Fewer than 128 free pages lie on either side (or the chunk
		 * there would be free): skip stretches too short anyway. */
		if ((end - chunk) * PMM_CHUNK_PAGES + 2 * (PMM_CHUNK_PAGES - 1) >= pages) {
			size_t first = pmm_chunk_start(seg, chunk);
			size_t last = pmm_chunk_start(seg, end);
			first -= free_before(seg, first);
			last += free_after(seg, last);
			if (last - first >= pages) {
				*startp = first;
				return 1;
			}
		}
		chunk = end;
	}
	/* LAB buddy STUB find_run
	(void)seg;
	(void)pages;
	(void)startp;
	(void)next_bit;
	(void)free_before;
	(void)free_after;
	LAB_TODO("buddy", "find_run");
	*/
	/* LAB buddy END */
}

/* Link the pieces of an allocation at @head from page @from (a piece's
 * first page) to page @last to the head: the aligned blocks
 * pmm_free_range would cut it into, for pmm_head_of(). */
static void link_pieces(struct pmm_segment *seg, size_t head, size_t from, size_t last)
{
	for (size_t index = from; index < last;
	     index += (size_t)1 << pmm_fit_order(seg, index, last))
		seg->page_array[index].count = (uint32_t)(index - head);
}

/* Take the lowest run of @pages free pages inside one segment. Kept out
 * of line (noinline) so that its large frame does not slow down every
 * small allocation. */
static __attribute__((noinline)) int take_run(size_t pages, struct pmm_segment **segp, size_t *indexp)
{
	for (unsigned i = 0; i < pmm.nr_segments; i++) {
		struct pmm_segment *seg = &pmm.segments[i];
		size_t run_start;
		if (seg->free_pages < pages || !find_run(seg, pages, &run_start))
			continue;
		/* A poisoned block of the run written after it was freed:
		 * quarantine what was written and look again. (With poisoning
		 * off, no block is marked poisoned.) */
		size_t index = run_start, last = run_start + pages;
		while (pmm_poisoning && index < last) {
			size_t len = pmm_block_pages(&seg->page_array[index]);
			if (seg->page_array[index].poisoned &&
			    !pmm_poison_intact(seg, index, index + len)) {
				remove_free_block(seg, index, seg->page_array[index].order);
				KASSERT(quarantine_written(seg, index, index + len));
				return take_run(pages, segp, indexp);
			}
			index += len;
		}
		/* Unlist every free block of the run. One wholly inside it is
		 * one of its pieces (a free aligned block is as large as it
		 * can be: invariant 3), so it links to the head at once; the
		 * last block, if it reaches past the run, is cut: its pieces
		 * in the run are linked and its unused tail goes back. */
		size_t end = run_start;
		for (index = run_start; index < last; index = end) {
			unsigned order = seg->page_array[index].order;
			end = index + ((size_t)1 << order);
			unlist_free_block(seg, index, order);
			if (end <= last)
				seg->page_array[index].count = (uint32_t)(index - run_start);
			else
				link_pieces(seg, run_start, index, last);
		}
		/* Each whole chunk of the blocks taken was free (in a block of
		 * order 7 or 8): clear them at once, before the tail goes back. */
		mark_chunk_range(seg, run_start, end, 0);
		if (end > last)
			pmm_free_range(seg, last, end);
		*segp = seg;
		*indexp = run_start;
		return PMM_OK;
	}
	return PMM_ERR_NO_MEMORY;
}

/* ---- Entry points: adding memory, allocating, freeing ---- */

int pmm_add_segment(uintptr_t start, uintptr_t end)
{
	struct pmm_segment *seg;
	int err = pmm_segment_create(start, end, &seg);
	if (err < 0)
		return err;
	/* Cut it into the largest aligned blocks, appended in address order,
	 * so the head of every list is its lowest block. */
	for (size_t index = 0; index < seg->pages;) {
		unsigned order = pmm_fit_order(seg, index, seg->pages);
		add_free_block(seg, index, order, 1, 0);
		index += (size_t)1 << order;
	}
	return err;
}

/* Page @index of @seg becomes the head of an allocation of @pages pages. */
static inline void make_head(struct pmm_segment *seg, size_t index, size_t pages, uintptr_t *addr)
{
	seg->page_array[index].state = PMM_PAGE_ALLOCATED;
	seg->page_array[index].count = (uint32_t)pages;
	seg->page_array[index].holder = PMM_HOLDER_ANYONE;
	*addr = pmm_addr(seg, index);
}

/* An allocation of more than 2^PMM_MAX_ORDER pages, or of none (out of
 * line: the small ones are the hot path). */
static int alloc_run(size_t pages, uintptr_t *addr)
{
	struct pmm_segment *seg;
	size_t index;

	/* The head's count field is 32 bits wide. */
	if (pages == 0 || pages > UINT32_MAX)
		return PMM_ERR_INVALID;
	int err = take_run(pages, &seg, &index);
	if (err == PMM_OK)
		make_head(seg, index, pages, addr);
	return err;
}
/** @brief pmm_alloc_contiguous() with pmm_lock held (the lab's "pmm_alloc_contiguous"). */
int pmm_buddy_alloc(size_t pages, uintptr_t *addr)
{
	struct pmm_segment *seg;
	size_t index;

	/* 1 to 256 pages, the hot path, in one test (0 wraps round). */
	if (pages - 1 >= MAX_BLOCK_PAGES)
		return alloc_run(pages, addr);
	unsigned order = pmm_order_of(pages);
	int err = pmm_take_block(order, &seg, &index);
	if (err != PMM_OK)
		return err;
	make_head(seg, index, pages, addr);
	/* Exact length: the unused tail (if any) goes straight back. */
	/* LAB buddy BEGIN */
	if (pages < (size_t)1 << order)
		free_pages(seg, index + pages, index + ((size_t)1 << order));
	/* LAB buddy STUB pmm_alloc_contiguous
	if (pages != (size_t)1 << order)
		LAB_TODO("buddy", "pmm_alloc_contiguous");
	*/
	/* LAB buddy END */
	return PMM_OK;
}

/*
 * The rest of the buddy system's entry points (pmm_buddy.h). None takes a
 * lock: the page manager's public functions (pmm_entry.c) call them with
 * pmm_lock held. (pmm_buddy_alloc() above is what the buddy lab's section
 * "pmm_alloc_contiguous" means: that public function calls it.)
 */

/* PMM_OK if @addr is the head of a live contiguous allocation (its segment
 * in *@segp); otherwise why it is not. */
static inline int find_allocation_head(uintptr_t addr, struct pmm_segment **segp)
{
	struct pmm_segment *seg = pmm_segment_of(addr);

	if (seg == NULL)
		return PMM_ERR_OUTSIDE;
	if (addr & (PMM_PAGE_SIZE - 1))
		return PMM_ERR_UNALIGNED;
	*segp = seg;
	switch (seg->page_array[pmm_index(seg, addr)].state) {
	case PMM_PAGE_ALLOCATED:
		return PMM_OK;
	case PMM_PAGE_SCATTERED:
		return PMM_ERR_SCATTERED;
	case PMM_PAGE_FREE:
		return PMM_ERR_NOT_ALLOCATED;
	}
	/* An inside page: is its block free or allocated? */
	size_t head = pmm_head_of(seg, pmm_index(seg, addr));
	return seg->page_array[head].state == PMM_PAGE_FREE ? PMM_ERR_NOT_ALLOCATED
							     : PMM_ERR_INTERIOR;
}

int pmm_buddy_set_holder(uintptr_t addr, enum pmm_holder holder)
{
	struct pmm_segment *seg;
	int err = find_allocation_head(addr, &seg);
	if (err == PMM_OK)
		seg->page_array[pmm_index(seg, addr)].holder = (uint8_t)holder;
	return err;
}

int pmm_buddy_free(uintptr_t addr, enum pmm_holder holder, size_t *pages)
{
	struct pmm_segment *seg;
	int err = find_allocation_head(addr, &seg);
	if (err != PMM_OK)
		return err;
	size_t index = pmm_index(seg, addr);
	if (seg->page_array[index].holder != holder)
		return PMM_ERR_HELD;
	size_t count = seg->page_array[index].count;
	seg->page_array[index].state = PMM_PAGE_INSIDE;
	/* Most allocations are one block, aligned to its size (a power of
	 * two up to 256 pages): merge it at once, without cutting (unless
	 * it is to be poisoned). */
	if (count - 1 < MAX_BLOCK_PAGES && (count & (count - 1)) == 0 && !pmm_poisoning)
		merge(seg, index, (unsigned)__builtin_ctzl((unsigned long)count), 0);
	else
		free_pages(seg, index, index + count);
	if (pages)
		*pages = count;
	return PMM_OK;
}

int pmm_buddy_free_page(uintptr_t addr)
{
	struct pmm_segment *seg;
	int err = find_allocation_head(addr, &seg);
	if (err == PMM_OK && seg->page_array[pmm_index(seg, addr)].count != 1)
		return PMM_ERR_NOT_SINGLE;
	return err == PMM_OK ? pmm_buddy_free(addr, PMM_HOLDER_ANYONE, NULL) : err;
}
