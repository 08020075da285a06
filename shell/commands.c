/**
 * @file commands.c
 * @brief The table of shell commands; each group lives in its own cmd_*.c.
 */
#include "commands.h"
#include "vm.h"

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
	{ "check", "", "verify every invariant of the page manager and the allocator tree", cmd_check },
	{ "map", "0x<va> <pages> [0x<pa>|auto] [r|rw|rx|rwx]",
	  "map pages in the window " VM_DEMO_TEXT " (auto: fresh pages)", cmd_map },
	{ "unmap", "0x<va> <pages>", "remove a mapping made with map", cmd_unmap },
	{ "vtop", "0x<va>", "translate a virtual address, with each level of the walk", cmd_vtop },
	{ "pt", "[0x<va>]", "the page-table tree (like leaves folded), or one walk", cmd_pt },
	{ "peek", "0x<va>", "read 8 bytes (a bad address faults, and the shell goes on)", cmd_peek },
	{ "poke", "0x<va> <value>", "write 8 bytes in the map window, a free page, or where it faults",
	  cmd_poke },
	{ "exec", "0x<va>", "jump to a non-executable address, to see the fault", cmd_exec },
	{ "kmalloc", "<bytes> [pid]", "allocate bytes from the allocator objects", cmd_kmalloc },
	{ "kfree", "0x<addr>", "free what kmalloc returned", cmd_kfree },
	{ "allocators", "", "one row per allocator object, in address order", cmd_allocators },
	{ "dot", "buddy | pt [0x<va>] | alloc",
	  "print a Graphviz graph of the buddy tree, page tables or allocator tree", cmd_dot },
	{ "stress", "<operations> [seed]",
	  "random alloc/free/kmalloc/map/unmap with a check every 1000; memory ends as it began",
	  cmd_stress },
	{ "poison", "[on|off]", "fill freed pages with 0x6b and check them when handed out again",
	  cmd_poison },
	{ "break", "", "stop in the Bochs debugger (a magic breakpoint)", cmd_break },
	{ "poweroff", "", "switch the machine off", cmd_poweroff },
	{ 0, 0, 0, 0 },
};
