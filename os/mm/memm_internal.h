/**
 * @file memm_internal.h
 * @brief Shared inside os/mm/memm*.c: what each allocator type provides (struct allocator_ops).
 */
#ifndef PAGODA_MEMM_INTERNAL_H
#define PAGODA_MEMM_INTERNAL_H

#include "memm.h"
#include "spinlock.h"

#define MEMM_ALIGN 16 /**< every block is 16-byte aligned */

/** @brief Size of the allocator object at the start of its pages, rounded up. */
#define MEMM_OBJECT_SIZE ((sizeof(struct allocator) + 63) & ~(size_t)63)

/**
 * @brief One allocator type: what every allocator of that type does the
 *        same way. memm.c calls only these, never asks for the type.
 */
struct allocator_ops {
	enum memm_type type; /**< recorded in each allocator, for the shell */
	/** Pages a new allocator needs to hold one block of @p bytes. */
	size_t (*pages_for)(size_t bytes);
	/** Lay out a new allocator over its a->pages pages (@p object_size: slab only). */
	void (*init)(struct allocator *a, size_t object_size);
	/** Hand out a block for @p bytes; NULL if it does not fit. */
	void *(*allocate)(struct allocator *a, size_t bytes);
	/** Take back the block at @p ptr; MEMM_OK or why not. */
	int (*free)(struct allocator *a, void *ptr);
	/** Check the allocator's own books; returns the problems found. */
	size_t (*check)(const struct allocator *a);
};

/** @brief Slab allocators: one page of equal objects (memm_slab.c). */
extern const struct allocator_ops slab_ops;

/** @brief First-fit allocators: runs of pages, variable chunks (memm_first_fit.c). */
extern const struct allocator_ops first_fit_ops;

/** @brief The smallest slab object size (header included) holding @p bytes, or 0. */
size_t slab_class(size_t bytes);

#endif
