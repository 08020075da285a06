#!/bin/sh
# Run every Pagoda test; the last line is "N passed, N failed".
#
# Each step prints TAP ("ok N - name" / "not ok N - name"); this script
# shows it as it comes, counts it, and exits non-zero if anything failed.
# A step that crashes without printing a result counts as one failure.
#
#   tests/run.sh                 everything
#   PAGODA_OPS=10000 tests/run.sh  a shorter randomised page-manager run
#   PAGODA_FUZZ_S=2 tests/run.sh   shorter fuzzing runs (default 8 s per target)
set -u
cd "$(dirname "$0")/.." || exit 2
LOGS=build/test-logs
mkdir -p "$LOGS"
passed=0
failed=0

# step NAME COMMAND...: run one step, show and count its TAP lines.
step() {
	name=$1
	shift
	log="$LOGS/$name.tap"
	echo "== $name"
	"$@" >"$log" 2>&1
	status=$?
	grep -E '^(not )?ok\b|^#' "$log" | sed 's/^/   /'
	p=$(grep -cE '^ok\b' "$log")
	f=$(grep -cE '^not ok\b' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "   not ok - $name exited with status $status; last lines of $log:"
		tail -n 15 "$log" | sed 's/^/   # /'
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# build NAME COMMAND...: a build counts as one test.
build() {
	name=$1
	shift
	if "$@" >"$LOGS/$name.log" 2>&1; then
		echo "== $name: ok"
		passed=$((passed + 1))
	else
		echo "== $name: FAILED"
		tail -n 30 "$LOGS/$name.log" | sed 's/^/   # /'
		failed=$((failed + 1))
		return 1
	fi
}

run_host_tests() {
	for t in build/host/test_*; do
		[ -x "$t" ] || continue
		step "host-$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
	done
}

build "docs-without-warnings" make --no-print-directory docs

build "host-sources-clang-warning-free" make --no-print-directory host-clang-check

if build "build-host-tests" make --no-print-directory host; then
	run_host_tests
fi

# make bench at one small size: it builds, runs, and every answer is sane
# (no timing asserted; `make bench` itself stays out of make test).
step "bench-smoke" python3 tools/bench/smoke.py

# libFuzzer: every committed input (seeds, regressions) of each target, then
# a short fuzzing run of it (PAGODA_FUZZ_S seconds; `make fuzz` runs longer).
if build "build-fuzz-targets" make --no-print-directory fuzz-build; then
	for t in fuzz_pmm fuzz_memm fuzz_vm fuzz_shell; do
		step "$t" tests/fuzz/run_target.sh $t "${PAGODA_FUZZ_S:-8}"
	done
fi

# Each kernel with each toolchain, warning-free, then the shell suite on it.
for arch in riscv64 x86_64; do
	for toolchain in llvm gnu; do
		if build "build-$arch-$toolchain" make --no-print-directory kernel ARCH=$arch \
			TOOLCHAIN="$toolchain"; then
			step "shell-$arch-$toolchain" python3 tests/shell/test_shell.py --arch $arch
			step "line-$arch-$toolchain" python3 tests/shell/test_line.py --arch $arch
			step "vm-$arch-$toolchain" python3 tests/shell/test_vm.py --arch $arch
			step "lazy-$arch-$toolchain" python3 tests/shell/test_lazy.py --arch $arch
			step "memm-$arch-$toolchain" python3 tests/shell/test_memm.py --arch $arch
			step "stress-$arch-$toolchain" python3 tests/shell/test_stress.py --arch $arch
			step "aids-$arch-$toolchain" python3 tests/shell/test_aids.py --arch $arch
		fi
	done
	# The gnu build is in place now: debug it, boot it at many memory
	# sizes, and try what only a PC has.
	step "gdb-$arch" python3 tests/shell/test_debug.py --arch $arch
	step "boot-$arch" python3 tests/shell/test_boot.py --arch $arch
	if [ $arch = x86_64 ]; then
		step "pc-and-bochs" python3 tests/shell/test_x86_64.py
	fi
	# OPT=-O2, the speed build: both toolchains build it warning-free (its
	# objects have their own directory), and the shell suites pass on one
	# of them, so that optimisation never breaks what -O0 passes. Each
	# compiler's optimiser gets one architecture.
	if [ $arch = riscv64 ]; then o2_suites=gnu; else o2_suites=llvm; fi
	for toolchain in llvm gnu; do
		if build "build-$arch-$toolchain-O2" make --no-print-directory kernel ARCH=$arch \
			TOOLCHAIN="$toolchain" OPT=-O2 && [ $toolchain = $o2_suites ]; then
			step "shell-$arch-$toolchain-O2" python3 tests/shell/test_shell.py --arch $arch
			step "vm-$arch-$toolchain-O2" python3 tests/shell/test_vm.py --arch $arch
			step "lazy-$arch-$toolchain-O2" python3 tests/shell/test_lazy.py --arch $arch
			step "memm-$arch-$toolchain-O2" python3 tests/shell/test_memm.py --arch $arch
		fi
	done
done

# Each layer uses only the layers below it: the includes of every source,
# the calls between the objects of both gnu -O0 kernels (built above); and
# the checker catches a broken rule.
step "layers" python3 tools/check_layers.py build/riscv64/obj-gnu-O0 build/x86_64/obj-gnu-O0
step "layers-tool" python3 tests/shell/test_layers.py
# docs/README.md, the map of the code, names every source file and no gone one.
step "code-map" python3 tools/check_code_map.py

# The labs: the cutter's own tests, every marker balanced, then for each lab
# (tools/lab/teeth.py): the handout builds warning-free with both toolchains,
# leaks no cut line, its starter scores below full, the reference scores full
# (in the handout and here with the hidden tests), every wrong solution below
# full. It leaves the gnu -O0 kernels in place.
step "lab-cutter" python3 tools/lab/test_labs.py
build "lab-markers" python3 tools/lab/lab.py check
for lab in $(python3 tools/lab/lab.py list | cut -d' ' -f1); do
	step "lab-$lab" python3 tools/lab/teeth.py "$lab"
done
# The class grader's input, its jail, verdicts and feedback (grading a whole test class,
# locally and on Slurm, is `make test-grade-class`, which CI runs).
step "grade-class-input" python3 tests/grade_class/test_submissions.py
step "grade-class-jail" python3 tests/grade_class/test_jail.py

# The gnu kernels are in place: every transcript in README.md and docs/ must
# still be what they print (make doc-transcripts rewrites them), and the
# checker must catch a doc that is not.
step "doc-transcripts" python3 tools/doc_transcripts.py --check
step "doc-transcripts-tool" python3 tests/shell/test_docs.py

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
