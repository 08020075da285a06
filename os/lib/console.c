/**
 * @file console.c
 * @brief The kernel console: output through the machine's byte-level put,
 *        input from its receive interrupts through one ring (console.h).
 *
 * Input has one writer and one reader. The writer is console_received(),
 * which the machine calls from its interrupt handlers; the reader is
 * whoever calls console_getc() (the shell's line editor), and it turns
 * interrupts off while it looks at the ring, so the two never overlap.
 *
 * When the ring is full, the byte that does not fit and every byte after it
 * are lost ("dropping") until the reader has reached the place of the loss
 * and the input has paused: the rest of a paste is thrown away as a whole,
 * never kept in pieces. The reader gets CONSOLE_LOST at that place, so the
 * line whose end was lost is never run.
 */
#include "arch.h"
#include "console.h"
#include "kprintf.h"

/* Input that arrives this long after the last lost byte starts anew. */
#define QUIET_NS 100000000ull /* 0.1 s */

/*
 * The ring's invariant: ring[tail % SIZE .. head % SIZE) are the bytes
 * received and not yet read, oldest first, and 0 <= head - tail <= SIZE
 * (head and tail only grow; unsigned wrap-around keeps the difference
 * right). Only console_received() moves head; only the reader moves tail.
 */
static char ring[CONSOLE_RING_SIZE];
static size_t head, tail;

static int ctrl_c;           /* Ctrl-C typed, not yet seen by a reader */
static int dropping;         /* input is being thrown away since lost_at */
static int loss_reported;    /* the reader has had CONSOLE_LOST for it */
static size_t lost_at;       /* the value of head when the loss began */
static size_t lost_count;    /* bytes lost since then */
static size_t lost_reported; /* lost_count when the reader was told */
static uint64_t last_lost_ns;

void console_putc(char c)
{
	/* Terminals want CR LF; the kernel writes plain "\n". */
	if (c == '\n')
		arch_console_putc('\r');
	arch_console_putc(c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

void console_received(char c)
{
	if (c == CONSOLE_CTRL_C) {
		ctrl_c = 1; /* for what runs now; what was typed ahead stays */
		return;
	}
	uint64_t now = arch_time_ns();
	if (dropping) {
		if (!loss_reported || now - last_lost_ns < QUIET_NS) {
			lost_count++;
			last_lost_ns = now;
			return;
		}
		dropping = 0; /* reported, and a pause since: new input */
	}
	if (head - tail == CONSOLE_RING_SIZE) {
		dropping = 1;
		loss_reported = 0;
		lost_at = head;
		lost_count = 1;
		last_lost_ns = now;
		return;
	}
	ring[head % CONSOLE_RING_SIZE] = c;
	head++;
}

/* The next thing for the reader, or -1. Called with interrupts off. */
static int take(void)
{
	if (ctrl_c && tail == head) { /* after the keys typed before it */
		ctrl_c = 0;
		return CONSOLE_CTRL_C;
	}
	if (dropping && !loss_reported && tail == lost_at) {
		loss_reported = 1;
		lost_reported = lost_count;
		return CONSOLE_LOST;
	}
	if (tail == head)
		return -1;
	return (unsigned char)ring[tail++ % CONSOLE_RING_SIZE];
}

int console_getc(void)
{
	int on = arch_interrupts_off();
	int c;
	while ((c = take()) == -1)
		arch_wait_for_interrupt(); /* a receive interrupt may add a byte */
	arch_interrupts_restore(on);
	return c;
}

int console_interrupted(void)
{
	int on = arch_interrupts_off();
	int was = ctrl_c;
	ctrl_c = 0;
	arch_interrupts_restore(on);
	return was;
}

size_t console_lost(void)
{
	return lost_reported;
}

static void console_out(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

int kvprintf(const char *fmt, va_list ap)
{
	return kvformat(console_out, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	console_puts("\npanic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	console_puts("\n");
	arch_poweroff(1);
}
