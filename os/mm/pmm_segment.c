/**
 * @file pmm_segment.c
 * @brief Segments of the page manager: the page array of each, finding
 *        pages in them, and summaries of them.
 *
 * Nothing here splits or merges: this layer lays out memory and answers
 * "which segment, which descriptor, which block head" (the last from the
 * alignment rule every block obeys, see struct pmm_page).
 */
#include "pmm_buddy.h"
#include "pmm_segment.h"
#include "kstring.h"

/* With no segment, the search in pmm_segment_of() meets an empty one (no
 * pages: nothing is inside it), so that it needs no test for "none". */
struct pmm_state pmm = { .by_address = { &pmm.segments[0] } };

struct spinlock pmm_lock = SPINLOCK_INIT("pmm");

/* The fast paths find a CPU's cache by a shift only if the caches are a
 * power of two apart. */
_Static_assert(sizeof(struct pmm_cpu_cache) == PMM_CACHE_BYTES,
	       "a CPU's cache outgrew PMM_CACHE_BYTES: double it");

void pmm_init(void)
{
	/* The caches' pages were of the segments forgotten here. */
	for (unsigned cpu = 0; cpu < ARCH_MAX_CPUS; cpu++)
		pmm.caches[cpu].count = 0;
	pmm.caches_on = 0;
	pmm.pcp_active = 0;
	pmm.nr_segments = 0;
	pmm.segments[0].pages = 0;
	pmm.by_address[0] = &pmm.segments[0];
}

/* 1 if page @head is a block head and its block holds page @index. */
static int holds(const struct pmm_segment *seg, size_t head, size_t index)
{
	const struct pmm_page *page = &seg->page_array[head];
	return page->state != PMM_PAGE_INSIDE && index - head < pmm_block_pages(page);
}

size_t pmm_head_of(const struct pmm_segment *seg, size_t index)
{
	uintptr_t pfn = pmm_pfn(seg, index);

	/* A block of at most 2^PMM_MAX_ORDER pages is aligned to its size
	 * (exact-length allocations to the power of two above), so its head
	 * is the page rounded down to some order; a longer allocation leaves
	 * a link to its head on each such rounded-down page. Blocks tile the
	 * segment, so the one head found to hold the page is the right one,
	 * whatever stale links lie around. */
	for (unsigned order = 0; order <= PMM_MAX_ORDER; order++) {
		size_t below = pfn & (((uintptr_t)1 << order) - 1);
		if (below > index)
			break;
		size_t start = index - below;
		const struct pmm_page *page = &seg->page_array[start];
		if (holds(seg, start, index))
			return start;
		if (page->state == PMM_PAGE_INSIDE && page->count <= start &&
		    holds(seg, start - page->count, index))
			return start - page->count;
	}
	/* Only a corrupt page array gets here: step over the blocks. */
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
	/* Chunks wholly inside: from the first 128-page boundary at or after
	 * the base to the last one at or before the end. */
	uintptr_t pfn = seg->base >> PMM_PAGE_SHIFT;
	seg->first_chunk = (pfn + PMM_CHUNK_PAGES - 1) >> PMM_CHUNK_ORDER;
	size_t end_chunk = (pfn + pages) >> PMM_CHUNK_ORDER;
	seg->nr_chunks = end_chunk > seg->first_chunk ? end_chunk - seg->first_chunk : 0;
	/* The bitmap fits in the array's spare room: its pages hold 170
	 * descriptors (4080 bytes) each, so at least 16 bytes per array page
	 * are left, and a chunk bit covers 128 pages. */
	seg->free_chunks = (uint64_t *)(seg->page_array + pages);
	size_t words = (seg->nr_chunks + 63) / 64;
	/* Every page INSIDE with nothing in it (all fields 0), every chunk
	 * bit clear: one memset, the cheapest way to write it all. */
	memset(seg->page_array, 0, pages * sizeof(struct pmm_page) + words * sizeof(uint64_t));

	/* Keep the segments sorted by address for pmm_segment_of(). */
	unsigned pos = pmm.nr_segments;
	while (pos > 0 && pmm.by_address[pos - 1]->base > seg->base) {
		pmm.by_address[pos] = pmm.by_address[pos - 1];
		pos--;
	}
	pmm.by_address[pos] = seg;
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
