#!/bin/sh
# Run every Pagoda test; the last line is "N passed, N failed".
#
# Each step prints TAP ("ok N - name" / "not ok N - name"); this script
# shows it as it comes, counts it, and exits non-zero if anything failed.
# A step that crashes without printing a result counts as one failure.
#
#   tests/run.sh                 everything
#   PAGODA_OPS=10000 tests/run.sh  a shorter randomised page-manager run
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

# Each kernel with each toolchain, warning-free, then the shell suite on it.
for arch in riscv64 x86_64; do
	for toolchain in llvm gnu; do
		if build "build-$arch-$toolchain" make --no-print-directory kernel ARCH=$arch \
			TOOLCHAIN="$toolchain"; then
			step "shell-$arch-$toolchain" python3 tests/shell/test_shell.py --arch $arch
			step "line-$arch-$toolchain" python3 tests/shell/test_line.py --arch $arch
			step "vm-$arch-$toolchain" python3 tests/shell/test_vm.py --arch $arch
			step "memm-$arch-$toolchain" python3 tests/shell/test_memm.py --arch $arch
		fi
	done
	# The gnu build is in place now: debug it, and try what only a PC has.
	step "gdb-$arch" python3 tests/shell/test_debug.py --arch $arch
	if [ $arch = x86_64 ]; then
		step "pc-and-bochs" python3 tests/shell/test_x86_64.py
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
