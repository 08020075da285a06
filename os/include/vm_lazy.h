/**
 * @file vm_lazy.h
 * @brief Demand paging: window pages reserved now, given memory on their
 *        first access.
 *
 * `map <va> <n> lazy` records a *reservation* (a range of pages and the
 * flags they will have) and allocates nothing: no page, no page table.
 * The first read or write of a reserved page faults, because nothing maps
 * it; the fault handler (os/kernel/fault.c) asks vm_lazy_fault() whether
 * the address is reserved. If it is, vm_lazy_fault() takes a page from the
 * page manager, zeroes it, maps it with the reservation's flags, and the
 * machine runs the faulting instruction again, which now succeeds. The
 * command that touched the page never knows it faulted.
 *
 * A reserved page is *present* once it has its page (a 4 KiB leaf in the
 * kernel's page tables, owned like an `auto` page: holder
 * PMM_HOLDER_MAPPING) and *absent* before. Unmapping a reservation frees
 * its present pages and forgets it.
 *
 * The reservations live in a small table here, not in the page tables, so
 * reserving really takes no memory at all.
 */
#ifndef PAGODA_VM_LAZY_H
#define PAGODA_VM_LAZY_H

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

#define VM_LAZY_MAX 16 /**< reservations that may exist at once */

/** @brief One reservation: @p pages pages from @p va, to be mapped with @p flags. */
struct vm_lazy_range {
	uintptr_t va;   /**< first page (page aligned) */
	size_t pages;   /**< how many pages (at least 1) */
	unsigned flags; /**< VM_* flags each page gets when it is mapped */
};

/** @brief Forget every reservation (the kernel starts with none; host tests
 *         call it with vm_init()). Present pages are not freed. */
void vm_lazy_init(void);

/**
 * @brief Reserve @p pages pages at @p va in the kernel space, to be mapped
 *        with @p flags on first access. Allocates nothing.
 * @return VM_OK; VM_ERR_UNALIGNED (va not page aligned), VM_ERR_RANGE
 *         (pages 0, or the range wraps), VM_ERR_MAPPED (part of the range is
 *         mapped), VM_ERR_RESERVED (part of it is reserved already) or
 *         VM_ERR_TOO_MANY (all VM_LAZY_MAX reservations are in use); on an
 *         error nothing changed. The window is the caller's to check
 *         (vm_demo_reserve()).
 */
int vm_lazy_reserve(uintptr_t va, size_t pages, unsigned flags);

/**
 * @brief The reservation holding @p va, if any.
 * @return 1 and the reservation in *@p out (may be NULL), or 0 if @p va is
 *         not reserved
 */
int vm_lazy_find(uintptr_t va, struct vm_lazy_range *out);

/** @brief Does any reservation meet [va, va + size)? */
int vm_lazy_overlaps(uintptr_t va, uintptr_t size);

/**
 * @brief The @p i-th reservation in address order (for `pt`).
 * @return 1 with *@p out filled, or 0 when there are fewer than i + 1
 */
int vm_lazy_get(size_t i, struct vm_lazy_range *out);

/**
 * @brief Forget every reservation that lies wholly inside [va, va + size).
 *        Their present pages must already be unmapped (vm_demo_unmap()
 *        does both).
 */
void vm_lazy_release(uintptr_t va, uintptr_t size);

/**
 * @brief Pages of every reservation (*@p pages), and how many of them
 *        are present (*@p present), counted from the page tables.
 */
void vm_lazy_count(size_t *pages, size_t *present);

/**
 * @brief Pages the page manager must give to make @p va's page present:
 *        the page and its page tables (also in *@p tables).
 */
size_t vm_lazy_pages_needed(uintptr_t va, size_t *tables);

/**
 * @brief The fault side of demand paging: the fault handler calls it with
 *        a page fault's address and access.
 *
 * If @p addr lies in a reservation whose flags allow @p access and its page
 * is absent, take a page from the page manager (holder PMM_HOLDER_MAPPING),
 * fill it with zeros, map it at @p addr's page with the reservation's
 * flags, and forget any translation the TLB may have cached for it.
 * @return VM_OK when the page is now mapped (the faulting access may run
 *         again); VM_ERR_NOT_MAPPED when the fault is not one this file
 *         resolves (no reservation, an access its flags forbid, or a page
 *         already present); VM_ERR_NO_MEMORY when the page manager lacks
 *         the page or its page tables (then nothing changed)
 */
int vm_lazy_fault(uintptr_t addr, enum fault_access access);

#endif
