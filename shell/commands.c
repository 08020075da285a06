/**
 * @file commands.c
 * @brief The table of shell commands; each group lives in its own cmd_*.c.
 *
 * The two numbers are the fewest and most words a command takes after its
 * name: the shell answers any other count with the command's usage line,
 * before the command runs.
 */
#include "commands.h"
#include "vm.h"

const struct command shell_commands[] = {
	{ "help", "[command]", 0, 1, "list the commands, or explain one", cmd_help },
	{ "alloc", "<pages> [scattered] | page", 1, 2,
	  "allocate contiguous pages, single pages as a set (#id), or one page", cmd_alloc },
	{ "free", "0x<address> | #<id>", 1, 1, "free an allocation by its start address, or a set",
	  cmd_free },
	{ "show", "#<id> | 0x<address>", 1, 1,
	  "list the pages of a set, or the block holding an address", cmd_show },
	{ "meminfo", "", 0, 0, "page counts, the segments of physical memory, lazy pages",
	  cmd_meminfo },
	{ "buddy", "[-v]", 0, 1,
	  "free blocks per order and segment (-v: each free list); then 'unusable': per\n"
	  "      order, the share of free memory in blocks too small for it (0.000-1.000);\n"
	  "      and each segment's longest free run (the most a request > 256 pages gets)",
	  cmd_buddy },
	{ "check", "", 0, 0, "verify every invariant of the page manager and the allocator tree",
	  cmd_check },
	{ "map", "0x<va> <pages> [0x<pa>|auto|lazy] [r|rw|rx|rwx]", 2, 4,
	  "map pages in the window " VM_DEMO_TEXT " (auto: fresh pages; lazy: reserve them, "
	  "each gets a zeroed page on its first access)", cmd_map },
	{ "unmap", "0x<va> <pages>", 2, 2,
	  "remove mappings and whole lazy reservations made with map", cmd_unmap },
	{ "vtop", "0x<va>", 1, 1, "translate a virtual address, with each level of the walk",
	  cmd_vtop },
	{ "pt", "[0x<va>]", 0, 1, "the page-table tree (like leaves folded), or one walk", cmd_pt },
	{ "peek", "0x<va>", 1, 1, "read 8 bytes (a bad address faults, and the shell goes on)",
	  cmd_peek },
	{ "poke", "0x<va> <value>", 2, 2,
	  "write 8 bytes in the map window, a free page, or where it faults", cmd_poke },
	{ "exec", "0x<va>", 1, 1, "jump to a non-executable address, to see the fault", cmd_exec },
	{ "kmalloc", "<bytes> [pid]", 1, 2, "allocate bytes from the allocator objects",
	  cmd_kmalloc },
	{ "kfree", "0x<addr>", 1, 1, "free what kmalloc returned", cmd_kfree },
	{ "allocators", "", 0, 0, "one row per allocator object, in address order", cmd_allocators },
	{ "dot", "buddy [frag] | pt [0x<va>] | alloc | layout", 1, 2,
	  "print a Graphviz graph of the buddy tree, page tables, allocator tree\n"
	  "      or memory layout (what lies where, physical and virtual)\n"
	  "      (buddy frag: free blocks coloured by order, red 4K .. green 1M)", cmd_dot },
	{ "stress", "[-j <cpus>] <operations> [seed]", 1, 4,
	  "random alloc/free/kmalloc/map/unmap with a check every 1000; memory ends as it began\n"
	  "      (-j: on that many CPUs at once, each its own seed; then the locks' counts)",
	  cmd_stress },
	{ "bench", "[-j <cpus>] [pairs]", 0, 3,
	  "time alloc+free pairs of the page manager (default 10000 each); memory ends as it began\n"
	  "      (-j: single pages on that many CPUs at once, page caches off then on)",
	  cmd_bench },
	{ "poison", "[on|off]", 0, 1,
	  "fill freed pages with 0x6b and check them when handed out again", cmd_poison },
	{ "break", "", 0, 0, "stop in the Bochs debugger (a magic breakpoint)", cmd_break },
	{ "cpus", "", 0, 0, "one line per CPU: its number, the machine's id for it, where it is",
	  cmd_cpus },
	{ "pcp", "[on|off]", 0, 1,
	  "per-CPU page caches: single pages without the pmm lock (off by default; no argument: "
	  "each cache)", cmd_pcp },
	{ "locks", "[reset]", 0, 1,
	  "one line per lock: times taken and failed spins (reset: count from 0 again)",
	  cmd_locks },
	{ "poweroff", "", 0, 0, "switch the machine off", cmd_poweroff },
	{ 0, 0, 0, 0, 0, 0 },
};
