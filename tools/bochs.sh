#!/bin/sh
# Boot build/x86_64/pagoda.iso in Bochs, plainly or in its debugger.
#
# Usage: tools/bochs.sh run|debug [MEM [DISPLAY [COM1 [COMMANDS]]]]
#   run       boot and go (the shell's 'break' still stops in the debugger)
#   debug     load the kernel's symbols, stop at kmain (the C entry), or
#             at the symbol named by $STOP (e.g. STOP=_start)
#   MEM       128M (default), 1G, ...
#   DISPLAY   x (a window: VGA screen and PS/2 keyboard), headless or term
#             (see tools/bochsrc.sh); default x when $DISPLAY is set,
#             else headless
#   COM1      file:PATH, socket:PORT or term:TTY; default: this terminal
#             when headless (the shell is on the serial port), else the
#             file build/x86_64/com1.txt
#   COMMANDS  debugger commands to run after stopping at kmain, one per
#             line (debug only; scripted sessions end theirs with q)
set -eu
[ $# -ge 1 ] || { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
mode=$1
B=build/x86_64
mem=${2:-128M}
default_display=headless
[ -n "${DISPLAY:-}" ] && default_display=x
display=${3:-$default_display}
default_com1=file:$B/com1.txt
[ "$display" = headless ] && tty -s && default_com1=term:$(tty)
com1=${4:-$default_com1}
commands=${5:-}

[ -f "$B/pagoda.iso" ] || { echo "error: $B/pagoda.iso is missing: run make ARCH=x86_64" >&2; exit 1; }
tools/bochsrc.sh "$B/pagoda.iso" "$mem" "$display" "$com1" "$B/bochs.log" >"$B/bochsrc"

rc=$B/bochs-$mode.rc
case "$mode" in
run)
	printf 'ldsym global "%s"\nc\n' "$B/kernel.sym" >"$rc"
	;;
debug)
	stop=${STOP:-kmain}
	addr=$(awk -v s="$stop" '$2 == s { print $1 }' "$B/kernel.sym")
	[ -n "$addr" ] || { echo "error: no symbol '$stop' in $B/kernel.sym" >&2; exit 1; }
	{
		echo "ldsym global \"$B/kernel.sym\""
		echo "lb $addr"
		echo "c"
		[ -n "$commands" ] && printf '%s\n' "$commands"
	} >"$rc"
	echo "Bochs debugger: stopping at $stop ($addr). Try: r, s, n, u /10, info gdt," \
		"info idt, info tab, x /4gx 0x200000, c, q" >&2
	;;
*)
	echo "error: mode must be run or debug, not '$mode'" >&2
	exit 2
	;;
esac
echo "Bochs $mode: $display display, COM1 -> ${com1}, log in $B/bochs.log" >&2
echo "In the shell, 'break' stops in the debugger; 'c' there continues." >&2
# Bochs puts a serial terminal in raw mode (cfmakeraw): give it back
# afterwards. Raw output would also staircase the debugger's replies on the
# same terminal ("\n" without "\r"), so once Bochs has made it raw, turn
# output processing back on: "\n" prints as "\r\n" again (the kernel's own
# "\r\n" just gains a harmless "\r").
saved=$(stty -g 2>/dev/null || true)
watcher=
case "$com1" in
term:*)
	dev=${com1#term:}
	(
		i=0
		while [ $i -lt 1200 ]; do
			sleep 0.1
			i=$((i + 1))
			case $(stty -a <"$dev" 2>/dev/null) in
			*-opost*) stty opost onlcr <"$dev"; break ;;
			esac
		done
	) &
	watcher=$!
	;;
esac
status=0
rm -f "$B/bochs.log"
bochs -q -f "$B/bochsrc" -rc "$rc" || status=$?
# Bochs ends with status 1 when the guest powers off (its ACPI "panic" is
# how it stops): that is the kernel's poweroff working, not a failure.
if [ $status -eq 1 ] && grep -q "ACPI control: soft power off" "$B/bochs.log" 2>/dev/null; then
	status=0
fi
if [ -n "$watcher" ]; then kill $watcher 2>/dev/null || true; fi
if [ -n "$saved" ]; then stty "$saved" 2>/dev/null || true; fi
exit $status
