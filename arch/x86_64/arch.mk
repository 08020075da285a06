# x86_64: a multiboot2 kernel in a GRUB 2 ISO, for QEMU and Bochs.

ARCH_SRCS := $(wildcard arch/x86_64/*.c) $(wildcard arch/x86_64/*.S)
ARCH_LDSCRIPT := arch/x86_64/linker.ld

ifeq ($(TOOLCHAIN),llvm)
  ARCH_CC := clang --target=x86_64-unknown-elf
  ARCH_LD := ld.lld
  ARCH_NM := llvm-nm
  ARCH_LDFLAGS_TOOLCHAIN :=
else
  ARCH_CC := gcc
  ARCH_LD := ld
  ARCH_NM := nm
  # GNU ld 2.40 warns about the one loadable segment GRUB gets: that is fine here.
  ARCH_LDFLAGS_TOOLCHAIN := --no-warn-rwx-segments
endif

# No SSE/x87 (never enabled) and no red zone (exceptions push onto the stack).
ARCH_CFLAGS := -m64 -mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-pie \
	-fno-asynchronous-unwind-tables -fcf-protection=none
ARCH_LDFLAGS := -m elf_x86_64 -z max-page-size=0x1000 -z noexecstack --fatal-warnings \
	$(ARCH_LDFLAGS_TOOLCHAIN)

ISO := $(BUILD)/pagoda.iso
QEMU := qemu-system-x86_64
# isa-debug-exit: a panic exits QEMU with a non-zero status; -no-reboot:
# a triple fault stops QEMU instead of rebooting in a loop.
QEMU_BOOT = -m $(MEM) -smp $(SMP) -cdrom $(ISO) -boot d -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04

# The ISO: GRUB with a zero-delay menu that boots the kernel via multiboot2.
$(ISO): $(KERNEL) arch/x86_64/grub.cfg
	$(call say,ISO,$@)
	$(Q)rm -rf $(BUILD)/isodir && mkdir -p $(BUILD)/isodir/boot/grub
	$(Q)cp $(KERNEL) $(BUILD)/isodir/boot/kernel.elf
	$(Q)cp arch/x86_64/grub.cfg $(BUILD)/isodir/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(BUILD)/isodir >$(BUILD)/grub-mkrescue.log 2>&1 \
		|| { cat $(BUILD)/grub-mkrescue.log; exit 1; }

ARCH_IMAGES := $(ISO)
