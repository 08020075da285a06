/*
 * Page poisoning (os/mm/pmm_poison.c) on the host: a write to a freed page
 * is caught when the page would be handed out again, the page is
 * quarantined and reported, the allocation is served from other pages, and
 * honest use never raises a false alarm.
 */
#include "fixture.h"

static int poison_setup(void **state)
{
	(void)state;
	return 0;
}

static int poison_teardown(void **state)
{
	pmm_set_poison(0);
	struct pmm_poison_report r;
	while (pmm_poison_take_report(&r))
		;
	return arena_teardown(state);
}

static void test_write_after_free_is_caught_and_quarantined(void **state)
{
	(void)state;
	aligned_segment(4);
	assert_int_equal(pmm_set_poison(1), PMM_OK);
	uintptr_t a, b;
	struct pmm_poison_report r;
	assert_int_equal(pmm_alloc_page(&a), PMM_OK);
	assert_int_equal(pmm_free(a, NULL), PMM_OK);
	assert_int_equal(*(uint8_t *)(a + 100), PMM_POISON_BYTE);
	*(uint8_t *)(a + 0x123) = 0; /* the bug: a write after free */
	size_t free0 = pmm_free_page_count();
	assert_false(pmm_poison_take_report(&r));

	/* By the policy, a is the next page handed out: it is caught instead. */
	assert_int_equal(pmm_alloc_page(&b), PMM_OK);
	assert_int_not_equal(b, a);
	assert_true(pmm_poison_take_report(&r));
	assert_int_equal(r.page, a);
	assert_int_equal(r.offset, 0x123);
	assert_false(pmm_poison_take_report(&r));
	assert_int_equal(pmm_free_page_count(), free0 - 2); /* b, and a in quarantine */

	struct pmm_block block;
	assert_int_equal(pmm_allocation_at(a, &block), PMM_OK);
	assert_int_equal(block.holder, PMM_HOLDER_QUARANTINE);
	assert_int_equal(pmm_free(a, NULL), PMM_ERR_HELD);
	assert_check_ok();
	/* Never handed out again, however much is allocated. */
	struct pmm_set set;
	assert_int_equal(pmm_alloc_scattered(pmm_free_page_count(), &set), PMM_OK);
	for (struct list_node *n = set.pages.next; n != &set.pages; n = n->next)
		assert_int_not_equal(pmm_set_address(n), a);
	assert_int_equal(pmm_free_scattered(&set, NULL), PMM_OK);
	assert_check_ok();
}

/* The large-run path checks the blocks it strings together too. */
static void test_large_runs_are_checked(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(4);
	assert_int_equal(pmm_set_poison(1), PMM_OK);
	uintptr_t run;
	struct pmm_poison_report r;
	*(uint64_t *)(start + 5 * PAGE + 8) = 42;
	assert_int_equal(pmm_alloc_contiguous(300, &run), PMM_OK);
	assert_true(pmm_poison_take_report(&r));
	assert_int_equal(r.page, start + 5 * PAGE);
	assert_int_equal(r.offset, 8);
	assert_true(run > start + 5 * PAGE); /* the lowest run avoiding the page */
	assert_check_ok();
	assert_int_equal(pmm_free(run, NULL), PMM_OK);
	assert_check_ok();
}

/* Honest use with poisoning on: no report, every invariant kept, and pages
 * from a merged block that was only partly poisoned are not checked. */
static void test_no_false_alarms(void **state)
{
	(void)state;
	aligned_segment(8);
	uintptr_t held[64] = { 0 };
	size_t sizes[64] = { 0 };
	uint64_t rng = 5;
	struct pmm_poison_report r;
	for (int op = 0; op < 20000; op++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		if (op == 5000)
			assert_int_equal(pmm_set_poison(1), PMM_OK);
		if (op == 12000)
			pmm_set_poison(0);
		if (op == 15000)
			assert_int_equal(pmm_set_poison(1), PMM_OK);
		size_t slot = (rng >> 33) % 64;
		if (held[slot]) {
			memset((void *)held[slot], 0xa5, sizes[slot] * PAGE); /* use it */
			assert_int_equal(pmm_free(held[slot], NULL), PMM_OK);
			held[slot] = 0;
		} else {
			sizes[slot] = 1 + (rng >> 45) % 300;
			if (pmm_alloc_contiguous(sizes[slot], &held[slot]) != PMM_OK)
				held[slot] = 0;
		}
		assert_false(pmm_poison_take_report(&r));
	}
	assert_check_ok();
}

/* Off means off: marks are forgotten, and nothing is checked. On again
 * fills every free page anew, so a page written while off is not blamed. */
static void test_off_forgets_and_on_refills(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(2);
	struct pmm_poison_report r;
	size_t quarantined = pmm_poison_quarantined();
	assert_int_equal(pmm_set_poison(1), PMM_OK);
	pmm_set_poison(0);
	*(uint64_t *)(start + 3 * PAGE) = 1;
	struct pmm_set set;
	assert_int_equal(pmm_alloc_scattered(pmm_free_page_count(), &set), PMM_OK);
	assert_false(pmm_poison_take_report(&r));
	assert_int_equal(pmm_free_scattered(&set, NULL), PMM_OK);
	*(uint64_t *)(start + 3 * PAGE) = 1;
	assert_int_equal(pmm_set_poison(1), PMM_OK);
	assert_int_equal(pmm_alloc_scattered(pmm_free_page_count(), &set), PMM_OK);
	assert_false(pmm_poison_take_report(&r));
	assert_int_equal(pmm_free_scattered(&set, NULL), PMM_OK);
	assert_int_equal(pmm_poison_quarantined(), quarantined);
	assert_check_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_after_free_is_caught_and_quarantined,
						poison_setup, poison_teardown),
		cmocka_unit_test_setup_teardown(test_large_runs_are_checked, poison_setup,
						poison_teardown),
		cmocka_unit_test_setup_teardown(test_no_false_alarms, poison_setup, poison_teardown),
		cmocka_unit_test_setup_teardown(test_off_forgets_and_on_refills, poison_setup,
						poison_teardown),
	};
	return cmocka_run_group_tests_name("pmm_poison", tests, NULL, NULL);
}
