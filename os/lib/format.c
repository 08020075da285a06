/**
 * @file format.c
 * @brief kvformat(): a small printf engine shared by kprintf and ksnprintf.
 */
#include <stdint.h>

#include "kprintf.h"
#include "string.h"

struct spec {
	int left;      /* '-' flag: pad on the right */
	char pad;      /* ' ' or '0' */
	int width;
};

struct sink {
	void (*out)(char c, void *ctx);
	void *ctx;
	int count;
};

static void emit(struct sink *s, char c)
{
	s->out(c, s->ctx);
	s->count++;
}

static void emit_padded(struct sink *s, const struct spec *sp, const char *text, int len)
{
	int pad = sp->width > len ? sp->width - len : 0;
	if (!sp->left)
		while (pad-- > 0)
			emit(s, sp->pad);
	for (int i = 0; i < len; i++)
		emit(s, text[i]);
	if (sp->left)
		while (pad-- > 0)
			emit(s, ' ');
}

static void emit_number(struct sink *s, const struct spec *sp, uint64_t value,
			unsigned base, int negative, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int i = sizeof(buf);

	do {
		buf[--i] = digits[value % base];
		value /= base;
	} while (value);
	if (negative) {
		if (sp->pad == '0' && sp->width > 0) {
			/* "-0042": the sign goes before the zeros. */
			struct spec rest = *sp;
			emit(s, '-');
			rest.width--;
			emit_padded(s, &rest, buf + i, (int)sizeof(buf) - i);
			return;
		}
		buf[--i] = '-';
	}
	emit_padded(s, sp, buf + i, (int)sizeof(buf) - i);
}

int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap)
{
	struct sink s = { out, ctx, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&s, *fmt);
			continue;
		}
		struct spec sp = { 0, ' ', 0 };
		int size = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
		fmt++;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				sp.left = 1;
			else
				sp.pad = '0';
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + (*fmt - '0');
		if (*fmt == 'z') {
			size = 3;
			fmt++;
		}
		for (; *fmt == 'l'; fmt++)
			size = size < 2 ? size + 1 : 2;

		uint64_t u;
		int64_t v;
		switch (*fmt) {
		case 'c':
			emit(&s, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			emit_padded(&s, &sp, str, (int)strlen(str));
			break;
		}
		case 'd':
		case 'i':
			if (size == 0)
				v = va_arg(ap, int);
			else if (size == 1)
				v = va_arg(ap, long);
			else if (size == 2)
				v = va_arg(ap, long long);
			else
				v = (int64_t)va_arg(ap, size_t);
			u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			emit_number(&s, &sp, u, 10, v < 0, 0);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (size == 0)
				u = va_arg(ap, unsigned int);
			else if (size == 1)
				u = va_arg(ap, unsigned long);
			else if (size == 2)
				u = va_arg(ap, unsigned long long);
			else
				u = va_arg(ap, size_t);
			emit_number(&s, &sp, u, *fmt == 'u' ? 10 : 16, 0, *fmt == 'X');
			break;
		case 'p':
			emit(&s, '0');
			emit(&s, 'x');
			emit_number(&s, &sp, (uintptr_t)va_arg(ap, void *), 16, 0, 0);
			break;
		case '%':
			emit(&s, '%');
			break;
		case '\0':
			return s.count;
		default:
			emit(&s, '%');
			emit(&s, *fmt);
			break;
		}
	}
	return s.count;
}

struct buffer {
	char *buf;
	size_t size;
	size_t used;
};

static void buffer_out(char c, void *ctx)
{
	struct buffer *b = ctx;
	if (b->used + 1 < b->size)
		b->buf[b->used] = c;
	b->used++;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct buffer b = { buf, size, 0 };
	va_list ap;
	va_start(ap, fmt);
	int n = kvformat(buffer_out, &b, fmt, ap);
	va_end(ap);
	if (size)
		buf[b.used < size ? b.used : size - 1] = '\0';
	return n;
}

const char *plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}
