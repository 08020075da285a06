/*
 * The page manager shared by threads, as by CPUs: each thread names itself
 * a CPU (host_cpu_set()), then runs a seeded mix of single pages,
 * contiguous runs and scattered sets, stamping what it holds and checking
 * the stamps before giving it back. With the page caches off and on. At
 * the end every page is back and every checker agrees.
 *
 * Built twice by make test: with ASan+UBSan like every host test, and with
 * ThreadSanitizer (build/host/tsan/), which reports any two threads
 * touching the same memory without the lock or an atomic between them.
 *
 * PAGODA_OPS=<n> changes the operations per thread.
 */
#include <pthread.h>
#include <stdio.h>

#include "fixture.h"
#include "spinlock.h"

#define THREADS 4
#define SLOTS 32
#define MIB_MANAGED 8

struct held {
	uintptr_t addr;
	size_t pages;
	struct pmm_set set;
	int scattered;
};

struct worker {
	unsigned cpu;
	uint64_t rng;
	size_t ops;
	struct held held[SLOTS];
	int singles;      /* single pages only */
	int failed;
	pthread_t thread;
};

static uint64_t next_random(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static uint64_t stamp(uintptr_t page)
{
	return page * 0x9e3779b97f4a7c15ull;
}

static void stamp_page(uintptr_t page, int check, struct worker *w)
{
	if (check && *(uint64_t *)page != stamp(page))
		w->failed = 1;
	*(uint64_t *)page = check ? 0 : stamp(page);
}

static void give_back(struct worker *w, struct held *h)
{
	if (h->scattered) {
		struct list_node *n;
		list_for_each(n, &h->set.pages)
			stamp_page(pmm_set_address(n), 1, w);
		if (pmm_free_scattered(&h->set, NULL) != PMM_OK)
			w->failed = 1;
	} else {
		for (size_t i = 0; i < h->pages; i++)
			stamp_page(h->addr + i * PAGE, 1, w);
		size_t pages = 0;
		int err = h->pages == 1 && (next_random(w) & 1) ? pmm_free_page(h->addr)
								 : pmm_free(h->addr, &pages);
		if (err != PMM_OK || (pages && pages != h->pages))
			w->failed = 1;
	}
	h->pages = 0;
	h->scattered = 0;
}

static void take(struct worker *w, struct held *h)
{
	unsigned kind = w->singles ? 1 : (unsigned)(next_random(w) % 8);
	if (kind == 0) { /* a scattered set */
		size_t pages = 1 + next_random(w) % 8;
		if (pmm_alloc_scattered(pages, &h->set) != PMM_OK)
			return;
		struct list_node *n;
		list_for_each(n, &h->set.pages)
			stamp_page(pmm_set_address(n), 0, w);
		h->scattered = 1;
		h->pages = pages;
		return;
	}
	/* Mostly single pages, the caches' business; some runs of up to 8. */
	size_t pages = kind < 6 ? 1 : 1 + next_random(w) % 8;
	int err = pages == 1 ? pmm_alloc_page(&h->addr) : pmm_alloc_contiguous(pages, &h->addr);
	if (err != PMM_OK) {
		if (err != PMM_ERR_NO_MEMORY)
			w->failed = 1;
		return;
	}
	h->pages = pages;
	for (size_t i = 0; i < pages; i++)
		stamp_page(h->addr + i * PAGE, 0, w);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	host_cpu_set(w->cpu);
	for (size_t i = 0; i < w->ops; i++) {
		struct held *h = &w->held[next_random(w) % SLOTS];
		if (h->pages)
			give_back(w, h);
		else
			take(w, h);
	}
	for (size_t i = 0; i < SLOTS; i++)
		if (w->held[i].pages)
			give_back(w, &w->held[i]);
	return NULL;
}

static size_t ops_per_thread(void)
{
	const char *s = getenv("PAGODA_OPS");
	return s ? (size_t)strtoull(s, NULL, 0) : 20000;
}

/* @threads workers at once; then everything is back, and checks out. */
static void run_threads(unsigned threads, int caches, int singles)
{
	static struct worker workers[THREADS];
	aligned_segment(MIB_MANAGED);
	struct snapshot before;
	take_snapshot(&before);
	pmm_pcp_set(caches);
	for (unsigned i = 0; i < threads; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i] = (struct worker){ .cpu = i, .rng = 0x9e3779b9u + i, .ops = ops_per_thread(),
					      .singles = singles };
		assert_int_equal(pthread_create(&workers[i].thread, NULL, run, &workers[i]), 0);
	}
	for (unsigned i = 0; i < threads; i++) {
		assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
		assert_false(workers[i].failed);
	}
	assert_int_equal(pmm_pcp_check(), 0);
	assert_int_equal(pmm_free_page_count() + pmm_cached_page_count(), before.free_pages);
	pmm_pcp_set(0);
	assert_int_equal(pmm_cached_page_count(), 0);
	assert_int_equal(pmm_pcp_check(), 0);
	assert_check_ok();
	assert_unchanged(&before);
}

static void two_threads_caches_off(void **state)
{
	(void)state;
	run_threads(2, 0, 0);
}

static void four_threads_caches_off(void **state)
{
	(void)state;
	run_threads(4, 0, 0);
}

static void four_threads_caches_on(void **state)
{
	(void)state;
	run_threads(4, 1, 0);
}

/* With the caches on, a thread's single pages come and go without the
 * lock: it is taken only to refill and drain (at most once per
 * PMM_PCP_BATCH pages), where without them every one takes it. */
static void caches_take_the_lock_less(void **state)
{
	(void)state;
	struct spinlock *pmm = NULL;
	uint64_t acquires[2];
	for (int caches = 0; caches < 2; caches++) {
		spinlock_reset_counters();
		run_threads(1, caches, 1);
		for (struct spinlock *l = spinlock_list(); l; l = l->next)
			if (strcmp(l->name, "pmm") == 0)
				pmm = l;
		assert_non_null(pmm);
		acquires[caches] = pmm->acquires;
	}
	printf("# pmm lock acquires for one thread's single pages: %llu with the caches off, "
	       "%llu on\n", (unsigned long long)acquires[0], (unsigned long long)acquires[1]);
	assert_true(acquires[1] * PMM_PCP_BATCH <= acquires[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(two_threads_caches_off, arena_teardown),
		cmocka_unit_test_teardown(four_threads_caches_off, arena_teardown),
		cmocka_unit_test_teardown(four_threads_caches_on, arena_teardown),
		cmocka_unit_test_teardown(caches_take_the_lock_less, arena_teardown),
	};
	return cmocka_run_group_tests_name("pmm_threads", tests, NULL, NULL);
}
