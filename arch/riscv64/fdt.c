/**
 * @file fdt.c
 * @brief Walk a flattened device tree (devicetree specification, chapter 5).
 *
 * The structure block is a stream of big-endian tokens: BEGIN_NODE (with the
 * node's name), PROP (length, name offset, value), END_NODE, END. A node's
 * properties come before its children, so a node is complete when its first
 * child begins or when it ends: that is when fdt_walk() reports it.
 */
#include "fdt.h"
#include "kstring.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap;
	uint32_t version, last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < cells; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

uint32_t fdt_size(const void *dtb)
{
	const struct fdt_header *h = dtb;
	if (dtb == NULL || be32(&h->magic) != FDT_MAGIC)
		return 0;
	return be32(&h->totalsize);
}

int fdt_name_is(const char *node_name, const char *name)
{
	size_t n = strlen(name);
	return strncmp(node_name, name, n) == 0 && (node_name[n] == '\0' || node_name[n] == '@');
}

int fdt_compatible(const struct fdt_node *node, const char *name)
{
	const char *s = node->compatible;
	const char *end = s + node->compatible_len;
	while (s && s < end) {
		if (strcmp(s, name) == 0)
			return 1;
		s += strlen(s) + 1;
	}
	return 0;
}

int fdt_reg(const struct fdt_node *node, size_t i, uint64_t *addr, uint64_t *size)
{
	uint32_t entry = 4 * (node->address_cells + node->size_cells);
	if (node->reg == NULL || entry == 0 || (i + 1) * entry > node->reg_len)
		return 0;
	*addr = read_cells(node->reg + i * entry, node->address_cells);
	*size = read_cells(node->reg + i * entry + 4 * node->address_cells, node->size_cells);
	return 1;
}

void fdt_memreserve(const void *dtb, void (*fn)(uint64_t addr, uint64_t size, void *ctx),
		    void *ctx)
{
	const struct fdt_header *h = dtb;
	const uint8_t *p = (const uint8_t *)dtb + be32(&h->off_mem_rsvmap);
	for (;; p += 16) {
		uint64_t addr = read_cells(p, 2), size = read_cells(p + 8, 2);
		if (addr == 0 && size == 0)
			return;
		fn(addr, size, ctx);
	}
}

/* Per open node: its record, and the cell sizes it sets for its children. */
struct level {
	struct fdt_node node;
	uint32_t child_address_cells, child_size_cells;
	int reported;
};

/* A walk in progress: the open nodes, the root at depth 0. */
struct walk {
	struct level stack[FDT_MAX_DEPTH + 1];
	int depth; /* -1 outside the root */
	void (*fn)(const struct fdt_node *node, void *ctx);
	void *ctx;
};

/* Report the node at the current depth once: its properties are all read. */
static void report_current(struct walk *w)
{
	if (w->depth > FDT_MAX_DEPTH)
		return;
	struct level *l = &w->stack[w->depth];
	if (l->reported)
		return;
	if (w->depth > 0) /* the root is no node of interest */
		w->fn(&l->node, w->ctx);
	l->reported = 1;
}

/* BEGIN_NODE: the parent is complete; open a child named @name. */
static void begin_node(struct walk *w, const char *name)
{
	if (w->depth >= 0)
		report_current(w);
	if (++w->depth > FDT_MAX_DEPTH)
		return; /* too deep: read past it, report nothing */
	struct level *l = &w->stack[w->depth];
	memset(l, 0, sizeof(*l));
	if (w->depth > 0) {
		const struct level *parent = &w->stack[w->depth - 1];
		for (int i = 0; i < w->depth - 1; i++)
			l->node.path[i] = parent->node.path[i];
		l->node.path[w->depth - 1] = name;
		l->node.address_cells = parent->child_address_cells;
		l->node.size_cells = parent->child_size_cells;
	}
	l->node.depth = w->depth;
	/* Defaults from the devicetree specification. */
	l->child_address_cells = 2;
	l->child_size_cells = 1;
}

/* END_NODE: report a node that had no children, and close it. */
static int end_node(struct walk *w)
{
	if (w->depth < 0)
		return -1;
	report_current(w);
	w->depth--;
	return 0;
}

/* PROP: keep the properties the kernel reads, of the node being read. */
static void add_property(struct walk *w, const char *name, const uint8_t *value, uint32_t len)
{
	if (w->depth < 0 || w->depth > FDT_MAX_DEPTH)
		return;
	struct level *l = &w->stack[w->depth];
	if (strcmp(name, "reg") == 0) {
		l->node.reg = value;
		l->node.reg_len = len;
	} else if (strcmp(name, "compatible") == 0) {
		l->node.compatible = (const char *)value;
		l->node.compatible_len = len;
	} else if (strcmp(name, "status") == 0) {
		l->node.status = (const char *)value;
	} else if (strcmp(name, "device_type") == 0) {
		l->node.device_type = (const char *)value;
	} else if (strcmp(name, "interrupts") == 0 && len >= 4) {
		l->node.interrupt = be32(value);
	} else if (strcmp(name, "#address-cells") == 0 && len == 4) {
		l->child_address_cells = be32(value);
	} else if (strcmp(name, "#size-cells") == 0 && len == 4) {
		l->child_size_cells = be32(value);
	}
}

int fdt_walk(const void *dtb, void (*fn)(const struct fdt_node *node, void *ctx), void *ctx)
{
	const struct fdt_header *h = dtb;
	if (fdt_size(dtb) == 0)
		return -1;
	const uint8_t *p = (const uint8_t *)dtb + be32(&h->off_dt_struct);
	const uint8_t *end = p + be32(&h->size_dt_struct);
	const char *strings = (const char *)dtb + be32(&h->off_dt_strings);
	struct walk w = { .depth = -1, .fn = fn, .ctx = ctx };

	while (p + 4 <= end) {
		uint32_t token = be32(p);
		p += 4;
		switch (token) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)p;
			p += (strlen(name) + 4) & ~(size_t)3; /* name, NUL, padding to 4 bytes */
			begin_node(&w, name);
			break;
		}
		case FDT_END_NODE:
			if (end_node(&w) != 0)
				return -1;
			break;
		case FDT_PROP: {
			uint32_t len = be32(p);
			const char *name = strings + be32(p + 4);
			add_property(&w, name, p + 8, len);
			p += 8 + ((len + 3) & ~(uint32_t)3);
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return w.depth == -1 ? 0 : -1;
		default:
			return -1;
		}
	}
	return -1;
}
