#!/bin/sh
# Debug the kernel with gdb: QEMU starts halted, gdb-multiarch stops at kmain.
#
# Usage: tools/gdb.sh ARCH [--batch GDB-COMMAND...]
#   ARCH      riscv64 or x86_64 (build it first: make ARCH=...)
#   --batch   run the given gdb commands after stopping at kmain and quit
#             (for scripted sessions such as the tests)
#
# QEMU's gdb stub and serial console are Unix sockets in build/ARCH/, so
# several users (or checkouts) on one machine never fight over a TCP port.
# While gdb runs, `make console ARCH=...` in another terminal is the shell.
set -eu
[ $# -ge 1 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
arch=$1
shift
B=build/$arch
case "$arch" in
riscv64)
	# QEMU loads the kernel before the first instruction: a software
	# breakpoint can be planted at once.
	stop="break kmain"
	;;
x86_64)
	# GRUB loads the kernel only after gdb attaches, over any software
	# breakpoint; a hardware one survives. gdb must expect 64-bit code.
	stop="hbreak kmain"
	;;
*)
	echo "error: ARCH must be riscv64 or x86_64, not '$arch'" >&2
	exit 2
	;;
esac
[ -f "$B/kernel.elf" ] || { echo "error: $B/kernel.elf is missing: run make ARCH=$arch" >&2; exit 1; }

boot=$(make -s --no-print-directory print-boot-command ARCH="$arch" | tail -n 1)
rm -f "$B/gdb.sock" "$B/console.sock"
# QEMU gets a session of its own: the terminal's Ctrl-C is for gdb (which
# then stops the kernel), not a signal that kills QEMU.
# shellcheck disable=SC2086
setsid $boot -S -display none \
	-chardev socket,id=gdb0,path="$B/gdb.sock",server=on,wait=off -gdb chardev:gdb0 \
	-chardev socket,id=con0,path="$B/console.sock",server=on,wait=off,logfile="$B/console.log" \
	-serial chardev:con0 2>"$B/qemu-gdb.log" &
qemu=$!
# Wait for QEMU to go: it removes its sockets on exit, which must not
# happen after the next session has made new ones.
trap 'kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
i=0
while [ ! -S "$B/gdb.sock" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "error: QEMU did not start" >&2; exit 1; }
	kill -0 $qemu 2>/dev/null || { echo "error: QEMU exited:" >&2; cat "$B/qemu-gdb.log" >&2; exit 1; }
	sleep 0.1
done

arch_line=
[ "$arch" = x86_64 ] && arch_line="set architecture i386:x86-64"
cat >"$B/gdbinit" <<GDB
$arch_line
target remote $B/gdb.sock
$stop
continue
GDB

if [ "${1:-}" = "--batch" ]; then
	shift
	printf '%s\n' "$@" >>"$B/gdbinit"
	gdb-multiarch -q -nx -batch -x "$B/gdbinit" "$B/kernel.elf"
else
	echo "gdb: stopping at kmain. The kernel's console: 'make console ARCH=$arch' in another" \
		"terminal (also logged to $B/console.log)." >&2
	# gdb runs as a job of its own (set -m): it alone is in the terminal's
	# foreground, so Ctrl-C interrupts the kernel and reaches neither this
	# script nor make, and quitting gdb is a clean exit with its status.
	[ -t 0 ] && set -m
	status=0
	gdb-multiarch -q -nx -x "$B/gdbinit" "$B/kernel.elf" || status=$?
	set +m
	exit $status
fi
