/**
 * @file pmm_tree.c
 * @brief The buddy block tree: how a segment's blocks nest, for `dot buddy`.
 *
 * The tree is not stored anywhere: it follows from the blocks. A root is a
 * largest aligned block of the segment; a node is a leaf when it is exactly
 * a free block or lies inside one allocation (exact-length allocations cover
 * several aligned blocks), and is otherwise split in two. Nodes are visited
 * in address order, so one cursor over the segment's blocks finds the block
 * under every node.
 */
#include "pmm_buddy.h"

struct tree_walk {
	unsigned segment;
	size_t cursor;          /* pmm_walk() cursor, just past `block` */
	struct pmm_block block; /* the block containing the current node's start */
	int next_id;
	void (*fn)(const struct pmm_tree_node *node, void *ctx);
	void *ctx;
};

static void visit(struct tree_walk *w, uintptr_t addr, unsigned order, int parent)
{
	uintptr_t size = PMM_PAGE_SIZE << order;
	struct pmm_tree_node node = { w->next_id++, parent, PMM_PAGE_INSIDE, order, addr, w->block };

	while (w->block.addr + w->block.pages * PMM_PAGE_SIZE <= addr &&
	       pmm_walk(w->segment, &w->cursor, &w->block))
		;
	node.block = w->block;
	if (w->block.state == PMM_PAGE_FREE) {
		if (w->block.addr == addr && w->block.order == order)
			node.state = PMM_PAGE_FREE;
	} else if (w->block.addr <= addr &&
		   addr + size <= w->block.addr + w->block.pages * PMM_PAGE_SIZE) {
		node.state = w->block.state;
	}
	w->fn(&node, w->ctx);
	if (node.state == PMM_PAGE_INSIDE && order > 0) {
		visit(w, addr, order - 1, node.id);
		visit(w, addr + size / 2, order - 1, node.id);
	}
}

void pmm_tree_walk(unsigned segment, void (*fn)(const struct pmm_tree_node *node, void *ctx),
		   void *ctx)
{
	if (segment >= pmm.nr_segments)
		return;
	const struct pmm_segment *seg = &pmm.segments[segment];
	struct tree_walk w = { segment, 0, { 0 }, 0, fn, ctx };

	pmm_walk(segment, &w.cursor, &w.block);
	for (size_t index = 0; index < seg->pages;) {
		unsigned order = pmm_fit_order(seg, index, seg->pages);
		visit(&w, pmm_addr(seg, index), order, -1);
		index += (size_t)1 << order;
	}
}
