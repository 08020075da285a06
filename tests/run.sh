#!/bin/sh
# Run a suite of Pagoda's tests; the last line is "N passed, N failed in M:SS".
#
#   tests/run.sh              make test: the loop every developer runs (about
#                             5 minutes on an idle two-core machine)
#   tests/run.sh toolchains   make test-toolchains: the shell suites on the
#                             llvm -O0 kernels, -O2 built and tested, the
#                             site with its call graphs
#   tests/run.sh labs         make test-labs: the proofs of the labs' graders
#
# Each step prints TAP ("ok N - name" / "not ok N - name"); this script
# shows each step's lines when it ends, counts them, and exits non-zero if
# anything failed. A step that crashes without printing a result counts as
# one failure. Independent steps run in two lanes at once (one per
# architecture's kernels), so a step's lines may come between another
# lane's; every step's log stays in build/test-logs/.
#
#   PAGODA_OPS=10000 tests/run.sh  a shorter randomised page-manager run
#   PAGODA_FUZZ_S=2 tests/run.sh   shorter fuzzing runs (default 5 s per target)
set -u
cd "$(dirname "$0")/.." || exit 2
suite=${1:-quick}
LOGS=build/test-logs
mkdir -p "$LOGS"
COUNTS=$LOGS/counts.$suite
LOCK=$LOGS/print.lock
: >"$COUNTS"
STEPS=$LOGS/steps.$suite
: >"$STEPS"
started=$(date +%s)

# show FILE: print FILE whole, never in the middle of another lane's lines.
show() {
	flock "$LOCK" cat "$1"
}

# count PASSED FAILED: add to the suite's totals (lanes append to one file).
count() {
	flock "$LOCK" sh -c "echo '$1 $2' >>'$COUNTS'"
}

# step NAME COMMAND...: run one step, show and count its TAP lines.
step() {
	name=$1
	shift
	log="$LOGS/$name.tap"
	echo "$log" >>"$STEPS"
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	status=$?
	out="$LOGS/$name.shown"
	{
		echo "== $name ($(($(date +%s) - t0)) s)"
		grep -E '^(not )?ok\b|^#' "$log" | sed 's/^/   /'
	} >"$out"
	# A TAP SKIP ("ok ... # SKIP why") is shown, not counted as passed.
	p=$(grep -E '^ok\b' "$log" | grep -cv '# SKIP')
	# A TAP TODO ("not ok ... # TODO") is work not done yet: shown, not failed.
	f=$(grep -E '^not ok\b' "$log" | grep -cv '# TODO')
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		{
			echo "   not ok - $name exited with status $status; last lines of $log:"
			tail -n 15 "$log" | sed 's/^/   # /'
		} >>"$out"
		f=1
	fi
	show "$out"
	count "$p" "$f"
}

# build NAME COMMAND...: a build counts as one test.
build() {
	name=$1
	shift
	out="$LOGS/$name.shown"
	t0=$(date +%s)
	if "$@" >"$LOGS/$name.log" 2>&1; then
		echo "== $name: ok ($(($(date +%s) - t0)) s)" >"$out"
		show "$out"
		count 1 0
	else
		{
			echo "== $name: FAILED ($(($(date +%s) - t0)) s)"
			tail -n 30 "$LOGS/$name.log" | sed 's/^/   # /'
		} >"$out"
		show "$out"
		count 0 1
		return 1
	fi
}

# suites ARCH [-O2]: the shell suites on the kernel built last for ARCH.
suites() {
	arch=$1
	tag=$2
	shift 2
	for s in "$@"; do
		step "$s-$arch-$tag" python3 tests/shell/test_$s.py --arch "$arch"
	done
}

ALL_SUITES="shell line console vm lazy memm stress aids long cpus"

