/**
 * @file line.c
 * @brief The line editor: echo, cursor movement, history, Tab completion.
 *
 * Keys (decoded by keys.c): Left/Right (Ctrl-B/Ctrl-F), Home/End
 * (Ctrl-A/Ctrl-E), Backspace, Delete, Ctrl-U (erase the line), Ctrl-C
 * (abandon it), Up/Down (history), Tab (complete a command name or \#id),
 * Ctrl-L (draw the prompt and the line again).
 *
 * The screen is redrawn with printable bytes, spaces and backspaces only, so a
 * plain VT100, xterm, a serial file and the x86 VGA mirror all show the same.
 *
 * Only printable ASCII is stored. A line longer than SHELL_LINE_MAX keeps
 * being echoed at its end (so the user sees what they typed) but is refused
 * on Enter; until it is short again the cursor stays at its end.
 *
 * A line some of whose bytes were lost (typed faster than the console's
 * ring could keep) is dropped, never run.
 */
#include "complete.h"
#include "console.h"
#include "keys.h"
#include "kprintf.h"
#include "shell.h"
#include "kstring.h"

#define HISTORY_SIZE 16
#define CTRL(c) ((c) & 0x1f)

/* The last HISTORY_SIZE lines, oldest overwritten first. */
static char history[HISTORY_SIZE][SHELL_LINE_MAX + 1];
static unsigned history_count; /* lines ever entered */

/* The line being edited, and where the terminal's cursor is in it. */
struct line {
	char *buf;       /* length characters, NUL-terminated */
	size_t length;   /* stored characters, <= SHELL_LINE_MAX */
	size_t cursor;   /* 0..length */
	size_t overflow; /* echoed past SHELL_LINE_MAX (cursor is then at the end) */
	unsigned back;   /* how far Up has gone into the history */
};

static void repeat(char c, size_t n)
{
	while (n--)
		console_putc(c);
}

/* Print buf[from..length) then @blanks spaces, and bring the cursor back
 * to @from: the redraw after the tail of the line changed. */
static void redraw_tail(struct line *l, size_t from, size_t blanks)
{
	console_puts(l->buf + from);
	repeat(' ', blanks);
	repeat('\b', l->length - from + blanks);
}

static void move_to(struct line *l, size_t to)
{
	if (to < l->cursor)
		repeat('\b', l->cursor - to);
	else
		for (size_t i = l->cursor; i < to; i++)
			console_putc(l->buf[i]);
	l->cursor = to;
}

/* Erase the whole line from the screen and the buffer. */
static void clear(struct line *l)
{
	move_to(l, l->length);
	for (size_t n = l->length + l->overflow; n; n--)
		console_puts("\b \b");
	l->length = l->cursor = l->overflow = 0;
	l->buf[0] = '\0';
}

/* Replace the line by @text (from the history), cursor at its end. */
static void replace(struct line *l, const char *text)
{
	clear(l);
	l->length = l->cursor = strlen(text);
	memcpy(l->buf, text, l->length + 1);
	console_puts(l->buf);
}

/* Insert @n characters of @text at the cursor. @return 0 if they do not fit. */
static int insert(struct line *l, const char *text, size_t n)
{
	if (l->overflow || l->length + n > SHELL_LINE_MAX) {
		if (l->cursor < l->length) {
			console_putc('\a'); /* no room in the middle of a full line */
			return 0;
		}
		/* At the end: keep echoing, refuse the line on Enter. */
		size_t fit = l->overflow ? 0 : SHELL_LINE_MAX - l->length;
		memcpy(l->buf + l->length, text, fit);
		l->length += fit;
		l->cursor = l->length;
		l->buf[l->length] = '\0';
		l->overflow += n - fit;
		for (size_t i = 0; i < n; i++)
			console_putc(text[i]);
		return 1;
	}
	memmove(l->buf + l->cursor + n, l->buf + l->cursor, l->length - l->cursor + 1);
	memcpy(l->buf + l->cursor, text, n);
	l->length += n;
	size_t from = l->cursor;
	l->cursor += n;
	console_puts(l->buf + from);
	repeat('\b', l->length - l->cursor);
	return 1;
}

/* Delete the character under the cursor. */
static void delete_here(struct line *l)
{
	if (l->cursor == l->length)
		return;
	memmove(l->buf + l->cursor, l->buf + l->cursor + 1, l->length - l->cursor);
	l->length--;
	redraw_tail(l, l->cursor, 1);
}

static void backspace(struct line *l)
{
	if (l->overflow) {
		l->overflow--;
		console_puts("\b \b");
	} else if (l->cursor > 0) {
		move_to(l, l->cursor - 1);
		delete_here(l);
	}
}

/* The prompt and the line again on a new line, the cursor where it was. */
static void redraw(struct line *l)
{
	size_t cursor = l->cursor;
	console_puts("\n" SHELL_PROMPT);
	console_puts(l->buf);
	l->cursor = l->length;
	move_to(l, cursor);
}

/* ---- Tab completion ---- */

