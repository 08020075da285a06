/**
 * @file commands.h
 * @brief The functions behind the shell's commands (see commands.c).
 */
#ifndef PAGODA_SHELL_COMMANDS_H
#define PAGODA_SHELL_COMMANDS_H

#include "shell.h"

void cmd_help(int argc, char **argv);     /**< `help [command]` */
void cmd_alloc(int argc, char **argv);    /**< `alloc <n> [scattered] | page` */
void cmd_free(int argc, char **argv);     /**< `free 0x<addr> | #<id>` */
void cmd_show(int argc, char **argv);     /**< `show #<id> | 0x<addr>` */
void cmd_meminfo(int argc, char **argv);  /**< `meminfo` */
void cmd_buddy(int argc, char **argv);    /**< `buddy [-v]` */
void cmd_check(int argc, char **argv);    /**< `check` */
void cmd_dot(int argc, char **argv);      /**< `dot buddy` */
void cmd_poweroff(int argc, char **argv); /**< `poweroff` */
void cmd_break(int argc, char **argv);    /**< `break` */
void cmd_cpus(int argc, char **argv);     /**< `cpus` */
void cmd_locks(int argc, char **argv);    /**< `locks [reset]` */
void cmd_pcp(int argc, char **argv);      /**< `pcp [on|off]` */

/**
 * @brief 1 if CPUs 1 to @p cpus - 1 are parked, ready for a share of
 *        `<command> -j <cpus>`; else prints why not (an error line) and 0.
 */
int shell_cpus_ready(const char *command, unsigned cpus);
void cmd_map(int argc, char **argv);      /**< `map 0x<va> <pages> [0x<pa>|auto] [flags]` */
void cmd_unmap(int argc, char **argv);    /**< `unmap 0x<va> <pages>` */
void cmd_vtop(int argc, char **argv);     /**< `vtop 0x<va>` */
void cmd_pt(int argc, char **argv);       /**< `pt [0x<va>]` */
void cmd_peek(int argc, char **argv);     /**< `peek 0x<va>` */
void cmd_poke(int argc, char **argv);     /**< `poke 0x<va> <value>` */
void cmd_exec(int argc, char **argv);     /**< `exec 0x<va>` */
void cmd_kmalloc(int argc, char **argv);  /**< `kmalloc <bytes> [pid]` */
void cmd_kfree(int argc, char **argv);    /**< `kfree 0x<addr>` */
void cmd_allocators(int argc, char **argv); /**< `allocators` */
void cmd_stress(int argc, char **argv);   /**< `stress <operations> [seed]` */
void cmd_poison(int argc, char **argv);   /**< `poison [on|off]` */
void cmd_bench(int argc, char **argv);    /**< `bench [pairs]` */
/** @brief Print every use after free that poisoning caught (after each command). */
void report_poison(void);
/** @brief 1 if @p va is canonical; otherwise print why it is refused, 0. */
int shell_canonical(uintptr_t va);
/** @brief Print why touching the lazy page of @p va failed: no free page. */
void shell_lazy_no_memory(uintptr_t va);
/** @brief Print the buddy block tree as a Graphviz digraph (dot buddy; with
 *         @p by_fragmentation, dot buddy frag: free blocks coloured by order).
 *  @return 1 if Ctrl-C stopped it (the graph, closed, shows only part), else 0 */
int dot_buddy(int by_fragmentation);
/** @brief Call @p fn with the id of each live scattered set (for Tab). */
void shell_each_set_id(void (*fn)(unsigned id, void *ctx), void *ctx);
/** @brief Print the allocator tree as a Graphviz digraph (dot alloc). */
void dot_alloc(void);
/** @brief Print what lies where in physical and virtual memory as a
 *         Graphviz digraph (dot layout). */
void dot_layout(void);

/** @brief Call @p fn with the id of each live scattered set that has a page
 *         in [@p start, @p end) (dot buddy names the sets it draws). */
void shell_each_set_in(uintptr_t start, uintptr_t end, void (*fn)(unsigned id, void *ctx),
		       void *ctx);

/** @brief What one fill colour of a dot picture means, for its legend. */
struct dot_colour {
	const char *fill;    /**< Graphviz colour, e.g. "palegreen" or "/rdylgn9/1" */
	const char *meaning; /**< what a node of that colour is */
};
/** @brief Print a legend node: a row for each of the @p count @p colours
 *         whose bit is set in @p used (bit i: colours[i]). */
void dot_legend(const struct dot_colour *colours, unsigned count, unsigned long used);

#endif
