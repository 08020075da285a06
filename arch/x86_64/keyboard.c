/**
 * @file keyboard.c
 * @brief The PS/2 keyboard's interrupt (IRQ 1), its keys turned into the
 *        bytes a terminal sends.
 *
 * The i8042 controller delivers scan code set 1: a key's make code on
 * press, the same code | 0x80 on release, and 0xe0 before extended keys
 * such as the arrows. Up and Down become ESC [ A and ESC [ B, so the line
 * editor treats keyboard and serial input alike.
 */
#include "console.h"
#include "io.h"
#include "x86.h"

#define PS2_DATA 0x60
#define PS2_STATUS 0x64
#define STATUS_OUTPUT_FULL 0x01
#define STATUS_FROM_MOUSE 0x20

#define SC_LSHIFT 0x2a
#define SC_RSHIFT 0x36
#define SC_CTRL 0x1d
#define SC_UP 0x48
#define SC_DOWN 0x50

/* US layout, scan codes 0x00..0x39, without and with Shift (Esc ignored). */
static const char plain[] = "\0\0" "1234567890-=\x7f\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char shifted[] = "\0\0" "!@#$%^&*()_+\x7f\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

static int shift, ctrl, extended;
static char pending[4]; /* bytes of an escape sequence still to deliver */
static unsigned pending_len, pending_pos;

static int from_scancode(uint8_t code)
{
	int release = code & 0x80;
	code &= 0x7f;

	if (extended) {
		extended = 0;
		if (code == SC_CTRL) {
			ctrl = !release;
		} else if (!release && (code == SC_UP || code == SC_DOWN)) {
			pending[0] = '[';
			pending[1] = code == SC_UP ? 'A' : 'B';
			pending_len = 2;
			pending_pos = 0;
			return 0x1b;
		}
		return -1;
	}
	if (code == SC_LSHIFT || code == SC_RSHIFT) {
		shift = !release;
		return -1;
	}
	if (code == SC_CTRL) {
		ctrl = !release;
		return -1;
	}
	if (release || code >= sizeof(plain) - 1)
		return -1;
	char c = shift ? shifted[code] : plain[code];
	if (c == 0)
		return -1;
	if (ctrl && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return c & 0x1f;
	return (unsigned char)c;
}

/* The next byte the keys typed make, or -1 when there is none. */
static int keyboard_getc(void)
{
	if (pending_pos < pending_len)
		return (unsigned char)pending[pending_pos++];
	for (;;) {
		uint8_t status = inb(PS2_STATUS);
		if ((status & STATUS_OUTPUT_FULL) == 0)
			return -1;
		uint8_t code = inb(PS2_DATA);
		if (status & STATUS_FROM_MOUSE)
			continue;
		if (code == 0xe0) {
			extended = 1;
			continue;
		}
		int c = from_scancode(code);
		if (c >= 0)
			return c;
	}
}

void keyboard_interrupt(void)
{
	int c;
	while ((c = keyboard_getc()) >= 0)
		console_received((char)c);
}
