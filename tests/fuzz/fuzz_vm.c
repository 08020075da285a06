/*
 * fuzz_vm: the page-table walker (os/mm/vm.c) over the real Sv39 and
 * x86_64 encodings, with table pages from a page manager that holds only a
 * few free pages, so that a map runs out of them half-way.
 *
 * The model is the list of leaves (va, size, pa, flags). From it the target
 * predicts each call's result: the error of a refused request, and whether a
 * map has enough free pages for the tables it needs (a table exists exactly
 * when some leaf lies under it, since emptied tables go back at once). After
 * every operation: every table page is accounted for (table pages == the
 * tables the leaves need, and the page manager's free pages agree), the leaf
 * counters match, pmm_check() finds nothing, translations agree with the
 * model, and a failed call left the tables, the counters and the page
 * manager exactly as they were.
 */
#include <string.h>

#include "fuzz_pmm.h"
#include "vm.h"
#include "../../arch/riscv64/pt_sv39.h"
#include "../../arch/x86_64/pt_x86_64.h"

#define ARENA_SIZE ((uintptr_t)1 << 20)
#define MAX_LEAVES 4096
#define MAX_TABLES 512
#define FLAG_MASK (VM_READ | VM_WRITE | VM_EXEC | VM_USER | VM_GLOBAL | VM_DEVICE)

struct leaf {
	uintptr_t va, size, pa;
	unsigned flags;
};

static const struct pt_format *current;
static struct pt_format x86_64_1g; /* x86_64 on a CPU with pdpe1gb */
static uintptr_t arena;
static struct vm_space space;
static struct vm_stats base;   /* counters before this run's space existed */
static size_t base_free;       /* free pages with no table but the root */
static size_t hogged;          /* pages held away from the walker */
static uintptr_t hog[64];
static struct leaf leaves[MAX_LEAVES];
static size_t nr_leaves;

const struct pt_format *arch_pt_format(void)
{
	return current;
}

void arch_vm_activate(uintptr_t root)
{
	(void)root;
}

void arch_tlb_flush(uintptr_t va)
{
	(void)va;
}

static unsigned shift_of(unsigned level)
{
	return 12 + 9 * (current->levels - 1 - level);
}

static unsigned level_of(uintptr_t size)
{
	for (unsigned l = 0; l < current->levels; l++)
		if (((uintptr_t)1 << shift_of(l)) == size)
			return l;
	FUZZ_CHECK(0, "no level for size 0x%lx", (unsigned long)size);
	return 0;
}

/* A table is named by (level, va of the entry above it): a set of them. */
struct table_set {
	uint64_t key[MAX_TABLES];
	size_t count;
};

static void add_path(struct table_set *t, uintptr_t va, unsigned leaf_level)
{
	for (unsigned l = 1; l <= leaf_level; l++) {
		uint64_t key = (uint64_t)l << 60 | va >> shift_of(l - 1);
		size_t i = 0;
		while (i < t->count && t->key[i] != key)
			i++;
		if (i == t->count) {
			FUZZ_CHECK(t->count < MAX_TABLES, "too many tables");
			t->key[t->count++] = key;
		}
	}
}

static void model_tables(struct table_set *t)
{
	t->count = 0;
	for (size_t i = 0; i < nr_leaves; i++)
		add_path(t, leaves[i].va, level_of(leaves[i].size));
}

static const struct leaf *leaf_at(uintptr_t va)
{
	for (size_t i = 0; i < nr_leaves; i++)
		if (va >= leaves[i].va && va - leaves[i].va < leaves[i].size)
			return &leaves[i];
	return NULL;
}

/* VM_OK, or why [va, va + size) cannot take mappings: a non-canonical
 * address, or a range outside the lower half. */
static int range_error(uintptr_t va, uintptr_t size)
{
	uintptr_t limit = (uintptr_t)1 << (current->va_bits - 1);
	unsigned unused = 64 - current->va_bits;
	if ((uintptr_t)((int64_t)(va << unused) >> unused) != va)
		return VM_ERR_NONCANONICAL;
	return va < limit && size <= limit - va ? VM_OK : VM_ERR_RANGE;
}

