/**
 * @file cmd_pages.c
 * @brief alloc, free and show: the page manager's allocation calls, typed.
 *
 * Scattered sets are kept in a fixed table here, so the shell's bookkeeping
 * takes no pages from the page manager: meminfo moves by exactly what a
 * command asked for.
 */
#include "commands.h"
#include "kprintf.h"
#include "list.h"
#include "pmm.h"
#include "progress.h"
#include "kstring.h"

#define MAX_SETS 32

/* A live scattered set and the id the user knows it by (#1, #2, ...). */
struct shell_set {
	unsigned id; /* 0 = slot unused */
	struct pmm_set set;
};

static struct shell_set sets[MAX_SETS];
static unsigned next_set_id = 1;

static struct shell_set *find_set(unsigned id)
{
	for (int i = 0; i < MAX_SETS; i++)
		if (id != 0 && sets[i].id == id)
			return &sets[i];
	return NULL;
}

void shell_each_set_id(void (*fn)(unsigned id, void *ctx), void *ctx)
{
	for (int i = 0; i < MAX_SETS; i++)
		if (sets[i].id != 0)
			fn(sets[i].id, ctx);
}

void shell_each_set_in(uintptr_t start, uintptr_t end, void (*fn)(unsigned id, void *ctx),
		       void *ctx)
{
	for (int i = 0; i < MAX_SETS; i++) {
		struct list_node *n;
		if (sets[i].id == 0)
			continue;
		list_for_each(n, &sets[i].set.pages) {
			uintptr_t addr = pmm_set_address(n);
			if (start <= addr && addr < end) {
				fn(sets[i].id, ctx);
				break;
			}
		}
	}
}

/* The set holding the page at @addr, or NULL. */
static struct shell_set *set_of_page(uintptr_t addr)
{
	for (int i = 0; i < MAX_SETS; i++) {
		struct list_node *n;
		if (sets[i].id == 0)
			continue;
		list_for_each(n, &sets[i].set.pages)
			if (pmm_set_address(n) == addr)
				return &sets[i];
	}
	return NULL;
}

/* The live set that a "#<id>" word names, or NULL after saying why not. */
static struct shell_set *set_named(const char *word)
{
	uint64_t id;
	struct shell_set *slot;
	if (word[0] != '#' || !parse_number(word + 1, &id) || id == 0 || id > 0xffffffffu) {
		shell_error("'%s' is not a set id like #1", word);
		return NULL;
	}
	if ((slot = find_set((unsigned)id)) == NULL)
		shell_error("no scattered set #%u", (unsigned)id);
	return slot;
}

/* Say why @pages pages could not be had: too few free pages, no run long
 * enough, or (up to 256 pages, which come from one aligned buddy block)
 * no free block large enough although a run is. */
static void alloc_failed(uint64_t pages, int err, int contiguous)
{
	size_t free = pmm_free_page_count();
	if (err == PMM_ERR_INTERRUPTED) {
		shell_error("cannot allocate %lu page%s: interrupted (nothing was changed)",
			    (unsigned long)pages, plural(pages));
	} else if (err != PMM_ERR_NO_MEMORY) {
		shell_error("cannot allocate %lu page%s: %s", (unsigned long)pages, plural(pages),
			    pmm_strerror(err));
	} else if (free < pages || !contiguous) {
		shell_error("cannot allocate %lu page%s: not enough free memory (%lu page%s free)",
			    (unsigned long)pages, plural(pages), (unsigned long)free, plural(free));
	} else {
		size_t longest = pmm_longest_free_run();
		if (longest < pages)
			shell_error("cannot allocate %lu pages: no run of %lu contiguous free pages "
				    "(longest: %lu)", (unsigned long)pages, (unsigned long)pages,
				    (unsigned long)longest);
		else
			shell_error("cannot allocate %lu pages: no free block of %lu aligned pages "
				    "to take them from (longest run: %lu pages)", (unsigned long)pages,
				    1ul << pmm_order_of((size_t)pages), (unsigned long)longest);
	}
}

