/**
 * @file kstring.c
 * @brief memset and friends: the compiler may call these even when the
 *        kernel does not, so a freestanding kernel must provide them.
 */
#include <stdint.h>

#include "kstring.h"

void *memset(void *dst, int value, size_t n)
{
	unsigned char *d = dst;
	/* Whole aligned words at a time: zeroing a page byte by byte was most
	 * of the cost of `map` in a -O0 kernel. */
	uint64_t word = (unsigned char)value * 0x0101010101010101ull;
	while (n > 0 && ((uintptr_t)d & 7)) {
		*d++ = (unsigned char)value;
		n--;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(uint64_t *)(void *)d = word;
	while (n--)
		*d++ = (unsigned char)value;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (*a == '\0')
			return 0;
	}
	return 0;
}
