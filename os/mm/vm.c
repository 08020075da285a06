/**
 * @file vm.c
 * @brief The page-table walker, written once for every architecture.
 *
 * Tables are reached through the direct map (kernel address == physical
 * address), so a table's physical address is also a pointer to it.
 *
 * Every operation that takes a range first checks the whole range and only
 * then changes anything, so a refused request leaves the tables as they
 * were. Only running out of pages for tables can stop a map half-way, and
 * then what was mapped is unmapped again.
 */
#include "kassert.h"
#include "lab.h"
#include "vm.h"
#include "vm_lazy.h"
#include "pmm.h"
#include "progress.h"
#include "kstring.h"

static struct vm_stats stats;

static const struct pt_format *format(void)
{
	return arch_pt_format();
}

/** Bit where the index of @p level starts: the root's is the highest, each
 * level below takes the next VM_INDEX_BITS down, the last ends at the page. */
static unsigned shift_of(unsigned level)
{
	/* LAB pagetable BEGIN */
	return VM_PAGE_SHIFT + VM_INDEX_BITS * (format()->levels - 1 - level);
	/* LAB pagetable STUB shift_of
	(void)level;
	LAB_TODO("pagetable", "shift_of");
	*/
	/* LAB pagetable END */
}

unsigned vm_level_shift(unsigned level)
{
	return shift_of(level);
}

uintptr_t vm_level_size(unsigned level)
{
	return (uintptr_t)1 << shift_of(level);
}
/** @brief The index of @p va in a table of @p level (1 = below the root). */
static unsigned index_of(uintptr_t va, unsigned level)
{
	/* LAB pagetable BEGIN */
	return (unsigned)(va >> shift_of(level)) & (VM_ENTRIES - 1);
	/* LAB pagetable STUB index_of
	(void)va;
	(void)level;
	LAB_TODO("pagetable", "index_of");
	*/
	/* LAB pagetable END */
}

unsigned vm_level_index(uintptr_t va, unsigned level)
{
	return index_of(va, level);
}

/* Does a present @entry at @level map memory (rather than point to a
 * table)? At the last level every present entry does. */
static int is_leaf_at(uint64_t entry, unsigned level)
{
	return format()->is_leaf(entry, shift_of(level)) || level == format()->levels - 1;
}

void vm_entry_decode(uint64_t raw, unsigned level, struct vm_entry *out)
{
	const struct pt_format *f = format();
	memset(out, 0, sizeof(*out));
	out->shift = shift_of(level);
	out->size = (uintptr_t)1 << out->shift;
	if (!f->is_present(raw))
		return;
	out->present = 1;
	out->leaf = is_leaf_at(raw, level);
	out->address = f->address(raw);
	out->flags = out->leaf ? f->flags(raw) : 0;
}

void vm_get_info(struct vm_info *info)
{
	const struct pt_format *f = format();
	info->name = f->name;
	info->levels = f->levels;
	info->va_bits = f->va_bits;
	info->pa_bits = f->pa_bits;
}

static uint64_t *table_at(uintptr_t pa)
{
	return (uint64_t *)pa;
}

int vm_is_canonical(uintptr_t va)
{
	/* Shift the top significant bit to bit 63 and back, sign-extending. */
	unsigned unused = 64 - format()->va_bits;
	return (uintptr_t)((int64_t)(va << unused) >> unused) == va;
}

int vm_pa_fits(uintptr_t pa, uintptr_t size)
{
	unsigned bits = format()->pa_bits;
	uintptr_t limit = bits >= 64 ? UINTPTR_MAX : (uintptr_t)1 << bits;
	return pa < limit && size <= limit - pa;
}

/* Mappings go only in the lower half of the address space, and no range
 * may wrap. VM_OK, VM_ERR_NONCANONICAL or VM_ERR_RANGE. */
static int range_error(uintptr_t va, uintptr_t size)
{
	uintptr_t limit = (uintptr_t)1 << (format()->va_bits - 1);
	if (!vm_is_canonical(va))
		return VM_ERR_NONCANONICAL;
	return va < limit && size <= limit - va ? VM_OK : VM_ERR_RANGE;
}

