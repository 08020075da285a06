/**
 * @file commands.c
 * @brief The table of shell commands; each group lives in its own cmd_*.c.
 */
#include "commands.h"

const struct command shell_commands[] = {
	{ "help", "[command]", "list the commands, or explain one", cmd_help },
	{ "alloc", "<pages> [scattered] | page",
	  "allocate contiguous pages, single pages as a set (#id), or one page", cmd_alloc },
	{ "free", "0x<address> | #<id>", "free an allocation by its start address, or a set",
	  cmd_free },
	{ "show", "#<id> | 0x<address>", "list the pages of a set, or the block holding an address",
	  cmd_show },
	{ "meminfo", "", "page counts and the segments of physical memory", cmd_meminfo },
	{ "buddy", "[-v]", "free blocks per order and segment (-v: each free list)", cmd_buddy },
	{ "check", "", "verify every invariant of the page manager", cmd_check },
	{ "dot", "buddy", "print a Graphviz graph of the buddy block tree", cmd_dot },
	{ "break", "", "stop in the Bochs debugger (a magic breakpoint)", cmd_break },
	{ "poweroff", "", "switch the machine off", cmd_poweroff },
	{ 0, 0, 0, 0 },
};
