/*
 * Unit tests of the page manager's documented policies and error paths,
 * built with ASan + UBSan against the same sources as the kernels.
 */
#include "fixture.h"

static void test_order_of(void **state)
{
	(void)state;
	assert_int_equal(pmm_order_of(1), 0);
	assert_int_equal(pmm_order_of(2), 1);
	assert_int_equal(pmm_order_of(3), 2);
	assert_int_equal(pmm_order_of(4), 2);
	assert_int_equal(pmm_order_of(5), 3);
	assert_int_equal(pmm_order_of(255), 8);
	assert_int_equal(pmm_order_of(256), 8);
	assert_int_equal(pmm_order_of(257), 9);
	assert_int_equal(pmm_order_of((size_t)1 << 40), 40);
	assert_int_equal(pmm_order_of(((size_t)1 << 40) + 1), 41);
}

static void test_page_descriptor_is_small(void **state)
{
	(void)state;
	assert_true(sizeof(struct pmm_page) <= 32);
}

static void test_fresh_segment(void **state)
{
	(void)state;
	uintptr_t base = arena_new(4 * MIB);
	/* Start 5 pages into the buffer: the segment is not aligned. */
	int seg = pmm_add_segment(base + 5 * PAGE, base + 4 * MIB - 3 * PAGE);
	assert_int_equal(seg, 0);
	struct pmm_segment_info info;
	pmm_segment_info(0, &info);
	size_t raw = (4 * MIB - 8 * PAGE) / PAGE;
	assert_int_equal(info.pages + info.array_pages, raw);
	/* The page array is as small as it can be. */
	assert_true(info.array_pages * PAGE >= info.pages * sizeof(struct pmm_page));
	assert_true((info.array_pages - 1) * PAGE < info.pages * sizeof(struct pmm_page));
	assert_int_equal(info.free_pages, info.pages);
	assert_int_equal(pmm_total_pages(), info.pages);
	assert_int_equal(pmm_free_page_count(), info.pages);
	size_t sum = 0;
	for (unsigned o = 0; o < PMM_NR_ORDERS; o++)
		sum += info.free_blocks[o] << o;
	assert_int_equal(sum, info.pages);
	assert_check_ok();
}

static void test_exact_length(void **state)
{
	(void)state;
	aligned_segment(2);
	for (size_t n = 1; n <= 256; n++) {
		uintptr_t addr;
		size_t before = pmm_free_page_count(), freed;
		assert_int_equal(pmm_alloc_contiguous(n, &addr), PMM_OK);
		assert_int_equal(pmm_free_page_count(), before - n);
		/* Aligned to the size of the smallest block that holds n. */
		assert_int_equal((addr / PAGE) % ((size_t)1 << pmm_order_of(n)), 0);
		/* The page after the allocation is free again (the tail). */
		struct pmm_block b;
		if (n < ((size_t)1 << pmm_order_of(n))) {
			assert_int_equal(pmm_find_block(addr + n * PAGE, &b), PMM_OK);
			assert_int_equal(b.state, PMM_PAGE_FREE);
		}
		assert_int_equal(pmm_find_block(addr + (n - 1) * PAGE, &b), PMM_OK);
		assert_int_equal(b.state, PMM_PAGE_ALLOCATED);
		assert_int_equal(b.addr, addr);
		assert_int_equal(b.pages, n);
		assert_check_ok();
		assert_int_equal(pmm_free(addr, &freed), PMM_OK);
		assert_int_equal(freed, n);
		assert_int_equal(pmm_free_page_count(), before);
		assert_check_ok();
	}
}

static void test_split_order(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(1);
	struct pmm_segment_info info;
	uintptr_t addr;

	/* One order-8 block and nothing else. */
	pmm_segment_info(0, &info);
	assert_int_equal(info.free_blocks[PMM_MAX_ORDER], 1);
	assert_int_equal(info.pages, 256);

	/* One page splits it all the way down: one free block of each lower
	 * order, the upper halves, and the page is the lowest. */
	assert_int_equal(pmm_alloc_page(&addr), PMM_OK);
	assert_int_equal(addr, start);
	pmm_segment_info(0, &info);
	for (unsigned o = 0; o < PMM_MAX_ORDER; o++)
		assert_int_equal(info.free_blocks[o], 1);
	assert_int_equal(info.free_blocks[PMM_MAX_ORDER], 0);

	/* 3 pages: smallest sufficient block is order 2 at start + 4 pages;
	 * its last page returns to order 0. */
	uintptr_t three;
	assert_int_equal(pmm_alloc_contiguous(3, &three), PMM_OK);
	assert_int_equal(three, start + 4 * PAGE);
	pmm_segment_info(0, &info);
	assert_int_equal(info.free_blocks[0], 2);
	assert_int_equal(info.free_blocks[2], 0);
	assert_int_equal(info.free_pages, 256 - 4);

	/* Freeing both merges everything back into one order-8 block. */
	assert_int_equal(pmm_free(addr, NULL), PMM_OK);
	assert_int_equal(pmm_free(three, NULL), PMM_OK);
	pmm_segment_info(0, &info);
	assert_int_equal(info.free_blocks[PMM_MAX_ORDER], 1);
	assert_int_equal(info.free_pages, 256);
	assert_check_ok();
}

