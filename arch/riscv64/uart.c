/**
 * @file uart.c
 * @brief The NS16550A serial port of QEMU's virt machine: output polled,
 *        input by its receive interrupt (through the PLIC, see trap.c).
 *
 * Until the device tree has told us where the UART is, output goes through
 * the SBI firmware's legacy putchar, so early messages are never lost.
 */
#include "arch.h"
#include "console.h"
#include "riscv.h"
#include "sbi.h"

#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define IER_RECEIVED 0x01 /* interrupt when a byte was received */
#define UART_LSR 5 /* line status */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

static volatile uint8_t *uart;
static unsigned uart_shift;

void uart_init(uintptr_t base, unsigned reg_shift)
{
	uart = (volatile uint8_t *)base;
	uart_shift = reg_shift;
}

static uint8_t reg_read(unsigned reg)
{
	return uart[reg << uart_shift];
}

void arch_console_putc(char c)
{
	if (uart == NULL) {
		sbi_console_putchar(c);
		return;
	}
	while ((reg_read(UART_LSR) & LSR_THR_EMPTY) == 0)
		;
	uart[UART_THR << uart_shift] = (uint8_t)c;
}

void uart_enable_receive_interrupt(void)
{
	uart[UART_IER << uart_shift] = IER_RECEIVED;
}

void uart_interrupt(void)
{
	/* Empty the receive FIFO: the interrupt stays raised while it is not. */
	while (reg_read(UART_LSR) & LSR_DATA_READY)
		console_received((char)reg_read(UART_RBR));
}
