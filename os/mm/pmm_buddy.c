/**
 * @file pmm_buddy.c
 * @brief The buddy algorithm: split on allocation, merge on free.
 *
 * A block of order k is 2^k pages starting on a 2^k-page boundary of the
 * physical address. Its *buddy* is the other half of the order-(k+1) block
 * that contains it, so the buddy's address differs in exactly one bit:
 *
 *     buddy(addr, k) = addr XOR (PAGE_SIZE << k)
 *
 * Splitting a block of order k gives two buddies of order k-1. Freeing a
 * block looks up its buddy: if the buddy is a free block of the same order,
 * the two are removed and the merged block (at the lower address) is tried
 * again one order up, until the buddy is busy, of another order, outside the
 * segment, or the block is of PMM_MAX_ORDER. This is why no two free buddies
 * of the same order ever sit on the lists together (see pmm_check()).
 */
#include "pmm_internal.h"

/* Number of bits needed to write x: bit_length(0) = 0, bit_length(5) = 3. */
static unsigned bit_length(size_t x)
{
	unsigned n = 0;
	for (unsigned shift = 32; shift > 0; shift >>= 1) {
		if (shift < sizeof(x) * 8 && (x >> shift) != 0) {
			x >>= shift;
			n += shift;
		}
	}
	return n + (unsigned)x;
}

unsigned pmm_order_of(size_t pages)
{
	return pages <= 1 ? 0 : bit_length(pages - 1);
}

static void list_add_block(struct pmm_segment *seg, size_t index, unsigned order, int at_back,
			   int poisoned)
{
	struct pmm_page *page = &seg->page_array[index];
	page->state = PMM_PAGE_FREE;
	page->order = (uint8_t)order;
	page->count = 0;
	page->poisoned = (uint8_t)poisoned;
	if (at_back)
		list_push_back(&seg->free_list[order], &page->node);
	else
		list_push_front(&seg->free_list[order], &page->node);
	seg->free_blocks[order]++;
	seg->free_pages += (size_t)1 << order;
}

static void list_del_block(struct pmm_segment *seg, size_t index)
{
	struct pmm_page *page = &seg->page_array[index];
	list_remove(&page->node);
	seg->free_blocks[page->order]--;
	seg->free_pages -= (size_t)1 << page->order;
	page->state = PMM_PAGE_INSIDE;
}

void pmm_fill_segment(struct pmm_segment *seg)
{
	for (size_t index = 0; index < seg->pages;) {
		unsigned order = pmm_fit_order(seg, index, seg->pages);
		list_add_block(seg, index, order, 1, 0);
		index += (size_t)1 << order;
	}
}

/* Free one block of 2^order pages at @index, merging it with free buddies.
 * A merged block is poisoned only if every part of it was. */
static void free_block(struct pmm_segment *seg, size_t index, unsigned order, int poisoned)
{
	uintptr_t addr = pmm_addr(seg, index);
	uintptr_t end = pmm_addr(seg, seg->pages);

	seg->page_array[index].state = PMM_PAGE_INSIDE;
	while (order < PMM_MAX_ORDER) {
		uintptr_t size = PMM_PAGE_SIZE << order;
		uintptr_t buddy = addr ^ size;
		if (buddy < seg->base || buddy + size > end)
			break;
		struct pmm_page *page = &seg->page_array[pmm_index(seg, buddy)];
		if (page->state != PMM_PAGE_FREE || page->order != order)
			break;
		poisoned = poisoned && page->poisoned;
		list_del_block(seg, pmm_index(seg, buddy));
		if (buddy < addr)
			addr = buddy;
		order++;
	}
	list_add_block(seg, pmm_index(seg, addr), order, 0, poisoned);
}

void pmm_free_range(struct pmm_segment *seg, size_t first, size_t last)
{
	int poisoned = pmm_poison_fill(seg, first, last);
	while (first < last) {
		unsigned order = pmm_fit_order(seg, first, last);
		free_block(seg, first, order, poisoned);
		first += (size_t)1 << order;
	}
}

int pmm_take_block(unsigned order, struct pmm_segment **segp, size_t *indexp)
{
again:
	for (unsigned have = order; have < PMM_NR_ORDERS; have++) {
		for (unsigned i = 0; i < pmm.nr_segments; i++) {
			struct pmm_segment *seg = &pmm.segments[i];
			if (list_empty(&seg->free_list[have]))
				continue;
			struct pmm_page *head = list_entry(seg->free_list[have].next,
							   struct pmm_page, node);
			size_t index = (size_t)(head - seg->page_array);
			int poisoned = head->poisoned;
			list_del_block(seg, index);
			/* Written after it was freed: its good pages went back, the
			 * others to quarantine; look again from the start. */
			if (poisoned && pmm_poison_verify(seg, index, index + ((size_t)1 << have)))
				goto again;
			/* Split: keep the lower half, give the upper half back. */
			while (have > order) {
				have--;
				list_add_block(seg, index + ((size_t)1 << have), have, 0, poisoned);
			}
			*segp = seg;
			*indexp = index;
			return PMM_OK;
		}
	}
	return PMM_ERR_NO_MEMORY;
}

