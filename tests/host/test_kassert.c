/*
 * KASSERT on the host: a false condition prints "file:line: assertion
 * failed: cond" on stderr and aborts; a true one does nothing, and the
 * condition is evaluated exactly once. The failing case runs in a child
 * process (a death test) so that the test itself survives it.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "kassert.h"

/* A kernel bug, two lines below. */
enum { BUG_LINE = __LINE__ + 3 };
static void kernel_bug(void)
{
	KASSERT(1 + 1 == 3);
}

/* Run @fn in a child with its stderr into @out; the child's wait status. */
static int run_child(void (*fn)(void), char *out, size_t size)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		dup2(fds[1], 2);
		close(fds[0]);
		fn();
		_exit(0); /* KASSERT let it through */
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t n;
	while (len + 1 < size && (n = read(fds[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
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
