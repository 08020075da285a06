/**
 * @file dot_buddy.c
 * @brief dot buddy: the buddy block tree as a Graphviz digraph, of a size a
 *        student can read at any memory size.
 *
 * The tree grows left to right: segments in the first column, their roots
 * (largest aligned blocks, 1 MiB mostly) in the second, halves further
 * right. The width is then bounded by the nine orders, whatever the memory
 * size; more memory only makes the picture taller.
 *
 * A root that is one block (wholly free, or wholly inside one allocation)
 * is a leaf; runs of such like roots fold into one node ("4070 x 1 MiB
 * free"). A split root is drawn down to its leaves, except that a half
 * made only of scattered pages is one node ("16 scattered pages #1"). Your
 * allocations are salmon and name the allocation (its address, as alloc
 * printed it), scattered pages gold and name their sets (#1), pages of the
 * kernel's own owners (page tables, mappings, allocator objects,
 * quarantined pages) have their own colours. Once MAX_NODES nodes are
 * drawn, split roots fold into one "mixed" node per run, which says how
 * many of its pages are free and how many are yours.
 *
 * dot buddy frag colours by fragmentation instead: each free block by its
 * order on a red (4 KiB) to green (1 MiB) scale, allocations white, and
 * each segment states its unusable free space index for a 1 MiB request and
 * its longest free run. Many red blocks and few green ones: the free memory
 * is there, but only in pieces too small for large requests.
 *
 * Both end with a legend naming every colour the picture used.
 */
#include "commands.h"
#include "kprintf.h"
#include "progress.h"
#include "shell.h"
#include "pmm.h"

#define MAX_NODES 250 /* nodes drawn in detail, over all segments */
#define ROOT_NODES ((2 << PMM_MAX_ORDER) - 1) /* nodes in one root's subtree at most */

/* What a run of roots must share to fold: the state, owner and allocation
 * of a leaf root, or SPLIT for roots folded as subtrees. */
#define SPLIT 0xffu

/* Every colour dot buddy may use; the legend names those it did use. */
enum colour {
	C_SEGMENT, C_FREE, C_YOURS, C_SCATTERED, C_PAGE_TABLE, C_MAPPING, C_ALLOCATOR,
	C_QUARANTINE, C_TAKEN, C_SPLIT, C_ORDER0, NR_COLOURS = C_ORDER0 + PMM_NR_ORDERS
};

/* The scale is Graphviz's red-yellow-green Brewer scale: 9 colours, one
 * per order. Segments are light cyan, which no block uses. */
static const struct dot_colour colours[NR_COLOURS] = {
	[C_SEGMENT] = { "lightcyan", "segment" },
	[C_FREE] = { "palegreen", "free block" },
	[C_YOURS] = { "salmon", "your allocation" },
	[C_SCATTERED] = { "gold", "your scattered pages" },
	[C_PAGE_TABLE] = { "lightskyblue", "page table" },
	[C_MAPPING] = { "plum", "mapping" },
	[C_ALLOCATOR] = { "khaki", "allocator (kmalloc)" },
	[C_QUARANTINE] = { "red", "quarantined page" },
	[C_TAKEN] = { "white", "allocated (anyone)" },
	[C_SPLIT] = { "lightgray", "split, or mixed run" },
	[C_ORDER0 + 0] = { "/rdylgn9/1", "free order 0 (4K)" },
	[C_ORDER0 + 1] = { "/rdylgn9/2", "free order 1 (8K)" },
	[C_ORDER0 + 2] = { "/rdylgn9/3", "free order 2 (16K)" },
	[C_ORDER0 + 3] = { "/rdylgn9/4", "free order 3 (32K)" },
	[C_ORDER0 + 4] = { "/rdylgn9/5", "free order 4 (64K)" },
	[C_ORDER0 + 5] = { "/rdylgn9/6", "free order 5 (128K)" },
	[C_ORDER0 + 6] = { "/rdylgn9/7", "free order 6 (256K)" },
	[C_ORDER0 + 7] = { "/rdylgn9/8", "free order 7 (512K)" },
	[C_ORDER0 + 8] = { "/rdylgn9/9", "free order 8 (1M)" },
};
_Static_assert(PMM_NR_ORDERS == 9, "one colour of the rdylgn9 scale per order");