static void alloc_scattered(uint64_t pages)
{
	struct shell_set *slot = NULL;
	for (int i = 0; i < MAX_SETS && slot == NULL; i++)
		if (sets[i].id == 0)
			slot = &sets[i];
	if (slot == NULL) {
		shell_error("too many scattered sets (at most %d): free one first", MAX_SETS);
		return;
	}
	int err = pmm_alloc_scattered((size_t)pages, &slot->set);
	if (err != PMM_OK) {
		alloc_failed(pages, err, 0);
		return;
	}
	slot->id = next_set_id++;
	kprintf("allocated %lu pages as #%u\n", (unsigned long)pages, slot->id);
}

/* Parse the page count of alloc: 1 to the pages there are. */
static int parse_page_count(const char *word, uint64_t *pages)
{
	if (!parse_number(word, pages)) {
		shell_error("'%s' is not a number of pages", word);
		return 0;
	}
	if (*pages == 0) {
		shell_error("cannot allocate 0 pages");
		return 0;
	}
	if (*pages > pmm_total_pages()) {
		shell_error("cannot allocate %lu pages: only %lu page%s exist", (unsigned long)*pages,
			    (unsigned long)pmm_total_pages(), plural(pmm_total_pages()));
		return 0;
	}
	return 1;
}

void cmd_alloc(int argc, char **argv)
{
	uint64_t pages;
	uintptr_t addr;
	int err;

	if (argc == 2 && strcmp(argv[1], "page") == 0) {
		pages = 1;
		err = pmm_alloc_page(&addr);
	} else {
		int scattered = argc == 3;
		if (scattered && strcmp(argv[2], "scattered") != 0) {
			shell_usage("alloc");
			return;
		}
		if (!parse_page_count(argv[1], &pages))
			return;
		if (scattered) {
			alloc_scattered(pages);
			return;
		}
		err = pmm_alloc_contiguous((size_t)pages, &addr);
	}
	if (err != PMM_OK) {
		alloc_failed(pages, err, 1);
		return;
	}
	kprintf("allocated %lu pages at 0x%lx\n", (unsigned long)pages, (unsigned long)addr);
}

/* Explain, in one error line, why @addr could not be freed. */
static void free_failed(uintptr_t addr, int err)
{
	struct pmm_block block;
	struct shell_set *set;

	switch (err) {
	case PMM_ERR_INTERIOR:
		pmm_find_block(addr, &block);
		shell_error("0x%lx is inside the %lu-page allocation at 0x%lx, not its start",
			    (unsigned long)addr, (unsigned long)block.pages,
			    (unsigned long)block.addr);
		return;
	case PMM_ERR_NOT_ALLOCATED:
		pmm_find_block(addr, &block);
		shell_error("0x%lx is not allocated (free block of order %u at 0x%lx)",
			    (unsigned long)addr, block.order, (unsigned long)block.addr);
		return;
	case PMM_ERR_SCATTERED:
		set = set_of_page(addr);
		shell_error("0x%lx belongs to scattered set #%u: use 'free #%u'",
			    (unsigned long)addr, set ? set->id : 0, set ? set->id : 0);
		return;
	case PMM_ERR_HELD:
		pmm_find_block(addr, &block);
		if (block.holder == PMM_HOLDER_CACHE) {
			shell_error("0x%lx is not allocated: it was freed, and waits in a CPU's page "
				    "cache (pcp off gives it back)", (unsigned long)addr);
			return;
		}
		shell_error("0x%lx belongs to %s %s%s", (unsigned long)addr,
			    article(pmm_holder_name(block.holder)), pmm_holder_name(block.holder),
			    block.holder == PMM_HOLDER_MAPPING     ? ": unmap it instead"
			    : block.holder == PMM_HOLDER_ALLOCATOR ? ": kfree its blocks"
								 : "");
		return;
	default:
		shell_error("cannot free 0x%lx: %s", (unsigned long)addr, pmm_strerror(err));
	}
}

