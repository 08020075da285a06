/*
 * Host tests of lab lazy, built with the lab's sources (os/mm/vm_lazy.c,
 * the page-table walker, both page-table formats, the page manager) under
 * ASan + UBSan:
 *     build/host/lab/lazy/tests/host_lazy <test> <seed>
 * The last line is "ok", or "FAIL: <the first difference>". The expected
 * answers come from the contract in labs/lazy/README.md: a model of the
 * reservations and of which pages are present, and the page manager's and
 * the walker's own counters.
 *
 * Here the "machine" is this test: where the kernel's trap handler would
 * call vm_lazy_fault() and run the access again, the test calls it and then
 * reads or writes the page through the physical address the tables give.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmm.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"
#include "../../../arch/riscv64/pt_sv39.h"
#include "../../../arch/x86_64/pt_x86_64.h"
#include "labhost.h"

#define MIB ((uintptr_t)1 << 20)
#define PAGE ((uintptr_t)VM_SIZE_4K)
#define RWX (VM_READ | VM_WRITE | VM_EXEC)
/* The shell's window: reservations live here in the kernel too. */
#define WINDOW ((uintptr_t)0x2000000000)

struct vm_space kernel_space; /* vm_lazy.c works in it; the kernel's is vm_kernel.c's */
static const struct pt_format *format;
static const char *format_name;

const struct pt_format *arch_pt_format(void)
{
	return format;
}

void arch_vm_activate(uintptr_t root)
{
	(void)root;
}

static int present_at(uintptr_t va);

/* The machine's TLB, as far as a test can see it: the pages
 * arch_tlb_flush() was asked to forget since fault() last cleared the list,
 * and whether each was mapped then (a flush before the mapping exists
 * leaves a remembered "not mapped" to be remembered again). */
#define FLUSHES_MAX 16
static uintptr_t flushed[FLUSHES_MAX];
static int flushed_mapped[FLUSHES_MAX];
static size_t nr_flushed;

void arch_tlb_flush(uintptr_t va)
{
	if (nr_flushed < FLUSHES_MAX) {
		flushed[nr_flushed] = va & ~((uintptr_t)VM_SIZE_4K - 1);
		flushed_mapped[nr_flushed] = present_at(va);
	}
	nr_flushed++;
}

static unsigned long long rng_state;

static unsigned long long random_bits(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 16;
}

static size_t random_below(size_t n)
{
	return (size_t)((random_bits() >> 8) % n);
}

