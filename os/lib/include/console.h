/**
 * @file console.h
 * @brief Console input: what the interrupt handlers receive, kept in order
 *        in one ring until the shell reads it (os/lib/console.c).
 *
 * The machine's receive interrupts (UART, keyboard) hand every byte to
 * console_received(); the shell takes them with console_getc(). So keys
 * typed while a command runs wait their turn, and nothing typed is lost
 * unless the ring overflows, which the reader is told about.
 */
#ifndef PAGODA_CONSOLE_H
#define PAGODA_CONSOLE_H

#include <stddef.h>

#define CONSOLE_RING_SIZE 4096 /**< bytes of input the console keeps unread */
#define CONSOLE_CTRL_C 0x03    /**< Ctrl-C: not kept, it sets a flag */
#define CONSOLE_LOST (-2)      /**< console_getc(): input was lost here */

/**
 * @brief Called by the machine's interrupt handlers (interrupts off) for
 *        each byte typed. Ctrl-C is not kept: it sets the flag that
 *        console_interrupted() reads, so a running command sees it at once.
 *        Any other byte joins the ring, or, if the ring is full, is lost
 *        with the rest of that input.
 */
void console_received(char c);

/**
 * @brief Wait for the next byte of input and return it. Ctrl-C, if it
 *        was typed and no command took it, comes after the bytes before it.
 * @return the byte; or CONSOLE_LOST once, where input was lost
 *         (console_lost() says how much): the line that was being typed
 *         has lost its end.
 */
int console_getc(void);

/** @brief Was Ctrl-C typed since the last call (or since console_getc() returned it)? */
int console_interrupted(void);

/** @brief How many bytes were lost at the CONSOLE_LOST console_getc() last returned. */
size_t console_lost(void);

#endif
