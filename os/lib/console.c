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
 * are lost ("dropping") until the input pauses: the rest of a paste is
 * thrown away as a whole, never kept in pieces. The reader gets
 * CONSOLE_LOST at the place of the loss, so the line whose end was lost is
 * never run; but only once the input has paused, so that whatever is typed
 * after the reader has said so (after the shell's error line and prompt) is
 * new input, never thrown away with the paste.
 */
#include "arch.h"
#include "console.h"
#include "kprintf.h"

/* A paste is over once no byte has come for this long. */
#define QUIET_NS 100000000ull /* 0.1 s */
#define PASTE_GOING_ON (-3)   /* take(): the loss is reached, the paste not over */

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
	if (dropping) { /* until the reader reports the loss */
		lost_count++;
		last_lost_ns = now;
		return;
	}
	if (head - tail == CONSOLE_RING_SIZE) {
		dropping = 1;
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
	if (dropping && tail == lost_at) {
		if (arch_time_ns() - last_lost_ns < QUIET_NS)
			return PASTE_GOING_ON;
		dropping = 0; /* the paste is over: what comes next is new */
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
	while ((c = take()) == -1 || c == PASTE_GOING_ON) {
		if (c == -1) {
			arch_wait_for_interrupt(); /* a receive interrupt may add a byte */
		} else {
			/* No interrupt may come (the paste may be over): watch the
			 * clock, letting the receive interrupts count the rest. */
			arch_interrupts_restore(1);
			arch_interrupts_off();
		}
	}
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
