/**
 * @file vm_lazy.c
 * @brief Demand paging: the table of reservations, and the fault side that
 *        gives a reserved page its memory on first access (see vm_lazy.h).
 *
 * Reservations are kept sorted by address and never overlap each other or
 * a mapping, so "is this address reserved?" is one look through at most
 * VM_LAZY_MAX entries, and a page inside a reservation is mapped only by a
 * 4 KiB leaf that vm_lazy_fault() made.
 */
#include "kstring.h"
#include "lab.h"
#include "pmm.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"

static struct vm_lazy_range reserved[VM_LAZY_MAX];
static size_t nr_reserved;

void vm_lazy_init(void)
{
	nr_reserved = 0;
}

static uintptr_t end_of(const struct vm_lazy_range *r)
{
	return r->va + r->pages * VM_SIZE_4K;
}

int vm_lazy_find(uintptr_t va, struct vm_lazy_range *out)
{
	for (size_t i = 0; i < nr_reserved; i++) {
		if (va >= reserved[i].va && va < end_of(&reserved[i])) {
			if (out)
				*out = reserved[i];
			return 1;
		}
	}
	return 0;
}

int vm_lazy_overlaps(uintptr_t va, uintptr_t size)
{
	for (size_t i = 0; i < nr_reserved; i++)
		if (va < end_of(&reserved[i]) && reserved[i].va < va + size)
			return 1;
	return 0;
}

int vm_lazy_get(size_t i, struct vm_lazy_range *out)
{
	if (i >= nr_reserved)
		return 0;
	*out = reserved[i];
	return 1;
}

int vm_lazy_reserve(uintptr_t va, size_t pages, unsigned flags)
{
	if (va & (VM_SIZE_4K - 1))
		return VM_ERR_UNALIGNED;
	/* Counted in pages, so a huge count cannot overflow the size. */
	if (pages == 0 || pages > (UINTPTR_MAX - va) / VM_SIZE_4K)
		return VM_ERR_RANGE;
	uintptr_t size = pages * VM_SIZE_4K;
	if (vm_first_mapped(&kernel_space, va, size) != UINTPTR_MAX)
		return VM_ERR_MAPPED;
	if (vm_lazy_overlaps(va, size))
		return VM_ERR_RESERVED;
	if (nr_reserved == VM_LAZY_MAX)
		return VM_ERR_TOO_MANY;
	size_t at = 0;
	while (at < nr_reserved && reserved[at].va < va)
		at++;
	memmove(&reserved[at + 1], &reserved[at], (nr_reserved - at) * sizeof(reserved[0]));
	reserved[at] = (struct vm_lazy_range){ va, pages, flags };
	nr_reserved++;
	return VM_OK;
}

void vm_lazy_release(uintptr_t va, uintptr_t size)
{
	size_t kept = 0;
	for (size_t i = 0; i < nr_reserved; i++) {
		if (reserved[i].va >= va && end_of(&reserved[i]) <= va + size)
			continue; /* wholly inside: forgotten */
		reserved[kept++] = reserved[i];
	}
	nr_reserved = kept;
}

/* LAB lazy BEGIN */
/* vm_visit() callback: count the leaves (each a present lazy page). */
static void count_leaf(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
		       void *ctx)
{
	(void)level;
	(void)va;
	(void)size;
	(void)entry;
	if (leaf)
		(*(size_t *)ctx)++;
}
/* LAB lazy END */

void vm_lazy_count(size_t *pages, size_t *present)
{
	/* LAB lazy BEGIN */
	*pages = 0;
	*present = 0;
	for (size_t i = 0; i < nr_reserved; i++) {
		*pages += reserved[i].pages;
		vm_visit(&kernel_space, reserved[i].va, end_of(&reserved[i]), count_leaf, present);
	}
	/* LAB lazy STUB vm_lazy_count
	if (nr_reserved != 0)
		LAB_TODO("lazy", "vm_lazy_count");
	*pages = *present = (size_t)0;
	*/
	/* LAB lazy END */
}

size_t vm_lazy_pages_needed(uintptr_t va, size_t *tables)
{
	uintptr_t page = va & ~(VM_SIZE_4K - 1);
	/* Any physical page will do: a 4 KiB leaf needs no alignment. */
	*tables = vm_tables_needed(&kernel_space, page, 0, VM_SIZE_4K, VM_SIZE_4K);
	return *tables + 1;
}

/** Do a reservation's @p flags allow @p access? */
static int allows(unsigned flags, enum fault_access access)
{
	/* LAB lazy BEGIN */
	switch (access) {
	case FAULT_READ: return (flags & VM_READ) != 0;
	case FAULT_WRITE: return (flags & VM_WRITE) != 0;
	case FAULT_EXECUTE: return (flags & VM_EXEC) != 0;
	}
	return 0; /* not reached: the machine reports only these three */
	/* LAB lazy STUB allows
	(void)flags;
	(void)access;
	LAB_TODO("lazy", "allows");
	*/
	/* LAB lazy END */
}

int vm_lazy_fault(uintptr_t addr, enum fault_access access)
{
	/* LAB lazy BEGIN */
	uintptr_t page = addr & ~(VM_SIZE_4K - 1), pa;
	struct vm_lazy_range r;
	struct vm_walk walk;
	size_t tables;

	if (!vm_lazy_find(page, &r) || !allows(r.flags, access))
		return VM_ERR_NOT_MAPPED;
	/* Present already: the fault was about something else. */
	if (vm_translate(&kernel_space, page, &walk) == VM_OK)
		return VM_ERR_NOT_MAPPED;
	/* Counted first, so a page without its tables is never half made. */
	if (vm_lazy_pages_needed(page, &tables) > pmm_free_page_count())
		return VM_ERR_NO_MEMORY;
	if (pmm_alloc_page(&pa) != PMM_OK) /* not after the count above, on one core */
		return VM_ERR_NO_MEMORY;
	pmm_set_holder(pa, PMM_HOLDER_MAPPING);
	/* A fresh page starts as zeros, never as someone's old data. */
	memset((void *)pa, 0, VM_SIZE_4K);
	int err = vm_map(&kernel_space, page, pa, VM_SIZE_4K, r.flags, VM_SIZE_4K);
	if (err != VM_OK) {
		pmm_free_held(pa, PMM_HOLDER_MAPPING, NULL);
		return err;
	}
	/* The machine may have cached "nothing here" for this page. */
	arch_tlb_flush(page);
	return VM_OK;
	/* LAB lazy STUB vm_lazy_fault
	(void)allows;
	if (!vm_lazy_find(addr, NULL))
		return VM_ERR_NOT_MAPPED;
	(void)access;
	LAB_TODO("lazy", "vm_lazy_fault");
	*/
	/* LAB lazy END */
}
