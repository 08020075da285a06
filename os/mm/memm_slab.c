/**
 * @file memm_slab.c
 * @brief The slab allocator type: one page of equal objects.
 *
 * Layout of the page: the allocator object, a bitmap of objects in use,
 * then the objects. Each object is a struct memm_header followed by the
 * caller's bytes. Invariant: bit i of the bitmap is set exactly when object
 * i is handed out, and used == (bits set) * object_size.
 */
#include "memm_internal.h"
#include "pmm.h"
#include "kstring.h"
#include "lab.h"

#define BITMAP_WORDS 4 /* 256 bits: enough for 4096 / 32 objects */

struct slab {
	uint64_t in_use[BITMAP_WORDS];
	uintptr_t first;  /* address of object 0 */
	size_t capacity;  /* objects in the page */
};

size_t slab_class(size_t bytes)
{
	/* LAB kmalloc BEGIN */
	size_t need = bytes + sizeof(struct memm_header);
	for (size_t size = 32; size <= MEMM_SLAB_MAX; size *= 2)
		if (need <= size)
			return size;
	return 0;
	/* LAB kmalloc STUB slab_class
	(void)bytes;
	LAB_TODO("kmalloc", "slab_class");
	*/
	/* LAB kmalloc END */
}

static int bit(const struct slab *s, size_t i)
{
	return (s->in_use[i / 64] >> (i % 64)) & 1;
}

static void set_bit(struct slab *s, size_t i, int on)
{
	if (on)
		s->in_use[i / 64] |= (uint64_t)1 << (i % 64);
	else
		s->in_use[i / 64] &= ~((uint64_t)1 << (i % 64));
}
/** @brief A free object of slab allocator @p a (@p bytes fit its class); NULL if it is full. */
static void *slab_allocate(struct allocator *a, size_t bytes)
{
	/* LAB kmalloc BEGIN */
	struct slab *s = a->state;
	(void)bytes;
	for (size_t i = 0; i < s->capacity; i++) {
		if (bit(s, i))
			continue;
		set_bit(s, i, 1);
		a->used += a->object_size;
		a->full = a->used == s->capacity * a->object_size;
		return (void *)(s->first + i * a->object_size + sizeof(struct memm_header));
	}
	return NULL;
	/* LAB kmalloc STUB slab_allocate
	(void)a;
	(void)bytes;
	(void)bit;
	(void)set_bit;
	LAB_TODO("kmalloc", "slab_allocate");
	*/
	/* LAB kmalloc END */
}
/** @brief Give @p ptr back to slab allocator @p a; an error if it is not an object in use there. */
static int slab_free(struct allocator *a, void *ptr)
{
	/* LAB kmalloc BEGIN */
	struct slab *s = a->state;
	uintptr_t obj = (uintptr_t)ptr - sizeof(struct memm_header);
	if (obj < s->first || (obj - s->first) % a->object_size != 0 ||
	    (obj - s->first) / a->object_size >= s->capacity)
		return MEMM_ERR_NOT_BLOCK;
	size_t i = (obj - s->first) / a->object_size;
	if (!bit(s, i))
		return MEMM_ERR_FREE;
	set_bit(s, i, 0);
	a->used -= a->object_size;
	a->full = 0;
	return MEMM_OK;
	/* LAB kmalloc STUB slab_free
	(void)a;
	(void)ptr;
	LAB_TODO("kmalloc", "slab_free");
	*/
	/* LAB kmalloc END */
}

static size_t slab_pages(size_t bytes)
{
	(void)bytes;
	return 1;
}

static void slab_init(struct allocator *a, size_t object_size)
{
	uintptr_t base = (uintptr_t)a;
	struct slab *s = (struct slab *)(base + MEMM_OBJECT_SIZE);
	uintptr_t first = ((uintptr_t)(s + 1) + MEMM_ALIGN - 1) & ~(uintptr_t)(MEMM_ALIGN - 1);

	memset(s, 0, sizeof(*s));
	s->first = first;
	s->capacity = (base + a->pages * PMM_PAGE_SIZE - first) / object_size;
	a->object_size = object_size;
	a->size = s->capacity * object_size;
	a->state = s;
}

static size_t slab_check(const struct allocator *a)
{
	const struct slab *s = a->state;
	size_t count = 0, problems = 0;
	for (size_t i = 0; i < s->capacity; i++)
		count += (size_t)bit(s, i);
	for (size_t i = s->capacity; i < BITMAP_WORDS * 64; i++)
		problems += (size_t)bit(s, i);
	if (count * a->object_size != a->used)
		problems++;
	if (a->full != (count == s->capacity))
		problems++;
	for (size_t i = 0; i < s->capacity; i++) {
		const struct memm_header *h =
			(const struct memm_header *)(s->first + i * a->object_size);
		if (bit(s, i) && h->owner != a)
			problems++;
	}
	return problems;
}

const struct allocator_ops slab_ops = {
	.type = MEMM_SLAB,
	.pages_for = slab_pages,
	.init = slab_init,
	.allocate = slab_allocate,
	.free = slab_free,
	.check = slab_check,
};
