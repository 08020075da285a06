/*
 * What every Pagoda fuzz target shares: reading the fuzz input as a stream
 * of small numbers, and failing loudly. libFuzzer calls
 * LLVMFuzzerTestOneInput() with arbitrary bytes; each target turns them into
 * a sequence of operations on the real code and checks a model after each.
 *
 * A failed check prints what broke and aborts, which libFuzzer reports as a
 * crash and saves the input (tests/fuzz/<target>/ keeps such inputs).
 */
#ifndef PAGODA_FUZZ_H
#define PAGODA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/** The fuzz input, consumed from the front. Past the end every read is 0. */
struct fuzz_input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline int fuzz_more(const struct fuzz_input *in)
{
	return in->pos < in->size;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t lo = fuzz_u8(in);
	return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint32_t lo = fuzz_u16(in);
	return lo | (uint32_t)fuzz_u16(in) << 16;
}

/* Abort with a message: libFuzzer saves the input that got here. */
#define FUZZ_CHECK(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
				#cond);                                             \
			fprintf(stderr, __VA_ARGS__);                               \
			fprintf(stderr, "\n");                                      \
			abort();                                                    \
		}                                                                   \
	} while (0)

/* FNV-1a over a value: the digests that prove "an error changed nothing". */
static inline uint64_t fuzz_hash(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 1099511628211ull;
	}
	return h;
}

#define FUZZ_HASH_SEED 14695981039346656037ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
