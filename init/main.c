/**
 * @file main.c
 * @brief kmain(): the kernel's table of contents.
 *
 * The machine (arch/) calls kmain() once its console works and its traps
 * are installed; kmain() wires the layers together, bottom to top, one
 * line each:
 *
 *   banner         os/lib/console.c   (kernel library)
 *   memory_init()  os/kernel/boot.c   the machine's memory map -> os/mm/pmm*
 *   paging_init()  os/kernel/boot.c   -> os/mm/vm_kernel.c
 *   cpus_init()    os/kernel/cpus.c   every CPU the machine lists, started
 *   fault_init()   os/kernel/fault.c  handed to the machine's trap handler
 *   shell_run()    shell/shell.c
 */
#include "arch.h"
#include "boot.h"
#include "cpus.h"
#include "fault.h"
#include "kprintf.h"
#include "shell.h"

int kmain(void)
{
	kprintf("\nPagoda on %s\n", arch_name()); /* the console works: the banner */
	memory_init(); /* the machine's memory map -> the page manager */
	paging_init(); /* the kernel's own page tables: W^X, stack guard pages */
	cpus_init();   /* the other CPUs start, in those page tables, and park */
	fault_init();  /* from now on a bad access abandons the shell command */
	shell_run();   /* the prompt, until poweroff */
	return 0;      /* not reached: the shell powers the machine off */
}
