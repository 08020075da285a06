/**
 * @file stress.c
 * @brief stress_run(): random operations against a record of what is held,
 *        on one CPU or several at once.
 *
 * The record is a few fixed tables here, not memory from the page manager,
 * so the run itself moves no counter but the ones it is testing. Every
 * allocation is stamped with a pattern derived from its address; a pattern
 * found changed when it is given back means two holders shared memory.
 */
#include "arch.h"
#include "cpus.h"
#include "memm.h"
#include "pmm.h"
#include "progress.h"
#include "stress.h"
#include "vm.h"
#include "vm_kernel.h"

#define SLOTS 64           /* held things of each kind at once */
#define MAX_RUN 300        /* contiguous requests: 1..300 pages (the large path too) */
#define MAX_SCATTERED 32
#define MAX_KMALLOC 6000   /* bytes: slabs and first-fit */
#define MAX_MAP 16         /* pages per mapping */
/* Stress maps in the top quarter of the window, one 1 MiB slot each. */
#define MAP_BASE (VM_DEMO_END - VM_DEMO_SIZE / 4)
#define MAP_SLOT ((uintptr_t)1 << 20)
_Static_assert(MAP_BASE >= VM_DEMO_START && MAX_MAP * VM_SIZE_4K <= MAP_SLOT,
	       "stress's mappings stay inside the map window");

struct held_pages { uintptr_t addr; size_t pages; };
struct held_block { void *ptr; size_t bytes; };
struct held_map { size_t pages; }; /* at MAP_BASE + slot * MAP_SLOT */

/* What one CPU's share of a run holds. Each CPU has its own, and maps in
 * a window of its own (SLOTS * MAP_SLOT bytes, 2 MiB-aligned), so no CPU
 * ever uses a translation, or a page table, that another one removes. */
struct stress_state {
	struct held_pages runs[SLOTS];
	struct pmm_set sets[SLOTS];
	struct held_block blocks[SLOTS];
	struct held_map maps[SLOTS];
	uintptr_t map_base; /* this CPU's window */
	uint64_t rng;
	struct stress_result *r;
};

static struct stress_state states[ARCH_MAX_CPUS];
_Static_assert(ARCH_MAX_CPUS == 8, "stress_run's message says 1 to 8 CPUs");
_Static_assert(ARCH_MAX_CPUS * SLOTS * MAP_SLOT <= VM_DEMO_END - MAP_BASE,
	       "every CPU's window fits in the map window");

static uint64_t next_random(struct stress_state *s)
{
	/* xorshift64*: small, fast, and the same sequence for the same seed. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

static size_t random_below(struct stress_state *s, size_t n)
{
	return (size_t)(next_random(s) % n);
}

static uint64_t stamp(uintptr_t addr)
{
	return addr * 0x9e3779b97f4a7c15ull ^ 0x5354524553530000ull; /* "STRESS" */
}

static void fail(struct stress_state *s, const char *what, uintptr_t where)
{
	if (s->r->failure == NULL) {
		s->r->failure = what;
		s->r->failed_at = s->r->ops;
		s->r->where = where;
	}
}

/* Stamp the first and last word of each page of [addr, addr + pages). */
static void stamp_pages(uintptr_t addr, size_t pages)
{
	for (size_t i = 0; i < pages; i++) {
		uintptr_t page = addr + i * PMM_PAGE_SIZE;
		((uint64_t *)page)[0] = stamp(page);
		((uint64_t *)(page + PMM_PAGE_SIZE))[-1] = ~stamp(page);
	}
}

static void check_stamps(struct stress_state *s, uintptr_t addr, size_t pages)
{
	for (size_t i = 0; i < pages; i++) {
		uintptr_t page = addr + i * PMM_PAGE_SIZE;
		if (((uint64_t *)page)[0] != stamp(page) ||
		    ((uint64_t *)(page + PMM_PAGE_SIZE))[-1] != ~stamp(page))
			fail(s, "a page's contents changed while it was held", page);
	}
}

static void stamp_set(struct stress_state *s, struct pmm_set *set, int check)
{
	struct list_node *n;
	list_for_each(n, &set->pages) {
		if (check)
			check_stamps(s, pmm_set_address(n), 1);
		else
			stamp_pages(pmm_set_address(n), 1);
	}
}

