/**
 * @file cmd_kmalloc.c
 * @brief kmalloc, kfree, allocators and dot alloc: the allocator layer, typed.
 */
#include "commands.h"
#include "kprintf.h"
#include "memm.h"
#include "kstring.h"

void cmd_kmalloc(int argc, char **argv)
{
	uint64_t bytes, pid = 0;
	void *ptr;

	if (!parse_number(argv[1], &bytes) || bytes == 0 || bytes > MEMM_MAX_BYTES) {
		shell_error("'%s' is not a size from 1 to %lu bytes", argv[1],
			    (unsigned long)MEMM_MAX_BYTES);
		return;
	}
	if (argc == 3 && (!parse_number(argv[2], &pid) || pid > 0xffffffffu)) {
		shell_error("'%s' is not a pid", argv[2]);
		return;
	}
	int err = kmalloc_pid((size_t)bytes, (unsigned)pid, &ptr);
	if (err != MEMM_OK) {
		shell_error("cannot allocate %lu bytes: %s", (unsigned long)bytes, memm_strerror(err));
		return;
	}
	kprintf("allocated %lu bytes at 0x%lx\n", (unsigned long)bytes, (unsigned long)ptr);
}

void cmd_kfree(int argc, char **argv)
{
	uintptr_t addr;
	size_t bytes;
	(void)argc;

	if (!parse_address(argv[1], &addr)) {
		shell_error("'%s' is not an address", argv[1]);
		return;
	}
	int err = kfree((void *)addr, &bytes);
	if (err != MEMM_OK) {
		shell_error("cannot free 0x%lx: %s", (unsigned long)addr, memm_strerror(err));
		return;
	}
	kprintf("freed %lu bytes at 0x%lx\n", (unsigned long)bytes, (unsigned long)addr);
}

static void print_allocator(const struct allocator *a, void *ctx)
{
	char type[24];
	(void)ctx;
	if (a->type == MEMM_SLAB)
		ksnprintf(type, sizeof(type), "slab-%lu", (unsigned long)a->object_size);
	else
		ksnprintf(type, sizeof(type), "%s", memm_type_name(a->type));
	kprintf("0x%-14lx %-10s %10u %8lu %8lu %s\n", (unsigned long)(uintptr_t)a, type, a->pid,
		(unsigned long)a->size, (unsigned long)a->used, a->full ? "yes" : "no");
}

void cmd_allocators(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("address          type              pid     size     used full\n");
	memm_for_each(print_allocator, NULL);
}

/* dot alloc draws the first DOT_ALLOC_MAX allocators by address; one node
 * stands for the rest, so the graph stays readable however many there are. */
#define DOT_ALLOC_MAX 200

enum alloc_colour { A_FULL, A_SLAB, A_OTHER, A_MORE, A_COLOURS };
static const struct dot_colour alloc_colours[A_COLOURS] = {
	[A_FULL] = { "salmon", "full allocator" },
	[A_SLAB] = { "lightblue", "slab with room" },
	[A_OTHER] = { "palegreen", "first fit with room" },
	[A_MORE] = { "lightgray", "not drawn: counted" },
};

struct dot_alloc {
	size_t seen;
	uintptr_t last_drawn; /* the highest address drawn */
	size_t more, more_used, more_size;
	unsigned long used; /* bit c: alloc_colours[c] was used */
};

static void find_cutoff(const struct allocator *a, void *ctx)
{
	struct dot_alloc *d = ctx;
	if (d->seen++ < DOT_ALLOC_MAX) {
		d->last_drawn = (uintptr_t)a;
	} else {
		d->more++;
		d->more_used += a->used;
		d->more_size += a->size;
	}
}

static void dot_node(const struct allocator *a, void *ctx)
{
	struct dot_alloc *d = ctx;
	if ((uintptr_t)a > d->last_drawn)
		return;
	enum alloc_colour c = a->full ? A_FULL : a->type == MEMM_SLAB ? A_SLAB : A_OTHER;
	d->used |= 1ul << c;
	kprintf("  a%lx [fillcolor=%s, label=\"%s", (unsigned long)(uintptr_t)a,
		alloc_colours[c].fill, memm_type_name(a->type));
	if (a->type == MEMM_SLAB)
		kprintf(" %lu", (unsigned long)a->object_size);
	kprintf("\\n0x%lx\\npid %u\\n%lu / %lu bytes\"];\n", (unsigned long)(uintptr_t)a, a->pid,
		(unsigned long)a->used, (unsigned long)a->size);
	const struct allocator *kids[2] = { a->left, a->right };
	for (int i = 0; i < 2; i++) {
		if (kids[i] == NULL)
			continue;
		kprintf("  a%lx -> ", (unsigned long)(uintptr_t)a);
		if ((uintptr_t)kids[i] > d->last_drawn)
			kprintf("more");
		else
			kprintf("a%lx", (unsigned long)(uintptr_t)kids[i]);
		kprintf(" [label=\"%s\"];\n", i == 0 ? "lower" : "higher");
	}
}

void dot_alloc(void)
{
	struct dot_alloc d = { 0, 0, 0, 0, 0, 0 };
	kprintf("digraph alloc {\n");
	kprintf("  node [shape=box, style=filled, fontname=\"monospace\"];\n");
	memm_for_each(find_cutoff, &d);
	if (memm_root())
		memm_for_each(dot_node, &d);
	else
		kprintf("  empty [label=\"no allocators\", style=dashed];\n");
	if (d.more) {
		d.used |= 1ul << A_MORE;
		kprintf("  more [shape=box3d, fillcolor=%s, label=\"%lu more allocator%s above "
			"0x%lx\\n%lu / %lu bytes\"];\n", alloc_colours[A_MORE].fill,
			(unsigned long)d.more, plural(d.more),
			(unsigned long)d.last_drawn, (unsigned long)d.more_used,
			(unsigned long)d.more_size);
	}
	if (d.used)
		dot_legend(alloc_colours, A_COLOURS, d.used);
	kprintf("}\n");
}
