/**
 * @file pmm_segment.c
 * @brief Segments of the page manager: adding memory, and summaries of it.
 */
#include "pmm_internal.h"

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

int pmm_add_segment(uintptr_t start, uintptr_t end)
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
		page->owner = PMM_OWNER_ANYONE;
	}
	pmm_fill_segment(seg);
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

size_t pmm_free_pages(void)
{
	size_t total = 0;
	for (unsigned i = 0; i < pmm.nr_segments; i++)
		total += pmm.segments[i].free_pages;
	return total;
}

const char *pmm_owner_name(unsigned owner)
{
	switch (owner) {
	case PMM_OWNER_ANYONE: return "anyone";
	case PMM_OWNER_PAGE_TABLE: return "page table";
	case PMM_OWNER_MAPPING: return "mapping";
	case PMM_OWNER_ALLOCATOR: return "allocator object";
	case PMM_OWNER_QUARANTINE: return "quarantine (written after it was freed)";
	}
	return "unknown owner";
}

const char *pmm_strerror(int error)
{
	switch (error) {
	case PMM_OK: return "success";
	case PMM_ERR_INVALID: return "invalid size";
	case PMM_ERR_NO_MEMORY: return "not enough free memory";
	case PMM_ERR_OUTSIDE: return "address is not in managed memory";
	case PMM_ERR_UNALIGNED: return "address is not page aligned";
	case PMM_ERR_NOT_ALLOCATED: return "page is free (double free or never allocated)";
	case PMM_ERR_INTERIOR: return "address is inside an allocation, not its start";
	case PMM_ERR_SCATTERED: return "page belongs to a scattered set (free the set)";
	case PMM_ERR_NOT_SINGLE: return "allocation is longer than one page";
	case PMM_ERR_BAD_SET: return "set holds a page that is not a live scattered page";
	case PMM_ERR_TOO_MANY: return "too many segments";
	case PMM_ERR_TOO_SMALL: return "segment too small";
	case PMM_ERR_OVERLAP: return "segment overlaps another";
	case PMM_ERR_OWNED: return "allocation belongs to the kernel (a page table, mapping, allocator or quarantine)";
	case PMM_ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown error";
}
