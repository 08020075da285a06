/**
 * @file kprintf.h
 * @brief Formatted output to the console and into buffers.
 *
 * Supports %c %s %d %i %u %x %X %p %% with the l, ll and z size prefixes,
 * a width, and the '0' and '-' flags.
 */
#ifndef PAGODA_KPRINTF_H
#define PAGODA_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

/** @brief Print to the console; "\n" becomes "\r\n". @return bytes printed */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** @brief kprintf() with the arguments already in a va_list. @return bytes printed */
int kvprintf(const char *fmt, va_list ap);

/** @brief Format into @p buf (always terminated). @return length wanted */
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** @brief The core: call @p out for every byte produced. @return bytes */
int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap);

/** @brief Print one byte to the console, "\n" as "\r\n". */
void console_putc(char c);

/** @brief Print a string to the console. */
void console_puts(const char *s);

/** @brief "s" unless @p n is 1: for "1 page", "2 pages". */
const char *plural(unsigned long n);

/** @brief "an" before a word that starts with a vowel, else "a": "an allocator object". */
const char *article(const char *word);

/** @brief Print a message and power off with a failure status. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
