/**
 * @file complete.h
 * @brief What Tab can complete: command names, and the ids of live sets.
 */
#ifndef PAGODA_SHELL_COMPLETE_H
#define PAGODA_SHELL_COMPLETE_H

#include <stddef.h>

/**
 * @brief Call @p each for every candidate that starts with @p word.
 * @param word   the word before the cursor (not ended by NUL)
 * @param length how many characters @p word has
 * @param first  nonzero if it is the line's first word (a command name);
 *               otherwise only a word starting with '\#' has candidates
 *               (the ids of the live scattered sets, as "\#3")
 * @param each   called with each candidate (a string valid during the call)
 * @param ctx    passed to @p each
 */
void complete_each(const char *word, size_t length, int first,
		   void (*each)(const char *candidate, void *ctx), void *ctx);

#endif
