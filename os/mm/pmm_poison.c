/**
 * @file pmm_poison.c
 * @brief Page poisoning: catch writes to pages after they were freed.
 *
 * While poisoning is on, pmm_free_range() fills the pages it frees with
 * PMM_POISON_BYTE and marks the free blocks it makes as poisoned; a merged
 * block is poisoned only if both halves were, and split halves inherit the
 * mark. So a poisoned block is one whose every byte should still be the
 * pattern. Before the buddy system hands one out it asks
 * pmm_poison_quarantine() about each page: any other byte means someone
 * wrote to freed memory.
 *
 * This file sits below the buddy system (it reads the free lists but never
 * splits or merges); the buddy system gives the good pages back.
 */
#include "pmm_buddy.h"
#include "pmm_poison.h"
#include "progress.h"

#define REPORTS 8 /* use-after-free reports kept until the shell prints them */
/* PMM_POISON_BYTE in every byte of a 64-bit word. */
#define POISON_WORD ((uint64_t)PMM_POISON_BYTE * 0x0101010101010101ull)

int pmm_poisoning;
static struct pmm_poison_report reports[REPORTS];
static unsigned nr_reports;
static size_t quarantined; /* pages ever put in quarantine */
static size_t unlisted;    /* of them, those no report had room for */

/* Mark every free block poisoned (filling what is not), or none. */
static int mark_free_blocks(int poisoned)
{
	size_t done = 0, next_report = PROGRESS_EVERY, total = pmm_free_page_count();
	for (unsigned s = 0; s < pmm.nr_segments; s++) {
		struct pmm_segment *seg = &pmm.segments[s];
		for (unsigned order = 0; order < PMM_NR_ORDERS; order++) {
			struct list_node *head = &seg->free_list[order];
			struct list_node *n;
			list_for_each(n, head) {
				struct pmm_page *page = list_entry(n, struct pmm_page, node);
				size_t index = (size_t)(page - seg->page_array);
				if (!poisoned)
					page->poisoned = 0;
				else if (!page->poisoned)
					page->poisoned = (uint8_t)pmm_poison_fill(
						seg, index, index + ((size_t)1 << order));
				done += (size_t)1 << order;
				if (poisoned && done >= next_report) {
					next_report += PROGRESS_EVERY;
					if (progress_report("poison", done, total))
						return PMM_ERR_INTERRUPTED;
				}
			}
		}
	}
	return PMM_OK;
}

int pmm_set_poison(int on)
{
	int err = PMM_OK;
	spin_lock(&pmm_lock);
	/* Off: forget the marks, so nothing is checked while off. On: fill
	 * every free page, so every free block is poisoned. */
	if ((on != 0) != pmm_poisoning) {
		pmm_poisoning = on != 0;
		err = mark_free_blocks(pmm_poisoning);
		if (err != PMM_OK) {
			pmm_poisoning = 0;
			mark_free_blocks(0);
		}
		pmm_update_pcp_active();
	}
	spin_unlock(&pmm_lock);
	return err;
}

size_t pmm_poison_quarantined(void)
{
	return quarantined;
}

int pmm_poison_enabled(void)
{
	return pmm_poisoning;
}

int pmm_poison_take_report(struct pmm_poison_report *report)
{
	if (nr_reports == 0)
		return 0;
	*report = reports[0];
	nr_reports--;
	for (unsigned i = 0; i < nr_reports; i++)
		reports[i] = reports[i + 1];
	return 1;
}

size_t pmm_poison_take_unlisted(void)
{
	size_t n = unlisted;
	unlisted = 0;
	return n;
}

void pmm_poison_fill_pages(struct pmm_segment *seg, size_t first, size_t last)
{
	uint64_t *word = (uint64_t *)pmm_addr(seg, first);
	uint64_t *end = (uint64_t *)pmm_addr(seg, last);
	while (word < end)
		*word++ = POISON_WORD;
}

/* The offset of the first byte of @page that is not the pattern, or -1. */
static long first_bad_byte(uintptr_t page)
{
	const uint64_t *words = (const uint64_t *)page;
	for (size_t i = 0; i < PMM_PAGE_SIZE / sizeof(uint64_t); i++) {
		if (words[i] == POISON_WORD)
			continue;
		const uint8_t *bytes = (const uint8_t *)&words[i];
		for (size_t b = 0; b < sizeof(uint64_t); b++)
			if (bytes[b] != PMM_POISON_BYTE)
				return (long)(i * sizeof(uint64_t) + b);
	}
	return -1;
}

int pmm_poison_intact(const struct pmm_segment *seg, size_t first, size_t last)
{
	for (size_t index = first; index < last; index++)
		if (first_bad_byte(pmm_addr(seg, index)) >= 0)
			return 0;
	return 1;
}

int pmm_poison_quarantine(struct pmm_segment *seg, size_t index)
{
	long offset = first_bad_byte(pmm_addr(seg, index));
	if (offset < 0)
		return 0;
	/* Quarantine: a one-page allocation that nobody may free. */
	struct pmm_page *page = &seg->page_array[index];
	page->state = PMM_PAGE_ALLOCATED;
	page->count = 1;
	page->holder = PMM_HOLDER_QUARANTINE;
	quarantined++;
	if (nr_reports < REPORTS)
		reports[nr_reports++] = (struct pmm_poison_report){ pmm_addr(seg, index),
								    (size_t)offset };
	else
		unlisted++;
	return 1;
}
