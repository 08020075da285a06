/**
 * @file keys.h
 * @brief Console bytes decoded into keys: a terminal sends Left, Home or
 *        Delete as an escape sequence of several bytes, the editor wants one.
 */
#ifndef PAGODA_SHELL_KEYS_H
#define PAGODA_SHELL_KEYS_H

/** @brief Keys that are not a single byte; a plain byte is its own key. */
enum key {
	KEY_NONE = 0x100, /**< a sequence the editor does not use (Ctrl-Right, Alt-x, F1...) */
	KEY_UP,           /**< ESC [ A, ESC O A */
	KEY_DOWN,         /**< ESC [ B, ESC O B */
	KEY_RIGHT,        /**< ESC [ C, ESC O C */
	KEY_LEFT,         /**< ESC [ D, ESC O D */
	KEY_HOME,         /**< ESC [ H, ESC O H, ESC [ 1 ~, ESC [ 7 ~ */
	KEY_END,          /**< ESC [ F, ESC O F, ESC [ 4 ~, ESC [ 8 ~ */
	KEY_DELETE,       /**< ESC [ 3 ~ */
};

/**
 * @brief Wait for the next key from the console.
 * @return a byte (0-255) that is not ESC, or one of enum key. A whole
 *         CSI (ESC [ params final) or SS3 (ESC O x) sequence, or ESC with a
 *         printable byte (Alt-x), is one key; a control byte that arrives in
 *         the middle of a sequence ends it and is returned itself, so Enter
 *         and Ctrl-C are never swallowed.
 */
int key_read(void);

#endif
