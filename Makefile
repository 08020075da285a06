# Pagoda: a teaching kernel for riscv64 and x86_64.
#
# Targets:
#   make                 build the kernel (same as `make all` and `make kernel`)
#   make run             boot it in QEMU with the console on this terminal
#   make test            the quick loop (about 5 minutes): host unit tests,
#                        short fuzzing, both kernels built with both
#                        toolchains, the shell suites on the gnu -O0
#                        kernels, gdb and Bochs, the sites (make
#                        docs-check), the docs and their
#                        transcripts; last line "N passed, N failed in M:SS"
#   make test-toolchains the shell suites on the llvm kernels; -O2 built with
#                        both compilers and tested with one per arch
#   make test-labs       the labs' graders proven: each handout builds and
#                        leaks nothing, its starter fails, every wrong
#                        solution fails (tools/lab/teeth.py), its own
#                        site passes make docs-check, and every lab's
#                        mutant record holds (make mutants)
#   make host            the page manager's host unit tests (build/host/test_*)
#   make host-clang-check  the host sources (the labs' tests too) compile
#                        warning-free with clang
#   make layers          each layer uses only the ones below it: includes, and
#                        the calls between this ARCH's objects (tools/
#                        check_layers.py; arch/include/arch.h has the layers)
#   make snapshot CMDS='alloc 3; dot buddy'
#                        run shell commands, render each `dot` to SVG/PNG
#   make flipbook CMDS='alloc 5 scattered; free #1' [OUT=page.html]
#                        one HTML page that steps through the allocators
#                        after each command (dot buddy and dot alloc drawn;
#                        default OUT build/flipbook/flipbook.html)
#   make gdb             QEMU halted + gdb-multiarch stopped at kmain
#                        (Ctrl-C stops the running kernel; quit leaves)
#   make console         the shell of the kernel that `make gdb` debugs
#   make bochs           boot the x86_64 ISO in Bochs
#   make bochs-debug     the same, in Bochs' debugger, stopped at kmain
#   make docs            this tree's course site (Doxygen) in build/docs/html:
#                        in the reference the instructors' site, with every
#                        lab's solution (DOCS_GRAPHS=NO: without the call
#                        graphs, several times faster)
#   make docs-pictures   only draw the pictures of the docs with the kernel
#                        (tools/site/pictures.py; make docs does it first)
#   make site            the site to publish, in build/site/html: every lab's
#                        code cut as in the handouts, no instructors' pages
#   make docs-check      build the sites and check them as a reader meets
#                        them: every link, no unread markup, no lab's code
#                        in a public site, screenshots in headless Chromium
#   make doc-transcripts rerun every transcript in README.md, docs/*.md and
#                        labs/*/README.md and rewrite it in place, typed
#                        addresses following the pages that moved (make test
#                        checks them: tools/doc_transcripts.py --check [FILE...])
#   make fuzz            libFuzzer on the page manager, kmalloc, page tables
#                        and the shell (FUZZ_S seconds per target)
#   make fuzz-build      only build the fuzz targets (build/host/fuzz/)
#   make bench           time the page manager on the host (-O2) against a
#                        free-list floor and a naive first fit, count its
#                        instructions under valgrind, judge the goals of
#                        docs/performance.md: a table, and build/bench/bench.csv
#   make bench-build     only build the benchmark (build/bench/bench*)
#   make bench-plot      draw build/bench/bench.csv as PNGs (gnuplot)
#   make bench-kernel    boot both kernels built OPT=-O2, run the `bench`
#                        command, and set its ns/op beside the host's
#   make labs            the labs, in course order: `<name>  <title>` per line
#   make handout LAB=kmalloc DEST=../kmalloc-lab
#                        a student's repository for one lab: the kernel with
#                        the lab's code cut out, its handout, public tests
#                        and grader, in one fresh commit (docs/labs.md)
#   make mutants LAB=kmalloc  every mutant of the lab's code graded (LAB=all:
#                        every lab; JOBS=n): survivors with their diffs,
#                        labs/<lab>/mutants.json, the table in docs/labs.md
#   make grade LAB=kmalloc  grade a lab: one line per test, last line
#                        `score: <got>/<max>`; exits 0 only at full marks;
#                        build/grade/<lab>.json (in a handout LAB is known,
#                        and there `make test` is `make grade`)
#   make grade-class LAB=kmalloc SUBMISSIONS=dir [OUT=dir] [ENGINE=local|slurm]
#                        grade a class: one repository, bundle or tarball per
#                        student; OUT/gradebook.csv and OUT/feedback/<id>.txt
#                        (default OUT build/grade-class/<lab>/; ENGINE=slurm
#                        submits an array job; tools/grade-class --help has
#                        the limits and the rest; docs/grading.md)
#   make test-grade-class  the class grader on a test class, locally and on a
#                        single-node Slurm cluster (tools/slurm-local), then
#                        make test-redteam; CI runs it after make test
#   make test-redteam    a hostile class (tests/grade_class/make_redteam.py:
#                        an attack per way to fool the grader, each on an
#                        honest base) graded with both engines and as a
#                        user who is not root: no attack scores above its
#                        base, nothing outside a grade changes (root)
#   make test-slurm      tools/slurm-local brings a one-node Slurm cluster up
#                        and down, a job array runs through it (root; not in
#                        make test; SLOW=1 also waits out a --time limit)
#   make deps            install the Debian packages the project needs
#   make deps-grading    and those grading a class needs (GNU parallel, Slurm)
#   make clean           remove build/
#   make print-run-command   the QEMU command `make run` uses (for tools)
#   make print-boot-command  the same without a console
#   make help            this list
#
# Variables (make VAR=value ...):
#   ARCH=riscv64|x86_64  which kernel (default riscv64)
#   TOOLCHAIN=gnu|llvm   GNU cross compiler, or clang + ld.lld (default gnu)
#   MEM=128M             QEMU's and Bochs' RAM (e.g. MEM=1G)
#   SMP=1                CPUs of the machine, 1 to 8 (e.g. SMP=4): QEMU's
#                        and Bochs'; every one starts, then parks
#   OPT=-O0              the kernel's optimisation (OPT=-O2 for speed)
#   V=1                  show every build command
#   CMDS='...'           the shell commands for make snapshot and make
#                        flipbook, ';' between
#   STOP=kmain           the symbol make bochs-debug stops at (e.g. STOP=_start)
#   BOCHS_DISPLAY=x|headless  Bochs' screen: a window, or none with the
#                        serial console on this terminal (default x when
#                        DISPLAY is set, else headless)
#   HOST_CC=cc           the compiler of the host tests
#   FUZZ_S=60            seconds per target for make fuzz
#   BENCH_SIZES='4G 16G' managed memory sizes for make bench
#   BENCH_REPEATS=5      repeats of each timing (min and median are shown)
#   LAB=kmalloc          the lab of make handout and make grade
#   DEST=dir             where make handout writes (a new or empty directory)
#   TEST=name            make grade: run only this test (riscv64/name, or name
#                        on both architectures)
#   SEED=N               make grade: replay the run that printed this seed
#                        (make grade-class: the class's seed)
#   HIDDEN=1             make grade: also the hidden tests (labs/<lab>/hidden/)
#   SUBMISSIONS=dir      make grade-class: the class's submissions
#   OUT=dir              make grade-class: where the gradebook goes
#                        (make flipbook: the page's file name)
#   ENGINE=local|slurm   make grade-class: GNU parallel here, or Slurm
#   TIMEOUT=600          make grade-class: seconds per submission at most
#   PAGODA_OPS=10000     (environment, make test) a shorter randomised run
#   PAGODA_FUZZ_S=5      (environment, make test) seconds per fuzz target

