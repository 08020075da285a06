/**
 * @file progress.c
 * @brief The one progress handler, installed by whoever runs commands.
 */
#include "progress.h"
#include "spinlock.h"

static progress_handler handler;

void progress_set_handler(progress_handler fn)
{
	handler = fn;
}

int progress_report(const char *what, size_t done, size_t total)
{
	/* The handler is the shell's, which runs on CPU 0: another CPU's
	 * operation (a share of stress -j, its checks) reports to no one, and
	 * stops when the run it is part of says so. */
	if (this_cpu() != 0)
		return 0;
	return handler ? handler(what, done, total) : 0;
}
