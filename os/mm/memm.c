/**
 * @file memm.c
 * @brief kmalloc and kfree over the allocator tree.
 *
 * The tree is a plain (unbalanced) binary search tree of allocators ordered
 * by address. Invariant: every allocator in a node's left subtree lies
 * wholly below it, every one in its right subtree wholly above it.
 */
#include "kassert.h"
#include "memm_internal.h"
#include "pmm.h"
#include "lab.h"

static struct allocator *root;

const struct allocator *memm_root(void)
{
	return root;
}

static uintptr_t start_of(const struct allocator *a)
{
	return (uintptr_t)a;
}

static uintptr_t end_of(const struct allocator *a)
{
	return (uintptr_t)a + a->pages * PMM_PAGE_SIZE;
}

static struct allocator *leftmost(struct allocator *a)
{
	while (a && a->left)
		a = a->left;
	return a;
}

/* The next allocator by address: no recursion, so no stack to run out of
 * when the tree is a long chain (addresses often come in rising order). */
static struct allocator *successor(struct allocator *a)
{
	if (a->right)
		return leftmost(a->right);
	while (a->parent && a == a->parent->right)
		a = a->parent;
	return a->parent;
}

static void tree_insert(struct allocator *a)
{
	struct allocator **link = &root, *parent = NULL;
	while (*link) {
		parent = *link;
		link = start_of(a) < start_of(*link) ? &(*link)->left : &(*link)->right;
	}
	a->left = a->right = NULL;
	a->parent = parent;
	*link = a;
}