include build.mk
include tools/bench/bench.mk
include tools/lab/lab.mk

.DEFAULT_GOAL := all
.PHONY: all kernel run test test-toolchains test-labs snapshot flipbook host clean deps help print-run-command print-boot-command \
	gdb console bochs bochs-debug docs docs-pictures site docs-check doc-transcripts fuzz layers labs handout grade mutants \
	grade-class test-grade-class test-redteam deps-grading test-slurm

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
	@$(MAKE) --no-print-directory $(PMM_LIB) $(HOST_TESTS) $(HOST_TSAN_TEST)

# In a lab's handout (.pagoda-lab names the lab) the tests are its grader.
test: deps
	@if [ -f .pagoda-lab ]; then $(MAKE) --no-print-directory grade; else tests/run.sh; fi

# What make test only builds, tested (CI runs it after make test).
test-toolchains: deps
	@tests/run.sh toolchains

# The labs' graders proven: teeth and mutant records (CI runs it).
test-labs: deps
	@if [ -f .pagoda-lab ]; then \
		echo "error: make test-labs needs the reference tree (this is a handout: make grade)"; \
		exit 2; fi
	@tests/run.sh labs

# The objects only: checking them relinks no kernel.
layers: deps
	@$(MAKE) --no-print-directory $(KERNEL_OBJS)
	@python3 tools/check_layers.py --nm $(ARCH_NM) $(OBJDIR)