static _Noreturn void fail(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: [%s] ", format_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void *arena;

/* A physical address as an offset into the test's memory: the same on
 * every run, unlike the host address it is. */
static unsigned long arena_offset(uintptr_t pa)
{
	return (unsigned long)(pa - (uintptr_t)arena);
}

/* kernel_space afresh over @mib MiB of "physical memory", no reservation. */
static void fresh(int x86, size_t mib)
{
	format = x86 ? x86_64_format() : sv39_format();
	format_name = x86 ? "x86_64" : "sv39";
	free(arena);
	arena = aligned_alloc(MIB, mib * MIB);
	pmm_init();
	vm_init();
	if (pmm_add_segment((uintptr_t)arena, (uintptr_t)arena + mib * MIB) != PMM_OK)
		fail("the page manager refused the test's memory");
	if (vm_space_init(&kernel_space) != VM_OK)
		fail("no root table");
	vm_lazy_init();
}

/* Fill every free page with @byte, as old data left in freed pages would. */
static void dirty_free_pages(unsigned char byte)
{
	size_t n = pmm_free_page_count();
	uintptr_t *pages = malloc(n * sizeof(*pages));
	for (size_t i = 0; i < n; i++) {
		if (pmm_alloc_page(&pages[i]) != PMM_OK)
			fail("could not take free page %zu of %zu", i, n);
		memset((void *)pages[i], byte, PAGE);
	}
	for (size_t i = n; i-- > 0;)
		if (pmm_free(pages[i], NULL) != PMM_OK)
			fail("could not give back page 0x%lx", (unsigned long)pages[i]);
	free(pages);
}

static size_t table_pages(void)
{
	struct vm_stats st;
	vm_get_stats(&st);
	return st.table_pages;
}

static void flags_text(unsigned flags, char out[4])
{
	out[0] = flags & VM_READ ? 'r' : '-';
	out[1] = flags & VM_WRITE ? 'w' : '-';
	out[2] = flags & VM_EXEC ? 'x' : '-';
	out[3] = 0;
}

static const char *access_text(enum fault_access a)
{
	return a == FAULT_READ ? "read" : a == FAULT_WRITE ? "write" : "execute";
}

/* The answers the handout's table gives (labs/lazy/README.md, "allows"),
 * for every flag set a test reserves: which accesses each one allows. */
static const struct {
	unsigned flags;
	int read, write, execute;
} allowed_table[] = {
	{ 0, 0, 0, 0 },
	{ VM_READ, 1, 0, 0 },
	{ VM_READ | VM_WRITE, 1, 1, 0 },
	{ VM_READ | VM_EXEC, 1, 0, 1 },
	{ VM_READ | VM_WRITE | VM_EXEC, 1, 1, 1 },
};

static int allowed(unsigned flags, enum fault_access a)
{
	for (size_t i = 0; i < sizeof(allowed_table) / sizeof(allowed_table[0]); i++)
		if (allowed_table[i].flags == flags)
			return a == FAULT_READ ? allowed_table[i].read
			       : a == FAULT_WRITE ? allowed_table[i].write : allowed_table[i].execute;
	fail("the test reserved with flags %u, which its table of answers lacks", flags);
}

/* vm_lazy_reserve() and vm_lazy_fault() (the lab's file), their answers observed. */
static int reserve(uintptr_t va, size_t pages, unsigned flags)
{
	int err = vm_lazy_reserve(va, pages, flags);
	lab_observe("vm_lazy_reserve(0x%lx, %zu, %u): %d", (unsigned long)va, pages, flags, err);
	return err;
}

static int fault(uintptr_t addr, enum fault_access access)
{
	nr_flushed = 0;
	int err = vm_lazy_fault(addr, access);
	lab_observe("vm_lazy_fault(0x%lx, %s): %d", (unsigned long)addr, access_text(access), err);
	return err;
}

static void expect_checks_pass(const char *when)
{
	size_t pmm_bad = pmm_check(NULL, NULL), vm_bad = vm_check(&kernel_space, 1, NULL, NULL);
	lab_observe("broken invariants: pmm %zu, vm %zu", pmm_bad, vm_bad);
	if (pmm_bad != 0)
		fail("%s: pmm_check finds broken invariants", when);
	if (vm_bad != 0)
		fail("%s: vm_check finds broken invariants in the page tables", when);
}

static void expect_counts(size_t reserved, size_t present, const char *when)
{
	size_t r = 12345, p = 12345;
	vm_lazy_count(&r, &p);
	lab_observe("vm_lazy_count: %zu reserved, %zu present", r, p);
	if (r != reserved || p != present)
		fail("%s: vm_lazy_count says %zu reserved, %zu present; expected %zu and %zu", when,
		     r, p, reserved, present);
}

/* ---- vm_lazy_count (no fault needed: present pages are mapped by hand) ---- */

static void test_lazy_count(void)
{
	for (int x86 = 0; x86 < 2; x86++) {
		fresh(x86, 4);
		expect_counts(0, 0, "with no reservation");
		/* Reservations with mappings right next to them, which are not lazy. */
		uintptr_t va = WINDOW + random_below(1 << 16) * PAGE;
		size_t total = 0, present = 0;
		uintptr_t starts[6];
		size_t sizes[6];
		for (int i = 0; i < 6; i++) {
			sizes[i] = 1 + random_below(9);
			starts[i] = va;
			if (reserve(va, sizes[i], VM_READ | VM_WRITE) != VM_OK)
				fail("vm_lazy_reserve(0x%lx, %zu) refused", (unsigned long)va, sizes[i]);
			total += sizes[i];
			uintptr_t pa;
			if (pmm_alloc_page(&pa) != PMM_OK ||
			    vm_map(&kernel_space, va + sizes[i] * PAGE, pa, PAGE, VM_READ, VM_SIZE_4K) !=
				    VM_OK)
				fail("could not map a neighbour page");
			va += (sizes[i] + 1 + random_below(600)) * PAGE;
			expect_counts(total, 0, "after reserving, with an ordinary page mapped after each");
		}
		/* Make some reserved pages present, as vm_lazy_fault() would. */
		for (int i = 0; i < 6; i++) {
			size_t k = random_below(sizes[i] + 1);
			for (size_t j = 0; j < k; j++) {
				uintptr_t pa;
				if (pmm_alloc_page(&pa) != PMM_OK ||
				    vm_map(&kernel_space, starts[i] + j * PAGE, pa, PAGE, VM_READ | VM_WRITE,
					   VM_SIZE_4K) != VM_OK)
					fail("could not map a reserved page by hand");
				present++;
				expect_counts(total, present, "after mapping reserved pages by hand");
			}
		}
		expect_counts(total, present, "at the end");
	}
}

/* ---- one fault ---- */

/* Is @va's page mapped? */
static int present_at(uintptr_t va)
{
	struct vm_walk w;
	return vm_translate(&kernel_space, va, &w) == VM_OK && w.mapped;
}

/* What a first fault at @addr needs from the page manager, from the walk
 * itself: the page, and a table for each level the walk to it does not
 * reach (*@tables). vm_lazy_pages_needed() (given in vm_lazy.c) must agree. */
static size_t pages_needed(uintptr_t addr, size_t *tables)
{
	struct vm_walk w;
	vm_translate(&kernel_space, addr, &w);
	*tables = w.mapped ? 0 : format->levels - w.nr_steps;
	size_t given_tables = 0, given = vm_lazy_pages_needed(addr, &given_tables);
	lab_observe("0x%lx: the walk lacks %zu tables; vm_lazy_pages_needed: %zu, %zu tables",
		    (unsigned long)addr, *tables, given, given_tables);
	if (given != *tables + 1 || given_tables != *tables)
		fail("vm_lazy_pages_needed(0x%lx) says %zu pages (%zu tables); the walk to it lacks "
		     "%zu tables, so %zu pages: it is written for you, put it back as it was",
		     (unsigned long)addr, given, given_tables, *tables, *tables + 1);
	return *tables + 1;
}

/* Check the page a successful fault at @addr made: 4 KiB, the address's
 * offset kept, the reservation's @flags, one page held by the mapping
 * holder, all zeros. Returns its physical address. */
static uintptr_t expect_fresh_page(uintptr_t addr, unsigned flags)
{
	uintptr_t page = addr & ~(PAGE - 1);
	struct vm_walk w;
	int err = vm_translate(&kernel_space, addr, &w);
	char text[4];
	flags_text(w.flags, text);
	/* An unmapped walk's pa is 0, no address in the test's memory. */
	lab_observe("0x%lx: translate %d, mapped %d, %lu bytes at +0x%lx, %s", (unsigned long)addr,
		    err, w.mapped, (unsigned long)w.size, w.mapped ? arena_offset(w.pa) : 0UL, text);
	if (err != VM_OK || !w.mapped)
		fail("after vm_lazy_fault(0x%lx) returned VM_OK, 0x%lx is still not mapped",
		     (unsigned long)addr, (unsigned long)addr);
	if (w.size != VM_SIZE_4K)
		fail("0x%lx is mapped by a %lu-byte page, not a 4 KiB one", (unsigned long)page,
		     (unsigned long)w.size);
	uintptr_t pa = w.pa & ~(PAGE - 1);
	if ((w.pa & (PAGE - 1)) != (addr & (PAGE - 1)))
		fail("0x%lx translates to 0x%lx: the offset in the page changed", (unsigned long)addr,
		     (unsigned long)w.pa);
	if ((w.flags & RWX) != (flags & RWX)) {
		char want[4], got[4];
		flags_text(flags, want);
		flags_text(w.flags, got);
		fail("the lazy page 0x%lx is mapped %s; its reservation says %s", (unsigned long)page,
		     got, want);
	}
	struct pmm_block block = { 0 };
	err = pmm_allocation_at(pa, &block);
	lab_observe("allocation at +0x%lx: %d, %zu pages at +0x%lx, holder %u", arena_offset(pa), err,
		    block.pages, arena_offset(block.addr), block.holder);
	if (err != PMM_OK || block.pages != 1 || block.addr != pa ||
	    block.holder != PMM_HOLDER_MAPPING)
		fail("the lazy page 0x%lx (at 0x%lx) is not a one-page allocation held by "
		     "PMM_HOLDER_MAPPING", (unsigned long)page, (unsigned long)pa);
	int flushed_after = 0;
	for (size_t i = 0; i < nr_flushed && i < FLUSHES_MAX; i++)
		flushed_after |= flushed[i] == page && flushed_mapped[i];
	lab_observe("0x%lx: flushed from the TLB once mapped: %d", (unsigned long)page,
		    flushed_after);
	if (!flushed_after)
		fail("vm_lazy_fault(0x%lx) mapped its page but did not arch_tlb_flush(0x%lx) after "
		     "mapping it: a machine that remembered \"not mapped\" for it would fault again "
		     "(arch_tlb_flush calls during the fault: %zu)", (unsigned long)addr,
		     (unsigned long)page, nr_flushed);
	return pa;
}

static void expect_zeros(uintptr_t page, uintptr_t pa)
{
	const unsigned char *bytes = (const unsigned char *)pa;
	size_t nonzero = 0, first = 0;
	for (size_t b = 0; b < PAGE; b++)
		if (bytes[b] != 0 && nonzero++ == 0)
			first = b;
	lab_observe("0x%lx: %zu bytes not zero, the first at %zu", (unsigned long)page, nonzero,
		    first);
	for (size_t b = 0; b < PAGE; b++)
		if (bytes[b] != 0)
			fail("the lazy page 0x%lx is not zeroed: byte %zu is 0x%02x (what the free "
			     "page held before)", (unsigned long)page, b, bytes[b]);
}

static void test_one_zeroed_page(void)
{
	for (int x86 = 0; x86 < 2; x86++) {
		fresh(x86, 8);
		size_t pages = 3 + random_below(30);
		uintptr_t va = WINDOW + random_below(1 << 18) * PAGE;
		if (reserve(va, pages, VM_READ | VM_WRITE) != VM_OK)
			fail("vm_lazy_reserve refused 0x%lx", (unsigned long)va);
		size_t free0 = pmm_free_page_count(), tables0 = table_pages();
		/* The first page, the last, one between; at offsets 0, the last
		 * byte and one between, in a random order. */
		uintptr_t offsets[3] = { 0, PAGE - 1, 8 * (1 + random_below(PAGE / 8 - 2)) };
		for (int i = 2; i > 0; i--) {
			size_t j = random_below((size_t)i + 1);
			uintptr_t t = offsets[i];
			offsets[i] = offsets[j];
			offsets[j] = t;
		}
		size_t slots[3] = { 0, pages - 1, 1 + random_below(pages - 2) };
		for (int n = 0; n < 3; n++) {
			uintptr_t page = va + slots[n] * PAGE, addr = page + offsets[n];
			dirty_free_pages((unsigned char)(0x5a + n));
			size_t tables, needed = pages_needed(addr, &tables);
			size_t free1 = pmm_free_page_count(), tables1 = table_pages();
			enum fault_access access = n == 1 ? FAULT_WRITE : FAULT_READ;
			int err = fault(addr, access);
			if (err != VM_OK)
				fail("vm_lazy_fault(0x%lx, %s) in a rw- reservation: expected VM_OK (0), "
				     "got %d", (unsigned long)addr, access_text(access), err);
			uintptr_t pa = expect_fresh_page(addr, VM_READ | VM_WRITE);
			lab_observe("took %zu pages, made %zu page tables", free1 - pmm_free_page_count(),
				    table_pages() - tables1);
			if (free1 - pmm_free_page_count() != needed ||
			    table_pages() - tables1 != tables)
				fail("the fault at 0x%lx took %zu pages and made %zu page tables; it needed "
				     "%zu (the page and %zu page tables)", (unsigned long)addr,
				     free1 - pmm_free_page_count(), table_pages() - tables1, needed, tables);
			expect_zeros(page, pa);
			/* Only the touched pages of the reservation are mapped. */
			char mapped[40];
			for (size_t s = 0; s < pages; s++)
				mapped[s] = present_at(va + s * PAGE) ? '1' : '0';
			mapped[pages] = 0;
			lab_observe("present: %s, before %d, after %d", mapped, present_at(va - PAGE),
				    present_at(va + pages * PAGE));
			for (size_t s = 0; s < pages; s++) {
				int touched = 0;
				for (int k = 0; k <= n; k++)
					touched |= slots[k] == s;
				if (present_at(va + s * PAGE) != touched)
					fail("after faults at pages %zu..: page %zu of the reservation is %s",
					     slots[0], s, touched ? "absent" : "mapped, but nothing touched it");
			}
			if (present_at(va - PAGE) || present_at(va + pages * PAGE))
				fail("a page outside the reservation got mapped");
			expect_checks_pass("after a fault");
			expect_counts(pages, (size_t)n + 1, "after a fault");
			/* The page is present now: a second fault there is not ours. */
			size_t free2 = pmm_free_page_count();
			err = fault(addr, FAULT_WRITE);
			lab_observe("took %zu pages", free2 - pmm_free_page_count());
			if (err != VM_ERR_NOT_MAPPED || pmm_free_page_count() != free2)
				fail("a fault on the present lazy page 0x%lx: expected VM_ERR_NOT_MAPPED (%d) "
				     "and nothing taken, got %d and %zu pages taken", (unsigned long)addr,
				     VM_ERR_NOT_MAPPED, err, free2 - pmm_free_page_count());
		}
		lab_observe("free pages fell by %zu, page tables rose by %zu",
			    free0 - pmm_free_page_count(), table_pages() - tables0);
		if (free0 - pmm_free_page_count() != 3 + (table_pages() - tables0))
			fail("free pages fell by %zu for 3 pages and %zu page tables",
			     free0 - pmm_free_page_count(), table_pages() - tables0);
	}
}

/* ---- which faults are resolved: the flags, the access, the reservation ---- */

static void test_flags_and_access(void)
{
	/* What `map ... lazy` accepts (r, rw, rx, rwx), and no access at all. */
	static const unsigned choices[] = { VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC, RWX, 0 };
	static const enum fault_access accesses[] = { FAULT_READ, FAULT_WRITE, FAULT_EXECUTE };
	for (int x86 = 0; x86 < 2; x86++) {
		fresh(x86, 4);
		uintptr_t va = WINDOW + random_below(1 << 16) * 2 * PAGE;
		for (size_t c = 0; c < sizeof(choices) / sizeof(choices[0]); c++) {
			for (size_t a = 0; a < 3; a++) {
				unsigned flags = choices[c];
				enum fault_access access = accesses[(a + c) % 3];
				size_t pages = 1 + random_below(3);
				if (reserve(va, pages, flags) != VM_OK)
					fail("vm_lazy_reserve refused 0x%lx", (unsigned long)va);
				uintptr_t addr = va + random_below(pages * PAGE);
				size_t free0 = pmm_free_page_count();
				int err = fault(addr, access);
				char text[4];
				flags_text(flags, text);
				if (allowed(flags, access)) {
					if (err != VM_OK)
						fail("a %s fault in a %s reservation: expected VM_OK (0), got %d",
						     access_text(access), text, err);
					expect_fresh_page(addr, flags);
				} else {
					lab_observe("took %zu pages, 0x%lx %s", free0 - pmm_free_page_count(),
						    (unsigned long)addr, present_at(addr) ? "mapped" : "absent");
					if (err != VM_ERR_NOT_MAPPED)
						fail("a %s fault in a %s reservation: expected VM_ERR_NOT_MAPPED "
						     "(%d), got %d", access_text(access), text, VM_ERR_NOT_MAPPED,
						     err);
					if (pmm_free_page_count() != free0 || present_at(addr))
						fail("a refused %s fault in a %s reservation changed something",
						     access_text(access), text);
				}
				/* Just outside it: the page after, and the one before. */
				uintptr_t outside[2] = { va + pages * PAGE + random_below(PAGE),
							 va - 1 - random_below(PAGE) };
				for (int o = 0; o < 2; o++) {
					size_t free1 = pmm_free_page_count();
					err = fault(outside[o], access);
					lab_observe("took %zu pages", free1 - pmm_free_page_count());
					if (err != VM_ERR_NOT_MAPPED || pmm_free_page_count() != free1)
						fail("a %s fault at 0x%lx, outside the reservation 0x%lx-0x%lx: "
						     "expected VM_ERR_NOT_MAPPED (%d) and nothing taken, got %d",
						     access_text(access), (unsigned long)outside[o],
						     (unsigned long)va, (unsigned long)(va + pages * PAGE),
						     VM_ERR_NOT_MAPPED, err);
				}
				expect_checks_pass("after a fault");
				va += (pages + 2 + random_below(4)) * PAGE;
				vm_lazy_init(); /* forget them: at most VM_LAZY_MAX exist */
			}
		}
	}
}

/* ---- out of memory: the page and its tables, or nothing ---- */

#define MARKED_MAX 8

/* Every free page (at most MARKED_MAX), filled with a byte of its own, as
 * old data would be: a fault that takes a page, even one it gives back,
 * leaves zeros in it. Their addresses go to @pages. */
static size_t mark_free_pages(uintptr_t *pages)
{
	size_t n = 0;
	while (n < MARKED_MAX && pmm_alloc_page(&pages[n]) == PMM_OK)
		n++;
	if (pmm_free_page_count() != 0)
		fail("more than %d free pages to mark", MARKED_MAX);
	for (size_t i = 0; i < n; i++)
		memset((void *)pages[i], 0xa0 + (int)i, PAGE);
	for (size_t i = n; i-- > 0;)
		if (pmm_free(pages[i], NULL) != PMM_OK)
			fail("could not give back page 0x%lx", (unsigned long)pages[i]);
	return n;
}

/* How many of the @n marked free pages no longer hold their byte; the
 * first one's index in *@first. */
static size_t marked_changed(const uintptr_t *pages, size_t n, size_t *first)
{
	size_t changed = 0;
	for (size_t i = n; i-- > 0;) {
		const unsigned char *bytes = (const unsigned char *)pages[i];
		for (size_t b = 0; b < PAGE; b++) {
			if (bytes[b] != (unsigned char)(0xa0 + i)) {
				changed++;
				*first = i;
				break;
			}
		}
	}
	return changed;
}

/* Faults that are not the lab's to resolve are refused even without memory:
 * VM_ERR_NOT_MAPPED, never VM_ERR_NO_MEMORY (the kernel would report a
 * missing page instead of the fault). */
static void expect_refused_without_memory(uintptr_t va, size_t pages, uintptr_t present,
					  size_t free_pages)
{
	uintptr_t addrs[4] = { va + pages * PAGE + random_below(PAGE), va - 1 - random_below(PAGE),
			       va + random_below(pages * PAGE), present };
	enum fault_access accesses[4] = { FAULT_READ, FAULT_WRITE, FAULT_EXECUTE, FAULT_WRITE };
	const char *what[4] = { "just after the reservation", "just before the reservation",
				"an execute in a rw- reservation", "on a present page" };
	for (int i = 0; i < 4; i++) {
		if (addrs[i] == 0)
			continue;
		int err = fault(addrs[i], accesses[i]);
		if (err != VM_ERR_NOT_MAPPED)
			fail("with %zu free pages, a %s fault %s (0x%lx): expected VM_ERR_NOT_MAPPED (%d): "
			     "it is not a fault vm_lazy_fault resolves, memory or not; got %d",
			     free_pages, access_text(accesses[i]), what[i], (unsigned long)addrs[i],
			     VM_ERR_NOT_MAPPED, err);
	}
}

/*
 * A fault that needs n pages (the page and n - 1 page tables), with 0 to n
 * free pages: refused with VM_ERR_NO_MEMORY and nothing changed (the free
 * pages still hold what they held) with fewer, done with exactly n. Three
 * places: no table of the walk exists yet; all but the last level's; all.
 */
static void test_no_memory(void)
{
	static const char *const places[3] = { "no page table there yet",
					       "only the last level's table missing",
					       "every page table there" };
	for (int x86 = 0; x86 < 2; x86++) {
		/* A 2 MiB boundary inside a GiB: its pages share all tables but the
		 * last level's with the page before it. */
		uintptr_t boundary = WINDOW + random_below(60) * (PAGE << 18) +
				     (1 + random_below(511)) * (PAGE << 9);
		uintptr_t va = boundary - PAGE; /* reserved: the page before, the boundary's, one after */
		for (int place = 0; place < 3; place++) {
			size_t needed = 0;
			for (size_t keep = 0; needed == 0 || keep <= needed; keep++) {
				fresh(x86, 1);
				if (reserve(va, 3, VM_READ | VM_WRITE) != VM_OK)
					fail("vm_lazy_reserve refused 0x%lx", (unsigned long)va);
				uintptr_t present = 0;
				if (place > 0) {
					/* With memory to spare, as a step before the test. */
					present = place == 1 ? boundary - PAGE : boundary + PAGE;
					if (fault(present, FAULT_WRITE) != VM_OK)
						fail("vm_lazy_fault(0x%lx) with memory to spare failed",
						     (unsigned long)present);
				}
				size_t tables;
				uintptr_t addr = boundary + 8 * random_below(PAGE / 8);
				lab_observe("%s", places[place]);
				needed = pages_needed(addr, &tables);
				uintptr_t page;
				while (pmm_free_page_count() > keep)
					if (pmm_alloc_page(&page) != PMM_OK)
						fail("could not use up the free pages");
				uintptr_t marked[MARKED_MAX];
				size_t n = mark_free_pages(marked);
				size_t free0 = pmm_free_page_count(), tables0 = table_pages();
				lab_observe("%zu free pages, %zu page tables", free0, tables0);
				enum fault_access access = random_below(2) ? FAULT_READ : FAULT_WRITE;
				int err = fault(addr, access);
				if (keep == needed) {
					if (err != VM_OK)
						fail("%s: a %s fault at 0x%lx needing %zu pages (the page and %zu "
						     "page tables) with exactly %zu free: expected VM_OK (0), got %d",
						     places[place], access_text(access), (unsigned long)addr,
						     needed, tables, keep, err);
					uintptr_t pa = expect_fresh_page(addr, VM_READ | VM_WRITE);
					expect_zeros(boundary, pa);
					lab_observe("%zu free pages, %zu page tables", pmm_free_page_count(),
						    table_pages());
					if (pmm_free_page_count() != 0 || table_pages() != tables0 + tables)
						fail("%s: after a fault with exactly the %zu pages it needs, %zu "
						     "free pages and %zu new page tables; expected 0 and %zu",
						     places[place], needed, pmm_free_page_count(),
						     table_pages() - tables0, tables);
					expect_checks_pass("after a fault with exactly enough memory");
					expect_counts(3, (size_t)(place > 0) + 1,
						      "after a fault with exactly enough memory");
					continue;
				}
				if (err != VM_ERR_NO_MEMORY)
					fail("%s: a fault needing %zu pages (the page and %zu page tables) with "
					     "%zu free: expected VM_ERR_NO_MEMORY (%d), got %d", places[place],
					     needed, tables, keep, VM_ERR_NO_MEMORY, err);
				size_t first = 0, changed = marked_changed(marked, n, &first);
				lab_observe("%zu free pages, %zu page tables, 0x%lx %s, %zu free pages "
					    "written", pmm_free_page_count(), table_pages(), (unsigned long)addr,
					    present_at(addr) ? "mapped" : "absent", changed);
				if (pmm_free_page_count() != free0 || table_pages() != tables0 ||
				    present_at(addr))
					fail("%s: a fault without memory changed something: free pages %zu -> "
					     "%zu, page tables %zu -> %zu, 0x%lx %s", places[place], free0,
					     pmm_free_page_count(), tables0, table_pages(), (unsigned long)addr,
					     present_at(addr) ? "mapped" : "absent");
				if (changed != 0)
					fail("%s: a fault needing %zu pages with %zu free was refused, but it "
					     "wrote over %zu of the free pages (the free page at +0x%lx of the "
					     "test's memory held 0x%02x bytes before the fault): it took pages "
					     "and gave them back; count the free pages before taking any",
					     places[place], needed, keep, changed, arena_offset(marked[first]),
					     0xa0 + (unsigned)first);
				expect_refused_without_memory(va, 3, present, keep);
				expect_checks_pass("after a fault without memory");
				expect_counts(3, (size_t)(place > 0), "after a fault without memory");
			}
		}
	}
}

/* ---- vm_map refuses: the page is given back ---- */

/*
 * vm_map() can fail for reasons vm_lazy_fault() does not check first; the
 * page it took must go back to the page manager. The kernel's reservations
 * are all in the shell's window, where vm_map() never refuses, so the test
 * reserves in the upper half of the address space, where vm_map() maps
 * nothing (VM_ERR_RANGE; vm_lazy_reserve() leaves the window to its caller).
 */
static void test_vm_map_fails(void)
{
	for (int x86 = 0; x86 < 2; x86++) {
		fresh(x86, 4);
		uintptr_t upper = x86 ? (uintptr_t)0xffff800000000000 : (uintptr_t)0xffffffc000000000;
		uintptr_t va = upper + random_below(1 << 16) * 512 * PAGE + random_below(512) * PAGE;
		size_t pages = 2 + random_below(8);
		if (reserve(va, pages, VM_READ | VM_WRITE) != VM_OK)
			fail("vm_lazy_reserve refused 0x%lx", (unsigned long)va);
		size_t free0 = pmm_free_page_count(), tables0 = table_pages();
		for (int n = 0; n < 3; n++) {
			uintptr_t addr = va + random_below(pages * PAGE);
			enum fault_access access = random_below(2) ? FAULT_READ : FAULT_WRITE;
			int err = fault(addr, access);
			lab_observe("%zu free pages (%zu before), %zu page tables (%zu), 0x%lx %s",
				    pmm_free_page_count(), free0, table_pages(), tables0,
				    (unsigned long)addr, present_at(addr) ? "mapped" : "absent");
			if (err != VM_ERR_RANGE)
				fail("a %s fault at 0x%lx, reserved rw- where vm_map refuses to map: "
				     "expected vm_map's error VM_ERR_RANGE (%d), got %d", access_text(access),
				     (unsigned long)addr, VM_ERR_RANGE, err);
			if (pmm_free_page_count() != free0 || table_pages() != tables0 || present_at(addr))
				fail("after %d fault%s where vm_map fails: %zu free pages (%zu before), %zu "
				     "page tables (%zu before), 0x%lx %s; the page taken for a failed "
				     "vm_map goes back to the page manager", n + 1, n ? "s" : "",
				     pmm_free_page_count(),
				     free0, table_pages(), tables0, (unsigned long)addr,
				     present_at(addr) ? "mapped" : "absent");
			expect_checks_pass("after a fault where vm_map fails");
			expect_counts(pages, 0, "after a fault where vm_map fails");
		}
	}
}

/* ---- random sequences against a model ---- */

#define SLOTS 24 /* reservations are made in slots of the window, so they never overlap */
#define SLOT_PAGES 40

struct model_range {
	int used;
	uintptr_t va;
	size_t pages;
	unsigned flags;
	uint64_t value[SLOT_PAGES]; /* what the page's first word holds (0 when absent) */
	int present[SLOT_PAGES];
};

static struct model_range model[SLOTS];
static size_t model_tables0, model_free0;

/* Observe which pages of each reservation are mapped (a mask per slot) and
 * what their first words hold (one FNV-1a hash): the state the model checks. */
static void model_observe(void)
{
	char line[400] = "";
	size_t len = 0;
	uint64_t hash = 14695981039346656037ULL;
	for (int i = 0; i < SLOTS; i++) {
		if (!model[i].used)
			continue;
		uint64_t mask = 0;
		for (size_t p = 0; p < model[i].pages; p++) {
			struct vm_walk w;
			if (vm_translate(&kernel_space, model[i].va + p * PAGE, &w) != VM_OK || !w.mapped)
				continue;
			mask |= (uint64_t)1 << p;
			uint64_t word = *(const uint64_t *)(w.pa & ~(PAGE - 1));
			for (int b = 0; b < 8; b++)
				hash = (hash ^ ((word >> (8 * b)) & 0xff)) * 1099511628211ULL;
		}
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %d:%llx", i,
					(unsigned long long)mask);
	}
	lab_observe("mapped per slot:%s; first words %016llx", line, (unsigned long long)hash);
}

