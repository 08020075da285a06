/**
 * @file dot_buddy.c
 * @brief dot buddy: the buddy block tree as a Graphviz digraph, of a size a
 *        student can read at any memory size.
 *
 * Each segment is a row of roots (its largest aligned blocks, 1 MiB each
 * mostly). A root that is one block (wholly free, or wholly inside
 * allocations of one owner) is a leaf; runs of such like roots of one size
 * fold into one node ("4070 x 1 MiB allocated"). A split root is drawn in full, down
 * to its leaves: free blocks green, your allocations salmon, scattered
 * pages gold, pages of the kernel's own owners (page tables, mappings,
 * allocator objects, quarantined pages) in their own colours and named. A split root that
 * would pass MAX_NODES nodes, and every root once they are drawn, folds
 * into one "mixed" node per run, which says how many of its pages are free.
 *
 * dot buddy frag colours by fragmentation instead: each free block by its
 * order on a red (4 KiB) to green (1 MiB) scale, allocations white, and
 * each segment by its unusable free space index for a 1 MiB request, which
 * its label states with its longest free run. Many red blocks and few green ones: the free
 * memory is there, but only in pieces too small for large requests.
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"

#define MAX_NODES 250 /* nodes drawn in detail, over all segments */
#define ROOT_NODES ((2 << PMM_MAX_ORDER) - 1) /* nodes in one root's subtree at most */

/* What a run of roots must share to fold: the state and owner of a leaf
 * root, or SPLIT for roots drawn (or folded) as subtrees. */
#define SPLIT 0xffu

struct dot_buddy {
	unsigned segment;
	unsigned drawn;                            /* nodes drawn so far */
	struct pmm_tree_node root[ROOT_NODES];     /* the subtree being collected */
	unsigned nodes;                            /* how many of root[] are filled */
	/* The run of like roots waiting to be drawn as one node. */
	unsigned run_kind, run_owner, run_count;
	uintptr_t run_start, run_end;
	size_t run_free;                           /* free pages in the run */
	struct pmm_tree_node run_first;            /* its first root */
};

static void print_size(uintptr_t pages)
{
	if (pages >= 256 * 1024 && pages % (256 * 1024) == 0)
		kprintf("%lu GiB", (unsigned long)(pages / (256 * 1024)));
	else if (pages >= 256 && pages % 256 == 0)
		kprintf("%lu MiB", (unsigned long)(pages / 256));
	else
		kprintf("%lu KiB", (unsigned long)(pages * 4));
}

/* Graphviz's red-yellow-green Brewer scale: 9 colours, one per order. */
static const char *const order_colors[PMM_NR_ORDERS] = {
	"/rdylgn9/1", "/rdylgn9/2", "/rdylgn9/3", "/rdylgn9/4", "/rdylgn9/5",
	"/rdylgn9/6", "/rdylgn9/7", "/rdylgn9/8", "/rdylgn9/9",
};
_Static_assert(PMM_NR_ORDERS == 9, "one colour of the rdylgn9 scale per order");

static int frag; /* dot buddy frag: colour free blocks by their order */
/* Colours of the scale have a slash, so they are quoted; plain dot buddy
 * prints the names bare, as it always has. */
static const char *quote = "";

static const char *color_of(unsigned state, unsigned owner, unsigned order)
{
	if (state == PMM_PAGE_FREE && frag && order < PMM_NR_ORDERS)
		return order_colors[order];
	/* frag: only free blocks in colour, so the scale stands out */
	if (frag && (state == PMM_PAGE_ALLOCATED || state == PMM_PAGE_SCATTERED))
		return "white";
	if (state == PMM_PAGE_FREE)
		return "palegreen";
	if (state == PMM_PAGE_SCATTERED)
		return "gold";
	if (state != PMM_PAGE_ALLOCATED)
		return "lightgray";
	switch (owner) {
	case PMM_HOLDER_PAGE_TABLE: return "lightskyblue";
	case PMM_HOLDER_MAPPING: return "plum";
	case PMM_HOLDER_ALLOCATOR: return "khaki";
	case PMM_HOLDER_QUARANTINE: return "red";
	}
	return "salmon";
}

