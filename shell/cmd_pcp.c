/**
 * @file cmd_pcp.c
 * @brief pcp: the per-CPU page caches (pmm_pcp.c): on, off, and what each
 *        CPU's cache holds and has done.
 */
#include "commands.h"
#include "cpus.h"
#include "kprintf.h"
#include "kstring.h"
#include "pmm.h"

static void print_caches(void)
{
	struct pmm_pcp_info info;
	for (unsigned cpu = 0; cpu < cpus_count(); cpu++) {
		pmm_pcp_info(cpu, &info);
		kprintf("pcp: cpu%u %lu page%s cached, %lu hit%s, %lu miss%s, %lu refill%s, "
			"%lu drain%s\n", cpu, (unsigned long)info.pages, plural(info.pages),
			(unsigned long)info.hits, plural(info.hits), (unsigned long)info.misses,
			info.misses == 1 ? "" : "es", (unsigned long)info.refills,
			plural(info.refills), (unsigned long)info.drains, plural(info.drains));
	}
}

void cmd_pcp(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0) {
		shell_usage("pcp");
		return;
	}
	if (argc == 2 && strcmp(argv[1], "on") == 0) {
		pmm_pcp_set(1);
		kprintf("pcp: on: a single page now comes from, and goes back to, the running CPU's "
			"own cache, without the pmm lock; a cache takes %u pages at a time from the "
			"buddy lists when empty and gives %u back above %u, so `alloc 1` gives the "
			"page this CPU freed last (or the next of a batch taken by the buddy policy), "
			"and cached pages are free to their CPU only\n",
			PMM_PCP_BATCH, PMM_PCP_BATCH, PMM_PCP_HIGH);
		if (pmm_poison_enabled())
			kprintf("pcp: poisoning is on, and single pages bypass the caches while it is\n");
		return;
	}
	if (argc == 2) {
		size_t cached = pmm_cached_page_count();
		pmm_pcp_set(0);
		kprintf("pcp: off: the caches gave %lu page%s back to the buddy lists\n",
			(unsigned long)cached, plural(cached));
		return;
	}
	if (!pmm_pcp_enabled()) {
		kprintf("pcp: off (single pages come from the buddy lists; pcp on turns the caches on)\n");
		return;
	}
	kprintf("pcp: on, batch %u, high %u\n", PMM_PCP_BATCH, PMM_PCP_HIGH);
	print_caches();
}
