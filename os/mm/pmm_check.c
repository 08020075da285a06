/**
 * @file pmm_check.c
 * @brief The invariant checker: proves the page manager's books balance.
 *
 * It reads every descriptor, so it is for tests, fuzzers and the shell's
 * check command, never for an allocation path.
 */
#include "pmm_buddy.h"
#include "pmm_segment.h"
#include "progress.h"

/* Pages checked between progress reports: checking a page is cheap. */
#define CHECK_REPORT_PAGES (64 * PROGRESS_EVERY)

struct checker {
	void (*report)(const struct pmm_violation *v, void *ctx);
	void *ctx;
	size_t found;
	size_t pages_done, next_report; /* for progress reports */
	int stopped;                    /* the progress handler said stop */
};

/* Count @pages pages as checked; 1 if the check must stop now. */
static int checked(struct checker *c, size_t pages)
{
	c->pages_done += pages;
	if (c->pages_done >= c->next_report) {
		c->next_report += CHECK_REPORT_PAGES;
		if (progress_report("check", c->pages_done, pmm_total_pages()))
			c->stopped = 1;
	}
	return c->stopped;
}

/* Report the pages checked so far again (a long list takes time); 1 if
 * the check must stop now. */
static int report_again(struct checker *c)
{
	if (progress_report("check", c->pages_done, pmm_total_pages()))
		c->stopped = 1;
	return c->stopped;
}

static void violation(struct checker *c, enum pmm_violation_kind kind, unsigned segment,
		      uintptr_t addr, size_t expected, size_t actual)
{
	struct pmm_violation v = { kind, segment, addr, expected, actual };
	c->found++;
	if (c->report)
		c->report(&v, c->ctx);
}

/* The free head at @index: a valid order, aligned to its size, and no
 * free buddy of its order (the buddy is found independently of
 * pmm_buddy.c, so a mistake there shows). Counts it in @heads. Its
 * length, or 0 if the order is impossible and the walk must stop. */
static size_t check_free_head(struct checker *c, unsigned s, size_t index,
			      size_t heads[PMM_NR_ORDERS])
{
	const struct pmm_segment *seg = &pmm.segments[s];
	const struct pmm_page *page = &seg->page_array[index];
	uintptr_t addr = pmm_addr(seg, index);

	if (page->order > PMM_MAX_ORDER) {
		violation(c, PMM_BAD_ORDER, s, addr, PMM_MAX_ORDER, page->order);
		return 0;
	}
	size_t len = (size_t)1 << page->order;
	heads[page->order]++;
	if ((addr >> PMM_PAGE_SHIFT) & (len - 1))
		violation(c, PMM_MISALIGNED_FREE, s, addr, len, 0);
	if (page->order < PMM_MAX_ORDER) {
		uintptr_t buddy = addr ^ (PMM_PAGE_SIZE << page->order);
		if (buddy >= seg->base && pmm_index(seg, buddy) + len <= seg->pages) {
			const struct pmm_page *b = &seg->page_array[pmm_index(seg, buddy)];
			if (b->state == PMM_PAGE_FREE && b->order == page->order)
				violation(c, PMM_UNMERGED_BUDDIES, s, addr, 0, page->order);
		}
	}
	return len;
}

/* The head of the block at @index: its length, or 0 if it is no valid
 * head and the walk must stop. */
static size_t check_head(struct checker *c, unsigned s, size_t index, size_t heads[PMM_NR_ORDERS])
{
	const struct pmm_page *page = &pmm.segments[s].page_array[index];
	uintptr_t addr = pmm_addr(&pmm.segments[s], index);

	switch (page->state) {
	case PMM_PAGE_FREE:
		return check_free_head(c, s, index, heads);
	case PMM_PAGE_ALLOCATED:
	case PMM_PAGE_SCATTERED:
		if (page->count == 0 || (page->state == PMM_PAGE_SCATTERED && page->count != 1)) {
			violation(c, PMM_BAD_COUNT, s, addr, 1, page->count);
			return 0;
		}
		return page->count;
	case PMM_PAGE_INSIDE:
		violation(c, PMM_BAD_TILING, s, addr, 0, 0);
		return 0;
	default:
		violation(c, PMM_BAD_STATE, s, addr, 0, page->state);
		return 0;
	}
}

/* The pieces of the allocation of @pages pages at @head (the largest
 * aligned blocks of order <= PMM_MAX_ORDER that fit, lowest first, found
 * here independently of pmm_buddy.c) but the first link to the head. */
static void check_links(struct checker *c, unsigned s, size_t head, size_t pages)
{
	const struct pmm_segment *seg = &pmm.segments[s];
	size_t index = head;

	while (index < head + pages) {
		unsigned order = 0;
		while (order < PMM_MAX_ORDER && (pmm_pfn(seg, index) & ((size_t)1 << order)) == 0 &&
		       index + ((size_t)2 << order) <= head + pages)
			order++;
		if (index != head && seg->page_array[index].count != index - head)
			violation(c, PMM_BAD_LINK, s, pmm_addr(seg, index), index - head,
				  seg->page_array[index].count);
		index += (size_t)1 << order;
	}
}

/* Bit j of the free-chunk index is set exactly when chunk j lies in a free
 * block of order 7 or 8 (its head is the chunk, or the chunk before it
 * for the upper half of an order-8 block); no bit past the last chunk. */
