/**
 * @file cpus.c
 * @brief cpus_init(): every CPU up at boot, and the boot log's word on them;
 *        cpu_park(): what the other CPUs do then, and cpus_run() to give
 *        them work.
 *
 * A CPU that did not start is left out and said so, never waited for.
 */
#include "cpus.h"
#include "kprintf.h"

/*
 * The work a parked CPU has been given. Only the boot CPU writes fn and
 * arg, and only while busy is 0; setting busy (release) hands them over,
 * and the parked CPU clears it (release) when fn has returned. So busy
 * says who owns the slot, and the boot CPU reads a finished CPU's results
 * after seeing busy 0 (acquire).
 */
static struct cpu_work {
	void (*fn)(void *arg);
	void *arg;
	int busy;
} work[ARCH_MAX_CPUS];

static unsigned nr_cpus;

_Noreturn void cpu_park(void)
{
	struct cpu_work *w = &work[arch_cpu_id()];
	for (;;) {
		/* The wake-up may come before the sleep: it is not lost (the
		 * interrupt stays pending), and the test is made again. */
		while (!__atomic_load_n(&w->busy, __ATOMIC_ACQUIRE))
			arch_wait_for_interrupt();
		w->fn(w->arg);
		__atomic_store_n(&w->busy, 0, __ATOMIC_RELEASE);
	}
}

int cpus_run(unsigned cpu, void (*fn)(void *arg), void *arg)
{
	struct arch_cpu info;
	if (cpu == arch_cpu_id() || arch_cpu_info(cpu, &info) != 0 ||
	    info.state != ARCH_CPU_PARKED || cpus_busy(cpu))
		return -1;
	work[cpu].fn = fn;
	work[cpu].arg = arg;
	__atomic_store_n(&work[cpu].busy, 1, __ATOMIC_RELEASE);
	arch_cpu_wake(cpu);
	return 0;
}

static void (*shared)(unsigned cpu); /* the share of the run cpus_share() is in */

static void run_shared(void *cpu)
{
	shared((unsigned)(uintptr_t)cpu);
}

int cpus_share(unsigned cpus, void (*share)(unsigned cpu), void (*waiting)(void))
{
	int err = 0;
	shared = share;
	for (unsigned i = 1; i < cpus; i++)
		if (cpus_run(i, run_shared, (void *)(uintptr_t)i) != 0)
			err = -1;
	share(0);
	for (unsigned i = 1; i < cpus; i++)
		while (cpus_busy(i))
			if (waiting)
				waiting();
	return err;
}

int cpus_busy(unsigned cpu)
{
	return cpu < ARCH_MAX_CPUS && __atomic_load_n(&work[cpu].busy, __ATOMIC_ACQUIRE);
}

void cpus_wait(unsigned cpu)
{
	while (cpus_busy(cpu))
		;
}

const char *cpu_state_name(enum arch_cpu_state state)
{
	switch (state) {
	case ARCH_CPU_STARTING:
		return "starting";
	case ARCH_CPU_RUNNING:
		return "running";
	case ARCH_CPU_PARKED:
		return "parked";
	case ARCH_CPU_LEFT_OUT:
		return "left out";
	}
	return "?";
}

void cpus_init(void)
{
	struct arch_cpu cpu;
	unsigned up = 0;
	nr_cpus = arch_cpus_start();
	for (unsigned i = 0; i < nr_cpus; i++)
		if (arch_cpu_info(i, &cpu) == 0 && cpu.state != ARCH_CPU_LEFT_OUT)
			up++;
	kprintf("cpus: %u found, %u up:", nr_cpus, up);
	const char *separator = " ";
	for (unsigned i = 0; i < nr_cpus; i++)
		if (arch_cpu_info(i, &cpu) == 0 && cpu.state != ARCH_CPU_LEFT_OUT) {
			kprintf("%scpu%u (%s %lu)", separator, i, arch_cpu_hw_name(), cpu.hw_id);
			separator = ", ";
		}
	kprintf("\n");
	for (unsigned i = 0; i < nr_cpus; i++)
		if (arch_cpu_info(i, &cpu) == 0 && cpu.state == ARCH_CPU_LEFT_OUT) {
			kprintf("cpus: cpu%u (%s %lu) left out: %s", i, arch_cpu_hw_name(), cpu.hw_id,
				cpu.why);
			kprintf(cpu.error ? " (error %ld)\n" : "\n", cpu.error);
		}
}

unsigned cpus_count(void)
{
	return nr_cpus;
}
