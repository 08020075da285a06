/**
 * @file sbi.h
 * @brief Calls into the SBI firmware (OpenSBI) below the kernel.
 */
#ifndef PAGODA_RISCV_SBI_H
#define PAGODA_RISCV_SBI_H

#include <stdint.h>

/** @brief Result of an SBI call: error code and value (SBI spec, chapter 3). */
struct sbi_result {
	long error; /**< 0 on success */
	long value; /**< call-specific */
};

/** @brief Make SBI call @p fid of extension @p ext with up to three arguments. */
struct sbi_result sbi_call(long ext, long fid, long a0, long a1, long a2);

/** @brief Legacy console putchar (extension 0x01): works before the UART is found. */
void sbi_console_putchar(char c);

/** @brief System Reset extension: shut down; reason 0 = none, 1 = failure. */
void sbi_shutdown(long reason);

#endif
