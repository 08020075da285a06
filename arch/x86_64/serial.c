/**
 * @file serial.c
 * @brief COM1, the 16550 UART at I/O port 0x3f8: output polled, input by
 *        its receive interrupt (IRQ 4).
 */
#include "console.h"
#include "io.h"
#include "x86.h"

#define COM1 0x3f8
#define REG_DATA 0        /* receive / transmit; divisor low with DLAB */
#define REG_IER 1         /* interrupt enable; divisor high with DLAB */
#define REG_FCR 2         /* FIFO control */
#define REG_LCR 3         /* line control */
#define REG_MCR 4         /* modem control */
#define REG_LSR 5         /* line status */
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define IER_RECEIVED 0x01 /* interrupt when a byte was received */
#define MCR_DTR_RTS 0x03
#define MCR_OUT2 0x08     /* on a PC: connects the UART's interrupt to the PIC */

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);       /* no interrupts while setting up */
	outb(COM1 + REG_LCR, LCR_DLAB);
	outb(COM1 + REG_DATA, 1);         /* divisor 1: 115200 baud */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, LCR_8N1);
	outb(COM1 + REG_FCR, 0xc7);       /* enable and clear FIFOs */
	outb(COM1 + REG_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(COM1 + REG_IER, IER_RECEIVED);
}

void serial_putc(char c)
{
	while ((inb(COM1 + REG_LSR) & LSR_THR_EMPTY) == 0)
		;
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_interrupt(void)
{
	/* Empty the receive FIFO: the interrupt stays raised while it is not. */
	while (inb(COM1 + REG_LSR) & LSR_DATA_READY)
		console_received((char)inb(COM1 + REG_DATA));
}
