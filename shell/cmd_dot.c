/**
 * @file cmd_dot.c
 * @brief dot buddy: the buddy block tree as a Graphviz digraph.
 *
 * Inner nodes are split blocks; leaves are free blocks (green), allocations
 * (salmon) and scattered pages (gold). Runs of free top-order roots, which
 * is most of memory on a fresh boot, are folded into one node so the graph
 * stays readable at any memory size. Render it with `make snapshot`.
 *
 * dot pt: the page-table tree: tables as boxes, runs of like leaves as one
 * node each (4K green, 2M blue, 1G violet).
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "pt_fold.h"
#include "string.h"
#include "vm.h"
#include "vm_kernel.h"

struct dot_state {
	unsigned segment;
	unsigned fold_count;  /* free top-order roots waiting to be printed */
	struct pmm_tree_node fold_first; /* the first of them */
};

static void print_size(uintptr_t pages)
{
	if (pages >= 256 && pages % 256 == 0)
		kprintf("%lu MiB", (unsigned long)(pages / 256));
	else
		kprintf("%lu KiB", (unsigned long)(pages * 4));
}

static void print_edge(const struct dot_state *d, const struct pmm_tree_node *n)
{
	if (n->parent < 0)
		kprintf("  seg%u -> s%u_%d;\n", d->segment, d->segment, n->id);
	else
		kprintf("  s%u_%d -> s%u_%d;\n", d->segment, n->parent, d->segment, n->id);
}

static void print_block(const struct dot_state *d, const struct pmm_tree_node *n)
{
	const char *color = "lightgray", *what = "split";
	if (n->state == PMM_PAGE_FREE) {
		color = "palegreen";
		what = "free";
	} else if (n->state == PMM_PAGE_ALLOCATED) {
		color = "salmon";
		what = "allocated";
	} else if (n->state == PMM_PAGE_SCATTERED) {
		color = "gold";
		what = "scattered";
	}
	kprintf("  s%u_%d [fillcolor=%s, label=\"order %u %s\\n0x%lx\\n", d->segment, n->id, color,
		n->order, what, (unsigned long)n->addr);
	print_size((uintptr_t)1 << n->order);
	if (n->state == PMM_PAGE_ALLOCATED && n->owner.pages != ((size_t)1 << n->order))
		kprintf("\\npart of %lu pages at 0x%lx", (unsigned long)n->owner.pages,
			(unsigned long)n->owner.addr);
	kprintf("\"];\n");
	print_edge(d, n);
}

/* Print the run of free top-order roots seen so far as one node. */
static void flush_fold(struct dot_state *d)
{
	const struct pmm_tree_node *first = &d->fold_first;
	if (d->fold_count == 1)
		print_block(d, first);
	if (d->fold_count < 2) {
		d->fold_count = 0;
		return;
	}
	uintptr_t pages = (uintptr_t)d->fold_count << PMM_MAX_ORDER;
	kprintf("  s%u_%d [fillcolor=palegreen, shape=box3d, label=\"%u free order-%u blocks\\n"
		"0x%lx-0x%lx\\n", d->segment, first->id, d->fold_count, PMM_MAX_ORDER,
		(unsigned long)first->addr, (unsigned long)(first->addr + pages * PMM_PAGE_SIZE));
	print_size(pages);
	kprintf("\"];\n");
	print_edge(d, first);
	d->fold_count = 0;
}

static void print_node(const struct pmm_tree_node *n, void *ctx)
{
	struct dot_state *d = ctx;

	if (n->parent < 0 && n->state == PMM_PAGE_FREE && n->order == PMM_MAX_ORDER) {
		if (d->fold_count++ == 0)
			d->fold_first = *n;
		return;
	}
	if (n->parent < 0)
		flush_fold(d);
	print_block(d, n);
}

/* Node name of the table at @level that holds the entry for @va. */
static void print_table_id(unsigned level, uintptr_t va)
{
	if (level == 0)
		kprintf("root");
	else
		kprintf("t%u_%lx", level, (unsigned long)(va & ~(vm_level_size(level - 1) - 1)));
}

static void dot_table(unsigned level, unsigned index, uintptr_t va, uintptr_t size,
		      uintptr_t table_pa, void *ctx)
{
	(void)ctx;
	kprintf("  ");
	print_table_id(level + 1, va);
	kprintf(" [fillcolor=lightgray, label=\"L%u table 0x%lx\\nva 0x%lx-0x%lx\"];\n  ",
		level + 1, (unsigned long)table_pa, (unsigned long)va, (unsigned long)(va + size));
	print_table_id(level, va);
	kprintf(" -> ");
	print_table_id(level + 1, va);
	kprintf(" [label=\"[%u]\"];\n", index);
}

static void dot_run(const struct pt_run *r, void *ctx)
{
	char flags[8];
	(void)ctx;
	pt_flags_text(r->flags, flags);
	const char *color = r->size == VM_SIZE_4K ? "palegreen"
			    : r->size == VM_SIZE_2M ? "lightblue" : "plum";
	kprintf("  r%u_%lx [fillcolor=%s, label=\"%lu x %s %s\\nva 0x%lx-0x%lx\\npa 0x%lx\"];\n  ",
		r->level, (unsigned long)r->va, color, (unsigned long)r->count,
		pt_size_text(r->size), flags, (unsigned long)r->va,
		(unsigned long)(r->va + r->count * r->size), (unsigned long)r->pa);
	print_table_id(r->level, r->va);
	kprintf(" -> r%u_%lx [label=\"[%u..%lu]\"];\n", r->level, (unsigned long)r->va, r->index,
		(unsigned long)(r->index + r->count - 1));
}

static void dot_pt(int argc, char **argv)
{
	uintptr_t start = 0, end = UINTPTR_MAX;
	struct pt_fold fold = { .table = dot_table, .run = dot_run };

	if (argc == 3) {
		uintptr_t va;
		if (!parse_address(argv[2], &va)) {
			shell_error("'%s' is not an address like 0x80200000", argv[2]);
			return;
		}
		if (!shell_canonical(va))
			return;
		/* Around an address: the 2 MiB that hold it, and the path there. */
		start = va & ~(VM_SIZE_2M - 1);
		end = start + VM_SIZE_2M;
	}
	kprintf("digraph pt {\n");
	kprintf("  node [shape=box, style=filled, fontname=\"monospace\"];\n");
	kprintf("  root [fillcolor=lightyellow, label=\"%s root table\\n0x%lx\"];\n",
		arch_pt_format()->name, (unsigned long)kernel_space.root);
	pt_fold_visit(&fold, start, end);
	kprintf("}\n");
}

void cmd_dot(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "pt") == 0 && argc <= 3) {
		dot_pt(argc, argv);
		return;
	}
	if (argc == 2 && strcmp(argv[1], "alloc") == 0) {
		dot_alloc();
		return;
	}
	if (argc != 2 || strcmp(argv[1], "buddy") != 0) {
		shell_usage("dot");
		return;
	}
	kprintf("digraph buddy {\n");
	kprintf("  node [shape=box, style=filled, fontname=\"monospace\"];\n");
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		struct pmm_segment_info info;
		struct dot_state d = { .segment = i };
		pmm_segment_info(i, &info);
		kprintf("  seg%u [shape=folder, fillcolor=lightblue, label=\"seg%u\\n0x%lx-0x%lx\\n"
			"%lu pages, %lu free\"];\n", i, i, (unsigned long)info.start,
			(unsigned long)info.end, (unsigned long)info.pages,
			(unsigned long)info.free_pages);
		pmm_tree_walk(i, print_node, &d);
		flush_fold(&d);
	}
	kprintf("}\n");
}
