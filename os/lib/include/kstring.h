/**
 * @file kstring.h
 * @brief The kernel's own memset, strcmp and friends: the few C library
 *        string functions it uses (named kstring.h so that no reader takes
 *        it for the C library's <string.h>).
 */
#ifndef PAGODA_KSTRING_H
#define PAGODA_KSTRING_H

#include <stddef.h>

/** @brief Fill @p n bytes at @p dst with @p value. */
void *memset(void *dst, int value, size_t n);
/** @brief Copy @p n bytes; the areas must not overlap. */
void *memcpy(void *dst, const void *src, size_t n);
/** @brief Copy @p n bytes; the areas may overlap. */
void *memmove(void *dst, const void *src, size_t n);
/** @brief Compare @p n bytes: <0, 0 or >0. */
int memcmp(const void *a, const void *b, size_t n);
/** @brief Length of a string. */
size_t strlen(const char *s);
/** @brief Compare two strings: <0, 0 or >0. */
int strcmp(const char *a, const char *b);
/** @brief Compare at most @p n characters of two strings. */
int strncmp(const char *a, const char *b, size_t n);

#endif
