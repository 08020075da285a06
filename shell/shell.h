/**
 * @file shell.h
 * @brief The kernel shell: a line editor, a command table, and commands.
 */
#ifndef PAGODA_SHELL_H
#define PAGODA_SHELL_H

#include <stddef.h>
#include <stdint.h>

#define SHELL_LINE_MAX 256 /**< longest accepted line, in characters */
#define SHELL_ARGS_MAX 8   /**< most words on a line */
#define SHELL_PROMPT "pagoda> " /**< at the start of a line; the tests wait for it */

/** @brief One shell command. */
struct command {
	const char *name;  /**< the first word of the line */
	const char *usage; /**< arguments, for help and errors */
	unsigned char min_args; /**< fewest words after the name */
	unsigned char max_args; /**< most words after the name: the shell checks both */
	const char *help;  /**< one line of explanation */
	/** Run with the words of the line (argv[0] is the name), only when
	 *  there are min_args to max_args words after the name. */
	void (*run)(int argc, char **argv);
};

/** @brief The command table (shell/commands.c), ended by a NULL name. */
extern const struct command shell_commands[];

/** @brief Print the prompt, read lines and run them, forever. */
_Noreturn void shell_run(void);

#define LINE_TOO_LONG (-1) /**< line_read(): longer than SHELL_LINE_MAX */
#define LINE_LOST (-2)     /**< line_read(): input was lost in this line */

/**
 * @brief Read one line with echo and editing into @p buf.
 * @return its length, or LINE_TOO_LONG if it was longer than SHELL_LINE_MAX,
 *         or LINE_LOST if some of it was lost (console_lost() says how
 *         much); in both cases @p buf is not run. Ctrl-C abandons the line:
 *         0 with an empty line.
 */
int line_read(char *buf);

/**
 * @brief Parse a whole word as a number: decimal, or hex after "0x".
 * @return 1 on success, 0 if the word is not a number or overflows
 */
int parse_number(const char *word, uint64_t *value);

/**
 * @brief Parse a whole word as an address (a number that fits a pointer).
 * @return 1 on success, 0 otherwise (nothing is printed)
 */
int parse_address(const char *word, uintptr_t *addr);

/**
 * @brief Call before running a command: from now on long operations show
 *        progress after half a second, and Ctrl-C asks them to stop.
 */
void shell_command_starts(void);

/** @brief 1 if Ctrl-C stopped a long operation of the current command. */
int shell_interrupted(void);

/**
 * @brief The current command prints a Graphviz graph: its progress lines
 *        become dot comments (`// dot: ...`), so the graph stays valid.
 */
void shell_progress_in_graph(void);

/** @brief Print "error: " and a message, as one line. */
void shell_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** @brief Print "error: usage: <name> <usage>" for @p cmd_name. */
void shell_usage(const char *cmd_name);

#endif
