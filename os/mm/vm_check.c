/**
 * @file vm_check.c
 * @brief The page-table checker: every table page accounted for.
 *
 * The walker promises that a table exists only while it holds an entry,
 * that every table page is a page-table allocation of the page manager, and
 * that its counters (meminfo's page-table pages and mapped pages) are true.
 * This file proves it by visiting every table, for `check` and the tests.
 * It reads every table, so it never runs on a mapping path.
 */
#include "pmm.h"
#include "progress.h"
#include "vm.h"

struct vm_checker {
	void (*report)(const struct vm_violation *v, void *ctx);
	void *ctx;
	size_t found;
	struct vm_stats seen; /* tables and leaves reached */
	/* Progress, as `check` reports it: the page manager's pages (checked
	 * before) then one unit per entry reached. */
	size_t done, total;
	int stopped; /* the progress handler said stop: skip the rest */
};

static void violation(struct vm_checker *c, enum vm_violation_kind kind, uintptr_t addr,
		      size_t expected, size_t actual)
{
	struct vm_violation v = { kind, addr, expected, actual };
	c->found++;
	if (c->report)
		c->report(&v, c->ctx);
}

/* A table must be a one-page allocation owned by the page-table layer. */
static void check_table_page(struct vm_checker *c, uintptr_t table)
{
	struct pmm_block block;
	c->seen.table_pages++;
	if (pmm_allocation_at(table, &block) != PMM_OK || block.pages != 1 ||
	    block.holder != PMM_HOLDER_PAGE_TABLE)
		violation(c, VM_BAD_TABLE_PAGE, table, PMM_HOLDER_PAGE_TABLE, 0);
}

static void check_entry(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
			void *ctx)
{
	struct vm_checker *c = ctx;
	struct vm_entry e, child;
	(void)va;
	(void)size;
	(void)leaf;

	if (c->stopped)
		return;
	if (++c->done % PROGRESS_EVERY == 0 && progress_report("check", c->done, c->total)) {
		c->stopped = 1;
		return;
	}

	vm_entry_decode(entry, level, &e);
	if (e.leaf) {
		if (e.shift == VM_SHIFT_4K)
			c->seen.leaves_4k++;
		else if (e.shift == VM_SHIFT_2M)
			c->seen.leaves_2m++;
		else
			c->seen.leaves_1g++;
		return;
	}
	uintptr_t table = e.address;
	const uint64_t *entries = (const uint64_t *)table;
	size_t present = 0;
	for (unsigned i = 0; i < VM_ENTRIES; i++) {
		vm_entry_decode(entries[i], level + 1, &child);
		present += (size_t)child.present;
	}
	if (present == 0)
		violation(c, VM_BAD_EMPTY_TABLE, table, 1, 0);
	check_table_page(c, table);
}

/* Page-table pages the page manager holds, reached or not. A walk of
 * every block (millions, when scattered): it reports too, at the count
 * reached. */
static size_t owned_table_pages(struct vm_checker *c)
{
	size_t pages = 0, blocks = 0;
	for (unsigned s = 0; s < pmm_segment_count() && !c->stopped; s++) {
		struct pmm_block block;
		size_t cursor = 0;
		while (pmm_walk(s, &cursor, &block)) {
			if (block.state == PMM_PAGE_ALLOCATED && block.holder == PMM_HOLDER_PAGE_TABLE)
				pages += block.pages;
			if (++blocks % PROGRESS_EVERY == 0 &&
			    progress_report("check", c->done, c->total)) {
				c->stopped = 1;
				break;
			}
		}
	}
	return pages;
}

size_t vm_check(const struct vm_space *spaces, size_t nr_spaces,
		void (*report)(const struct vm_violation *v, void *ctx), void *ctx)
{
	struct vm_checker c = { report, ctx, 0, { 0, 0, 0, 0 }, 0, 0, 0 };
	struct vm_stats counted;

	vm_get_stats(&counted);
	c.done = pmm_total_pages();
	c.total = c.done + nr_spaces * (counted.table_pages + counted.leaves_4k +
					counted.leaves_2m + counted.leaves_1g);
	for (size_t i = 0; i < nr_spaces && !c.stopped; i++) {
		check_table_page(&c, spaces[i].root);
		vm_visit(&spaces[i], 0, UINTPTR_MAX, check_entry, &c);
	}
	if (c.stopped)
		return c.found;
	if (counted.table_pages != c.seen.table_pages)
		violation(&c, VM_BAD_TABLE_COUNT, 0, c.seen.table_pages, counted.table_pages);
	size_t owned = owned_table_pages(&c);
	if (c.stopped)
		return c.found;
	if (owned != c.seen.table_pages)
		violation(&c, VM_BAD_TABLE_COUNT, 0, c.seen.table_pages, owned);
	if (counted.leaves_4k != c.seen.leaves_4k)
		violation(&c, VM_BAD_LEAF_COUNT, 0, c.seen.leaves_4k, counted.leaves_4k);
	if (counted.leaves_2m != c.seen.leaves_2m)
		violation(&c, VM_BAD_LEAF_COUNT, 0, c.seen.leaves_2m, counted.leaves_2m);
	if (counted.leaves_1g != c.seen.leaves_1g)
		violation(&c, VM_BAD_LEAF_COUNT, 0, c.seen.leaves_1g, counted.leaves_1g);
	return c.found;
}

const char *vm_violation_text(enum vm_violation_kind kind)
{
	switch (kind) {
	case VM_BAD_EMPTY_TABLE: return "page table maps nothing but is still linked";
	case VM_BAD_TABLE_PAGE: return "page table is not a page-table page of the page manager";
	case VM_BAD_TABLE_COUNT: return "page-table pages counted differ from the tables found";
	case VM_BAD_LEAF_COUNT: return "mapped pages counted differ from the leaves found";
	}
	return "unknown violation";
}