static void check_index(struct checker *c, unsigned s)
{
	const struct pmm_segment *seg = &pmm.segments[s];

	for (size_t chunk = 0; chunk < (seg->nr_chunks + 63) / 64 * 64; chunk++) {
		int marked = (seg->free_chunks[chunk / 64] >> (chunk % 64)) & 1;
		int free = 0;
		if (chunk < seg->nr_chunks) {
			size_t index = pmm_chunk_start(seg, chunk);
			const struct pmm_page *page = &seg->page_array[index];
			const struct pmm_page *below = index >= PMM_CHUNK_PAGES ?
				page - PMM_CHUNK_PAGES : NULL;
			free = (page->state == PMM_PAGE_FREE && page->order >= PMM_CHUNK_ORDER) ||
			       (below && below->state == PMM_PAGE_FREE &&
				below->order == PMM_MAX_ORDER &&
				(pmm_pfn(seg, index) & PMM_CHUNK_PAGES) != 0);
		}
		if (marked != free)
			violation(c, PMM_BAD_INDEX, s, chunk < seg->nr_chunks ?
				  pmm_addr(seg, pmm_chunk_start(seg, chunk)) : 0, (size_t)free,
				  (size_t)marked);
	}
}

/* Blocks tile the segment; heads are valid; every other page is INSIDE;
 * the free pages add up. Counts free heads in @heads. */
static void check_blocks(struct checker *c, unsigned s, size_t heads[PMM_NR_ORDERS])
{
	const struct pmm_segment *seg = &pmm.segments[s];
	size_t free_pages = 0;
	size_t index = 0;

	while (index < seg->pages) {
		size_t len = check_head(c, s, index, heads);
		if (len == 0)
			return;
		if (index + len > seg->pages) {
			violation(c, PMM_BAD_TILING, s, pmm_addr(seg, index), seg->pages - index, len);
			return;
		}
		for (size_t i = 1; i < len; i++)
			if (seg->page_array[index + i].state != PMM_PAGE_INSIDE)
				violation(c, PMM_BAD_INTERIOR, s, pmm_addr(seg, index + i),
					  PMM_PAGE_INSIDE, seg->page_array[index + i].state);
		if (seg->page_array[index].state == PMM_PAGE_FREE)
			free_pages += len;
		else if (len > ((size_t)1 << PMM_MAX_ORDER))
			check_links(c, s, index, len);
		index += len;
		if (checked(c, len))
			return;
	}
	if (free_pages != seg->free_pages)
		violation(c, PMM_FREE_COUNT, s, seg->base, free_pages, seg->free_pages);
}

/* Every list member is a free head of the list's order; lengths match. */
static void check_lists(struct checker *c, unsigned s, const size_t heads[PMM_NR_ORDERS])
{
	const struct pmm_segment *seg = &pmm.segments[s];

	for (unsigned order = 0; order < PMM_NR_ORDERS; order++) {
		const struct list_node *head = &seg->free_list[order];
		size_t length = 0;
		const struct list_node *n;
		list_for_each(n, head) {
			const struct pmm_page *page = list_entry(n, struct pmm_page, node);
			if (page < seg->page_array || page >= seg->page_array + seg->pages) {
				violation(c, PMM_LIST_MISMATCH, s, 0, order, 0);
				break;
			}
			uintptr_t addr = pmm_addr(seg, (size_t)(page - seg->page_array));
			if (page->state != PMM_PAGE_FREE || page->order != order)
				violation(c, PMM_LIST_MISMATCH, s, addr, order, page->order);
			/* A cycle that misses the head would loop forever. */
			if (++length > seg->pages)
				break;
			/* Long lists (scattered frees) take time: keep reporting. */
			if (length % PROGRESS_EVERY == 0 && report_again(c))
				return;
		}
		if (length != seg->free_blocks[order])
			violation(c, PMM_LIST_COUNT, s, seg->base, seg->free_blocks[order], length);
		if (length != heads[order])
			violation(c, PMM_NOT_LISTED, s, seg->base, heads[order], length);
	}
}

size_t pmm_check(void (*report)(const struct pmm_violation *v, void *ctx), void *ctx)
{
	struct checker c = { report, ctx, 0, 0, 0, 0 }; /* reports from the first block */

	/* Held throughout: the reports print with it held, interrupts off
	 * (Ctrl-C still gets through: arch_interrupts_let_in()). */
	spin_lock(&pmm_lock);
	for (unsigned s = 0; s < pmm.nr_segments && !c.stopped; s++) {
		size_t heads[PMM_NR_ORDERS] = { 0 };
		check_blocks(&c, s, heads);
		if (!c.stopped) {
			check_lists(&c, s, heads);
			check_index(&c, s);
		}
	}
	spin_unlock(&pmm_lock);
	return c.found;
}

const char *pmm_violation_text(enum pmm_violation_kind kind)
{
	switch (kind) {
	case PMM_BAD_STATE: return "page descriptor has an unknown state";
	case PMM_BAD_TILING: return "blocks do not tile the segment";
	case PMM_BAD_INTERIOR: return "page inside a block is marked as a block head";
	case PMM_MISALIGNED_FREE: return "free block is not aligned to its size";
	case PMM_BAD_ORDER: return "free block has an order above the maximum";
	case PMM_UNMERGED_BUDDIES: return "free block and its buddy are both free";
	case PMM_LIST_MISMATCH: return "free list holds a block of another kind or order";
	case PMM_LIST_COUNT: return "free list length differs from its count";
	case PMM_NOT_LISTED: return "free blocks missing from their free list";
	case PMM_FREE_COUNT: return "free page count differs from the free blocks";
	case PMM_BAD_COUNT: return "allocation has an impossible length";
	case PMM_BAD_INDEX: return "free-chunk index disagrees with the free blocks";
	case PMM_BAD_LINK: return "piece of a long allocation does not link to its head";
	}
	return "unknown violation";
}
