/**
 * @file cmd_dot.c
 * @brief dot: Graphviz pictures. dot buddy is in dot_buddy.c, dot alloc in
 *        cmd_kmalloc.c, dot layout in dot_layout.c; render any of them with
 *        `make snapshot`.
 *
 * dot pt: the page-table tree: tables as boxes, runs of like leaves as one
 * node each (4K green, 2M blue, 1G violet), and a legend of the colours.
 *
 * dot_legend() is here for every dot picture: each ends with a table that
 * names every colour it used, and only those.
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "pt_fold.h"
#include "kstring.h"
#include "vm.h"
#include "vm_kernel.h"

/* One node, a table: a swatch and a meaning per row. Rows say what each
 * colour means in words, so a picture is readable without this file. */
void dot_legend(const struct dot_colour *colours, unsigned count, unsigned long used)
{
	kprintf("  legend [shape=plaintext, style=\"\", label=<<table border=\"0\" "
		"cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">\n"
		"    <tr><td colspan=\"2\"><b>colours</b></td></tr>\n");
	for (unsigned i = 0; i < count; i++)
		if (used & (1ul << i))
			kprintf("    <tr><td bgcolor=\"%s\" width=\"20\"></td>"
				"<td align=\"left\">%s</td></tr>\n", colours[i].fill,
				colours[i].meaning);
	kprintf("  </table>>];\n");
}

/* Node name of the table at @level that holds the entry for @va. */
static void print_table_id(unsigned level, uintptr_t va)
{
	if (level == 0)
		kprintf("root");
	else
		kprintf("t%u_%lx", level, (unsigned long)(va & ~(vm_level_size(level - 1) - 1)));
}

/* dot pt draws at most DOT_PT_MAX tables and runs of leaves, parents
 * first; one node counts the rest, so the graph stays readable. */
#define DOT_PT_MAX 250

enum pt_colour { PT_ROOT, PT_TABLE, PT_4K, PT_2M, PT_1G, PT_MORE, PT_COLOURS };
static const struct dot_colour pt_colours[PT_COLOURS] = {
	[PT_ROOT] = { "lightyellow", "root table" },
	[PT_TABLE] = { "lightgray", "table" },
	[PT_4K] = { "palegreen", "4K pages" },
	[PT_2M] = { "lightblue", "2M pages" },
	[PT_1G] = { "plum", "1G pages" },
	[PT_MORE] = { "white", "not drawn: counted" },
};

struct dot_pt {
	unsigned drawn;
	size_t more_tables, more_runs;
	unsigned long used; /* bit c: pt_colours[c] was used */
};

/* The fill colour @c, noted for the legend. */
static const char *pt_colour(struct dot_pt *d, enum pt_colour c)
{
	d->used |= 1ul << c;
	return pt_colours[c].fill;
}

static int over_budget(struct dot_pt *d, int table)
{
	if (d->drawn < DOT_PT_MAX) {
		d->drawn++;
		return 0;
	}
	if (table)
		d->more_tables++;
	else
		d->more_runs++;
	return 1;
}

static void dot_table(unsigned level, unsigned index, uintptr_t va, uintptr_t size,
		      uintptr_t table_pa, void *ctx)
{
	if (over_budget(ctx, 1))
		return;
	kprintf("  ");
	print_table_id(level + 1, va);
	kprintf(" [fillcolor=%s, label=\"L%u table 0x%lx\\nva 0x%lx-0x%lx\"];\n  ",
		pt_colour(ctx, PT_TABLE), level + 1, (unsigned long)table_pa, (unsigned long)va, (unsigned long)(va + size));
	print_table_id(level, va);
	kprintf(" -> ");
	print_table_id(level + 1, va);
	kprintf(" [label=\"[%u]\"];\n", index);
}

static void dot_run(const struct pt_run *r, void *ctx)
{
	char flags[8];
	if (over_budget(ctx, 0))
		return;
	pt_flags_text(r->flags, flags);
	const char *color = pt_colour(ctx, r->size == VM_SIZE_4K ? PT_4K
					   : r->size == VM_SIZE_2M ? PT_2M : PT_1G);
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
	struct dot_pt d = { 0, 0, 0, 0 };
	struct pt_fold fold = { .table = dot_table, .run = dot_run, .ctx = &d };

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
	struct vm_info info;
	vm_get_info(&info);
	kprintf("digraph pt {\n");
	kprintf("  node [shape=box, style=filled, fontname=\"monospace\"];\n");
	kprintf("  root [fillcolor=%s, label=\"%s root table\\n0x%lx\"];\n",
		pt_colour(&d, PT_ROOT), info.name, (unsigned long)kernel_space.root);
	pt_fold_visit(&fold, start, end);
	if (d.more_tables + d.more_runs)
		kprintf("  more [shape=box3d, fillcolor=%s, label=\"%lu more table%s and %lu more "
			"run%s of leaves\"];\n  root -> more;\n", pt_colour(&d, PT_MORE),
			(unsigned long)d.more_tables,
			plural(d.more_tables), (unsigned long)d.more_runs, plural(d.more_runs));
	dot_legend(pt_colours, PT_COLOURS, d.used);
	kprintf("}\n");
}

static void dot_buddy_command(int by_fragmentation)
{
	if (dot_buddy(by_fragmentation))
		shell_error("dot buddy interrupted: the graph shows only part of memory");
}

void cmd_dot(int argc, char **argv)
{
	if (strcmp(argv[1], "pt") == 0)
		dot_pt(argc, argv);
	else if (argc == 2 && strcmp(argv[1], "alloc") == 0)
		dot_alloc();
	else if (argc == 2 && strcmp(argv[1], "layout") == 0)
		dot_layout();
	else if (argc == 2 && strcmp(argv[1], "buddy") == 0)
		dot_buddy_command(0);
	else if (argc == 3 && strcmp(argv[1], "buddy") == 0 && strcmp(argv[2], "frag") == 0)
		dot_buddy_command(1);
	else
		shell_usage("dot");
}
