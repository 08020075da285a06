# Pagoda: a teaching kernel for riscv64 and x86_64.
#
#   make                 build the kernel (ARCH=riscv64, TOOLCHAIN=gnu)
#   make run             boot it in QEMU with the console on this terminal
#   make test            every test: host unit tests and the shell on QEMU
#   make snapshot CMDS='alloc 3; dot buddy'
#                        run shell commands, render each `dot` to SVG/PNG
#   make gdb             QEMU halted + gdb-multiarch stopped at kmain
#   make console         the shell of the kernel that `make gdb` debugs
#   make bochs           boot the x86_64 ISO in Bochs (BOCHS_DISPLAY=x|headless)
#   make bochs-debug     the same, in Bochs' debugger, stopped at kmain
#                        (or at another symbol: STOP=_start)
#   make docs            course documentation (Doxygen) in build/docs/html
#   make doc-transcripts rerun every transcript in README.md and docs/*.md and
#                        rewrite it in place (make test checks them: tools/
#                        doc_transcripts.py --check [FILE...])
#   make fuzz            libFuzzer on the page manager, kmalloc, page tables
#                        and the shell (FUZZ_S=60 seconds per target)
#   make help            this list, with the variables
#
# Variables: ARCH=riscv64|x86_64  TOOLCHAIN=gnu|llvm  MEM=128M (QEMU RAM)  FUZZ_S=60

include build.mk

.DEFAULT_GOAL := all
.PHONY: all kernel run test snapshot host clean deps help print-run-command print-boot-command \
	gdb console bochs bochs-debug docs doc-transcripts fuzz

all: kernel

# Install what is missing on a fresh Debian/Ubuntu machine (once).
deps:
	@tools/deps.sh

kernel: deps
	@$(MAKE) --no-print-directory $(KERNEL) $(KERNEL_SYM) $(ARCH_IMAGES)

run: kernel
	@echo "Booting Pagoda ($(ARCH), $(MEM) RAM). Quit QEMU with Ctrl-A then X, or type 'poweroff'."
	$(QEMU) $(QEMU_BOOT) -nographic

# The exact command `make run` uses, for the test harness and snapshot tool.
print-run-command:
	@echo $(QEMU) $(QEMU_BOOT) -nographic

# The same without a console, for tools that attach one of their own.
print-boot-command:
	@echo $(QEMU) $(QEMU_BOOT)

host: deps
	@$(MAKE) --no-print-directory $(PMM_LIB) $(HOST_TESTS)

test: deps
	@tests/run.sh

# Each fuzz target FUZZ_S seconds; findings land in build/host/fuzz/findings/.
FUZZ_S ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@for t in $(FUZZ_TARGETS); do tests/fuzz/run_target.sh $$t $(FUZZ_S) || exit 1; done

snapshot: kernel
	@python3 tools/snapshot.py --arch $(ARCH) --mem $(MEM) --out build/snapshots "$(CMDS)"

gdb: kernel
	@tools/gdb.sh $(ARCH)

console:
	@python3 tools/attach_console.py build/$(ARCH)/console.sock

# Bochs emulates a PC: these always use the x86_64 kernel.
BOCHS_DISPLAY ?= $(if $(DISPLAY),x,headless)
bochs bochs-debug: deps
	@$(MAKE) --no-print-directory kernel ARCH=x86_64
	@tools/bochs.sh $(if $(filter bochs,$@),run,debug) $(MEM) $(BOCHS_DISPLAY)

# Warnings are errors (Doxyfile): every public function stays documented.
docs: deps
	@mkdir -p build/docs
	@doxygen Doxyfile || { cat build/docs/warnings.txt; exit 1; }
	@echo "documentation: build/docs/html/index.html"

# The transcripts in the documentation, from real runs (after a kernel change).
doc-transcripts: deps
	@python3 tools/doc_transcripts.py --update

clean:
	rm -rf build

help:
	@sed -n '/^$$/q; s/^# \{0,1\}//p' Makefile
