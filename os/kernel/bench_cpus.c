/**
 * @file bench_cpus.c
 * @brief bench_cpus_run(): single-page pairs on several CPUs at once, as
 *        xv6's kalloctest does, to see the page manager's lock at work.
 */
#include "arch.h"
#include "bench_cpus.h"
#include "cpus.h"
#include "pmm.h"
#include "progress.h"

#define REPORT_EVERY 1024 /* pairs between two progress reports (CPU 0) */

static struct share {
	size_t pairs;
	struct bench_cpus_result *r;
} shares[ARCH_MAX_CPUS];
static int stopping;
static unsigned nr_sharing;

static void report_progress(void)
{
	size_t done = 0;
	for (unsigned i = 0; i < nr_sharing; i++)
		done += __atomic_load_n(&shares[i].r->pairs, __ATOMIC_RELAXED);
	if (progress_report("bench", done, nr_sharing * shares[0].pairs))
		__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
}

static void run_share(unsigned cpu)
{
	struct share *s = &shares[cpu];
	struct bench_cpus_result *r = s->r;
	uint64_t start = arch_time_ns();
	for (size_t i = 0; i < s->pairs && !__atomic_load_n(&stopping, __ATOMIC_RELAXED); i++) {
		if (s == &shares[0] && i > 0 && i % REPORT_EVERY == 0)
			report_progress();
		uintptr_t page;
		if (pmm_alloc_page(&page) != PMM_OK) {
			r->failed = 1;
			break;
		}
		*(volatile uint64_t *)page = i; /* a page is used, not just counted */
		if (pmm_free_page(page) != PMM_OK) {
			r->failed = 1;
			break;
		}
		__atomic_store_n(&r->pairs, i + 1, __ATOMIC_RELAXED);
	}
	r->ns = arch_time_ns() - start;
}

int bench_cpus_run(unsigned cpus, size_t pairs, struct bench_cpus_result *results)
{
	if (cpus == 0 || cpus > ARCH_MAX_CPUS || arch_cpu_id() != 0)
		return -1;
	nr_sharing = cpus;
	stopping = 0;
	for (unsigned i = 0; i < cpus; i++) {
		results[i] = (struct bench_cpus_result){ 0, 0, 0 };
		shares[i] = (struct share){ pairs, &results[i] };
	}
	report_progress();
	int bad = stopping || cpus_share(cpus, run_share, report_progress) != 0;
	for (unsigned i = 0; i < cpus; i++)
		bad |= results[i].failed;
	return bad ? -1 : 0;
}
