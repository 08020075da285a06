/**
 * @file cmd_poison.c
 * @brief poison: page poisoning, a debugging aid for use-after-free bugs.
 */
#include "commands.h"
#include "kprintf.h"
#include "pmm.h"
#include "kstring.h"

void cmd_poison(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0) {
		shell_usage("poison");
		return;
	}
	if (argc == 2 && pmm_set_poison(strcmp(argv[1], "on") == 0) != PMM_OK) {
		shell_error("interrupted: poisoning stays off");
		return;
	}
	kprintf("poison: %s\n", pmm_poison_enabled()
		? "on (freed pages are filled with 0x6b and checked when handed out again)"
		: "off");
}

void report_poison(void)
{
	struct pmm_poison_report r;
	while (pmm_poison_take_report(&r))
		shell_error("use after free: page 0x%lx was written after it was freed (first bad "
			    "byte at +0x%lx)", (unsigned long)r.page, (unsigned long)r.offset);
	size_t more = pmm_poison_take_unlisted();
	if (more)
		shell_error("use after free: %lu more page%s written after being freed, "
			    "quarantined too", (unsigned long)more, more == 1 ? " was" : "s were");
}
