/**
 * @file parse.c
 * @brief Numbers typed at the shell: 42 or 0x2a, nothing else.
 */
#include "shell.h"

static int digit_value(char c, unsigned base)
{
	unsigned v;
	if (c >= '0' && c <= '9')
		v = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		v = (unsigned)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		v = (unsigned)(c - 'A' + 10);
	else
		return -1;
	return v < base ? (int)v : -1;
}

int parse_number(const char *word, uint64_t *value)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
		base = 16;
		word += 2;
	}
	if (*word == '\0')
		return 0;
	for (; *word; word++) {
		int d = digit_value(*word, base);
		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
			return 0;
		v = v * base + (uint64_t)d;
	}
	*value = v;
	return 1;
}

int parse_address(const char *word, uintptr_t *addr)
{
	uint64_t v;
	if (!parse_number(word, &v) || v > UINTPTR_MAX)
		return 0;
	*addr = (uintptr_t)v;
	return 1;
}
