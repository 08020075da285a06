/**
 * @file memm_internal.h
 * @brief Shared inside os/mm/memm*.c: the allocator types' constructors.
 */
#ifndef PAGODA_MEMM_INTERNAL_H
#define PAGODA_MEMM_INTERNAL_H

#include "memm.h"

#define MEMM_ALIGN 16 /**< every block is 16-byte aligned */

/** @brief Size of the allocator object at the start of its pages, rounded up. */
#define MEMM_OBJECT_SIZE ((sizeof(struct allocator) + 63) & ~(size_t)63)

/** @brief Make a slab allocator of @p object_size objects in the page at @p base. */
void slab_init(struct allocator *a, size_t object_size);

/** @brief Make a first-fit allocator over its @p a->pages pages. */
void first_fit_init(struct allocator *a);

/** @brief Check one allocator's own books; returns the problems found. */
size_t slab_check(const struct allocator *a);
/** @brief As slab_check(), for a first-fit allocator. */
size_t first_fit_check(const struct allocator *a);

/** @brief The smallest slab object size (header included) holding @p bytes, or 0. */
size_t slab_class(size_t bytes);

/** @brief Pages a first-fit allocator needs to hold one block of @p bytes. */
size_t first_fit_pages(size_t bytes);

#endif
