/**
 * @file line.c
 * @brief The line editor: echo, Backspace, Ctrl-U, Ctrl-C, Up/Down history.
 *
 * Only printable ASCII is stored. A line longer than SHELL_LINE_MAX keeps
 * being echoed (so the user sees what they typed) but is refused on Enter.
 */
#include "kprintf.h"
#include "shell.h"
#include "string.h"

#define HISTORY_SIZE 16
#define CTRL(c) ((c) & 0x1f)
#define ESC 0x1b

/* The last HISTORY_SIZE lines, oldest overwritten first. */
static char history[HISTORY_SIZE][SHELL_LINE_MAX + 1];
static unsigned history_count; /* lines ever entered */

static void erase(size_t n)
{
	while (n--)
		console_puts("\b \b");
}

/* Replace the line being edited (of @length typed characters) by @text. */
static size_t replace_line(char *buf, size_t length, const char *text)
{
	erase(length);
	size_t n = strlen(text);
	memcpy(buf, text, n + 1);
	console_puts(buf);
	return n;
}

static void remember(const char *line)
{
	if (line[0] == '\0')
		return;
	if (history_count > 0 &&
	    strcmp(history[(history_count - 1) % HISTORY_SIZE], line) == 0)
		return;
	memcpy(history[history_count % HISTORY_SIZE], line, strlen(line) + 1);
	history_count++;
}

int line_read(char *buf)
{
	size_t length = 0;   /* characters typed, possibly > SHELL_LINE_MAX */
	unsigned back = 0;   /* how far Up has gone into the history */
	static int last_was_cr;

	int pushback = -1;   /* a key read while looking for an escape sequence */

	buf[0] = '\0';
	for (;;) {
		int c = pushback >= 0 ? pushback : console_getc();
		pushback = -1;

		/* A terminal may send CR LF for Enter: take it as one. */
		if (c == '\n' && last_was_cr) {
			last_was_cr = 0;
			continue;
		}
		last_was_cr = (c == '\r');

		if (c == '\r' || c == '\n') {
			console_puts("\n");
			if (length > SHELL_LINE_MAX)
				return -1;
			buf[length] = '\0';
			remember(buf);
			return (int)length;
		} else if (c == '\b' || c == 0x7f) {
			if (length > 0) {
				length--;
				if (length <= SHELL_LINE_MAX)
					buf[length] = '\0';
				erase(1);
			}
		} else if (c == CTRL('U')) {
			erase(length);
			length = 0;
			buf[0] = '\0';
		} else if (c == CTRL('C')) {
			console_puts("^C\n");
			buf[0] = '\0';
			return 0;
		} else if (c == ESC) {
			/* Arrow keys: ESC [ A / ESC O A (Up), ... B (Down). */
			int c1 = console_getc();
			if (c1 != '[' && c1 != 'O') {
				pushback = c1; /* a lone Esc: the next key counts */
				continue;
			}
			int c2 = console_getc();
			if (c2 == 'A' && back < history_count && back < HISTORY_SIZE) {
				back++;
				length = replace_line(buf, length,
						      history[(history_count - back) % HISTORY_SIZE]);
			} else if (c2 == 'B' && back > 0) {
				back--;
				length = replace_line(
					buf, length,
					back ? history[(history_count - back) % HISTORY_SIZE] : "");
			} else {
				/* Ignore other sequences, e.g. Delete is ESC [ 3 ~. */
				while (c2 >= '0' && c2 <= '9')
					c2 = console_getc();
			}
		} else if (c >= ' ' && c < 0x7f) {
			if (length < SHELL_LINE_MAX) {
				buf[length] = (char)c;
				buf[length + 1] = '\0';
			}
			length++;
			console_putc((char)c);
		}
		/* Any other control byte is ignored. */
	}
}