static void toggle_run(struct stress_state *s, struct held_pages *h)
{
	if (h->pages) {
		size_t pages;
		check_stamps(s, h->addr, h->pages);
		if (pmm_free(h->addr, &pages) != PMM_OK || pages != h->pages)
			fail(s, "free of a live allocation failed", h->addr);
		h->pages = 0;
		return;
	}
	size_t pages = 1 + random_below(s, random_below(s, 4) ? 16 : MAX_RUN);
	int err = pages == 1 && random_below(s, 2) ? pmm_alloc_page(&h->addr)
						: pmm_alloc_contiguous(pages, &h->addr);
	if (err == PMM_OK) {
		h->pages = pages;
		stamp_pages(h->addr, pages);
	} else if (err != PMM_ERR_NO_MEMORY) {
		fail(s, "alloc failed for a reason other than memory", 0);
	}
}

static void toggle_set(struct stress_state *s, struct pmm_set *set)
{
	if (set->count) {
		size_t pages, count = set->count;
		stamp_set(s, set, 1);
		if (pmm_free_scattered(set, &pages) != PMM_OK || pages != count)
			fail(s, "free of a scattered set failed", 0);
		return;
	}
	if (pmm_alloc_scattered(1 + random_below(s, MAX_SCATTERED), set) == PMM_OK)
		stamp_set(s, set, 0);
	else
		set->count = 0;
}

static void toggle_block(struct stress_state *s, struct held_block *b)
{
	if (b->ptr) {
		size_t bytes;
		unsigned char *p = b->ptr;
		for (size_t i = 0; i < b->bytes; i++)
			if (p[i] != (unsigned char)((uintptr_t)p + i))
				fail(s, "a kmalloc block changed while it was held", (uintptr_t)p + i);
		if (kfree(b->ptr, &bytes) != MEMM_OK || bytes != b->bytes)
			fail(s, "kfree of a live block failed", (uintptr_t)b->ptr);
		b->ptr = NULL;
		return;
	}
	size_t bytes = 1 + random_below(s, random_below(s, 8) ? 256 : MAX_KMALLOC);
	if (kmalloc_pid(bytes, (unsigned)random_below(s, 3), &b->ptr) != MEMM_OK) {
		b->ptr = NULL;
		return;
	}
	b->bytes = bytes;
	unsigned char *p = b->ptr;
	for (size_t i = 0; i < bytes; i++)
		p[i] = (unsigned char)((uintptr_t)p + i);
}

static void toggle_map(struct stress_state *s, size_t slot)
{
	struct held_map *m = &s->maps[slot];
	uintptr_t va = s->map_base + slot * MAP_SLOT, where;
	size_t done;
	if (m->pages) {
		check_stamps(s, va, m->pages);
		if (vm_demo_unmap(va, m->pages, &where, &done) != VM_OK)
			fail(s, "unmap of a live mapping failed", where);
		m->pages = 0;
		return;
	}
	size_t pages = 1 + random_below(s, MAX_MAP);
	int err = vm_demo_map(va, pages, 1, 0, VM_READ | VM_WRITE);
	if (err == VM_OK) {
		m->pages = pages;
		stamp_pages(va, pages);
	} else if (err != VM_ERR_NO_MEMORY && err != VM_ERR_MAPPED && err != VM_ERR_RESERVED) {
		fail(s, "map failed for a reason other than memory", va);
	}
}

static void one_operation(struct stress_state *s)
{
	size_t slot = random_below(s, SLOTS);
	switch (random_below(s, 10)) {
	case 0: case 1: case 2: toggle_run(s, &s->runs[slot]); break;
	case 3: toggle_set(s, &s->sets[slot]); break;
	case 4: case 5: case 6: toggle_block(s, &s->blocks[slot]); break;
	default: toggle_map(s, slot); break;
	}
	size_t used = pmm_total_pages() - pmm_free_page_count();
	if (used > s->r->peak_used)
		s->r->peak_used = used;
}

static unsigned nr_sharing; /* CPUs in the run */

/* Every checker; the page caches only if no other CPU is at work (@alone):
 * another CPU's cache moves under a look from outside. */
static void check_everything(struct stress_state *s, int alone)
{
	s->r->checks++;
	if (pmm_check(NULL, NULL) != 0)
		fail(s, "the page manager's invariants are broken (type check for details)", 0);
	if (alone && pmm_pcp_check() != 0)
		fail(s, "the page caches are inconsistent (type check for details)", 0);
	/* vm_check() also walks the page manager's blocks (who holds the
	 * page-table pages): other CPUs change them, under pmm_lock. */
	spin_lock(&vm_lock);
	spin_lock(&pmm_lock);
	size_t vm_problems = vm_check(&kernel_space, 1, NULL, NULL);
	spin_unlock(&pmm_lock);
	spin_unlock(&vm_lock);
	if (vm_problems != 0)
		fail(s, "the page tables' invariants are broken (type check for details)", 0);
	if (memm_check() != 0)
		fail(s, "the allocator tree's invariants are broken (type check for details)", 0);
}

