/**
 * @file memm.h
 * @brief Allocator objects, the allocator tree, and kmalloc/kfree.
 *
 * An allocator object lives at the start of a run of pages taken from the
 * page manager (holder PMM_HOLDER_ALLOCATOR) and hands out pieces of the rest
 * of them. It records its type, its owner pid (0 = the kernel), its size,
 * the bytes in use and whether it is full, and points to the functions of
 * its type. Two types:
 *
 * - **slab**: one page cut into equal objects of a size class (32 .. 2048
 *   bytes with the header); a bitmap says which are in use;
 * - **first fit**: a run of pages with a list of variable-size chunks, the
 *   first large enough one is split; neighbours merge on free.
 *
 * Every allocator is kept in a binary search tree ordered by address: the
 * allocator tree. Each block handed out is preceded by a header that ends
 * with a pointer to its allocator (as in the course's memm.h); kfree() first
 * finds the allocator holding the address in the tree, and only then
 * believes the header. An allocator left empty is destroyed at once and its
 * pages go back to the page manager.
 */
#ifndef PAGODA_MEMM_H
#define PAGODA_MEMM_H

#include <stddef.h>
#include <stdint.h>

#define MEMM_SLAB_MAX 2048                /**< largest slab object, header included */
#define MEMM_MAX_BYTES ((size_t)16 << 20) /**< largest kmalloc request */

/** @brief Allocator types. */
enum memm_type {
	MEMM_SLAB = 1,       /**< equal objects of one size class */
	MEMM_FIRST_FIT = 2,  /**< variable-size chunks, first fit */
};

/** @brief Results of memm calls: 0 for success, a negative value otherwise. */
enum memm_error {
	MEMM_OK = 0,
	MEMM_ERR_SIZE = -1,       /**< zero bytes, or more than MEMM_MAX_BYTES */
	MEMM_ERR_NO_MEMORY = -2,  /**< the page manager has no pages for it */
	MEMM_ERR_NOT_OURS = -3,   /**< the address is in no allocator */
	MEMM_ERR_NOT_BLOCK = -4,  /**< inside an allocator but not a block kmalloc returned */
	MEMM_ERR_FREE = -5,       /**< the block is already free */
};

struct allocator;
struct allocator_ops;

/** @brief The header just before every block handed out. */
struct memm_header {
	size_t bytes;                /**< bytes asked for */
	struct allocator *owner;     /**< the allocator it came from: last, next to the block */
};

/** @brief An allocator object (it sits at the start of its own pages). */
struct allocator {
	unsigned type;          /**< an enum ::memm_type */
	unsigned pid;           /**< owner process; 0 = the kernel */
	size_t pages;           /**< pages it occupies, itself included */
	size_t size;            /**< bytes it can hand out (pages minus its own header) */
	size_t used;            /**< bytes handed out and not freed (headers included) */
	int full;               /**< no request of its kind would fit any more */
	size_t object_size;     /**< slab: size of every object, header included */
	const struct allocator_ops *ops; /**< the functions of its type (memm_internal.h) */
	struct allocator *left;   /**< tree: allocators at lower addresses */
	struct allocator *right;  /**< tree: allocators at higher addresses */
	struct allocator *parent; /**< tree: NULL for the root */
	void *state;             /**< type-specific: slab bitmap / first-fit free list */
};

/** @brief Allocate @p bytes for the kernel (pid 0). */
int kmalloc(size_t bytes, void **ptr);

/** @brief Allocate @p bytes for process @p pid (its own allocators). */
int kmalloc_pid(size_t bytes, unsigned pid, void **ptr);

/**
 * @brief Free a block that kmalloc returned.
 * @param ptr the address kmalloc returned
 * @param bytes if not NULL, receives the size that was asked for
 */
int kfree(void *ptr, size_t *bytes);

/**
 * @brief Call @p fn for every allocator, in address order (an in-order walk
 *        that follows parent links, so it needs no stack however unbalanced
 *        the tree is).
 */
void memm_for_each(void (*fn)(const struct allocator *a, void *ctx), void *ctx);

/** @brief The root of the allocator tree (NULL when there is none). */
const struct allocator *memm_root(void);

/**
 * @brief Check the tree (ordered, no overlaps) and every allocator's books.
 * @return the number of problems found (0 when all is well)
 */
size_t memm_check(void);

/** @brief A short English description of a ::memm_error. */
const char *memm_strerror(int error);

/** @brief "slab" or "first-fit". */
const char *memm_type_name(unsigned type);

#endif