struct dot_buddy {
	unsigned segment;
	unsigned drawn;                            /* nodes drawn so far */
	unsigned long used;                        /* bit c: colour c was used */
	struct pmm_tree_node root[ROOT_NODES];     /* the subtree being collected */
	unsigned nodes;                            /* how many of root[] are filled */
	/* Folding a root's halves: per node of root[], children seen so far,
	 * whether they are all of one kind, the first one seen. */
	unsigned char kids[ROOT_NODES], alike[ROOT_NODES];
	short first[ROOT_NODES];
	/* The run of like roots waiting to be drawn as one node. */
	unsigned run_kind, run_owner, run_count;
	uintptr_t run_alloc;                       /* allocations: the one it is in */
	uintptr_t run_start, run_end;
	size_t run_free, run_yours;                /* free pages, and pages of yours */
	struct pmm_tree_node run_first;            /* its first root */
	/* Progress: pages of the segments before, nodes seen, and whether
	 * Ctrl-C stopped the drawing (the walk then only runs out). */
	size_t pages_before, seen;
	uintptr_t segment_start;
	int stopped;
};

/* Tree nodes between two progress reports: thousands of scattered pages
 * make millions of nodes. */
#define DOT_REPORT_EVERY 256

static int frag; /* dot buddy frag: colour free blocks by their order */

static void print_size(uintptr_t pages)
{
	if (pages >= 256 * 1024 && pages % (256 * 1024) == 0)
		kprintf("%lu GiB", (unsigned long)(pages / (256 * 1024)));
	else if (pages >= 256 && pages % 256 == 0)
		kprintf("%lu MiB", (unsigned long)(pages / 256));
	else
		kprintf("%lu KiB", (unsigned long)(pages * 4));
}

static int yours(unsigned state, unsigned owner)
{
	return state == PMM_PAGE_SCATTERED ||
	       (state == PMM_PAGE_ALLOCATED && owner == PMM_HOLDER_ANYONE);
}

/* The colour of a block, noted as used for the legend. */
static const char *colour_of(struct dot_buddy *d, unsigned state, unsigned owner,
			     unsigned order)
{
	enum colour c = C_SPLIT;
	if (state == PMM_PAGE_FREE)
		c = frag && order < PMM_NR_ORDERS ? C_ORDER0 + order : C_FREE;
	else if (frag && (state == PMM_PAGE_ALLOCATED || state == PMM_PAGE_SCATTERED))
		c = C_TAKEN; /* only free blocks in colour, so the scale stands out */
	else if (state == PMM_PAGE_SCATTERED)
		c = C_SCATTERED;
	else if (state == PMM_PAGE_ALLOCATED)
		c = owner == PMM_HOLDER_PAGE_TABLE ? C_PAGE_TABLE
		    : owner == PMM_HOLDER_MAPPING ? C_MAPPING
		    : owner == PMM_HOLDER_ALLOCATOR ? C_ALLOCATOR
		    : owner == PMM_HOLDER_QUARANTINE ? C_QUARANTINE : C_YOURS;
	d->used |= 1ul << c;
	return colours[c].fill;
}

/* "free", "allocated", "page table" (the kernel's owners), "scattered", "split":
 * at most 10 letters, so the columns stay narrow. */
static void print_what(unsigned state, unsigned owner)
{
	static const char *const owners[] = {
		[PMM_HOLDER_PAGE_TABLE] = "page table", [PMM_HOLDER_MAPPING] = "mapping",
		[PMM_HOLDER_ALLOCATOR] = "allocator", [PMM_HOLDER_QUARANTINE] = "quarantine",
		[PMM_HOLDER_CACHE] = "cpu cache",
	};

	if (state == PMM_PAGE_FREE)
		kprintf("free");
	else if (state == PMM_PAGE_SCATTERED)
		kprintf("scattered");
	else if (state != PMM_PAGE_ALLOCATED)
		kprintf("split");
	else if (owner == PMM_HOLDER_ANYONE || owner >= sizeof(owners) / sizeof(owners[0]))
		kprintf("allocated");
	else
		kprintf("%s", owners[owner]);
}

static void print_set_id(unsigned id, void *ctx)
{
	unsigned *count = ctx;
	if (++*count <= 2)
		kprintf(" #%u", id);
	else if (*count == 3)
		kprintf(" ...");
}

/* The line under a block of yours that says which allocation it is: the
 * address alloc printed, or the ids of the sets its scattered pages are in. */
static void print_owner(unsigned state, const struct pmm_block *b, uintptr_t start,
			uintptr_t end)
{
	if (state == PMM_PAGE_SCATTERED) {
		unsigned count = 0;
		kprintf("\\nin");
		shell_each_set_in(start, end, print_set_id, &count);
	} else if (yours(state, b->holder)) {
		kprintf("\\n%lu page%s\\nat 0x%lx", (unsigned long)b->pages, plural(b->pages),
			(unsigned long)b->addr);
	}
}

