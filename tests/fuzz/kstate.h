/*
 * Forced into every kernel source of fuzz_shell (clang -include): the
 * kernel's variables go to sections of their own, which kstate.ld gathers
 * between __kstate_start and __kstate_end, so the harness can save the
 * whole kernel state after boot and put it back before every input.
 */
#pragma clang section bss = ".kstate.bss" data = ".kstate.data"