static void model_expect(const char *when)
{
	size_t reserved = 0, present = 0;
	model_observe();
	for (int i = 0; i < SLOTS; i++) {
		if (!model[i].used)
			continue;
		reserved += model[i].pages;
		for (size_t p = 0; p < model[i].pages; p++) {
			uintptr_t va = model[i].va + p * PAGE;
			struct vm_walk w;
			int mapped = vm_translate(&kernel_space, va, &w) == VM_OK && w.mapped;
			if (mapped != model[i].present[p])
				fail("%s: lazy page 0x%lx should be %s, is %s", when, (unsigned long)va,
				     model[i].present[p] ? "present" : "absent",
				     mapped ? "mapped" : "not mapped");
			if (mapped) {
				present++;
				uint64_t got = *(const uint64_t *)(w.pa & ~(PAGE - 1));
				if (got != model[i].value[p])
					fail("%s: lazy page 0x%lx holds 0x%llx, expected 0x%llx", when,
					     (unsigned long)va, (unsigned long long)got,
					     (unsigned long long)model[i].value[p]);
			}
		}
	}
	expect_counts(reserved, present, when);
	size_t tables = table_pages() - model_tables0;
	lab_observe("free pages fell by %zu, page tables rose by %zu",
		    model_free0 - pmm_free_page_count(), tables);
	if (model_free0 - pmm_free_page_count() != present + tables)
		fail("%s: free pages fell by %zu for %zu present pages and %zu page tables", when,
		     model_free0 - pmm_free_page_count(), present, tables);
	expect_checks_pass(when);
}

