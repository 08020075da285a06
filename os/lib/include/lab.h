/**
 * @file lab.h
 * @brief LAB_TODO(lab, function): the body of a function a lab's student has
 *        not written yet (docs/labs.md).
 *
 * A lab's starter kernel must never hang: a function the student still has
 * to write stops the kernel at once with one line the grader recognises,
 * "panic: lab <lab>: <function> is not written yet", and QEMU exits with a
 * non-zero status. In a hosted build (the host tests, the fuzzers) the same
 * line goes to stderr and the program aborts.
 */
#ifndef PAGODA_LAB_H
#define PAGODA_LAB_H

#if __STDC_HOSTED__
#include <stdio.h>
#include <stdlib.h>
/** @brief Stop: @p function of lab @p lab is not written yet (hosted builds abort). */
#define LAB_TODO(lab, function) \
	(fprintf(stderr, "panic: lab %s: %s is not written yet\n", lab, function), abort())
#else
#include "kprintf.h"
/** @brief Stop: @p function of lab @p lab is not written yet (the kernel panics). */
#define LAB_TODO(lab, function) panic("lab %s: %s is not written yet", lab, function)
#endif

#endif
