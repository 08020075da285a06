/*
 * Unit tests of the allocator objects, the allocator tree and kmalloc, on
 * the host over the same page manager, with ASan + UBSan.
 */
#include "fixture.h"
#include "memm.h"

static void setup_memory(void)
{
	uintptr_t base = arena_new(8 * MIB);
	assert_int_equal(pmm_add_segment(base, base + 8 * MIB), 0);
}

static void test_sizes_pick_types(void **state)
{
	(void)state;
	setup_memory();
	size_t before = pmm_free_page_count();
	void *small, *large;
	assert_int_equal(kmalloc(24, &small), MEMM_OK);
	assert_int_equal(kmalloc(5000, &large), MEMM_OK);
	assert_int_equal(((uintptr_t)small | (uintptr_t)large) % 16, 0);
	assert_non_null(memm_root());
	/* The header right before each block names its allocator. */
	const struct memm_header *hs = (const struct memm_header *)small - 1;
	const struct memm_header *hl = (const struct memm_header *)large - 1;
	assert_int_equal(hs->owner->type, MEMM_SLAB);
	assert_int_equal(hs->owner->object_size, 64);
	assert_int_equal(hl->owner->type, MEMM_FIRST_FIT);
	assert_int_equal(hs->bytes, 24);
	assert_int_equal(hl->bytes, 5000);
	assert_int_equal(memm_check(), 0);
	memset(small, 0xab, 24);
	memset(large, 0xcd, 5000);
	size_t bytes;
	assert_int_equal(kfree(small, &bytes), MEMM_OK);
	assert_int_equal(bytes, 24);
	assert_int_equal(kfree(large, &bytes), MEMM_OK);
	assert_int_equal(bytes, 5000);
	assert_null(memm_root());
	assert_int_equal(pmm_free_page_count(), before);
	assert_int_equal(pmm_check(NULL, NULL), 0);
}

static void test_bad_frees_change_nothing(void **state)
{
	(void)state;
	setup_memory();
	void *a, *b;
	int local;
	assert_int_equal(kmalloc(100, &a), MEMM_OK);
	assert_int_equal(kmalloc(3000, &b), MEMM_OK);
	size_t free_before = pmm_free_page_count();
	assert_int_equal(kfree(&local, NULL), MEMM_ERR_NOT_OURS);
	assert_int_equal(kfree(NULL, NULL), MEMM_ERR_NOT_OURS);
	assert_int_equal(kfree((char *)a + 16, NULL), MEMM_ERR_NOT_BLOCK);
	assert_int_equal(kfree((char *)a + 1, NULL), MEMM_ERR_NOT_BLOCK);
	assert_int_equal(kfree((char *)b + 32, NULL), MEMM_ERR_NOT_BLOCK);
	const struct allocator *owner = ((const struct memm_header *)a - 1)->owner;
	assert_int_equal(kfree((void *)owner, NULL), MEMM_ERR_NOT_BLOCK);
	assert_int_equal(memm_check(), 0);
	assert_int_equal(pmm_free_page_count(), free_before);
	/* A second block keeps the allocator alive; then double free. */
	void *c;
	assert_int_equal(kmalloc(100, &c), MEMM_OK);
	assert_int_equal(kfree(a, NULL), MEMM_OK);
	assert_int_equal(kfree(a, NULL), MEMM_ERR_FREE);
	assert_int_equal(kfree(c, NULL), MEMM_OK);
	assert_int_equal(kfree(c, NULL), MEMM_ERR_NOT_OURS); /* allocator destroyed */
	assert_int_equal(kfree(b, NULL), MEMM_OK);
	assert_int_equal(kmalloc(0, &a), MEMM_ERR_SIZE);
	assert_int_equal(kmalloc(MEMM_MAX_BYTES + 1, &a), MEMM_ERR_SIZE);
	assert_null(memm_root());
}

static void test_pids_get_their_own_allocators(void **state)
{
	(void)state;
	setup_memory();
	void *k, *p;
	assert_int_equal(kmalloc(40, &k), MEMM_OK);
	assert_int_equal(kmalloc_pid(40, 7, &p), MEMM_OK);
	const struct allocator *ak = ((const struct memm_header *)k - 1)->owner;
	const struct allocator *ap = ((const struct memm_header *)p - 1)->owner;
	assert_ptr_not_equal(ak, ap);
	assert_int_equal(ak->pid, 0);
	assert_int_equal(ap->pid, 7);
	assert_int_equal(kfree(k, NULL), MEMM_OK);
	assert_int_equal(kfree(p, NULL), MEMM_OK);
}