/* The flags a leaf made with @flags reads back (what the format can say). */
static unsigned encoded(unsigned flags, uintptr_t size)
{
	return current->flags(current->make_leaf(0, flags, shift_of(level_of(size))));
}

static void hash_entry(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
		       void *ctx)
{
	uint64_t *h = ctx;
	*h = fuzz_hash(*h, level | (uint64_t)leaf << 8);
	*h = fuzz_hash(*h, va ^ size);
	*h = fuzz_hash(*h, entry);
}

/* The tables, the counters and the page manager. */
static uint64_t digest(void)
{
	struct vm_stats st;
	uint64_t h = fuzz_pmm_digest();
	vm_visit(&space, 0, UINTPTR_MAX, hash_entry, &h);
	vm_get_stats(&st);
	h = fuzz_hash(h, st.table_pages);
	h = fuzz_hash(h, st.leaves_4k ^ st.leaves_2m << 20 ^ st.leaves_1g << 40);
	return h;
}

struct visit_check {
	size_t tables, leaves;
};

static void check_entry(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
			void *ctx)
{
	struct visit_check *c = ctx;
	if (!leaf) {
		c->tables++;
		return;
	}
	const struct leaf *m = leaf_at(va);
	FUZZ_CHECK(m && m->va == va && m->size == size, "leaf 0x%lx (L%u) not in the model",
		   (unsigned long)va, level);
	FUZZ_CHECK(current->address(entry) == m->pa, "leaf 0x%lx maps 0x%lx, model 0x%lx",
		   (unsigned long)va, (unsigned long)current->address(entry),
		   (unsigned long)m->pa);
	c->leaves++;
}

/* vm_check()'s counters span every run of this process (the walker's
 * statistics are never reset), so only the per-table findings count here;
 * check_all() checks the counters against the model as differences. */
static void vm_violation(const struct vm_violation *v, void *ctx)
{
	size_t *found = ctx;
	if (v->kind == VM_BAD_TABLE_COUNT || v->kind == VM_BAD_LEAF_COUNT)
		return;
	fprintf(stderr, "vm_check: %s at 0x%lx (expected %zu, found %zu)\n",
		vm_violation_text(v->kind), (unsigned long)v->addr, v->expected, v->actual);
	(*found)++;
}

static void check_all(void)
{
	size_t vm_found = 0;
	vm_check(&space, 1, vm_violation, &vm_found);
	FUZZ_CHECK(vm_found == 0, "vm_check found %zu violations", vm_found);

	struct table_set t;
	struct vm_stats st;
	struct visit_check c = { 0, 0 };
	size_t by_size[3] = { 0, 0, 0 };

	fuzz_pmm_check();
	model_tables(&t);
	vm_get_stats(&st);
	vm_visit(&space, 0, UINTPTR_MAX, check_entry, &c);
	FUZZ_CHECK(c.leaves == nr_leaves, "%zu leaves in the tables, %zu in the model", c.leaves,
		   nr_leaves);
	FUZZ_CHECK(c.tables == t.count, "%zu tables linked, the leaves need %zu", c.tables,
		   t.count);
	FUZZ_CHECK(st.table_pages - base.table_pages == 1 + t.count,
		   "%zu table pages counted, root + %zu needed", st.table_pages - base.table_pages,
		   t.count);
	FUZZ_CHECK(pmm_free_page_count() + t.count == base_free,
		   "free pages %zu + tables %zu != %zu: a table page leaked", pmm_free_page_count(),
		   t.count, base_free);
	for (size_t i = 0; i < nr_leaves; i++)
		by_size[leaves[i].size == VM_SIZE_4K ? 0 : leaves[i].size == VM_SIZE_2M ? 1 : 2]++;
	FUZZ_CHECK(st.leaves_4k - base.leaves_4k == by_size[0] &&
			   st.leaves_2m - base.leaves_2m == by_size[1] &&
			   st.leaves_1g - base.leaves_1g == by_size[2],
		   "leaf counters");
}