/* "free", "allocated", "allocated (page table)", "scattered", "split". */
static void print_what(unsigned state, unsigned owner)
{
	if (state == PMM_PAGE_FREE)
		kprintf("free");
	else if (state == PMM_PAGE_SCATTERED)
		kprintf("scattered");
	else if (state != PMM_PAGE_ALLOCATED)
		kprintf("split");
	else if (owner == PMM_HOLDER_ANYONE)
		kprintf("allocated");
	else
		kprintf("allocated (%s)", pmm_holder_name(owner));
}

static void print_edge(const struct dot_buddy *d, int parent, int id)
{
	if (parent < 0)
		kprintf("  seg%u -> s%u_%d;\n", d->segment, d->segment, id);
	else
		kprintf("  s%u_%d -> s%u_%d;\n", d->segment, parent, d->segment, id);
}

static void print_block(struct dot_buddy *d, const struct pmm_tree_node *n)
{
	kprintf("  s%u_%d [fillcolor=%s%s%s, label=\"order %u ", d->segment, n->id, quote,
		color_of(n->state, n->block.holder, n->order), quote, n->order);
	print_what(n->state, n->block.holder);
	kprintf("\\n0x%lx\\n", (unsigned long)n->addr);
	print_size((uintptr_t)1 << n->order);
	if (n->state == PMM_PAGE_ALLOCATED && n->block.pages != ((size_t)1 << n->order))
		kprintf("\\npart of %lu pages at 0x%lx", (unsigned long)n->block.pages,
			(unsigned long)n->block.addr);
	kprintf("\"];\n");
	print_edge(d, n->parent, n->id);
	d->drawn++;
}

/* Draw the run of like roots as one node (or as itself, if alone). */
static void flush_run(struct dot_buddy *d)
{
	if (d->run_count == 1 && d->run_kind != SPLIT)
		print_block(d, &d->run_first);
	if (d->run_count == 1 && d->run_kind != SPLIT) {
		d->run_count = 0;
		return;
	}
	if (d->run_count == 0)
		return;
	uintptr_t pages = (d->run_end - d->run_start) / PMM_PAGE_SIZE;
	kprintf("  s%u_%d [fillcolor=%s%s%s, shape=box3d, label=\"", d->segment, d->run_first.id,
		quote, color_of(d->run_kind, d->run_owner, d->run_first.order), quote);
	kprintf("%u x ", d->run_count);
	print_size(pages / d->run_count);
	kprintf(" ");
	if (d->run_kind == SPLIT && d->run_free == pages)
		kprintf("free");
	else if (d->run_kind == SPLIT)
		kprintf("mixed");
	else
		print_what(d->run_kind, d->run_owner);
	kprintf("\\n0x%lx-0x%lx", (unsigned long)d->run_start, (unsigned long)d->run_end);
	if (d->run_kind == SPLIT)
		kprintf("\\n%lu of %lu pages free", (unsigned long)d->run_free, (unsigned long)pages);
	kprintf("\"];\n");
	print_edge(d, -1, d->run_first.id);
	d->drawn++;
	d->run_count = 0;
}

/* Add the collected root to the pending run, starting a new run if it is
 * of another kind. */
static void add_to_run(struct dot_buddy *d, unsigned kind, unsigned owner, size_t free_pages)
{
	const struct pmm_tree_node *r = &d->root[0];
	uintptr_t end = r->addr + (PMM_PAGE_SIZE << r->order);
	if (d->run_count > 0 && (kind != d->run_kind || owner != d->run_owner ||
				 r->order != d->run_first.order || r->addr != d->run_end))
		flush_run(d);
	if (d->run_count++ == 0) {
		d->run_kind = kind;
		d->run_owner = owner;
		d->run_start = r->addr;
		d->run_free = 0;
		d->run_first = *r;
	}
	d->run_end = end;
	d->run_free += free_pages;
}

