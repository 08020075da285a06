/*
 * The page manager's error paths: every refused request changes nothing,
 * and the invariant checker notices corruption. ASan + UBSan.
 */
#include "fixture.h"

static void test_segment_errors(void **state)
{
	(void)state;
	uintptr_t base = arena_new(4 * MIB);
	assert_int_equal(pmm_add_segment(base, base + PAGE), PMM_ERR_TOO_SMALL);
	assert_int_equal(pmm_add_segment(base + 10, base + PAGE + 20), PMM_ERR_TOO_SMALL);
	assert_int_equal(pmm_add_segment(base + PAGE, base), PMM_ERR_TOO_SMALL);
	assert_int_equal(pmm_add_segment(base, base + MIB), 0);
	assert_int_equal(pmm_add_segment(base + MIB / 2, base + 2 * MIB), PMM_ERR_OVERLAP);
	assert_int_equal(pmm_add_segment(base, base + 2), PMM_ERR_TOO_SMALL);
	assert_int_equal(pmm_add_segment(base + MIB, base + 2 * MIB), 1);
	assert_int_equal(pmm_segment_count(), 2);
	for (unsigned i = 2; i < PMM_MAX_SEGMENTS; i++)
		assert_int_equal(pmm_add_segment(base + 2 * MIB + i * 16 * PAGE,
						 base + 2 * MIB + (i + 1) * 16 * PAGE),
				 (int)i);
	assert_int_equal(pmm_add_segment(base + 3 * MIB, base + 4 * MIB), PMM_ERR_TOO_MANY);
	assert_check_ok();
}

static void test_bad_set_changes_nothing(void **state)
{
	(void)state;
	aligned_segment(1);
	struct pmm_set set;
	struct snapshot before;
	assert_int_equal(pmm_alloc_scattered(4, &set), PMM_OK);
	take_snapshot(&before);
	set.count = 3; /* lies about its length */
	assert_int_equal(pmm_free_scattered(&set, NULL), PMM_ERR_BAD_SET);
	assert_unchanged(&before);
	set.count = 5;
	assert_int_equal(pmm_free_scattered(&set, NULL), PMM_ERR_BAD_SET);
	assert_unchanged(&before);
	set.count = 4;
	size_t freed;
	assert_int_equal(pmm_free_scattered(&set, &freed), PMM_OK);
	assert_int_equal(freed, 4);
	/* The set is empty now: freeing it again frees nothing. */
	assert_int_equal(pmm_free_scattered(&set, &freed), PMM_OK);
	assert_int_equal(freed, 0);
	assert_check_ok();
}

static void test_free_errors_change_nothing(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(1);
	uintptr_t three, one;
	struct snapshot before;
	struct pmm_segment_info info;

	assert_int_equal(pmm_alloc_contiguous(3, &three), PMM_OK);
	assert_int_equal(three, start);
	/* The freed tail heads the order-0 list, so it is the next page. */
	assert_int_equal(pmm_alloc_page(&one), PMM_OK);
	assert_int_equal(one, three + 3 * PAGE);
	pmm_segment_info(0, &info);
	take_snapshot(&before);

	assert_int_equal(pmm_free(three + PAGE, NULL), PMM_ERR_INTERIOR);
	assert_int_equal(pmm_free(three + 2 * PAGE, NULL), PMM_ERR_INTERIOR);
	assert_int_equal(pmm_free(three + 1, NULL), PMM_ERR_UNALIGNED);
	assert_int_equal(pmm_free(three + 5 * PAGE, NULL), PMM_ERR_NOT_ALLOCATED);
	assert_int_equal(pmm_free(info.end - PAGE, NULL), PMM_ERR_NOT_ALLOCATED);
	assert_int_equal(pmm_free(info.end, NULL), PMM_ERR_OUTSIDE);
	assert_int_equal(pmm_free(start - PAGE, NULL), PMM_ERR_OUTSIDE); /* page array */
	assert_int_equal(pmm_free(0, NULL), PMM_ERR_OUTSIDE);
	assert_int_equal(pmm_free(UINTPTR_MAX & ~(PAGE - 1), NULL), PMM_ERR_OUTSIDE);
	assert_int_equal(pmm_free_page(three), PMM_ERR_NOT_SINGLE);
	assert_unchanged(&before);
	assert_check_ok();

	assert_int_equal(pmm_free_page(one), PMM_OK);
	assert_int_equal(pmm_free_page(one), PMM_ERR_NOT_ALLOCATED); /* double free */
	assert_int_equal(pmm_free(three, NULL), PMM_OK);
	take_snapshot(&before);
	assert_int_equal(pmm_free(three, NULL), PMM_ERR_NOT_ALLOCATED);
	assert_unchanged(&before);
	assert_check_ok();
}

