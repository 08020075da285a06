#!/usr/bin/env python3
"""Type into a kernel whose serial console is a Unix socket (make gdb).

    make console ARCH=riscv64|x86_64

Connects this terminal, in raw mode, to build/ARCH/console.sock. Ctrl-]
leaves (the kernel keeps running).
"""
import os
import select
import socket
import sys
import termios
import tty

QUIT = b"\x1d"  # Ctrl-]
REDRAW = b"\x0c"  # Ctrl-L


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/riscv64/console.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(path)
    except OSError as e:
        print("error: cannot connect to %s (%s): is 'make gdb' running?" % (path, e.strerror),
              file=sys.stderr)
        return 1
    print("Connected to %s. Ctrl-] leaves.\r" % path)
    # The prompt was printed before anyone listened: Ctrl-L makes the line
    # editor draw it (and any half-typed line) again.
    sock.sendall(REDRAW)
    stdin = sys.stdin.fileno()
    saved = termios.tcgetattr(stdin) if os.isatty(stdin) else None
    if saved:
        tty.setraw(stdin)
    try:
        while True:
            ready, _, _ = select.select([stdin, sock], [], [])
            if sock in ready:
                data = sock.recv(4096)
                if not data:
                    break
                os.write(sys.stdout.fileno(), data)
            if stdin in ready:
                data = os.read(stdin, 1024)
                if not data or QUIT in data:
                    break
                sock.sendall(data)
    finally:
        if saved:
            termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
        print("\ndisconnected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