static void count_leaf(unsigned level, long delta)
{
	switch (shift_of(level)) {
	case VM_SHIFT_4K: stats.leaves_4k += (size_t)delta; break;
	case VM_SHIFT_2M: stats.leaves_2m += (size_t)delta; break;
	case VM_SHIFT_1G: stats.leaves_1g += (size_t)delta; break;
	}
}
/** @brief A zeroed page from the page manager for a new table: its address in *@p pa. */
static int alloc_table(uintptr_t *pa)
{
	/* LAB pagetable BEGIN */
	if (pmm_alloc_page(pa) != PMM_OK)
		return VM_ERR_NO_MEMORY;
	KASSERT(pmm_set_holder(*pa, PMM_HOLDER_PAGE_TABLE) == PMM_OK);
	memset(table_at(*pa), 0, VM_SIZE_4K);
	stats.table_pages++;
	return VM_OK;
	/* LAB pagetable STUB alloc_table
	(void)pa;
	LAB_TODO("pagetable", "alloc_table");
	*/
	/* LAB pagetable END */
}
/** @brief Give the table page at @p pa back to the page manager. */
static void free_table(uintptr_t pa)
{
	/* LAB pagetable BEGIN */
	KASSERT(pmm_free_held(pa, PMM_HOLDER_PAGE_TABLE, NULL) == PMM_OK);
	stats.table_pages--;
	/* LAB pagetable STUB free_table
	(void)pa;
	LAB_TODO("pagetable", "free_table");
	*/
	/* LAB pagetable END */
}

void vm_init(void)
{
	memset(&stats, 0, sizeof(stats));
}

int vm_space_init(struct vm_space *space)
{
	return alloc_table(&space->root);
}

/**
 * The entry that maps @p va at @p level. With @p create, missing tables on the
 * way are allocated. NULL when a leaf above @p level covers @p va (*err =
 * VM_ERR_MAPPED), a table is missing and not to be made, or no page is left.
 */
static uint64_t *entry_for(const struct vm_space *space, uintptr_t va, unsigned level,
			   int create, int *err)
{
	/* LAB pagetable BEGIN */
	const struct pt_format *f = format();
	uint64_t *table = table_at(space->root);

	for (unsigned l = 0; l < level; l++) {
		uint64_t *entry = &table[index_of(va, l)];
		if (!f->is_present(*entry)) {
			uintptr_t pa;
			if (!create) {
				*err = VM_ERR_NOT_MAPPED;
				return NULL;
			}
			if ((*err = alloc_table(&pa)) != VM_OK)
				return NULL;
			*entry = f->make_table(pa);
		} else if (f->is_leaf(*entry, shift_of(l))) {
			*err = VM_ERR_MAPPED;
			return NULL;
		}
		table = table_at(f->address(*entry));
	}
	return &table[index_of(va, level)];
	/* LAB pagetable STUB entry_for
	(void)space;
	(void)va;
	(void)level;
	(void)create;
	(void)err;
	LAB_TODO("pagetable", "entry_for");
	*/
	/* LAB pagetable END */
}

/** Is there a table at @p level (1 = below the root) on the way to @p va? */
static int table_exists(const struct vm_space *space, uintptr_t va, unsigned level)
{
	/* LAB pagetable BEGIN */
	const struct pt_format *f = format();
	uint64_t *table = table_at(space->root);
	for (unsigned l = 0; l < level; l++) {
		uint64_t entry = table[index_of(va, l)];
		if (!f->is_present(entry) || f->is_leaf(entry, shift_of(l)))
			return 0;
		table = table_at(f->address(entry));
	}
	return 1;
	/* LAB pagetable STUB table_exists
	(void)space;
	(void)va;
	(void)level;
	LAB_TODO("pagetable", "table_exists");
	*/
	/* LAB pagetable END */
}

/** The leaf that maps @p va, and its level; NULL if @p va is not mapped. */
static uint64_t *leaf_for(const struct vm_space *space, uintptr_t va, unsigned *level)
{
	/* LAB pagetable BEGIN */
	const struct pt_format *f = format();
	uint64_t *table = table_at(space->root);

	for (unsigned l = 0; l < f->levels; l++) {
		uint64_t *entry = &table[index_of(va, l)];
		if (!f->is_present(*entry))
			return NULL;
		if (is_leaf_at(*entry, l)) {
			*level = l;
			return entry;
		}
		table = table_at(f->address(*entry));
	}
	return NULL;
	/* LAB pagetable STUB leaf_for
	(void)space;
	(void)va;
	(void)level;
	LAB_TODO("pagetable", "leaf_for");
	*/
	/* LAB pagetable END */
}

