/**
 * @file cmd_vm.c
 * @brief map, unmap, vtop and pt: the kernel's page tables, typed.
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "pt_fold.h"
#include "string.h"
#include "vm.h"
#include "vm_kernel.h"

static int parse_flags(const char *word, unsigned *flags)
{
	static const struct {
		const char *name;
		unsigned flags;
	} table[] = {
		{ "r", VM_READ }, { "rw", VM_READ | VM_WRITE }, { "rx", VM_READ | VM_EXEC },
		{ "rwx", VM_READ | VM_WRITE | VM_EXEC },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(word, table[i].name) == 0) {
			*flags = table[i].flags;
			return 1;
		}
	}
	return 0;
}

/* The "0x<va> <pages>" that map and unmap start with; prints any error. */
static int parse_va_pages(char **argv, uintptr_t *va, size_t *pages)
{
	uint64_t v;
	if (!parse_address(argv[1], va)) {
		shell_error("'%s' is not an address like 0x2000000000", argv[1]);
		return 0;
	}
	if (!parse_number(argv[2], &v) || v == 0 || v > (VM_DEMO_END - VM_DEMO_START) / VM_SIZE_4K) {
		shell_error("'%s' is not a page count from 1 to the window size", argv[2]);
		return 0;
	}
	*pages = (size_t)v;
	return 1;
}

void cmd_map(int argc, char **argv)
{
	uintptr_t va, pa = 0;
	size_t pages;
	unsigned flags = VM_READ | VM_WRITE;
	int auto_pages = 1;

	if (argc < 3 || argc > 5) {
		shell_usage("map");
		return;
	}
	if (!parse_va_pages(argv, &va, &pages))
		return;
	for (int i = 3; i < argc; i++) {
		if (i == 3 && strcmp(argv[i], "auto") == 0)
			continue;
		if (i == 3 && parse_address(argv[i], &pa)) {
			auto_pages = 0;
			continue;
		}
		if (!parse_flags(argv[i], &flags)) {
			shell_error("'%s' is not 0x<pa>, auto, or one of r rw rx rwx", argv[i]);
			return;
		}
	}
	int err = vm_demo_map(va, pages, auto_pages, pa, flags);
	if (err != VM_OK) {
		shell_error("cannot map 0x%lx: %s", (unsigned long)va, vm_strerror(err));
		return;
	}
	kprintf("mapped %lu pages at 0x%lx\n", (unsigned long)pages, (unsigned long)va);
}

void cmd_unmap(int argc, char **argv)
{
	uintptr_t va;
	size_t pages;

	if (argc != 3) {
		shell_usage("unmap");
		return;
	}
	if (!parse_va_pages(argv, &va, &pages))
		return;
	int err = vm_demo_unmap(va, pages);
	if (err != VM_OK) {
		shell_error("cannot unmap 0x%lx: %s", (unsigned long)va, vm_strerror(err));
		return;
	}
	kprintf("unmapped %lu pages at 0x%lx\n", (unsigned long)pages, (unsigned long)va);
}

static void print_step(const struct vm_step *s, int last, const struct vm_walk *w)
{
	kprintf("  L%u[%u] entry 0x%016lx", s->level, s->index, (unsigned long)s->entry);
	if (!arch_pt_format()->is_present(s->entry)) {
		kprintf(" not present\n");
	} else if (last && w->mapped) {
		char flags[8];
		pt_flags_text(w->flags, flags);
		kprintf(" leaf %s %s -> 0x%lx\n", pt_size_text(w->size), flags,
			(unsigned long)arch_pt_format()->address(s->entry));
	} else {
		kprintf(" -> table 0x%lx\n", (unsigned long)arch_pt_format()->address(s->entry));
	}
}

void cmd_vtop(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk walk;

	if (argc != 2) {
		shell_usage("vtop");
		return;
	}
	if (!parse_address(argv[1], &va)) {
		shell_error("'%s' is not an address like 0x80200000", argv[1]);
		return;
	}
	int err = vm_translate(&kernel_space, va, &walk);
	if (err == VM_ERR_RANGE) {
		shell_error("0x%lx is outside the %u-bit address space", (unsigned long)va,
			    arch_pt_format()->va_bits);
		return;
	}
	if (!walk.mapped) {
		shell_error("0x%lx is not mapped (no entry at level %u)", (unsigned long)va,
			    walk.nr_steps - 1);
		return;
	}
	char flags[8];
	pt_flags_text(walk.flags, flags);
	kprintf("0x%lx -> 0x%lx %s %s\n", (unsigned long)va, (unsigned long)walk.pa,
		pt_size_text(walk.size), flags);
	for (unsigned i = 0; i < walk.nr_steps; i++)
		print_step(&walk.steps[i], i + 1 == walk.nr_steps, &walk);
}

static void indent(unsigned level)
{
	for (unsigned i = 0; i < level; i++)
		kprintf("  ");
}

static void print_table(unsigned level, unsigned index, uintptr_t va, uintptr_t size,
			uintptr_t table_pa, void *ctx)
{
	(void)ctx;
	indent(level);
	kprintf("L%u[%u] 0x%lx-0x%lx -> table 0x%lx\n", level, index, (unsigned long)va,
		(unsigned long)(va + size), (unsigned long)table_pa);
}

static void print_run(const struct pt_run *r, void *ctx)
{
	char flags[8];
	(void)ctx;
	pt_flags_text(r->flags, flags);
	indent(r->level);
	kprintf("L%u[%u..%lu] 0x%lx-0x%lx %lu x %s %s -> 0x%lx\n", r->level, r->index,
		(unsigned long)(r->index + r->count - 1), (unsigned long)r->va,
		(unsigned long)(r->va + r->count * r->size), (unsigned long)r->count,
		pt_size_text(r->size), flags, (unsigned long)r->pa);
}

void cmd_pt(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk walk;

	if (argc > 2) {
		shell_usage("pt");
		return;
	}
	if (argc == 1) {
		struct pt_fold fold = { .table = print_table, .run = print_run };
		struct vm_stats st;
		vm_get_stats(&st);
		kprintf("%s page tables, root 0x%lx, %lu table pages\n", arch_pt_format()->name,
			(unsigned long)kernel_space.root, (unsigned long)st.table_pages);
		pt_fold_visit(&fold, 0, UINTPTR_MAX);
		return;
	}
	if (!parse_address(argv[1], &va)) {
		shell_error("'%s' is not an address like 0x80200000", argv[1]);
		return;
	}
	if (vm_translate(&kernel_space, va, &walk) == VM_ERR_RANGE) {
		shell_error("0x%lx is outside the %u-bit address space", (unsigned long)va,
			    arch_pt_format()->va_bits);
		return;
	}
	kprintf("walk of 0x%lx from root 0x%lx:\n", (unsigned long)va,
		(unsigned long)kernel_space.root);
	for (unsigned i = 0; i < walk.nr_steps; i++)
		print_step(&walk.steps[i], i + 1 == walk.nr_steps, &walk);
	if (walk.mapped)
		kprintf("0x%lx -> 0x%lx\n", (unsigned long)va, (unsigned long)walk.pa);
	else
		kprintf("0x%lx is not mapped\n", (unsigned long)va);
}
