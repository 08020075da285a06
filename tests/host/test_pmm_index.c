/*
 * The free-chunk index and the head links (issue 9), checked against
 * simple models under random fragmentation:
 *
 * - a request above 256 pages gets exactly the run a linear search of a
 *   page map finds (the lowest run of n free pages inside one segment), so
 *   the index changed how runs are found, not which;
 * - every page of every block leads to its block (pmm_find_block) and a
 *   free of any page that is not a head gives the error a page map
 *   predicts;
 * - pmm_check() notices a wrong chunk bit and a wrong head link.
 *
 * PAGODA_SEED=<n> picks another sequence; PAGODA_OPS=<n> changes its length.
 */
#include <stdio.h>

#include "fixture.h"

#define SEGMENTS 2
#define MAX_LIVE 4096

static struct {
	struct pmm_segment_info seg[SEGMENTS];
	int *owner[SEGMENTS]; /* per page: 0 free, else the allocation's id */
	uintptr_t addr[MAX_LIVE];
	size_t pages[MAX_LIVE];
	int id[MAX_LIVE];
	int nr_live, next_id;
	uint64_t rng;
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

static int *owner_of(uintptr_t addr)
{
	for (int s = 0; s < SEGMENTS; s++)
		if (addr >= m.seg[s].start && addr < m.seg[s].end)
			return &m.owner[s][(addr - m.seg[s].start) / PAGE];
	return NULL;
}

/* The old policy, the slow way: the lowest run of @pages free pages
 * inside one segment, page by page, or 0. */
static uintptr_t linear_first_run(size_t pages)
{
	for (int s = 0; s < SEGMENTS; s++) {
		size_t run = 0;
		for (size_t i = 0; i < m.seg[s].pages; i++) {
			run = m.owner[s][i] == 0 ? run + 1 : 0;
			if (run == pages)
				return m.seg[s].start + (i + 1 - pages) * PAGE;
		}
	}
	return 0;
}

static void set_owner(uintptr_t addr, size_t pages, int id)
{
	for (size_t i = 0; i < pages; i++) {
		int *o = owner_of(addr + i * PAGE);
		assert_non_null(o);
		assert_int_equal(*o == 0, id != 0); /* claim free pages, release owned */
		*o = id;
	}
}

static void alloc_pages(size_t n)
{
	uintptr_t addr;
	uintptr_t expect = n > 256 ? linear_first_run(n) : 0;
	int err = pmm_alloc_contiguous(n, &addr);
	if (n > 256) {
		assert_int_equal(err, expect ? PMM_OK : PMM_ERR_NO_MEMORY);
		if (expect)
			assert_int_equal(addr, expect);
	}
	if (err != PMM_OK)
		return;
	if (m.nr_live == MAX_LIVE) {
		assert_int_equal(pmm_free(addr, NULL), PMM_OK);
		return;
	}
	m.addr[m.nr_live] = addr;
	m.pages[m.nr_live] = n;
	m.id[m.nr_live] = ++m.next_id;
	set_owner(addr, n, m.next_id);
	m.nr_live++;
}

static void free_one(int i)
{
	size_t pages;
	assert_int_equal(pmm_free(m.addr[i], &pages), PMM_OK);
	assert_int_equal(pages, m.pages[i]);
	set_owner(m.addr[i], pages, 0);
	m.nr_live--;
	m.addr[i] = m.addr[m.nr_live];
	m.pages[i] = m.pages[m.nr_live];
	m.id[i] = m.id[m.nr_live];
}

/* Large requests of the lengths where the search changes its ways (one
 * or two partial chunks around a boundary, whole chunks between), each
 * compared with the linear search and given back. */
static void probe_runs(void)
{
	static const size_t lengths[] = { 257, 300, 383, 384, 385, 510, 511, 512, 513, 700, 1000, 2049 };
	for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
		uintptr_t expect = linear_first_run(lengths[k]), addr;
		int err = pmm_alloc_contiguous(lengths[k], &addr);
		assert_int_equal(err, expect ? PMM_OK : PMM_ERR_NO_MEMORY);
		if (err == PMM_OK) {
			assert_int_equal(addr, expect);
			assert_int_equal(pmm_free(addr, NULL), PMM_OK);
		}
	}
}

