/**
 * @file cmd_locks.c
 * @brief locks: one line per spinlock, with what it has counted since boot
 *        or the last `locks reset`.
 */
#include "commands.h"
#include "kprintf.h"
#include "kstring.h"
#include "spinlock.h"

void cmd_locks(int argc, char **argv)
{
	if (argc == 2) {
		if (strcmp(argv[1], "reset") != 0) {
			shell_error("'%s' is not 'reset' (locks, or locks reset)", argv[1]);
			return;
		}
		spinlock_reset_counters();
		kprintf("locks: every counter is 0 again\n");
		return;
	}
	if (spinlock_list() == NULL) {
		kprintf("locks: none taken yet\n");
		return;
	}
	for (const struct spinlock *l = spinlock_next(NULL); l; l = spinlock_next(l)) {
		unsigned long acquires = __atomic_load_n(&l->acquires, __ATOMIC_RELAXED);
		unsigned long failed = __atomic_load_n(&l->failed_spins, __ATOMIC_RELAXED);
		kprintf("%s: %lu acquire%s, %lu failed spin%s", l->name, acquires, plural(acquires),
			failed, plural(failed));
		int holder = __atomic_load_n(&l->holder, __ATOMIC_RELAXED);
		if (holder >= 0)
			kprintf(" (held by cpu%d, taken at %s)", holder, l->taken_at);
		kprintf("\n");
	}
}
