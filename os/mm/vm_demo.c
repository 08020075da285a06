/**
 * @file vm_demo.c
 * @brief Mappings a student makes from the shell, kept in their own window
 *        of the kernel's address space, away from the kernel's mappings.
 *
 * A mapping made with `auto` owns its pages (pmm owner PMM_OWNER_MAPPING):
 * they cannot be freed with `free`, and go back to the page manager when
 * they are unmapped.
 */
#include "pmm.h"
#include "string.h"
#include "vm.h"
#include "vm_kernel.h"

extern char _kernel_start[], _kernel_end[];

static int in_window(uintptr_t va, size_t pages)
{
	return va >= VM_DEMO_START && va < VM_DEMO_END &&
	       pages <= (VM_DEMO_END - va) / VM_SIZE_4K;
}

/* Does [pa, pa + size) touch memory the page manager manages? */
static int managed(uintptr_t pa, uintptr_t size)
{
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		struct pmm_segment_info info;
		pmm_segment_info(i, &info);
		if (pa < info.end && info.array_start < pa + size)
			return 1;
	}
	return 0;
}

/* Give back pages [0, count) of an auto mapping that were allocated. */
static void free_pages(uintptr_t va, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct vm_walk walk;
		if (vm_translate(&kernel_space, va + i * VM_SIZE_4K, &walk) == VM_OK)
			pmm_free_owned(walk.pa, PMM_OWNER_MAPPING, NULL);
	}
}

int vm_demo_map(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa, unsigned flags)
{
	if (va & (VM_SIZE_4K - 1) || (!auto_pages && (pa & (VM_SIZE_4K - 1))))
		return VM_ERR_UNALIGNED;
	if (pages == 0 || !in_window(va, pages))
		return VM_ERR_WINDOW;
	uintptr_t size = pages * VM_SIZE_4K;
	if (!auto_pages) {
		if (managed(pa, size))
			return VM_ERR_MANAGED;
		/* A writable alias would let poke change the kernel behind W^X. */
		if ((flags & VM_WRITE) && pa < (uintptr_t)_kernel_end &&
		    (uintptr_t)_kernel_start < pa + size)
			return VM_ERR_KERNEL;
		return vm_map_largest(&kernel_space, va, pa, size, flags);
	}

	/* Refuse before taking any page if anything is mapped there. */
	for (size_t i = 0; i < pages; i++) {
		struct vm_walk walk;
		vm_translate(&kernel_space, va + i * VM_SIZE_4K, &walk);
		if (walk.mapped)
			return VM_ERR_MAPPED;
	}
	if (pmm_free_pages() < pages)
		return VM_ERR_NO_MEMORY;
	for (size_t i = 0; i < pages; i++) {
		uintptr_t page;
		int err = pmm_alloc_page(&page);
		if (err == PMM_OK) {
			pmm_set_owner(page, PMM_OWNER_MAPPING);
			/* Fresh pages start as zeros, never as someone's old data. */
			memset((void *)page, 0, VM_SIZE_4K);
			err = vm_map(&kernel_space, va + i * VM_SIZE_4K, page, VM_SIZE_4K, flags,
				     VM_SIZE_4K);
			if (err != VM_OK)
				pmm_free_owned(page, PMM_OWNER_MAPPING, NULL);
		}
		if (err != VM_OK) {
			/* Out of pages for tables: undo the pages mapped so far. */
			free_pages(va, i);
			if (i > 0)
				vm_unmap(&kernel_space, va, i * VM_SIZE_4K);
			return VM_ERR_NO_MEMORY;
		}
	}
	return VM_OK;
}

int vm_demo_unmap(uintptr_t va, size_t pages)
{
	if (va & (VM_SIZE_4K - 1))
		return VM_ERR_UNALIGNED;
	if (pages == 0 || !in_window(va, pages))
		return VM_ERR_WINDOW;
	uintptr_t size = pages * VM_SIZE_4K;
	/* Check it all first (vm_unmap would refuse too, but then the owned
	 * pages must still be freed page by page afterwards). */
	for (uintptr_t p = va; p < va + size;) {
		struct vm_walk walk;
		if (vm_translate(&kernel_space, p, &walk) != VM_OK)
			return VM_ERR_NOT_MAPPED;
		if ((p & (walk.size - 1)) || p + walk.size > va + size)
			return VM_ERR_LARGE_PAGE;
		p += walk.size;
	}
	for (uintptr_t p = va; p < va + size;) {
		struct vm_walk walk;
		vm_translate(&kernel_space, p, &walk);
		vm_unmap(&kernel_space, p, walk.size);
		if (walk.size == VM_SIZE_4K)
			pmm_free_owned(walk.pa, PMM_OWNER_MAPPING, NULL); /* if it owns it */
		p += walk.size;
	}
	return VM_OK;
}
