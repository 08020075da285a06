/**
 * @file spinlock.h
 * @brief Spinlocks you can watch: each counts its acquires and its failed
 *        spins (xv6's kalloctest counts the same), remembers who holds it
 *        and from where, and stops the kernel if a CPU takes it twice.
 *
 * A CPU holding a lock has its interrupts off, so nothing it runs can
 * wait for a lock it holds itself (an interrupt handler taking it would
 * spin for ever). Locks are released in the reverse order they were taken,
 * so each one's saved interrupt state is the right one to put back.
 *
 * Every lock joins the list the shell's `locks` prints the first time it
 * is taken. On the host (the tests, the pthreads harness) the threads are
 * the CPUs: each names itself with host_cpu_set().
 */
#ifndef PAGODA_SPINLOCK_H
#define PAGODA_SPINLOCK_H

#include <stdint.h>

/** @brief A spinlock and what it has seen. */
struct spinlock {
	int locked;             /**< 1 while held (changed atomically) */
	int holder;             /**< the CPU holding it, or -1 */
	const char *name;       /**< for `locks` and panics */
	const char *taken_at;   /**< "file:line" of the holder's spin_lock() */
	int interrupts_were_on; /**< the holder's interrupt state before it */
	uint64_t acquires;      /**< times taken */
	uint64_t failed_spins;  /**< tries that found it held */
	int listed;             /**< on the list of locks yet */
	struct spinlock *next;  /**< the next lock on that list */
};

/** @brief A spinlock named @p name (a string constant), free. */
#define SPINLOCK_INIT(name) { 0, -1, name, 0, 0, 0, 0, 0, 0 }

/** @brief @p x as a string literal (a helper of SPINLOCK_STRING). */
#define SPINLOCK_STRING_(x) #x
/** @brief @p x, a macro such as __LINE__, expanded and then made a string literal. */
#define SPINLOCK_STRING(x) SPINLOCK_STRING_(x)

#if __STDC_HOSTED__
/** @brief On the host: the calling thread is CPU @p cpu from now on (0 until it says). */
void host_cpu_set(unsigned cpu);

/** @brief The number host_cpu_set() gave the calling thread. */
extern _Thread_local unsigned host_cpu;

/** @brief The CPU running the caller: on the host, the thread's number. */
static inline unsigned this_cpu(void)
{
	return host_cpu;
}

/** @brief On the host there are no interrupts to turn off. @return 0 */
static inline int spin_interrupts_off(void)
{
	return 0;
}

/** @brief On the host: nothing to put back. */
static inline void spin_interrupts_restore(int on)
{
	(void)on;
}
#else
#include "arch.h"

/** @brief The CPU running the caller. */
static inline unsigned this_cpu(void)
{
	return arch_cpu_id();
}

/** @brief Interrupts off while a lock is held. @return 1 if they were on */
static inline int spin_interrupts_off(void)
{
	return arch_interrupts_off();
}

/** @brief Interrupts back on if @p on. */
static inline void spin_interrupts_restore(int on)
{
	arch_interrupts_restore(on);
}
#endif

/** @brief Put @p lock on the list `locks` prints: once, at its first spin_lock(). */
void spin_enlist(struct spinlock *lock);

/**
 * @brief spin_lock()'s slow path, after an exchange found @p lock taken:
 *        panic if this CPU holds it, else count failed spins until it is
 *        this CPU's.
 */
void spin_wait(struct spinlock *lock, const char *where);

/** @brief spin_unlock()'s panic: @p lock is not this CPU's. */
_Noreturn void spin_unlock_not_held(const struct spinlock *lock);

/** @brief Does this CPU hold @p lock? */
static inline int spin_held(const struct spinlock *lock)
{
	/* Only this CPU sets holder to its own number, and it clears it before
	 * releasing, so the answer cannot change under the caller's feet. */
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&lock->holder, __ATOMIC_RELAXED) == (int)this_cpu();
}

/** @brief Take @p lock, spinning while another CPU holds it. */
#define spin_lock(lock) spin_lock_at(lock, __FILE__ ":" SPINLOCK_STRING(__LINE__))

/**
 * @brief Take @p lock (spin_lock() names the call site @p where). Panics,
 *        naming both call sites, if this CPU holds it already.
 *
 * Inline, as every call into the buddy system takes a lock: the common
 * case is one exchange that finds the lock free. A CPU that holds
 * the lock finds it taken as well, so only the slow path (spin_wait) needs
 * to look for a second take.
 */
static inline void spin_lock_at(struct spinlock *lock, const char *where)
{
	int on = spin_interrupts_off();
	if (__builtin_expect(!__atomic_load_n(&lock->listed, __ATOMIC_ACQUIRE), 0))
		spin_enlist(lock);
	if (__builtin_expect(__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE), 0))
		spin_wait(lock, where);
	__atomic_store_n(&lock->holder, (int)this_cpu(), __ATOMIC_RELAXED);
	lock->taken_at = where;
	lock->interrupts_were_on = on;
	/* Only the holder adds: no read-modify-write needed. */
	__atomic_store_n(&lock->acquires, __atomic_load_n(&lock->acquires, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

/** @brief Release @p lock, which this CPU holds (else a panic). */
static inline void spin_unlock(struct spinlock *lock)
{
	if (__builtin_expect(!spin_held(lock), 0))
		spin_unlock_not_held(lock);
	int on = lock->interrupts_were_on;
	__atomic_store_n(&lock->holder, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
	spin_interrupts_restore(on);
}

/**
 * @brief Release every lock this CPU holds, without restoring interrupts:
 *        for a fault that abandons the code holding them (os/kernel/fault.c).
 * @return the first lock released (its name and taken_at still set), or NULL
 */
const struct spinlock *spinlock_release_mine(void);

/** @brief The first lock ever taken (then ->next), or NULL. */
struct spinlock *spinlock_list(void);

/**
 * @brief Every lock taken so far in the order of their names, so that
 *        listings come the same way each time: spinlock_next(NULL) is the
 *        first, NULL follows the last.
 */
const struct spinlock *spinlock_next(const struct spinlock *after);

/** @brief Set every lock's counters to zero (`locks reset`). */
void spinlock_reset_counters(void);

#endif