static void print_edge(const struct dot_buddy *d, int parent, int id)
{
	if (parent < 0)
		kprintf("  seg%u -> s%u_%d;\n", d->segment, d->segment, id);
	else
		kprintf("  s%u_%d -> s%u_%d;\n", d->segment, parent, d->segment, id);
}

/* One block: "order 3 / 8 scattered / 0x80088000", then whose it is. Each
 * line is at most 14 letters: nine columns of them fit a 1920-pixel screen. */
static void print_block(struct dot_buddy *d, const struct pmm_tree_node *n)
{
	uintptr_t pages = (uintptr_t)1 << n->order;
	kprintf("  s%u_%d [fillcolor=\"%s\", label=\"order %u\\n", d->segment, n->id,
		colour_of(d, n->state, n->block.holder, n->order), n->order);
	if (n->state == PMM_PAGE_SCATTERED && pages > 1)
		kprintf("%lu scattered", (unsigned long)pages);
	else
		print_what(n->state, n->block.holder);
	kprintf("\\n0x%lx", (unsigned long)n->addr);
	print_owner(n->state, &n->block, n->addr, n->addr + pages * PMM_PAGE_SIZE);
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
	kprintf("  s%u_%d [fillcolor=\"%s\", shape=box3d, label=\"", d->segment, d->run_first.id,
		colour_of(d, d->run_kind, d->run_owner, d->run_first.order));
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
	if (d->run_kind == SPLIT) {
		kprintf("\\n%lu pages free", (unsigned long)d->run_free);
		if (d->run_yours)
			kprintf("\\n%lu pages yours", (unsigned long)d->run_yours);
	} else {
		print_owner(d->run_kind, &d->run_first.block, d->run_start, d->run_end);
	}
	kprintf("\"];\n");
	print_edge(d, -1, d->run_first.id);
	d->drawn++;
	d->run_count = 0;
}

/* Add the collected root to the pending run, starting a new run if it is
 * of another kind (or another allocation). */
static void add_to_run(struct dot_buddy *d, unsigned kind, size_t free_pages, size_t yours_pages)
{
	const struct pmm_tree_node *r = &d->root[0];
	unsigned owner = kind == PMM_PAGE_ALLOCATED ? r->block.holder : 0;
	uintptr_t alloc = kind == PMM_PAGE_ALLOCATED ? r->block.addr : 0;
	uintptr_t end = r->addr + (PMM_PAGE_SIZE << r->order);
	if (d->run_count > 0 && (kind != d->run_kind || owner != d->run_owner ||
				 alloc != d->run_alloc || r->order != d->run_first.order ||
				 r->addr != d->run_end))
		flush_run(d);
	if (d->run_count++ == 0) {
		d->run_kind = kind;
		d->run_owner = owner;
		d->run_alloc = alloc;
		d->run_start = r->addr;
		d->run_free = d->run_yours = 0;
		d->run_first = *r;
	}
	d->run_end = end;
	d->run_free += free_pages;
	d->run_yours += yours_pages;
}

/* Two leaves that one node can stand for: scattered pages, or pieces of
 * one allocation. */
static int alike(const struct pmm_tree_node *a, const struct pmm_tree_node *b)
{
	if (a->state != b->state)
		return 0;
	if (a->state == PMM_PAGE_SCATTERED)
		return 1;
	return a->state == PMM_PAGE_ALLOCATED && a->block.addr == b->block.addr;
}

/* Fold each split node whose two halves are alike leaves into one leaf,
 * from the bottom up, so a run of 256 scattered pages is one node, not 511.
 * Returns how many nodes are left to draw. root[] is in pre-order, so a
 * node's children come after it: walking backwards finishes them first. */
static unsigned fold_halves(struct dot_buddy *d)
{
	int base = d->root[0].id;
	unsigned left = d->nodes;
	for (unsigned i = 0; i < d->nodes; i++)
		d->kids[i] = 0, d->alike[i] = 1;
	for (unsigned i = d->nodes; i-- > 0;) {
		struct pmm_tree_node *n = &d->root[i];
		if (n->state == PMM_PAGE_INSIDE && d->kids[i] == 2 && d->alike[i]) {
			const struct pmm_tree_node *half = &d->root[d->first[i]];
			n->state = half->state;
			n->block = half->block;
			left -= 2;
		}
		if (n->parent < 0)
			continue;
		unsigned p = (unsigned)(n->parent - base);
		if (n->state == PMM_PAGE_INSIDE ||
		    (d->kids[p] > 0 && !alike(n, &d->root[d->first[p]])))
			d->alike[p] = 0;
		if (d->kids[p]++ == 0)
			d->first[p] = (short)i;
	}
	return left;
}

/* Draw the folded subtree: a node whose parent became a leaf is not drawn,
 * and neither are its children (its parent is not drawn then either). */
