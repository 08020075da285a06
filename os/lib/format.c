/**
 * @file format.c
 * @brief kvformat(): a small printf engine shared by kprintf and ksnprintf.
 */
#include <stdint.h>

#include "kprintf.h"
#include "kstring.h"

/* How many bytes an integer argument takes, from its l, ll or z prefix. */
enum arg_size { ARG_INT, ARG_LONG, ARG_LONG_LONG, ARG_SIZE_T };

/* One %-conversion, as parse_spec() read it. */
struct spec {
	int left;           /* '-' flag: pad on the right */
	char pad;           /* ' ' or '0' */
	int width;
	enum arg_size size;
	char conversion;    /* 'd', 's', ...; '\0' if the format ended early */
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

/* Read the flags, width and size prefix after a '%'; @fmt points just past
 * the '%'. Returns where the conversion character is. */
static const char *parse_spec(const char *fmt, struct spec *sp)
{
	*sp = (struct spec){ 0, ' ', 0, ARG_INT, '\0' };
	for (; *fmt == '-' || *fmt == '0'; fmt++) {
		if (*fmt == '-')
			sp->left = 1;
		else
			sp->pad = '0';
	}
	for (; *fmt >= '0' && *fmt <= '9'; fmt++)
		sp->width = sp->width * 10 + (*fmt - '0');
	if (*fmt == 'z') {
		sp->size = ARG_SIZE_T;
		fmt++;
	}
	for (; *fmt == 'l'; fmt++)
		sp->size = sp->size == ARG_INT ? ARG_LONG : ARG_LONG_LONG;
	sp->conversion = *fmt;
	return fmt;
}

static int64_t next_signed(va_list *ap, enum arg_size size)
{
	switch (size) {
	case ARG_INT: return va_arg(*ap, int);
	case ARG_LONG: return va_arg(*ap, long);
	case ARG_LONG_LONG: return va_arg(*ap, long long);
	default: return (int64_t)va_arg(*ap, size_t);
	}
}

static uint64_t next_unsigned(va_list *ap, enum arg_size size)
{
	switch (size) {
	case ARG_INT: return va_arg(*ap, unsigned int);
	case ARG_LONG: return va_arg(*ap, unsigned long);
	case ARG_LONG_LONG: return va_arg(*ap, unsigned long long);
	default: return va_arg(*ap, size_t);
	}
}

/* Print one conversion, taking its argument (if any) from @ap. */
static void emit_conversion(struct sink *s, const struct spec *sp, va_list *ap)
{
	switch (sp->conversion) {
	case 'c':
		emit(s, (char)va_arg(*ap, int));
		break;
	case 's': {
		const char *str = va_arg(*ap, const char *);
		if (!str)
			str = "(null)";
		emit_padded(s, sp, str, (int)strlen(str));
		break;
	}
	case 'd':
	case 'i': {
		int64_t v = next_signed(ap, sp->size);
		uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		emit_number(s, sp, magnitude, 10, v < 0, 0);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
		emit_number(s, sp, next_unsigned(ap, sp->size), sp->conversion == 'u' ? 10 : 16,
			    0, sp->conversion == 'X');
		break;
	case 'p':
		emit(s, '0');
		emit(s, 'x');
		emit_number(s, sp, (uintptr_t)va_arg(*ap, void *), 16, 0, 0);
		break;
	case '%':
		emit(s, '%');
		break;
	default:
		/* Not a conversion we know: print it as it was written. */
		emit(s, '%');
		emit(s, sp->conversion);
		break;
	}
}

int kvformat(void (*out)(char c, void *ctx), void *ctx, const char *fmt, va_list ap)
{
	struct sink s = { out, ctx, 0 };
	va_list args;

	/* A copy, so that helpers can take arguments through a pointer. */
	va_copy(args, ap);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&s, *fmt);
			continue;
		}
		struct spec sp;
		fmt = parse_spec(fmt + 1, &sp);
		if (sp.conversion == '\0')
			break;
		emit_conversion(&s, &sp, &args);
	}
	va_end(args);
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

const char *article(const char *word)
{
	switch (word[0]) {
	case 'a': case 'e': case 'i': case 'o': case 'u':
		return "an";
	}
	return "a";
}
