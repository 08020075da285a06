/*
 * Host tests of lab pagetable: the walker (os/mm/vm.c, the student's code)
 * over the real Sv39 and x86_64 encodings (arch/riscv64/pt.c,
 * arch/x86_64/pt.c), with table pages from the real page manager, under
 * ASan + UBSan:
 *     build/host/lab/pagetable/tests/host_pagetable <test> <seed>
 * The last line is "ok", or "FAIL: <the first difference>".
 *
 * Every expected answer comes from a model of the mapping (a sorted list
 * of leaves, made by the policy of labs/pagetable/README.md) and is
 * compared with what the tables hold. The tables are read with vm_visit()
 * (given code) and checked with vm_check(); the page manager counts the
 * table pages. Memory handed to the page manager is filled with garbage
 * first, so a table that is not zeroed shows.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmm.h"
#include "progress.h"
#include "vm.h"
#include "../../../arch/riscv64/pt_sv39.h"
#include "../../../arch/x86_64/pt_x86_64.h"
#include "labhost.h"

#define MIB ((uintptr_t)1 << 20)
#define GIB ((uintptr_t)1 << 30)
#define PAGE VM_SIZE_4K
#define RWX (VM_READ | VM_WRITE | VM_EXEC)

/* ---- the machine: the format under test; no TLB to flush ---- */

static const struct pt_format *current;
static size_t flushes;

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
	flushes++;
}

/* ---- randomness and failure ---- */

static unsigned long long rng_state;

static uint64_t random64(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	uint64_t x = rng_state;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	return x ^ (x >> 29);
}

static uint64_t random_below(uint64_t n)
{
	return random64() % n;
}

static const char *context = "";

static _Noreturn void fail(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: %s%s", current ? current->name : "", current ? ": " : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s%s\n", *context ? " " : "", context);
	exit(1);
}

static const char *error_name(int err)
{
	static const char *names[] = { "VM_OK", "VM_ERR_NO_MEMORY", "VM_ERR_MAPPED",
		"VM_ERR_NOT_MAPPED", "VM_ERR_UNALIGNED", "VM_ERR_RANGE", "VM_ERR_LARGE_PAGE",
		"VM_ERR_FLAGS", "VM_ERR_WINDOW", "VM_ERR_MANAGED", "VM_ERR_KERNEL",
		"VM_ERR_NONCANONICAL", "VM_ERR_PHYSICAL", "VM_ERR_INTERRUPTED" };
	return err <= 0 && err > -(int)(sizeof(names) / sizeof(names[0])) ? names[-err] : "?";
}

static const char *size_name(uintptr_t size)
{
	return size == VM_SIZE_1G ? "1G" : size == VM_SIZE_2M ? "2M" : size == PAGE ? "4K" : "?";
}

/* ---- the levels, as the README's table gives them ---- */

static unsigned levels(void)
{
	return current->levels;
}

/* The lowest bit of each level's index, root first: the index is that bit
 * and the 8 above it, and one entry maps 1 << that bit bytes. */
static const unsigned sv39_low_bit[] = { 30, 21, 12 };
static const unsigned x86_64_low_bit[] = { 39, 30, 21, 12 };

static unsigned model_shift(unsigned level)
{
	if (levels() == 3 && level < 3)
		return sv39_low_bit[level];
	if (levels() == 4 && level < 4)
		return x86_64_low_bit[level];
	fail("no level %u in a format of %u levels (a bug in the test)", level, levels());
}

static uintptr_t model_size(unsigned level)
{
	return (uintptr_t)1 << model_shift(level);
}

static unsigned model_index(uintptr_t va, unsigned level)
{
	return (unsigned)(va >> model_shift(level)) & 511;
}

/* The level whose entries map @size bytes. */
static unsigned level_of(uintptr_t size)
{
	for (unsigned l = 0; l < levels(); l++)
		if (model_size(l) == size)
			return l;
	fail("no level maps %lu bytes", (unsigned long)size);
}

/* ---- memory: a fresh page manager over dirty memory, and one space ---- */

static void *arena;
static size_t arena_pages;
static struct vm_space space;
static size_t free_with_root; /* free pages once the root table is taken */
static uintptr_t hog[8192];   /* pages taken away to make memory short */
static size_t hogged;

static void fresh(const struct pt_format *f, size_t mib)
{
	current = f;
	free(arena);
	arena = aligned_alloc(MIB, mib * MIB);
	/* Garbage with the present bit set in every entry of both formats. */
	memset(arena, 0xa5, mib * MIB);
	arena_pages = mib * MIB / PAGE;
	hogged = 0;
	pmm_init();
	vm_init();
	if (pmm_add_segment((uintptr_t)arena, (uintptr_t)arena + mib * MIB) != PMM_OK)
		fail("the page manager refused the test's memory");
	int err = vm_space_init(&space);
	lab_observe("vm_space_init(): %s", error_name(err));
	if (err != VM_OK)
		fail("vm_space_init: expected VM_OK, got %s", error_name(err));
	free_with_root = pmm_free_page_count();
}

/* Take pages away until only @left are free; give_back() returns them. */
static void starve(size_t left)
{
	while (pmm_free_page_count() > left) {
		if (hogged == sizeof(hog) / sizeof(hog[0]) || pmm_alloc_page(&hog[hogged]) != PMM_OK)
			fail("the test could not take pages away");
		hogged++;
	}
}

static void give_back(void)
{
	while (hogged > 0)
		pmm_free(hog[--hogged], NULL);
}

/* ---- the model: every leaf, sorted by address ---- */

struct leaf {
	uintptr_t va, size, pa;
	unsigned flags;
};

static struct leaf *model;
static size_t nr_model, model_cap;

static void model_clear(void)
{
	nr_model = 0;
}