/* free #<id>: give back every page of a scattered set. */
static void free_set(struct shell_set *slot)
{
	unsigned id = slot->id;
	size_t count = slot->set.count, pages;
	int err = pmm_free_scattered(&slot->set, &pages);
	if (err == PMM_ERR_INTERRUPTED) {
		shell_error("interrupted: freed %lu of the %lu pages of #%u; the other %lu are "
			    "still in #%u", (unsigned long)pages, (unsigned long)count, id,
			    (unsigned long)slot->set.count, id);
		return;
	}
	if (err != PMM_OK) {
		shell_error("cannot free #%u: %s", id, pmm_strerror(err));
		return;
	}
	slot->id = 0;
	kprintf("freed %lu pages of #%u\n", (unsigned long)pages, id);
}

void cmd_free(int argc, char **argv)
{
	uintptr_t addr;
	(void)argc;

	if (argv[1][0] == '#') {
		struct shell_set *slot = set_named(argv[1]);
		if (slot)
			free_set(slot);
		return;
	}
	if (!parse_address(argv[1], &addr)) {
		shell_error("'%s' is not an address like 0x80200000", argv[1]);
		return;
	}
	size_t pages;
	int err = pmm_free(addr, &pages);
	if (err != PMM_OK) {
		free_failed(addr, err);
		return;
	}
	kprintf("freed %lu pages at 0x%lx\n", (unsigned long)pages, (unsigned long)addr);
}

static const char *state_name(unsigned state)
{
	switch (state) {
	case PMM_PAGE_FREE: return "free block";
	case PMM_PAGE_ALLOCATED: return "allocation";
	case PMM_PAGE_SCATTERED: return "scattered page";
	}
	return "?";
}

static void print_run(uintptr_t start, size_t pages)
{
	if (pages == 1)
		kprintf("  0x%lx\n", (unsigned long)start);
	else
		kprintf("  0x%lx-0x%lx (%lu pages)\n", (unsigned long)start,
			(unsigned long)(start + pages * PMM_PAGE_SIZE), (unsigned long)pages);
}

/* The pages of a set in allocation order, runs of adjacent ones on one line
 * (a large set is mostly runs); Ctrl-C stops the listing. */
static void show_set(const struct pmm_set *set)
{
	const struct list_node *n;
	uintptr_t start = 0;
	size_t run = 0, seen = 0;
	list_for_each(n, &set->pages) {
		uintptr_t addr = pmm_set_address(n);
		if (++seen % PROGRESS_EVERY == 0 && progress_report("show", seen, set->count))
			break;
		if (run > 0 && addr == start + run * PMM_PAGE_SIZE) {
			run++;
			continue;
		}
		if (run > 0)
			print_run(start, run);
		start = addr;
		run = 1;
	}
	if (run > 0)
		print_run(start, run);
	if (shell_interrupted())
		shell_error("interrupted: the listing stops at page %lu of %lu", (unsigned long)seen,
			    (unsigned long)set->count);
}

void cmd_show(int argc, char **argv)
{
	uintptr_t addr;
	(void)argc;

	if (argv[1][0] == '#') {
		struct shell_set *slot = set_named(argv[1]);
		if (slot == NULL)
			return;
		kprintf("#%u: %lu page%s\n", slot->id, (unsigned long)slot->set.count,
			plural(slot->set.count));
		show_set(&slot->set);
		return;
	}
	struct pmm_block block;
	if (!parse_address(argv[1], &addr)) {
		shell_usage("show");
		return;
	}
	if (pmm_find_block(addr, &block) != PMM_OK) {
		shell_error("0x%lx is not in managed memory", (unsigned long)addr);
		return;
	}
	kprintf("0x%lx is in the %s 0x%lx-0x%lx (%lu page%s) of seg%u", (unsigned long)addr,
		state_name(block.state), (unsigned long)block.addr,
		(unsigned long)(block.addr + block.pages * PMM_PAGE_SIZE),
		(unsigned long)block.pages, plural(block.pages), block.segment);
	if (block.state == PMM_PAGE_ALLOCATED && block.holder != PMM_HOLDER_ANYONE)
		kprintf(", owned by %s %s", article(pmm_holder_name(block.holder)),
			pmm_holder_name(block.holder));
	kprintf("\n");
}
