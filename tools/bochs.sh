#!/bin/sh
# Boot build/x86_64/pagoda.iso in Bochs, plainly or in its debugger.
#
# Usage: tools/bochs.sh run|debug [MEM [DISPLAY [COM1 [COMMANDS]]]]
#   run       boot and go (the shell's 'break' still stops in the debugger)
#   debug     load the kernel's symbols, stop at kmain (the C entry)
#   MEM       128M (default), 1G, ...
#   DISPLAY   term, x or headless (see tools/bochsrc.sh); default x when
#             $DISPLAY is set, else term
#   COM1      file:PATH (default build/x86_64/com1.txt) or socket:PORT
#   COMMANDS  debugger commands to run after stopping at kmain, one per
#             line (debug only; scripted sessions end theirs with q)
set -eu
[ $# -ge 1 ] || { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
mode=$1
B=build/x86_64
mem=${2:-128M}
default_display=term
[ -n "${DISPLAY:-}" ] && default_display=x
display=${3:-$default_display}
com1=${4:-file:$B/com1.txt}
commands=${5:-}

[ -f "$B/pagoda.iso" ] || { echo "error: $B/pagoda.iso is missing: run make ARCH=x86_64" >&2; exit 1; }
tools/bochsrc.sh "$B/pagoda.iso" "$mem" "$display" "$com1" "$B/bochs.log" >"$B/bochsrc"

rc=$B/bochs-$mode.rc
case "$mode" in
run)
	printf 'ldsym global "%s"\nc\n' "$B/kernel.sym" >"$rc"
	;;
debug)
	kmain=$(awk '$2 == "kmain" { print $1 }' "$B/kernel.sym")
	[ -n "$kmain" ] || { echo "error: no kmain in $B/kernel.sym" >&2; exit 1; }
	{
		echo "ldsym global \"$B/kernel.sym\""
		echo "lb $kmain"
		echo "c"
		[ -n "$commands" ] && printf '%s\n' "$commands"
	} >"$rc"
	echo "Bochs debugger: stopping at kmain ($kmain). Try: r, s, n, u /10, info gdt," \
		"info idt, info tab, x /4gx 0x200000, c, q" >&2
	;;
*)
	echo "error: mode must be run or debug, not '$mode'" >&2
	exit 2
	;;
esac
echo "Bochs $mode: $display display, COM1 -> ${com1}, log in $B/bochs.log" >&2
exec bochs -q -f "$B/bochsrc" -rc "$rc"
