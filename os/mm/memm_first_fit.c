/**
 * @file memm_first_fit.c
 * @brief The first-fit allocator type: variable-size chunks in a run of pages.
 *
 * After the allocator object, the pages are tiled by chunks, each starting
 * with a struct chunk: its size (header included) and whether it is in use.
 * Free chunks are linked in address order. Allocation takes the first free
 * chunk that is large enough and splits off the rest; freeing merges a chunk
 * with free neighbours. Invariant: chunks tile the area exactly, no two free
 * chunks are adjacent, and used == sum of the sizes of chunks in use.
 */
#include "memm_internal.h"
#include "pmm.h"
#include "lab.h"

struct chunk {
	size_t size;          /* bytes, this header included */
	struct chunk *next;   /* next free chunk (free chunks only) */
	struct memm_header h; /* block header (chunks in use); owner is last */
};

#define CHUNK_HEADER sizeof(struct chunk)
#define MIN_CHUNK (CHUNK_HEADER + MEMM_ALIGN)
#define IN_USE ((size_t)1) /* low bit of size: the chunk is handed out */

struct first_fit {
	uintptr_t start, end; /* the chunk area */
	struct chunk *free;   /* free chunks by address */
};

static size_t chunk_size(const struct chunk *c)
{
	return c->size & ~IN_USE;
}

static size_t first_fit_pages(size_t bytes)
{
	size_t need = MEMM_OBJECT_SIZE + sizeof(struct first_fit) + MEMM_ALIGN + CHUNK_HEADER + bytes;
	size_t pages = (need + PMM_PAGE_SIZE - 1) / PMM_PAGE_SIZE;
	return pages < 16 ? 16 : pages; /* room for more than one request */
}

static void set_full(struct allocator *a)
{
	const struct first_fit *f = a->state;
	a->full = 1;
	for (const struct chunk *c = f->free; c; c = c->next)
		if (chunk_size(c) >= MIN_CHUNK)
			a->full = 0;
}
/** @brief The first free chunk of allocator @p a that holds @p bytes, split; NULL if none does. */
static void *first_fit_allocate(struct allocator *a, size_t bytes)
{
	/* LAB kmalloc BEGIN */
	struct first_fit *f = a->state;
	size_t need = (CHUNK_HEADER + bytes + MEMM_ALIGN - 1) & ~(size_t)(MEMM_ALIGN - 1);

	for (struct chunk **link = &f->free; *link; link = &(*link)->next) {
		struct chunk *c = *link;
		if (chunk_size(c) < need)
			continue;
		if (chunk_size(c) - need >= MIN_CHUNK) {
			/* Split: the tail stays free, in c's place on the list. */
			struct chunk *rest = (struct chunk *)((uintptr_t)c + need);
			rest->size = chunk_size(c) - need;
			rest->next = c->next;
			*link = rest;
			c->size = need;
		} else {
			*link = c->next;
		}
		c->size |= IN_USE;
		a->used += chunk_size(c);
		set_full(a);
		return (void *)(c + 1);
	}
	return NULL;
	/* LAB kmalloc STUB first_fit_allocate
	(void)a;
	(void)bytes;
	LAB_TODO("kmalloc", "first_fit_allocate");
	*/
	/* LAB kmalloc END */
}

/* The chunk whose block is at @ptr, found by walking the chunks (never by
 * trusting @ptr), or NULL. */
static struct chunk *chunk_of(const struct first_fit *f, void *ptr)
{
	for (uintptr_t p = f->start; p < f->end;) {
		struct chunk *c = (struct chunk *)p;
		if ((uintptr_t)(c + 1) == (uintptr_t)ptr)
			return c;
		if (chunk_size(c) == 0)
			return NULL;
		p += chunk_size(c);
	}
	return NULL;
}

static int first_fit_free(struct allocator *a, void *ptr)
{
	struct first_fit *f = a->state;
	struct chunk *c = chunk_of(f, ptr);
	if (c == NULL)
		return MEMM_ERR_NOT_BLOCK;
	if (!(c->size & IN_USE))
		return MEMM_ERR_FREE;
	c->size &= ~IN_USE;
	a->used -= c->size;

	/* Insert in address order, then merge with the neighbours. */
	struct chunk **link = &f->free;
	struct chunk *prev = NULL;
	while (*link && *link < c) {
		prev = *link;
		link = &(*link)->next;
	}
	c->next = *link;
	*link = c;
	if (c->next && (uintptr_t)c + c->size == (uintptr_t)c->next) {
		c->size += c->next->size;
		c->next = c->next->next;
	}
	if (prev && (uintptr_t)prev + prev->size == (uintptr_t)c) {
		prev->size += c->size;
		prev->next = c->next;
	}
	set_full(a);
	return MEMM_OK;
}

static void first_fit_init(struct allocator *a, size_t object_size)
{
	(void)object_size;
	uintptr_t base = (uintptr_t)a;
	struct first_fit *f = (struct first_fit *)(base + MEMM_OBJECT_SIZE);

	f->start = ((uintptr_t)(f + 1) + MEMM_ALIGN - 1) & ~(uintptr_t)(MEMM_ALIGN - 1);
	f->end = base + a->pages * PMM_PAGE_SIZE;
	f->free = (struct chunk *)f->start;
	f->free->size = f->end - f->start;
	f->free->next = NULL;
	a->object_size = 0;
	a->size = f->end - f->start;
	a->state = f;
}

static size_t first_fit_check(const struct allocator *a)
{
	const struct first_fit *f = a->state;
	const struct chunk *next_free = f->free;
	size_t used = 0, problems = 0;
	int prev_free = 0;
	uintptr_t p = f->start;

	while (p < f->end) {
		const struct chunk *c = (const struct chunk *)p;
		if (chunk_size(c) < MIN_CHUNK || p + chunk_size(c) > f->end)
			return problems + 1; /* cannot walk on */
		int is_free = !(c->size & IN_USE);
		if (is_free) {
			if (c != next_free || prev_free)
				problems++; /* not listed in order, or not merged */
			next_free = c->next;
		} else {
			used += chunk_size(c);
			if (c->h.owner != a)
				problems++;
		}
		prev_free = is_free;
		p += chunk_size(c);
	}
	if (p != f->end || next_free != NULL || used != a->used)
		problems++;
	return problems;
}

const struct allocator_ops first_fit_ops = {
	.type = MEMM_FIRST_FIT,
	.pages_for = first_fit_pages,
	.init = first_fit_init,
	.allocate = first_fit_allocate,
	.free = first_fit_free,
	.check = first_fit_check,
};