/* Put @new where @old hangs under @parent (or at the root). */
static void replace_child(struct allocator *parent, struct allocator *old, struct allocator *new)
{
	if (parent == NULL)
		root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static void tree_remove(struct allocator *a)
{
	if (a->left == NULL) {
		replace_child(a->parent, a, a->right);
	} else if (a->right == NULL) {
		replace_child(a->parent, a, a->left);
	} else {
		/* Two children: the next allocator by address takes a's place. */
		struct allocator *next = leftmost(a->right);
		if (next->parent != a) {
			replace_child(next->parent, next, next->right);
			next->right = a->right;
			next->right->parent = next;
		}
		replace_child(a->parent, a, next);
		next->left = a->left;
		next->left->parent = next;
	}
}

/** The allocator whose pages hold @p addr, or NULL: reads only tree nodes. */
static struct allocator *tree_find(uintptr_t addr)
{
	/* LAB kmalloc BEGIN */
	struct allocator *a = root;
	while (a) {
		if (addr < start_of(a))
			a = a->left;
		else if (addr >= end_of(a))
			a = a->right;
		else
			return a;
	}
	return NULL;
	/* LAB kmalloc STUB tree_find
	(void)addr;
	LAB_TODO("kmalloc", "tree_find");
	*/
	/* LAB kmalloc END */
}

/* The lowest non-full allocator of this kind for @pid. */
static struct allocator *find_fit(const struct allocator_ops *ops, size_t object_size,
				  unsigned pid)
{
	for (struct allocator *a = leftmost(root); a; a = successor(a))
		if (a->ops == ops && a->pid == pid && !a->full && a->object_size == object_size)
			return a;
	return NULL;
}

static struct allocator *create(const struct allocator_ops *ops, size_t object_size,
				size_t bytes, unsigned pid)
{
	size_t pages = ops->pages_for(bytes);
	uintptr_t base;
	if (pmm_alloc_contiguous(pages, &base) != PMM_OK)
		return NULL;
	KASSERT(pmm_set_holder(base, PMM_HOLDER_ALLOCATOR) == PMM_OK);
	struct allocator *a = (struct allocator *)base;
	a->pid = pid;
	a->pages = pages;
	a->used = 0;
	a->full = 0;
	a->type = ops->type;
	a->ops = ops;
	ops->init(a, object_size);
	tree_insert(a);
	return a;
}

static void destroy(struct allocator *a)
{
	tree_remove(a);
	KASSERT(pmm_free_held((uintptr_t)a, PMM_HOLDER_ALLOCATOR, NULL) == PMM_OK);
}
/** @brief kmalloc_pid() with memm_lock held (the lab's "kmalloc_pid"). */
static int kmalloc_pid_unlocked(size_t bytes, unsigned pid, void **ptr)
{
	/* LAB kmalloc BEGIN */
	if (bytes == 0 || bytes > MEMM_MAX_BYTES)
		return MEMM_ERR_SIZE;
	size_t object_size = slab_class(bytes);
	const struct allocator_ops *ops = object_size ? &slab_ops : &first_fit_ops;

	/* The lowest allocator of this kind with room; a first-fit one may
	 * still have no chunk large enough, and then a new one is made. */
	void *block = NULL;
	struct allocator *a = find_fit(ops, object_size, pid);
	if (a)
		block = ops->allocate(a, bytes);
	if (block == NULL) {
		a = create(ops, object_size, bytes, pid);
		if (a == NULL)
			return MEMM_ERR_NO_MEMORY;
		block = ops->allocate(a, bytes);
	}
	KASSERT(block != NULL); /* a new allocator is made large enough */
	struct memm_header *h = (struct memm_header *)block - 1;
	h->bytes = bytes;
	h->owner = a;
	*ptr = block;
	return MEMM_OK;
	/* LAB kmalloc STUB kmalloc_pid
	(void)bytes;
	(void)pid;
	(void)ptr;
	(void)find_fit;
	(void)create;
	LAB_TODO("kmalloc", "kmalloc_pid");
	*/
	/* LAB kmalloc END */
}

int kmalloc(size_t bytes, void **ptr)
{
	return kmalloc_pid(bytes, 0, ptr);
}
/** @brief kfree() with memm_lock held (the lab's "kfree"). */
static int kfree_unlocked(void *ptr, size_t *bytes)
{
	/* LAB kmalloc BEGIN */
	struct allocator *a = tree_find((uintptr_t)ptr);
	if (a == NULL)
		return MEMM_ERR_NOT_OURS;
	/* Only now is the header inside a's pages, so safe to read; the
	 * allocator itself decides whether it is a live block. */
	if ((uintptr_t)ptr < start_of(a) + MEMM_OBJECT_SIZE + sizeof(struct memm_header) ||
	    (uintptr_t)ptr % MEMM_ALIGN)
		return MEMM_ERR_NOT_BLOCK;
	struct memm_header *h = (struct memm_header *)ptr - 1;
	size_t asked = h->bytes;
	if (h->owner != a)
		return MEMM_ERR_NOT_BLOCK;
	int err = a->ops->free(a, ptr);
	if (err != MEMM_OK)
		return err;
	if (bytes)
		*bytes = asked;
	if (a->used == 0)
		destroy(a);
	return MEMM_OK;
	/* LAB kmalloc STUB kfree
	(void)ptr;
	(void)bytes;
	(void)tree_find;
	(void)destroy;
	LAB_TODO("kmalloc", "kfree");
	*/
	/* LAB kmalloc END */
}

/*
 * The allocator tree's lock, held by every entry point below around the
 * code above (kmalloc_pid_unlocked() is what the kmalloc lab's section
 * "kmalloc_pid" means, kfree_unlocked() its "kfree"). It is taken before
 * pmm_lock, never after: kmalloc may ask the page manager for pages.
 */
static struct spinlock memm_lock = SPINLOCK_INIT("kmalloc");

int kmalloc_pid(size_t bytes, unsigned pid, void **ptr)
{
	spin_lock(&memm_lock);
	int err = kmalloc_pid_unlocked(bytes, pid, ptr);
	spin_unlock(&memm_lock);
	return err;
}

int kfree(void *ptr, size_t *bytes)
{
	spin_lock(&memm_lock);
	int err = kfree_unlocked(ptr, bytes);
	spin_unlock(&memm_lock);
	return err;
}

void memm_for_each(void (*fn)(const struct allocator *a, void *ctx), void *ctx)
{
	spin_lock(&memm_lock);
	for (struct allocator *a = leftmost(root); a; a = successor(a))
		fn(a, ctx);
	spin_unlock(&memm_lock);
}

struct check_state {
	uintptr_t last_end;
	size_t problems;
};

static void check_one(const struct allocator *a, void *ctx)
{
	struct check_state *c = ctx;
	/* In-order means ascending addresses with no overlap. */
	if (start_of(a) < c->last_end)
		c->problems++;
	c->last_end = end_of(a);
	/* Links agree both ways. */
	if ((a->parent == NULL) != (a == root) ||
	    (a->parent && a->parent->left != a && a->parent->right != a) ||
	    (a->left && a->left->parent != a) || (a->right && a->right->parent != a))
		c->problems++;
	if (a->used == 0)
		c->problems++; /* empty allocators are destroyed at once */
	/* A corrupted object must not make the checker jump somewhere wild. */
	if ((a->ops != &slab_ops && a->ops != &first_fit_ops) || a->type != a->ops->type)
		c->problems++;
	else
		c->problems += a->ops->check(a);
}

size_t memm_check(void)
{
	struct check_state c = { 0, 0 };
	memm_for_each(check_one, &c);
	return c.problems;
}

const char *memm_strerror(int error)
{
	switch (error) {
	case MEMM_OK: return "success";
	case MEMM_ERR_SIZE: return "size must be 1 byte to 16 MiB";
	case MEMM_ERR_NO_MEMORY: return "no pages left for a new allocator";
	case MEMM_ERR_NOT_OURS: return "address is in no allocator (kmalloc did not return it)";
	case MEMM_ERR_NOT_BLOCK: return "address is inside an allocator but not a block kmalloc returned";
	case MEMM_ERR_FREE: return "block is already free";
	}
	return "unknown error";
}

const char *memm_type_name(unsigned type)
{
	return type == MEMM_SLAB ? "slab" : type == MEMM_FIRST_FIT ? "first-fit" : "?";
}
