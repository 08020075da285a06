# riscv64: QEMU virt, S-mode kernel under OpenSBI (fw_dynamic from Debian).

ARCH_SRCS := $(wildcard arch/riscv64/*.c) $(wildcard arch/riscv64/*.S)
ARCH_LDSCRIPT := arch/riscv64/linker.ld

ifeq ($(TOOLCHAIN),llvm)
  ARCH_CC := clang --target=riscv64-unknown-elf
  ARCH_LD := ld.lld
  ARCH_NM := llvm-nm
  ARCH_MARCH := rv64imac
else
  ARCH_CC := riscv64-unknown-elf-gcc
  ARCH_LD := riscv64-unknown-elf-ld
  ARCH_NM := riscv64-unknown-elf-nm
  # binutils 2.40 wants the CSR and fence.i extensions named; clang 14 does not know the names.
  ARCH_MARCH := rv64imac_zicsr_zifencei
endif

# No floating point: the kernel never enables the FPU. medany: the kernel
# runs at 0x80200000, beyond the reach of the default code model.
ARCH_CFLAGS := -march=$(ARCH_MARCH) -mabi=lp64 -mcmodel=medany -mno-relax
ARCH_LDFLAGS := --no-relax --fatal-warnings

OPENSBI := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
ARCH_IMAGES :=
QEMU := qemu-system-riscv64
# The arguments that boot the kernel; `make run` adds the console.
QEMU_BOOT = -machine virt -smp $(SMP) -m $(MEM) -bios $(OPENSBI) -kernel $(KERNEL) -no-reboot
