/**
 * @file dot_layout.c
 * @brief dot layout: what lies where in physical and virtual memory, as a
 *        Graphviz picture drawn from the running kernel's own numbers.
 *
 * Two stacks of boxes, high addresses at the top, each edge labelled with
 * its address: physical memory (the memory map the machine reported, the
 * kernel image from its linker symbols, the page manager's segments and
 * page arrays) and virtual memory (the kernel's address space: RAM at
 * va = pa, the image W^X, the guard pages, the devices, the window of the
 * shell's `map`, and the addresses no page table can reach). Boxes are
 * whole pages; a mapped box says the flags of its first page, as the page
 * tables hold them. Each kind of box has its colour, and a legend names
 * every colour used.
 *
 * How a stack is made: every range that might lie somewhere is a
 * candidate, listed most important first (a device before the reserved
 * range around it, the kernel image before "reserved"). Their edges cut
 * the addresses into pieces; each piece is the first candidate that holds
 * it, or "nothing"; neighbours of the same candidate join into one box.
 */
#include "boot.h"
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "pt_fold.h"
#include "vm.h"
#include "vm_kernel.h"

/* The kinds of box, each drawn in its own colour. */
enum kind {
	K_NOTHING,     /* no RAM, nothing mapped */
	K_PAGES,       /* pages the page manager hands out */
	K_ARRAY,       /* a segment's page array */
	K_KERNEL,      /* the kernel image */
	K_RESERVED,    /* reserved by firmware or for boot information */
	K_RAM,         /* RAM nobody uses */
	K_DEVICE,      /* device registers */
	K_DIRECT,      /* RAM mapped at va = pa */
	K_GUARD,       /* left unmapped on purpose */
	K_WINDOW,      /* the window of the shell's map command */
	K_NONCANONICAL, /* addresses no page table can map */
	NR_KINDS
};

static const struct dot_colour kinds[NR_KINDS] = {
	[K_NOTHING] = { "white", "nothing: no RAM, or not mapped" },
	[K_PAGES] = { "palegreen", "pages the page manager hands out" },
	[K_ARRAY] = { "khaki", "page array: an entry per page" },
	[K_KERNEL] = { "lightskyblue", "kernel image (its linker symbols)" },
	[K_RESERVED] = { "sandybrown", "reserved: firmware, boot info" },
	[K_RAM] = { "lightgray", "RAM the page manager does not use" },
	[K_DEVICE] = { "plum", "device registers" },
	[K_DIRECT] = { "lightcyan", "RAM at va = pa (the direct map)" },
	[K_GUARD] = { "tomato", "guard page: unmapped, faults" },
	[K_WINDOW] = { "gold", "window of the shell's map" },
	[K_NONCANONICAL] = { "gray", "not canonical: never mapped" },
};

/* A range that may show in a stack. @seg: a segment's number (its label
 * says how many pages are free), or -1. */
struct candidate {
	uintptr_t start, end;
	enum kind kind;
	const char *what;
	int seg;
};

/* Enough for every range of struct boot_memory, two per segment, and the
 * kernel's own; the edges of all of them. */
#define MAX_CANDIDATES (3 * BOOT_MEMORY_MAX + 2 * PMM_MAX_SEGMENTS + 16)
#define MAX_EDGES (2 * MAX_CANDIDATES + 2)

static struct candidate cands[MAX_CANDIDATES];
static unsigned nr_cands;
static uintptr_t edges[MAX_EDGES];
static unsigned nr_edges;
static unsigned used_kinds; /* a bit per kind drawn, for the legend */

#define PAGE_DOWN(x) ((x) & ~(VM_SIZE_4K - 1))
#define PAGE_UP(x) PAGE_DOWN((x) + VM_SIZE_4K - 1)

/* Add a candidate, widened to whole pages (an empty one is dropped). */
static void add(uintptr_t start, uintptr_t end, enum kind kind, const char *what, int seg)
{
	start = PAGE_DOWN(start);
	end = PAGE_UP(end);
	if (end <= start || nr_cands == MAX_CANDIDATES)
		return;
	cands[nr_cands++] = (struct candidate){ start, end, kind, what, seg };
}

/* @bytes in the largest unit it reaches, whole or with one decimal. */
static void print_size(uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >> (10 * (u + 1)) != 0)
		u++;
	uint64_t unit = (uint64_t)1 << (10 * u);
	uint64_t whole = bytes / unit, tenths = (bytes % unit * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (bytes % unit == 0)
		kprintf("%lu %s", (unsigned long)whole, units[u]);
	else
		kprintf("%lu.%lu %s", (unsigned long)whole, (unsigned long)tenths, units[u]);
}

