/**
 * @file vga.c
 * @brief The 80x25 VGA text screen at 0xb8000: a mirror of the serial console.
 */
#include "io.h"
#include "x86.h"

#define COLS 80
#define ROWS 25
#define ATTR 0x0700 /* light grey on black */

static volatile uint16_t *const screen = (volatile uint16_t *)0xb8000;
static unsigned row, col;

static void move_cursor(void)
{
	unsigned pos = row * COLS + col;
	outb(0x3d4, 0x0f);
	outb(0x3d5, (uint8_t)pos);
	outb(0x3d4, 0x0e);
	outb(0x3d5, (uint8_t)(pos >> 8));
}

static void scroll(void)
{
	for (unsigned i = 0; i < (ROWS - 1) * COLS; i++)
		screen[i] = screen[i + COLS];
	for (unsigned i = (ROWS - 1) * COLS; i < ROWS * COLS; i++)
		screen[i] = ATTR | ' ';
	row = ROWS - 1;
}

void vga_init(void)
{
	for (unsigned i = 0; i < ROWS * COLS; i++)
		screen[i] = ATTR | ' ';
	row = col = 0;
	move_cursor();
}

void vga_putc(char c)
{
	if (c == '\r') {
		col = 0;
	} else if (c == '\n') {
		if (++row == ROWS)
			scroll();
	} else if (c == '\b') {
		if (col > 0)
			col--;
	} else if ((unsigned char)c >= ' ') {
		screen[row * COLS + col] = ATTR | (uint8_t)c;
		if (++col == COLS) {
			col = 0;
			if (++row == ROWS)
				scroll();
		}
	}
	move_cursor();
}