/* A virtual address near one of a few interesting places. */
static uintptr_t pick_va(struct fuzz_input *in)
{
	uint8_t how = fuzz_u8(in);
	uintptr_t limit = (uintptr_t)1 << (current->va_bits - 1);
	/* Low memory, the window, the top of the lower half (and past it: not
	 * canonical), 1 GiB, the bottom of the upper half. */
	uintptr_t bases[5] = { 0, VM_DEMO_START, limit - ((uintptr_t)4 << 30), VM_SIZE_1G,
			       (uintptr_t)0 - limit };
	uintptr_t va = bases[how % 5] + ((uintptr_t)fuzz_u32(in) << 12) % ((uintptr_t)4 << 30);
	switch (how / 4 % 4) {
	case 0: va &= ~(VM_SIZE_2M - 1); break;
	case 1: va &= ~(VM_SIZE_1G - 1); break;
	case 2: va &= ~((uintptr_t)0x3fff000); break; /* near the previous ones */
	}
	if (how & 0x80)
		va += fuzz_u8(in) % 3 == 0 ? 1 : 0; /* sometimes unaligned */
	return va;
}

static uintptr_t pick_size(struct fuzz_input *in, uintptr_t page_size)
{
	uint8_t how = fuzz_u8(in);
	if (how % 16 == 0)
		return how & 16 ? 0 : 0x800; /* empty, or unaligned */
	if (page_size == VM_SIZE_1G)
		return (1 + how % 2) * VM_SIZE_1G;
	if (page_size == VM_SIZE_2M)
		return (1 + how % 8) * VM_SIZE_2M;
	if (page_size == 0 && how % 4 == 1)
		return VM_SIZE_2M * (1 + how / 4 % 4) + ((uintptr_t)fuzz_u8(in) << 12);
	return (uintptr_t)(1 + fuzz_u8(in) % 48) << 12;
}

static unsigned pick_flags(struct fuzz_input *in)
{
	return fuzz_u8(in) & FLAG_MASK;
}

/* A leaf needs one of r, w, x: Sv39 reads an entry with none of them as a
 * pointer to a table (this target found vm_map taking such flags). */
static int flags_ok(unsigned flags)
{
	return (flags & (VM_READ | VM_WRITE | VM_EXEC)) != 0;
}

/* The leaves a map would make; 0 and *err set if it must be refused. */
static size_t plan_map(uintptr_t va, uintptr_t pa, uintptr_t size, uintptr_t page_size,
		       unsigned flags, struct leaf *plan, int *err)
{
	uintptr_t align = page_size ? page_size : VM_SIZE_4K;
	size_t n = 0;
	*err = VM_OK;
	if (size == 0 || ((va | pa | size) & (align - 1))) {
		*err = VM_ERR_UNALIGNED;
		return 0;
	}
	if ((*err = range_error(va, size)) != VM_OK)
		return 0;
	if (!vm_pa_fits(pa, size)) {
		*err = VM_ERR_PHYSICAL;
		return 0;
	}
	if ((page_size && !(current->leaf_sizes & page_size)) || !flags_ok(flags)) {
		*err = VM_ERR_FLAGS;
		return 0;
	}
	for (uintptr_t done = 0; done < size;) {
		uintptr_t step = page_size;
		if (!step) {
			step = VM_SIZE_4K;
			for (unsigned l = 0; l < current->levels; l++) {
				uintptr_t s = (uintptr_t)1 << shift_of(l);
				if ((current->leaf_sizes & s) && ((va + done) | (pa + done)) % s == 0 &&
				    s <= size - done) {
					step = s;
					break;
				}
			}
		}
		FUZZ_CHECK(n < MAX_LEAVES, "plan too long");
		plan[n++] = (struct leaf){ va + done, step, pa + done, 0 };
		done += step;
	}
	/* Anything mapped in the range (a leaf above or below) is a clash. */
	for (size_t i = 0; i < nr_leaves; i++)
		if (leaves[i].va < va + size && va < leaves[i].va + leaves[i].size) {
			*err = VM_ERR_MAPPED;
			return 0;
		}
	return n;
}