/* Index of the first leaf that ends above @va. */
static size_t model_lower(uintptr_t va)
{
	size_t lo = 0, hi = nr_model;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (model[mid].va + model[mid].size <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The leaf that maps @va, or NULL. */
static const struct leaf *model_find(uintptr_t va)
{
	size_t i = model_lower(va);
	return i < nr_model && model[i].va <= va ? &model[i] : NULL;
}

static int model_overlaps(uintptr_t va, uintptr_t size)
{
	size_t i = model_lower(va);
	return i < nr_model && model[i].va < va + size;
}

static void model_insert(struct leaf l)
{
	if (nr_model == model_cap) {
		model_cap = model_cap ? 2 * model_cap : 1024;
		model = realloc(model, model_cap * sizeof(*model));
		if (!model)
			fail("out of host memory");
	}
	size_t i = model_lower(l.va);
	memmove(&model[i + 1], &model[i], (nr_model - i) * sizeof(*model));
	model[i] = l;
	nr_model++;
}

static void model_remove(uintptr_t va, uintptr_t size)
{
	size_t i = model_lower(va), j = i;
	while (j < nr_model && model[j].va < va + size)
		j++;
	memmove(&model[i], &model[j], (nr_model - j) * sizeof(*model));
	nr_model -= j - i;
}

/* The policy: with @page_size, leaves of that size; with 0, at each step
 * the largest leaf the format allows that va and pa are aligned to and
 * that fits in what is left. */
static uintptr_t policy_step(uintptr_t va, uintptr_t pa, uintptr_t left, uintptr_t page_size)
{
	if (page_size)
		return page_size;
	for (unsigned l = 0; l < levels(); l++) {
		uintptr_t size = model_size(l);
		if ((current->leaf_sizes & size) && ((va | pa) & (size - 1)) == 0 && size <= left)
			return size;
	}
	return PAGE;
}

static int canonical(uintptr_t va)
{
	unsigned unused = 64 - current->va_bits;
	return (uintptr_t)((int64_t)(va << unused) >> unused) == va;
}

/* What vm_map() must answer (vm.h, and the README's order of checks). */
static int model_map_error(uintptr_t va, uintptr_t pa, uintptr_t size, unsigned flags,
			   uintptr_t page_size)
{
	uintptr_t align = page_size ? page_size : PAGE;
	uintptr_t half = (uintptr_t)1 << (current->va_bits - 1);
	if (size == 0 || ((va | pa | size) & (align - 1)))
		return VM_ERR_UNALIGNED;
	if (!canonical(va))
		return VM_ERR_NONCANONICAL;
	if (va >= half || size > half - va)
		return VM_ERR_RANGE;
	if (!vm_pa_fits(pa, size))
		return VM_ERR_PHYSICAL;
	if ((page_size && !(current->leaf_sizes & page_size)) || !(flags & RWX))
		return VM_ERR_FLAGS;
	return model_overlaps(va, size) ? VM_ERR_MAPPED : VM_OK;
}

static void model_map(uintptr_t va, uintptr_t pa, uintptr_t size, unsigned flags,
		      uintptr_t page_size)
{
	for (uintptr_t done = 0; done < size;) {
		uintptr_t step = policy_step(va + done, pa + done, size - done, page_size);
		model_insert((struct leaf){ va + done, step, pa + done, flags });
		done += step;
	}
}

/* What vm_unmap() and vm_protect() must answer; *@where: the page at fault. */
static int model_change_error(uintptr_t va, uintptr_t size, uintptr_t *where)
{
	uintptr_t half = (uintptr_t)1 << (current->va_bits - 1);
	*where = va;
	if (size == 0 || ((va | size) & (PAGE - 1)))
		return VM_ERR_UNALIGNED;
	if (!canonical(va))
		return VM_ERR_NONCANONICAL;
	if (va >= half || size > half - va)
		return VM_ERR_RANGE;
	for (uintptr_t p = va; p < va + size;) {
		const struct leaf *l = model_find(p);
		*where = p;
		if (!l)
			return VM_ERR_NOT_MAPPED;
		if (l->va != p || l->va + l->size > va + size)
			return VM_ERR_LARGE_PAGE;
		p += l->size;
	}
	return VM_OK;
}

/* ---- what the tables hold, read with vm_visit() ---- */

struct record {
	unsigned level;
	int leaf;
	uintptr_t va, size;
	uint64_t entry;
};

static struct record *seen;
static size_t nr_seen, seen_cap;

static void collect(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
		    void *ctx)
{
	(void)ctx;
	if (nr_seen == seen_cap) {
		seen_cap = seen_cap ? 2 * seen_cap : 4096;
		seen = realloc(seen, seen_cap * sizeof(*seen));
		if (!seen)
			fail("out of host memory");
	}
	seen[nr_seen++] = (struct record){ level, leaf, va, size, entry };
}

/* ---- observations: what the class grader compares with the reference's ---- */

/* A virtual address in an observation is written in full (16 digits): the
 * top of x86_64's lower half (0x7fff...) would otherwise look like a host
 * address to tools/lab/observations.py. */
#define OBS_VA "0x%016lx"

/* A table page named by its place in the tree ("root", or "T<level>@<the
 * first address it maps>"): its host address differs between runs, and
 * which page holds which table follows the order of the student's
 * allocations, which the test does not prescribe. */
struct role {
	uintptr_t page;
	unsigned level;
	uintptr_t va;
};

static struct role *roles, *roles_before; /* now; at take_snapshot() */
static size_t nr_roles, roles_cap, nr_roles_before;

static int by_page(const void *a, const void *b)
{
	const struct role *x = a, *y = b;
	return x->page < y->page ? -1 : x->page > y->page;
}

/* The roles of the table pages seen[] points to. */
static void name_tables(void)
{
	nr_roles = 0;
	for (size_t i = 0; i < nr_seen; i++) {
		if (seen[i].leaf)
			continue;
		if (nr_roles == roles_cap) {
			roles_cap = roles_cap ? 2 * roles_cap : 1024;
			roles = realloc(roles, roles_cap * sizeof(*roles));
			if (!roles)
				fail("out of host memory");
		}
		roles[nr_roles++] = (struct role){ current->address(seen[i].entry),
						   seen[i].level + 1, seen[i].va };
	}
	if (nr_roles)
		qsort(roles, nr_roles, sizeof(*roles), by_page);
}

/* @pa as text: a table by its role in @r, another page of the arena by
 * its offset, anything else (a leaf's physical address, chosen by the
 * test) as it is. */
static const char *page_text(char *out, size_t n, uintptr_t pa, const struct role *r,
			     size_t nr)
{
	struct role key = { pa, 0, 0 };
	const struct role *found = nr ? bsearch(&key, r, nr, sizeof(*r), by_page) : NULL;
	uintptr_t base = (uintptr_t)arena;
	if (pa == space.root)
		snprintf(out, n, "root");
	else if (found)
		snprintf(out, n, "T%u@0x%lx", found->level, (unsigned long)found->va);
	else if (pa >= base && pa - base < arena_pages * PAGE)
		snprintf(out, n, "arena+0x%lx", (unsigned long)(pa - base));
	else
		snprintf(out, n, "0x%lx", (unsigned long)pa);
	return out;
}

/* A raw entry as text: its address (page_text()) and its other bits. */
static const char *entry_text(char *out, size_t n, uint64_t entry, const struct role *r,
			      size_t nr)
{
	uintptr_t all = (((uintptr_t)1 << current->pa_bits) - 1) & ~(PAGE - 1);
	uint64_t address_bits = current->make_table(all) ^ current->make_table(0);
	char page[48];
	if (entry == 0)
		snprintf(out, n, "0");
	else
		snprintf(out, n, "%s/0x%llx",
			 page_text(page, sizeof(page), current->address(entry), r, nr),
			 (unsigned long long)(entry & ~address_bits));
	return out;
}

/* FNV-1a: a long list (every leaf, every step) in one observation. */
#define DIGEST_START 0xcbf29ce484222325ULL

static uint64_t digest(uint64_t h, uint64_t value)
{
	for (int i = 0; i < 8; i++, value >>= 8) {
		h ^= value & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t digest_text(uint64_t h, const char *text)
{
	for (; *text; text++) {
		h ^= (unsigned char)*text;
		h *= 0x100000001b3ULL;
	}
	return digest(h, 0); /* ends each text */
}

static void read_tables(void)
{
	nr_seen = 0;
	vm_visit(&space, 0, UINTPTR_MAX, collect, NULL);
	name_tables();
}

/* The table entries (not leaves) the model needs: for each leaf at level
 * L, the entry at every level above it that covers it. Sorted by level,
 * then address, without repeats; returns how many. */
struct table_entry {
	unsigned level;
	uintptr_t va;
};

static struct table_entry *expected_tables;
static size_t expected_cap;

static int by_level_then_va(const void *a, const void *b)
{
	const struct table_entry *x = a, *y = b;
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	return x->va < y->va ? -1 : x->va > y->va;
}

static size_t model_tables(void)
{
	size_t n = 0;
	uintptr_t last[VM_MAX_LEVELS];
	int have[VM_MAX_LEVELS] = { 0 };
	for (size_t i = 0; i < nr_model; i++) {
		unsigned leaf_level = level_of(model[i].size);
		for (unsigned l = 0; l < leaf_level; l++) {
			uintptr_t base = model[i].va & ~(model_size(l) - 1);
			if (have[l] && last[l] == base)
				continue;
			have[l] = 1;
			last[l] = base;
			if (n == expected_cap) {
				expected_cap = expected_cap ? 2 * expected_cap : 1024;
				expected_tables = realloc(expected_tables,
							  expected_cap * sizeof(*expected_tables));
				if (!expected_tables)
					fail("out of host memory");
			}
			expected_tables[n++] = (struct table_entry){ l, base };
		}
	}
	if (n)
		qsort(expected_tables, n, sizeof(*expected_tables), by_level_then_va);
	return n;
}

/* The tables a map of [va, va + size) would add to the model's (it must succeed). */
static size_t model_new_tables(uintptr_t va, uintptr_t pa, uintptr_t size, uintptr_t page_size)
{
	size_t before = model_tables(), saved = nr_model;
	model_map(va, pa, size, VM_READ, page_size);
	size_t need = model_tables() - before;
	model_remove(va, size);
	if (nr_model != saved)
		fail("the test's model is broken");
	return need;
}

static void flags_text(unsigned flags, char out[4])
{
	out[0] = flags & VM_READ ? 'r' : '-';
	out[1] = flags & VM_WRITE ? 'w' : '-';
	out[2] = flags & VM_EXEC ? 'x' : '-';
	out[3] = 0;
}

static int by_level_then_va_record(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	return x->va < y->va ? -1 : x->va > y->va;
}

/*
 * The whole state against the model: every leaf (address, size, level,
 * physical address, flags), every table (no more, no fewer), the
 * walker's counters, the page manager's free pages and vm_check().
 */
static void compare(const char *when)
{
	read_tables();
	/* Observed: what the checks below look at, the leaves and tables as
	 * digests (in vm_visit()'s order, which is the tree's). */
	uint64_t leaf_digest = DIGEST_START, table_digest = DIGEST_START;
	size_t nr_leaves = 0;
	for (size_t i = 0; i < nr_seen; i++) {
		const struct record *r = &seen[i];
		if (r->leaf) {
			nr_leaves++;
			leaf_digest = digest(leaf_digest, r->level);
			leaf_digest = digest(leaf_digest, r->va);
			leaf_digest = digest(leaf_digest, r->size);
			leaf_digest = digest(leaf_digest, current->address(r->entry));
			leaf_digest = digest(leaf_digest, current->flags(r->entry) & RWX);
		} else {
			table_digest = digest(digest(table_digest, r->level), r->va);
		}
	}
	struct vm_stats st;
	vm_get_stats(&st);
	size_t bad = vm_check(&space, 1, NULL, NULL);
	lab_observe("the tables: %zu leaves %016llx, %zu tables %016llx; stats %zu tables, "
		    "%zu/%zu/%zu leaves; %ld pages taken below the root; vm_check %zu", nr_leaves,
		    (unsigned long long)leaf_digest, nr_seen - nr_leaves,
		    (unsigned long long)table_digest, st.table_pages, st.leaves_4k, st.leaves_2m,
		    st.leaves_1g, (long)free_with_root - (long)hogged - (long)pmm_free_page_count(),
		    bad);
	/* Leaves: vm_visit() gives them in address order. */
	size_t m = 0;
	for (size_t i = 0; i < nr_seen; i++) {
		const struct record *r = &seen[i];
		if (!r->leaf)
			continue;
		uintptr_t pa = current->address(r->entry);
		unsigned flags = current->flags(r->entry) & RWX;
		char f1[4], f2[4];
		flags_text(flags, f1);
		if (m == nr_model)
			fail("after %s: a %s leaf at level %u maps 0x%lx -> 0x%lx %s, which "
			     "should not be mapped", when, size_name(r->size), r->level,
			     (unsigned long)r->va, (unsigned long)pa, f1);
		const struct leaf *l = &model[m++];
		flags_text(l->flags, f2);
		if (r->va != l->va || r->size != l->size || pa != l->pa || flags != l->flags)
			fail("after %s: expected a %s leaf at level %u mapping 0x%lx -> 0x%lx %s, "
			     "found a %s leaf at level %u mapping 0x%lx -> 0x%lx %s", when,
			     size_name(l->size), level_of(l->size), (unsigned long)l->va,
			     (unsigned long)l->pa, f2, size_name(r->size), r->level,
			     (unsigned long)r->va, (unsigned long)pa, f1);
	}
	if (m < nr_model)
		fail("after %s: expected a %s leaf mapping 0x%lx -> 0x%lx, found nothing there", when,
		     size_name(model[m].size), (unsigned long)model[m].va,
		     (unsigned long)model[m].pa);

	/* Tables: the entries that point to one. */
	size_t n = model_tables(), t = 0;
	struct record *tables = malloc((nr_seen + 1) * sizeof(*tables));
	size_t nr_tables = 0;
	for (size_t i = 0; i < nr_seen; i++)
		if (!seen[i].leaf)
			tables[nr_tables++] = seen[i];
	if (nr_tables)
		qsort(tables, nr_tables, sizeof(*tables), by_level_then_va_record);
	for (size_t i = 0; i < nr_tables || t < n; i++, t++) {
		struct table_entry found = { 0, 0 };
		if (i < nr_tables)
			found = (struct table_entry){ tables[i].level, tables[i].va };
		int order = i == nr_tables ? 1 : t == n ? -1
				: by_level_then_va(&found, &expected_tables[t]);
		if (order < 0) {
			uintptr_t end = found.va + tables[i].size;
			free(tables);
			fail("after %s: the level %u entry for 0x%lx-0x%lx points to a table, but "
			     "nothing is mapped there (the table should have been freed)", when,
			     found.level, (unsigned long)found.va, (unsigned long)end);
		}
		if (order > 0) {
			struct table_entry e = expected_tables[t];
			free(tables);
			fail("after %s: expected the level %u entry for 0x%lx-0x%lx to point to a "
			     "table, found none", when, e.level, (unsigned long)e.va,
			     (unsigned long)(e.va + model_size(e.level)));
		}
	}
	free(tables);

	size_t leaves[3] = { 0, 0, 0 };
	for (size_t i = 0; i < nr_model; i++)
		leaves[model[i].size == PAGE ? 0 : model[i].size == VM_SIZE_2M ? 1 : 2]++;
	if (st.table_pages != n + 1)
		fail("after %s: vm_get_stats() says %zu table pages, expected %zu (the root and %zu "
		     "below it)", when, st.table_pages, n + 1, n);
	if (st.leaves_4k != leaves[0] || st.leaves_2m != leaves[1] || st.leaves_1g != leaves[2])
		fail("after %s: vm_get_stats() counts %zu/%zu/%zu leaves of 4K/2M/1G, expected "
		     "%zu/%zu/%zu", when, st.leaves_4k, st.leaves_2m, st.leaves_1g, leaves[0],
		     leaves[1], leaves[2]);
	size_t free_expected = free_with_root - n - hogged;
	if (pmm_free_page_count() != free_expected)
		fail("after %s: %zu pages free, expected %zu (%zu table pages below the root)", when,
		     pmm_free_page_count(), free_expected, n);
	if (bad)
		fail("after %s: vm_check() finds %zu broken invariants", when, bad);
}

/* ---- random requests ---- */

/* Places near boundaries of every level: ranges cross tables. */
static uintptr_t random_va(void)
{
	static const uintptr_t sv39[] = { 0x2000000000, 0x2040000000 - 8 * MIB, 0x2200000000,
					  0x3f00000000 - 4 * MIB, 0x1000000000 };
	static const uintptr_t x86[] = { 0x2000000000, 0x2040000000 - 8 * MIB, 0x8000000000 - 4 * MIB,
					 0x8000000000, 0x123400000000 };
	const uintptr_t *anchors = levels() == 3 ? sv39 : x86;
	uintptr_t base = anchors[random_below(5)];
	return base + random_below(16 * MIB / PAGE) * PAGE;
}

static uintptr_t random_pages(void)
{
	switch (random_below(4)) {
	case 0: return 1 + random_below(4);
	case 1: return 1 + random_below(64);
	case 2: return 500 + random_below(700); /* crosses a 2 MiB boundary */
	default: return 1 + random_below(1100);
	}
}

static unsigned random_flags(void)
{
	static const unsigned choice[] = { VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC,
					   RWX, VM_READ | VM_WRITE };
	return choice[random_below(5)];
}

static char when_text[200];

static const char *describe(const char *what, uintptr_t va, uintptr_t pa, uintptr_t size,
			    uintptr_t page_size)
{
	if (pa == UINTPTR_MAX)
		snprintf(when_text, sizeof(when_text), "%s(0x%lx, %lu pages)", what,
			 (unsigned long)va, (unsigned long)(size / PAGE));
	else
		snprintf(when_text, sizeof(when_text), "%s(0x%lx -> 0x%lx, %lu pages, %s)", what,
			 (unsigned long)va, (unsigned long)pa, (unsigned long)(size / PAGE),
			 page_size ? size_name(page_size) : "largest");
	return when_text;
}

/* One map, its answer checked against the model; the model follows. */
static int do_map(uintptr_t va, uintptr_t pa, uintptr_t size, unsigned flags,
		  uintptr_t page_size)
{
	int expected = model_map_error(va, pa, size, flags, page_size);
	if (expected == VM_OK) {
		/* What the shell's map tells before it starts (table_exists). */
		size_t need = model_new_tables(va, pa, size, page_size);
		size_t told = vm_tables_needed(&space, va, pa, size, page_size);
		lab_observe("vm_tables_needed(" OBS_VA ", %lu pages, %s): %zu",
			    (unsigned long)va, (unsigned long)(size / PAGE),
			    page_size ? size_name(page_size) : "largest", told);
		if (told != need)
			fail("%s: vm_tables_needed() says %zu new tables, the map needs %zu",
			     describe(page_size ? "vm_map" : "vm_map_largest", va, pa, size,
				      page_size), told, need);
	}
	int err = page_size ? vm_map(&space, va, pa, size, flags, page_size)
			    : vm_map_largest(&space, va, pa, size, flags);
	const char *what = describe(page_size ? "vm_map" : "vm_map_largest", va, pa, size,
				    page_size);
	char f[4];
	flags_text(flags, f);
	lab_observe("%s(" OBS_VA " -> 0x%lx, %lu pages, %s) %s: %s",
		    page_size ? "vm_map" : "vm_map_largest", (unsigned long)va, (unsigned long)pa,
		    (unsigned long)(size / PAGE), page_size ? size_name(page_size) : "largest", f,
		    error_name(err));
	if (err != expected)
		fail("%s: expected %s, got %s", what, error_name(expected), error_name(err));
	if (err == VM_OK)
		model_map(va, pa, size, flags, page_size);
	return err;
}

static int do_unmap(uintptr_t va, uintptr_t size)
{
	uintptr_t where;
	int expected = model_change_error(va, size, &where);
	size_t before = flushes, leaves = 0;
	if (expected == VM_OK)
		for (size_t i = model_lower(va); i < nr_model && model[i].va < va + size; i++)
			leaves++;
	int err = vm_unmap(&space, va, size);
	const char *what = describe("vm_unmap", va, UINTPTR_MAX, size, 0);
	/* The flushes count only when it worked (so does the check). */
	if (err == VM_OK)
		lab_observe("vm_unmap(" OBS_VA ", %lu pages): %s, %zu TLB flushes",
			    (unsigned long)va, (unsigned long)(size / PAGE), error_name(err),
			    flushes - before);
	else
		lab_observe("vm_unmap(" OBS_VA ", %lu pages): %s", (unsigned long)va,
			    (unsigned long)(size / PAGE), error_name(err));
	if (err != expected)
		fail("%s: expected %s (at 0x%lx), got %s", what, error_name(expected),
		     (unsigned long)where, error_name(err));
	if (err == VM_OK) {
		model_remove(va, size);
		if (flushes - before != leaves)
			fail("%s: removed %zu leaves but flushed %zu TLB entries (one per leaf)",
			     what, leaves, flushes - before);
	}
	return err;
}

static int do_protect(uintptr_t va, uintptr_t size, unsigned flags)
{
	uintptr_t where;
	int expected = model_change_error(va, size, &where);
	if (expected == VM_OK && !(flags & RWX))
		expected = VM_ERR_FLAGS;
	int err = vm_protect(&space, va, size, flags);
	const char *what = describe("vm_protect", va, UINTPTR_MAX, size, 0);
	char f[4];
	flags_text(flags, f);
	lab_observe("vm_protect(" OBS_VA ", %lu pages) %s: %s", (unsigned long)va,
		    (unsigned long)(size / PAGE), f, error_name(err));
	if (err != expected)
		fail("%s: expected %s (at 0x%lx), got %s", what, error_name(expected),
		     (unsigned long)where, error_name(err));
	if (err == VM_OK)
		for (size_t i = model_lower(va); i < nr_model && model[i].va < va + size; i++)
			model[i].flags = flags;
	return err;
}

/* A physical address for @va: the same offset in 2 MiB (so large pages
 * fit) most of the time, 4 KiB off sometimes. */
static uintptr_t random_pa(uintptr_t va)
{
	uintptr_t pa = 0x80000000 + random_below(64) * VM_SIZE_2M + (va & (VM_SIZE_2M - 1));
	return random_below(4) ? pa : pa + PAGE * (1 + random_below(511));
}

/* A random mapped range of whole, adjacent leaves: [*va, *va + *size). */
static int random_mapped_range(uintptr_t *va, uintptr_t *size)
{
	if (nr_model == 0)
		return 0;
	size_t i = random_below(nr_model), j = i;
	size_t n = 1 + random_below(random_below(2) ? 8 : 600);
	while (j + 1 < nr_model && j + 1 - i < n &&
	       model[j + 1].va == model[j].va + model[j].size)
		j++;
	*va = model[i].va;
	*size = model[j].va + model[j].size - model[i].va;
	return 1;
}

/* ---- the tests ---- */

static const struct pt_format *formats[2];

static void each_format(void (*test)(void))
{
	formats[0] = sv39_format();
	formats[1] = x86_64_format();
	for (int i = 0; i < 2; i++) {
		current = formats[i];
		model_clear();
		context = "";
		lab_observe("%s", current->name);
		test();
	}
}

/* vm_level_shift(), vm_level_size(), vm_level_index(): shift_of, index_of. */
static void levels_test(void)
{
	for (unsigned l = 0; l < levels(); l++) {
		lab_observe("vm_level_shift(%u) %u, vm_level_size(%u) 0x%lx", l, vm_level_shift(l),
			    l, (unsigned long)vm_level_size(l));
		if (vm_level_shift(l) != model_shift(l))
			fail("vm_level_shift(%u): expected %u, got %u", l, model_shift(l),
			     vm_level_shift(l));
		if (vm_level_size(l) != model_size(l))
			fail("vm_level_size(%u): expected 0x%lx, got 0x%lx", l,
			     (unsigned long)model_size(l), (unsigned long)vm_level_size(l));
	}
	/* The indexes of the addresses checked below, observed first: one
	 * digest per level (the same addresses again after rng_state is put
	 * back). */
	unsigned long long rng_saved = rng_state;
	uint64_t index_digest[VM_MAX_LEVELS];
	for (unsigned l = 0; l < levels(); l++)
		index_digest[l] = DIGEST_START;
	for (int i = 0; i < 20000; i++) {
		uintptr_t va = random64();
		if (i < 4096)
			va = (uintptr_t)i << (12 + 9 * (i % 4));
		for (unsigned l = 0; l < levels(); l++)
			index_digest[l] = digest(index_digest[l], vm_level_index(va, l));
	}
	for (unsigned l = 0; l < levels(); l++)
		lab_observe("vm_level_index(va, %u) of the 20000 addresses: %016llx", l,
			    (unsigned long long)index_digest[l]);
	rng_state = rng_saved;
	for (int i = 0; i < 20000; i++) {
		uintptr_t va = random64();
		if (i < 4096)
			va = (uintptr_t)i << (12 + 9 * (i % 4)); /* every index of every level */
		for (unsigned l = 0; l < levels(); l++)
			if (vm_level_index(va, l) != model_index(va, l))
				fail("vm_level_index(0x%lx, %u): expected %u, got %u",
				     (unsigned long)va, l, model_index(va, l), vm_level_index(va, l));
	}
}

/* vm_space_init(): a root from the page manager, zeroed, owned, counted. */
static void tables_test(void)
{
	fresh(current, 1);
	struct pmm_block block;
	int found = pmm_allocation_at(space.root, &block);
	if (found == PMM_OK)
		lab_observe("the root: an allocation of %zu pages, holder %u", block.pages,
			    block.holder);
	else
		lab_observe("the root: no allocation (%d)", found);
	if (found != PMM_OK || block.pages != 1 ||
	    block.holder != PMM_HOLDER_PAGE_TABLE)
		fail("the root 0x%lx is not a one-page allocation held by PMM_HOLDER_PAGE_TABLE",
		     (unsigned long)space.root);
	const uint64_t *root = (const uint64_t *)space.root;
	unsigned nonzero = 0;
	for (unsigned i = 0; i < VM_ENTRIES; i++)
		nonzero += root[i] != 0;
	lab_observe("the new root: %u entries not 0", nonzero);
	for (unsigned i = 0; i < VM_ENTRIES; i++)
		if (root[i])
			fail("entry %u of a new root table is 0x%llx, expected 0 (a table page "
			     "must be zeroed)", i, (unsigned long long)root[i]);
	compare("vm_space_init()");
	/* A second space over what is left; then none when no page is left. */
	struct vm_space other;
	size_t free0 = pmm_free_page_count();
	int err = vm_space_init(&other);
	lab_observe("a second vm_space_init(): %s, %ld pages taken", error_name(err),
		    (long)free0 - (long)pmm_free_page_count());
	if (err != VM_OK || pmm_free_page_count() != free0 - 1)
		fail("a second vm_space_init() did not take exactly one page");
	struct vm_stats st;
	vm_get_stats(&st);
	lab_observe("two roots: %zu table pages", st.table_pages);
	if (st.table_pages != 2)
		fail("two roots: vm_get_stats() says %zu table pages, expected 2", st.table_pages);
	starve(0);
	err = vm_space_init(&other);
	vm_get_stats(&st);
	lab_observe("vm_space_init() with no free page: %s, %zu table pages", error_name(err),
		    st.table_pages);
	if (err != VM_ERR_NO_MEMORY || st.table_pages != 2)
		fail("vm_space_init() with no free page: expected VM_ERR_NO_MEMORY and 2 table pages, "
		     "got %s and %zu", error_name(err), st.table_pages);
	give_back();
}

/* Maps of 4 KiB pages: the tables made on the way, and refusals. */
static void map_4k_test(void)
{
	fresh(current, 24);
	compare("vm_space_init()");
	for (int i = 0; i < 40; i++) {
		uintptr_t va = random_va(), size = random_pages() * PAGE, pa = random_pa(va);
		do_map(va, pa, size, random_flags(), PAGE);
		compare(when_text);
		if (i % 4 == 3 && nr_model) {
			/* Over a page that is mapped: refused, nothing changes. */
			const struct leaf *l = &model[random_below(nr_model)];
			uintptr_t at = l->va - PAGE * random_below(3);
			do_map(at, 0x40000000, PAGE * (1 + random_below(5)), VM_READ, PAGE);
			compare(when_text);
			do_map(va + 1 + random_below(PAGE - 1), pa, PAGE, VM_READ, PAGE);
			do_map(va, pa, 0, VM_READ, PAGE);
			do_map(va, pa, PAGE, 0, PAGE);
			compare("refused maps");
		}
	}
}

/* 2 MiB and 1 GiB leaves at their own levels, and the largest that fit. */
static void map_large_body(void)
{
	fresh(current, 8);
	for (int i = 0; i < 30; i++) {
		uintptr_t va = random_va() & ~(VM_SIZE_2M - 1);
		unsigned flags = random_flags();
		switch (random_below(4)) {
		case 0: { /* 2 MiB pages */
			uintptr_t pa = 0x40000000 + random_below(512) * VM_SIZE_2M;
			do_map(va, pa, VM_SIZE_2M * (1 + random_below(3)), flags, VM_SIZE_2M);
			break;
		}
		case 1: { /* 1 GiB pages, where the format has them */
			uintptr_t gva = 0x1000000000 + random_below(32) * VM_SIZE_1G;
			do_map(gva, VM_SIZE_1G * (1 + random_below(8)), VM_SIZE_1G, flags, VM_SIZE_1G);
			break;
		}
		default: { /* the largest that fit: 4K, 2M, 1G mixed */
			uintptr_t head = random_below(3) * PAGE * (1 + random_below(100));
			uintptr_t size = head + VM_SIZE_2M * random_below(3) + PAGE * random_below(700);
			uintptr_t start = va - head;
			uintptr_t pa = 0x100000000 + random_below(4) * VM_SIZE_1G - head +
				       (random_below(5) ? 0 : PAGE);
			if (random_below(3) == 0) { /* a 1 GiB leaf between smaller ones */
				start = 0x1000000000 + random_below(32) * VM_SIZE_1G - head;
				pa = VM_SIZE_1G * (4 + random_below(8)) - head;
				size += VM_SIZE_1G;
			}
			do_map(start, pa, size ? size : PAGE, flags, 0);
		}
		}
		compare(when_text);
		/* 4K over a large leaf, a large leaf over 4K leaves: refused. */
		for (size_t k = 0; k < 2 && nr_model; k++) {
			const struct leaf *l = &model[random_below(nr_model)];
			uintptr_t inside = l->va + (random_below(l->size / PAGE)) * PAGE;
			if (l->size > PAGE)
				do_map(inside, 0x40000000, PAGE, VM_READ, PAGE);
			else
				do_map(l->va & ~(VM_SIZE_2M - 1), 0x40000000, VM_SIZE_2M, VM_READ,
				       VM_SIZE_2M);
			compare(when_text);
		}
	}
}

static void map_large_test(void)
{
	map_large_body();
	if (current == x86_64_format()) {
		/* A CPU with 1 GiB pages (the kernel asks CPUID). */
		x86_64_format_allow_1g();
		model_clear();
		map_large_body();
	}
}

/* The entry vm_visit() saw at @level for @va (seen[] sorted), or NULL. */
static const struct record *seen_at(unsigned level, uintptr_t va)
{
	size_t lo = 0, hi = nr_seen;
	while (lo < hi) { /* the first record after (level, va) */
		size_t mid = (lo + hi) / 2;
		if (seen[mid].level < level || (seen[mid].level == level && seen[mid].va <= va))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct record *r = &seen[lo - 1];
	return r->level == level && va - r->va < r->size ? r : NULL;
}

/* The whole walk of @va, step by step, against the tables and the model. */
static void check_walk(uintptr_t va)
{
	struct vm_walk w;
	char what[80];
	memset(&w, 0x5a, sizeof(w));
	int err = vm_translate(&space, va, &w);
	snprintf(what, sizeof(what), "vm_translate(0x%lx)", (unsigned long)va);
	if (!canonical(va)) {
		lab_observe("vm_translate(" OBS_VA "): %s, %u steps, mapped %d", (unsigned long)va,
			    error_name(err), w.nr_steps, w.mapped != 0);
		if (err != VM_ERR_NONCANONICAL || w.nr_steps != 0 || w.mapped)
			fail("%s: expected VM_ERR_NONCANONICAL with no step, got %s with %u steps",
			     what, error_name(err), w.nr_steps);
		return;
	}
	/* The walk the tables call for: down to the first absent entry or leaf. */
	struct vm_step expected[VM_MAX_LEVELS];
	unsigned nr_expected = 0;
	const struct record *r = NULL;
	uintptr_t table = space.root;
	for (unsigned s = 0; s < levels(); s++) {
		r = seen_at(s, va);
		expected[nr_expected++] = (struct vm_step){ s, model_index(va, s), table,
							    r ? r->entry : 0 };
		if (!r || r->leaf)
			break;
		table = current->address(r->entry);
	}
	const struct leaf *l = model_find(va);
	if (!l != !(r && r->leaf))
		fail("%s: the tables and the model disagree (the test is broken)", what);
	/* Observed: the steps as a digest (tables by their role, see page_text()),
	 * and what the checks below look at. */
	uint64_t steps = DIGEST_START;
	for (unsigned s = 0; s < w.nr_steps && s < VM_MAX_LEVELS; s++) {
		char text[64];
		steps = digest(digest(steps, w.steps[s].level), w.steps[s].index);
		steps = digest_text(steps, page_text(text, sizeof(text), w.steps[s].table, roles,
						     nr_roles));
		steps = digest_text(steps, entry_text(text, sizeof(text), w.steps[s].entry, roles,
						      nr_roles));
	}
	if (l)
		lab_observe("vm_translate(" OBS_VA "): %s, %u steps %016llx, mapped %d, pa 0x%lx, "
			    "size 0x%lx, flags %u", (unsigned long)va, error_name(err), w.nr_steps,
			    (unsigned long long)steps, w.mapped != 0, (unsigned long)w.pa,
			    (unsigned long)w.size, w.flags & RWX);
	else
		lab_observe("vm_translate(" OBS_VA "): %s, %u steps %016llx, mapped %d",
			    (unsigned long)va, error_name(err), w.nr_steps,
			    (unsigned long long)steps, w.mapped != 0);
	if (w.nr_steps != nr_expected)
		fail("%s: expected %u steps (down to %s at level %u), got %u", what, nr_expected,
		     l ? "the leaf" : "the first absent entry", nr_expected - 1, w.nr_steps);
	for (unsigned s = 0; s < nr_expected; s++) {
		const struct vm_step *e = &expected[s], *got = &w.steps[s];
		if (got->level != e->level || got->index != e->index || got->table != e->table ||
		    got->entry != e->entry)
			fail("%s: step %u: expected level %u, index %u, table 0x%lx, entry 0x%llx; "
			     "got level %u, index %u, table 0x%lx, entry 0x%llx", what, s, e->level,
			     e->index, (unsigned long)e->table, (unsigned long long)e->entry,
			     got->level, got->index, (unsigned long)got->table,
			     (unsigned long long)got->entry);
	}
	if (!l) {
		if (err != VM_ERR_NOT_MAPPED || w.mapped)
			fail("%s: expected VM_ERR_NOT_MAPPED, not mapped; got %s, mapped %d", what,
			     error_name(err), w.mapped);
		return;
	}
	uintptr_t pa = l->pa + (va - l->va);
	if (err != VM_OK || !w.mapped || w.pa != pa || w.size != l->size ||
	    (w.flags & RWX) != l->flags)
		fail("%s: expected VM_OK, mapped, pa 0x%lx, a %s leaf, flags %u; got %s, mapped %d, "
		     "pa 0x%lx, size 0x%lx, flags %u", what, (unsigned long)pa, size_name(l->size),
		     l->flags, error_name(err), w.mapped, (unsigned long)w.pa,
		     (unsigned long)w.size, w.flags & RWX);
}

static void translate_test(void)
{
	fresh(current, 8);
	if (current == x86_64_format())
		x86_64_format_allow_1g();
	for (int i = 0; i < 12; i++) {
		uintptr_t va = random_va();
		do_map(va, random_pa(va), random_pages() * PAGE, random_flags(), random_below(2) ? 0 : PAGE);
	}
	do_map(0x2400000000, 0x80000000, VM_SIZE_2M * 2, VM_READ, VM_SIZE_2M);
	do_map(0x1000000000 + VM_SIZE_1G * random_below(8), VM_SIZE_1G, VM_SIZE_1G, RWX,
	       VM_SIZE_1G);
	compare("the maps");
	qsort(seen, nr_seen, sizeof(*seen), by_level_then_va_record);
	for (int i = 0; i < 3000; i++) {
		uintptr_t va;
		switch (random_below(6)) {
		case 0: va = random_va() + random_below(PAGE); break;
		case 1: va = random64(); break; /* mostly not canonical */
		case 2: va = ~(uintptr_t)0 << (current->va_bits - 1) | random64() % GIB; break;
		default: {
			const struct leaf *l = &model[random_below(nr_model)];
			va = l->va + random_below(l->size) + (random_below(8) ? 0 : l->size);
		}
		}
		check_walk(va);
	}
}

/* Unmapping and protecting: leaves go, emptied tables go back. */
static void unmap_test(void)
{
	fresh(current, 24);
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 8; i++) {
			uintptr_t va = random_va();
			do_map(va, random_pa(va), random_pages() * PAGE, random_flags(),
			       random_below(3) ? 0 : PAGE);
			if (i % 3 == 0) {
				uintptr_t big = 0x2800000000 + random_below(8) * VM_SIZE_2M;
				do_map(big, 0x40000000, VM_SIZE_2M, VM_READ, VM_SIZE_2M);
			}
		}
		compare("the maps");
		for (int i = 0; i < 12; i++) {
			uintptr_t va, size;
			if (!random_mapped_range(&va, &size))
				break;
			switch (random_below(5)) {
			case 0: /* one page more: not mapped there, or cuts a leaf */
				do_unmap(va, size + PAGE);
				break;
			case 1: /* inside a large leaf */
				do_unmap(va + PAGE, PAGE);
				break;
			case 2:
				do_protect(va, size, random_flags());
				break;
			default:
				do_unmap(va, size);
			}
			compare(when_text);
		}
	}
	/* 2 MiB leaves on both sides of a 1 GiB edge, unmapped in one call:
	 * every table the unmap empties goes back, not only the last one. */
	uintptr_t edge = 0x3000000000 + random_below(4) * VM_SIZE_1G;
	uintptr_t below = (1 + random_below(3)) * VM_SIZE_2M, above = (1 + random_below(3)) * VM_SIZE_2M;
	do_map(edge - below, 0x40000000, below + above, VM_READ, VM_SIZE_2M);
	compare(when_text);
	do_unmap(edge - below, below + above);
	compare(when_text);
	while (nr_model) {
		uintptr_t va, size;
		random_mapped_range(&va, &size);
		do_unmap(va, size);
		compare(when_text);
	}
	lab_observe("everything unmapped: %ld pages taken below the root",
		    (long)free_with_root - (long)pmm_free_page_count());
	if (pmm_free_page_count() != free_with_root)
		fail("everything unmapped: %zu pages free, expected %zu", pmm_free_page_count(),
		     free_with_root);
}

/* Snapshots of the tables, to prove a failed map left them as they were. */
static struct record *snapshot;
static size_t nr_snapshot;

static void take_snapshot(void)
{
	read_tables();
	free(snapshot);
	snapshot = malloc((nr_seen + 1) * sizeof(*snapshot));
	if (nr_seen)
		memcpy(snapshot, seen, nr_seen * sizeof(*seen));
	nr_snapshot = nr_seen;
	free(roles_before);
	roles_before = malloc((nr_roles + 1) * sizeof(*roles_before));
	if (nr_roles)
		memcpy(roles_before, roles, nr_roles * sizeof(*roles));
	nr_roles_before = nr_roles;
}

static void same_as_snapshot(const char *when)
{
	read_tables();
	/* Observed: every entry, a table named by the role its page had in
	 * the snapshot (a table moved to another page shows). */
	uint64_t entries = DIGEST_START;
	for (size_t i = 0; i < nr_seen; i++) {
		char text[64];
		entries = digest(digest(entries, seen[i].level), seen[i].va);
		entries = digest_text(entries, entry_text(text, sizeof(text), seen[i].entry,
							  roles_before, nr_roles_before));
	}
	lab_observe("the entries, tables named as before: %zu, %016llx", nr_seen,
		    (unsigned long long)entries);
	for (size_t i = 0; i < nr_seen || i < nr_snapshot; i++) {
		if (i < nr_seen && i < nr_snapshot && seen[i].level == snapshot[i].level &&
		    seen[i].va == snapshot[i].va && seen[i].entry == snapshot[i].entry)
			continue;
		if (i < nr_seen)
			fail("after %s: the level %u entry for 0x%lx is 0x%llx, which was not there "
			     "before (a failed map must change nothing)", when, seen[i].level,
			     (unsigned long)seen[i].va, (unsigned long long)seen[i].entry);
		fail("after %s: the level %u entry for 0x%lx (0x%llx) is gone (a failed map must "
		     "change nothing)", when, snapshot[i].level, (unsigned long)snapshot[i].va,
		     (unsigned long long)snapshot[i].entry);
	}
	compare(when);
}

/* A free, @align-aligned area of @size bytes near the busy anchors: a few
 * random picks, then (the anchors can fill up in later rounds) the first
 * free one in a spare region no anchor reaches. @slot keeps two callers'
 * spare areas apart. */
static uintptr_t free_area(uintptr_t size, uintptr_t align, unsigned slot)
{
	for (int tries = 0; tries < 64; tries++) {
		uintptr_t va = random_va() & ~(align - 1);
		if (!model_overlaps(va, size))
			return va;
	}
	uintptr_t va = 0x2800000000 + (uintptr_t)slot * 0x100000000;
	while (model_overlaps(va, size))
		va += 8 * VM_SIZE_2M;
	return va;
}

static size_t stop_at_report, reports;

static int stop_on_report(const char *what, size_t done, size_t total)
{
	(void)what;
	(void)done;
	(void)total;
	return ++reports == stop_at_report;
}

/* Out of table pages half-way, or interrupted: a map undoes itself. */
static void rollback_test(void)
{
	fresh(current, 8);
	for (int round = 0; round < 6; round++) {
		/* Something mapped already, near where the failing map goes. */
		uintptr_t va = random_va();
		do_map(va, random_pa(va), random_pages() * PAGE, random_flags(), PAGE);
		compare(when_text);
		/* A map whose first page has no table yet and whose second is mapped:
		 * refused with VM_ERR_MAPPED before it takes a page, even with none free. */
		uintptr_t block = free_area(2 * VM_SIZE_2M, VM_SIZE_2M, 0);
		do_map(block + VM_SIZE_2M, 0x80000000, PAGE, VM_READ, PAGE);
		take_snapshot();
		starve(0);
		int refused = vm_map(&space, block + VM_SIZE_2M - PAGE, 0x80000000, 2 * PAGE, VM_READ,
				     PAGE);
		lab_observe("vm_map(" OBS_VA ", 2 pages) over a mapped page, no page free: %s",
			    (unsigned long)(block + VM_SIZE_2M - PAGE), error_name(refused));
		if (refused != VM_ERR_MAPPED)
			fail("vm_map(0x%lx, 2 pages), the second page mapped and no page free: expected "
			     "VM_ERR_MAPPED, got %s", (unsigned long)(block + VM_SIZE_2M - PAGE),
			     error_name(refused));
		same_as_snapshot("a map refused over a mapped page");
		give_back();
		/* A map in free space that needs at least two new tables. */
		uintptr_t size = (VM_SIZE_2M / PAGE + random_below(1200)) * PAGE, need;
		va = free_area(size, PAGE, 1);
		need = model_new_tables(va, 0x80000000, size, PAGE);
		take_snapshot();
		for (size_t left = 0; left < need; left++) {
			starve(left);
			char what[120];
			snprintf(what, sizeof(what), "vm_map(0x%lx, %lu pages) with %zu free pages for "
				 "the %lu tables it needs", (unsigned long)va,
				 (unsigned long)(size / PAGE), left, (unsigned long)need);
			int err = vm_map(&space, va, 0x80000000, size, VM_READ, PAGE);
			lab_observe("vm_map(" OBS_VA ", %lu pages) with %zu free pages for %lu "
				    "tables: %s", (unsigned long)va, (unsigned long)(size / PAGE),
				    left, (unsigned long)need, error_name(err));
			if (err != VM_ERR_NO_MEMORY)
				fail("%s: expected VM_ERR_NO_MEMORY, got %s", what, error_name(err));
			same_as_snapshot(what);
			give_back();
		}
		/* Interrupted (Ctrl-C in the shell) after some progress reports. */
		uintptr_t long_va = 0x2c00000000 + (uintptr_t)round * 16 * VM_SIZE_2M;
		/* Reports come at every PROGRESS_EVERY pages done short of the end:
		 * more than 2 x PROGRESS_EVERY pages give the second one. */
		uintptr_t long_size = (2 * PROGRESS_EVERY + 1 + random_below(2 * PROGRESS_EVERY)) * PAGE;
		take_snapshot();
		reports = 0;
		stop_at_report = 1 + random_below(2);
		progress_set_handler(stop_on_report);
		int err = vm_map(&space, long_va, 0x80000000, long_size, VM_READ, PAGE);
		progress_set_handler(NULL);
		lab_observe("vm_map(" OBS_VA ", %lu pages) stopped by the progress handler: %s",
			    (unsigned long)long_va, (unsigned long)(long_size / PAGE),
			    error_name(err));
		if (err != VM_ERR_INTERRUPTED)
			fail("vm_map(0x%lx, %lu pages) stopped by the progress handler: expected "
			     "VM_ERR_INTERRUPTED, got %s", (unsigned long)long_va,
			     (unsigned long)(long_size / PAGE), error_name(err));
		same_as_snapshot("an interrupted vm_map()");
		do_map(va, 0x80000000, size, VM_READ, PAGE);
		compare(when_text);
	}
}

/* A long random mix of everything, checked as it goes. */
static void random_test(void)
{
	fresh(current, 32);
	if (current == x86_64_format() && random_below(2))
		x86_64_format_allow_1g();
	for (int op = 0; op < 700; op++) {
		uintptr_t va, size;
		unsigned r = (unsigned)random_below(10);
		if (nr_model > 20000)
			r = 9;
		if (r < 4) {
			va = random_va();
			do_map(va, random_pa(va), random_pages() * PAGE, random_flags(),
			       random_below(2) ? 0 : PAGE);
		} else if (r == 4) {
			va = random_va() & ~(VM_SIZE_2M - 1);
			do_map(va, 0x40000000, VM_SIZE_2M * (1 + random_below(2)), random_flags(),
			       VM_SIZE_2M);
		} else if (r == 5) {
			va = random_va();
			do_unmap(va, random_pages() * PAGE); /* mostly refused */
		} else if (r == 6 && random_mapped_range(&va, &size)) {
			do_protect(va, size, random_flags());
		} else if (random_mapped_range(&va, &size)) {
			do_unmap(va, size);
		}
		if (op % 10 == 9)
			compare(when_text);
		for (int k = 0; k < 4 && nr_model; k++) {
			const struct leaf *l = &model[random_below(nr_model)];
			uintptr_t at = l->va + random_below(l->size);
			struct vm_walk w;
			int err = vm_translate(&space, at, &w);
			/* The walk is not looked at when it failed. */
			if (err == VM_OK)
				lab_observe("vm_translate(" OBS_VA "): %s, pa 0x%lx, size 0x%lx",
					    (unsigned long)at, error_name(err), (unsigned long)w.pa,
					    (unsigned long)w.size);
			else
				lab_observe("vm_translate(" OBS_VA "): %s", (unsigned long)at,
					    error_name(err));
			if (err != VM_OK || w.mapped != 1 || w.pa != l->pa + (at - l->va) ||
			    w.size != l->size)
				fail("after %s: vm_translate(0x%lx): expected 0x%lx in a %s leaf, got "
				     "mapped %d, 0x%lx, size 0x%lx", when_text, (unsigned long)at,
				     (unsigned long)(l->pa + (at - l->va)), size_name(l->size),
				     w.mapped, (unsigned long)w.pa, (unsigned long)w.size);
		}
	}
	compare(when_text);
	while (nr_model) {
		uintptr_t va, size;
		random_mapped_range(&va, &size);
		do_unmap(va, size);
	}
	compare("unmapping everything");
	lab_observe("everything unmapped: %ld pages taken below the root",
		    (long)free_with_root - (long)pmm_free_page_count());
	if (pmm_free_page_count() != free_with_root)
		fail("everything unmapped: %zu pages free, expected %zu", pmm_free_page_count(),
		     free_with_root);
}

static const struct lab_test tests[] = {
	{ "levels", levels_test },
	{ "tables", tables_test },
	{ "map_4k", map_4k_test },
	{ "map_large", map_large_test },
	{ "translate", translate_test },
	{ "unmap", unmap_test },
	{ "rollback", rollback_test },
	{ "random", random_test },
};

#ifndef HOST_PAGETABLE_NO_MAIN
int main(int argc, char **argv)
{
	uint64_t seed;
	const struct lab_test *test =
		lab_test_chosen(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), &seed);
	if (test == NULL)
		return 2;
	rng_state = seed;
	each_format(test->run);
	lab_test_passed();
	return 0;
}
#endif
