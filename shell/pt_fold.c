/**
 * @file pt_fold.c
 * @brief Fold a page-table visit so that 60 identical 2 MiB leaves print as
 *        one line (or one graph node), not 60.
 */
#include "pt_fold.h"
#include "vm.h"
#include "vm_kernel.h"

static void flush(struct pt_fold *f)
{
	if (f->active)
		f->run(&f->current, f->ctx);
	f->active = 0;
}

static void on_entry(unsigned level, uintptr_t va, uintptr_t size, uint64_t entry, int leaf,
		     void *ctx)
{
	struct pt_fold *f = ctx;
	struct vm_entry e;
	unsigned index = vm_level_index(va, level);
	(void)size;
	(void)leaf;

	vm_entry_decode(entry, level, &e);
	if (!e.leaf) {
		flush(f);
		f->table(level, index, va, e.size, e.address, f->ctx);
		return;
	}
	struct pt_run *r = &f->current;
	if (f->active && r->level == level && r->flags == e.flags &&
	    r->va + r->count * e.size == va && r->pa + r->count * e.size == e.address) {
		r->count++;
		return;
	}
	flush(f);
	*r = (struct pt_run){ level, index, va, e.address, e.size, 1, e.flags };
	f->active = 1;
}

void pt_fold_visit(struct pt_fold *fold, uintptr_t start, uintptr_t end)
{
	fold->active = 0;
	vm_visit(&kernel_space, start, end, on_entry, fold);
	flush(fold);
}

void pt_flags_text(unsigned flags, char out[8])
{
	char *p = out;
	*p++ = (flags & VM_READ) ? 'r' : '-';
	*p++ = (flags & VM_WRITE) ? 'w' : '-';
	*p++ = (flags & VM_EXEC) ? 'x' : '-';
	if (flags & VM_USER)
		*p++ = 'u';
	if (flags & VM_GLOBAL)
		*p++ = 'g';
	*p = '\0';
}

const char *pt_size_text(uintptr_t size)
{
	return size == VM_SIZE_1G ? "1G" : size == VM_SIZE_2M ? "2M" : size == VM_SIZE_4K ? "4K"
											  : "?";
}
