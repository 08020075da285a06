/**
 * @file pmm_segment.c
 * @brief Segments of the page manager: the page array of each, finding
 *        pages in them, and summaries of them.
 *
 * Nothing here knows about buddies: this layer only lays out memory and
 * answers "which segment, which descriptor".
 */
#include "pmm_segment.h"

struct pmm_state pmm;

void pmm_init(void)
{
	pmm.nr_segments = 0;
}

struct pmm_segment *pmm_segment_of(uintptr_t addr)
{
	for (unsigned i = 0; i < pmm.nr_segments; i++) {
		struct pmm_segment *seg = &pmm.segments[i];
		if (addr >= seg->base && pmm_index(seg, addr) < seg->pages)
			return seg;
	}
	return NULL;
}

size_t pmm_head_of(const struct pmm_segment *seg, size_t index)
{
	size_t head = 0;
	for (size_t next = 0; next <= index;) {
		size_t len = pmm_block_pages(&seg->page_array[next]);
		head = next;
		/* A corrupt zero-length block must not stall the search. */
		next += len ? len : 1;
	}
	return head;
}

/* The page array goes at the front of the segment. Of n pages, the largest
 * m that leaves room for m descriptors in the other n - m pages is managed. */
static size_t managed_pages(size_t n)
{
	const size_t per_page = PMM_PAGE_SIZE / sizeof(struct pmm_page);
	size_t m = n * per_page / (per_page + 1);
	while (m > 0 && m + (m + per_page - 1) / per_page > n)
		m--;
	return m;
}

int pmm_segment_create(uintptr_t start, uintptr_t end, struct pmm_segment **segp)
{
	uintptr_t first = (start + PMM_PAGE_SIZE - 1) & ~(PMM_PAGE_SIZE - 1);
	uintptr_t last = end & ~(PMM_PAGE_SIZE - 1);

	if (pmm.nr_segments == PMM_MAX_SEGMENTS)
		return PMM_ERR_TOO_MANY;
	if (end <= start || last <= first)
		return PMM_ERR_TOO_SMALL;
	for (unsigned i = 0; i < pmm.nr_segments; i++) {
		const struct pmm_segment *seg = &pmm.segments[i];
		uintptr_t seg_start = seg->base - (seg->array_pages << PMM_PAGE_SHIFT);
		if (first < pmm_addr(seg, seg->pages) && seg_start < last)
			return PMM_ERR_OVERLAP;
	}

	size_t total = (last - first) >> PMM_PAGE_SHIFT;
	size_t pages = managed_pages(total);
	if (pages == 0)
		return PMM_ERR_TOO_SMALL;

	struct pmm_segment *seg = &pmm.segments[pmm.nr_segments];
	seg->array_pages = total - pages;
	seg->page_array = (struct pmm_page *)first;
	seg->base = first + (seg->array_pages << PMM_PAGE_SHIFT);
	seg->pages = pages;
	seg->free_pages = 0;
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++) {
		list_init(&seg->free_list[order]);
		seg->free_blocks[order] = 0;
	}
	for (size_t i = 0; i < pages; i++) {
		struct pmm_page *page = &seg->page_array[i];
		list_init(&page->node);
		page->count = 0;
		page->state = PMM_PAGE_INSIDE;
		page->order = 0;
		page->holder = PMM_HOLDER_ANYONE;
	}
	*segp = seg;
	return (int)pmm.nr_segments++;
}

unsigned pmm_segment_count(void)
{
	return pmm.nr_segments;
}

int pmm_segment_info(unsigned segment, struct pmm_segment_info *info)
{
	if (segment >= pmm.nr_segments)
		return PMM_ERR_INVALID;
	const struct pmm_segment *seg = &pmm.segments[segment];
	info->start = seg->base;
	info->end = pmm_addr(seg, seg->pages);
	info->array_start = (uintptr_t)seg->page_array;
	info->array_pages = seg->array_pages;
	info->pages = seg->pages;
	info->free_pages = seg->free_pages;
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++)
		info->free_blocks[order] = seg->free_blocks[order];
	return PMM_OK;
}

size_t pmm_total_pages(void)
{
	size_t total = 0;
	for (unsigned i = 0; i < pmm.nr_segments; i++)
		total += pmm.segments[i].pages;
	return total;
}

size_t pmm_free_page_count(void)
{
	size_t total = 0;
	for (unsigned i = 0; i < pmm.nr_segments; i++)
		total += pmm.segments[i].free_pages;
	return total;
}
