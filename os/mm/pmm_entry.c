/**
 * @file pmm_entry.c
 * @brief The page manager's entry points for contiguous and single pages:
 *        a single page goes through the running CPU's cache when the
 *        caches are on (pmm_pcp.c); everything else is the buddy system's
 *        (pmm_buddy.c), under pmm_lock.
 */
#include "pmm_buddy.h"
#include "pmm_pcp.h"
#include "spinlock.h"

int pmm_alloc_contiguous(size_t pages, uintptr_t *addr)
{
	if (pages == 1 && pmm_pcp_alloc(addr))
		return PMM_OK;
	spin_lock(&pmm_lock);
	int err = pmm_buddy_alloc(pages, addr);
	spin_unlock(&pmm_lock);
	return err;
}

int pmm_alloc_page(uintptr_t *addr)
{
	return pmm_alloc_contiguous(1, addr);
}

int pmm_set_holder(uintptr_t addr, enum pmm_holder holder)
{
	if (pmm_pcp_set_holder(addr, holder))
		return PMM_OK;
	spin_lock(&pmm_lock);
	int err = pmm_buddy_set_holder(addr, holder);
	spin_unlock(&pmm_lock);
	return err;
}

int pmm_free_held(uintptr_t addr, enum pmm_holder holder, size_t *pages)
{
	if (pmm_pcp_free(addr, holder)) {
		if (pages)
			*pages = 1;
		return PMM_OK;
	}
	spin_lock(&pmm_lock);
	int err = pmm_buddy_free(addr, holder, pages);
	spin_unlock(&pmm_lock);
	return err;
}

int pmm_free(uintptr_t addr, size_t *pages)
{
	return pmm_free_held(addr, PMM_HOLDER_ANYONE, pages);
}

int pmm_free_page(uintptr_t addr)
{
	if (pmm_pcp_free(addr, PMM_HOLDER_ANYONE))
		return PMM_OK;
	spin_lock(&pmm_lock);
	int err = pmm_buddy_free_page(addr);
	spin_unlock(&pmm_lock);
	return err;
}
