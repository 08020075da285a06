/**
 * @file pmm_fragmentation.c
 * @brief How fragmented free memory is: Mel Gorman's unusable free space
 *        index and the longest free run of a segment (the shell's buddy).
 *
 * Both only read the page manager through its public functions, so they
 * work however the free lists are kept. No floating point in the kernel:
 * the index is a fixed-point number, PMM_INDEX_ONE meaning 1.
 */
#include "pmm.h"

/* Free pages, and free pages in blocks of @order or more, of one segment. */
static void add_segment(unsigned segment, unsigned order, size_t *free, size_t *usable)
{
	struct pmm_segment_info info;
	if (pmm_segment_info(segment, &info) != PMM_OK)
		return;
	*free += info.free_pages;
	for (unsigned j = order; j < PMM_NR_ORDERS; j++)
		*usable += info.free_blocks[j] << j;
}

unsigned pmm_unusable_index(unsigned segment, unsigned order)
{
	size_t free = 0, usable = 0;
	if (segment == PMM_ALL_SEGMENTS) {
		for (unsigned s = 0; s < pmm_segment_count(); s++)
			add_segment(s, order, &free, &usable);
	} else {
		add_segment(segment, order, &free, &usable);
	}
	/* No free memory: nothing can be served, so all of it (none) is
	 * unusable; Linux's unusable_free_index answers the same. */
	if (free == 0)
		return PMM_INDEX_ONE;
	return (unsigned)((free - usable) * PMM_INDEX_ONE / free);
}

size_t pmm_segment_longest_free_run(unsigned segment)
{
	struct pmm_block block;
	size_t cursor = 0, run = 0, longest = 0;

	/* Adjacent free blocks of any orders make one run: the large path
	 * (more than 256 pages) can take it whole. */
	while (pmm_walk(segment, &cursor, &block)) {
		run = block.state == PMM_PAGE_FREE ? run + block.pages : 0;
		if (run > longest)
			longest = run;
	}
	return longest;
}
