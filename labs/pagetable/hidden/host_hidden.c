/*
 * Hidden host tests of lab pagetable (never copied into a handout): the
 * public program's model and checks, over harder cases.
 *     build/host/lab/pagetable/hidden/host_hidden <test> <seed>
 */
#define HOST_PAGETABLE_NO_MAIN
#include "../tests/host_pagetable.c"

/* Random maps with memory cut short before some of them: a map that needs
 * more table pages than are free fails with VM_ERR_NO_MEMORY and changes
 * nothing; the others succeed. */
static void starved_test(void)
{
	fresh(current, 16);
	for (int op = 0; op < 160; op++) {
		uintptr_t va = random_va(), size = random_pages() * PAGE, pa = random_pa(va);
		uintptr_t page_size = random_below(2) ? 0 : PAGE;
		if (model_map_error(va, pa, size, VM_READ, page_size) != VM_OK) {
			uintptr_t mapped, msize;
			if (random_mapped_range(&mapped, &msize))
				do_unmap(mapped, msize);
			continue;
		}
		size_t need = model_new_tables(va, pa, size, page_size);
		size_t left = need ? random_below(need + 2) : 0;
		if (left < need) {
			take_snapshot();
			starve(left);
			char what[120];
			snprintf(what, sizeof(what), "%s with %zu free pages for %zu new tables",
				 describe("vm_map", va, pa, size, page_size), left, need);
			int err = page_size ? vm_map(&space, va, pa, size, VM_READ, page_size)
					    : vm_map_largest(&space, va, pa, size, VM_READ);
			lab_observe("%s(" OBS_VA " -> 0x%lx, %lu pages, %s) with %zu free pages "
				    "for %zu new tables: %s",
				    page_size ? "vm_map" : "vm_map_largest", (unsigned long)va,
				    (unsigned long)pa, (unsigned long)(size / PAGE),
				    page_size ? "4K" : "largest", left, need, error_name(err));
			if (err != VM_ERR_NO_MEMORY)
				fail("%s: expected VM_ERR_NO_MEMORY, got %s", what, error_name(err));
			same_as_snapshot(what);
			give_back();
		} else {
			starve(pmm_free_page_count() > need + 3 ? need + random_below(3) : need);
			do_map(va, pa, size, VM_READ, page_size);
			give_back();
			compare(when_text);
		}
	}
}

/* The very top of the lower half, and the root's last entries. */
static void top_test(void)
{
	fresh(current, 8);
	if (current == x86_64_format())
		x86_64_format_allow_1g();
	uintptr_t half = (uintptr_t)1 << (current->va_bits - 1);
	for (int i = 0; i < 20; i++) {
		uintptr_t below = 1 + random_below(1200), pages = 1 + random_below(below);
		uintptr_t va = half - below * PAGE;
		do_map(va, random_pa(va), pages * PAGE, random_flags(), random_below(2) ? 0 : PAGE);
		compare(when_text);
		uintptr_t gigs = 2 + random_below(3), gva = half - VM_SIZE_1G * gigs;
		do_map(gva, VM_SIZE_1G * (1 + random_below(4)), VM_SIZE_1G * random_below(gigs),
		       VM_READ, VM_SIZE_1G);
		compare(when_text);
		read_tables();
		qsort(seen, nr_seen, sizeof(*seen), by_level_then_va_record);
		for (int k = 0; k < 50; k++)
			check_walk(half - 1 - random_below(4 * VM_SIZE_1G));
		uintptr_t mva, msize;
		if (random_mapped_range(&mva, &msize) && random_below(2))
			do_unmap(mva, msize);
		compare(when_text);
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} hidden[] = {
	{ "starved", starved_test },
	{ "top", top_test },
};

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	rng_state = strtoull(argv[2], NULL, 0);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		if (strcmp(argv[1], hidden[i].name) == 0) {
			each_format(hidden[i].fn);
			lab_test_passed();
			return 0;
		}
	}
	(void)tests;
	return 2;
}
