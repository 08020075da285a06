/**
 * @file buddy_internals.h
 * @brief The static functions of os/mm/pmm_buddy.c that the buddy lab's
 *        host test calls one at a time, reached through
 *        buddy_internals.c.
 *
 * The test does not include the student's pmm_buddy.c itself: in its
 * translation unit the student's macros would rewrite the test, and the
 * student's code could name the test's own static functions. The student's
 * file is compiled with these wrappers alone (buddy_internals.c).
 */
#ifndef PAGODA_BUDDY_INTERNALS_H
#define PAGODA_BUDDY_INTERNALS_H

#include <stddef.h>
#include <stdint.h>

struct pmm_segment;

/** @brief pmm_buddy.c's buddy_of(). */
uintptr_t lab_buddy_of(uintptr_t pfn, unsigned order);
/** @brief pmm_buddy.c's split(). */
void lab_split(struct pmm_segment *seg, size_t index, unsigned have, unsigned order,
	       int poisoned);
/** @brief pmm_buddy.c's merge(). */
void lab_merge(struct pmm_segment *seg, size_t index, unsigned order, int poisoned);
/** @brief pmm_buddy.c's add_free_block() (given code). */
void lab_add_free_block(struct pmm_segment *seg, size_t index, unsigned order, int at_back,
			int poisoned);
/** @brief pmm_buddy.c's remove_free_block() (given code). */
void lab_remove_free_block(struct pmm_segment *seg, size_t index, unsigned order);
/** @brief pmm_buddy.c's make_head() (given code). */
void lab_make_head(struct pmm_segment *seg, size_t index, size_t pages, uintptr_t *addr);

#endif
