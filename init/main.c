/**
 * @file main.c
 * @brief kmain(): the table of contents of the kernel. The machine (arch/)
 *        calls it once its console works; it wires the layers together,
 *        bottom to top, one line each.
 */
#include "arch.h"
#include "boot.h"
#include "fault.h"
#include "kprintf.h"
#include "shell.h"

int kmain(void)
{
	kprintf("\nPagoda on %s\n", arch_name()); /* console: the banner */
	memory_init();  /* memory discovery: the machine's map -> page manager (os/kernel/boot.c) */
	paging_init();  /* the kernel's page tables: W^X, guard page (os/mm/vm_kernel.c) */
	fault_init();   /* page faults abandon the command (os/kernel/fault.c) */
	shell_run();    /* the prompt, until poweroff (shell/shell.c) */
	return 0;
}