/* @s with the characters HTML labels give a meaning to escaped. */
static void print_html(const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			kprintf("&lt;");
		else if (*s == '>')
			kprintf("&gt;");
		else if (*s == '&')
			kprintf("&amp;");
		else if (*s == '"')
			kprintf("&quot;");
		else
			kprintf("%c", *s);
	}
}

/* The candidate that holds the piece starting at @addr, or NULL. */
static const struct candidate *owner(uintptr_t addr)
{
	for (unsigned i = 0; i < nr_cands; i++)
		if (cands[i].start <= addr && addr < cands[i].end)
			return &cands[i];
	return NULL;
}

/* Every candidate's edges and @bottom, @top, sorted, each once. */
static void collect_edges(uintptr_t bottom, uintptr_t top)
{
	nr_edges = 0;
	edges[nr_edges++] = bottom;
	edges[nr_edges++] = top;
	for (unsigned i = 0; i < nr_cands; i++) {
		edges[nr_edges++] = cands[i].start < bottom ? bottom : cands[i].start;
		edges[nr_edges++] = cands[i].end > top ? top : cands[i].end;
	}
	/* Insertion sort, dropping repeats: a few dozen edges. */
	unsigned n = 0;
	for (unsigned i = 0; i < nr_edges; i++) {
		uintptr_t e = edges[i];
		unsigned j = n;
		while (j > 0 && edges[j - 1] > e)
			j--;
		if (j > 0 && edges[j - 1] == e)
			continue;
		for (unsigned k = n; k > j; k--)
			edges[k] = edges[k - 1];
		edges[j] = e;
		n++;
	}
	nr_edges = n;
}

/* A row with one edge's address (@text instead, if not NULL), left of the
 * boxes; it straddles the edge between two boxes. The @top edge's row has
 * an empty cell where the boxes begin just below. */
static void print_edge(const char *text, uintptr_t addr, int top)
{
	kprintf("<TR><TD ROWSPAN=\"2\" BORDER=\"0\" ALIGN=\"RIGHT\">");
	if (text)
		kprintf("%s", text);
	else
		kprintf("0x%lx", (unsigned long)addr);
	kprintf("</TD>%s</TR>\n", top ? "<TD BORDER=\"0\"></TD>" : "");
}

/* A box for [start, end) (end 0: the top of the 64-bit space). */
static void print_box(uintptr_t start, uintptr_t end, const struct candidate *c, int virt)
{
	enum kind kind = c ? c->kind : K_NOTHING;
	used_kinds |= 1u << kind;
	kprintf("<TR><TD ROWSPAN=\"2\" BGCOLOR=\"%s\">", kinds[kind].fill);
	if (c && c->seg >= 0) {
		struct pmm_segment_info info;
		pmm_segment_info((unsigned)c->seg, &info);
		if (kind == K_ARRAY)
			kprintf("page array of seg%d", c->seg);
		else
			kprintf("seg%d: %lu pages, %lu free", c->seg, (unsigned long)info.pages,
				(unsigned long)info.free_pages);
	} else {
		print_html(c ? c->what : virt ? "not mapped" : "no RAM");
	}
	kprintf("<BR/>");
	print_size((uint64_t)(end - start));
	struct vm_walk walk;
	if (virt && vm_translate(&kernel_space, start, &walk) == VM_OK && walk.mapped) {
		char flags[8];
		pt_flags_text(walk.flags, flags);
		kprintf(", %s%s", flags, (walk.flags & VM_DEVICE) ? " device" : "");
	}
	kprintf("</TD></TR>\n");
}

/* Open a stack's table: its title and what it says about itself. */
static void begin_stack(const char *name, const char *title)
{
	kprintf("  %s [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
		"CELLPADDING=\"3\">\n<TR><TD COLSPAN=\"2\" BORDER=\"0\"><B>%s</B><BR/>", name,
		title);
}

/* The boxes between edges[] high to low, neighbours of one candidate
 * joined, each followed by its lower edge. */
static void print_stack(int virt)
{
	unsigned hi = nr_edges - 1;
	while (hi > 0) {
		const struct candidate *c = owner(edges[hi - 1]);
		unsigned lo = hi - 1;
		while (lo > 0 && owner(edges[lo - 1]) == c)
			lo--;
		print_box(edges[lo], edges[hi], c, virt);
		print_edge(NULL, edges[lo], 0);
		hi = lo;
	}
	/* The bottom edge's row straddles one more, empty. */
	kprintf("<TR><TD BORDER=\"0\"></TD></TR>\n</TABLE>>];\n");
}

