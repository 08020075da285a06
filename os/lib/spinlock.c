/**
 * @file spinlock.c
 * @brief The slow paths of spin_lock() and spin_unlock() (spinlock.h has
 *        their fast paths), and the list of locks.
 */
#include "kstring.h"
#include "spinlock.h"

#if __STDC_HOSTED__
#include <stdio.h>
#include <stdlib.h>

_Thread_local unsigned host_cpu;

void host_cpu_set(unsigned cpu)
{
	host_cpu = cpu;
}

#define LOCK_PANIC(...) (fprintf(stderr, "panic: " __VA_ARGS__), fputc('\n', stderr), abort())
#else
#include "kprintf.h"

#define LOCK_PANIC(...) panic(__VA_ARGS__)
#endif

static struct spinlock *all_locks;

/* A lock-free push, as two CPUs may take two new locks at once. */
void spin_enlist(struct spinlock *lock)
{
	if (__atomic_exchange_n(&lock->listed, 1, __ATOMIC_ACQ_REL))
		return;
	struct spinlock *head = __atomic_load_n(&all_locks, __ATOMIC_ACQUIRE);
	do
		lock->next = head;
	while (!__atomic_compare_exchange_n(&all_locks, &head, lock, 1, __ATOMIC_RELEASE,
					    __ATOMIC_ACQUIRE));
}

void spin_wait(struct spinlock *lock, const char *where)
{
	/* Test and test-and-set: spin on a plain load, which stays in this
	 * CPU's cache, and try the atomic exchange only when it looks free.
	 * Each exchange that finds it taken is a failed spin, as xv6 counts.
	 * A second take shows at the first: no other CPU can make this one
	 * the holder while it waits. */
	if (spin_held(lock))
		LOCK_PANIC("lock %s taken again by cpu%u at %s: it holds it since %s", lock->name,
			   this_cpu(), where, lock->taken_at);
	do {
		__atomic_fetch_add(&lock->failed_spins, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			;
	} while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE));
}

void spin_unlock_not_held(const struct spinlock *lock)
{
	LOCK_PANIC("lock %s released by cpu%u, which does not hold it", lock->name, this_cpu());
}

const struct spinlock *spinlock_release_mine(void)
{
	const struct spinlock *first = NULL;
	for (struct spinlock *l = spinlock_list(); l; l = l->next)
		if (spin_held(l)) {
			first = first ? first : l;
			__atomic_store_n(&l->holder, -1, __ATOMIC_RELAXED);
			__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
		}
	return first;
}

struct spinlock *spinlock_list(void)
{
	return __atomic_load_n(&all_locks, __ATOMIC_ACQUIRE);
}

const struct spinlock *spinlock_next(const struct spinlock *after)
{
	const struct spinlock *best = NULL;
	for (const struct spinlock *l = spinlock_list(); l; l = l->next)
		if ((after == NULL || strcmp(l->name, after->name) > 0) &&
		    (best == NULL || strcmp(l->name, best->name) < 0))
			best = l;
	return best;
}

void spinlock_reset_counters(void)
{
	for (struct spinlock *l = spinlock_list(); l; l = l->next) {
		__atomic_store_n(&l->acquires, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&l->failed_spins, 0, __ATOMIC_RELAXED);
	}
}
