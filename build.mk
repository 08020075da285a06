# build.mk: how Pagoda is built. The Makefile has the targets users type.
#
#   ARCH=riscv64|x86_64   which kernel (default riscv64)
#   TOOLCHAIN=gnu|llvm    GNU cross compiler, or clang + ld.lld (default gnu)
#
# Outputs go to build/$(ARCH)/ (kernel.elf, kernel.sym) and build/host/.

ARCH ?= riscv64
TOOLCHAIN ?= gnu
MEM ?= 128M
SMP ?= 1

ifeq ($(filter $(ARCH),riscv64 x86_64),)
  $(error ARCH must be riscv64 or x86_64, not '$(ARCH)')
endif
ifeq ($(filter $(TOOLCHAIN),gnu llvm),)
  $(error TOOLCHAIN must be gnu or llvm, not '$(TOOLCHAIN)')
endif
# ARCH_MAX_CPUS in arch/include/arch.h: the kernel starts 8 at most.
ifeq ($(filter $(SMP),1 2 3 4 5 6 7 8),)
  $(error SMP must be a number of CPUs from 1 to 8, not '$(SMP)')
endif

# Quiet by default; `make V=1` shows every command.
ifeq ($(V),1)
  Q :=
  say = @:
else
  Q := @
  say = @echo "  $(1)	$(2)"
endif

# -O0: every variable and line stays where a student stepping in gdb or
# Bochs expects it (even -Og loses loop counters). OPT=-O2 for speed.
OPT ?= -O0

BUILD := build/$(ARCH)
# One object directory per toolchain and optimisation (obj-gnu-O0,
# obj-llvm-O2, ...): switching between them recompiles nothing.
empty :=
space := $(empty) $(empty)
OBJDIR := $(BUILD)/obj-$(TOOLCHAIN)$(subst $(space),,$(OPT))
KERNEL := $(BUILD)/kernel.elf
KERNEL_SYM := $(BUILD)/kernel.sym

include arch/$(ARCH)/arch.mk

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# -nostdinc: no C library header (a host's /usr/include) can stand in for
# the kernel's own; only the compiler's freestanding ones (stdint.h,
# stddef.h, stdarg.h) stay visible.
COMPILER_INCLUDE := $(shell $(ARCH_CC) -print-file-name=include)
KERNEL_CFLAGS := -std=c11 $(WARNINGS) $(OPT) -g -ffreestanding -fno-builtin -nostdlib \
	-nostdinc -isystem $(COMPILER_INCLUDE) \
	-fno-stack-protector -fno-pic -fno-omit-frame-pointer $(ARCH_CFLAGS) -MMD -MP

# The layers, bottom to top (arch/include/arch.h explains them). Each
# directory sees only the headers of the layers it may use, so a wrong
# #include fails to compile; tools/check_layers.py (make layers) checks
# the includes and the calls between the layers.
#   kernel library  os/lib       its own headers, and the machine's
#   machine         arch/ARCH    the interface, its own, the kernel library
#   OS              os/          its own, the kernel library, the machine
#   shell           shell/       its own and everything below
#   composition     init/        everything but an arch's private headers
INC_KLIB := -Ios/lib/include -Iarch/include
INC_ARCH := -Iarch/include -Iarch/$(ARCH) -Ios/lib/include
INC_OS := -Ios/include -Ios/lib/include -Iarch/include
INC_SHELL := -Ishell $(INC_OS)
INC_INIT := -Ishell $(INC_OS)
# The include flags of source file $(1), by its directory.
layer_includes = $(strip \
	$(if $(filter os/lib/%,$(1)),$(INC_KLIB), \
	$(if $(filter os/%,$(1)),$(INC_OS), \
	$(if $(filter arch/%,$(1)),$(INC_ARCH), \
	$(if $(filter shell/%,$(1)),$(INC_SHELL), \
	$(if $(filter init/%,$(1)),$(INC_INIT), \
	$(error $(1): which layer is this directory in? See build.mk)))))))

