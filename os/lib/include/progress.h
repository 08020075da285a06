/**
 * @file progress.h
 * @brief Long operations say how far they are, and learn whether to stop.
 *
 * The os layer never prints and never reads the keyboard. An operation that
 * can take long (mapping a million pages, a stress run) calls
 * progress_report() every so often; whoever runs it (the shell) installs a
 * handler that shows progress and answers "stop" when the user presses
 * Ctrl-C. The operation then undoes what it did and returns an
 * "interrupted" error. Without a handler (host tests) nothing ever stops;
 * on any CPU but CPU 0, which runs the shell, nothing is reported.
 *
 * Reports are cheap, and time is the handler's business: an operation
 * reports at a fine grain (well under a second of work between two, on a
 * slow emulator with 16 GiB), never asks the clock. Its first report, 0
 * done, comes before it runs any other operation that reports (stress runs
 * checks), so that the handler can tell the operation the user asked for
 * from those it runs on the way.
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
 * @brief Report progress: 0 done first, then every PROGRESS_EVERY units
 *        or finer.
 * @return 1 if the caller must stop (and undo), 0 to go on
 */
int progress_report(const char *what, size_t done, size_t total);

#endif
