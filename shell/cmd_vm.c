/**
 * @file cmd_vm.c
 * @brief map, unmap, vtop and pt: the kernel's page tables, typed; and
 *        `map ... lazy`, pages that arrive on their first access.
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "pt_fold.h"
#include "kstring.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"

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
	if (!parse_number(argv[2], &v) || v == 0 || v > VM_DEMO_PAGES) {
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
	int auto_pages = 1, lazy = 0;

	if (!parse_va_pages(argv, &va, &pages))
		return;
	for (int i = 3; i < argc; i++) {
		if (i == 3 && strcmp(argv[i], "auto") == 0)
			continue;
		if (i == 3 && strcmp(argv[i], "lazy") == 0) {
			lazy = 1;
			continue;
		}
		if (i == 3 && parse_address(argv[i], &pa)) {
			auto_pages = 0;
			continue;
		}
		if (!parse_flags(argv[i], &flags)) {
			shell_error("'%s' is not 0x<pa>, auto, lazy, or one of r rw rx rwx", argv[i]);
			return;
		}
	}
	if (lazy) {
		int err = vm_demo_reserve(va, pages, flags);
		if (err != VM_OK) {
			shell_error("cannot map 0x%lx: %s", (unsigned long)va, vm_strerror(err));
			return;
		}
		kprintf("reserved %lu lazy pages at 0x%lx\n", (unsigned long)pages,
			(unsigned long)va);
		return;
	}
	int err = vm_demo_map(va, pages, auto_pages, pa, flags);
	if (err == VM_ERR_UNALIGNED && (va & (VM_SIZE_4K - 1)) == 0) {
		/* The virtual address is aligned: the physical one is not. */
		shell_error("cannot map 0x%lx: physical address 0x%lx is not page aligned",
			    (unsigned long)va, (unsigned long)pa);
		return;
	}
	if (err == VM_ERR_NO_MEMORY) {
		size_t tables, needed = vm_demo_pages_needed(va, pages, auto_pages, pa, &tables);
		shell_error("cannot map 0x%lx: not enough free memory: %lu page%s needed "
			    "(%lu for page tables), %lu free", (unsigned long)va,
			    (unsigned long)needed, plural(needed), (unsigned long)tables,
			    (unsigned long)pmm_free_page_count());
		return;
	}
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
	(void)argc;

	if (!parse_va_pages(argv, &va, &pages))
		return;
	uintptr_t where;
	size_t done;
	int err = vm_demo_unmap(va, pages, &where, &done);
	if (err == VM_ERR_INTERRUPTED && done == 0) {
		shell_error("interrupted: nothing was unmapped");
		return;
	}
	if (err == VM_ERR_INTERRUPTED) {
		shell_error("interrupted: unmapped the first %lu page%s at 0x%lx; the %lu from 0x%lx "
			    "are still mapped", (unsigned long)done, plural(done), (unsigned long)va,
			    (unsigned long)(pages - done), (unsigned long)where);
		return;
	}
	if (err == VM_ERR_NOT_MAPPED || err == VM_ERR_LARGE_PAGE || err == VM_ERR_RESERVED) {
		shell_error("cannot unmap 0x%lx: 0x%lx %s", (unsigned long)va, (unsigned long)where,
			    err == VM_ERR_NOT_MAPPED ? "is not mapped"
			    : err == VM_ERR_LARGE_PAGE
				    ? "is in a large page that reaches outside the range"
				    : "is in a lazy reservation that reaches outside the range");
		return;
	}
	if (err != VM_OK) {
		shell_error("cannot unmap 0x%lx: %s", (unsigned long)va, vm_strerror(err));
		return;
	}
	kprintf("unmapped %lu pages at 0x%lx\n", (unsigned long)pages, (unsigned long)va);
}

void shell_lazy_no_memory(uintptr_t va)
{
	size_t tables, needed = vm_lazy_pages_needed(va, &tables);
	shell_error("cannot map lazy page 0x%lx: not enough free memory: %lu page%s needed "
		    "(%lu for page tables), %lu free", (unsigned long)(va & ~(VM_SIZE_4K - 1)),
		    (unsigned long)needed, plural(needed), (unsigned long)tables,
		    (unsigned long)pmm_free_page_count());
}

