/**
 * @file progress.h
 * @brief Long operations say how far they are, and learn whether to stop.
 *
 * The os layer never prints and never reads the keyboard. An operation that
 * can take long (mapping a million pages, a stress run) calls
 * progress_report() every so often; whoever runs it (the shell) installs a
 * handler that shows progress and answers "stop" when the user presses
 * Ctrl-C. The operation then undoes what it did and returns an
 * "interrupted" error. Without a handler (host tests) nothing ever stops.
 */
#ifndef PAGODA_PROGRESS_H
#define PAGODA_PROGRESS_H

#include <stddef.h>

/** @brief Report every this many units of work (pages, operations). */
#define PROGRESS_EVERY 1024

/**
 * @brief A progress handler.
 * @param what a short name of the operation ("map", "stress")
 * @param done units done so far
 * @param total units in all
 * @return 1 if the operation must stop now, 0 to go on
 */
typedef int (*progress_handler)(const char *what, size_t done, size_t total);

/** @brief Install @p handler (NULL: none, nothing ever stops). */
void progress_set_handler(progress_handler handler);

/**
 * @brief Report progress; call it when @p done is a multiple of
 *        PROGRESS_EVERY.
 * @return 1 if the caller must stop (and undo), 0 to go on
 */
int progress_report(const char *what, size_t done, size_t total);

#endif
