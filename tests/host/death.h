/*
 * Death tests: run a function that must stop the program (a failed
 * KASSERT, a panic) in a child process, so that the test survives it and
 * can read what it printed. Include it after fixture.h (cmocka), in a file
 * that starts with #define _POSIX_C_SOURCE 200809L (fork, pipe).
 */
#ifndef PAGODA_TEST_DEATH_H
#define PAGODA_TEST_DEATH_H

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run @fn in a child with its stderr into @out; the child's wait status
 * (a normal exit 0 if @fn returned, SIGALRM if it ran for 10 s). */
static inline int run_child(void (*fn)(void), char *out, size_t size)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		alarm(10); /* a child that hangs instead dies of SIGALRM */
		dup2(fds[1], 2);
		close(fds[0]);
		fn();
		_exit(0);
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

#endif
