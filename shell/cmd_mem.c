/**
 * @file cmd_mem.c
 * @brief peek, poke and exec: touch memory through the page tables, and see
 *        the faults that the kernel survives.
 *
 * They never corrupt the kernel: poke writes only inside the demonstration
 * window, into pages that are free (nothing uses them: that is the
 * use-after-free that `poison on` catches), or where the page tables
 * forbid the write (so that it faults); exec only jumps where executing is
 * forbidden. Touching a lazy page faults once, and the fault handler maps
 * it: the access then runs again, unaware.
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "vm.h"
#include "vm_kernel.h"
#include "vm_lazy.h"

/* Parse an 8-byte-aligned address in the address space, or say why not. */
static int parse_target(const char *word, uintptr_t *va, struct vm_walk *walk)
{
	if (!parse_address(word, va)) {
		shell_error("'%s' is not an address like 0x2000000000", word);
		return 0;
	}
	if (*va & 7) {
		shell_error("0x%lx is not 8-byte aligned", (unsigned long)*va);
		return 0;
	}
	if (!shell_canonical(*va))
		return 0;
	vm_translate(&kernel_space, *va, walk);
	return 1;
}

void cmd_peek(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk walk;
	(void)argc;

	if (!parse_target(argv[1], &va, &walk))
		return;
	uint64_t value = *(volatile uint64_t *)va;
	kprintf("0x%lx: 0x%016lx\n", (unsigned long)va, (unsigned long)value);
}

void cmd_poke(int argc, char **argv)
{
	uintptr_t va;
	uint64_t value;
	struct vm_walk walk;
	(void)argc;

	if (!parse_target(argv[1], &va, &walk))
		return;
	if (!parse_number(argv[2], &value)) {
		shell_error("'%s' is not a number", argv[2]);
		return;
	}
	int in_window = vm_demo_contains(va, 1);
	struct pmm_block block;
	int free_page = walk.mapped && walk.pa == va && pmm_find_block(va, &block) == PMM_OK &&
			block.state == PMM_PAGE_FREE;
	if (!in_window && !free_page && walk.mapped && (walk.flags & VM_WRITE)) {
		shell_error("0x%lx is the kernel's own writable memory: poke writes only in the "
			    "window 0x%lx-0x%lx, into free pages, or where the write faults",
			    (unsigned long)va, (unsigned long)VM_DEMO_START, (unsigned long)VM_DEMO_END);
		return;
	}
	*(volatile uint64_t *)va = value;
	kprintf("0x%lx: 0x%016lx written\n", (unsigned long)va, (unsigned long)value);
}

void cmd_exec(int argc, char **argv)
{
	uintptr_t va;
	struct vm_walk walk;
	(void)argc;

	if (!parse_target(argv[1], &va, &walk))
		return;
	struct vm_lazy_range lazy;
	/* An executable lazy page would be mapped, full of zeros, and run. */
	if ((walk.mapped && (walk.flags & VM_EXEC)) ||
	    (!walk.mapped && vm_lazy_find(va, &lazy) && (lazy.flags & VM_EXEC))) {
		shell_error("0x%lx is executable: exec only jumps where executing faults",
			    (unsigned long)va);
		return;
	}
	void (*jump)(void) = (void (*)(void))va;
	jump();
	kprintf("exec: returned?\n"); /* not reached: the jump faults */
}
