/*
 * Host tests of lab percpu, built with the lab's sources under ASan + UBSan:
 *     build/host/lab/percpu/tests/host_percpu <test> <seed>
 * The last line is "ok", or "FAIL: <the first difference>". Every expected
 * value comes from the policy in labs/percpu/README.md, computed here by a
 * model of the caches (a stack per CPU, BATCH and HIGH) and of the buddy
 * lists' next single pages (read from pmm_for_each_free before a refill:
 * pcpmodel.h, beside this file).
 * A "CPU" is what host_cpu_set() names: one thread plays each CPU in turn,
 * except in the threads test. Observed values are pages as indexes from
 * the start of the test's memory, never host addresses.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmm.h"
#include "spinlock.h"
#include "../../../os/mm/pmm_segment.h"
#include "labhost.h"

#define MIB ((uintptr_t)1 << 20)
#define PAGE PMM_PAGE_SIZE
#define CPUS 4

static unsigned long long rng_state;

/* A number below @n from the generator whose state is *@state. */
static unsigned next_below(unsigned long long *state, unsigned n)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((*state >> 33) % n);
}

static unsigned random_below(unsigned n)
{
	return next_below(&rng_state, n);
}

static _Noreturn void fail(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void *arena;
static size_t arena_size;

/* What the test is doing, for its failure messages. */
static const char *when = "";

/* A page as observations show it: its index in the test's memory. */
static long page_no(uintptr_t addr)
{
	return addr ? (long)((addr - (uintptr_t)arena) / PAGE) : -1;
}

/* @mib MiB of memory as @segments segments with gaps between them; the
 * caches on. */
static void fresh_memory(size_t mib, unsigned segments)
{
	free(arena);
	arena_size = (mib + 1) * MIB;
	arena = aligned_alloc(MIB, arena_size);
	if (!arena)
		fail("out of host memory");
	pmm_init();
	uintptr_t part = (mib + 1) * MIB / segments;
	for (unsigned i = 0; i < segments; i++) {
		uintptr_t start = (uintptr_t)arena + i * part;
		/* pmm_add_segment() returns the new segment's number. */
		if (pmm_add_segment(start, start + part - (segments > 1 ? part / 4 : 0)) < 0)
			fail("the page manager refused the test's memory");
	}
	pmm_pcp_set(1);
}

#include "pcpmodel.h"

/* ---- comparing ---- */

static void compare_cache(unsigned cpu)
{
	const struct cache_model *m = &model[cpu];
	struct pmm_pcp_info info;
	pmm_pcp_info(cpu, &info);
	lab_observe("cpu%u: %zu pages, %llu hits, %llu misses, %llu refills, %llu drains", cpu,
		    info.pages, (unsigned long long)info.hits, (unsigned long long)info.misses,
		    (unsigned long long)info.refills, (unsigned long long)info.drains);
	if (info.pages != m->count || info.hits != m->hits || info.misses != m->misses ||
	    info.refills != m->refills || info.drains != m->drains)
		fail("%s: cpu%u's cache: expected %zu pages, %llu hits, %llu misses, %llu refills, "
		     "%llu drains; got %zu, %llu, %llu, %llu, %llu", when, cpu, m->count,
		     (unsigned long long)m->hits, (unsigned long long)m->misses,
		     (unsigned long long)m->refills, (unsigned long long)m->drains, info.pages,
		     (unsigned long long)info.hits, (unsigned long long)info.misses,
		     (unsigned long long)info.refills, (unsigned long long)info.drains);
	char seen[1024] = "";
	size_t len = 0;
	for (size_t i = 0; i < m->count; i++) {
		uintptr_t got = pmm_pcp_page(cpu, i), want = m->page[m->count - 1 - i];
		len += (size_t)snprintf(seen + len, sizeof(seen) - len, " %ld", page_no(got));
		if (got != want) {
			lab_observe("cpu%u's pages, top first:%s", cpu, seen);
			fail("%s: cpu%u's cache, page %zu from the top: expected page %ld, got %ld", when,
			     cpu, i, page_no(want), page_no(got));
		}
	}
	lab_observe("cpu%u's pages, top first:%s", cpu, seen);
}

static size_t start_free;

/* Every page accounted for: free + cached + @held == what there was. */
static void compare_totals(size_t held)
{
	size_t cached = 0;
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		cached += model[cpu].count;
	size_t free_now = pmm_free_page_count(), cached_now = pmm_cached_page_count();
	size_t problems = pmm_pcp_check(), broken = pmm_check(NULL, NULL);
	if (unlocked_calls)
		fail("%s: pmm_take_block or pmm_free_range was called %zu times without pmm_lock "
		     "held", when, (size_t)unlocked_calls);
	lab_observe("free %zu, cached %zu, pmm_pcp_check %zu, pmm_check %zu", free_now,
		    cached_now, problems, broken);
	if (cached_now != cached)
		fail("%s: pmm_cached_page_count(): expected %zu, got %zu", when, cached, cached_now);
	if (free_now != start_free - cached - held)
		fail("%s: pmm_free_page_count(): expected %zu (%zu at the start, %zu cached, %zu "
		     "allocated), got %zu", when, start_free - cached - held, start_free, cached, held,
		     free_now);
	if (problems || broken)
		fail("%s: pmm_pcp_check() found %zu problems, pmm_check() %zu", when, problems, broken);
}

static void begin(size_t mib, unsigned segments)
{
	fresh_memory(mib, segments);
	memset(model, 0, sizeof(model));
	start_free = pmm_free_page_count();
	host_cpu_set(0);
}

/* Scatter the buddy lists (caches off meanwhile): a refill then takes
 * pages from blocks of several orders. */
static void fragment(uintptr_t *held, size_t *nr_held, size_t room)
{
	pmm_pcp_set(0);
	for (unsigned i = 0; i < 40 && *nr_held < room; i++) {
		uintptr_t addr;
		if (pmm_alloc_contiguous(1 + random_below(9), &addr) == PMM_OK)
			held[(*nr_held)++] = addr;
	}
	for (unsigned i = 0; i < 20 && *nr_held > 0; i++) {
		size_t k = random_below((unsigned)*nr_held);
		if (pmm_free(held[k], NULL) != PMM_OK)
			fail("the test's own free failed");
		held[k] = held[--*nr_held];
	}
	pmm_pcp_set(1);
}

static size_t pages_of(const uintptr_t *held, size_t n)
{
	size_t pages = 0;
	for (size_t i = 0; i < n; i++) {
		struct pmm_block b;
		if (pmm_allocation_at(held[i], &b) == PMM_OK)
			pages += b.pages;
	}
	return pages;
}

/* A call takes pmm_lock once for each refill, drain or locked call it
 * makes, and never on a hit: counted, so no race needs to happen for a
 * missing lock to show. */
static void compare_acquires(const char *call, unsigned cpu, uint64_t got)
{
	size_t unlocked = unlocked_calls;
	lab_observe("cpu%u: %s took pmm_lock %llu times, called the buddy system %zu times "
		    "without it", cpu, call, (unsigned long long)got, unlocked);
	if (unlocked)
		fail("%s: cpu%u: %s called pmm_take_block or pmm_free_range %zu times without "
		     "holding pmm_lock", when, cpu, call, unlocked);
	if (got != model_acquires)
		fail("%s: cpu%u: %s took pmm_lock %llu times; expected %llu (once for a refill, "
		     "once for a drain, never on a hit)", when, cpu, call, (unsigned long long)got,
		     (unsigned long long)model_acquires);
}

/* One single page on CPU @cpu, compared with the model. */
static uintptr_t alloc_one(unsigned cpu)
{
	host_cpu_set(cpu);
	uintptr_t want = model_alloc(cpu), got = 0;
	uint64_t before = pmm_lock.acquires;
	int err = pmm_alloc_page(&got);
	lab_observe("cpu%u: pmm_alloc_page: %s, page %ld", cpu, pmm_strerror(err),
		    err == PMM_OK ? page_no(got) : -1);
	compare_acquires("pmm_alloc_page", cpu, pmm_lock.acquires - before);
	if (want == 0 && err != PMM_ERR_NO_MEMORY)
		fail("%s: cpu%u: pmm_alloc_page with no page anywhere: expected PMM_ERR_NO_MEMORY, "
		     "got %s", when, cpu, pmm_strerror(err));
	if (want && (err != PMM_OK || got != want))
		fail("%s: cpu%u: pmm_alloc_page: expected page %ld, got %s, page %ld", when, cpu,
		     page_no(want), pmm_strerror(err), err == PMM_OK ? page_no(got) : -1);
	return want;
}

static void free_one(unsigned cpu, uintptr_t page)
{
	static struct saved_state state;
	uintptr_t oldest[PMM_PCP_BATCH];
	int drains = model[cpu].count == PMM_PCP_HIGH;
	host_cpu_set(cpu);
	if (drains) {
		memcpy(oldest, model[cpu].page, sizeof(oldest));
		save_state(&state);
	}
	model_free(cpu, page);
	uint64_t before = pmm_lock.acquires;
	int err = (random_below(2) ? pmm_free_page(page) : pmm_free(page, NULL));
	lab_observe("cpu%u: free page %ld: %s", cpu, page_no(page), pmm_strerror(err));
	compare_acquires("free", cpu, pmm_lock.acquires - before);
	if (drains)
		compare_drain_order(&state, oldest);
	if (err != PMM_OK)
		fail("%s: cpu%u: free of page %ld: expected PMM_OK, got %s", when, cpu, page_no(page),
		     pmm_strerror(err));
}

/* ---- the tests ---- */

/* An empty cache refills: BATCH pages in the buddy's order, the first on
 * top; then hits until it is empty again. */
static void refill_test(void)
{
	uintptr_t held[64];
	size_t nr_held = 0;
	begin(4, 1 + random_below(2));
	fragment(held, &nr_held, 64);
	size_t pages_held = pages_of(held, nr_held);
	size_t n = 20 + random_below(3 * PMM_PCP_BATCH);
	when = "single pages from an empty cache";
	for (size_t i = 0; i < n; i++) {
		alloc_one(0);
		if (i == 0 || i == PMM_PCP_BATCH - 1 || random_below(6) == 0)
			compare_cache(0);
	}
	compare_cache(0);
	compare_totals(pages_held + n);
}

/* A refill that finds fewer than BATCH pages takes what there is, and
 * hands out its first page first; with none at all, the allocation fails. */
static void short_refill_test(void)
{
	begin(1, 1);
	pmm_pcp_set(0);
	size_t left = 1 + random_below(PMM_PCP_BATCH - 1);
	uintptr_t hog[64];
	size_t hogged = 0, want = 256;
	while (pmm_free_page_count() > left) {
		while (want > pmm_free_page_count() - left)
			want /= 2;
		if (pmm_alloc_contiguous(want, &hog[hogged]) == PMM_OK)
			hogged++;
		else if (want > 1)
			want /= 2;
		else
			fail("the test could not fill its memory");
		if (hogged == 64)
			fail("the test needed more than 64 allocations to fill its memory");
	}
	size_t pages_held = pages_of(hog, hogged);
	pmm_pcp_set(1);
	when = "a refill with only a few pages free";
	lab_observe("%zu pages free", left);
	uintptr_t mine[PMM_PCP_BATCH + 2];
	for (size_t i = 0; i <= left; i++) {
		mine[i] = alloc_one(0);
		compare_cache(0);
	}
	compare_totals(pages_held + left);
	when = "the pages back, then out of the cache again";
	for (size_t i = 0; i < left; i++)
		free_one(0, mine[left - 1 - i]);
	compare_cache(0);
	for (size_t i = 0; i < left; i++)
		mine[i] = alloc_one(0);
	compare_cache(0);
	compare_totals(pages_held + left);
}

/* Frees go on top (the next allocation takes the last page freed); above
 * HIGH the oldest BATCH go back to the buddy lists, and are free there. */
static void drain_test(void)
{
	uintptr_t held[64];
	size_t nr_held = 0;
	begin(4, 1 + random_below(2));
	fragment(held, &nr_held, 64);
	size_t pages_held = pages_of(held, nr_held);
	uintptr_t mine[300];
	size_t n = PMM_PCP_HIGH + PMM_PCP_BATCH + random_below(120);
	when = "allocations before the frees";
	for (size_t i = 0; i < n; i++)
		mine[i] = alloc_one(0);
	compare_cache(0);
	when = "freeing single pages";
	for (size_t left = n; left > 0; left--) {
		size_t k = random_below((unsigned)left);
		uintptr_t page = mine[k];
		mine[k] = mine[left - 1];
		uint64_t drains = model[0].drains;
		uintptr_t oldest[PMM_PCP_BATCH];
		memcpy(oldest, model[0].page, sizeof(oldest));
		free_one(0, page);
		if (model[0].drains != drains) {
			compare_cache(0);
			for (size_t i = 0; i < PMM_PCP_BATCH; i++) {
				struct pmm_block b;
				int err = pmm_find_block(oldest[i], &b);
				lab_observe("drained page %ld: %s", page_no(oldest[i]),
					    err == PMM_OK && b.state == PMM_PAGE_FREE ? "free" : "not free");
				if (err != PMM_OK || b.state != PMM_PAGE_FREE)
					fail("%s: a drain: page %ld, one of the %d oldest, is not free in "
					     "the buddy lists", when, page_no(oldest[i]), PMM_PCP_BATCH);
			}
			compare_totals(pages_held + left - 1);
		}
		if (random_below(4) == 0) {
			/* The page just freed comes straight back, and goes again. */
			alloc_one(0);
			free_one(0, page);
		}
	}
	compare_cache(0);
	compare_totals(pages_held);
}

/* Each CPU has its own cache: a page freed on one CPU is that CPU's to
 * hand out, whichever CPU had it. */
static void cpus_test(void)
{
	begin(4, 1);
	uintptr_t mine[400];
	size_t n = 0;
	when = "single pages on four CPUs";
	for (unsigned step = 0; step < 600; step++) {
		unsigned cpu = random_below(CPUS);
		if (n > 0 && (n == 400 || random_below(2))) {
			size_t k = random_below((unsigned)n);
			uintptr_t page = mine[k];
			mine[k] = mine[--n];
			free_one(cpu, page);
		} else {
			mine[n++] = alloc_one(cpu);
		}
		if (random_below(40) == 0)
			compare_cache(cpu);
	}
	/* A CPU other than 0 frees more than HIGH pages in a row: it drains. */
	unsigned busy = 1 + random_below(CPUS - 1);
	uintptr_t burst[PMM_PCP_HIGH + 2 * PMM_PCP_BATCH];
	size_t bursting = PMM_PCP_HIGH + 1 + random_below(PMM_PCP_BATCH);
	for (size_t i = 0; i < bursting; i++)
		burst[i] = alloc_one(busy);
	for (size_t left = bursting; left > 0; left--) {
		size_t k = random_below((unsigned)left);
		free_one(busy, burst[k]);
		burst[k] = burst[left - 1];
	}
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		compare_cache(cpu);
	compare_totals(n);
	while (n > 0)
		free_one(random_below(CPUS), mine[--n]);
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		compare_cache(cpu);
	compare_totals(0);
	when = "pcp off";
	pmm_pcp_set(0);
	model_caches_off();
	lab_observe("after pcp off: free %zu", pmm_free_page_count());
	if (pmm_free_page_count() != start_free || pmm_cached_page_count() != 0)
		fail("%s: expected every page free (%zu), got %zu free, %zu cached", when, start_free,
		     pmm_free_page_count(), pmm_cached_page_count());
}

/* What the caches must refuse, or leave to the buddy system: every call's
 * error as the locked path gives it, and no cache changes. */
static void refusals_test(void)
{
	begin(4, 1);
	uintptr_t page = alloc_one(0), other = alloc_one(0), run;
	when = "frees the caches must not take";
	if (pmm_alloc_contiguous(2, &run) != PMM_OK)
		fail("the test could not allocate two pages");
	/* The locked path's answers: the caches must leave these to it. */
	struct {
		const char *what;
		uintptr_t addr;
		int expected;
	} cases[] = {
		{ "the first page of a two-page allocation", run, PMM_ERR_NOT_SINGLE },
		{ "the second page of a two-page allocation", run + PAGE, PMM_ERR_INTERIOR },
		{ "a page held by an allocator, freed as anyone's", other, PMM_ERR_HELD },
		{ "an address inside a page", page + 8, PMM_ERR_UNALIGNED },
		{ "a page outside the memory", (uintptr_t)arena - 64 * PAGE, PMM_ERR_OUTSIDE },
		{ "a page still in the cache", 0, PMM_ERR_HELD },
	};
	if (pmm_set_holder(other, PMM_HOLDER_ALLOCATOR) != PMM_OK)
		fail("pmm_set_holder(one's own single page, PMM_HOLDER_ALLOCATOR) failed");
	cases[5].addr = pmm_pcp_page(0, 0);
	size_t order[6] = { 0, 1, 2, 3, 4, 5 };
	for (size_t i = 5; i > 0; i--) {
		size_t k = random_below((unsigned)i + 1), t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	for (size_t i = 0; i < 6; i++) {
		size_t c = order[i];
		/* pmm_free() of a whole run is right: only pmm_free_page() refuses it. */
		int err = random_below(2) || c == 0 ? pmm_free_page(cases[c].addr)
						    : pmm_free(cases[c].addr, NULL);
		lab_observe("free %s: %s", cases[c].what, pmm_strerror(err));
		if (err != cases[c].expected)
			fail("%s: the free of %s: expected \"%s\", got \"%s\"", when, cases[c].what,
			     pmm_strerror(cases[c].expected), pmm_strerror(err));
		compare_cache(0);
	}
	when = "a page held by an allocator, freed by its holder";
	int err = pmm_free_held(other, PMM_HOLDER_ALLOCATOR, NULL);
	lab_observe("pmm_free_held(page, PMM_HOLDER_ALLOCATOR): %s", pmm_strerror(err));
	if (err != PMM_OK)
		fail("%s: expected PMM_OK, got %s", when, pmm_strerror(err));
	model_free(0, other);
	compare_cache(0);
	when = "a double free";
	free_one(0, page);
	err = pmm_free_page(page);
	lab_observe("the same page again: %s", pmm_strerror(err));
	if (err != PMM_ERR_HELD)
		fail("%s: the second free of page %ld (in the cache now): expected \"%s\", got "
		     "\"%s\"", when, page_no(page), pmm_strerror(PMM_ERR_HELD), pmm_strerror(err));
	compare_cache(0);
	when = "poisoning on: single pages bypass the caches";
	pmm_set_poison(1);
	uintptr_t poisoned;
	err = pmm_alloc_page(&poisoned);
	lab_observe("poisoning: pmm_alloc_page: %s", pmm_strerror(err));
	if (err != PMM_OK)
		fail("%s: pmm_alloc_page: expected success, got \"%s\"", when, pmm_strerror(err));
	compare_cache(0);
	err = pmm_free_page(poisoned);
	lab_observe("poisoning: free: %s", pmm_strerror(err));
	if (err != PMM_OK)
		fail("%s: pmm_free_page: expected success, got \"%s\"", when, pmm_strerror(err));
	compare_cache(0);
	pmm_set_poison(0);
	if (pmm_free(run, NULL) != PMM_OK)
		fail("the test's own free failed");
	compare_totals(0);
}

/* The walk of pages_held_by_caches() at its edges, with the caches off
 * and @held pages allocated: the last page of the last segment in a cache,
 * and a cached page right after a head whose block has no length (a
 * broken tiling: the walk steps one page there). */
static void check_edges_test(size_t held)
{
	static uintptr_t got[2048];
	size_t n = 0, pair = SIZE_MAX;
	struct pmm_segment_info info;
	pmm_segment_info(pmm_segment_count() - 1, &info);
	uintptr_t last = info.start + (info.pages - 1) * PAGE;
	while (n < 2048 && pmm_alloc_page(&got[n]) == PMM_OK) {
		if (pair == SIZE_MAX && n > 0 && got[n] == got[n - 1] + PAGE)
			pair = n - 1;
		if (got[n++] == last)
			break;
	}
	if (got[n - 1] != last || pair == SIZE_MAX)
		fail("the test could not allocate the last page and two pages in a row");
	uintptr_t x = got[pair];
	for (size_t i = 0; i < n; i++)
		if (got[i] != last && got[i] != x && got[i] != x + PAGE &&
		    pmm_free_page(got[i]) != PMM_OK)
			fail("the test's own free failed");
	pmm_pcp_set(1);
	unsigned cpu = random_below(CPUS);
	when = "the last page of the last segment, and a page after a broken head, cached";
	free_one(cpu, last);
	free_one(cpu, x + PAGE);
	struct pmm_segment *seg = pmm_segment_of(x);
	struct pmm_page *head = &seg->page_array[pmm_index(seg, x)];
	head->state = PMM_PAGE_INSIDE;
	head->count = 0;
	size_t problems = pmm_pcp_check();
	lab_observe("%s: %zu problems", when, problems);
	if (problems)
		fail("%s: pmm_pcp_check(): expected 0 problems, got %zu", when, problems);
	head->state = PMM_PAGE_ALLOCATED;
	head->count = 1;
	compare_cache(cpu);
	compare_totals(held + 1);
	if (pmm_free_page(x) != PMM_OK)
		fail("the test's own free failed");
	model_free(cpu, x);
	compare_cache(cpu);
	compare_totals(held);
}

/* Sixteen segments, as many as there can be: the walk visits each, and
 * only those. */
static void sixteen_segments_test(void)
{
	begin(4, PMM_MAX_SEGMENTS);
	uintptr_t mine[120];
	size_t n = 0;
	when = "single pages on four CPUs, sixteen segments";
	for (unsigned step = 0; step < 200; step++) {
		unsigned cpu = random_below(CPUS);
		if (n > 0 && (n == 120 || random_below(3) == 0)) {
			size_t k = random_below((unsigned)n);
			free_one(cpu, mine[k]);
			mine[k] = mine[--n];
		} else {
			mine[n++] = alloc_one(cpu);
		}
	}
	compare_totals(n);
}

/* pmm_pcp_check() finds a page that is the caches' but in no cache, and a
 * cached page that is no longer the caches'. */
static void check_test(void)
{
	begin(4, 2);
	/* Most of the first segment taken: the caches hold pages of both. */
	pmm_pcp_set(0);
	uintptr_t hog;
	if (pmm_alloc_contiguous(256, &hog) != PMM_OK)
		fail("the test could not allocate 256 pages");
	pmm_pcp_set(1);
	uintptr_t mine[200];
	size_t n = 0;
	for (unsigned step = 0; step < 300; step++) {
		unsigned cpu = random_below(CPUS);
		if (n > 0 && (n == 200 || random_below(2))) {
			size_t k = random_below((unsigned)n);
			free_one(cpu, mine[k]);
			mine[k] = mine[--n];
		} else {
			mine[n++] = alloc_one(cpu);
		}
	}
	when = "after single pages on four CPUs";
	while (n < 2)
		mine[n++] = alloc_one(0);
	compare_totals(n + 256);
	/* Pages that are the caches' but in no cache: a few allocations
	 * marked held by the caches behind their back. */
	size_t forged = 1 + random_below(2);
	struct pmm_page *page[3];
	for (size_t i = 0; i < forged; i++) {
		struct pmm_segment *seg = pmm_segment_of(mine[i]);
		page[i] = &seg->page_array[pmm_index(seg, mine[i])];
		page[i]->holder = PMM_HOLDER_CACHE;
	}
	size_t problems = pmm_pcp_check();
	lab_observe("%zu pages held by the caches in no cache: %zu problems", forged, problems);
	if (problems != 1)
		fail("%zu allocated pages held by PMM_HOLDER_CACHE but in no cache: expected 1 "
		     "problem (the count of the caches' pages is off), got %zu", forged, problems);
	for (size_t i = 0; i < forged; i++)
		page[i]->holder = PMM_HOLDER_ANYONE;
	problems = pmm_pcp_check();
	lab_observe("put right: %zu problems", problems);
	if (problems != 0)
		fail("put right again: expected 0 problems, got %zu", problems);
	when = "pcp off";
	pmm_pcp_set(0);
	model_caches_off();
	compare_totals(n + 256);
	problems = pmm_pcp_check();
	lab_observe("caches off: %zu problems", problems);
	if (problems)
		fail("%s: pmm_pcp_check(): expected 0 problems, got %zu", when, problems);
	check_edges_test(n + 256);
	sixteen_segments_test();
}

/* Four threads at once, each a CPU: stamped single pages, then all back.
 * Each thread climbs to between 80 and 160 pages held and falls back to
 * under 16, so that its cache drains while the others refill. */
#define THREAD_PAGES 160

struct worker {
	unsigned cpu;
	unsigned long long rng;
	size_t ops, held, bad;
	uintptr_t page[THREAD_PAGES];
	pthread_t thread;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t target = 0;
	host_cpu_set(w->cpu);
	for (size_t i = 0; i < w->ops; i++) {
		if (w->held == target)
			target = target < 16 ? 80 + next_below(&w->rng, THREAD_PAGES - 80 + 1)
					     : next_below(&w->rng, 16);
		if (w->held > target) {
			size_t k = next_below(&w->rng, (unsigned)w->held);
			uintptr_t page = w->page[k];
			if (*(uintptr_t *)page != page * 31)
				w->bad++; /* someone else wrote into it */
			w->page[k] = w->page[--w->held];
			if (pmm_free_page(page) != PMM_OK)
				w->bad++;
		} else if (pmm_alloc_page(&w->page[w->held]) == PMM_OK) {
			uintptr_t page = w->page[w->held++];
			*(uintptr_t *)page = page * 31;
		} else {
			w->bad++;
		}
	}
	while (w->held > 0)
		if (pmm_free_page(w->page[--w->held]) != PMM_OK)
			w->bad++;
	return NULL;
}

static void threads_test(void)
{
	static struct worker workers[CPUS];
	begin(8, 1);
	for (unsigned i = 0; i < CPUS; i++) {
		workers[i] = (struct worker){ .cpu = i, .rng = rng_state + i, .ops = 20000 };
		if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0)
			fail("pthread_create failed");
	}
	size_t bad = 0;
	for (unsigned i = 0; i < CPUS; i++) {
		pthread_join(workers[i].thread, NULL);
		bad += workers[i].bad;
	}
	lab_observe("four threads: %zu failed calls or overwritten pages", bad);
	if (bad)
		fail("four threads of single pages: %zu calls failed or pages were written by "
		     "another thread", bad);
	size_t cached = pmm_cached_page_count(), problems = pmm_pcp_check();
	lab_observe("after: free + cached %zu, pmm_pcp_check %zu, pmm_check %zu",
		    pmm_free_page_count() + cached, problems, pmm_check(NULL, NULL));
	if (pmm_free_page_count() + cached != start_free || problems || pmm_check(NULL, NULL))
		fail("after four threads: expected %zu pages free or cached and no problem; got %zu "
		     "free, %zu cached, pmm_pcp_check %zu, pmm_check %zu", start_free,
		     pmm_free_page_count(), cached, problems, pmm_check(NULL, NULL));
	pmm_pcp_set(0);
	lab_observe("pcp off: free %zu", pmm_free_page_count());
	if (pmm_free_page_count() != start_free)
		fail("pcp off after four threads: expected %zu pages free, got %zu", start_free,
		     pmm_free_page_count());
}

static const struct lab_test tests[] = {
	{ "refill", refill_test },
	{ "short_refill", short_refill_test },
	{ "drain", drain_test },
	{ "cpus", cpus_test },
	{ "refusals", refusals_test },
	{ "check", check_test },
	{ "threads", threads_test },
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
	lab_test_passed();
	return 0;
}
