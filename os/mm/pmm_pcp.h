/**
 * @file pmm_pcp.h
 * @brief The page caches' fast paths, for the page manager's entry points
 *        (pmm_entry.c); the rest of their interface is in pmm.h.
 */
#ifndef PAGODA_PMM_PCP_H
#define PAGODA_PMM_PCP_H

#include "pmm.h"

/**
 * @brief A single page from the running CPU's cache, refilled first if it
 *        is empty. Takes pmm_lock only to refill.
 * @return 1 if served (the page in *@p addr); 0 if the caches are off (or
 *         poisoning is on) or the buddy lists had no page for a refill
 */
int pmm_pcp_alloc(uintptr_t *addr);

/**
 * @brief Put the one-page allocation at @p addr, held by @p holder, in the
 *        running CPU's cache, draining a batch if that takes it above
 *        PMM_PCP_HIGH.
 * @return 1 if taken; 0 if the caches are off or @p addr is not such an
 *         allocation (the locked path then frees it, or says why not)
 */
int pmm_pcp_free(uintptr_t addr, enum pmm_holder holder);

/**
 * @brief Make @p holder the holder of the running CPU's one-page allocation
 *        at @p addr, without the lock, as its owner alone writes it.
 * @return 1 if done; 0 if the caches are off or @p addr is not such an
 *         allocation (the locked path then does it, or says why not)
 */
int pmm_pcp_set_holder(uintptr_t addr, enum pmm_holder holder);

#endif