/* Every page leads to the block that holds it, as the walk tiles them,
 * and freeing a page that starts no allocation gives the error the page
 * map predicts. */
static void check_every_page(void)
{
	for (unsigned s = 0; s < SEGMENTS; s++) {
		size_t cursor = 0;
		struct pmm_block b, found;
		while (pmm_walk(s, &cursor, &b)) {
			for (size_t i = 0; i < b.pages; i++) {
				uintptr_t addr = b.addr + i * PAGE;
				assert_int_equal(pmm_find_block(addr, &found), PMM_OK);
				assert_int_equal(found.addr, b.addr);
				assert_int_equal(found.pages, b.pages);
				assert_int_equal(found.state, b.state);
				if (i == 0 && b.state == PMM_PAGE_ALLOCATED)
					continue;
				int expect = *owner_of(addr) == 0 ? PMM_ERR_NOT_ALLOCATED :
					     i == 0 ? PMM_ERR_SCATTERED : PMM_ERR_INTERIOR;
				assert_int_equal(pmm_free(addr, NULL), expect);
			}
		}
	}
}

/* Two segments whose edges cut chunks: the first starts 64 pages into a
 * chunk, the second ends 5 pages into one. */
static void add_segments(void)
{
	uintptr_t base = arena_new(40 * MIB);
	assert_int_equal(pmm_add_segment(base + 64 * PAGE, base + 24 * MIB), 0);
	assert_int_equal(pmm_add_segment(base + 25 * MIB + 3 * PAGE, base + 40 * MIB - 123 * PAGE),
			 1);
	for (int s = 0; s < SEGMENTS; s++) {
		pmm_segment_info((unsigned)s, &m.seg[s]);
		m.owner[s] = calloc(m.seg[s].pages, sizeof(int));
	}
	m.nr_live = 0;
}

static void remove_segments(void)
{
	while (m.nr_live > 0)
		free_one(m.nr_live - 1);
	assert_check_ok();
	assert_int_equal(pmm_free_page_count(), pmm_total_pages());
	for (int s = 0; s < SEGMENTS; s++)
		free(m.owner[s]);
}

static void test_runs_and_heads_against_models(void **state)
{
	(void)state;
	const char *seed = getenv("PAGODA_SEED");
	const char *ops_env = getenv("PAGODA_OPS");
	long ops = ops_env ? atol(ops_env) : 60000;
	m.rng = seed ? strtoull(seed, NULL, 0) : 0x2545f4914f6cdd1dull;
	if (m.rng == 0)
		m.rng = 1;
	printf("# seed 0x%llx, %ld operations\n", (unsigned long long)m.rng, ops);
	add_segments();

	size_t total = pmm_total_pages();
	for (long op = 0; op < ops; op++) {
		/* Occupancy swings between about 30% and 90%, so that memory
		 * is cut finely and long runs come and go. */
		size_t used = total - pmm_free_page_count();
		size_t target = total * (60 + 30 * ((op / 5000) % 2 ? 1 : -1)) / 100;
		if (used < target || m.nr_live == 0) {
			size_t pick = random_below(100);
			alloc_pages(pick < 60 ? 1 + random_below(8) :
				    pick < 85 ? 1 + random_below(256) : 257 + random_below(1200));
		} else {
			free_one((int)random_below((size_t)m.nr_live));
		}
		if (op % 500 == 0)
			probe_runs();
		if (op % 5000 == 0) {
			assert_check_ok();
			check_every_page();
		}
	}
	check_every_page();
	remove_segments();
}

/* A head link that lies (left over from an earlier allocation, written
 * over by a bad poke) never makes pmm_find_block answer wrongly: the head
 * it points to is checked. */
