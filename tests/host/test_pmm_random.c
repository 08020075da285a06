/*
 * A randomised test: a million page-manager operations checked against a
 * simple reference model (which page belongs to which allocation), with
 * the invariant checker run along the way.
 *
 * PAGODA_SEED=<n> picks another sequence; PAGODA_OPS=<n> changes its length.
 */
#include <stdio.h>

#include "fixture.h"

#define MAX_LIVE 512

/* Slots never move (a set's list head must stay where its pages point);
 * id 0 marks an empty slot. */
struct live {
	uintptr_t addr;     /* contiguous: first page */
	size_t pages;
	int scattered;
	struct pmm_set set; /* scattered: its pages */
	int id;
};

static struct {
	struct pmm_segment_info seg[2];
	int *alloc_id[2];       /* per page: 0 free, else the allocation's id */
	struct live live[MAX_LIVE];
	int nr_live;
	int next_id;
	uint64_t rng;
	size_t free_pages;
} m;

static uint64_t next_random(void)
{
	m.rng ^= m.rng << 13;
	m.rng ^= m.rng >> 7;
	m.rng ^= m.rng << 17;
	return m.rng;
}

static size_t random_below(size_t n)
{
	return (size_t)(next_random() % n);
}

/* The model's slot for the page at @addr, or NULL outside managed memory. */
static int *alloc_id_of(uintptr_t addr)
{
	for (int s = 0; s < 2; s++)
		if (addr >= m.seg[s].start && addr < m.seg[s].end)
			return &m.alloc_id[s][(addr - m.seg[s].start) / PAGE];
	return NULL;
}

static void claim(uintptr_t addr, size_t pages, int id)
{
	for (size_t i = 0; i < pages; i++) {
		int *o = alloc_id_of(addr + i * PAGE);
		assert_non_null(o);
		assert_int_equal(*o, 0); /* never hand out a page twice */
		*o = id;
	}
	m.free_pages -= pages;
}

static void release(uintptr_t addr, size_t pages, int id)
{
	for (size_t i = 0; i < pages; i++) {
		int *o = alloc_id_of(addr + i * PAGE);
		assert_int_equal(*o, id);
		*o = 0;
	}
	m.free_pages += pages;
}

/* Does the model have a free, 2^order-aligned block in one segment? */
static int model_has_block(unsigned order)
{
	size_t len = (size_t)1 << order;
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < m.seg[s].pages; i++) {
			uintptr_t addr = m.seg[s].start + i * PAGE;
			if ((addr / PAGE) % len || i + len > m.seg[s].pages)
				continue;
			size_t k = 0;
			while (k < len && m.alloc_id[s][i + k] == 0)
				k++;
			if (k == len)
				return 1;
		}
	}
	return 0;
}

/* The lowest run of @pages free pages in one segment, or 0. */
static uintptr_t model_first_run(size_t pages)
{
	for (int s = 0; s < 2; s++) {
		size_t run = 0;
		for (size_t i = 0; i < m.seg[s].pages; i++) {
			run = m.alloc_id[s][i] == 0 ? run + 1 : 0;
			if (run == pages)
				return m.seg[s].start + (i + 1 - pages) * PAGE;
		}
	}
	return 0;
}

static struct live *empty_slot(void)
{
	if (m.nr_live == MAX_LIVE)
		return NULL;
	for (;;) {
		struct live *l = &m.live[random_below(MAX_LIVE)];
		if (l->id == 0)
			return l;
	}
}

static void do_alloc_contiguous(void)
{
	size_t n;
	size_t pick = random_below(100);
	if (pick < 70)
		n = 1 + random_below(16);
	else if (pick < 95)
		n = 17 + random_below(240);
	else
		n = 257 + random_below(700);

	uintptr_t addr;
	int err = pmm_alloc_contiguous(n, &addr);
	if (n > 256) {
		uintptr_t expect = model_first_run(n);
		if (expect == 0) {
			assert_int_equal(err, PMM_ERR_NO_MEMORY);
			return;
		}
		assert_int_equal(err, PMM_OK);
		assert_int_equal(addr, expect);
	} else if (err == PMM_ERR_NO_MEMORY) {
		assert_false(model_has_block(pmm_order_of(n)));
		return;
	}
	assert_int_equal(err, PMM_OK);
	if (n <= 256)
		assert_int_equal((addr / PAGE) % ((size_t)1 << pmm_order_of(n)), 0);
	struct live *l = empty_slot();
	if (l == NULL) {
		assert_int_equal(pmm_free(addr, NULL), PMM_OK);
		return;
	}
	m.nr_live++;
	*l = (struct live){ .addr = addr, .pages = n, .id = ++m.next_id };
	claim(addr, n, l->id);
}

static void do_alloc_scattered(void)
{
	size_t n = 1 + random_below(32);
	struct live *l = empty_slot();
	if (l == NULL)
		return;
	int err = pmm_alloc_scattered(n, &l->set);
	if (n > m.free_pages) {
		assert_int_equal(err, PMM_ERR_NO_MEMORY);
		return;
	}
	assert_int_equal(err, PMM_OK);
	m.nr_live++;
	l->scattered = 1;
	l->pages = n;
	l->id = ++m.next_id;
	for (struct list_node *p = l->set.pages.next; p != &l->set.pages; p = p->next)
		claim(pmm_set_address(p), 1, l->id);
}

