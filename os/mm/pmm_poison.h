/**
 * @file pmm_poison.h
 * @brief The poison pattern on free pages, for the buddy system (not a
 *        public API; pmm.h has the switch and the reports).
 */
#ifndef PAGODA_PMM_POISON_H
#define PAGODA_PMM_POISON_H

#include "pmm_segment.h"

/** @brief 1 while freed pages are poisoned (pmm_set_poison() sets it). */
extern int pmm_poisoning;

/**
 * @brief Make pmm.pcp_active follow pmm.caches_on and pmm_poisoning, after
 *        either changed: single pages bypass the caches while poisoning is
 *        on, as a cached page is never checked or filled.
 */
static inline void pmm_update_pcp_active(void)
{
	pmm.pcp_active = pmm.caches_on && !pmm_poisoning;
}

/** @brief Fill pages [first, last) with PMM_POISON_BYTE. */
void pmm_poison_fill_pages(struct pmm_segment *seg, size_t first, size_t last);

/**
 * @brief With poisoning on, fill pages [first, last) with PMM_POISON_BYTE.
 *        Inline, so that every free pays only a test while poisoning is off.
 * @return 1 if they were filled (the blocks made of them are poisoned)
 */
static inline int pmm_poison_fill(struct pmm_segment *seg, size_t first, size_t last)
{
	if (!pmm_poisoning)
		return 0;
	pmm_poison_fill_pages(seg, first, last);
	return 1;
}

/** @brief 1 if pages [first, last) all still hold the poison pattern. */
int pmm_poison_intact(const struct pmm_segment *seg, size_t first, size_t last);

/**
 * @brief If page @p index of a poisoned block was written after it was
 *        freed, quarantine it (a one-page allocation nobody may free) and
 *        keep a report.
 * @return 1 if it was written (and is now quarantined), 0 if intact
 */
int pmm_poison_quarantine(struct pmm_segment *seg, size_t index);

#endif