static void model_unmap(struct model_range *m)
{
	for (size_t p = 0; p < m->pages; p++) {
		if (!m->present[p])
			continue;
		struct vm_walk w;
		uintptr_t va = m->va + p * PAGE;
		int err = vm_translate(&kernel_space, va, &w);
		lab_observe("unmap 0x%lx: translate %d, at +0x%lx", (unsigned long)va, err,
			    w.mapped ? arena_offset(w.pa) : 0UL);
		if (err != VM_OK)
			fail("present page 0x%lx vanished", (unsigned long)va);
		err = pmm_free_held(w.pa & ~(PAGE - 1), PMM_HOLDER_MAPPING, NULL);
		lab_observe("pmm_free_held: %d", err);
		if (err != PMM_OK)
			fail("the lazy page 0x%lx (at 0x%lx) is not held by PMM_HOLDER_MAPPING",
			     (unsigned long)va, (unsigned long)w.pa);
		err = vm_unmap(&kernel_space, va, PAGE);
		lab_observe("vm_unmap: %d", err);
		if (err != VM_OK)
			fail("vm_unmap(0x%lx) failed", (unsigned long)va);
	}
	vm_lazy_release(m->va, m->pages * PAGE);
	memset(m, 0, sizeof(*m));
}

static void test_random_sequences(void)
{
	static const unsigned choices[] = { VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC, RWX };
	for (int x86 = 0; x86 < 2; x86++) {
		fresh(x86, 16);
		memset(model, 0, sizeof(model));
		model_tables0 = table_pages();
		model_free0 = pmm_free_page_count();
		/* Slots spread so that some share their page tables and some do not. */
		uintptr_t base = WINDOW + random_below(60) * (PAGE << 18);
		for (int step = 0; step < 400; step++) {
			int i = (int)random_below(SLOTS);
			struct model_range *m = &model[i];
			uintptr_t slot_va = base + (uintptr_t)i * (i % 3 == 0 ? (PAGE << 9) : 64 * PAGE);
			size_t nr = 0;
			for (int k = 0; k < SLOTS; k++)
				nr += (size_t)model[k].used;
			unsigned what = (unsigned)random_below(10);
			if (!m->used) {
				if (nr == VM_LAZY_MAX)
					continue;
				m->used = 1;
				m->pages = 1 + random_below(SLOT_PAGES - 1);
				m->va = slot_va;
				m->flags = choices[random_below(4)];
				if (reserve(m->va, m->pages, m->flags) != VM_OK)
					fail("vm_lazy_reserve(0x%lx, %zu) refused", (unsigned long)m->va,
					     m->pages);
			} else if (what == 0) {
				model_unmap(m);
			} else if (what == 1) {
				/* Just outside: the page after it, or the one before it. */
				uintptr_t addr = random_below(2) ? m->va + m->pages * PAGE + random_below(PAGE)
								 : m->va - 1 - random_below(PAGE);
				int err = fault(addr, FAULT_READ);
				if (err != VM_ERR_NOT_MAPPED)
					fail("a fault at 0x%lx, outside every reservation (0x%lx has %zu pages): "
					     "expected VM_ERR_NOT_MAPPED (%d), got %d", (unsigned long)addr,
					     (unsigned long)m->va, m->pages, VM_ERR_NOT_MAPPED, err);
			} else {
				size_t p = random_below(m->pages);
				uintptr_t addr = m->va + p * PAGE + 8 * random_below(PAGE / 8);
				enum fault_access access = (enum fault_access)random_below(3);
				if (what < 5)
					access = FAULT_WRITE;
				int err = fault(addr, access);
				int want = !m->present[p] && allowed(m->flags, access);
				char text[4];
				flags_text(m->flags, text);
				if (want ? err != VM_OK : err != VM_ERR_NOT_MAPPED)
					fail("a %s fault at 0x%lx (page %zu of a %s reservation, %s): expected "
					     "%d, got %d", access_text(access), (unsigned long)addr, p, text,
					     m->present[p] ? "present" : "absent",
					     want ? VM_OK : VM_ERR_NOT_MAPPED, err);
				if (want) {
					m->present[p] = 1;
					uintptr_t pa = expect_fresh_page(addr, m->flags);
					/* The access runs again: a write stores its value. */
					if (access == FAULT_WRITE) {
						m->value[p] = random_bits() | 1;
						*(uint64_t *)pa = m->value[p];
					}
				}
			}
			model_expect("after a random step");
		}
		for (int i = 0; i < SLOTS; i++)
			if (model[i].used)
				model_unmap(&model[i]);
		model_expect("after unmapping everything");
		lab_observe("%zu free pages (%zu at the start), %zu page tables (%zu)",
			    pmm_free_page_count(), model_free0, table_pages(), model_tables0);
		if (pmm_free_page_count() != model_free0 || table_pages() != model_tables0)
			fail("after unmapping everything: %zu free pages and %zu page tables, "
			     "expected %zu and %zu", pmm_free_page_count(), table_pages(), model_free0,
			     model_tables0);
	}
}

static const struct lab_test tests[] = {
	{ "lazy_count", test_lazy_count },
	{ "one_zeroed_page", test_one_zeroed_page },
	{ "flags_and_access", test_flags_and_access },
	{ "no_memory", test_no_memory },
	{ "vm_map_fails", test_vm_map_fails },
	{ "random_sequences", test_random_sequences },
};

int main(int argc, char **argv)
{
	uint64_t seed;
	const struct lab_test *test =
		lab_test_chosen(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), &seed);
	if (test == NULL)
		return 2;
	rng_state = seed;
	test->run();
	free(arena);
	lab_test_passed();
	return 0;
}