/** Give back the tables on @p va's path that no longer hold any entry. */
static void prune(const struct vm_space *space, uintptr_t va)
{
	/* LAB pagetable BEGIN */
	const struct pt_format *f = format();
	uint64_t *path[VM_MAX_LEVELS];
	uint64_t *table = table_at(space->root);
	unsigned depth = 0;

	/* path[l] = the entry at level l that points to the level l+1 table. */
	for (unsigned l = 0; l + 1 < f->levels; l++) {
		uint64_t *entry = &table[index_of(va, l)];
		if (!f->is_present(*entry) || f->is_leaf(*entry, shift_of(l)))
			break;
		path[depth++] = entry;
		table = table_at(f->address(*entry));
	}
	while (depth > 0) {
		uint64_t *parent = path[--depth];
		uint64_t *child = table_at(f->address(*parent));
		for (unsigned i = 0; i < VM_ENTRIES; i++)
			if (f->is_present(child[i]))
				return;
		free_table(f->address(*parent));
		*parent = 0;
	}
	/* LAB pagetable STUB prune
	(void)space;
	(void)va;
	(void)free_table;
	LAB_TODO("pagetable", "prune");
	*/
	/* LAB pagetable END */
}

/* The level whose entries map @page_size bytes, or -1 if none may. */
static int level_of_size(uintptr_t page_size)
{
	const struct pt_format *f = format();
	for (unsigned l = 0; l < f->levels; l++)
		if (vm_level_size(l) == page_size && (f->leaf_sizes & page_size))
			return (int)l;
	return -1;
}

/* The largest leaf size that fits at (va, pa) with @left bytes to go. */
static uintptr_t largest_fit(uintptr_t va, uintptr_t pa, uintptr_t left)
{
	const struct pt_format *f = format();
	for (unsigned l = 0; l < f->levels; l++) {
		uintptr_t size = vm_level_size(l);
		if ((f->leaf_sizes & size) && ((va | pa) & (size - 1)) == 0 && size <= left)
			return size;
	}
	return VM_SIZE_4K;
}

size_t vm_tables_needed(const struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
			uintptr_t page_size)
{
	const struct pt_format *f = format();
	size_t needed = 0;

	/* A table at level l covers what one entry of level l - 1 maps (its
	 * span). Each span the range touches needs that table, unless one
	 * leaf (of the span's size or larger) maps the whole span, or the
	 * table is there already. */
	for (unsigned l = 1; l < f->levels; l++) {
		uintptr_t span = vm_level_size(l - 1);
		for (uintptr_t at = va & ~(span - 1); at < va + size; at += span) {
			int whole = at >= va && at + span <= va + size;
			int one_leaf = whole && (page_size ? page_size >= span
					: (f->leaf_sizes & span) && ((pa + (at - va)) & (span - 1)) == 0);
			if (!one_leaf && !table_exists(space, at, l))
				needed++;
			if (at + span < at)
				break; /* the last span of the address space */
		}
	}
	return needed;
}

struct first_leaf {
	uintptr_t start, found;
};

static void note_leaf(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
		      void *ctx)
{
	struct first_leaf *first = ctx;
	uintptr_t at = va < first->start ? first->start : va;
	(void)level;
	(void)size;
	(void)entry;
	if (leaf && at < first->found)
		first->found = at;
}

uintptr_t vm_first_mapped(const struct vm_space *space, uintptr_t va, uintptr_t size)
{
	struct first_leaf first = { va, UINTPTR_MAX };
	vm_visit(space, va, va + size, note_leaf, &first);
	return first.found;
}

/**
 * Map [va, va + size) in leaves of @p page_size, or of the largest size that
 * fits when @p page_size is 0. With @p check, only report whether it could be
 * done; otherwise do it (after a successful check).
 */
