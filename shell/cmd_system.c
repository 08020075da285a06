/**
 * @file cmd_system.c
 * @brief help, poweroff and break.
 */
#include "arch.h"
#include "commands.h"
#include "kprintf.h"
#include "kstring.h"

void cmd_help(int argc, char **argv)
{
	for (const struct command *cmd = shell_commands; cmd->name; cmd++) {
		if (argc == 2 && strcmp(argv[1], cmd->name) != 0)
			continue;
		kprintf("  %s %s\n      %s\n", cmd->name, cmd->usage, cmd->help);
		if (argc == 2)
			return;
	}
	if (argc == 2)
		shell_error("unknown command '%s'", argv[1]);
	else
		kprintf("Numbers are decimal or 0x hex. Keys: Left/Right, Home/End, Backspace,\n"
			"Delete, Ctrl-U (erase line), Ctrl-C (abandon line), Up/Down (history),\n"
			"Tab (complete a command or #id; twice: list the choices).\n");
}

void cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("powering off\n");
	arch_poweroff(0);
}

void cmd_break(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (arch_debug_break())
		kprintf("break: back from the magic breakpoint (only Bochs stops there)\n");
	else
		kprintf("break: this machine has no magic breakpoint; use 'make gdb'\n");
}