/* What vtop and pt say of a page reserved by `map ... lazy` but absent. */
#define LAZY_ABSENT "reserved, not present (a lazy page: its first access maps it)"

/* Refuse a non-canonical address (printing why); 1 if it may be walked. */
int shell_canonical(uintptr_t va)
{
	if (vm_is_canonical(va))
		return 1;
	struct vm_info info;
	vm_get_info(&info);
	unsigned top = info.va_bits - 1;
	shell_error("0x%lx is not canonical (bits 63-%u must all equal bit %u)", (unsigned long)va,
		    top + 1, top);
	return 0;
}

static void print_step(const struct vm_step *s)
{
	struct vm_entry e;
	vm_entry_decode(s->entry, s->level, &e);
	kprintf("  L%u[%u] entry 0x%016lx", s->level, s->index, (unsigned long)s->entry);
	if (!e.present) {
		kprintf(" not present\n");
	} else if (e.leaf) {
		char flags[8];
		pt_flags_text(e.flags, flags);
		kprintf(" leaf %s %s -> 0x%lx\n", pt_size_text(e.size), flags,
			(unsigned long)e.address);
	} else {
		kprintf(" -> table 0x%lx\n", (unsigned long)e.address);
	}
}

void cmd_vtop(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk walk;
	(void)argc;

	if (!parse_address(argv[1], &va)) {
		shell_error("'%s' is not an address like 0x80200000", argv[1]);
		return;
	}
	if (!shell_canonical(va))
		return;
	vm_translate(&kernel_space, va, &walk);
	if (!walk.mapped && vm_lazy_find(va, NULL)) {
		kprintf("0x%lx -> " LAZY_ABSENT "\n", (unsigned long)va);
		for (unsigned i = 0; i < walk.nr_steps; i++)
			print_step(&walk.steps[i]);
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
		print_step(&walk.steps[i]);
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

/* After the tables: the lazy reservations, which no table holds. */
static void print_reservations(void)
{
	struct vm_lazy_range r;
	for (size_t i = 0; vm_lazy_get(i, &r); i++) {
		char flags[8];
		pt_flags_text(r.flags, flags);
		kprintf("lazy 0x%lx-0x%lx %lu page%s %s reserved\n", (unsigned long)r.va,
			(unsigned long)(r.va + r.pages * VM_SIZE_4K), (unsigned long)r.pages,
			plural(r.pages), flags);
	}
}

void cmd_pt(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk walk;

	if (argc == 1) {
		struct pt_fold fold = { .table = print_table, .run = print_run };
		struct vm_stats st;
		struct vm_info info;
		vm_get_stats(&st);
		vm_get_info(&info);
		kprintf("%s page tables, root 0x%lx, %lu table page%s, %u-bit virtual and %u-bit "
			"physical addresses\n", info.name, (unsigned long)kernel_space.root,
			(unsigned long)st.table_pages, plural(st.table_pages), info.va_bits,
			info.pa_bits);
		pt_fold_visit(&fold, 0, UINTPTR_MAX);
		print_reservations();
		return;
	}
	if (!parse_address(argv[1], &va)) {
		shell_error("'%s' is not an address like 0x80200000", argv[1]);
		return;
	}
	if (!shell_canonical(va))
		return;
	vm_translate(&kernel_space, va, &walk);
	kprintf("walk of 0x%lx from root 0x%lx:\n", (unsigned long)va,
		(unsigned long)kernel_space.root);
	for (unsigned i = 0; i < walk.nr_steps; i++)
		print_step(&walk.steps[i]);
	if (walk.mapped)
		kprintf("0x%lx -> 0x%lx\n", (unsigned long)va, (unsigned long)walk.pa);
	else if (vm_lazy_find(va, NULL))
		kprintf("0x%lx is " LAZY_ABSENT "\n", (unsigned long)va);
	else
		kprintf("0x%lx is not mapped\n", (unsigned long)va);
}