# The kernel: everything in os/, shell/, init/ and this arch's directory.
KERNEL_SRCS := $(wildcard os/*/*.c) $(wildcard shell/*.c) $(wildcard init/*.c) $(ARCH_SRCS)
KERNEL_OBJS := $(patsubst %,$(OBJDIR)/%.o,$(KERNEL_SRCS))

# Recompile when the flags change (OPT=..., a new warning), not only the sources.
KERNEL_FLAGS_ALL := $(ARCH_CC) $(KERNEL_CFLAGS) | $(INC_KLIB) | $(INC_ARCH) | $(INC_OS) | \
	$(INC_SHELL) | $(INC_INIT)
$(OBJDIR)/cflags.stamp: FORCE
	@mkdir -p $(OBJDIR)
	@echo '$(KERNEL_FLAGS_ALL)' | cmp -s - $@ || echo '$(KERNEL_FLAGS_ALL)' > $@

$(OBJDIR)/%.c.o: %.c $(OBJDIR)/cflags.stamp
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(ARCH_CC) $(KERNEL_CFLAGS) $(call layer_includes,$<) -c $< -o $@

$(OBJDIR)/%.S.o: %.S $(OBJDIR)/cflags.stamp
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(ARCH_CC) $(KERNEL_CFLAGS) $(call layer_includes,$<) -D__ASSEMBLY__ -c $< -o $@

# Relink when the toolchain or OPT changes, even if no source did: the
# kernel is always build/$(ARCH)/kernel.elf, whichever objects made it.
$(BUILD)/toolchain.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo "$(TOOLCHAIN) $(OPT)" | cmp -s - $@ || echo "$(TOOLCHAIN) $(OPT)" > $@

$(KERNEL): $(KERNEL_OBJS) $(ARCH_LDSCRIPT) $(BUILD)/toolchain.stamp
	$(call say,LD,$@)
	$(Q)$(ARCH_LD) $(ARCH_LDFLAGS) -nostdlib -T $(ARCH_LDSCRIPT) -o $@ $(KERNEL_OBJS)

# "address type name" per line, as Bochs' ldsym and a student's eyes want.
$(KERNEL_SYM): $(KERNEL)
	$(call say,SYM,$@)
	$(Q)$(ARCH_NM) -n $< | awk 'NF == 3 && $$2 ~ /[tTdDbBrR]/ { print "0x" $$1, $$3 }' > $@

-include $(KERNEL_OBJS:.o=.d)

# ---- host side: the page manager as a library, its tests and tools ----

HOST_CC ?= cc
HOST_BUILD := build/host
HOST_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
# Host code sees the OS's headers (and, for the page-table formats, the
# machine interface); a test reaches an arch's header by its path.
HOST_INCLUDES := $(INC_OS)
HOST_CFLAGS := -std=c11 $(WARNINGS) -O1 -g -fno-omit-frame-pointer $(HOST_SANITIZE) \
	$(HOST_INCLUDES) -MMD -MP
# The host library: the page manager and the allocator layer above it
# (plain C; the vm layer needs an architecture and stays in the kernels).
PMM_SRCS := $(wildcard os/mm/pmm*.c) $(wildcard os/mm/memm*.c) os/lib/progress.c os/lib/spinlock.c
PMM_HOST_OBJS := $(patsubst %,$(HOST_BUILD)/%.o,$(PMM_SRCS))
PMM_LIB := $(HOST_BUILD)/libpmm.a

$(HOST_BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(PMM_LIB): $(PMM_HOST_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

HOST_TESTS := $(patsubst tests/host/%.c,$(HOST_BUILD)/%,$(wildcard tests/host/test_*.c))

$(HOST_BUILD)/test_%: $(HOST_BUILD)/tests/host/test_%.c.o $(PMM_LIB)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter-out $(PMM_LIB),$^) $(PMM_LIB) -lcmocka -pthread

# The threaded test (pthreads) is built once more with ThreadSanitizer
# instead of ASan (the two cannot share a program), with the page manager
# compiled again for it.
HOST_TSAN_BUILD := $(HOST_BUILD)/tsan
HOST_TSAN_CFLAGS := -std=c11 $(WARNINGS) -O1 -g -fno-omit-frame-pointer -fsanitize=thread \
	$(HOST_INCLUDES) -MMD -MP
HOST_TSAN_TEST := $(HOST_TSAN_BUILD)/test_pmm_threads

$(HOST_TSAN_BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call say,TSANCC,$<)
	$(Q)$(HOST_CC) $(HOST_TSAN_CFLAGS) -c $< -o $@

$(HOST_TSAN_TEST): $(patsubst %,$(HOST_TSAN_BUILD)/%.o,$(PMM_SRCS) tests/host/test_pmm_threads.c)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $(HOST_TSAN_CFLAGS) -o $@ $^ -lcmocka -pthread

-include $(wildcard $(HOST_TSAN_BUILD)/*/*/*.d $(HOST_TSAN_BUILD)/*/*/*/*.d)

# The walker test also links vm.c and both architectures' (plain C) formats.
$(HOST_BUILD)/test_vm: $(HOST_BUILD)/os/mm/vm.c.o $(HOST_BUILD)/os/mm/vm_check.c.o \
	$(HOST_BUILD)/os/mm/vm_lazy.c.o \
	$(HOST_BUILD)/arch/riscv64/pt.c.o \
	$(HOST_BUILD)/arch/x86_64/pt.c.o

# The host sources must be warning-free with clang as well as gcc.
HOST_CHECK_SRCS := $(PMM_SRCS) os/mm/vm.c os/mm/vm_check.c os/mm/vm_lazy.c arch/riscv64/pt.c arch/x86_64/pt.c $(wildcard tests/host/*.c) \
	$(wildcard labs/*/tests/*.c labs/*/hidden/*.c)
host-clang-check:
	$(Q)for f in $(HOST_CHECK_SRCS); do \
		clang -std=c11 $(WARNINGS) $(HOST_INCLUDES) -Itools/lab -fsyntax-only $$f || exit 1; \
	done

-include $(PMM_HOST_OBJS:.o=.d)

.PHONY: FORCE host-clang-check
FORCE:

# ---- fuzzing: libFuzzer targets under ASan + UBSan (tests/fuzz/) ----
#
# Each target is a harness in tests/fuzz/fuzz_<name>.c linked with the real
# sources; its seeds and regression inputs are in tests/fuzz/fuzz_<name>/.
# fuzz_shell also forces its kernel sources' variables into one range
# (kstate.h, kstate.ld) so every input starts from a freshly booted kernel.

FUZZ_CC := clang
FUZZ_BUILD := $(HOST_BUILD)/fuzz
FUZZ_TARGETS := fuzz_pmm fuzz_memm fuzz_vm fuzz_shell
FUZZ_CFLAGS := -std=c11 $(WARNINGS) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(INC_SHELL) -MMD -MP

FUZZ_PMM_SRCS := $(wildcard os/mm/pmm*.c) os/lib/progress.c os/lib/spinlock.c
FUZZ_MEMM_SRCS := $(FUZZ_PMM_SRCS) $(wildcard os/mm/memm*.c)
FUZZ_VM_SRCS := $(FUZZ_PMM_SRCS) os/mm/vm.c os/mm/vm_check.c arch/riscv64/pt.c arch/x86_64/pt.c
# The shell on the host: everything but the C library's functions, the boot
# (init/main.c, os/kernel/boot.c) and the machine, which tests/fuzz/fuzz_shell.c
# stands in for.
FUZZ_SHELL_SRCS := $(FUZZ_MEMM_SRCS) $(wildcard os/mm/vm*.c) $(wildcard shell/*.c) \
	os/kernel/bench_cpus.c os/kernel/cpus.c os/kernel/fault.c os/kernel/stress.c os/lib/console.c os/lib/format.c os/lib/mem_range.c \
	arch/x86_64/pt.c

fuzz_objs = $(patsubst %,$(FUZZ_BUILD)/$(1)/%.o,$(2))

$(FUZZ_BUILD)/lib/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/kernel/%.c.o: %.c tests/fuzz/kstate.h
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -include tests/fuzz/kstate.h -c $< -o $@

$(FUZZ_BUILD)/kernel/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(call say,FUZZAS,$<)
	$(Q)$(FUZZ_CC) -c -Wa,--noexecstack $< -o $@

$(FUZZ_BUILD)/fuzz_pmm: tests/fuzz/fuzz_pmm.c $(call fuzz_objs,lib,$(FUZZ_PMM_SRCS))
$(FUZZ_BUILD)/fuzz_memm: tests/fuzz/fuzz_memm.c $(call fuzz_objs,lib,$(FUZZ_MEMM_SRCS))
$(FUZZ_BUILD)/fuzz_vm: tests/fuzz/fuzz_vm.c $(call fuzz_objs,lib,$(FUZZ_VM_SRCS))
$(FUZZ_BUILD)/fuzz_pmm $(FUZZ_BUILD)/fuzz_memm $(FUZZ_BUILD)/fuzz_vm: tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_pmm.h
	@mkdir -p $(dir $@)
	$(call say,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c %.o,$^)

FUZZ_SHELL_WRAP := -Wl,--wrap=cmd_peek,--wrap=cmd_poke,--wrap=cmd_exec,--wrap=cmd_stress,--wrap=cmd_bench,--wrap=line_read
$(FUZZ_BUILD)/fuzz_shell: tests/fuzz/fuzz_shell.c tests/fuzz/fuzz.h tests/fuzz/fuzz_pmm.h \
	tests/fuzz/kstate.ld $(call fuzz_objs,kernel,$(FUZZ_SHELL_SRCS) arch/x86_64/setjmp.S)
	@mkdir -p $(dir $@)
	$(call say,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wl,-T,tests/fuzz/kstate.ld $(FUZZ_SHELL_WRAP) -o $@ \
		$(filter %.c %.o,$^)

fuzz-build: $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))

-include $(wildcard $(FUZZ_BUILD)/*/*/*.d $(FUZZ_BUILD)/*/*/*/*.d)

.PHONY: fuzz-build
