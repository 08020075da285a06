/**
 * @file long_command.c
 * @brief How the shell runs a command that takes long: a progress line now
 *        and then, and Ctrl-C to abandon it.
 *
 * The os layer calls progress_report() every PROGRESS_EVERY units of work;
 * this handler answers it. Quick commands print nothing extra: the first
 * progress line comes only after half a second, then one a second.
 * Keys typed meanwhile wait in the console's ring and run after it, except
 * Ctrl-C, which the receive interrupt notes at once and which asks the
 * operation to stop (it then undoes what it did, or says what it kept).
 */
#include "arch.h"
#include "console.h"
#include "kprintf.h"
#include "kstring.h"
#include "progress.h"
#include "shell.h"

#define NS_PER_MS 1000000ull
#define FIRST_REPORT_MS 500
#define REPORT_EVERY_MS 1000

static uint64_t started_ns, reported_ns;
static int reported; /* a line shown yet for this command */
static int interrupted;
static const char *reporting; /* the command's own operation */
static size_t shown_done, shown_total; /* its last report */
static const char *line_start; /* "// " inside a graph, else "" */

static int shell_progress(const char *what, size_t done, size_t total)
{
	/* Once stopped, every operation of the command stops (stress runs
	 * checks, which report progress of their own). */
	if (interrupted)
		return 1;
	/* The operation may hold a lock, and so have interrupts off: let the
	 * receive interrupt in, or Ctrl-C would wait for the lock's release. */
	arch_interrupts_let_in();
	if (console_interrupted()) { /* the receive interrupt saw Ctrl-C */
		kprintf("^C\n");
		interrupted = 1;
		return 1;
	}
	/* The line shows the command's own operation: the first to report
	 * (it reports 0 done before it runs any other). Others it runs
	 * (stress's checks) only keep its line coming while they work. */
	if (reporting == NULL)
		reporting = what;
	if (what == reporting || strcmp(what, reporting) == 0) {
		shown_done = done;
		shown_total = total;
	}
	uint64_t now = arch_time_ns();
	if (now - started_ns < FIRST_REPORT_MS * NS_PER_MS ||
	    (reported && now - reported_ns < REPORT_EVERY_MS * NS_PER_MS))
		return 0;
	reported = 1;
	reported_ns = now;
	kprintf("%s%s: %lu of %lu done (%lu%%); Ctrl-C abandons it\n", line_start, reporting,
		(unsigned long)shown_done, (unsigned long)shown_total,
		(unsigned long)(shown_total ? shown_done * 100 / shown_total : 0));
	return 0;
}

void shell_command_starts(void)
{
	started_ns = arch_time_ns();
	reported = 0;
	interrupted = 0;
	reporting = NULL;
	shown_done = shown_total = 0;
	line_start = "";
	progress_set_handler(shell_progress);
}

int shell_interrupted(void)
{
	return interrupted;
}

void shell_progress_in_graph(void)
{
	line_start = "// ";
}