static void test_out_of_memory_changes_nothing(void **state)
{
	(void)state;
	aligned_segment(1);
	uintptr_t addr;
	struct snapshot before;
	/* Leave 255 free pages in blocks of order < 8. */
	assert_int_equal(pmm_alloc_page(&addr), PMM_OK);
	take_snapshot(&before);
	assert_int_equal(pmm_alloc_contiguous(256, &addr), PMM_ERR_NO_MEMORY);
	assert_int_equal(pmm_alloc_contiguous(129, &addr), PMM_ERR_NO_MEMORY);
	assert_int_equal(pmm_alloc_contiguous(1000, &addr), PMM_ERR_NO_MEMORY);
	assert_int_equal(pmm_alloc_contiguous((size_t)1 << 33, &addr), PMM_ERR_INVALID);
	assert_unchanged(&before);
	assert_int_equal(pmm_alloc_contiguous(128, &addr), PMM_OK);
	assert_check_ok();
}

struct violations {
	int count;
	unsigned seen; /* bit k set: a violation of kind k was reported */
};

static void count_violation(const struct pmm_violation *v, void *ctx)
{
	struct violations *c = ctx;
	c->count++;
	c->seen |= 1u << v->kind;
	assert_non_null(pmm_violation_text(v->kind));
}

/* The checker itself must be able to fail. */
static void test_checker_finds_corruption(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(1);
	struct pmm_page *array;
	struct pmm_segment_info info;
	struct violations v = { 0, 0 };

	uintptr_t addr;

	pmm_segment_info(0, &info);
	assert_int_equal(info.start, start);
	array = (struct pmm_page *)info.array_start;
	assert_int_equal(pmm_alloc_contiguous(3, &addr), PMM_OK);
	size_t index = (addr - info.start) / PAGE;

	/* An interior page marked as a head. */
	array[index + 1].state = PMM_PAGE_ALLOCATED;
	array[index + 1].count = 1;
	assert_true(pmm_check(count_violation, &v) > 0);
	assert_true(v.seen & (1u << PMM_BAD_INTERIOR));
	array[index + 1].state = PMM_PAGE_INSIDE;
	array[index + 1].count = 0;
	assert_check_ok();

	/* A length that runs off the segment. */
	array[index].count = 1000;
	v.count = 0;
	assert_true(pmm_check(count_violation, &v) > 0);
	assert_true(v.seen & (1u << PMM_BAD_TILING));
	array[index].count = 3;
	assert_check_ok();

	/* A free head whose order is wrong for its list. */
	size_t tail = index + 3; /* the freed tail: an order-0 block */
	assert_int_equal(array[tail].state, PMM_PAGE_FREE);
	array[tail].order = 1;
	v.count = 0;
	assert_true(pmm_check(count_violation, &v) > 0);
	assert_true(v.seen & (1u << PMM_LIST_MISMATCH));
	array[tail].order = 0;
	assert_check_ok();

	/* An unknown state. */
	array[index].state = 77;
	v.count = 0;
	assert_true(pmm_check(count_violation, &v) > 0);
	assert_true(v.seen & (1u << PMM_BAD_STATE));
	array[index].state = PMM_PAGE_ALLOCATED;
	assert_check_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_segment_errors, arena_teardown),
		cmocka_unit_test_teardown(test_bad_set_changes_nothing, arena_teardown),
		cmocka_unit_test_teardown(test_free_errors_change_nothing, arena_teardown),
		cmocka_unit_test_teardown(test_out_of_memory_changes_nothing, arena_teardown),
		cmocka_unit_test_teardown(test_checker_finds_corruption, arena_teardown),
	};
	return cmocka_run_group_tests_name("pmm_errors", tests, NULL, NULL);
}