static int map_pass(struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
		    unsigned flags, uintptr_t page_size, int check, uintptr_t *done)
{
	const struct pt_format *f = format();
	int err = VM_OK;
	size_t next_report = PROGRESS_EVERY;

	for (*done = 0; *done < size;) {
		if (!check && *done / VM_SIZE_4K >= next_report) {
			if (progress_report("map", *done / VM_SIZE_4K, size / VM_SIZE_4K))
				return VM_ERR_INTERRUPTED;
			next_report += PROGRESS_EVERY;
		}
		/* LAB pagetable BEGIN */
		uintptr_t step = page_size ? page_size : largest_fit(va + *done, pa + *done,
								       size - *done);
		int level = level_of_size(step);
		uint64_t *entry = entry_for(space, va + *done, (unsigned)level, !check, &err);
		if (entry == NULL) {
			if (check && err == VM_ERR_NOT_MAPPED) {
				*done += step; /* the tables are missing: nothing there */
				continue;
			}
			return err;
		}
		if (f->is_present(*entry))
			return VM_ERR_MAPPED;
		if (!check) {
			*entry = f->make_leaf(pa + *done, flags, shift_of((unsigned)level));
			count_leaf((unsigned)level, 1);
		}
		*done += step;
		/* LAB pagetable STUB map_pass
		(void)space;
		(void)va;
		(void)pa;
		(void)f;
		(void)err;
		(void)flags;
		(void)page_size;
		(void)entry_for;
		(void)largest_fit;
		(void)count_leaf;
		LAB_TODO("pagetable", "map_pass");
		*/
		/* LAB pagetable END */
	}
	return VM_OK;
}
/** @brief Map [va, va + size): check the whole range first, then map it (nothing changes on an error). */
static int map(struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
	       unsigned flags, uintptr_t page_size)
{
	uintptr_t align = page_size ? page_size : VM_SIZE_4K, done;
	int err;

	if (size == 0 || ((va | pa | size) & (align - 1)))
		return VM_ERR_UNALIGNED;
	if ((err = range_error(va, size)) != VM_OK)
		return err;
	if (!vm_pa_fits(pa, size))
		return VM_ERR_PHYSICAL;
	/* A leaf needs one of r, w, x (on Sv39 an entry with none of them
	 * points to a table). */
	if ((page_size && level_of_size(page_size) < 0) ||
	    !(flags & (VM_READ | VM_WRITE | VM_EXEC)))
		return VM_ERR_FLAGS;
	if ((err = map_pass(space, va, pa, size, flags, page_size, 1, &done)) != VM_OK)
		return err;
	err = map_pass(space, va, pa, size, flags, page_size, 0, &done);
	if (err != VM_OK) {
		/* LAB pagetable BEGIN */
		/* Out of table pages, or interrupted: undo the leaves made so far, and give back
		 * the tables made on the way to the one that failed (they hold
		 * nothing, and would otherwise stay linked). */
		if (done > 0)
			vm_unmap(space, va, done);
		prune(space, va + done);
		/* LAB pagetable STUB rollback
		(void)prune;
		LAB_TODO("pagetable", "rollback");
		*/
		/* LAB pagetable END */
	}
	return err;
}

int vm_map(struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size, unsigned flags,
	   uintptr_t page_size)
{
	return map(space, va, pa, size, flags, page_size);
}

int vm_map_largest(struct vm_space *space, uintptr_t va, uintptr_t pa, uintptr_t size,
		   unsigned flags)
{
	return map(space, va, pa, size, flags, 0);
}

/*
 * Check that every page of [va, va + size) is mapped by leaves that lie
 * wholly inside the range.
 */
static int check_mapped(const struct vm_space *space, uintptr_t va, uintptr_t size)
{
	if (size == 0 || ((va | size) & (VM_SIZE_4K - 1)))
		return VM_ERR_UNALIGNED;
	int err = range_error(va, size);
	if (err != VM_OK)
		return err;
	for (uintptr_t p = va; p < va + size;) {
		unsigned level;
		if (leaf_for(space, p, &level) == NULL)
			return VM_ERR_NOT_MAPPED;
		uintptr_t leaf = vm_level_size(level);
		if ((p & (leaf - 1)) != 0 || p + leaf > va + size)
			return VM_ERR_LARGE_PAGE;
		p += leaf;
	}
	return VM_OK;
}

/** Remove every leaf in [va, va + size), or with @p remove 0 give it @p flags. */
static int change_leaves(struct vm_space *space, uintptr_t va, uintptr_t size, int remove,
			 unsigned flags)
{
	const struct pt_format *f = format();
	int err = check_mapped(space, va, size);
	if (err != VM_OK)
		return err;
	if (!remove && !(flags & (VM_READ | VM_WRITE | VM_EXEC)))
		return VM_ERR_FLAGS;
	/* LAB pagetable BEGIN */
	for (uintptr_t p = va; p < va + size;) {
		unsigned level;
		uint64_t *entry = leaf_for(space, p, &level);
		if (remove) {
			*entry = 0;
			count_leaf(level, -1);
		} else {
			*entry = f->make_leaf(f->address(*entry), flags, shift_of(level));
		}
		arch_tlb_flush(p);
		uintptr_t next = p + vm_level_size(level);
		/* A table can only have emptied once its last entry in the range
		 * is gone: prune once per table, not once per page (which scanned
		 * the whole table for every page). */
		uintptr_t table_span = level > 0 ? vm_level_size(level - 1) : 0;
		if (remove && (next == va + size || (table_span && (next & (table_span - 1)) == 0)))
			prune(space, p);
		p = next;
	}
	/* LAB pagetable STUB change_leaves
	(void)f;
	(void)remove;
	(void)flags;
	LAB_TODO("pagetable", "change_leaves");
	*/
	/* LAB pagetable END */
	return VM_OK;
}