# The quick suite's kernels of one architecture: both toolchains build it
# warning-free; the shell suites, the debugger, many memory sizes (and what
# only a PC has) on the gnu -O0 kernel, built last so that it is the one
# left in place.
quick_kernels() {
	arch=$1
	build "build-$arch-llvm" make --no-print-directory kernel ARCH="$arch" TOOLCHAIN=llvm
	build "build-$arch-gnu" make --no-print-directory kernel ARCH="$arch" TOOLCHAIN=gnu ||
		return 0
	suites "$arch" gnu $ALL_SUITES
	# make flipbook's page: a frame per command, self-contained, read back.
	step "flipbook-$arch" python3 tests/shell/test_flipbook.py --arch "$arch"
	step "gdb-$arch" python3 tests/shell/test_debug.py --arch "$arch"
	step "boot-$arch" python3 tests/shell/test_boot.py --arch "$arch"
	if [ "$arch" = x86_64 ]; then
		step "pc-and-bochs" python3 tests/shell/test_x86_64.py
		# make bench at one small size (here: this lane is the shorter):
		# it builds, runs, and every answer is sane (no timing asserted;
		# `make bench` itself stays out of make test).
		step "bench-smoke" python3 tools/bench/smoke.py
	fi
}

quick_host() {
	build "host-sources-clang-warning-free" make --no-print-directory host-clang-check
	if build "build-host-tests" make --no-print-directory host; then
		for t in build/host/test_*; do
			[ -x "$t" ] || continue
			step "host-$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
		done
		# The threads once more under ThreadSanitizer: a race fails it.
		step "host-tsan-test_pmm_threads" env TSAN_OPTIONS=halt_on_error=1 \
			CMOCKA_MESSAGE_OUTPUT=TAP build/host/tsan/test_pmm_threads
	fi
	# libFuzzer: every committed input (seeds, regressions) of each target,
	# then a short fuzzing run of it (`make fuzz` runs longer).
	if build "build-fuzz-targets" make --no-print-directory fuzz-build; then
		for t in fuzz_pmm fuzz_memm fuzz_vm fuzz_shell; do
			step "$t" tests/fuzz/run_target.sh $t "${PAGODA_FUZZ_S:-5}"
		done
	fi
	# The lab cutter's own tests and every marker balanced (the graders'
	# proofs are make test-labs); the class grader's input and jail.
	step "lab-cutter" python3 tools/lab/test_labs.py
	step "site-tools" python3 tools/site/test_site.py
	step "lab-mutants-tool" python3 tools/lab/test_mutants.py
	build "lab-markers" python3 tools/lab/lab.py check
	step "grade-class-input" python3 tests/grade_class/test_submissions.py
	step "layers-tool" python3 tests/shell/test_layers.py
	# docs/README.md, the map of the code, names every source file and no gone one.
	step "code-map" python3 tools/check_code_map.py
}

quick() {
	# Two lanes: the host side then riscv64's kernels; x86_64's kernels.
	{ quick_host; quick_kernels riscv64; } &
	lane=$!
	quick_kernels x86_64
	wait $lane
	# Both gnu -O0 kernels are in place now; the steps that use them, in
	# two lanes again.
	{
		# Both sites without their call graphs (make test-toolchains draws
		# them), checked as a reader meets them (links, markup, no lab's
		# code in the public one, Chromium); the pictures the reference
		# drew (not the fallback copies a handout uses) are the committed ones.
		build "docs-check" make --no-print-directory docs-check DOCS_GRAPHS=NO &&
			build "docs-pictures-current" python3 tools/site/pictures.py check
		# Each layer uses only the layers below it: the includes of every
		# source, the calls between the objects of both gnu -O0 kernels.
		step "layers" python3 tools/check_layers.py build/riscv64/obj-gnu-O0 \
			build/x86_64/obj-gnu-O0
		step "grade-class-jail" python3 tests/grade_class/test_jail.py
	} &
	lane=$!
	# Every transcript in README.md and docs/ is still what the kernels
	# print (make doc-transcripts rewrites them); the checker catches one
	# that is not (make test-labs proves the checker).
	step "doc-transcripts" python3 tools/doc_transcripts.py --check
	wait $lane
}