struct walk {
	uintptr_t last;
	int count;
};

static void in_order(const struct allocator *a, void *ctx)
{
	struct walk *w = ctx;
	assert_true((uintptr_t)a > w->last);
	w->last = (uintptr_t)a;
	w->count++;
}

/* Many sizes, freed in a scrambled order: the tree stays ordered, every
 * allocator's books balance, and everything goes back to the pmm. */
static void test_random_sizes_return_everything(void **state)
{
	(void)state;
	setup_memory();
	size_t before = pmm_free_page_count();
	enum { N = 600 };
	static void *blocks[N];
	static size_t sizes[N];
	uint64_t rng = 12345;
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < N; i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			sizes[i] = 1 + (size_t)((rng >> 33) % (i % 10 == 0 ? 20000 : 600));
			assert_int_equal(kmalloc_pid(sizes[i], (unsigned)(i % 3), &blocks[i]), MEMM_OK);
			memset(blocks[i], i & 0xff, sizes[i]);
		}
		assert_int_equal(memm_check(), 0);
		struct walk w = { 0, 0 };
		memm_for_each(in_order, &w);
		assert_true(w.count > 3);
		for (int i = 0; i < N; i++) {
			int j = (int)((i * 7919 + round) % N);
			unsigned char *b = blocks[j];
			for (size_t k = 0; k < sizes[j]; k++)
				assert_int_equal(b[k], j & 0xff); /* nobody overwrote it */
			size_t bytes;
			assert_int_equal(kfree(blocks[j], &bytes), MEMM_OK);
			assert_int_equal(bytes, sizes[j]);
			if (i % 50 == 0)
				assert_int_equal(memm_check(), 0);
		}
		assert_null(memm_root());
		assert_int_equal(pmm_free_page_count(), before);
	}
	assert_int_equal(pmm_check(NULL, NULL), 0);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	uintptr_t base = arena_new(MIB);
	assert_int_equal(pmm_add_segment(base, base + 64 * PAGE), 0);
	void *p;
	assert_int_equal(kmalloc(1 << 20, &p), MEMM_ERR_NO_MEMORY);
	assert_null(memm_root());
	assert_int_equal(pmm_free_page_count(), pmm_total_pages());
}

/* Thousands of allocators in rising address order make the tree a long
 * chain; nothing may recurse down it. */
static void test_long_chain(void **state)
{
	(void)state;
	setup_memory();
	enum { N = 1500 };
	static void *blocks[N];
	for (int i = 0; i < N; i++)
		assert_int_equal(kmalloc(2000, &blocks[i]), MEMM_OK);
	assert_int_equal(memm_check(), 0);
	struct walk w = { 0, 0 };
	memm_for_each(in_order, &w);
	assert_int_equal(w.count, N);
	/* Remove from the middle, the ends, every other one: links stay right. */
	for (int i = 0; i < N; i += 2)
		assert_int_equal(kfree(blocks[(i * 7) % N], NULL), MEMM_OK);
	assert_int_equal(memm_check(), 0);
	for (int i = 0; i < N; i++)
		kfree(blocks[i], NULL);
	assert_null(memm_root());
}

/* The checker notices broken books. */
static void test_check_finds_corruption(void **state)
{
	(void)state;
	setup_memory();
	void *p;
	assert_int_equal(kmalloc(64, &p), MEMM_OK);
	struct allocator *a = ((struct memm_header *)p - 1)->owner;
	a->used += 8;
	assert_true(memm_check() > 0);
	a->used -= 8;
	assert_int_equal(memm_check(), 0);
	assert_int_equal(kfree(p, NULL), MEMM_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sizes_pick_types, arena_teardown),
		cmocka_unit_test_teardown(test_bad_frees_change_nothing, arena_teardown),
		cmocka_unit_test_teardown(test_pids_get_their_own_allocators, arena_teardown),
		cmocka_unit_test_teardown(test_random_sizes_return_everything, arena_teardown),
		cmocka_unit_test_teardown(test_out_of_memory, arena_teardown),
		cmocka_unit_test_teardown(test_long_chain, arena_teardown),
		cmocka_unit_test_teardown(test_check_finds_corruption, arena_teardown),
	};
	return cmocka_run_group_tests_name("memm", tests, NULL, NULL);
}