/* A whole root's subtree is in d->root[]: fold it, or draw it. */
static void finish_root(struct dot_buddy *d)
{
	if (d->nodes == 0)
		return;
	const struct pmm_tree_node *r = &d->root[0];
	size_t free_pages = 0;
	for (unsigned i = 0; i < d->nodes; i++)
		if (d->root[i].state == PMM_PAGE_FREE)
			free_pages += (size_t)1 << d->root[i].order;
	if (d->drawn + 2 > MAX_NODES) {
		add_to_run(d, SPLIT, 0, free_pages); /* over budget: everything folds */
	} else if (r->state != PMM_PAGE_INSIDE) {
		add_to_run(d, r->state, r->state == PMM_PAGE_ALLOCATED ? r->block.holder : 0,
			   free_pages);
	} else if (d->drawn + d->nodes + 2 <= MAX_NODES) {
		flush_run(d);
		for (unsigned i = 0; i < d->nodes; i++)
			print_block(d, &d->root[i]);
	} else {
		add_to_run(d, SPLIT, 0, free_pages);
	}
	d->nodes = 0;
}

static void collect(const struct pmm_tree_node *n, void *ctx)
{
	struct dot_buddy *d = ctx;
	if (n->parent < 0)
		finish_root(d);
	if (d->nodes < ROOT_NODES)
		d->root[d->nodes++] = *n;
}

/* frag: a legend in one row, a box per order in its colour. */
static void print_legend(void)
{
	kprintf("  subgraph legend {\n    rank=same;\n");
	kprintf("    legend [shape=plaintext, style=\"\", label=\"free blocks of order:\"];\n");
	for (unsigned order = 0; order < PMM_NR_ORDERS; order++) {
		kprintf("    legend%u [fillcolor=\"%s\", label=\"%u\\n", order,
			order_colors[order], order);
		print_size((uintptr_t)1 << order);
		kprintf("\"];\n");
	}
	kprintf("    legend -> legend0");
	for (unsigned order = 1; order < PMM_NR_ORDERS; order++)
		kprintf(" -> legend%u", order);
	kprintf(" [style=invis];\n  }\n");
}

/* The segment's folder; with frag, coloured by how much of its free memory
 * a 1 MiB request cannot use, which it states with its longest free run. */
static void print_segment(unsigned i)
{
	struct pmm_segment_info info;
	pmm_segment_info(i, &info);
	unsigned index = pmm_unusable_index(i, PMM_MAX_ORDER);
	/* 0.000 (all of it in 1 MiB blocks) green .. 1.000 red */
	const char *color = frag ? order_colors[PMM_MAX_ORDER - index * PMM_MAX_ORDER /
						PMM_INDEX_ONE] : "lightblue";
	kprintf("  seg%u [shape=folder, fillcolor=%s%s%s, label=\"seg%u\\n0x%lx-0x%lx\\n"
		"%lu pages, %lu free", i, quote, color, quote, i, (unsigned long)info.start,
		(unsigned long)info.end, (unsigned long)info.pages, (unsigned long)info.free_pages);
	if (frag) {
		size_t run = pmm_segment_longest_free_run(i);
		kprintf("\\nunusable for 1 MiB: %u.%03u\\nlongest free run: %lu page%s",
			index / PMM_INDEX_ONE, index % PMM_INDEX_ONE, (unsigned long)run, plural(run));
	}
	kprintf("\"];\n");
}

void dot_buddy(int by_fragmentation)
{
	static struct dot_buddy d; /* 30 KiB: not on the kernel stack */

	frag = by_fragmentation;
	quote = frag ? "\"" : "";
	kprintf("digraph buddy {\n");
	kprintf("  node [shape=box, style=filled, fontname=\"monospace\"];\n");
	if (frag)
		print_legend();
	d.drawn = 0;
	for (unsigned i = 0; i < pmm_segment_count(); i++) {
		print_segment(i);
		d.drawn++;
		d.segment = i;
		d.nodes = 0;
		d.run_count = 0;
		pmm_tree_walk(i, collect, &d);
		finish_root(&d);
		flush_run(&d);
	}
	kprintf("}\n");
}