static void physical(void)
{
	const struct boot_memory *m = boot_memory_map();
	uint64_t ram = 0;
	uintptr_t top = 0;

	nr_cands = 0;
	for (size_t i = 0; i < m->nr_devices; i++)
		add(m->devices[i].start, m->devices[i].end, K_DEVICE, m->devices[i].what, -1);
	for (unsigned s = 0; s < pmm_segment_count(); s++) {
		struct pmm_segment_info info;
		pmm_segment_info(s, &info);
		add(info.array_start, info.array_start + info.array_pages * PMM_PAGE_SIZE, K_ARRAY,
		    "page array", (int)s);
		add(info.start, info.end, K_PAGES, "pages", (int)s);
	}
	add((uintptr_t)_kernel_start, (uintptr_t)_kernel_end, K_KERNEL, "kernel image", -1);
	for (size_t i = 0; i < m->nr_reserved; i++)
		add(m->reserved[i].start, m->reserved[i].end, K_RESERVED, m->reserved[i].what, -1);
	for (size_t i = 0; i < m->nr_ram; i++) {
		add(m->ram[i].start, m->ram[i].end, K_RAM, "RAM, not used", -1);
		ram += m->ram[i].end - m->ram[i].start;
	}
	for (unsigned i = 0; i < nr_cands; i++)
		if (cands[i].end > top)
			top = cands[i].end;
	collect_edges(0, top);

	begin_stack("physical", "physical memory");
	kprintf("RAM ");
	print_size(ram);
	kprintf(" in %lu range%s</TD></TR>\n", (unsigned long)m->nr_ram, plural(m->nr_ram));
	print_edge(NULL, top, 1);
	print_stack(0);
}

/* The virtual addresses, up to the top of the canonical lower half; the
 * rest of the 64-bit space is two boxes above it. */
static void virtual(void)
{
	const struct boot_memory *m = boot_memory_map();
	uintptr_t guard = arch_stack_slot(0); /* the boot CPU's slot starts with it */
	uintptr_t others = arch_stack_slot(1), stacks_end = arch_stack_slot(ARCH_MAX_CPUS);
	struct vm_info info;
	vm_get_info(&info);
	uintptr_t half = (uintptr_t)1 << (info.va_bits - 1);

	nr_cands = 0;
	add(0, VM_SIZE_4K, K_GUARD, "null page", -1);
	add(guard, guard + VM_SIZE_4K, K_GUARD, "boot stack guard page", -1);
	add((uintptr_t)_kernel_start, (uintptr_t)_etext, K_KERNEL, "kernel text", -1);
	add((uintptr_t)_etext, (uintptr_t)_erodata, K_KERNEL, "kernel read-only data", -1);
	add((uintptr_t)_erodata, guard, K_KERNEL, "kernel data", -1);
	add(guard + ARCH_GUARD_SIZE, others, K_KERNEL, "boot stack", -1);
	add(others, stacks_end, K_KERNEL, "the other CPUs' stacks, a guard page below each", -1);
	add(stacks_end, (uintptr_t)_kernel_end, K_KERNEL, "the rest of bss", -1);
	for (size_t i = 0; i < m->nr_devices; i++)
		add(m->devices[i].start, m->devices[i].end, K_DEVICE, m->devices[i].what, -1);
	/* RAM as vm_kernel_init() maps it: only its whole pages. */
	for (size_t i = 0; i < m->nr_ram; i++)
		add(PAGE_UP(m->ram[i].start), PAGE_DOWN(m->ram[i].end), K_DIRECT, "RAM, va = pa",
		    -1);
	add(VM_DEMO_START, VM_DEMO_END, K_WINDOW, "window of map", -1);
	collect_edges(0, half);

	begin_stack("virtual", "virtual memory");
	kprintf("%s: %u-bit addresses</TD></TR>\n", info.name, info.va_bits);
	/* Above the lower half: the non-canonical hole, then the upper half. */
	print_edge("0x10000000000000000", 0, 1);
	struct candidate upper = { 0, 0, K_NOTHING, "upper half: not used", -1 };
	struct candidate hole = { 0, 0, K_NONCANONICAL, "not canonical", -1 };
	print_box(0 - half, 0, &upper, 1);
	print_edge(NULL, 0 - half, 0);
	print_box(half, 0 - half, &hole, 1);
	print_edge(NULL, half, 0);
	print_stack(1);
}

void dot_layout(void)
{
	used_kinds = 0;
	kprintf("digraph layout {\n");
	kprintf("  label=\"Pagoda's memory on %s\\nhigh addresses at the top; boxes are "
		"whole pages;\\na mapped box shows the flags of its first page\";\n", arch_name());
	kprintf("  labelloc=t;\n  nodesep=0.2;\n  fontname=\"monospace\";\n  fontsize=11;\n");
	kprintf("  node [shape=plaintext, fontname=\"monospace\", fontsize=11];\n");
	physical();
	virtual();
	dot_legend(kinds, NR_KINDS, used_kinds);
	/* An edge nobody sees puts the legend under the physical stack, which
	 * keeps the picture narrow. */
	kprintf("  physical -> legend [style=invis];\n}\n");
}
