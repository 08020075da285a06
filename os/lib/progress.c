/**
 * @file progress.c
 * @brief The one progress handler, installed by whoever runs commands.
 */
#include "progress.h"

static progress_handler handler;

void progress_set_handler(progress_handler fn)
{
	handler = fn;
}

int progress_report(const char *what, size_t done, size_t total)
{
	return handler ? handler(what, done, total) : 0;
}
