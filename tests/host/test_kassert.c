/*
 * KASSERT on the host: a false condition prints "file:line: assertion
 * failed: cond" on stderr and aborts; a true one does nothing, and the
 * condition is evaluated exactly once. The failing case runs in a child
 * process (a death test) so that the test itself survives it.
 */
#define _POSIX_C_SOURCE 200809L
#include "fixture.h"
#include "death.h"
#include "kassert.h"

/* A kernel bug, two lines below. */
enum { BUG_LINE = __LINE__ + 3 };
static void kernel_bug(void)
{
	KASSERT(1 + 1 == 3);
}

static void test_false_condition_aborts_with_its_place(void **state)
{
	(void)state;
	char out[512], want[256];
	int status = run_child(kernel_bug, out, sizeof(out));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	snprintf(want, sizeof(want), "%s:%d: assertion failed: 1 + 1 == 3\n", __FILE__, BUG_LINE);
	assert_string_equal(out, want);
}

static void true_condition(void)
{
	KASSERT(2 + 2 == 4);
}

static void test_true_condition_goes_on(void **state)
{
	(void)state;
	char out[512];
	int status = run_child(true_condition, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "");
}

static void test_condition_is_evaluated_once(void **state)
{
	(void)state;
	int calls = 0;
	KASSERT(++calls == 1);
	assert_int_equal(calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_false_condition_aborts_with_its_place),
		cmocka_unit_test(test_true_condition_goes_on),
		cmocka_unit_test(test_condition_is_evaluated_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
