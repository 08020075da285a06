/**
 * @file keys.c
 * @brief Decode the console's bytes into keys (see keys.h).
 *
 * Terminals send the editing keys as ECMA-48 sequences: CSI is ESC [, then
 * parameter bytes 0x30-0x3f ("1;5"), intermediate bytes 0x20-0x2f, and one
 * final byte 0x40-0x7e; SS3 is ESC O and one byte. Each sequence is read to
 * its end, so an unknown one (Ctrl-Right is ESC [ 1 ; 5 C) never leaks
 * "5C" into the line.
 */
#include "console.h"
#include "keys.h"
#include "kprintf.h"

#define ESC 0x1b

static int is_control(int c)
{
	return c < 0x20 || c == 0x7f;
}

/* The key for a final byte shared by CSI and SS3 (A-D, H, F). */
static int final_key(int c)
{
	switch (c) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	default: return KEY_NONE;
	}
}

/* The key for "ESC [ <n> ~" (VT220 editing keys). */
static int tilde_key(unsigned n)
{
	switch (n) {
	case 1: case 7: return KEY_HOME;
	case 4: case 8: return KEY_END;
	case 3: return KEY_DELETE;
	default: return KEY_NONE;
	}
}

/* After ESC [: read to the final byte. Parameters other than one plain
 * number (modifiers such as ";5", or '?') make the key one we ignore. */
static int read_csi(void)
{
	unsigned number = 0;
	int plain = 1;  /* only digits so far */
	int digits = 0;
	for (;;) {
		int c = console_getc();
		if (c >= '0' && c <= '9') {
			if (number < 1000)
				number = number * 10 + (unsigned)(c - '0');
			digits++;
		} else if (c >= 0x20 && c <= 0x3f) {
			plain = 0; /* ';', '?', an intermediate byte... */
		} else if (c >= 0x40 && c <= 0x7e) {
			if (!plain)
				return KEY_NONE;
			if (c == '~')
				return tilde_key(number);
			/* ESC [ A, or ESC [ 1 A (what some terminals send) */
			return digits == 0 || number == 1 ? final_key(c) : KEY_NONE;
		} else if (is_control(c)) {
			return c; /* a broken sequence: the byte counts (ESC starts anew) */
		} else {
			return KEY_NONE; /* not ASCII: not a sequence we know */
		}
	}
}

int key_read(void)
{
	int c = console_getc();
	while (c == ESC) {
		c = console_getc();
		if (c == '[') {
			c = read_csi();
		} else if (c == 'O') {
			c = console_getc();
			if (!is_control(c))
				return final_key(c);
		} else if (!is_control(c)) {
			return KEY_NONE; /* Alt-x */
		}
		/* Else a control byte: Esc then Enter is Enter; ESC ESC [ A
		 * (Alt-Up on some terminals) is read as ESC [ A. */
	}
	return c;
}