static void op_map(struct fuzz_input *in, int largest)
{
	static struct leaf plan[MAX_LEAVES];
	static const uintptr_t sizes[4] = { VM_SIZE_4K, VM_SIZE_2M, VM_SIZE_1G, VM_SIZE_4K };
	uintptr_t page_size = largest ? 0 : sizes[fuzz_u8(in) % 4];
	uintptr_t va = pick_va(in);
	uintptr_t size = pick_size(in, page_size);
	uintptr_t pa = ((uintptr_t)fuzz_u32(in) << 12) & (((uintptr_t)1 << 40) - 1);
	unsigned flags = pick_flags(in);
	if (fuzz_u8(in) & 1)
		pa &= ~(VM_SIZE_2M - 1);
	if (size > (uintptr_t)MAX_LEAVES << 12 && page_size == VM_SIZE_4K)
		return;

	int want;
	size_t n = plan_map(va, pa, size, page_size, flags, plan, &want);
	if (want == VM_OK && nr_leaves + n > MAX_LEAVES)
		return;
	if (want == VM_OK) {
		/* Enough free pages for the tables the new leaves add? */
		struct table_set now, after;
		model_tables(&now);
		after = now;
		for (size_t i = 0; i < n; i++)
			add_path(&after, plan[i].va, level_of(plan[i].size));
		if (after.count - now.count > pmm_free_page_count())
			want = VM_ERR_NO_MEMORY;
	}
	uint64_t before = digest();
	int err = largest ? vm_map_largest(&space, va, pa, size, flags)
			  : vm_map(&space, va, pa, size, flags, page_size);
	FUZZ_CHECK(err == want, "%s map 0x%lx+0x%lx -> 0x%lx (page 0x%lx) gave %d (%s), model %d",
		   current->name, (unsigned long)va, (unsigned long)size, (unsigned long)pa,
		   (unsigned long)page_size, err, vm_strerror(err), want);
	if (err != VM_OK) {
		FUZZ_CHECK(digest() == before, "%s: failed map (%s) changed the tables or counts",
			   current->name, vm_strerror(err));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		plan[i].flags = flags;
		leaves[nr_leaves++] = plan[i];
	}
}

/* unmap (remove) or protect: the same checks, in the same order. */
static void op_change(struct fuzz_input *in, int remove)
{
	uintptr_t va = pick_va(in);
	uintptr_t size = pick_size(in, fuzz_u8(in) & 1 ? VM_SIZE_2M : VM_SIZE_4K);
	unsigned flags = pick_flags(in);
	int want = VM_OK;

	/* Often aim at what is mapped. */
	if (nr_leaves && fuzz_u8(in) & 1) {
		const struct leaf *l = &leaves[fuzz_u16(in) % nr_leaves];
		va = l->va;
		size = fuzz_u8(in) & 1 ? l->size : size;
	}
	if (size == 0 || ((va | size) & (VM_SIZE_4K - 1)))
		want = VM_ERR_UNALIGNED;
	else
		want = range_error(va, size);
	for (uintptr_t p = va; want == VM_OK && p < va + size;) {
		const struct leaf *l = leaf_at(p);
		if (l == NULL)
			want = VM_ERR_NOT_MAPPED;
		else if (l->va != p || p + l->size > va + size)
			want = VM_ERR_LARGE_PAGE;
		else
			p += l->size;
	}
	if (want == VM_OK && !remove && !flags_ok(flags))
		want = VM_ERR_FLAGS;
	uint64_t before = digest();
	int err = remove ? vm_unmap(&space, va, size) : vm_protect(&space, va, size, flags);
	FUZZ_CHECK(err == want, "%s %s 0x%lx+0x%lx gave %d (%s), model %d", current->name,
		   remove ? "unmap" : "protect", (unsigned long)va, (unsigned long)size, err,
		   vm_strerror(err), want);
	if (err != VM_OK) {
		FUZZ_CHECK(digest() == before, "failed %s changed something",
			   remove ? "unmap" : "protect");
		return;
	}
	for (size_t i = 0; i < nr_leaves;) {
		struct leaf *l = &leaves[i];
		if (l->va >= va && l->va < va + size) {
			if (remove) {
				*l = leaves[--nr_leaves];
				continue;
			}
			l->flags = flags;
		}
		i++;
	}
}