static void draw_root(struct dot_buddy *d)
{
	int base = d->root[0].id;
	for (unsigned i = 0; i < d->nodes; i++) {
		struct pmm_tree_node *n = &d->root[i];
		if (n->parent >= 0) {
			const struct pmm_tree_node *p = &d->root[n->parent - base];
			if (p->state != PMM_PAGE_INSIDE || d->kids[n->parent - base] == 0xff) {
				d->kids[i] = 0xff; /* hidden */
				continue;
			}
		}
		print_block(d, n);
	}
}

/* A whole root's subtree is in d->root[]: fold it, or draw it. */
static void finish_root(struct dot_buddy *d)
{
	if (d->nodes == 0)
		return;
	const struct pmm_tree_node *r = &d->root[0];
	size_t free_pages = 0, yours_pages = 0;
	for (unsigned i = 0; i < d->nodes; i++) {
		size_t pages = (size_t)1 << d->root[i].order;
		if (d->root[i].state == PMM_PAGE_FREE)
			free_pages += pages;
		else if (yours(d->root[i].state, d->root[i].block.holder))
			yours_pages += pages;
	}
	unsigned nodes = fold_halves(d);
	if (d->drawn + 2 > MAX_NODES) {
		add_to_run(d, SPLIT, free_pages, yours_pages); /* over budget: everything folds */
	} else if (r->state != PMM_PAGE_INSIDE) {
		add_to_run(d, r->state, free_pages, yours_pages);
	} else if (d->drawn + nodes + 2 <= MAX_NODES) {
		flush_run(d);
		draw_root(d);
	} else {
		add_to_run(d, SPLIT, free_pages, yours_pages);
	}
	d->nodes = 0;
}

static void collect(const struct pmm_tree_node *n, void *ctx)
{
	struct dot_buddy *d = ctx;
	if (d->stopped)
		return;
	if (++d->seen % DOT_REPORT_EVERY == 0 &&
	    progress_report("dot", d->pages_before + (n->addr - d->segment_start) / PMM_PAGE_SIZE,
			    pmm_total_pages())) {
		d->stopped = 1;
		return;
	}
	if (n->parent < 0)
		finish_root(d);
	if (d->nodes < ROOT_NODES)
		d->root[d->nodes++] = *n;
}

/* The segment's folder; with frag, it states how much of its free memory a
 * 1 MiB request cannot use, and its longest free run. */
static void print_segment(struct dot_buddy *d, unsigned i)
{
	struct pmm_segment_info info;
	pmm_segment_info(i, &info);
	d->used |= 1ul << C_SEGMENT;
	kprintf("  seg%u [shape=folder, fillcolor=\"%s\", label=\"seg%u\\n0x%lx-0x%lx\\n"
		"%lu pages\\n%lu free", i, colours[C_SEGMENT].fill, i, (unsigned long)info.start,
		(unsigned long)info.end, (unsigned long)info.pages, (unsigned long)info.free_pages);
	if (frag) {
		unsigned index = pmm_unusable_index(i, PMM_MAX_ORDER);
		size_t run = pmm_segment_longest_free_run(i);
		kprintf("\\nunusable for\\n1 MiB: %u.%03u\\nlongest free run:\\n%lu page%s",
			index / PMM_INDEX_ONE, index % PMM_INDEX_ONE, (unsigned long)run, plural(run));
	}
	kprintf("\"];\n");
}

int dot_buddy(int by_fragmentation)
{
	static struct dot_buddy d; /* 40 KiB: not on the kernel stack */

	frag = by_fragmentation;
	d.pages_before = d.seen = 0;
	shell_progress_in_graph();
	d.stopped = progress_report("dot", 0, pmm_total_pages());
	kprintf("digraph buddy {\n");
	/* Left to right, close together: the width stays that of nine orders. */
	kprintf("  rankdir=LR;\n  ranksep=0.15;\n  nodesep=0.1;\n");
	kprintf("  node [shape=box, style=filled, fontname=\"monospace\", fontsize=11];\n");
	d.drawn = 0;
	d.used = 0;
	for (unsigned i = 0; i < pmm_segment_count() && !d.stopped; i++) {
		struct pmm_segment_info info;
		pmm_segment_info(i, &info);
		print_segment(&d, i);
		d.drawn++;
		d.segment = i;
		d.segment_start = info.start;
		d.nodes = 0;
		d.run_count = 0;
		pmm_tree_walk(i, collect, &d);
		if (d.stopped)
			break;
		finish_root(&d);
		flush_run(&d);
		d.pages_before += info.pages;
	}
	dot_legend(colours, NR_COLOURS, d.used);
	kprintf("}\n");
	return d.stopped;
}