static void give_everything_back(struct stress_state *s)
{
	for (size_t i = 0; i < SLOTS; i++) {
		if (s->runs[i].pages)
			toggle_run(s, &s->runs[i]);
		if (s->sets[i].count)
			toggle_set(s, &s->sets[i]);
		if (s->blocks[i].ptr)
			toggle_block(s, &s->blocks[i]);
		if (s->maps[i].pages)
			toggle_map(s, i);
	}
}

/* Set when the progress handler says stop (Ctrl-C): every CPU's share
 * stops before its next operation. */
static int stopping;
static size_t run_total;    /* operations of them all */

/* Operations done so far by every CPU in the run (read while they run:
 * only for progress reports). */
static size_t ops_done(void)
{
	size_t done = 0;
	for (unsigned i = 0; i < nr_sharing; i++)
		done += __atomic_load_n(&states[i].r->ops, __ATOMIC_RELAXED);
	return done;
}

/* The boot CPU asks the progress handler whether to go on, for the run. */
static void report_progress(void)
{
	if (progress_report("stress", ops_done(), run_total))
		__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
}

/* CPU @cpu's share of the run (states[@cpu]): its
 * operations, then everything it holds back. CPU 0 also reports progress. */
static void run_share(unsigned cpu)
{
	struct stress_state *s = &states[cpu];
	struct stress_result *r = s->r;
	size_t ops = run_total / nr_sharing;
	uint64_t start = arch_time_ns();

	while (r->ops < ops && r->failure == NULL && !__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		if (s == &states[0] && r->ops > 0 && r->ops % STRESS_REPORT_EVERY == 0) {
			report_progress();
			if (__atomic_load_n(&stopping, __ATOMIC_RELAXED))
				break;
		}
		one_operation(s);
		__atomic_store_n(&r->ops, r->ops + 1, __ATOMIC_RELAXED);
		if (r->ops % STRESS_CHECK_EVERY == 0)
			check_everything(s, nr_sharing == 1);
	}
	give_everything_back(s);
	r->ns = arch_time_ns() - start;
}

int stress_run(unsigned cpus, size_t ops, uint64_t seed, struct stress_result *results)
{
	struct stress_result empty = { 0 };
	for (unsigned i = 0; i < cpus; i++)
		results[i] = empty;
	if (seed == 0) { /* xorshift never leaves 0 */
		results[0].failure = "seed 0 (seeds start at 1)";
		return -1;
	}
	if (cpus == 0 || cpus > ARCH_MAX_CPUS || arch_cpu_id() != 0) {
		results[0].failure = "a run is shared by 1 to 8 CPUs, and started on CPU 0";
		return -1;
	}
	nr_sharing = cpus;
	run_total = cpus * ops;
	stopping = 0;
	for (unsigned i = 0; i < cpus; i++) {
		struct stress_state *s = &states[i];
		for (size_t k = 0; k < SLOTS; k++) {
			s->runs[k].pages = 0;
			s->sets[k].count = 0;
			s->blocks[k].ptr = NULL;
			s->maps[k].pages = 0;
		}
		s->rng = seed + i;
		s->map_base = MAP_BASE + i * SLOTS * MAP_SLOT;
		s->r = &results[i];
	}
	struct vm_stats vm_before, vm_after;
	vm_get_stats(&vm_before);
	/* Cached pages are not free, but are the manager's: the run may
	 * leave more or fewer in the caches than it found. */
	size_t free_before = pmm_free_page_count() + pmm_cached_page_count();
	size_t quarantined_before = pmm_poison_quarantined();
	uint64_t start = arch_time_ns();

	/* From operation 0, before its first check reports. */
	report_progress();
	if (!stopping && cpus_share(cpus, run_share, report_progress) != 0)
		fail(&states[0], "a CPU was not parked: it could not take its share", 0);
	results[0].interrupted = stopping;
	check_everything(&states[0], 1);
	results[0].ns = arch_time_ns() - start;
	vm_get_stats(&vm_after);
	/* Pages poisoning caught written (by someone before the run) are in
	 * quarantine now: they are reported apart, and are not the run's. */
	if (pmm_free_page_count() + pmm_cached_page_count() +
	    (pmm_poison_quarantined() - quarantined_before) != free_before)
		fail(&states[0], "free pages differ from before the run", 0);
	if (vm_after.table_pages != vm_before.table_pages || vm_after.leaves_4k != vm_before.leaves_4k)
		fail(&states[0], "page tables differ from before the run", 0);
	for (unsigned i = 0; i < cpus; i++)
		if (results[i].failure)
			return -1;
	return 0;
}