static void do_free(void)
{
	if (m.nr_live == 0)
		return;
	struct live *l;
	do
		l = &m.live[random_below(MAX_LIVE)];
	while (l->id == 0);
	size_t freed = 0;
	if (l->scattered) {
		uintptr_t pages[32];
		size_t k = 0;
		for (struct list_node *p = l->set.pages.next; p != &l->set.pages; p = p->next) {
			assert_true(k < 32);
			pages[k++] = pmm_set_address(p);
		}
		assert_int_equal(pmm_free_scattered(&l->set, &freed), PMM_OK);
		for (size_t j = 0; j < k; j++)
			release(pages[j], 1, l->id);
	} else if (l->pages == 1 && random_below(2)) {
		assert_int_equal(pmm_free_page(l->addr), PMM_OK);
		freed = 1;
		release(l->addr, 1, l->id);
	} else {
		assert_int_equal(pmm_free(l->addr, &freed), PMM_OK);
		release(l->addr, l->pages, l->id);
	}
	assert_int_equal(freed, l->pages);
	memset(l, 0, sizeof(*l));
	m.nr_live--;
}

/* The error the model expects for freeing @addr. */
static int model_free_error(uintptr_t addr)
{
	int *o = alloc_id_of(addr);
	if (o == NULL)
		return PMM_ERR_OUTSIDE;
	if (addr % PAGE)
		return PMM_ERR_UNALIGNED;
	if (*o == 0)
		return PMM_ERR_NOT_ALLOCATED;
	for (int i = 0; i < MAX_LIVE; i++) {
		if (m.live[i].id != *o)
			continue;
		if (m.live[i].scattered)
			return PMM_ERR_SCATTERED;
		return m.live[i].addr == addr ? PMM_OK : PMM_ERR_INTERIOR;
	}
	fail_msg("page owned by a dead allocation");
	return 0;
}

static void do_bad_free(void)
{
	/* Anywhere from just below seg0 to just past seg1, any alignment. */
	uintptr_t lo = m.seg[0].start - 4 * PAGE, hi = m.seg[1].end + 4 * PAGE;
	uintptr_t addr = lo + random_below(hi - lo);
	if (random_below(4))
		addr &= ~(PAGE - 1);
	int expect = model_free_error(addr);
	if (expect == PMM_OK)
		return; /* a lucky hit on a real allocation: not a bad free */
	size_t before = pmm_free_page_count();
	assert_int_equal(pmm_free(addr, NULL), expect);
	assert_int_equal(pmm_free_page_count(), before);
}

/* Every block pmm reports agrees with the model, page by page. */
static void compare_with_model(void)
{
	assert_int_equal(pmm_free_page_count(), m.free_pages);
	for (unsigned s = 0; s < 2; s++) {
		size_t cursor = 0;
		struct pmm_block b;
		while (pmm_walk(s, &cursor, &b)) {
			int first = *alloc_id_of(b.addr);
			for (size_t i = 0; i < b.pages; i++) {
				int o = *alloc_id_of(b.addr + i * PAGE);
				if (b.state == PMM_PAGE_FREE)
					assert_int_equal(o, 0);
				else
					assert_true(o != 0 && o == first);
			}
		}
	}
}

static void test_random_against_model(void **state)
{
	(void)state;
	const char *seed = getenv("PAGODA_SEED");
	const char *ops_env = getenv("PAGODA_OPS");
	long ops = ops_env ? atol(ops_env) : 1000000;
	m.rng = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
	if (m.rng == 0)
		m.rng = 1;
	printf("# seed 0x%llx, %ld operations\n", (unsigned long long)m.rng, ops);

	/* Two segments with awkward edges: neither starts or ends aligned. */
	uintptr_t base = arena_new(8 * MIB);
	assert_int_equal(pmm_add_segment(base + 37 * PAGE, base + 3 * MIB + 5 * PAGE), 0);
	assert_int_equal(pmm_add_segment(base + 4 * MIB + 3 * PAGE, base + 8 * MIB - 11 * PAGE), 1);
	for (int s = 0; s < 2; s++) {
		pmm_segment_info((unsigned)s, &m.seg[s]);
		m.alloc_id[s] = calloc(m.seg[s].pages, sizeof(int));
	}
	m.free_pages = pmm_free_page_count();

	for (long op = 0; op < ops; op++) {
		size_t pick = random_below(100);
		if (pick < 35)
			do_alloc_contiguous();
		else if (pick < 42)
			do_alloc_scattered();
		else if (pick < 80)
			do_free();
		else
			do_bad_free();
		if (op % 2000 == 0) {
			assert_int_equal(pmm_check(NULL, NULL), 0);
			compare_with_model();
		}
	}
	while (m.nr_live > 0)
		do_free();
	assert_int_equal(pmm_check(NULL, NULL), 0);
	compare_with_model();
	/* Everything back: each segment is one set of maximal blocks again. */
	assert_int_equal(pmm_free_page_count(), pmm_total_pages());
	for (int s = 0; s < 2; s++)
		free(m.alloc_id[s]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_random_against_model, arena_teardown),
	};
	return cmocka_run_group_tests_name("pmm_random", tests, NULL, NULL);
}