static void test_freed_block_is_reused_first(void **state)
{
	(void)state;
	aligned_segment(2);
	uintptr_t a, b, c;
	assert_int_equal(pmm_alloc_contiguous(4, &a), PMM_OK);
	assert_int_equal(pmm_alloc_contiguous(4, &b), PMM_OK);
	assert_int_equal(pmm_alloc_contiguous(4, &c), PMM_OK);
	/* b's buddy (a or c) is busy, so b stays an order-2 block and goes
	 * to the front of its list: the next 3-page request gets it. */
	assert_int_equal(pmm_free(b, NULL), PMM_OK);
	uintptr_t again;
	assert_int_equal(pmm_alloc_contiguous(3, &again), PMM_OK);
	assert_int_equal(again, b);
	assert_check_ok();
}

static void test_large_run_anywhere(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(3);
	uintptr_t first, big;
	/* Break the first 1 MiB block: no 1 MiB-aligned head starts the run. */
	assert_int_equal(pmm_alloc_page(&first), PMM_OK);
	assert_int_equal(first, start);
	size_t before = pmm_free_page_count();
	assert_int_equal(pmm_alloc_contiguous(3 * 256 - 1, &big), PMM_OK);
	assert_int_equal(big, start + PAGE);
	assert_int_equal(pmm_free_page_count(), before - (3 * 256 - 1));
	assert_int_equal(pmm_free_page_count(), 0);
	assert_check_ok();
	size_t freed;
	assert_int_equal(pmm_free(big, &freed), PMM_OK);
	assert_int_equal(freed, 3 * 256 - 1);
	assert_int_equal(pmm_free(first, NULL), PMM_OK);
	struct pmm_segment_info info;
	pmm_segment_info(0, &info);
	assert_int_equal(info.free_blocks[PMM_MAX_ORDER], 3);
	assert_check_ok();
}

static void test_large_needs_one_run(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(2);
	uintptr_t first_mib, pin, addr;
	struct snapshot before;

	/* Pin the first page of the second MiB: the free runs are then
	 * 256 pages before it and 255 after it, neither long enough. */
	assert_int_equal(pmm_alloc_contiguous(256, &first_mib), PMM_OK);
	assert_int_equal(first_mib, start);
	assert_int_equal(pmm_alloc_page(&pin), PMM_OK);
	assert_int_equal(pin, start + MIB);
	assert_int_equal(pmm_free(first_mib, NULL), PMM_OK);
	take_snapshot(&before);
	assert_int_equal(pmm_alloc_contiguous(300, &addr), PMM_ERR_NO_MEMORY);
	assert_int_equal(pmm_alloc_contiguous(257, &addr), PMM_ERR_NO_MEMORY);
	assert_int_equal(pmm_alloc_contiguous(0, &addr), PMM_ERR_INVALID);
	assert_unchanged(&before);
	assert_int_equal(pmm_alloc_contiguous(256, &addr), PMM_OK);
	assert_int_equal(addr, start);
	assert_check_ok();
}

static void test_more_than_16_bits_of_pages(void **state)
{
	(void)state;
	uintptr_t base = arena_new(300 * MIB);
	assert_int_equal(pmm_add_segment(base, base + 300 * MIB), 0);
	size_t total = pmm_total_pages();
	assert_true(total > 70000);
	uintptr_t addr;
	size_t freed;
	assert_int_equal(pmm_alloc_contiguous(70000, &addr), PMM_OK);
	assert_int_equal(pmm_free_page_count(), total - 70000);
	assert_check_ok();
	assert_int_equal(pmm_free(addr, &freed), PMM_OK);
	assert_int_equal(freed, 70000);
	assert_int_equal(pmm_free_page_count(), total);
	assert_check_ok();
}