static void op_translate(struct fuzz_input *in)
{
	uintptr_t va = pick_va(in) + fuzz_u16(in) % 4096;
	struct vm_walk w;
	uint64_t before = digest();
	int err = vm_translate(&space, va, &w);
	const struct leaf *l = leaf_at(va);
	FUZZ_CHECK(digest() == before, "translate changed something");
	/* Any canonical address walks (the upper half to "not mapped"). */
	if (range_error(va, 1) == VM_ERR_NONCANONICAL) {
		FUZZ_CHECK(err == VM_ERR_NONCANONICAL, "translate of a non-canonical address gave %d",
			   err);
		return;
	}
	if (l == NULL) {
		FUZZ_CHECK(err == VM_ERR_NOT_MAPPED && !w.mapped, "0x%lx mapped, not in model",
			   (unsigned long)va);
		return;
	}
	FUZZ_CHECK(err == VM_OK && w.mapped && w.size == l->size && w.pa == l->pa + (va - l->va) &&
			   w.flags == encoded(l->flags, l->size),
		   "0x%lx -> 0x%lx size 0x%lx flags 0x%x; model 0x%lx size 0x%lx flags 0x%x",
		   (unsigned long)va, (unsigned long)w.pa, (unsigned long)w.size, w.flags,
		   (unsigned long)(l->pa + (va - l->va)), (unsigned long)l->size,
		   encoded(l->flags, l->size));
	FUZZ_CHECK(w.nr_steps == level_of(l->size) + 1, "walk of %u steps", w.nr_steps);
}

/* Take a free page away from the walker, or give one back. */
static void op_hog(struct fuzz_input *in)
{
	if (fuzz_u8(in) & 1) {
		if (hogged < sizeof(hog) / sizeof(hog[0]) && pmm_alloc_page(&hog[hogged]) == PMM_OK) {
			hogged++;
			base_free--;
		}
	} else if (hogged > 0) {
		FUZZ_CHECK(pmm_free(hog[--hogged], NULL) == PMM_OK, "hog page");
		base_free++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size, 0 };

	if (arena == 0) {
		arena = (uintptr_t)aligned_alloc(ARENA_SIZE, ARENA_SIZE);
		FUZZ_CHECK(arena != 0, "no arena");
		x86_64_1g = *x86_64_format();
		x86_64_1g.leaf_sizes |= VM_SIZE_1G;
	}
	uint8_t setup = fuzz_u8(&in);
	const struct pt_format *formats[3] = { sv39_format(), x86_64_format(), &x86_64_1g };
	current = formats[setup % 3];

	/* A small page manager: 24 pages, of which only a few stay free. */
	pmm_init();
	FUZZ_CHECK(pmm_add_segment(arena, arena + 25 * PMM_PAGE_SIZE) == 0, "segment");
	vm_get_stats(&base);
	FUZZ_CHECK(vm_space_init(&space) == VM_OK, "root table");
	size_t keep = fuzz_u8(&in) % 16;
	hogged = 0;
	while (pmm_free_page_count() > keep && pmm_alloc_page(&hog[hogged]) == PMM_OK)
		hogged++;
	base_free = pmm_free_page_count();
	nr_leaves = 0;

	for (int ops = 0; fuzz_more(&in) && ops < 500; ops++) {
		switch (fuzz_u8(&in) % 8) {
		case 0: case 1: op_map(&in, 0); break;
		case 2: op_map(&in, 1); break;
		case 3: case 4: op_change(&in, 1); break;
		case 5: op_change(&in, 0); break;
		case 6: op_translate(&in); break;
		default: op_hog(&in); break;
		}
		check_all();
	}
	return 0;
}