int vm_unmap(struct vm_space *space, uintptr_t va, uintptr_t size)
{
	return change_leaves(space, va, size, 1, 0);
}

int vm_protect(struct vm_space *space, uintptr_t va, uintptr_t size, unsigned flags)
{
	return change_leaves(space, va, size, 0, flags);
}

int vm_translate(const struct vm_space *space, uintptr_t va, struct vm_walk *walk)
{
	/* LAB pagetable BEGIN */
	const struct pt_format *f = format();
	uintptr_t table = space->root;

	memset(walk, 0, sizeof(*walk));
	/* Any canonical address can be walked: the upper half's root entries
	 * are simply empty. */
	if (!vm_is_canonical(va))
		return VM_ERR_NONCANONICAL;
	for (unsigned l = 0; l < f->levels; l++) {
		struct vm_step *step = &walk->steps[walk->nr_steps++];
		step->level = l;
		step->index = index_of(va, l);
		step->table = table;
		step->entry = table_at(table)[step->index];
		if (!f->is_present(step->entry))
			return VM_ERR_NOT_MAPPED;
		if (is_leaf_at(step->entry, l)) {
			walk->mapped = 1;
			walk->size = vm_level_size(l);
			walk->pa = f->address(step->entry) + (va & (walk->size - 1));
			walk->flags = f->flags(step->entry);
			return VM_OK;
		}
		table = f->address(step->entry);
	}
	return VM_ERR_NOT_MAPPED;
	/* LAB pagetable STUB vm_translate
	(void)space;
	(void)va;
	(void)walk;
	LAB_TODO("pagetable", "vm_translate");
	*/
	/* LAB pagetable END */
}

static void visit(unsigned level, uintptr_t table, uintptr_t base, uintptr_t start, uintptr_t end,
		  void (*fn)(unsigned, uintptr_t, uintptr_t, uint64_t, int, void *), void *ctx)
{
	const struct pt_format *f = format();
	uintptr_t size = vm_level_size(level);

	for (unsigned i = 0; i < VM_ENTRIES; i++) {
		uint64_t entry = table_at(table)[i];
		uintptr_t va = base + i * size;
		if (!f->is_present(entry) || va + size <= start || va >= end)
			continue;
		int leaf = is_leaf_at(entry, level);
		fn(level, va, size, entry, leaf, ctx);
		if (!leaf)
			visit(level + 1, f->address(entry), va, start, end, fn, ctx);
	}
}

void vm_visit(const struct vm_space *space, uintptr_t start, uintptr_t end,
	      void (*fn)(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
			 void *ctx),
	      void *ctx)
{
	/* Only the lower half is used: the root's upper entries are empty. */
	visit(0, space->root, 0, start, end, fn, ctx);
}

void vm_get_stats(struct vm_stats *out)
{
	*out = stats;
}

const char *vm_strerror(int error)
{
	switch (error) {
	case VM_OK: return "success";
	case VM_ERR_NO_MEMORY: return "no free page for a page table";
	case VM_ERR_MAPPED: return "already mapped";
	case VM_ERR_NOT_MAPPED: return "not mapped";
	case VM_ERR_UNALIGNED: return "not page aligned";
	case VM_ERR_RANGE: return "outside the lower half of the address space, where mappings go";
	case VM_ERR_LARGE_PAGE: return "would cut through a large page";
	case VM_ERR_FLAGS: return "page size or flags not supported here (a page needs r, w or x)";
	case VM_ERR_WINDOW: return "outside the demonstration window " VM_DEMO_TEXT;
	case VM_ERR_MANAGED: return "physical pages belong to the page manager (use auto)";
	case VM_ERR_KERNEL: return "the kernel image may be mapped again only without w";
	case VM_ERR_NONCANONICAL: return "not canonical";
	case VM_ERR_PHYSICAL: return "physical range beyond what the CPU can address";
	case VM_ERR_INTERRUPTED: return "interrupted (nothing was changed)";
	case VM_ERR_RESERVED: return "part of the range is reserved for lazy pages";
	case VM_ERR_TOO_MANY: return "too many lazy reservations (at most " VM_TEXT(VM_LAZY_MAX) ")";
	}
	return "unknown error";
}