/* What the candidates for the word before the cursor have in common. */
struct matches {
	char common[SHELL_LINE_MAX + 1];
	size_t common_length;
	unsigned count;
};

static void add_match(const char *candidate, void *ctx)
{
	struct matches *m = ctx;
	size_t n = strlen(candidate);
	if (m->count++ == 0) {
		m->common_length = n < SHELL_LINE_MAX ? n : SHELL_LINE_MAX;
		memcpy(m->common, candidate, m->common_length);
		return;
	}
	size_t i = 0;
	while (i < m->common_length && i < n && m->common[i] == candidate[i])
		i++;
	m->common_length = i;
}

static void print_match(const char *candidate, void *ctx)
{
	(void)ctx;
	console_puts(candidate);
	console_puts("  ");
}

/* Tab: complete the word before the cursor. @again: the last key was Tab
 * too, so list the candidates if there is nothing left to complete. */
static void complete(struct line *l, int again)
{
	if (l->overflow)
		return;
	size_t start = l->cursor;
	while (start > 0 && l->buf[start - 1] != ' ')
		start--;
	int first = 1;
	for (size_t i = 0; i < start; i++)
		if (l->buf[i] != ' ')
			first = 0;
	const char *word = l->buf + start;
	size_t length = l->cursor - start;

	struct matches m = { .count = 0 };
	complete_each(word, length, first, add_match, &m);
	if (m.count == 0)
		return;
	if (m.common_length > length || m.count == 1) {
		insert(l, m.common + length, m.common_length - length);
		if (m.count == 1 && l->buf[l->cursor] != ' ')
			insert(l, " ", 1);
		return;
	}
	if (!again)
		return;
	/* Several candidates and nothing in common to add: show them, then
	 * the prompt and the line again. */
	move_to(l, l->length);
	console_puts("\n");
	complete_each(word, length, first, print_match, NULL);
	redraw(l);
}

/* ---- history ---- */

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

static const char *recalled(unsigned back)
{
	return back ? history[(history_count - back) % HISTORY_SIZE] : "";
}

/* Enter or Ctrl-C ends the line. @return what line_read() returns. */
static int finish(struct line *l, int key)
{
	move_to(l, l->length);
	if (key == CTRL('C')) {
		console_puts("^C\n");
		l->buf[0] = '\0';
		return 0;
	}
	console_puts("\n");
	if (l->overflow)
		return LINE_TOO_LONG;
	remember(l->buf);
	return (int)l->length;
}

/* Keys that move the cursor or bring back a line from the history.
 * @return 0 if @key is not one of them. */
static int move_key(struct line *l, int key)
{
	switch (key) {
	case KEY_LEFT:
	case CTRL('B'):
		if (!l->overflow && l->cursor > 0)
			move_to(l, l->cursor - 1);
		return 1;
	case KEY_RIGHT:
	case CTRL('F'):
		if (l->cursor < l->length)
			move_to(l, l->cursor + 1);
		return 1;
	case KEY_HOME:
	case CTRL('A'):
		if (!l->overflow)
			move_to(l, 0);
		return 1;
	case KEY_END:
	case CTRL('E'):
		move_to(l, l->length);
		return 1;
	case KEY_UP:
		if (l->back < history_count && l->back < HISTORY_SIZE)
			replace(l, recalled(++l->back));
		return 1;
	case KEY_DOWN:
		if (l->back > 0)
			replace(l, recalled(--l->back));
		return 1;
	}
	return 0;
}

/* Keys that change the line; @previous is the key before (Tab twice lists). */
static void edit_key(struct line *l, int key, int previous)
{
	switch (key) {
	case CTRL('U'):
		clear(l);
		break;
	case '\b':
	case 0x7f:
		backspace(l);
		break;
	case KEY_DELETE:
		if (!l->overflow)
			delete_here(l);
		break;
	case '\t':
		complete(l, previous == '\t');
		break;
	case CTRL('L'):
		/* Show the prompt again (make console sends it on connecting). */
		if (!l->overflow)
			redraw(l);
		break;
	default:
		if (key >= ' ' && key < 0x7f) {
			char c = (char)key;
			insert(l, &c, 1);
		}
		/* Any other control byte or sequence is ignored. */
	}
}

int line_read(char *buf)
{
	struct line l = { .buf = buf };
	static int last_was_cr;
	int key = 0;

	buf[0] = '\0';
	for (;;) {
		int previous = key;
		key = key_read();

		/* A terminal may send CR LF for Enter: take it as one. */
		if (key == '\n' && last_was_cr) {
			last_was_cr = 0;
			continue;
		}
		last_was_cr = (key == '\r');

		if (key == '\r' || key == '\n' || key == CTRL('C'))
			return finish(&l, key);
		if (key == CONSOLE_LOST) { /* this line's end never came: drop it */
			move_to(&l, l.length);
			console_puts("\n");
			buf[0] = '\0';
			return LINE_LOST;
		}
		if (!move_key(&l, key))
			edit_key(&l, key, previous);
	}
}
