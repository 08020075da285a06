#!/bin/sh
# Install (or tell how to install) the Debian packages Pagoda needs.
#
# Usage: tools/deps.sh [--check] [grading] [site]
#   --check   only report what is missing; exit 1 if anything is.
#   grading   also what grading a class needs (GNU parallel; Slurm and munge
#             for a single-node cluster): only instructors need these.
#   site      also what make docs-check needs (headless Chromium).
#
# Run by `make run`, `make test` and friends before they do anything, so that
# a fresh Debian/Ubuntu machine needs nothing but `make`.  As root it installs
# with apt-get; otherwise it prints the exact command to run and fails.
set -eu

PACKAGES="
make gcc libc6-dev git
gcc-riscv64-unknown-elf
clang lld llvm
qemu-system-misc qemu-system-x86 opensbi
grub-pc-bin grub-common xorriso mtools
bochs bochsbios vgabios bochs-term bochs-x
gdb-multiarch
doxygen graphviz
gnuplot-nox valgrind
libcmocka-dev
python3
bubblewrap
"
# bubblewrap above: make test proves the class grader's jail (bwrap).
GRADING_PACKAGES="parallel slurm-wlm munge"
# make docs-check looks at the site in a real browser.
SITE_PACKAGES="chromium"

check=""
for arg in "$@"; do
	case "$arg" in
	--check) check=1 ;;
	grading) PACKAGES="$PACKAGES $GRADING_PACKAGES" ;;
	site) PACKAGES="$PACKAGES $SITE_PACKAGES" ;;
	*) echo "error: unknown argument '$arg' (usage: tools/deps.sh [--check] [grading] [site])" >&2; exit 2 ;;
	esac
done

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ -n "$check" ]; then
	echo "missing packages:$missing"
	exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "Pagoda needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install --no-install-recommends$missing" >&2
	exit 1
fi

echo "deps: installing$missing (one-time, about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "deps: done"
