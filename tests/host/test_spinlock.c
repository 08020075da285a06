/*
 * Spinlocks on the host, where each thread is a CPU (host_cpu_set()): a
 * lock counts its acquires and the exchanges that found it taken, joins
 * the list `locks` prints once, and stops the program, naming the call
 * sites, when a CPU takes it twice or releases one it does not hold
 * (death tests, in a child process).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "fixture.h"
#include "death.h"
#include "spinlock.h"

static struct spinlock lock = SPINLOCK_INIT("test");

/* Where the first take of take_twice() is, and the second. */
enum { FIRST_LINE = __LINE__ + 3, SECOND_LINE = __LINE__ + 4 };
static void take_twice(void)
{
	spin_lock(&lock);
	spin_lock(&lock);
}

static void test_taken_twice_panics_with_both_places(void **state)
{
	(void)state;
	char out[512], want[512];
	int status = run_child(take_twice, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	snprintf(want, sizeof(want),
		 "panic: lock test taken again by cpu0 at %s:%d: it holds it since %s:%d\n",
		 __FILE__, SECOND_LINE, __FILE__, FIRST_LINE);
	assert_string_equal(out, want);
}

static void release_free_lock(void)
{
	spin_unlock(&lock);
}

static void release_other_cpus_lock(void)
{
	spin_lock(&lock);
	host_cpu_set(2);
	spin_unlock(&lock);
}

static void test_release_of_a_lock_not_held_panics(void **state)
{
	(void)state;
	char out[512];
	int status = run_child(release_free_lock, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_string_equal(out, "panic: lock test released by cpu0, which does not hold it\n");
	status = run_child(release_other_cpus_lock, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_string_equal(out, "panic: lock test released by cpu2, which does not hold it\n");
}

static unsigned times_listed(const struct spinlock *l)
{
	unsigned n = 0;
	for (const struct spinlock *p = spinlock_list(); p; p = p->next)
		n += p == l;
	return n;
}

static void test_counts_and_list(void **state)
{
	(void)state;
	static struct spinlock counted = SPINLOCK_INIT("counted");
	assert_int_equal(times_listed(&counted), 0);
	for (int i = 0; i < 3; i++) {
		assert_false(spin_held(&counted));
		spin_lock(&counted);
		assert_true(spin_held(&counted));
		assert_int_equal(counted.holder, 0);
		spin_unlock(&counted);
	}
	assert_false(spin_held(&counted));
	assert_int_equal(counted.holder, -1);
	assert_int_equal(counted.acquires, 3);
	assert_int_equal(counted.failed_spins, 0);
	assert_int_equal(times_listed(&counted), 1);
	spinlock_reset_counters();
	assert_int_equal(counted.acquires, 0);
	assert_int_equal(times_listed(&counted), 1);
}

static struct spinlock shared = SPINLOCK_INIT("shared");

static void *take_on_cpu1(void *arg)
{
	(void)arg;
	host_cpu_set(1);
	spin_lock(&shared);
	int held = spin_held(&shared) && shared.holder == 1;
	spin_unlock(&shared);
	return held ? &shared : NULL;
}

/* CPU 0 holds the lock while CPU 1 asks for it: CPU 1 fails at least one
 * exchange, waits, and has it once CPU 0 lets go. */
static void test_a_second_cpu_waits_and_counts(void **state)
{
	(void)state;
	pthread_t other;
	void *result;
	spin_lock(&shared);
	assert_int_equal(pthread_create(&other, NULL, take_on_cpu1, NULL), 0);
	struct timespec pause = { 0, 1000000 };
	for (int i = 0; i < 10000 && __atomic_load_n(&shared.failed_spins, __ATOMIC_RELAXED) == 0; i++)
		nanosleep(&pause, NULL);
	assert_true(__atomic_load_n(&shared.failed_spins, __ATOMIC_RELAXED) >= 1);
	assert_true(spin_held(&shared));
	spin_unlock(&shared);
	assert_int_equal(pthread_join(other, &result), 0);
	assert_ptr_equal(result, &shared);
	assert_int_equal(shared.acquires, 2);
	assert_int_equal(shared.holder, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taken_twice_panics_with_both_places),
		cmocka_unit_test(test_release_of_a_lock_not_held_panics),
		cmocka_unit_test(test_counts_and_list),
		cmocka_unit_test(test_a_second_cpu_waits_and_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