static void test_stale_links_are_harmless(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(4), a, b;
	struct pmm_segment_info info;
	struct pmm_block found;

	pmm_segment_info(0, &info);
	struct pmm_page *array = (struct pmm_page *)info.array_start;
	assert_int_equal(pmm_alloc_contiguous(700, &a), PMM_OK);
	assert_int_equal(a, start);
	assert_int_equal(pmm_free(a, NULL), PMM_OK);
	/* The old links stay in the now-free pages. A 3-page allocation
	 * takes the first 256-page block on its list and splits it: b, an
	 * order-7 free block at b + 128, ... */
	assert_int_equal(pmm_alloc_contiguous(3, &b), PMM_OK);
	size_t ib = (b - start) / PAGE;
	array[ib + 1].count = 1;             /* inside b, pointing at b: true anyway */
	array[ib + 2].count = (uint32_t)(ib + 77); /* pointing before the segment */
	array[ib + 130].count = 130;         /* inside the free block, pointing at b */
	assert_check_ok();
	assert_int_equal(pmm_find_block(b + 2 * PAGE, &found), PMM_OK);
	assert_int_equal(found.addr, b);
	assert_int_equal(found.pages, 3);
	assert_int_equal(pmm_find_block(b + 130 * PAGE, &found), PMM_OK);
	assert_int_equal(found.state, PMM_PAGE_FREE);
	assert_int_equal(found.addr, b + 128 * PAGE);
	assert_int_equal(found.pages, 128);
	assert_int_equal(pmm_free(b + 2 * PAGE, NULL), PMM_ERR_INTERIOR);
	assert_int_equal(pmm_free(b + 130 * PAGE, NULL), PMM_ERR_NOT_ALLOCATED);
}

struct kinds {
	unsigned seen; /* bit k: a violation of kind k was reported */
};

static void note_kind(const struct pmm_violation *v, void *ctx)
{
	((struct kinds *)ctx)->seen |= 1u << v->kind;
}

/* pmm_check() verifies the two new invariants: it must be able to fail. */
static void test_check_finds_bad_index_and_links(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(4), a;
	struct pmm_segment_info info;
	struct kinds k = { 0 };

	pmm_segment_info(0, &info);
	struct pmm_page *array = (struct pmm_page *)info.array_start;
	/* The free-chunk bitmap follows the descriptors. */
	uint64_t *chunks = (uint64_t *)(array + info.pages);
	assert_int_equal(chunks[0], 0xff); /* 4 MiB: 8 free chunks */

	chunks[0] &= ~(uint64_t)4;
	assert_true(pmm_check(note_kind, &k) > 0);
	assert_true(k.seen & (1u << PMM_BAD_INDEX));
	chunks[0] |= 4;
	assert_check_ok();
	chunks[0] |= (uint64_t)1 << 9; /* past the last chunk */
	k.seen = 0;
	assert_true(pmm_check(note_kind, &k) > 0);
	assert_true(k.seen & (1u << PMM_BAD_INDEX));
	chunks[0] &= ~((uint64_t)1 << 9);
	assert_check_ok();

	/* 300 pages: pieces at 0 (256 pages), 256 (32), 288 (8), 296 (4). */
	assert_int_equal(pmm_alloc_contiguous(300, &a), PMM_OK);
	assert_int_equal(a, start);
	assert_int_equal(chunks[0], 0xf8); /* chunks 0-2 in use (the 3rd in part) */
	assert_int_equal(array[256].count, 256);
	assert_int_equal(array[288].count, 288);
	assert_int_equal(array[296].count, 296);
	array[288].count = 5;
	k.seen = 0;
	assert_true(pmm_check(note_kind, &k) > 0);
	assert_true(k.seen & (1u << PMM_BAD_LINK));
	array[288].count = 288;
	assert_check_ok();
	assert_int_equal(pmm_free(a, NULL), PMM_OK);
	assert_int_equal(chunks[0], 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_runs_and_heads_against_models, arena_teardown),
		cmocka_unit_test_teardown(test_stale_links_are_harmless, arena_teardown),
		cmocka_unit_test_teardown(test_check_finds_bad_index_and_links, arena_teardown),
	};
	return cmocka_run_group_tests_name("pmm_index", tests, NULL, NULL);
}
