/**
 * @file shell.c
 * @brief The read-split-dispatch loop of the kernel shell.
 */
#include <stdarg.h>

#include "console.h"
#include "fault.h"
#include "kprintf.h"
#include "commands.h"
#include "shell.h"
#include "kstring.h"

void shell_error(const char *fmt, ...)
{
	va_list ap;
	console_puts("error: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	console_puts("\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *cmd = shell_commands; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

void shell_usage(const char *cmd_name)
{
	const struct command *cmd = find_command(cmd_name);
	if (cmd && cmd->usage[0])
		shell_error("usage: %s %s", cmd_name, cmd->usage);
	else
		shell_error("usage: %s (takes no arguments)", cmd_name);
}

/* Split @line in place into words. @return the count, or -1 if too many. */
static int split(char *line, char **argv)
{
	int argc = 0;
	for (char *p = line;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return argc;
		if (argc == SHELL_ARGS_MAX)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* The command run_guarded() runs. Static, not locals of run_guarded():
 * after a longjmp the C standard leaves a local that was kept in a register
 * indeterminate, so the function that calls arch_setjmp() keeps no local
 * values live across it (and gcc -O2 has nothing to warn about). */
static struct {
	const struct command *cmd;
	int argc;
	char **argv;
} running;

/* Run the command in @running. @return 0 if it returned, 1 if it faulted:
 * a fault inside it makes arch_setjmp() return a second time, here. */
static int run_guarded(void)
{
	static struct arch_jmp_buf recovery;
	if (arch_setjmp(&recovery) != 0)
		return 1; /* fault_handle() already cleared the recovery point */
	fault_set_recovery(&recovery);
	running.cmd->run(running.argc, running.argv);
	fault_set_recovery(NULL);
	return 0;
}

static void run_line(char *line)
{
	char *argv[SHELL_ARGS_MAX];
	int argc = split(line, argv);

	if (argc < 0) {
		shell_error("too many words (at most %d)", SHELL_ARGS_MAX);
		return;
	}
	if (argc == 0)
		return;
	const struct command *cmd = find_command(argv[0]);
	if (cmd == NULL) {
		shell_error("unknown command '%s' (type 'help' for the list)", argv[0]);
		return;
	}
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		shell_usage(cmd->name);
		return;
	}
	running.cmd = cmd;
	running.argc = argc;
	running.argv = argv;
	shell_command_starts();
	if (run_guarded()) {
		const struct fault_report *f = fault_last();
		if (f->error) /* a lazy page found no free page: nothing changed */
			shell_lazy_no_memory(f->addr);
		else
			kprintf("fault: %s at 0x%lx (pc 0x%lx)\n", f->what, (unsigned long)f->addr,
				(unsigned long)f->pc);
		if (f->lock)
			kprintf("fault: the command held lock %s (taken at %s); it is released\n",
				f->lock, f->lock_taken_at);
	}
	report_poison();
}

_Noreturn void shell_run(void)
{
	static char line[SHELL_LINE_MAX + 1];

	kprintf("Type 'help' for the commands.\n");
	for (;;) {
		console_puts(SHELL_PROMPT);
		int n = line_read(line);
		if (n == LINE_TOO_LONG)
			shell_error("line too long (at most %d characters)", SHELL_LINE_MAX);
		else if (n == LINE_LOST)
			shell_error("input lost: %lu characters typed too fast",
				    (unsigned long)console_lost());
		else
			run_line(line);
	}
}
