/**
 * @file pmm_entry.c
 * @brief The page manager's entry points for contiguous and single pages:
 *        a single page goes through the running CPU's cache when the
 *        caches are on (pmm_pcp.c); everything else is the buddy system's
 *        (pmm_buddy.c), under pmm_lock.
 *
 * Each locked path is a function of its own, never inlined: then an entry
 * point served by a cache need not save the registers the locked path
 * uses. On the host, where `make bench` counts it, a cached pair then sets
 * up no frame at all (in the kernels this_cpu() is a call, which needs one).
 */
#include "pmm_buddy.h"
#include "pmm_pcp.h"
#include "spinlock.h"

#define LOCKED_PATH __attribute__((noinline))

static LOCKED_PATH int alloc_locked(size_t pages, uintptr_t *addr)
{
	spin_lock(&pmm_lock);
	int err = pmm_buddy_alloc(pages, addr);
	spin_unlock(&pmm_lock);
	return err;
}

static LOCKED_PATH int set_holder_locked(uintptr_t addr, enum pmm_holder holder)
{
	spin_lock(&pmm_lock);
	int err = pmm_buddy_set_holder(addr, holder);
	spin_unlock(&pmm_lock);
	return err;
}

static LOCKED_PATH int free_locked(uintptr_t addr, enum pmm_holder holder, size_t *pages)
{
	spin_lock(&pmm_lock);
	int err = pmm_buddy_free(addr, holder, pages);
	spin_unlock(&pmm_lock);
	return err;
}

static LOCKED_PATH int free_page_locked(uintptr_t addr)
{
	spin_lock(&pmm_lock);
	int err = pmm_buddy_free_page(addr);
	spin_unlock(&pmm_lock);
	return err;
}

int pmm_alloc_contiguous(size_t pages, uintptr_t *addr)
{
	/* Not "pages == 1 && ...": then pages would have to outlive a refill's
	 * call, and the compiler saves it on entry, before the cache is even
	 * looked at. This way only a refill saves anything (addr). */
	if (pages != 1)
		return alloc_locked(pages, addr);
	if (pmm_pcp_alloc(addr))
		return PMM_OK;
	return alloc_locked(1, addr);
}

int pmm_alloc_page(uintptr_t *addr)
{
	return pmm_alloc_contiguous(1, addr);
}

int pmm_set_holder(uintptr_t addr, enum pmm_holder holder)
{
	if (pmm_pcp_set_holder(addr, holder))
		return PMM_OK;
	return set_holder_locked(addr, holder);
}

/* pmm_free_held()'s body, inline in pmm_free() too: a free is one call. */
static inline int free_held(uintptr_t addr, enum pmm_holder holder, size_t *pages)
{
	if (pmm_pcp_free(addr, holder)) {
		if (pages)
			*pages = 1;
		return PMM_OK;
	}
	return free_locked(addr, holder, pages);
}

int pmm_free_held(uintptr_t addr, enum pmm_holder holder, size_t *pages)
{
	return free_held(addr, holder, pages);
}

int pmm_free(uintptr_t addr, size_t *pages)
{
	return free_held(addr, PMM_HOLDER_ANYONE, pages);
}

int pmm_free_page(uintptr_t addr)
{
	if (pmm_pcp_free(addr, PMM_HOLDER_ANYONE))
		return PMM_OK;
	return free_page_locked(addr);
}
