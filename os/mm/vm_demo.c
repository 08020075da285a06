/**
 * @file vm_demo.c
 * @brief Mappings a student makes from the shell, kept in their own window
 *        of the kernel's address space, away from the kernel's mappings.
 *
 * A mapping made with `auto` owns its pages (pmm holder PMM_HOLDER_MAPPING):
 * they cannot be freed with `free`, and go back to the page manager when
 * they are unmapped. A `lazy` one is only a reservation (vm_lazy.h) whose
 * pages arrive one by one, on their first access, owned the same way.
 *
 * Every request is checked whole before anything changes, including
 * whether the free pages suffice for it *and* for the page tables it needs,
 * so a request that cannot succeed is refused at once, for its real reason.
 */
#include "kassert.h"
#include "pmm.h"
#include "progress.h"
#include "kstring.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"

int vm_demo_contains(uintptr_t va, size_t pages)
{
	uintptr_t page = va & ~(VM_SIZE_4K - 1);
	/* Counted in pages from the window's end, so no size can overflow. */
	return page >= VM_DEMO_START && page < VM_DEMO_END &&
	       pages <= (VM_DEMO_END - page) / VM_SIZE_4K;
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

static void free_held_leaf(unsigned level, uintptr_t va, uintptr_t size, uint64_t raw, int leaf,
			   void *ctx)
{
	struct vm_entry e;
	(void)va;
	(void)ctx;
	if (!leaf || size != VM_SIZE_4K)
		return;
	vm_entry_decode(raw, level, &e);
	pmm_free_held(e.address, PMM_HOLDER_MAPPING, NULL); /* if it owns it */
}

/* Give back the pages [va, end) maps that a mapping owns (4 KiB leaves;
 * a large leaf maps memory the page manager does not manage). Their
 * leaves stay until the caller unmaps the range. One visit of the tables,
 * not a walk per page: undoing a long map after Ctrl-C must be quick. */
static void free_held_pages(uintptr_t va, uintptr_t end)
{
	vm_visit(&kernel_space, va, end, free_held_leaf, NULL);
}

/* Undo the first @count pages of an auto mapping: all are mapped. One
 * vm_unmap() for them all prunes each table once. */
static void undo_auto(uintptr_t va, size_t count)
{
	if (count == 0)
		return;
	free_held_pages(va, va + count * VM_SIZE_4K);
	vm_unmap(&kernel_space, va, count * VM_SIZE_4K);
}

size_t vm_demo_pages_needed(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa,
			    size_t *tables)
{
	uintptr_t size = pages * VM_SIZE_4K;
	/* Auto pages are mapped one 4 KiB leaf each, wherever they are. */
	*tables = vm_tables_needed(&kernel_space, va, pa, size, auto_pages ? VM_SIZE_4K : 0);
	return *tables + (auto_pages ? pages : 0);
}

static int check_request(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa,
			 unsigned flags)
{
	uintptr_t size = pages * VM_SIZE_4K;
	size_t tables;

	if (va & (VM_SIZE_4K - 1) || (!auto_pages && (pa & (VM_SIZE_4K - 1))))
		return VM_ERR_UNALIGNED;
	if (pages == 0 || !vm_demo_contains(va, pages))
		return VM_ERR_WINDOW;
	if (!auto_pages) {
		if (!vm_pa_fits(pa, size))
			return VM_ERR_PHYSICAL;
		if (managed(pa, size))
			return VM_ERR_MANAGED;
		/* A writable alias would let poke change the kernel behind W^X. */
		if ((flags & VM_WRITE) && pa < (uintptr_t)_kernel_end &&
		    (uintptr_t)_kernel_start < pa + size)
			return VM_ERR_KERNEL;
	}
	if (vm_first_mapped(&kernel_space, va, size) != UINTPTR_MAX)
		return VM_ERR_MAPPED;
	if (vm_lazy_overlaps(va, size))
		return VM_ERR_RESERVED;
	if (vm_demo_pages_needed(va, pages, auto_pages, pa, &tables) > pmm_free_page_count())
		return VM_ERR_NO_MEMORY;
	return VM_OK;
}

static int demo_map(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa, unsigned flags)
{
	int err = check_request(va, pages, auto_pages, pa, flags);
	if (err != VM_OK)
		return err;
	if (!auto_pages)
		return vm_map_largest(&kernel_space, va, pa, pages * VM_SIZE_4K, flags);

	for (size_t i = 0; i < pages; i++) {
		uintptr_t page;
		if (i % PROGRESS_EVERY == 0 && i > 0 && progress_report("map", i, pages)) {
			undo_auto(va, i);
			return VM_ERR_INTERRUPTED;
		}
		/* Both succeed: check_request() counted the pages and tables. */
		err = pmm_alloc_page(&page);
		if (err == PMM_OK) {
			KASSERT(pmm_set_holder(page, PMM_HOLDER_MAPPING) == PMM_OK);
			/* Fresh pages start as zeros, never as someone's old data. */
			memset((void *)page, 0, VM_SIZE_4K);
			err = vm_map(&kernel_space, va + i * VM_SIZE_4K, page, VM_SIZE_4K, flags,
				     VM_SIZE_4K);
			if (err != VM_OK)
				KASSERT(pmm_free_held(page, PMM_HOLDER_MAPPING, NULL) == PMM_OK);
		}
		if (err != VM_OK) {
			undo_auto(va, i);
			return VM_ERR_NO_MEMORY;
		}
	}
	return VM_OK;
}

static int demo_reserve(uintptr_t va, size_t pages, unsigned flags)
{
	if (va & (VM_SIZE_4K - 1))
		return VM_ERR_UNALIGNED;
	if (pages == 0 || !vm_demo_contains(va, pages))
		return VM_ERR_WINDOW;
	return vm_lazy_reserve(va, pages, flags);
}

/* The end of the piece of an unmap that starts at @p: a whole reservation
 * (its present pages are 4 KiB leaves inside it), or one leaf. */
static uintptr_t piece_end(uintptr_t p)
{
	struct vm_lazy_range r;
	struct vm_walk walk;
	if (vm_lazy_find(p, &r))
		return r.va + r.pages * VM_SIZE_4K;
	vm_translate(&kernel_space, p, &walk);
	return p + walk.size;
}

/* Every page of [va, va + size) mapped or reserved, by leaves and
 * reservations inside the range? The first page that is not (or whose
 * leaf or reservation sticks out) goes to *where. Nothing is unmapped
 * yet, so its progress reports say 0 of @pages done. */
static int check_unmap(uintptr_t va, uintptr_t size, uintptr_t *where)
{
	uintptr_t next_report = va + PROGRESS_EVERY * VM_SIZE_4K;
	for (uintptr_t p = va; p < va + size;) {
		struct vm_lazy_range r;
		struct vm_walk walk;
		*where = p;
		if (p >= next_report) {
			next_report = p + PROGRESS_EVERY * VM_SIZE_4K;
			if (progress_report("unmap", 0, size / VM_SIZE_4K))
				return VM_ERR_INTERRUPTED;
		}
		if (vm_lazy_find(p, &r)) {
			if (r.va != p || r.va + r.pages * VM_SIZE_4K > va + size)
				return VM_ERR_RESERVED;
			p = r.va + r.pages * VM_SIZE_4K;
		} else if (vm_translate(&kernel_space, p, &walk) != VM_OK) {
			return VM_ERR_NOT_MAPPED;
		} else if ((p & (walk.size - 1)) || p + walk.size > va + size) {
			return VM_ERR_LARGE_PAGE;
		} else {
			p += walk.size;
		}
	}
	return VM_OK;
}

/* Unmap [start, end), whole leaves and reservations: every run of mapped
 * pages (giving back the pages a mapping owns), then the reservations. */
static void remove_range(uintptr_t start, uintptr_t end)
{
	uintptr_t p = vm_first_mapped(&kernel_space, start, end - start);
	while (p < end) {
		uintptr_t run = p;
		struct vm_walk walk;
		while (run < end && vm_translate(&kernel_space, run, &walk) == VM_OK)
			run += walk.size;
		free_held_pages(p, run);
		vm_unmap(&kernel_space, p, run - p);
		p = run < end ? vm_first_mapped(&kernel_space, run, end - run) : end;
	}
	vm_lazy_release(start, end - start);
}

static int demo_unmap(uintptr_t va, size_t pages, uintptr_t *where, size_t *done)
{
	*where = va;
	*done = 0;
	if (va & (VM_SIZE_4K - 1))
		return VM_ERR_UNALIGNED;
	if (pages == 0 || !vm_demo_contains(va, pages))
		return VM_ERR_WINDOW;
	uintptr_t size = pages * VM_SIZE_4K;
	int err = check_unmap(va, size, where);
	if (err == VM_ERR_INTERRUPTED)
		*where = va;
	if (err != VM_OK)
		return err;
	/* In chunks of about PROGRESS_EVERY pages (whole leaves, whole
	 * reservations), with a progress report between two: stopped there,
	 * the pages before the chunk are unmapped and the rest still mapped. */
	for (uintptr_t p = va; p < va + size;) {
		*done = (p - va) / VM_SIZE_4K;
		if (p > va && progress_report("unmap", *done, pages)) {
			*where = p;
			return VM_ERR_INTERRUPTED;
		}
		uintptr_t start = p;
		while (p < va + size && p - start < PROGRESS_EVERY * VM_SIZE_4K)
			p = piece_end(p);
		remove_range(start, p);
	}
	*done = pages;
	return VM_OK;
}

/* The entry points: each under vm_lock, as another CPU may be changing the
 * kernel's page tables too (stress -j, each CPU in windows of its own). */
int vm_demo_map(uintptr_t va, size_t pages, int auto_pages, uintptr_t pa, unsigned flags)
{
	spin_lock(&vm_lock);
	int err = demo_map(va, pages, auto_pages, pa, flags);
	spin_unlock(&vm_lock);
	return err;
}

int vm_demo_reserve(uintptr_t va, size_t pages, unsigned flags)
{
	spin_lock(&vm_lock);
	int err = demo_reserve(va, pages, flags);
	spin_unlock(&vm_lock);
	return err;
}

int vm_demo_unmap(uintptr_t va, size_t pages, uintptr_t *where, size_t *done)
{
	spin_lock(&vm_lock);
	int err = demo_unmap(va, pages, where, done);
	spin_unlock(&vm_lock);
	return err;
}
