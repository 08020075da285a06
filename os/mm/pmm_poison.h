/**
 * @file pmm_poison.h
 * @brief The poison pattern on free pages, for the buddy system (not a
 *        public API; pmm.h has the switch and the reports).
 */
#ifndef PAGODA_PMM_POISON_H
#define PAGODA_PMM_POISON_H

#include "pmm_segment.h"

/**
 * @brief With poisoning on, fill pages [first, last) with PMM_POISON_BYTE.
 * @return 1 if they were filled (the blocks made of them are poisoned)
 */
int pmm_poison_fill(struct pmm_segment *seg, size_t first, size_t last);

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