/* Take the lowest run of @pages free pages inside one segment, for requests
 * above the largest order. Walks blocks (not pages) in address order. */
static int take_run(size_t pages, struct pmm_segment **segp, size_t *indexp)
{
	for (unsigned i = 0; i < pmm.nr_segments; i++) {
		struct pmm_segment *seg = &pmm.segments[i];
		size_t run_start = 0, run_pages = 0;
		if (seg->free_pages < pages)
			continue;
		for (size_t index = 0; index < seg->pages;) {
			const struct pmm_page *page = &seg->page_array[index];
			size_t len = pmm_block_pages(page);
			if (page->state != PMM_PAGE_FREE) {
				run_pages = 0;
			} else {
				if (run_pages == 0)
					run_start = index;
				run_pages += len;
				if (run_pages >= pages)
					break;
			}
			index += len;
		}
		if (run_pages < pages)
			continue;
		/* A poisoned block of the run written after it was freed:
		 * quarantine what was written and look again. */
		size_t index = run_start;
		while (index < run_start + pages) {
			size_t len = pmm_block_pages(&seg->page_array[index]);
			if (seg->page_array[index].poisoned &&
			    !pmm_poison_intact(seg, index, index + len)) {
				list_del_block(seg, index);
				pmm_poison_verify(seg, index, index + len);
				return take_run(pages, segp, indexp);
			}
			index += len;
		}
		/* Unlist every free block of the run; return the unused tail
		 * of the last one. */
		index = run_start;
		while (index < run_start + pages) {
			size_t len = pmm_block_pages(&seg->page_array[index]);
			list_del_block(seg, index);
			index += len;
		}
		pmm_free_range(seg, run_start + pages, index);
		*segp = seg;
		*indexp = run_start;
		return PMM_OK;
	}
	return PMM_ERR_NO_MEMORY;
}

int pmm_alloc_contiguous(size_t pages, uintptr_t *addr)
{
	struct pmm_segment *seg;
	size_t index;
	int err;

	if (pages == 0 || pages > UINT32_MAX)
		return PMM_ERR_INVALID;
	if (pages > ((size_t)1 << PMM_MAX_ORDER)) {
		err = take_run(pages, &seg, &index);
	} else {
		unsigned order = pmm_order_of(pages);
		err = pmm_take_block(order, &seg, &index);
		/* Exact length: the unused tail goes straight back. */
		if (err == PMM_OK)
			pmm_free_range(seg, index + pages, index + ((size_t)1 << order));
	}
	if (err != PMM_OK)
		return err;
	seg->page_array[index].state = PMM_PAGE_ALLOCATED;
	seg->page_array[index].count = (uint32_t)pages;
	seg->page_array[index].owner = PMM_OWNER_ANYONE;
	*addr = pmm_addr(seg, index);
	return PMM_OK;
}

int pmm_alloc_page(uintptr_t *addr)
{
	return pmm_alloc_contiguous(1, addr);
}

/* Why @addr cannot be freed as an allocation, or PMM_OK if it can. */
static int check_free(uintptr_t addr, struct pmm_segment **segp)
{
	struct pmm_segment *seg = pmm_segment_of(addr);
	struct pmm_block block;

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
	/* An inside page: only an error path, so a walk is affordable. */
	pmm_find_block(addr, &block);
	return block.state == PMM_PAGE_FREE ? PMM_ERR_NOT_ALLOCATED : PMM_ERR_INTERIOR;
}

int pmm_set_owner(uintptr_t addr, enum pmm_owner owner)
{
	struct pmm_segment *seg;
	int err = check_free(addr, &seg);
	if (err == PMM_OK)
		seg->page_array[pmm_index(seg, addr)].owner = (uint8_t)owner;
	return err;
}

int pmm_free_owned(uintptr_t addr, enum pmm_owner owner, size_t *pages)
{
	struct pmm_segment *seg;
	int err = check_free(addr, &seg);
	if (err != PMM_OK)
		return err;

	size_t index = pmm_index(seg, addr);
	if (seg->page_array[index].owner != owner)
		return PMM_ERR_OWNED;
	size_t count = seg->page_array[index].count;
	seg->page_array[index].state = PMM_PAGE_INSIDE;
	seg->page_array[index].count = 0;
	seg->page_array[index].owner = PMM_OWNER_ANYONE;
	pmm_free_range(seg, index, index + count);
	if (pages)
		*pages = count;
	return PMM_OK;
}

int pmm_free(uintptr_t addr, size_t *pages)
{
	return pmm_free_owned(addr, PMM_OWNER_ANYONE, pages);
}

int pmm_free_page(uintptr_t addr)
{
	struct pmm_segment *seg;
	int err = check_free(addr, &seg);
	if (err != PMM_OK)
		return err;
	if (seg->page_array[pmm_index(seg, addr)].count != 1)
		return PMM_ERR_NOT_SINGLE;
	return pmm_free(addr, NULL);
}
