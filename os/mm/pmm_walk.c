/**
 * @file pmm_walk.c
 * @brief Looking at the page manager: blocks in address order, free lists.
 *
 * These serve the shell's buddy, show and dot commands and the error paths;
 * none is on an allocation's hot path.
 */
#include "pmm_segment.h"

static void describe(const struct pmm_segment *seg, size_t index, struct pmm_block *block)
{
	const struct pmm_page *page = &seg->page_array[index];
	block->addr = pmm_addr(seg, index);
	block->pages = pmm_block_pages(page);
	block->state = page->state;
	block->order = page->state == PMM_PAGE_FREE ? page->order : 0;
	block->segment = (unsigned)(seg - pmm.segments);
	block->holder = page->state == PMM_PAGE_ALLOCATED ? page->holder : PMM_HOLDER_ANYONE;
}

int pmm_walk(unsigned segment, size_t *cursor, struct pmm_block *block)
{
	if (segment >= pmm.nr_segments)
		return 0;
	const struct pmm_segment *seg = &pmm.segments[segment];
	if (*cursor >= seg->pages)
		return 0;
	describe(seg, *cursor, block);
	/* A corrupt zero-length block must not stall the walk. */
	*cursor += block->pages ? block->pages : 1;
	return 1;
}

int pmm_find_block(uintptr_t addr, struct pmm_block *block)
{
	const struct pmm_segment *seg = pmm_segment_of(addr);
	if (seg == NULL)
		return PMM_ERR_OUTSIDE;
	describe(seg, pmm_head_of(seg, pmm_index(seg, addr)), block);
	return PMM_OK;
}

size_t pmm_longest_free_run(void)
{
	size_t longest = 0;
	for (unsigned s = 0; s < pmm.nr_segments; s++) {
		struct pmm_block block;
		size_t cursor = 0, run = 0;
		while (pmm_walk(s, &cursor, &block)) {
			run = block.state == PMM_PAGE_FREE ? run + block.pages : 0;
			if (run > longest)
				longest = run;
		}
	}
	return longest;
}

int pmm_allocation_at(uintptr_t addr, struct pmm_block *block)
{
	const struct pmm_segment *seg = pmm_segment_of(addr);
	if (seg == NULL)
		return PMM_ERR_OUTSIDE;
	if (addr & (PMM_PAGE_SIZE - 1))
		return PMM_ERR_UNALIGNED;
	size_t index = pmm_index(seg, addr);
	switch (seg->page_array[index].state) {
	case PMM_PAGE_ALLOCATED:
		describe(seg, index, block);
		return PMM_OK;
	case PMM_PAGE_SCATTERED:
		return PMM_ERR_SCATTERED;
	default: /* free, or inside a block: no allocation starts here */
		return PMM_ERR_NOT_ALLOCATED;
	}
}

void pmm_for_each_free(unsigned segment, unsigned order,
		       void (*fn)(uintptr_t addr, void *ctx), void *ctx)
{
	if (segment >= pmm.nr_segments || order > PMM_MAX_ORDER)
		return;
	const struct pmm_segment *seg = &pmm.segments[segment];
	const struct list_node *head = &seg->free_list[order];
	const struct list_node *n;
	list_for_each(n, head) {
		const struct pmm_page *page = list_entry(n, struct pmm_page, node);
		fn(pmm_addr(seg, (size_t)(page - seg->page_array)), ctx);
	}
}

const char *pmm_holder_name(unsigned holder)
{
	switch (holder) {
	case PMM_HOLDER_ANYONE: return "anyone";
	case PMM_HOLDER_PAGE_TABLE: return "page table";
	case PMM_HOLDER_MAPPING: return "mapping";
	case PMM_HOLDER_ALLOCATOR: return "allocator object";
	case PMM_HOLDER_QUARANTINE: return "quarantine (written after it was freed)";
	case PMM_HOLDER_CACHE: return "CPU's page cache";
	}
	return "unknown owner";
}