# The shell suites on the kernels the quick suite leaves out: the llvm -O0
# kernel of each architecture; -O2 (OPT=-O2, the speed build) built
# warning-free by both compilers, its suites run with one compiler per
# architecture, so optimisation never breaks what -O0 passes. The gnu -O0
# kernels are put back at the end.
toolchain_kernels() {
	arch=$1
	o2=$2
	if build "build-$arch-llvm" make --no-print-directory kernel ARCH="$arch" TOOLCHAIN=llvm; then
		suites "$arch" llvm $ALL_SUITES
	fi
	for tc in llvm gnu; do
		[ "$tc" = "$o2" ] && continue
		build "build-$arch-$tc-O2" make --no-print-directory kernel ARCH="$arch" \
			TOOLCHAIN="$tc" OPT=-O2
	done
	if build "build-$arch-$o2-O2" make --no-print-directory kernel ARCH="$arch" \
		TOOLCHAIN="$o2" OPT=-O2; then
		suites "$arch" "$o2-O2" shell vm lazy memm
	fi
	build "build-$arch-gnu" make --no-print-directory kernel ARCH="$arch" TOOLCHAIN=gnu
}

toolchains() {
	toolchain_kernels riscv64 gnu &
	lane=$!
	toolchain_kernels x86_64 llvm
	wait $lane
	# The course site with its call graphs, as `make docs` draws it: every
	# graph fits the page.
	build "docs-with-call-graphs" make --no-print-directory docs &&
		build "docs-graphs-fit" python3 tools/site/check.py build/docs/html
}

# The labs' graders proven (tools/lab/teeth.py, one lab at a time: each
# grades this tree too): the handout builds warning-free and leaks nothing,
# its starter scores below full, the reference full, every wrong solution
# below full, and the transcripts it ships hold in its own tree; then each
# lab's mutant record still holds for its code and tests, and meets the
# goal (tools/lab/mutants.py --check).
labs() {
	for lab in $(python3 tools/lab/lab.py list | cut -d' ' -f1); do
		step "lab-$lab" python3 tools/lab/teeth.py "$lab"
		# The documents the handout ships, checked in its own cut tree.
		step "lab-$lab-handout-transcripts" python3 tools/doc_transcripts.py \
			--check-handout "$lab"
		# The handout's own course site, as its student builds it.
		step "lab-$lab-handout-docs-check" sh -c "rm -rf build/labs/$lab/site-handout &&
			python3 tools/lab/lab.py handout $lab build/labs/$lab/site-handout >/dev/null &&
			make -C build/labs/$lab/site-handout --no-print-directory docs-check DOCS_GRAPHS=NO"
	done
	# The transcript checker itself: a changed number, a stale line, a
	# cited line fail; --update writes the truth back; --check-handout: a
	# line below the student's code moves there. (After one another: their
	# gdb sessions share build/<arch>/console.sock.)
	step "doc-transcripts-tool" python3 tests/shell/test_docs.py
	step "handout-transcripts-tool" python3 tests/shell/test_docs_handout.py
	step "lab-mutant-records" python3 tools/lab/mutants.py --check \
		$(python3 tools/lab/lab.py list | cut -d' ' -f1)
}

case $suite in
quick | toolchains | labs) $suite ;;
*)
	echo "usage: tests/run.sh [quick|toolchains|labs]" >&2
	exit 2
	;;
esac

todo=$(grep -hE '^not ok\b.*# TODO' $(cat "$STEPS") /dev/null)
if [ -n "$todo" ]; then
	echo "to do (TAP TODO: not failures, but not done):"
	echo "$todo" | sed 's/^/   /'
fi
passed=$(awk '{s += $1} END {print s + 0}' "$COUNTS")
failed=$(awk '{s += $2} END {print s + 0}' "$COUNTS")
took=$(($(date +%s) - started))
printf '%d passed, %d failed in %d:%02d\n' "$passed" "$failed" $((took / 60)) $((took % 60))
[ "$failed" -eq 0 ]
