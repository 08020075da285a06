/**
 * @file pmm_scattered.c
 * @brief Scattered allocation: n single pages, linked through their descriptors.
 *
 * The set's list runs through the descriptors' own link field, which an
 * allocated page does not otherwise use, so a set of any size costs its
 * caller only a struct pmm_set.
 */
#include "kassert.h"
#include "pmm_buddy.h"
#include "progress.h"

static struct pmm_page *page_of_node(const struct list_node *node)
{
	return list_entry(node, struct pmm_page, node);
}

uintptr_t pmm_set_address(const struct list_node *node)
{
	const struct pmm_page *page = page_of_node(node);
	for (unsigned i = 0; i < pmm.nr_segments; i++) {
		const struct pmm_segment *seg = &pmm.segments[i];
		if (page >= seg->page_array && page < seg->page_array + seg->pages)
			return pmm_addr(seg, (size_t)(page - seg->page_array));
	}
	return 0;
}

/* Free the set's pages from its head. With @interruptible, stop when the
 * progress handler says so: the pages not yet freed stay in the set. */
static int free_set_pages(struct pmm_set *set, size_t *pages, int interruptible)
{
	size_t freed = 0, total = set->count;
	int err = PMM_OK;

	while (!list_empty(&set->pages)) {
		if (interruptible && freed > 0 && freed % PROGRESS_EVERY == 0 &&
		    progress_report("free", freed, total)) {
			err = PMM_ERR_INTERRUPTED;
			break;
		}
		struct list_node *n = set->pages.next;
		uintptr_t addr = pmm_set_address(n);
		struct pmm_segment *seg = pmm_segment_of(addr);
		struct pmm_page *page = page_of_node(n);
		KASSERT(seg != NULL); /* pmm_free_scattered() checked the set */
		list_remove(n);
		page->state = PMM_PAGE_INSIDE;
		page->count = 0;
		size_t index = pmm_index(seg, addr);
		pmm_free_range(seg, index, index + 1);
		freed++;
	}
	set->count -= freed;
	if (pages)
		*pages = freed;
	return err;
}

static int alloc_scattered(size_t pages, struct pmm_set *set)
{
	if (pages == 0)
		return PMM_ERR_INVALID;
	/* All or nothing: a single page can be had while any page is free. */
	if (pages > pmm_free_page_count())
		return PMM_ERR_NO_MEMORY;

	list_init(&set->pages);
	set->count = 0;
	for (size_t i = 0; i < pages; i++) {
		struct pmm_segment *seg;
		size_t index;
		if (i > 0 && i % PROGRESS_EVERY == 0 && progress_report("alloc", i, pages)) {
			free_set_pages(set, NULL, 0);
			return PMM_ERR_INTERRUPTED;
		}
		/* Only poisoning can make this fail (it quarantines written
		 * pages): then give back what was taken. */
		if (pmm_take_block(0, &seg, &index) != PMM_OK) {
			free_set_pages(set, NULL, 0);
			return PMM_ERR_NO_MEMORY;
		}
		struct pmm_page *page = &seg->page_array[index];
		page->state = PMM_PAGE_SCATTERED;
		page->count = 1;
		list_push_back(&set->pages, &page->node);
		set->count++;
	}
	return PMM_OK;
}

static int free_scattered(struct pmm_set *set, size_t *pages)
{
	size_t seen = 0;

	/* Validate the whole set first so that a bad one changes nothing. */
	struct list_node *n;
	list_for_each(n, &set->pages) {
		if (++seen > set->count)
			return PMM_ERR_BAD_SET;
		uintptr_t addr = pmm_set_address(n);
		struct pmm_segment *seg = pmm_segment_of(addr);
		if (seg == NULL || page_of_node(n)->state != PMM_PAGE_SCATTERED)
			return PMM_ERR_BAD_SET;
	}
	if (seen != set->count)
		return PMM_ERR_BAD_SET;
	return free_set_pages(set, pages, 1);
}

/* The entry points: the whole set under pmm_lock, so another CPU sees it
 * taken or given back at once, never half. */
int pmm_alloc_scattered(size_t pages, struct pmm_set *set)
{
	spin_lock(&pmm_lock);
	int err = alloc_scattered(pages, set);
	spin_unlock(&pmm_lock);
	return err;
}

int pmm_free_scattered(struct pmm_set *set, size_t *pages)
{
	spin_lock(&pmm_lock);
	int err = free_scattered(set, pages);
	spin_unlock(&pmm_lock);
	return err;
}