static void test_scattered_all_or_nothing(void **state)
{
	(void)state;
	aligned_segment(1);
	struct pmm_set set, again;
	struct snapshot before;
	uintptr_t blocker;

	assert_int_equal(pmm_alloc_contiguous(6, &blocker), PMM_OK);
	take_snapshot(&before);
	size_t free = pmm_free_page_count();
	assert_int_equal(pmm_alloc_scattered(free + 1, &set), PMM_ERR_NO_MEMORY);
	assert_unchanged(&before);
	assert_int_equal(pmm_alloc_scattered(0, &set), PMM_ERR_INVALID);
	assert_unchanged(&before);

	assert_int_equal(pmm_alloc_scattered(free, &set), PMM_OK);
	assert_int_equal(set.count, free);
	assert_int_equal(pmm_free_page_count(), 0);
	assert_check_ok();
	/* Every page distinct, each a scattered page of its own. */
	size_t seen = 0;
	for (struct list_node *n = set.pages.next; n != &set.pages; n = n->next) {
		struct pmm_block b;
		uintptr_t a = pmm_set_address(n);
		assert_int_equal(pmm_find_block(a, &b), PMM_OK);
		assert_int_equal(b.state, PMM_PAGE_SCATTERED);
		assert_int_equal(b.pages, 1);
		/* A scattered page cannot be freed on its own. */
		assert_int_equal(pmm_free(a, NULL), PMM_ERR_SCATTERED);
		assert_int_equal(pmm_free_page(a), PMM_ERR_SCATTERED);
		seen++;
	}
	assert_int_equal(seen, free);
	assert_int_equal(pmm_alloc_scattered(1, &again), PMM_ERR_NO_MEMORY);

	size_t freed;
	assert_int_equal(pmm_free_scattered(&set, &freed), PMM_OK);
	assert_int_equal(freed, free);
	assert_unchanged(&before);
	assert_check_ok();
}

static void test_segments_in_order(void **state)
{
	(void)state;
	uintptr_t base = arena_new(4 * MIB);
	/* seg0: small, seg1: large. Order-0 requests come from seg0 first. */
	assert_int_equal(pmm_add_segment(base + 3 * MIB, base + 3 * MIB + 8 * PAGE), 0);
	assert_int_equal(pmm_add_segment(base, base + 2 * MIB), 1);
	struct pmm_segment_info s0;
	pmm_segment_info(0, &s0);
	uintptr_t addr;
	assert_int_equal(pmm_alloc_page(&addr), PMM_OK);
	assert_true(addr >= s0.start && addr < s0.end);
	/* 64 pages: seg0 has no order-6 block, seg1 does. */
	assert_int_equal(pmm_alloc_contiguous(64, &addr), PMM_OK);
	assert_true(addr >= base && addr < base + 2 * MIB);
	assert_check_ok();
}

struct tree_check {
	uintptr_t next_leaf; /* leaves must tile the segment in order */
	int nodes;
	int splits;
};

static void check_tree_node(const struct pmm_tree_node *n, void *ctx)
{
	struct tree_check *t = ctx;
	assert_int_equal(n->id, t->nodes);
	assert_true(n->parent < n->id);
	assert_int_equal((n->addr / PAGE) % ((uintptr_t)1 << n->order), 0);
	t->nodes++;
	if (n->state == PMM_PAGE_INSIDE) {
		t->splits++;
		return;
	}
	assert_int_equal(n->addr, t->next_leaf);
	struct pmm_block b;
	assert_int_equal(pmm_find_block(n->addr, &b), PMM_OK);
	assert_int_equal(b.state, n->state);
	assert_int_equal(b.addr, n->block.addr);
	t->next_leaf = n->addr + (PAGE << n->order);
}

static void test_buddy_tree_covers_segment(void **state)
{
	(void)state;
	uintptr_t start = aligned_segment(2);
	struct tree_check t = { start, 0, 0 };
	uintptr_t three;
	struct pmm_set set;

	pmm_tree_walk(0, check_tree_node, &t);
	assert_int_equal(t.nodes, 2);
	assert_int_equal(t.splits, 0);

	/* 3 pages at start: order 8 -> ... -> order 2 split into an order-1
	 * allocated leaf, an order-0 allocated leaf and an order-0 free leaf. */
	assert_int_equal(pmm_alloc_contiguous(3, &three), PMM_OK);
	assert_int_equal(pmm_alloc_scattered(2, &set), PMM_OK);
	t = (struct tree_check){ start, 0, 0 };
	pmm_tree_walk(0, check_tree_node, &t);
	assert_int_equal(t.next_leaf, start + 2 * MIB);
	/* 7 splits from order 8 down to the order-2 block of the 3 pages, one
	 * for its order-1 half holding the third page; the second scattered
	 * page split the order-2 block at start + 4 twice. */
	assert_int_equal(t.splits, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_of),
		cmocka_unit_test(test_page_descriptor_is_small),
		cmocka_unit_test_teardown(test_fresh_segment, arena_teardown),
		cmocka_unit_test_teardown(test_exact_length, arena_teardown),
		cmocka_unit_test_teardown(test_split_order, arena_teardown),
		cmocka_unit_test_teardown(test_freed_block_is_reused_first, arena_teardown),
		cmocka_unit_test_teardown(test_large_run_anywhere, arena_teardown),
		cmocka_unit_test_teardown(test_large_needs_one_run, arena_teardown),
		cmocka_unit_test_teardown(test_more_than_16_bits_of_pages, arena_teardown),
		cmocka_unit_test_teardown(test_scattered_all_or_nothing, arena_teardown),
		cmocka_unit_test_teardown(test_segments_in_order, arena_teardown),
		cmocka_unit_test_teardown(test_buddy_tree_covers_segment, arena_teardown),
	};
	return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
