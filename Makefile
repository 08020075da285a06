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
#   make help            this list, with the variables
#
# Variables: ARCH=riscv64|x86_64  TOOLCHAIN=gnu|llvm  MEM=128M (QEMU RAM)

include build.mk

.DEFAULT_GOAL := all
.PHONY: all kernel run test snapshot host clean deps help print-run-command print-boot-command \
	gdb console bochs bochs-debug docs

all: kernel

# Install what is missing on a fresh Debian/Ubuntu machine (once).
deps:
	@tools/deps.sh

kernel: deps
	@$(MAKE) --no-print-directory $(KERNEL) $(KERNEL_SYM) $(ARCH_IMAGES)

# The firmware may switch the terminal's line wrapping off (SeaBIOS sends
# ESC [ ? 7 l): afterwards wrapping is turned back on and the terminal's
# settings are put back as they were.
run: kernel
	@echo "Booting Pagoda ($(ARCH), $(MEM) RAM). Quit QEMU with Ctrl-A then X, or type 'poweroff'."
	@saved=$$(stty -g 2>/dev/null); status=0; \
	$(QEMU) $(QEMU_BOOT) -nographic || status=$$?; \
	if [ -t 1 ]; then printf '\033[?7h'; fi; \
	if [ -n "$$saved" ]; then stty "$$saved"; fi; \
	exit $$status

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

clean:
	rm -rf build

help:
	@sed -n '1,18s/^# \{0,1\}//p' Makefile
