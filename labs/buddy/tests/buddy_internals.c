/*
 * The student's os/mm/pmm_buddy.c and wrappers that make its static
 * functions callable from the host test (buddy_internals.h says why this
 * is a translation unit of its own).
 */
/* Included, pmm_buddy.c is no longer clang's main file, and clang then
 * warns that pmm_take_block, an inline function with external linkage,
 * calls a static one. That is C11's rule for an inline *definition*;
 * pmm_take_block is declared without inline in pmm_buddy.h, so its
 * definition is an external one and the call is allowed (compiled on its
 * own, pmm_buddy.c draws no such warning). */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wstatic-in-inline"
#endif
#include "../../../os/mm/pmm_buddy.c"
#include "buddy_internals.h"

uintptr_t lab_buddy_of(uintptr_t pfn, unsigned order)
{
	return buddy_of(pfn, order);
}

void lab_split(struct pmm_segment *seg, size_t index, unsigned have, unsigned order,
	       int poisoned)
{
	split(seg, index, have, order, poisoned);
}

void lab_merge(struct pmm_segment *seg, size_t index, unsigned order, int poisoned)
{
	merge(seg, index, order, poisoned);
}

void lab_add_free_block(struct pmm_segment *seg, size_t index, unsigned order, int at_back,
			int poisoned)
{
	add_free_block(seg, index, order, at_back, poisoned);
}

void lab_remove_free_block(struct pmm_segment *seg, size_t index, unsigned order)
{
	remove_free_block(seg, index, order);
}

void lab_make_head(struct pmm_segment *seg, size_t index, size_t pages, uintptr_t *addr)
{
	make_head(seg, index, pages, addr);
}
