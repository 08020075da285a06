/**
 * @file cmd_info.c
 * @brief meminfo, buddy and check: looking at the page manager.
 */
#include "commands.h"
#include "cpus.h"
#include "kprintf.h"
#include "memm.h"
#include "pmm.h"
#include "kstring.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"

/* Pages poisoning caught written after they were freed: no longer free,
 * never to be reused. The line appears once there is one. */
static void print_quarantined(void)
{
	size_t n = pmm_poison_quarantined();
	if (n)
		kprintf("quarantined pages: %lu\n", (unsigned long)n);
}

void cmd_meminfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	size_t total = pmm_total_pages(), free = pmm_free_page_count();
	kprintf("total pages: %lu\n", (unsigned long)total);
	kprintf("free pages: %lu\n", (unsigned long)free);
	kprintf("used pages: %lu\n", (unsigned long)(total - free));
	size_t cached = pmm_cached_page_count();
	if (pmm_pcp_enabled() || cached)
		kprintf("cached pages: %lu (of the used, in CPUs' page caches)\n",
			(unsigned long)cached);
	struct vm_stats vm;
	vm_get_stats(&vm);
	kprintf("page-table pages: %lu\n", (unsigned long)vm.table_pages);
	kprintf("mapped 4K pages: %lu\n", (unsigned long)vm.leaves_4k);
	kprintf("mapped 2M pages: %lu\n", (unsigned long)vm.leaves_2m);
	kprintf("mapped 1G pages: %lu\n", (unsigned long)vm.leaves_1g);
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		struct pmm_segment_info info;
		pmm_segment_info(i, &info);
		kprintf("seg%u 0x%lx-0x%lx pages %lu free %lu (page array at 0x%lx, %lu page%s)\n",
			i, (unsigned long)info.start, (unsigned long)info.end,
			(unsigned long)info.pages, (unsigned long)info.free_pages,
			(unsigned long)info.array_start, (unsigned long)info.array_pages,
			plural(info.array_pages));
	}
	size_t lazy_reserved, lazy_present;
	vm_lazy_count(&lazy_reserved, &lazy_present);
	kprintf("lazy pages reserved: %lu\n", (unsigned long)lazy_reserved);
	kprintf("lazy pages present: %lu\n", (unsigned long)lazy_present);
	print_quarantined();
}

/* One row of the buddy table: a label, then one number per order. The
 * header is a row too (its numbers are the orders), so the columns of the
 * header and of the rows are laid out by this one function. */
static void print_row(const char *label, const size_t values[PMM_NR_ORDERS])
{
	kprintf("%s", label);
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++)
		kprintf(" %lu", (unsigned long)values[order]);
	kprintf("\n");
}

static void print_header(void)
{
	size_t orders[PMM_NR_ORDERS];
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++)
		orders[order] = order;
	print_row("order", orders);
}

/* Size of a block of @order (2^order pages), in KiB. */
static unsigned long block_kib(unsigned order)
{
	return (unsigned long)((PMM_PAGE_SIZE << order) / 1024);
}

struct list_printer {
	unsigned printed;
};

static void print_free_block(uintptr_t addr, void *ctx)
{
	struct list_printer *p = ctx;
	if (p->printed > 0 && p->printed % 4 == 0)
		kprintf("\n   ");
	kprintf(" 0x%lx", (unsigned long)addr);
	p->printed++;
}

/* buddy -v: every free list, head first, four blocks a line. */
static void print_free_lists(void)
{
	kprintf("free lists, head (allocated next) first:\n");
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		for (unsigned order = 0; order < PMM_NR_ORDERS; order++) {
			struct list_printer p = { 0 };
			kprintf("  seg%u order %u (%lu KiB blocks):", i, order, block_kib(order));
			pmm_for_each_free(i, order, print_free_block, &p);
			kprintf(p.printed ? "\n" : " empty\n");
		}
	}
}

/* After the contract rows: per order, the share of free memory in blocks
 * too small for a request of that order (Gorman's unusable free space
 * index, 0.000 .. 1.000, under the order's column); then the longest run
 * of free pages in each segment, the most a request above 256 pages can get
 * there. */
static void print_fragmentation(void)
{
	kprintf("unusable");
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++) {
		unsigned index = pmm_unusable_index(PMM_ALL_SEGMENTS, order);
		kprintf(" %u.%03u", index / PMM_INDEX_ONE, index % PMM_INDEX_ONE);
	}
	kprintf("\n");
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		size_t run = pmm_segment_longest_free_run(i);
		kprintf("longest free run: seg%u %lu page%s\n", i, (unsigned long)run, plural(run));
	}
}

void cmd_buddy(int argc, char **argv)
{
	int verbose = argc == 2 && strcmp(argv[1], "-v") == 0;
	if (argc == 2 && !verbose) {
		shell_usage("buddy");
		return;
	}

	size_t all[PMM_NR_ORDERS] = { 0 };
	print_header();
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		struct pmm_segment_info info;
		pmm_segment_info(i, &info);
		char name[16];
		ksnprintf(name, sizeof(name), "seg%u", i);
		print_row(name, info.free_blocks);
		for (unsigned order = 0; order < PMM_NR_ORDERS; order++)
			all[order] += info.free_blocks[order];
	}
	print_row("all", all);
	if (pmm_pcp_enabled() || pmm_cached_page_count()) {
		kprintf("cached:");
		struct pmm_pcp_info info;
		for (unsigned cpu = 0; cpu < cpus_count(); cpu++) {
			pmm_pcp_info(cpu, &info);
			kprintf(" cpu%u %lu", cpu, (unsigned long)info.pages);
		}
		kprintf(" (single pages in the CPUs' caches, not on these lists)\n");
	}
	print_fragmentation();
	if (verbose)
		print_free_lists();
	print_quarantined();
}

static void report_violation(const struct pmm_violation *v, void *ctx)
{
	(void)ctx;
	kprintf("check: seg%u 0x%lx: %s (expected %lu, found %lu)\n", v->segment,
		(unsigned long)v->addr, pmm_violation_text(v->kind), (unsigned long)v->expected,
		(unsigned long)v->actual);
}

static void report_vm_violation(const struct vm_violation *v, void *ctx)
{
	(void)ctx;
	kprintf("check: page tables 0x%lx: %s (expected %lu, found %lu)\n", (unsigned long)v->addr,
		vm_violation_text(v->kind), (unsigned long)v->expected, (unsigned long)v->actual);
}

void cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	size_t found = pmm_check(report_violation, NULL);
	if (shell_interrupted()) {
		shell_error("check interrupted: only part of the page manager was checked");
		return;
	}
	found += vm_check(&kernel_space, 1, report_vm_violation, NULL);
	if (shell_interrupted()) {
		shell_error("check interrupted: only part of the page tables was checked");
		return;
	}
	size_t caches = pmm_pcp_check();
	if (caches)
		kprintf("check: page caches: %lu problem%s\n", (unsigned long)caches, plural(caches));
	size_t tree = memm_check();
	if (tree)
		kprintf("check: allocator tree: %lu problem%s\n", (unsigned long)tree, plural(tree));
	found += caches + tree;
	if (found == 0)
		kprintf("check: ok\n");
	else
		kprintf("check: %lu violation%s\n", (unsigned long)found, plural(found));
}