# Each fuzz target FUZZ_S seconds; findings land in build/host/fuzz/findings/.
FUZZ_S ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@for t in $(FUZZ_TARGETS); do tests/fuzz/run_target.sh $$t $(FUZZ_S) || exit 1; done

# CMDS reaches the console verbatim: in the environment, never through a shell.
snapshot: export PAGODA_CMDS = $(value CMDS)
snapshot: kernel
	@python3 tools/snapshot.py --arch $(ARCH) --mem $(MEM) --out build/snapshots

# The same commands, with the allocators drawn after each, as one HTML page.
flipbook: export PAGODA_CMDS = $(value CMDS)
flipbook: export PAGODA_FLIPBOOK = $(value OUT)
flipbook: kernel
	@python3 tools/flipbook.py --arch $(ARCH) --mem $(MEM) \
		--out "$${PAGODA_FLIPBOOK:-build/flipbook/flipbook.html}"

gdb: kernel
	@tools/gdb.sh $(ARCH)

console:
	@python3 tools/attach_console.py build/$(ARCH)/console.sock

# Bochs emulates a PC: these always use the x86_64 kernel.
BOCHS_DISPLAY ?= $(if $(DISPLAY),x,headless)
bochs bochs-debug: deps
	@$(MAKE) --no-print-directory kernel ARCH=x86_64
	@SMP=$(SMP) tools/bochs.sh $(if $(filter bochs,$@),run,debug) $(MEM) $(BOCHS_DISPLAY)

# The course site (tools/site/build.py). Doxyfile checks every public
# function is documented; Doxyfile.site builds the pages; warnings are
# errors in both. `make docs` is this tree's site: in the reference the
# instructors' one (every lab's solution, grading, wrong solutions); in a
# handout the student's. `make site` is the one to publish: every lab's code
# cut, as the handouts have it, and no instructors' pages.
# The site's pictures are drawn by the kernel (tools/site/pictures.py lists
# them); the copies beside the documents are for readers of the repository,
# and for a handout whose kernel cannot draw them yet (its lab unfinished):
# then the site shows the copy (make test checks the copies are current).
DOCS_PICTURES := build/docs/pictures
DOCS_GRAPHS ?= YES
DOCS_KIND := $(if $(wildcard .pagoda-lab),public,instructors)
docs-pictures: deps
	@$(MAKE) --no-print-directory kernel ARCH=riscv64
	@$(MAKE) --no-print-directory kernel ARCH=x86_64
	@python3 tools/site/pictures.py draw --out $(DOCS_PICTURES)

docs: docs-pictures
	@python3 tools/site/build.py --kind $(DOCS_KIND) --out build/docs \
		--pictures $(DOCS_PICTURES) --graphs $(DOCS_GRAPHS)

site: docs-pictures
	@python3 tools/site/build.py --kind public --out build/site \
		--pictures $(DOCS_PICTURES) --graphs $(DOCS_GRAPHS)

# The sites as a reader meets them (tools/site/check.py): links, unread
# markup, no lab's code in a public site, graph widths, and Chromium's
# screenshots (build/<site>/screenshots/) of the start page, a handout and a
# picture. In the reference both sites, in a handout its own.
SITE_LAB := $(or $(LAB),buddy)
SITE_CHECK = python3 tools/site/check.py --screenshots $(1)/screenshots \
	--shot index.html="Start here" --shot lab_$(SITE_LAB).html="Lab" \
	--picture buddy-tree.svg --picture allocator-tree.svg --search Sv39
docs-check: docs-pictures
	@tools/deps.sh site
	@python3 tools/site/build.py --kind $(DOCS_KIND) --out build/docs \
		--pictures $(DOCS_PICTURES) --graphs $(DOCS_GRAPHS)
	@$(call SITE_CHECK,build/docs) $(if $(filter public,$(DOCS_KIND)),--public) build/docs/html
	@if [ "$(DOCS_KIND)" = instructors ]; then \
		python3 tools/site/build.py --kind public --out build/site \
			--pictures $(DOCS_PICTURES) --graphs $(DOCS_GRAPHS) && \
		$(call SITE_CHECK,build/site) --public build/site/html; fi

# The transcripts in the documentation, from real runs (after a kernel change).
doc-transcripts: deps
	@python3 tools/doc_transcripts.py --update

clean:
	rm -rf build

# The comment at the top of this file, up to its first non-comment line.
help:
	@sed -n '/^#/!q; s/^# \{0,1\}//p' Makefile
